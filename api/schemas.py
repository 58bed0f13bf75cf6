"""Request and response models (the contract's scenario and timetable stay in solver/)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_OFFSET = 10**9  # list offsets and version numbers: what a 32-bit column and SQLite's 64-bit integers hold
MAX_VERSION = 2**31 - 1

JobStatus = Literal["queued", "running", "done", "failed", "cancelled"]
Role = Literal["admin", "planner", "viewer", "liaison"]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SolveRequest(Request):
    time_limit_s: float | None = Field(None, ge=1, le=600, description="seconds; default from the settings")
    workers: int | None = Field(None, ge=1, le=16, description="CP-SAT workers for this job")
    seed: int = Field(0, ge=0, le=2**31 - 1)
    stall_s: float | None = Field(None, gt=0, le=600,
                                  description="stop after this long without improvement; default: use the whole limit")
    robust: bool | None = Field(None, description="the robust solve: the plain solve's requests, moved to where "
                                "overruns cascade less; default: the scenario's overruns.robust")
    buffer_value: float | None = Field(None, ge=0, le=100_000,
                                       description="the robust solve: what one buffer (a slot a vvip is left free "
                                       "right after an event of theirs) is worth in priority points; 0: no request "
                                       "is given up for a buffer; default: the scenario's overruns.buffer_value")
    cascade_budget: float | None = Field(None, ge=0, le=1,
                                         description="the robust solve: the share of the requests' value (counted "
                                         "from the proven bound) it may give up where most replayed cascades run; "
                                         "default: the scenario's overruns.cascade_budget (0: none)")


class ChangesRequest(Request):
    changes: list[dict[str, Any]] = Field(..., min_length=1, max_length=1000,
                                          description="change operations (see the scenario format)")
    now: datetime | None = Field(None, description="events started or starting within the freeze window stay")
    freeze_minutes: int = Field(60, ge=0, le=24 * 60)
    time_limit_s: float | None = Field(None, ge=1, le=600)
    workers: int | None = Field(None, ge=1, le=16)
    unfreeze: list[str] = Field(default_factory=list, max_length=1000,
                                description="events whose freeze is lifted: they may move within the freeze window")
    robust: bool | None = Field(None, description="keep the slack of a robust plan: the events the repair moves go, "
                                "at no more disruption, where overruns cascade less; default: the scenario's "
                                "overruns.robust")
    # the summit day (api/publishing.py): no lost updates
    base: str | None = Field(None, description="the published timetable the caller saw (as If-Match): refused "
                             "with 409 if another one is published now")
    rebase: bool = Field(False, description="when the timetable is not based on the published plan: re-plan "
                         "on the published plan instead of refusing")


class VariantIn(Request):
    name: str = Field(..., min_length=1, max_length=80)
    changes: list[dict[str, Any]] = Field(default_factory=list, max_length=1000,
                                          description="change operations applied to the base (see the scenario format)")


class ComparisonRequest(Request):
    scenario_id: str = Field(..., description="the base scenario")
    version: int | None = Field(None, ge=1, le=MAX_VERSION, description="default: the latest")
    variants: list[VariantIn] = Field(..., min_length=1, max_length=20,
                                      description="alternatives; the base is always compared too, as 'base'")
    time_limit_s: float | None = Field(None, ge=1, le=600, description="seconds per solve")
    seeds: int = Field(1, ge=1, le=5, description="solves per variant; the best is reported")
    workers: int | None = Field(None, ge=1, le=16)


class KeyRequest(Request):
    role: Role
    delegation: str | None = Field(None, min_length=1, max_length=64, description="required for a liaison")
    label: str | None = Field(None, max_length=200)


class ErrorOut(BaseModel):
    error: str
    message: str
    details: list[Any] = []


class ProgressOut(BaseModel):
    seconds: float
    objective: int
    bound: int | None = None
    label: str | None = None  # a comparison's variant and seed, or a re-plan's step


class JobOut(BaseModel):
    id: str
    kind: Literal["solve", "replan", "compare", "explain"]
    status: JobStatus
    scenario_id: str
    progress: list[ProgressOut]
    timetable_id: str | None = None
    source_timetable_id: str | None = None
    params: dict[str, Any]
    result: dict[str, Any] | None = None
    error: str | None = None
    attempts: int
    cancel_requested: bool
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    worker: str | None = Field(None, description="the cluster worker running or that ran the job (celery runner)")


class ScenarioCreated(BaseModel):
    id: str
    version: int
    name: str
    fingerprint: str
    events: int


class ScenarioSummary(BaseModel):
    id: str
    name: str
    latest_version: int
    created_at: datetime


class VersionOut(BaseModel):
    version: int
    name: str
    fingerprint: str
    events: int
    parent_version: int | None = None
    changes: list[Any] | None = None
    created_at: datetime


class ScenarioOut(BaseModel):
    id: str
    name: str
    version: int
    latest_version: int
    fingerprint: str
    created_at: datetime
    scenario: dict[str, Any]


class TimetableSummary(BaseModel):
    id: str
    scenario_version: int
    status: str
    objective: int
    job_id: str | None = None
    parent_timetable_id: str | None = None
    created_at: datetime


class KeyOut(BaseModel):
    id: str
    role: Role
    delegation: str | None = None
    label: str | None = None
    created_at: datetime
    revoked: bool = Field(False, description="a revoked key is refused (401) from the moment it is revoked")


class KeyCreated(KeyOut):
    key: str = Field(..., description="the secret, shown once")


class AuditOut(BaseModel):
    id: int
    at: datetime
    key_id: str | None = None
    role: str | None = None
    method: str
    path: str
    status_code: int


class AgendaOut(BaseModel):
    timetable_id: str
    scenario_id: str
    summit: str = ""
    timezone: str = "UTC"
    superseded_by: str | None = None  # the summit's current timetable, when newer than this one
    participant: dict[str, Any] | None = None
    delegation: str | None = None
    participants: list[dict[str, Any]] = []
    items: list[dict[str, Any]]
    refused: list[dict[str, Any]] = []  # a delegation's requests left out, with the reason


class DiffOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    from_timetable: str
    to_timetable: str
    moved: list[dict[str, Any]]
    room_changes: list[dict[str, Any]]
    added: list[dict[str, Any]]
    dropped: list[dict[str, Any]]
    unchanged: int
    by_participant: dict[str, list[str]]
    by_delegation: dict[str, list[str]]


class ExplainOut(BaseModel):
    timetable_id: str
    status: str
    event: str | None = None
    lines: list[str] = []
    diagnostics: list[dict[str, Any]] = []
    unscheduled: list[dict[str, Any]] = []


class JobsHealthOut(BaseModel):
    queued: int = Field(description="jobs waiting for a slot or a worker")
    running: int
    waiting_over_minute: int = Field(description="queued for more than a minute (status degraded when > 0)")
    running_without_lease: int | None = Field(
        None, description="celery runner: jobs or comparison solves whose worker is silent past the lease "
                          "(lost: the servers' sweep sends them again); status degraded when > 0")
    oldest_wait_s: float | None = Field(None, description="seconds the oldest queued job has existed")


class HealthOut(BaseModel):
    status: str
    database: str
    runner: str = "process"
    broker: str | None = Field(None, description="celery runner: ok or unreachable")
    workers: int | None = Field(None, description="celery runner: workers answering on the service's queue")
    jobs: JobsHealthOut | None = Field(None, description="waiting and running jobs; null if the database is away")


class ComparisonOut(BaseModel):
    job: JobOut
    comparison: dict[str, Any] | None = Field(None, description="per variant: status, objective, bound, gap, kpis, "
                                                                "occupancy; null until the job has finished")
    charts: list[str] = Field(default_factory=list, description="names for /comparisons/{id}/charts/{name}.png")


class ComparisonSummary(BaseModel):
    """A comparison as the list of past ones shows it: what was asked, its state, not its results."""
    id: str
    status: JobStatus
    scenario_id: str
    scenario_name: str
    scenario_version: int | None = None
    variants: list[str] = Field(default_factory=list, description="the variants' names (the base is compared too)")
    time_limit_s: float | None = None
    seeds: int = 1
    created_at: datetime
    finished_at: datetime | None = None


# ------------------------------------------------------------------------- the summit day (api/publishing.py)


class PublishRequest(Request):
    allow_past_changes: bool = Field(False, description="publish even if it moves or drops an event that has "
                                     "started or ended by the summit's clock")
    base: str | None = Field(None, description="the published timetable this draft replaces (as If-Match): "
                             "refused with 409 if another one is published now")
    rebase: bool = Field(False, description="when the draft is not based on the published plan: re-plan its "
                         "changes on the published plan instead (202 with the job; publish its draft)")


class ClockIn(Request):
    clock: str | None = Field(..., description="fixed '2025-10-26T09:00+07:00', accelerated "
                              "'2025-10-26T09:00+07:00x60', or null for the service's clock (SUMMIT_CLOCK or real)")


class ClockOut(BaseModel):
    scenario_id: str
    now: datetime
    setting: str | None
    kind: str  # real | fixed | accelerated xN
    source: str  # summit | service (SUMMIT_CLOCK) | real


class ReportIn(Request):
    kind: Literal["event_started", "event_ended", "running_late", "participant_arrived", "participant_delayed",
                  "room_out"]
    event: str | None = Field(None, description="event_started, event_ended, running_late")
    participant: str | None = Field(None, description="participant_arrived, participant_delayed")
    room: str | None = Field(None, description="room_out")
    minutes: int | None = Field(None, gt=0, le=24 * 60, description="running_late: by how many minutes; "
                                "participant_delayed: arrives in how many minutes (or give 'until')")
    at: datetime | None = Field(None, description="when it happened (default: the summit's clock)")
    until: datetime | None = Field(None, description="participant_delayed: arrival; room_out: back in use "
                                   "(default: the end of the summit)")
    note: str = Field("", max_length=500)


class UnfreezeIn(Request):
    events: list[str] = Field(..., min_length=1, max_length=1000,
                              description="events the proposal may move although they start in the freeze window")


class ProposalOut(BaseModel):
    id: str
    scenario_id: str
    status: str  # open | accepted | discarded
    base_timetable_id: str
    reports: list[dict[str, Any]]
    changes: list[dict[str, Any]]
    unfreeze: list[str]
    job: JobOut | None
    timetable_id: str | None  # the draft, when the re-plan has finished
    result: dict[str, Any] | None  # the re-plan's diff, disruption and bound
    why_nothing_fits: list[dict[str, Any]] = Field(default_factory=list)  # the draft's diagnostics when infeasible
    published: dict[str, Any] | None = None  # after accept: what the publish changed
