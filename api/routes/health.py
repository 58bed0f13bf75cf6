from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from api.deps import RepoDep
from api.schemas import HealthOut

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthOut)
def health(repo: RepoDep) -> HealthOut:
    """Liveness and database reachability; no key needed."""
    try:
        with repo.session() as s:
            s.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # the service is up, the database is not: say so, do not 500
        database = "unreachable"
    return HealthOut(status="ok" if database == "ok" else "degraded", database=database)
