from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel

from api.deps import Admin, AnyKey, RepoDep
from api.errors import ApiError
from api.schemas import ErrorOut, KeyCreated, KeyOut, KeyRequest

router = APIRouter(prefix="/keys", tags=["keys"])

_ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorOut} for code in (401, 403, 422)}


@router.post("", status_code=201, response_model=KeyCreated, responses=_ERRORS)
def create_key(body: KeyRequest, key: Admin, repo: RepoDep, response: Response) -> KeyCreated:
    """A new API key; the secret is in this answer only (the store keeps its sha256)."""
    if (body.role == "liaison") != (body.delegation is not None):
        raise ApiError(422, "validation_error", "a liaison key needs a delegation, and only a liaison key has one",
                       [{"path": "delegation", "message": "required for role liaison, not allowed otherwise",
                         "value": body.delegation}])
    created, secret = repo.create_key(body.role, body.delegation, body.label, key.id)
    response.headers["Location"] = f"/keys/{created.id}"
    return KeyCreated(id=created.id, role=body.role, delegation=created.delegation, label=created.label,
                      created_at=created.created_at, key=secret)


@router.get("", response_model=list[KeyOut], responses=_ERRORS)
def list_keys(_: Admin, repo: RepoDep) -> list[KeyOut]:
    return [KeyOut(id=k.id, role=k.role, delegation=k.delegation, label=k.label,  # type: ignore[arg-type]
                   created_at=k.created_at) for k in repo.list_keys()]


class KeyMe(BaseModel):
    role: str
    delegation: str | None = None
    label: str | None = None


@router.get("/me", response_model=KeyMe, responses={401: {"model": ErrorOut}})
def whoami(key: AnyKey) -> KeyMe:
    """The caller's own key: its role, delegation (liaison) and label, so that a client knows what to show."""
    return KeyMe(role=key.role, delegation=key.delegation, label=key.label)
