"""Reports and proposals: what operators report on the summit day becomes a change, re-planned at once.

An operator reports a fact (an event started, ended, is running late; a participant arrived or is delayed; a
room is out). Each report becomes a change op (``solver/changes.py``) applied from now (the summit's clock).
The first report since the published plan opens a **proposal**: a re-plan of the published plan with that
change. A report arriving while a proposal is open is folded into it: the proposal is re-planned from the
published plan with all its reports (the running re-plan is stopped), so no report is lost. The planner
accepts the proposal (its draft is published, ``api/publishing.py``) or discards it; a planner can lift the
freeze for some events of the proposal (``unfreeze``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from api.errors import ApiError
from api.feeds import build_after_publish
from api.jobs.runner import JobRunner
from api.lineage import USABLE
from api.lookups import job_out, time_limit
from api.publishing import PublishOutcome, publish, published_timetable_id
from api.replans import check_applies, queue_replan
from api.schemas import ProposalOut, ReportIn
from api.settings import Settings
from api.store.models import Job, Proposal, SummitState, TimetableRow, utcnow
from api.store.repository import Repository
from solver.scenario import Scenario

FREEZE_MINUTES = 60


# ------------------------------------------------------------------------------------ report -> change


def _needs(report: ReportIn, field: str) -> Any:
    value = getattr(report, field)
    if value is None:
        raise ApiError(422, "validation_error", f"{field}: required for a {report.kind} report",
                       [{"path": field, "value": None, "message": f"required for a {report.kind} report"}])
    return value


def report_change(report: ReportIn, now: datetime, scenario: Scenario) -> dict[str, Any]:
    """The change op a report stands for (``at`` defaults to the summit's clock)."""
    at = (report.at or now).isoformat()
    if report.kind in ("event_started", "event_ended"):
        return {"op": report.kind, "event": _needs(report, "event"), "at": at}
    if report.kind == "running_late":
        return {"op": "event_running_late", "event": _needs(report, "event"), "minutes": _needs(report, "minutes")}
    if report.kind == "participant_arrived":
        return {"op": "participant_arrived", "participant": _needs(report, "participant"), "at": at}
    if report.kind == "participant_delayed":
        person = _needs(report, "participant")
        if report.until is None:
            arrival = now + timedelta(minutes=_needs(report, "minutes"))
        else:
            arrival = report.until
        return {"op": "participant_delayed", "participant": person, "arrival": arrival.isoformat()}
    room = _needs(report, "room")
    end = report.until or max(scenario.day_bounds(day)[1] for day in scenario.days)
    return {"op": "room_closed", "room": room, "start": at, "end": end.isoformat(), "reason": report.note}


# ------------------------------------------------------------------------------------------ proposals


def open_proposal(repo: Repository, scenario_id: str) -> Proposal | None:
    with repo.session() as s:
        return s.scalar(select(Proposal).where(Proposal.scenario_id == scenario_id, Proposal.status == "open")
                        .order_by(Proposal.created_at.desc()).limit(1))


def proposal_or_404(repo: Repository, proposal_id: str) -> Proposal:
    with repo.session() as s:
        proposal = s.get(Proposal, proposal_id)
    if proposal is None:
        raise ApiError(404, "not_found", f"no proposal with id {proposal_id!r}")
    return proposal


def _lock_summit(session: Any, scenario_id: str) -> None:
    """Serialise the summit's reports (a row lock on PostgreSQL, the write lock on SQLite)."""
    if session.get(SummitState, scenario_id) is None:
        session.add(SummitState(scenario_id=scenario_id))
        session.flush()
    session.execute(update(SummitState).where(SummitState.scenario_id == scenario_id)
                    .values(published_at=SummitState.published_at))


def file_report(repo: Repository, runner: JobRunner, settings: Settings, key_id: str, scenario_id: str,
                report: ReportIn, now: datetime) -> Proposal:
    """Fold the report into the open proposal (or open one) and re-plan it from the published plan at once."""

    published = published_timetable_id(repo, scenario_id)
    base = repo.get_timetable(published) if published else None
    if base is None:
        raise ApiError(409, "nothing_published", "this summit has no published plan yet: publish one before "
                       "reporting what happens on the day")
    scenario = _scenario(repo, base)
    change = report_change(report, now, scenario)
    entry = {**report.model_dump(mode="json", exclude_none=True), "reported_at": now.isoformat(), "by": key_id}
    with repo.session() as s:
        _lock_summit(s, scenario_id)
        proposal = s.scalar(select(Proposal).where(Proposal.scenario_id == scenario_id, Proposal.status == "open")
                            .with_for_update())
        if proposal is None:
            proposal = Proposal(scenario_id=scenario_id, base_timetable_id=base.id, reports=[], changes=[],
                                created_by=key_id)
            s.add(proposal)
        previous_job, changes = proposal.job_id, [*proposal.changes, change]
        check_applies(repo, settings, base, changes)
        proposal.reports, proposal.changes, proposal.base_timetable_id = [*proposal.reports, entry], changes, base.id
        s.commit()
    if previous_job:
        repo.request_cancel(previous_job)  # its re-plan no longer has every report: the new one has
    return _replan(repo, runner, settings, key_id, proposal.id, base, now)


def _scenario(repo: Repository, row: TimetableRow) -> Scenario:
    version = repo.version_by_id(row.scenario_version_id)
    assert version is not None
    return repo.scenario_model(version)


def _replan(repo: Repository, runner: JobRunner, settings: Settings, key_id: str, proposal_id: str,
            base: TimetableRow, now: datetime) -> Proposal:
    """Queue the proposal's re-plan with all its changes; the proposal follows the newest one queued."""

    proposal = proposal_or_404(repo, proposal_id)
    limit = time_limit(settings, settings.report_time_limit_s)
    job = queue_replan(repo, runner, settings, key_id, base, proposal.changes, now, FREEZE_MINUTES, limit, None,
                       list(proposal.unfreeze or []))
    with repo.session() as s:
        _lock_summit(s, proposal.scenario_id)
        row = s.get(Proposal, proposal_id)
        assert row is not None
        current = s.get(Job, row.job_id) if row.job_id else None
        if current is None or (current.created_at, current.id) <= (job.created_at, job.id):
            row.job_id = job.id
        s.commit()
        return row


def refile(repo: Repository, runner: JobRunner, settings: Settings, key_id: str, proposal: Proposal,
           unfreeze: list[str], now: datetime) -> Proposal:
    """Re-plan the open proposal again, the freeze lifted for ``unfreeze`` (added to those lifted before)."""
    _must_be_open(proposal)
    published = published_timetable_id(repo, proposal.scenario_id)
    base = repo.get_timetable(published or "")
    assert base is not None
    with repo.session() as s:
        row = s.get(Proposal, proposal.id)
        assert row is not None
        row.unfreeze = sorted({*(row.unfreeze or []), *unfreeze})
        previous_job = row.job_id
        s.commit()
    if previous_job:
        repo.request_cancel(previous_job)
    return _replan(repo, runner, settings, key_id, proposal.id, base, now)


def _must_be_open(proposal: Proposal) -> None:
    if proposal.status != "open":
        raise ApiError(409, "proposal_closed", f"proposal {proposal.id} is {proposal.status}")


def accept(repo: Repository, proposal: Proposal, key_id: str, allow_past_changes: bool,
           service_clock: str | None) -> PublishOutcome:
    """Publish the proposal's draft (on the published plan it was made from) and close the proposal."""
    from api.publishing import PublishRefused

    _must_be_open(proposal)
    job = repo.get_job(proposal.job_id or "")
    if job is None or job.status in ("queued", "running"):
        raise ApiError(409, "proposal_not_ready", f"the proposal's re-plan {proposal.job_id} is still running: "
                       "accept it when its job is done")
    if job.timetable_id is None or (job.result or {}).get("status") not in ("optimal", "feasible"):
        raise ApiError(409, "nothing_fits", f"the proposal's re-plan found no plan ({job.status}: "
                       f"{job.error or (job.result or {}).get('status')}); discard it or lift the freeze")
    try:
        outcome = publish(repo, job.timetable_id, allow_past_changes=allow_past_changes,
                          base=proposal.base_timetable_id, by=key_id, service_clock=service_clock)
    except PublishRefused as error:
        raise ApiError(error.status, error.code, error.message, error.details) from None
    _close(repo, proposal.id, "accepted")
    if not outcome.unchanged:
        build_after_publish(repo, outcome.scenario_id)  # the delegations' calendar feeds, for this publication
    return outcome


def discard(repo: Repository, proposal: Proposal) -> Proposal:
    _must_be_open(proposal)
    if proposal.job_id:
        repo.request_cancel(proposal.job_id)
    return _close(repo, proposal.id, "discarded")


def _close(repo: Repository, proposal_id: str, status: str) -> Proposal:
    with repo.session() as s:
        row = s.get(Proposal, proposal_id)
        assert row is not None
        row.status, row.decided_at = status, utcnow()
        s.commit()
        return row


def proposal_out(repo: Repository, proposal: Proposal, published: dict[str, Any] | None = None) -> ProposalOut:
    job = repo.get_job(proposal.job_id) if proposal.job_id else None
    draft = repo.get_timetable(job.timetable_id) if job is not None and job.timetable_id else None
    why = draft.document.get("diagnostics", []) if draft is not None and draft.status not in USABLE else []
    return ProposalOut(id=proposal.id, scenario_id=proposal.scenario_id, status=proposal.status,
                       base_timetable_id=proposal.base_timetable_id, reports=proposal.reports,
                       changes=proposal.changes, unfreeze=list(proposal.unfreeze or []),
                       job=job_out(repo, job) if job is not None else None,
                       timetable_id=job.timetable_id if job is not None else None,
                       result=job.result if job is not None else None, published=published,
                       why_nothing_fits=why)
