"""ASGI middleware: body size, content type and strict JSON guards, HEAD as GET, and the audit log of every
write."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import anyio
from fastapi import HTTPException

from api.documents import check_document, loads_json
from api.errors import error_body
from api.logs import redact
from api.store.repository import Repository

log = logging.getLogger(__name__)
Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[Message], Any]
ASGIApp = Callable[[Scope, Receive, Send], Any]

WRITES = ("POST", "PUT", "PATCH", "DELETE")
JSON_TYPES = ("application/json",)
SCENARIO_TYPES = ("application/json", "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")


class BodyTooLarge(HTTPException):
    """Raised while the body streams in; an HTTPException so that FastAPI passes it on as a 413."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"the body is over {max_bytes} bytes")


async def _send_error(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps(error_body(code, message)).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _media_type(headers: dict[bytes, bytes]) -> str:
    return headers.get(b"content-type", b"").decode("latin-1").split(";")[0].strip().lower()


class GuardMiddleware:
    """413 past ``max_bytes`` (declared or streamed); 415 for a body that is not JSON (or YAML for scenarios)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _send_error(send, 413, "payload_too_large", f"the body is over {self.max_bytes} bytes")
            return
        has_body = (declared is not None and declared != b"0") or b"transfer-encoding" in headers
        allowed = SCENARIO_TYPES if scope["path"].rstrip("/") == "/scenarios" else JSON_TYPES
        media = _media_type(headers)
        if has_body and media and media not in allowed:
            await _send_error(send, 415, "unsupported_media_type",
                              f"content type {media!r} is not accepted here; use {' or '.join(allowed)}")
            return
        if has_body and not media:
            await _send_error(send, 415, "unsupported_media_type",
                              f"send a Content-Type header: {' or '.join(allowed)}")
            return
        if has_body and media == "application/json" and scope["path"].rstrip("/") != "/scenarios":
            problem, receive = await _strict_json(receive, self.max_bytes)
            if problem == "too_large":
                await _send_error(send, 413, "payload_too_large", f"the body is over {self.max_bytes} bytes")
                return
            if problem:
                await _send_error(send, 400, "malformed_json", f"the body is not accepted as JSON: {problem}")
                return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message: Message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        try:
            await self.app(scope, limited, send)
        except BodyTooLarge:
            await _send_error(send, 413, "payload_too_large", f"the body is over {self.max_bytes} bytes")


async def _strict_json(receive: Receive, max_bytes: int) -> tuple[str | None, Receive]:
    """Read a (small: job and key requests) JSON body once and check what FastAPI's reader lets through:
    NaN, Infinity, overflowing floats, deep nesting, NUL characters, unpaired surrogates. The body is then
    replayed to the app unchanged; syntax errors are left to FastAPI's reader (400 ``malformed_json``)."""
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message: Message = await receive()
        if message["type"] != "http.request":
            return None, receive
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > max_bytes:
            return "too_large", receive
        chunks.append(chunk)
        more = message.get("more_body", False)
    body = b"".join(chunks)
    problem: str | None = None
    try:
        problem = check_document(loads_json(body))
    except json.JSONDecodeError:
        pass
    except RecursionError:
        problem = "nested too deeply"
    except ValueError as error:
        problem = str(error)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return problem, replay


class _HeadDone(Exception):
    pass


class HeadMiddleware:
    """HEAD answers as GET would, without the body (FastAPI routes declare GET only, which left HEAD at 405).
    A stream (server-sent events) ends after its headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        finished = False

        async def headers_only(message: Message) -> None:
            nonlocal finished
            if message["type"] == "http.response.start":
                await send(message)
            elif message["type"] == "http.response.body" and not finished:
                finished = True
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                if message.get("more_body", False):
                    raise _HeadDone
            elif finished and message["type"] == "http.response.body" and message.get("more_body", False):
                raise _HeadDone

        try:
            await self.app({**scope, "method": "GET"}, receive, headers_only)
        except _HeadDone:
            pass


def printable_path(scope: Scope) -> str:
    """The request's path and query for the log: NUL and other control characters escaped (PostgreSQL
    refuses NUL in text, and the attempt must still be recorded), secrets (feed tokens) redacted."""
    path = scope["path"] + (("?" + scope["query_string"].decode("latin-1")) if scope["query_string"] else "")
    if any(ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF for c in path):
        path = "".join(c if ord(c) >= 32 and not 0xD800 <= ord(c) <= 0xDFFF else f"\\x{ord(c):02x}"
                       for c in path)
    return redact(path)


class AuditMiddleware:
    """Records who (key), what (method, path, status) and when for every write, before the answer leaves."""

    def __init__(self, app: ASGIApp, repo: Callable[[], Repository]) -> None:
        self.app = app
        self.repo = repo

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITES:
            await self.app(scope, receive, send)
            return

        async def audited(message: Message) -> None:
            if message["type"] == "http.response.start":
                key = scope.get("state", {}).get("api_key")
                await anyio.to_thread.run_sync(self.repo().audit, getattr(key, "id", None),
                                               getattr(key, "role", None), scope["method"], printable_path(scope),
                                               message["status"])
            await send(message)

        await self.app(scope, receive, audited)


# ----------------------------------------------------------------- slow and vanished clients (issue 27)

class BodyTimeout(HTTPException):
    """The client did not send its whole body in time; an HTTPException so that FastAPI answers 408."""

    def __init__(self, seconds: float) -> None:
        super().__init__(408, f"the request body did not arrive within {seconds:g} s (SUMMIT_BODY_TIMEOUT_S)")


class ClientMiddleware:
    """A body must arrive whole within ``body_timeout_s`` of the request (a client sending a byte a second
    is answered 408 and let go); a client that goes away mid-request is logged in one line, not a traceback."""

    def __init__(self, app: ASGIApp, body_timeout_s: float) -> None:
        self.app = app
        self.body_timeout_s = body_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from starlette.requests import ClientDisconnect

        deadline = anyio.current_time() + self.body_timeout_s
        body_done = False
        started = False

        async def timed() -> Message:
            nonlocal body_done
            if body_done:  # after the body, receive waits for the disconnect (streams): no deadline
                return await receive()  # type: ignore[no-any-return]
            try:
                with anyio.fail_after(max(0.0, deadline - anyio.current_time())):
                    message: Message = await receive()
            except TimeoutError:
                raise BodyTimeout(self.body_timeout_s) from None
            body_done = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, timed, tracked)
        except BodyTimeout as timeout:
            log.info("%s %s: the body was too slow to arrive; answered 408", scope["method"], printable_path(scope))
            if not started:
                await _send_error(send, 408, "request_timeout", str(timeout.detail))
        except ClientDisconnect:
            log.info("%s %s: the client went away before its body arrived", scope["method"], printable_path(scope))
