from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import Admin, RepoDep
from api.schemas import MAX_OFFSET, AuditOut, ErrorOut

router = APIRouter(prefix="/audit", tags=["audit"])

_ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorOut} for code in (401, 403, 422)}


@router.get("", response_model=list[AuditOut], responses=_ERRORS)
def list_audit(_: Admin, repo: RepoDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
               offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0) -> list[AuditOut]:
    """Every write (who, what, when), newest first."""
    return [AuditOut(id=a.id, at=a.at, key_id=a.key_id, role=a.role, method=a.method, path=a.path,
                     status_code=a.status_code) for a in repo.list_audit(limit, offset)]
