from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.calendars import timetable_ics
from api.deps import LimiterDep, Reader, RepoDep, RunnerDep, SettingsDep, Writer
from api.errors import ApiError, not_found
from api.exports import agenda_items, to_csv, to_html
from api.jobs.params import ExplainParams
from api.lookups import job_or_404, job_out, time_limit, timetable_or_404, timetable_with_scenario
from api.publishing import publication_mark
from api.replans import based_row, queue_replan
from api.schemas import ChangesRequest, DiffOut, ErrorOut, ExplainOut, JobOut
from api.store.models import TimetableRow
from api.store.repository import FINISHED, Repository
from solver.diff import diff_timetables
from solver.scenario import Scenario

log = logging.getLogger(__name__)
router = APIRouter(prefix="/timetables", tags=["timetables"])
EXPLAIN_WAIT_SECONDS = 30.0  # beyond the explanation's time limit: its queue and its model building
_explained: dict[tuple[str, str | None, float], ExplainOut] = {}  # timetables never change: nor do their answers

_ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorOut} for code in (401, 403, 404, 422)}
_FORMATS: dict[int | str, dict[str, Any]] = {
    **_ERRORS,
    200: {"content": {"application/json": {}, "text/csv": {"schema": {"type": "string"}},
                      "text/calendar": {"schema": {"type": "string"}}, "text/html": {"schema": {"type": "string"}}}},
}
Format = Annotated[Literal["json", "csv", "ics", "html"], Query(description="json (default), csv, ics or html")]
AgendaFormat = Annotated[Literal["json", "ics"], Query(description="json (default) or ics")]


@dataclass
class _Asked:
    """An explanation being made, and how many requests wait for it."""

    job_id: str
    waiters: int = 0


_asking: dict[tuple[str, str | None, float], _Asked] = {}


async def _explanation_job(question: tuple[str, str | None, float], key_id: str, row: TimetableRow,
                           repo: Repository, runner: Any, limiter: Any) -> Any:
    """The job already making this explanation, or a new one (counted against the key's submissions)."""
    asked = _asking.get(question)
    deadline = time.monotonic() + 30
    while asked is not None and not asked.job_id and time.monotonic() < deadline:  # another asker is making it
        await asyncio.sleep(0.05)
        asked = _asking.get(question)
    if asked is not None and asked.job_id:
        job = await run_in_threadpool(repo.get_job, asked.job_id)
        if job is not None and job.status not in FINISHED:
            return job
    limiter.check(key_id)
    asked = _asking[question] = _Asked("")  # before any await: an asker arriving meanwhile waits for this job
    try:
        params = ExplainParams(event=question[1], time_limit_s=question[2])
        job = await run_in_threadpool(repo.create_job, "explain", row.scenario_id, row.scenario_version_id,
                                      params.stored(), key_id, row.id)
    except BaseException:
        _asking.pop(question, None)
        raise
    asked.job_id = job.id
    await run_in_threadpool(runner.submit, job.id)
    return job


async def _wait_for_answer(job: Any, seconds: float, request: Request, repo: Repository) -> Any:
    """The job once finished, or as it is after ``seconds``, or when the asker has gone."""
    deadline = time.monotonic() + seconds
    while job.status not in FINISHED and time.monotonic() < deadline:
        if await request.is_disconnected():
            break
        await asyncio.sleep(0.1)
        job = await run_in_threadpool(job_or_404, repo, job.id)
    return job


async def _leave(question: tuple[str, str | None, float], job_id: str, request: Request, repo: Repository,
                 runner: Any) -> None:
    """One asker fewer; the last one gone before the answer (client disconnected) stops the job."""
    asked = _asking.get(question)
    if asked is None or asked.job_id != job_id:
        return
    asked.waiters -= 1
    if asked.waiters > 0:
        return
    del _asking[question]
    job = await run_in_threadpool(repo.get_job, job_id)
    if job is not None and job.status not in FINISHED and await request.is_disconnected():
        await run_in_threadpool(repo.request_cancel, job_id)
        await run_in_threadpool(runner.cancel, job_id)
        log.info("explanation job %s stopped: its askers have gone", job_id)


def _names(scenario: Scenario) -> dict[str, str]:
    return {p.id: p.name or p.id for p in scenario.participants}


def _response(body: bytes, media_type: str, headers: dict[str, str]) -> Response:
    return Response(body, media_type=media_type, headers=headers)


@router.get("/{timetable_id}", responses=_FORMATS)
def get_timetable(timetable_id: str, _: Reader, repo: RepoDep, format: Format = "json") -> Response:
    """The contract's Timetable plus its ``id``; or CSV, iCalendar, printable HTML."""
    row = timetable_or_404(repo, timetable_id)
    if format == "json":
        return Response(repo.timetable_json(row), media_type="application/json")
    mark = publication_mark(repo, row) if format == "ics" else ""
    body, media = repo.derived(f"export:{row.id}:{format}:{mark}", lambda: _export(repo, row, format))
    headers = {} if format == "html" else {
        "Content-Disposition": f'attachment; filename="timetable-{row.id}.{format}"'}
    return Response(body, media_type=media, headers=headers)


