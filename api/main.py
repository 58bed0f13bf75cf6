"""The FastAPI app: validates, stores, queues and serves. Run with ``summit serve`` or
``uvicorn --factory api.main:create_app``."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from api.deps import RateLimiter
from api.errors import install_handlers
from api.jobs.process import ProcessRunner
from api.jobs.runner import JobRunner, LocalRunner
from api.jobs.work import JobExecutor
from api.middleware import AuditMiddleware, GuardMiddleware
from api.revocations import KeyRevocations
from api.routes import audit, comparisons, health, jobs, keys, scenarios, timetables, web
from api.settings import Settings
from api.store.db import make_engine, upgrade
from api.store.repository import Repository

log = logging.getLogger(__name__)


def _make_runner(settings: Settings, repo: Repository) -> JobRunner:
    if settings.runner == "celery":  # imported only here: the default runners never load Celery
        from api.jobs.celery_app import CeleryRunner

        return CeleryRunner(repo)
    if settings.runner == "process":
        return ProcessRunner(repo, settings.database_url, settings.max_concurrent_jobs, settings.sqlite_synchronous)
    closing = threading.Event()
    return LocalRunner(JobExecutor(repo, closing), settings.max_concurrent_jobs, closing)


def _recover(settings: Settings, repo: Repository) -> list[str]:
    """Jobs to send again at start-up. On a cluster, only those whose worker is gone or whose task may have
    been lost (others may be running on workers right now: their claims refuse any repeat)."""
    if settings.runner == "celery":
        from api.jobs.cluster import Lease, lost_jobs

        return lost_jobs(repo, Lease(settings.job_lease_s, settings.max_attempts))
    return repo.recover_jobs()


def create_app(settings: Settings | None = None, runner: JobRunner | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    problems = settings.cluster_problems()
    if problems:
        raise ValueError("cannot start: " + "; ".join(problems))
    engine = make_engine(settings.database_url, settings.sqlite_synchronous)
    repo = Repository(engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.run_migrations:
            await run_in_threadpool(upgrade, engine)
        app.state.runner = runner or _make_runner(settings, repo)
        requeued = await run_in_threadpool(_recover, settings, repo)
        if requeued:
            log.warning("re-queued %d job(s) left queued or running by the last shutdown", len(requeued))
        for job_id in requeued:
            try:
                app.state.runner.submit(job_id)
            except Exception:  # a broker away at start: the job is marked failed, the service still starts
                log.exception("could not queue job %s again", job_id)
        app.state.revocations.start()
        try:
            yield
        finally:
            app.state.revocations.stop()
            app.state.runner.shutdown()
            engine.dispose()

    app = FastAPI(title="summit-scheduler", version="0.1.0", lifespan=lifespan,
                  description="Scenarios, solve jobs, timetables, agendas and re-planning for diplomatic summits.")
    app.state.settings = settings
    app.state.repo = repo
    app.state.limiter = RateLimiter(settings.jobs_per_minute, settings.shared_redis_url)
    app.state.revocations = KeyRevocations(repo, settings.shared_redis_url)  # revoking a key: .revoked(hash)
    install_handlers(app)
    for module in (health, scenarios, jobs, timetables, comparisons, keys, audit):
        app.include_router(module.router)
    web.install(app)
    app.add_middleware(AuditMiddleware, repo=lambda: repo)
    app.add_middleware(GuardMiddleware, max_bytes=settings.max_body_bytes)
    return app
