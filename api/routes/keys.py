from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from api.deps import Admin, AnyKey, RepoDep
from api.errors import ApiError, not_found
from api.lookups import is_id
from api.schemas import ErrorOut, KeyCreated, KeyOut, KeyRequest
from api.store.models import ApiKey

router = APIRouter(prefix="/keys", tags=["keys"])

_ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorOut} for code in (401, 403, 422)}


def _out(key: ApiKey) -> KeyOut:
    return KeyOut(id=key.id, role=key.role, delegation=key.delegation, label=key.label,  # type: ignore[arg-type]
                  created_at=key.created_at, revoked=bool(key.revoked))


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
                      created_at=created.created_at, revoked=False, key=secret)


@router.get("", response_model=list[KeyOut], responses=_ERRORS)
def list_keys(_: Admin, repo: RepoDep) -> list[KeyOut]:
    """Every key, revoked ones too (``revoked``)."""
    return [_out(k) for k in repo.list_keys()]


@router.delete("/{key_id}", response_model=KeyOut, responses={**_ERRORS, 404: {"model": ErrorOut},
                                                               409: {"model": ErrorOut}})
def revoke_key(key_id: str, _: Admin, repo: RepoDep, request: Request) -> KeyOut:
    """Revoke a key: every request with it is refused (401) from this answer on. Revoking twice is harmless;
    the last admin key that is not revoked cannot be (409): create another first, or use ``summit keys``."""
    key = repo.get_key(key_id) if is_id(key_id) else None
    if key is None:
        raise not_found("key", key_id)
    if key.role == "admin" and not key.revoked and repo.active_admins() <= 1:
        raise ApiError(409, "last_admin_key", "this is the last admin key: create another admin key before "
                                              "revoking it (or revoke it with `summit keys revoke`)")
    revoked = repo.revoke_key(key_id)
    assert revoked is not None
    request.app.state.revocations.revoked(key_id)  # every other API process forgets it too
    return _out(revoked)


class KeyMe(BaseModel):
    role: str
    delegation: str | None = None
    label: str | None = None


@router.get("/me", response_model=KeyMe, responses={401: {"model": ErrorOut}})
def whoami(key: AnyKey) -> KeyMe:
    """The caller's own key: its role, delegation (liaison) and label, so that a client knows what to show."""
    return KeyMe(role=key.role, delegation=key.delegation, label=key.label)
