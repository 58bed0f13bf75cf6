from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.deps import Reader, RepoDep, RunnerDep, Writer
from api.lookups import job_or_404, job_out
from api.schemas import ErrorOut, JobOut
from api.store.repository import FINISHED, Repository
from api.streams import KEEP_ALIVE_SECONDS, ProgressHub, Ticket

router = APIRouter(prefix="/jobs", tags=["jobs"])

_ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorOut} for code in (401, 403, 404)}
_EVENT_ID = re.compile(r"[0-9]{1,18}")  # a progress id; anything else starts from the beginning
CANCEL_WAIT_SECONDS = 5.0


@router.get("/{job_id}", response_model=JobOut, responses=_ERRORS)
def get_job(job_id: str, _: Reader, repo: RepoDep) -> JobOut:
    """Status, progress (incumbents: seconds, objective, bound) and, when done, the timetable's id."""
    return job_out(repo, job_or_404(repo, job_id))


@router.delete("/{job_id}", response_model=JobOut, responses=_ERRORS)
def cancel_job(job_id: str, _: Writer, repo: RepoDep, runner: RunnerDep) -> JobOut:
    """Stop the job: a queued one is cancelled; a running one stops and keeps the best timetable found."""
    before = job_or_404(repo, job_id)
    job = repo.request_cancel(job_id)
    assert job is not None
    if before.status in ("queued", "running"):
        runner.cancel(job_id)  # a queued one: a cluster runner also takes its task off the queue
    if job.status == "running":
        deadline = time.monotonic() + CANCEL_WAIT_SECONDS
        while job.status == "running" and time.monotonic() < deadline:
            time.sleep(0.05)
            job = job_or_404(repo, job_id)
    return job_out(repo, job)


@router.get("/{job_id}/events", responses={**_ERRORS, 429: {"model": ErrorOut},
                                          200: {"content": {"text/event-stream": {}}}})
async def job_events(job_id: str, request: Request, key: Reader, repo: RepoDep,
                     last_event_id: Annotated[str | None, Header()] = None) -> StreamingResponse:
    """Server-sent events: one ``progress`` event per incumbent, ``status`` on each change, then ``end``.
    A client that reconnects with ``Last-Event-ID`` gets only the incumbents it has not seen. At most
    ``SUMMIT_MAX_STREAMS_PER_KEY`` streams per key are open at once (429 beyond)."""
    await run_in_threadpool(job_or_404, repo, job_id)
    after = int(last_event_id) if last_event_id and _EVENT_ID.fullmatch(last_event_id) else 0
    hub: ProgressHub = request.app.state.streams
    ticket = hub.open(job_id, key.id)
    return StreamingResponse(_events(request, repo, ticket, after), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _sse(event: str, data: Any, ident: int | None = None) -> str:
    head = f"id: {ident}\n" if ident is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, default=str)}\n\n"


def _snapshot(repo: Repository, job_id: str, after: int) -> tuple[JobOut, list[tuple[int, dict[str, Any]]]]:
    job = job_or_404(repo, job_id)
    progress = [(p.id, {"seconds": p.seconds, "objective": p.objective, "bound": p.bound, "label": p.label})
                for p in repo.job_progress(job, after)]
    return job_out(repo, job), progress


async def _events(request: Request, repo: Repository, ticket: Ticket, after: int) -> AsyncIterator[str]:
    """The stream reads its job when the hub says it changed (or for a keep-alive), not on every tick."""
    last_progress, last_status = after, ""
    try:
        while True:
            job, progress = await run_in_threadpool(_snapshot, repo, ticket.job_id, last_progress)
            for ident, item in progress:
                last_progress = ident
                yield _sse("progress", item, ident)
            if job.status != last_status:
                last_status = job.status
                yield _sse("status", job.model_dump(mode="json", exclude={"progress"}))
            if job.status in FINISHED:
                yield _sse("end", {"status": job.status, "timetable_id": job.timetable_id})
                return
            changed = await ticket.wait(KEEP_ALIVE_SECONDS)
            if await request.is_disconnected():
                return
            if not changed:
                yield ": keep-alive\n\n"
    finally:
        ticket.close()
