"""One JSON shape for every error: ``{"error": code, "message": ..., "details": [...]}``."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from solver.scenario import ScenarioError, format_path

log = logging.getLogger(__name__)

_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
          406: "not_acceptable", 408: "request_timeout", 409: "conflict", 413: "payload_too_large",
          415: "unsupported_media_type", 422: "validation_error", 429: "rate_limited"}


class ApiError(Exception):
    """An error the client can act on; routes raise it, the handler shapes it."""

    def __init__(self, status: int, code: str, message: str, details: list[Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []
        self.headers = headers


def not_found(kind: str, ident: str) -> ApiError:
    return ApiError(404, "not_found", f"no {kind} with id {ident!r}")


def forbidden(message: str = "your key's role does not allow this") -> ApiError:
    return ApiError(403, "forbidden", message)


def invalid(error: ScenarioError, what: str = "scenario") -> ApiError:
    count = len(error.problems)
    return ApiError(422, f"invalid_{what}", f"the {what} has {count} problem(s)",
                    [p.to_dict() for p in error.problems])


def check_changes(apply: Callable[[], object], path: str) -> None:
    """Run ``apply`` (parsing and applying change operations); any problem answers 422 ``invalid_changes``
    with its paths, never a 500."""
    try:
        apply()
    except ScenarioError as error:
        raise invalid(error, "changes") from None
    except Exception as error:  # the change reader should only raise ScenarioError; bad input never answers 500
        log.warning("changes reader failed on bad input: %r", error)
        raise ApiError(422, "invalid_changes", f"the changes cannot be applied ({type(error).__name__}: {error})",
                       [{"path": path, "message": str(error), "value": None}]) from None


def error_body(code: str, message: str, details: list[Any] | None = None) -> dict[str, Any]:
    return {"error": code, "message": _renderable(message), "details": _renderable(details or [])}


def _renderable(value: Any) -> Any:
    """The value as strict JSON can carry it: a bad input echoed in an error (NaN, Infinity, an unpaired
    surrogate) must not turn the 4xx into a 500."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {_renderable(str(k)): _renderable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_renderable(v) for v in value]
    return value


def error_response(status: int, code: str, message: str, details: list[Any] | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


def _short(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**63:
        return str(value) if value.bit_length() <= 256 else f"an integer of {value.bit_length()} bits"
    if isinstance(value, str | int | float | bool) or value is None:
        return value if not isinstance(value, str) or len(value) <= 80 else value[:77] + "..."
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


async def _api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _CODES.get(exc.status_code, "error" if exc.status_code >= 500 else "bad_request")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    return error_response(exc.status_code, code, message, headers=getattr(exc, "headers", None))


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        ctx = next(e.get("ctx") or {} for e in errors if e.get("type") == "json_invalid")
        return error_response(400, "malformed_json", f"the body is not valid JSON: {ctx.get('error', 'parse error')}")
    details = [{"path": format_path([p for p in e["loc"] if isinstance(p, str | int)]), "message": e["msg"],
                "value": _short(e.get("input"))} for e in errors]
    return error_response(422, "validation_error", f"the request has {len(details)} problem(s)", details)


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error", exc_info=exc)
    return error_response(500, "internal_error", "unexpected server error")


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
