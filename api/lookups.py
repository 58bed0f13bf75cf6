"""Look-ups that answer 404 with the error shape, and the job view shared by routes."""

from __future__ import annotations

import re

from api.errors import ApiError, not_found
from api.schemas import JobOut, ProgressOut
from api.settings import Settings
from api.store.models import Job, ScenarioRow, ScenarioVersion, TimetableRow
from api.store.repository import Repository
from solver.scenario import Scenario
from solver.size import SETTING, MemoryPlan, estimate_model_size, plan_within
from solver.timetable import Timetable

_ID = re.compile(r"[0-9a-f]{32}")


def is_id(text: str) -> bool:
    """Ids are 32 hex digits: anything else is unknown without asking the store (which may refuse it: NUL)."""
    return _ID.fullmatch(text) is not None


def scenario_or_404(repo: Repository, scenario_id: str) -> ScenarioRow:
    row = repo.get_scenario(scenario_id) if is_id(scenario_id) else None
    if row is None:
        raise not_found("scenario", scenario_id)
    return row


def version_or_404(repo: Repository, scenario_id: str, version: int, with_document: bool = False) -> ScenarioVersion:
    row = repo.get_version(scenario_id, version, with_document)
    if row is None:
        raise ApiError(404, "not_found", f"scenario {scenario_id!r} has no version {version}")
    return row


def timetable_or_404(repo: Repository, timetable_id: str) -> TimetableRow:
    row = repo.get_timetable(timetable_id) if is_id(timetable_id) else None
    if row is None:
        raise not_found("timetable", timetable_id)
    return row


def job_or_404(repo: Repository, job_id: str) -> Job:
    job = repo.get_job(job_id) if is_id(job_id) else None
    if job is None:
        raise not_found("job", job_id)
    return job


def timetable_with_scenario(repo: Repository, row: TimetableRow) -> tuple[Scenario, Timetable]:
    version = repo.version_by_id(row.scenario_version_id)
    assert version is not None
    return repo.scenario_model(version), repo.timetable_model(row)


def job_out(repo: Repository, job: Job) -> JobOut:
    progress = [ProgressOut(seconds=p.seconds, objective=p.objective, bound=p.bound, label=p.label)
                for p in repo.job_progress(job)]
    return JobOut(id=job.id, kind=job.kind, status=job.status, scenario_id=job.scenario_id,  # type: ignore[arg-type]
                  progress=progress, timetable_id=job.timetable_id, source_timetable_id=job.source_timetable_id,
                  params=job.params, result=job.result, error=job.error, attempts=job.attempts,
                  cancel_requested=job.cancel_requested, created_at=job.created_at, started_at=job.started_at,
                  finished_at=job.finished_at, worker=job.worker)


def time_limit(settings: Settings, asked: float | None) -> float:
    """The job's time limit: the default, or the asked one within the configured bounds (else 422)."""
    if asked is None:
        return min(max(settings.default_time_limit_s, settings.min_time_limit_s), settings.max_time_limit_s)
    if not settings.min_time_limit_s <= asked <= settings.max_time_limit_s:
        raise ApiError(422, "validation_error", "time limit out of bounds",
                       [{"path": "time_limit_s", "value": asked,
                         "message": f"must be between {settings.min_time_limit_s:g} and "
                                    f"{settings.max_time_limit_s:g} seconds"}])
    return asked


def admit_by_memory(settings: Settings, scenario: Scenario) -> MemoryPlan:
    """How a solve of ``scenario`` runs within the job's memory (``SUMMIT_JOB_MEMORY_MB``): the whole model when
    its estimate fits, else large-neighbourhood search alone; 413 ``model_too_large`` naming the memory it needs
    and the setting when even that does not fit. The estimate (solver/size.py) builds nothing: under a second."""
    plan = plan_within(estimate_model_size(scenario), settings.job_memory_mb)
    if not plan.fits:
        raise ApiError(413, "model_too_large", plan.refusal(),
                       [{"path": "memory_mb", "value": plan.estimate.lns_mb,
                         "message": f"at most {settings.job_memory_mb} ({SETTING})"}])
    return plan


def admit_replan(settings: Settings, before: Scenario, after: Scenario) -> MemoryPlan:
    """A summit that was accepted never becomes impossible to re-plan because of its size: a re-plan (which
    works on sub-models, like large-neighbourhood search) is refused only when the summit before the change
    could not be solved here at all; a change that makes the model larger (a room closed splits a room pool)
    runs it by large-neighbourhood search alone."""
    admit_by_memory(settings, before)
    plan = plan_within(estimate_model_size(after), settings.job_memory_mb)
    return plan if plan.fits else MemoryPlan(plan.estimate, plan.limit_mb, lns_only=True, fits=True)
