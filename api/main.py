"""The FastAPI app: validates, stores, queues and serves. Run with ``summit serve`` or
``uvicorn --factory api.main:create_app``."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.concurrency import run_in_threadpool

from api.deps import RateLimiter
from api.documents import PURE_YAML_MAX_BYTES, libyaml_available
from api.errors import install_handlers
from api.jobs.process import JobLimits, ProcessRunner
from api.jobs.runner import JobRunner, LocalRunner
from api.jobs.work import JobExecutor
from api.logs import install_redaction
from api.middleware import AuditMiddleware, ClientMiddleware, GuardMiddleware, HeadMiddleware
from api.notices import routes as notices
from api.notices.delivery import DeliveryLoop, DeliveryPolicy
from api.revocations import KeyRevocations
from api.routes import agendas, audit, comparisons, health, jobs, keys, scenarios, summit_day, timetables, web
from api.settings import Settings
from api.store.db import make_engine, upgrade
from api.store.repository import Repository
from api.streams import ProgressHub

log = logging.getLogger(__name__)


def _make_runner(settings: Settings, repo: Repository) -> JobRunner:
    if settings.runner == "celery":  # imported only here: the default runners never load Celery
        from api.jobs.celery_app import CeleryRunner

        return CeleryRunner(repo)
    if settings.runner == "process":
        limits = JobLimits(memory_mb=settings.job_memory_mb, explain_time_limit_s=settings.explain_time_limit_s)
        return ProcessRunner(repo, settings.database_url, settings.max_concurrent_jobs, settings.sqlite_synchronous,
                             limits=limits, max_explanations=settings.max_concurrent_explanations,
                             replan_slots=settings.replan_slots)
    closing = threading.Event()
    return LocalRunner(JobExecutor(repo, closing), settings.max_concurrent_jobs, closing)


def _recover(settings: Settings, repo: Repository) -> list[str]:
    """Jobs to send again at start-up. On a cluster, only those whose worker is gone or whose task may have
    been lost (others may be running on workers right now: their claims refuse any repeat)."""
    if settings.runner == "celery":
        from api.jobs.cluster import Lease, lost_jobs

        return lost_jobs(repo, Lease(settings.job_lease_s, settings.max_attempts))
    return repo.recover_jobs()


def _start_sweeper(settings: Settings, repo: Repository, runner: JobRunner) -> Any:
    """On a cluster, this server sweeps for lost jobs every half lease (one server at a time)."""
    send_job, send_solve = getattr(runner, "send_job", None), getattr(runner, "send_solve", None)
    if settings.runner != "celery" or send_job is None or send_solve is None:
        return None
    from api.jobs.cluster import Lease
    from api.jobs.sweep import Sweeper

    sweeper = Sweeper(repo, Lease(settings.job_lease_s, settings.max_attempts), send_job, send_solve)
    sweeper.start()
    return sweeper


def _delivery_loop(settings: Settings, repo: Repository) -> DeliveryLoop | None:
    """The notices' delivery loop of this server (api/notices/delivery.py), unless SUMMIT_NOTICE_DELIVERY=false."""
    if not settings.notice_delivery:
        return None
    loop = DeliveryLoop(repo, DeliveryPolicy(
        poll_s=settings.notice_poll_s, lease_s=settings.notice_lease_s, timeout_s=settings.notice_timeout_s,
        retry_base_s=settings.notice_retry_base_s, retry_max_s=settings.notice_retry_max_s,
        max_attempts=settings.notice_max_attempts))
    loop.start()
    return loop


def create_app(settings: Settings | None = None, runner: JobRunner | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    install_redaction()  # no secret in any log record of this process (api/logs.py)
    problems = settings.cluster_problems()
    if problems:
        raise ValueError("cannot start: " + "; ".join(problems))
    engine = make_engine(settings.database_url, settings.sqlite_synchronous)
    repo = Repository(engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not libyaml_available():
            log.error("PyYAML has no libyaml here: YAML bodies are limited to %d bytes (install libyaml and "
                      "reinstall PyYAML for the C reader)", PURE_YAML_MAX_BYTES)
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
        sweeper = _start_sweeper(settings, repo, app.state.runner)  # cluster recovery (api/jobs/sweep.py)
        deliveries = _delivery_loop(settings, repo)  # notices to delegations: resumes what a killed server left
        try:
            yield
        finally:
            if sweeper is not None:
                sweeper.stop()
            if deliveries is not None:
                await deliveries.stop()
            app.state.revocations.stop()
            app.state.runner.shutdown()
            engine.dispose()

    app = FastAPI(title="summit-scheduler", version="0.1.0", lifespan=lifespan,
                  description="Scenarios, solve jobs, timetables, agendas and re-planning for diplomatic summits.")
    app.state.settings = settings
    app.state.repo = repo
    app.state.limiter = RateLimiter(settings.jobs_per_minute, settings.shared_redis_url)
    app.state.revocations = KeyRevocations(repo, settings.shared_redis_url)  # revoking a key: .revoked(hash)
    app.state.streams = ProgressHub(repo, settings.max_streams_per_key)
    install_handlers(app)
    for module in (health, scenarios, jobs, timetables, agendas, comparisons, keys, audit):
        app.include_router(module.router)
    app.include_router(notices.router)
    app.include_router(summit_day.router)  # the summit day: publish, clock, reports and proposals
    web.install(app)
    # outermost last: HEAD as GET, then the audit log (so that refused writes are logged too), then the guards
    app.add_middleware(GuardMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(AuditMiddleware, repo=lambda: repo)
    app.add_middleware(HeadMiddleware)
    app.add_middleware(ClientMiddleware, body_timeout_s=settings.body_timeout_s)  # outermost: slow/gone clients
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


_BODY_ERRORS = {"400": "malformed JSON (`malformed_json`, `malformed_document`) or an empty body",
                "413": "the body is over SUMMIT_MAX_BODY_BYTES", "415": "the body is not JSON (or YAML for scenarios)"}


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The generated document, plus the errors every operation with a body can answer before its route runs."""
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                if not isinstance(operation, dict) or "requestBody" not in operation:
                    continue
                for status, description in _BODY_ERRORS.items():
                    operation["responses"].setdefault(status, {
                        "description": description,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}})
        app.openapi_schema = schema
    return app.openapi_schema
