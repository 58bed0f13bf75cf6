"""Queueing a re-plan, for the timetable routes and the summit day's proposals alike: which plan the changes are
re-planned on (the published one, or a draft of it), the changes checked to apply before a job is queued (422
naming the change's field, 413 if the summit is too large), and the job with its typed parameters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from api.clock import during_summit, summit_now
from api.errors import ApiError, check_changes
from api.jobs.params import ReplanParams
from api.jobs.runner import JobRunner
from api.lookups import admit_replan, timetable_with_scenario
from api.publishing import PublishRefused, check_base, published_timetable_id, stored_clock
from api.settings import Settings
from api.store.models import Job, TimetableRow
from api.store.repository import Repository
from solver.changes import apply_changes, parse_changes
from solver.replan.change import placed_reports
from solver.scenario import Scenario


def based_row(repo: Repository, row: TimetableRow, base: str | None, rebase: bool) -> TimetableRow:
    """``row`` when it is based on the published plan; the published plan itself when asked to rebase."""
    try:
        check_base(repo, row, base)
        return row
    except PublishRefused as refused:
        published = published_timetable_id(repo, row.scenario_id)
        if not rebase or published is None:
            raise ApiError(refused.status, refused.code, refused.message, refused.details) from None
        current = repo.get_timetable(published)
        assert current is not None
        return current


def check_applies(repo: Repository, settings: Settings, row: TimetableRow, changes: list[dict[str, Any]]) -> Scenario:
    """``row``'s scenario, once the changes are known to apply to it (else 422 naming the change's field) and
    the summit fits the job's memory (413 only when the summit before the change does not: a re-plan is never
    refused for what its changes add, api/lookups.py): what cannot apply is refused now, not in the job."""
    scenario, _ = timetable_with_scenario(repo, row)
    changed: list[Scenario] = []
    # (a report on an event runs where this timetable has it: placed from it, as the re-plan will)
    check_changes(lambda: changed.append(apply_changes(scenario, placed_reports(
        scenario, parse_changes(changes), repo.timetable_model(row)))), "changes")
    admit_replan(settings, scenario, changed[0])
    return scenario


def queue_replan(repo: Repository, runner: JobRunner, settings: Settings, key_id: str, row: TimetableRow,
                 changes: list[dict[str, Any]], now: datetime | None, freeze_minutes: int, limit: float,
                 workers: int | None, unfreeze: list[str], robust: bool | None = None) -> Job:
    """Check the changes apply to ``row``'s scenario (422 if not, 413 if too large) and queue the re-plan."""
    scenario = check_applies(repo, settings, row, changes)
    when = now or during_summit(scenario, summit_now(stored_clock(repo, row.scenario_id), settings.clock))
    params = ReplanParams(changes=changes, now=when.isoformat() if when else None, freeze_minutes=freeze_minutes,
                          time_limit_s=limit, workers=workers or settings.solver_workers, unfreeze=unfreeze,
                          robust=robust)
    job = repo.create_job("replan", row.scenario_id, row.scenario_version_id, params.stored(), key_id, row.id)
    runner.submit(job.id)
    return job
