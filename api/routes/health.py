from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import text

from api.deps import RepoDep, SettingsDep
from api.schemas import HealthOut

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthOut)
def health(request: Request, repo: RepoDep, settings: SettingsDep) -> HealthOut:
    """Liveness and database reachability; with the celery runner, the broker and how many workers answer
    on the service's queue (asked at most every 5 s). No key needed."""
    try:
        with repo.session() as s:
            s.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # the service is up, the database is not: say so, do not 500
        database = "unreachable"
    broker, workers = None, None
    if settings.runner == "celery":
        probe = getattr(request.app.state, "cluster_probe", None)
        if probe is None:
            from api.jobs.celery_app import ClusterProbe

            probe = request.app.state.cluster_probe = ClusterProbe()
        broker, workers = probe()
    healthy = database == "ok" and broker in (None, "ok")
    return HealthOut(status="ok" if healthy else "degraded", database=database, runner=settings.runner,
                     broker=broker, workers=workers)
