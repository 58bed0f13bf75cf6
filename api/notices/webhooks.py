"""Sending one notice to one webhook: a JSON body signed with HMAC-SHA256 and an idempotency key.

Headers a subscriber receives:

* ``X-Summit-Signature: sha256=<hex>``: HMAC-SHA256 of the raw body with the subscription's secret. Verify it
  with :func:`verify` (or the same three lines in any language) before trusting the body.
* ``Idempotency-Key: notice-<notice id>-<subscription id>``: the same for every attempt of one delivery. The
  service sends a notice until the subscriber answers 2xx; a server killed between the answer and its record
  sends it again with the same key, so a subscriber that remembers the keys it has seen applies each notice once.
* ``X-Summit-Notice``: the notice id; ``X-Summit-Attempt``: 1, 2, ...

The secret is never logged, never returned after the subscription's creation, and not part of any error.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

import httpx

SIGNATURE_HEADER = "X-Summit-Signature"


def sign(secret: str, body: bytes) -> str:
    """The signature header's value for ``body``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str) -> bool:
    """True when ``signature`` is this body's with this secret (compared in constant time)."""
    return hmac.compare_digest(sign(secret, body), signature)


def idempotency_key(notice_id: int, subscription_id: str) -> str:
    return f"notice-{notice_id}-{subscription_id}"


@dataclass(frozen=True)
class Answer:
    """What one attempt got: the status code (None when no answer came) or why not, and how long it took."""

    status_code: int | None
    error: str | None
    seconds: float

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post_notice(url: str, secret: str, body: dict[str, Any], *, key: str, attempt: int,
                timeout_s: float) -> Answer:
    """One signed POST of the notice; never raises (a refused connection or a timeout is an answer too)."""
    raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, raw), "Idempotency-Key": key,
               "X-Summit-Notice": str(body.get("id", "")), "X-Summit-Attempt": str(attempt),
               "User-Agent": "summit-scheduler-notices"}
    started = time.monotonic()
    try:
        response = httpx.post(url, content=raw, headers=headers, timeout=timeout_s, follow_redirects=False)
    except httpx.HTTPError as error:  # the message names the URL at most, never the secret
        return Answer(None, f"{type(error).__name__}: {error}"[:500], time.monotonic() - started)
    return Answer(response.status_code, None if response.is_success else f"answered {response.status_code}",
                  time.monotonic() - started)
