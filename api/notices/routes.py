"""Routes: a delegation's webhook subscriptions, its notices, and their live stream (server-sent events).

Who may: a planner (or admin) for any delegation of the summit; a liaison for its own delegation only; a viewer
may read notices but not subscribe. The subscription's secret is answered once, at creation.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from api.deps import AgendaReader, Reader, RepoDep
from api.errors import forbidden, not_found
from api.lookups import scenario_or_404
from api.notices.outbox import notice_body, notices_since
from api.schemas import ErrorOut
from api.store.models import ApiKey, NoticeDelivery, NoticeSubscription
from api.store.repository import Repository

router = APIRouter(tags=["notices"])
_ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorOut} for code in (401, 403, 404, 422)}
_EVENT_ID = re.compile(r"[0-9]{1,18}")
KEEP_ALIVE_SECONDS = 15.0
STREAM_POLL_SECONDS = 1.0


class SubscriptionIn(BaseModel):
    url: str = Field(max_length=2000, description="the webhook: an http:// or https:// URL that accepts POST")

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value):
            raise ValueError(f"{value!r} is not an http:// or https:// URL")
        return value


class SubscriptionOut(BaseModel):
    id: str
    summit_id: str
    delegation: str
    url: str
    active: bool
    created_at: str
    delivered: int = 0
    pending: int = 0
    failed: int = 0
    secret: str | None = Field(None, description="the HMAC-SHA256 key of X-Summit-Signature: answered only once")


def _delegations(repo: Repository, summit_id: str) -> set[str]:
    row = scenario_or_404(repo, summit_id)
    version = repo.get_version(summit_id, row.latest_version, with_document=True)
    assert version is not None
    return {p.delegation for p in repo.scenario_model(version).participants if p.delegation}


def _check(repo: Repository, key: ApiKey, summit_id: str, delegation: str, write: bool) -> None:
    if key.role == "liaison" and key.delegation != delegation:
        raise forbidden(f"a liaison key of {key.delegation!r} acts only for its own delegation, not {delegation!r}")
    if write and key.role == "viewer":
        raise forbidden("role 'viewer' may not do this (allowed: admin, planner, liaison for its delegation)")
    if delegation not in _delegations(repo, summit_id):
        raise not_found("delegation in this summit", delegation)


def _out(repo: Repository, sub: NoticeSubscription, secret: str | None = None) -> SubscriptionOut:
    with repo.session() as s:
        states = list(s.scalars(select(NoticeDelivery.status).where(NoticeDelivery.subscription_id == sub.id)))
    return SubscriptionOut(id=sub.id, summit_id=sub.summit_id, delegation=sub.delegation, url=sub.url,
                           active=sub.active, created_at=sub.created_at.isoformat(), secret=secret,
                           delivered=states.count("delivered"), pending=states.count("pending"),
                           failed=states.count("failed"))


def _create(repo: Repository, key: ApiKey, summit_id: str, delegation: str, url: str) -> SubscriptionOut:
    _check(repo, key, summit_id, delegation, write=True)
    secret = secrets.token_urlsafe(32)
    sub = NoticeSubscription(summit_id=summit_id, delegation=delegation, url=url, secret=secret, created_by=key.id)
    with repo.session() as s:
        s.add(sub)
        s.commit()
    return _out(repo, sub, secret)


@router.post("/summits/{summit_id}/delegations/{delegation}/subscriptions", status_code=201,
             response_model=SubscriptionOut, responses=_ERRORS)
async def create_subscription(summit_id: str, delegation: str, body: SubscriptionIn, key: AgendaReader,
                              repo: RepoDep) -> SubscriptionOut:
    """Send this delegation's notices to a webhook, signed with the secret answered here (only here)."""
    return await run_in_threadpool(_create, repo, key, summit_id, delegation, body.url)


def _list(repo: Repository, key: ApiKey, summit_id: str, delegation: str) -> list[SubscriptionOut]:
    _check(repo, key, summit_id, delegation, write=False)
    with repo.session() as s:
        subs = list(s.scalars(select(NoticeSubscription).where(
            NoticeSubscription.summit_id == summit_id, NoticeSubscription.delegation == delegation,
            NoticeSubscription.active.is_(True)).order_by(NoticeSubscription.created_at)))
    return [_out(repo, sub) for sub in subs]


@router.get("/summits/{summit_id}/delegations/{delegation}/subscriptions", response_model=list[SubscriptionOut],
            responses=_ERRORS)
async def list_subscriptions(summit_id: str, delegation: str, key: AgendaReader,
                             repo: RepoDep) -> list[SubscriptionOut]:
    """The delegation's active webhooks with their deliveries so far (delivered, pending, failed)."""
    return await run_in_threadpool(_list, repo, key, summit_id, delegation)


def _delete(repo: Repository, key: ApiKey, summit_id: str, delegation: str, subscription_id: str) -> None:
    _check(repo, key, summit_id, delegation, write=True)
    with repo.session() as s:
        sub = s.get(NoticeSubscription, subscription_id)
        if sub is None or sub.summit_id != summit_id or sub.delegation != delegation or not sub.active:
            raise not_found("subscription", subscription_id)
        sub.active = False
        s.commit()


