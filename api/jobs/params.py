"""What each kind of job is asked, typed: a route builds one of these, the job stores it (``params``, JSON), and the
worker reads it back with :func:`params_of`. Jobs stored before a field existed read it as its default; fields
they carry that a model does not know are kept (``extra="allow"``) so that nothing stored is lost."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict


class JobParams(BaseModel):
    model_config = ConfigDict(extra="allow")

    def stored(self) -> dict[str, Any]:
        """The job's ``params`` as stored (JSON)."""
        return self.model_dump(mode="json", exclude_none=False)


class SolveParams(JobParams):
    time_limit_s: float
    workers: int
    seed: int  # (required: a job stored without it fails, as before)
    stall_s: float | None = None  # (jobs queued before it existed have none)
    scenario_version: int | None = None
    lns_only: bool = False  # large-neighbourhood search alone: decided at admission (api/lookups.py)
    robust: bool | None = None  # the robust solve (solver/slack.py); None: the scenario's overruns.robust
    buffer_value: float | None = None  # a buffer's worth (solver/buffers.py); None: overruns.buffer_value
    cascade_budget: float | None = None  # share of the value to cut cascades (solver/cascades.py); None: the scenario's


class ExplainParams(JobParams):
    time_limit_s: float
    event: str | None = None  # None: why the scenario is infeasible; else what would let this event in


class CompareParams(JobParams):
    variants: list[dict[str, Any]]  # each a VariantSpec (checked by the route)
    time_limit_s: float
    seeds: int
    workers: int
    scenario_version: int | None = None
    memory_mb: int | None = None  # each solve's memory plan (solver/size.py); None: no limit


class ReplanParams(JobParams):
    changes: list[dict[str, Any]]  # as written (checked by the route)
    now: str | None = None  # ISO date-time the changes apply from
    freeze_minutes: int
    time_limit_s: float
    workers: int
    unfreeze: list[str] = []  # events the planner lets the re-plan move inside the freeze
    robust: bool | None = None  # keep the slack of a robust plan (solver/slack.py); None: the scenario's setting


P = TypeVar("P", bound=JobParams)


def params_of(kind: type[P], params: dict[str, Any]) -> P:
    """A stored job's parameters, typed."""
    return kind.model_validate(params)
