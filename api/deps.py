"""Dependencies the routes declare with ``Annotated``: settings, store, runner, the caller's key and role."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from api.errors import ApiError, forbidden
from api.jobs.runner import JobRunner
from api.settings import Settings
from api.store.models import ApiKey
from api.store.repository import Repository

log = logging.getLogger(__name__)


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


async def get_repo(request: Request) -> Repository:
    return request.app.state.repo  # type: ignore[no-any-return]


async def get_runner(request: Request) -> JobRunner:
    return request.app.state.runner  # type: ignore[no-any-return]


SettingsDep = Annotated[Settings, Depends(get_settings)]
RepoDep = Annotated[Repository, Depends(get_repo)]
RunnerDep = Annotated[JobRunner, Depends(get_runner)]

_bearer = HTTPBearer(auto_error=False, description="an API key: `Authorization: Bearer <key>`")


async def current_key(request: Request, repo: RepoDep,
                      credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> ApiKey:
    """The caller's key, or 401. (Dependencies here are ``async`` so that none costs a thread hop.)"""
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None or not credentials.credentials:
        raise ApiError(401, "unauthorized", "send an API key as 'Authorization: Bearer <key>'", headers=challenge)
    key = repo.known_key(credentials.credentials) or await run_in_threadpool(repo.key_by_secret,
                                                                             credentials.credentials)
    if key is None:
        raise ApiError(401, "unauthorized", "unknown or revoked API key", headers=challenge)
    request.state.api_key = key  # for the audit log
    return key


def require(*roles: str) -> Callable[[ApiKey], Awaitable[ApiKey]]:
    async def check(key: Annotated[ApiKey, Depends(current_key)]) -> ApiKey:
        if key.role not in roles:
            raise forbidden(f"role {key.role!r} may not do this (allowed: {', '.join(roles)})")
        return key

    return check


AnyKey = Annotated[ApiKey, Depends(current_key)]
Reader = Annotated[ApiKey, Depends(require("admin", "planner", "viewer"))]
Writer = Annotated[ApiKey, Depends(require("admin", "planner"))]
Admin = Annotated[ApiKey, Depends(require("admin"))]
AgendaReader = Annotated[ApiKey, Depends(require("admin", "planner", "viewer", "liaison"))]


class RateLimiter:
    """At most ``per_minute`` job submissions per key over any sliding minute (``limits``' moving window).

    With ``redis_url`` the window lives in Redis, so several API processes behind one address count
    together; without it, in this process. If Redis cannot be reached, submissions are let through (and
    logged): a rate limit that fails closed would stop every planner for want of a counter."""

    def __init__(self, per_minute: int, redis_url: str | None = None) -> None:
        from limits import RateLimitItemPerMinute
        from limits.storage import MemoryStorage, RedisStorage, Storage
        from limits.strategies import MovingWindowRateLimiter

        self.per_minute = per_minute
        self.shared = redis_url is not None
        storage: Storage = RedisStorage(redis_url, key_prefix="summit-limits", wrap_exceptions=True,
                                        socket_timeout=2) if redis_url else MemoryStorage()
        self._limit = RateLimitItemPerMinute(per_minute)
        self._limiter = MovingWindowRateLimiter(storage)

    def check(self, key_id: str) -> None:
        from limits.errors import StorageError

        try:
            allowed = self._limiter.hit(self._limit, "jobs", key_id)
            if allowed:
                return
            reset = self._limiter.get_window_stats(self._limit, "jobs", key_id).reset_time
        except StorageError as error:
            log.warning("rate limit store unreachable, submission let through: %r", error)
            return
        retry = max(1, int(reset - time.time()) + 1)
        raise ApiError(429, "rate_limited", f"at most {self.per_minute} job submissions per minute per key",
                       headers={"Retry-After": str(retry)})


async def get_limiter(request: Request) -> RateLimiter:
    return request.app.state.limiter  # type: ignore[no-any-return]


LimiterDep = Annotated[RateLimiter, Depends(get_limiter)]
