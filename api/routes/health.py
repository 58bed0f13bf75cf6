from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import text

from api.deps import RepoDep, SettingsDep
from api.jobs.cluster import Lease
from api.jobs.sweep import jobs_health
from api.schemas import HealthOut, JobsHealthOut

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthOut)
def health(request: Request, repo: RepoDep, settings: SettingsDep) -> HealthOut:
    """Liveness and database reachability; with the celery runner, the broker and how many workers answer
    on the service's queue (asked at most every 5 s); jobs waiting over a minute or lost ("degraded").
    No key needed."""
    jobs = None
    try:
        with repo.session() as s:
            s.execute(text("SELECT 1"))
        database = "ok"
        lease = Lease(settings.job_lease_s, settings.max_attempts) if settings.runner == "celery" else None
        jobs = JobsHealthOut(**vars(jobs_health(repo, lease)))
    except Exception:  # the service is up, the database is not: say so, do not 500
        database = "unreachable"
    broker, workers = None, None
    if settings.runner == "celery":
        probe = getattr(request.app.state, "cluster_probe", None)
        if probe is None:
            from api.jobs.celery_app import ClusterProbe

            probe = request.app.state.cluster_probe = ClusterProbe()
        broker, workers = probe()
    healthy = database == "ok" and broker in (None, "ok") and not (jobs and (jobs.waiting_over_minute or
                                                                            jobs.running_without_lease))
    return HealthOut(status="ok" if healthy else "degraded", database=database, runner=settings.runner,
                     broker=broker, workers=workers, jobs=jobs)