@router.delete("/summits/{summit_id}/delegations/{delegation}/subscriptions/{subscription_id}", status_code=204,
               responses=_ERRORS)
async def delete_subscription(summit_id: str, delegation: str, subscription_id: str, key: AgendaReader,
                              repo: RepoDep) -> Response:
    """Stop sending to this webhook (deliveries not yet made are dropped; attempts stay recorded)."""
    await run_in_threadpool(_delete, repo, key, summit_id, delegation, subscription_id)
    return Response(status_code=204)


def _notices(repo: Repository, key: ApiKey, summit_id: str, delegation: str, after: int) -> list[dict[str, Any]]:
    _check(repo, key, summit_id, delegation, write=False)
    with repo.session() as s:
        return [notice_body(n) for n in notices_since(s, summit_id, delegation, after)]


@router.get("/summits/{summit_id}/delegations/{delegation}/notices", responses=_ERRORS)
async def list_notices(summit_id: str, delegation: str, key: AgendaReader, repo: RepoDep,
                       after: Annotated[int, Query(ge=0, description="only notices with a larger id")] = 0,
                       ) -> list[dict[str, Any]]:
    """The delegation's notices, oldest first (at most 100 after ``after``)."""
    return await run_in_threadpool(_notices, repo, key, summit_id, delegation, after)


@router.get("/summits/{summit_id}/delegations/{delegation}/notices/stream",
            responses={**_ERRORS, 200: {"content": {"text/event-stream": {}}}})
async def stream_notices(summit_id: str, delegation: str, request: Request, key: AgendaReader, repo: RepoDep,
                         last_event_id: Annotated[str | None, Header()] = None,
                         after: Annotated[int | None, Query(ge=0)] = None) -> StreamingResponse:
    """Server-sent events: one ``notice`` event per notice (its id as the event id), as publishes write them. A
    client reconnecting with ``Last-Event-ID`` (or ``?after=``) gets only those it has not seen; without either,
    only notices written from now on."""
    await run_in_threadpool(_check, repo, key, summit_id, delegation, False)
    start = await _stream_start(repo, summit_id, delegation, last_event_id, after)
    return StreamingResponse(_stream(request, repo, summit_id, delegation, start), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.get("/summits/{summit_id}/notices/stream", responses={**_ERRORS, 200: {"content": {"text/event-stream": {}}}})
async def stream_all_notices(summit_id: str, request: Request, key: Reader, repo: RepoDep,
                             last_event_id: Annotated[str | None, Header()] = None,
                             after: Annotated[int | None, Query(ge=0)] = None) -> StreamingResponse:
    """The summit's notices to every delegation, live, for the planners' summit day page (the same events as a
    delegation's stream, each naming its ``delegation``); a liaison key reads its own delegation's stream only."""
    await run_in_threadpool(scenario_or_404, repo, summit_id)
    start = await _stream_start(repo, summit_id, None, last_event_id, after)
    return StreamingResponse(_stream(request, repo, summit_id, None, start), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


async def _stream_start(repo: Repository, summit_id: str, delegation: str | None, last_event_id: str | None,
                        after: int | None) -> int:
    """Where a stream starts: after the client's ``Last-Event-ID`` (a reconnection), else after ``?after=``, else
    after the newest notice (only what is written from now on)."""
    if last_event_id and _EVENT_ID.fullmatch(last_event_id):
        return int(last_event_id)
    if after is not None:
        return after
    return await run_in_threadpool(_newest_id, repo, summit_id, delegation)


def _newest_id(repo: Repository, summit_id: str, delegation: str | None) -> int:
    with repo.session() as s:
        newest = 0
        while batch := notices_since(s, summit_id, delegation, newest, limit=1000):
            newest = batch[-1].id
        return newest


def _since(repo: Repository, summit_id: str, delegation: str | None, after: int) -> list[tuple[int, dict[str, Any]]]:
    with repo.session() as s:
        return [(n.id, notice_body(n)) for n in notices_since(s, summit_id, delegation, after)]


async def _stream(request: Request, repo: Repository, summit_id: str, delegation: str | None,
                  after: int) -> AsyncIterator[str]:
    last, quiet = after, 0.0
    yield ": notices\n\n"
    while not await request.is_disconnected():
        try:
            batch = await run_in_threadpool(_since, repo, summit_id, delegation, last)
        except Exception:  # the database away for a moment: the stream waits, the next poll retries
            batch = []
        for ident, body in batch:
            last = ident
            yield f"id: {ident}\nevent: notice\ndata: {json.dumps(body, ensure_ascii=False)}\n\n"
        quiet = 0.0 if batch else quiet + STREAM_POLL_SECONDS
        if quiet >= KEEP_ALIVE_SECONDS:
            quiet = 0.0
            yield ": keep-alive\n\n"
        await asyncio.sleep(STREAM_POLL_SECONDS)

