"""ASGI middleware: body size and content type guards, and the audit log of every write."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import anyio
from fastapi import HTTPException

from api.errors import error_body
from api.store.repository import Repository

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
                path = scope["path"] + (("?" + scope["query_string"].decode("latin-1")) if scope["query_string"]
                                        else "")
                await anyio.to_thread.run_sync(self.repo().audit, getattr(key, "id", None),
                                               getattr(key, "role", None), scope["method"], path, message["status"])
            await send(message)

        await self.app(scope, receive, audited)
