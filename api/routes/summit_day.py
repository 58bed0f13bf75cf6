"""The summit day: publishing a draft, the summit's clock (``api/clock.py``), and the summit's state.

* ``POST /timetables/{id}/publish``: the draft becomes what delegations see (``api/publishing.py``).
* ``GET /summits/{id}``: the published timetable (``ETag``: send it back as If-Match or ``base``), the clock,
  the open proposal.
* ``GET/PUT /summits/{id}/clock``: what time it is on the summit; set for rehearsals (fixed or accelerated).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Response
from fastapi.responses import JSONResponse

from api.clock import ClockError, parse_clock, summit_clock, summit_now
from api.deps import LimiterDep, Reader, RepoDep, RunnerDep, SettingsDep, Writer
from api.errors import ApiError
from api.feeds import build_after_publish
from api.lineage import chain
from api.lookups import job_out, scenario_or_404, time_limit, timetable_or_404
from api.proposals import accept, discard, file_report, open_proposal, proposal_or_404, proposal_out, refile
from api.publishing import PublishRefused, publish, published_timetable_id, set_clock, stored_clock
from api.replans import based_row, queue_replan
from api.routes.timetables import etag_value
from api.schemas import ClockIn, ClockOut, ErrorOut, JobOut, ProposalOut, PublishRequest, ReportIn, UnfreezeIn
from api.settings import Settings
from api.store.models import TimetableRow
from api.store.repository import Repository

router = APIRouter(tags=["summit day"])
_ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorOut} for code in (401, 403, 404, 409, 422)}


def refused(error: PublishRefused) -> ApiError:
    return ApiError(error.status, error.code, error.message, error.details)


@router.post("/timetables/{timetable_id}/publish", responses={**_ERRORS, 202: {"model": JobOut}})
def publish_timetable(timetable_id: str, key: Writer, repo: RepoDep, settings: SettingsDep, runner: RunnerDep,
                      limiter: LimiterDep, body: PublishRequest | None = None,
                      if_match: Annotated[str | None, Header(description="the published timetable's ETag")] = None
                      ) -> Any:
    """Publish a draft: liaisons, agendas, ``GET /summits`` and calendar feeds show it from now on. Refused
    (409) when it is not based on the published plan (or ``base``/If-Match is no longer the published one):
    with ``rebase: true`` its changes are re-planned on the published plan instead (202 and the job; publish
    the job's draft). Refused (409) when it moves or drops an event that has started or ended by the summit's
    clock, unless ``allow_past_changes``. The answer says what changed, per delegation."""
    body = body or PublishRequest.model_validate({})
    row = timetable_or_404(repo, timetable_id)
    base = body.base or etag_value(if_match)
    try:
        outcome = publish(repo, row.id, allow_past_changes=body.allow_past_changes, base=base, by=key.id,
                          service_clock=settings.clock)
    except PublishRefused as error:
        if error.code != "stale_base" or not body.rebase:
            raise refused(error) from None
        return _rebase(repo, runner, settings, limiter, key.id, row.id)
    if not outcome.unchanged:
        build_after_publish(repo, outcome.scenario_id)  # the delegations' calendar feeds, for this publication
    return JSONResponse(outcome.to_dict(), headers={"ETag": f'"{outcome.timetable_id}"'})


def _rebase(repo: Repository, runner: Any, settings: Settings, limiter: Any, key_id: str,
            timetable_id: str) -> JSONResponse:
    """Re-plan the draft's own changes (those its chain adds to the scenario) on the published plan."""
    row = timetable_or_404(repo, timetable_id)
    changes = draft_changes(repo, row)
    if not changes:
        raise ApiError(409, "stale_base", f"timetable {row.id} is a fresh solve, not a re-plan: there are no "
                       "changes to rebase; name the published timetable as its base to replace it")
    limiter.check(key_id)
    current = based_row(repo, row, None, rebase=True)
    job = queue_replan(repo, runner, settings, key_id, current, changes, None, 60,
                       time_limit(settings, None), None, [])
    return JSONResponse(job_out(repo, job).model_dump(mode="json"), status_code=202,
                        headers={"Location": f"/jobs/{job.id}"})


def draft_changes(repo: Repository, row: TimetableRow) -> list[dict[str, Any]]:
    """The changes the draft's re-plans made that the published plan does not have, oldest first."""
    published = published_timetable_id(repo, row.scenario_id)
    published_row = repo.get_timetable(published) if published else None
    theirs = {link.id for link in chain(repo, published_row)} if published_row is not None else set()
    changes: list[dict[str, Any]] = []
    for link in chain(repo, row):
        if link.id in theirs or link.parent_timetable_id is None:
            continue
        version = repo.version_by_id(link.scenario_version_id)
        changes.extend(version.changes or [] if version is not None else [])
    return changes


# ---------------------------------------------------------------------------------------- the summit


@router.get("/summits/{scenario_id}", responses=_ERRORS)
def summit_state(scenario_id: str, _: Reader, repo: RepoDep, settings: SettingsDep) -> JSONResponse:
    """The published timetable (its id is the ``ETag``), the summit's clock and the open proposal, if any."""
    row = scenario_or_404(repo, scenario_id)
    published = published_timetable_id(repo, row.id)
    proposal = open_proposal(repo, row.id)
    body = {"scenario_id": row.id, "name": row.name, "published_timetable_id": published,
            "clock": clock_out(repo, settings, row.id).model_dump(mode="json"),
            "open_proposal": proposal.id if proposal is not None else None}
    headers = {"ETag": f'"{published}"'} if published else {}
    return JSONResponse(body, headers=headers)


def clock_out(repo: Repository, settings: Settings, scenario_id: str) -> ClockOut:
    stored = stored_clock(repo, scenario_id)
    clock = summit_clock(stored, settings.clock)
    source = "summit" if stored else "service" if settings.clock else "real"
    return ClockOut(scenario_id=scenario_id, now=clock.now() if clock else datetime.now(UTC),
                    setting=clock.setting() if clock else None, kind=clock.describe() if clock else "real",
                    source=source)


@router.get("/summits/{scenario_id}/clock", response_model=ClockOut, responses=_ERRORS)
def get_clock(scenario_id: str, _: Reader, repo: RepoDep, settings: SettingsDep) -> ClockOut:
    """What time it is on the summit (re-plans and reports during the summit's days use it as ``now``)."""
    scenario_or_404(repo, scenario_id)
    return clock_out(repo, settings, scenario_id)


@router.put("/summits/{scenario_id}/clock", response_model=ClockOut, responses=_ERRORS)
def put_clock(scenario_id: str, body: ClockIn, _: Writer, repo: RepoDep, settings: SettingsDep) -> ClockOut:
    """Set the summit's clock for a rehearsal: fixed ``2025-10-26T09:00+07:00`` or accelerated
    ``2025-10-26T09:00+07:00x60`` (from now, 60 times as fast); null: back to the service's clock."""
    scenario_or_404(repo, scenario_id)
    setting = None
    if body.clock is not None:
        try:
            setting = parse_clock(body.clock).setting()
        except ClockError as error:
            raise ApiError(422, "validation_error", str(error),
                           [{"path": "clock", "value": body.clock, "message": str(error)}]) from None
    set_clock(repo, scenario_id, setting)
    return clock_out(repo, settings, scenario_id)




# ------------------------------------------------------------------------------- reports and proposals


def _now(repo: Repository, settings: Settings, scenario_id: str) -> datetime:
    return summit_now(stored_clock(repo, scenario_id), settings.clock)


@router.post("/summits/{scenario_id}/reports", status_code=202, response_model=ProposalOut,
             responses={**_ERRORS, 429: {}})
def report(scenario_id: str, body: ReportIn, key: Writer, repo: RepoDep, runner: RunnerDep, settings: SettingsDep,
           limiter: LimiterDep, response: Response) -> ProposalOut:
    """Report what happens (event started/ended/running late, participant arrived/delayed, room out): it
    becomes a change from now (the summit's clock) and a re-plan of the published plan starts at once. The
    answer is the open proposal (reports already open are folded in); poll it until its job is done, then
    accept or discard it."""
    scenario_or_404(repo, scenario_id)
    limiter.check(key.id)
    proposal = file_report(repo, runner, settings, key.id, scenario_id, body, _now(repo, settings, scenario_id))
    response.headers["Location"] = f"/proposals/{proposal.id}"
    return proposal_out(repo, proposal)


@router.get("/summits/{scenario_id}/proposal", response_model=ProposalOut, responses=_ERRORS)
def current_proposal(scenario_id: str, _: Reader, repo: RepoDep) -> ProposalOut:
    """The summit's open proposal (404 when there is none)."""
    scenario_or_404(repo, scenario_id)
    proposal = open_proposal(repo, scenario_id)
    if proposal is None:
        raise ApiError(404, "not_found", "this summit has no open proposal")
    return proposal_out(repo, proposal)


@router.get("/proposals/{proposal_id}", response_model=ProposalOut, responses=_ERRORS)
def get_proposal(proposal_id: str, _: Reader, repo: RepoDep) -> ProposalOut:
    """A proposal: its reports, changes, re-plan job, draft, diff, disruption and bound (or why nothing fits)."""
    return proposal_out(repo, proposal_or_404(repo, proposal_id))


@router.post("/proposals/{proposal_id}/accept", response_model=ProposalOut, responses=_ERRORS)
def accept_proposal(proposal_id: str, key: Writer, repo: RepoDep, settings: SettingsDep,
                    body: PublishRequest | None = None) -> ProposalOut:
    """Accept: publish the proposal's draft (refused like a publish: 409 when another plan was published since
    or when it moves a started event without ``allow_past_changes``)."""
    allow = body.allow_past_changes if body is not None else False
    proposal = proposal_or_404(repo, proposal_id)
    outcome = accept(repo, proposal, key.id, allow, settings.clock)
    return proposal_out(repo, proposal_or_404(repo, proposal_id), outcome.to_dict())


@router.post("/proposals/{proposal_id}/discard", response_model=ProposalOut, responses=_ERRORS)
def discard_proposal(proposal_id: str, _: Writer, repo: RepoDep) -> ProposalOut:
    """Discard: the published plan stays; the proposal's re-plan is stopped."""
    return proposal_out(repo, discard(repo, proposal_or_404(repo, proposal_id)))


@router.post("/proposals/{proposal_id}/unfreeze", status_code=202, response_model=ProposalOut,
             responses={**_ERRORS, 429: {}})
def unfreeze_events(proposal_id: str, body: UnfreezeIn, key: Writer, repo: RepoDep, runner: RunnerDep,
                    settings: SettingsDep, limiter: LimiterDep) -> ProposalOut:
    """Lift the freeze window for these events and re-plan the proposal (they may move although they start
    within the freeze window)."""
    limiter.check(key.id)
    proposal = proposal_or_404(repo, proposal_id)
    now = _now(repo, settings, proposal.scenario_id)
    return proposal_out(repo, refile(repo, runner, settings, key.id, proposal, body.events, now))