def _export(repo: Repository, row: TimetableRow, format: str) -> tuple[bytes, str]:
    scenario, timetable = timetable_with_scenario(repo, row)
    items = agenda_items(scenario, timetable)
    if format == "csv":
        return to_csv(items).encode("utf-8"), "text/csv; charset=utf-8"
    if format == "ics":  # stable UIDs, SEQUENCE and cancellations along the re-plans (as the agendas)
        return timetable_ics(repo, row, scenario, timetable), "text/calendar; charset=utf-8"
    subtitle = f"Timetable {row.id} - {timetable.status}, objective {timetable.objective}"
    return to_html(items, scenario.name, subtitle, _names(scenario)).encode("utf-8"), "text/html; charset=utf-8"


@router.post("/{timetable_id}/changes", status_code=202, response_model=JobOut, responses={**_ERRORS, 409: {},
                                                                                          429: {}})
def submit_changes(timetable_id: str, body: ChangesRequest, key: Writer, repo: RepoDep, runner: RunnerDep,
                   settings: SettingsDep, limiter: LimiterDep, response: Response,
                   if_match: Annotated[str | None, Header(description="the published timetable's ETag")] = None
                   ) -> JobOut:
    """Queue a re-plan: the result is a new scenario version and a new draft timetable moving as little as
    possible. It must be based on the summit's published plan (the timetable itself, or a draft re-planning it;
    ``base``/If-Match: the published one the caller saw), else 409 naming the current one, or with
    ``rebase: true`` the changes are re-planned on the published plan. Without ``now``, during the summit's
    days ``now`` is the summit's clock."""
    limit = time_limit(settings, body.time_limit_s)
    limiter.check(key.id)
    row = based_row(repo, timetable_or_404(repo, timetable_id), body.base or etag_value(if_match), body.rebase)
    job = queue_replan(repo, runner, settings, key.id, row, body.changes, body.now, body.freeze_minutes, limit,
                       body.workers, list(getattr(body, "unfreeze", None) or []), robust=body.robust)
    response.headers["Location"] = f"/jobs/{job.id}"
    return job_out(repo, job)


def etag_value(header: str | None) -> str | None:
    """The timetable id in an If-Match header (``"id"`` or ``W/"id"``)."""
    if header is None or header.strip() == "*":
        return None
    return header.strip().removeprefix("W/").strip('"') or None


@router.get("/{timetable_id}/diff/{other_id}", response_model=DiffOut, responses=_ERRORS)
def diff(timetable_id: str, other_id: str, _: Reader, repo: RepoDep) -> DiffOut:
    """What moved, changed room, was added or dropped from the first timetable to the second, and who to tell."""
    old_row, new_row = timetable_or_404(repo, timetable_id), timetable_or_404(repo, other_id)
    if old_row.scenario_id != new_row.scenario_id:
        raise ApiError(422, "different_scenarios", "the two timetables belong to different scenarios")
    old = repo.timetable_model(old_row)
    scenario, new = timetable_with_scenario(repo, new_row)
    return DiffOut(from_timetable=old_row.id, to_timetable=new_row.id,
                   **diff_timetables(scenario, old, new).to_dict())  # type: ignore[arg-type]


@router.get("/{timetable_id}/explain", response_model=ExplainOut, responses={
    **_ERRORS, 202: {"model": JobOut, "description": "still running: the explanation will be the job's result"},
    429: {"model": ErrorOut}})
async def explain(timetable_id: str, key: Reader, repo: RepoDep, settings: SettingsDep, runner: RunnerDep,
                  limiter: LimiterDep, response: Response, request: Request,
                  event: Annotated[str | None, Query(description="why this event is out, and what would let it in")]
                  = None,
                  time_limit_s: Annotated[float | None, Query(ge=0.1, le=60)] = None) -> Any:
    """Why the scenario is infeasible, or why an event is unscheduled and which relaxation would let it in.

    An explanation solves models, so it runs as a job (``kind: explain``) in a worker process with the jobs'
    limits and counts against the key's job submissions; this answers when it is done, or 202 with the job
    after ``EXPLAIN_WAIT_SECONDS`` beyond its time limit. The same question about the same timetable is
    answered from memory, and while it is being made, a second asker waits for the same job. A job whose
    askers have all gone (their clients disconnected) before it ended is stopped: nobody wants it."""
    row = await run_in_threadpool(timetable_or_404, repo, timetable_id)
    limit = min(time_limit_s or settings.explain_time_limit_s, settings.explain_time_limit_s)
    if event is not None:
        scenario, _ = await run_in_threadpool(timetable_with_scenario, repo, row)
        if event not in {e.id for e in scenario.events}:
            raise not_found("event", event)
    remembered = _explained.get((row.id, event, limit))
    if remembered is not None:
        return remembered
    question = (row.id, event, limit)
    job = await _explanation_job(question, key.id, row, repo, runner, limiter)
    _asking[question].waiters += 1
    try:
        job = await _wait_for_answer(job, limit + EXPLAIN_WAIT_SECONDS, request, repo)
    finally:
        await _leave(question, job.id, request, repo, runner)
    if job.status == "done" and job.result is not None:
        out = ExplainOut.model_validate(job.result)
        _explained[row.id, event, limit] = out
        while len(_explained) > 256:
            _explained.pop(next(iter(_explained)))
        return out
    if job.status in FINISHED:
        raise ApiError(422, "explanation_failed", f"the explanation could not be made: {job.error or job.status}")
    pending = await run_in_threadpool(job_out, repo, job)
    return JSONResponse(pending.model_dump(mode="json"), status_code=202, headers={"Location": f"/jobs/{job.id}"})
