"""Secrets never reach a log: every log record of the process (ours, uvicorn's access and error logs,
Celery's) is redacted when it is made, and so is the path the audit log stores.

What counts as a secret: API keys (``sk_...``), the token in a feed's address (``/feeds/{token}/...``:
the feed's only secret), bearer credentials, ``token=``/``key=``/``secret=``-like query or form values,
JSON fields named like a secret (webhook secrets), and the password in a URL (``scheme://user:password@``).
"""

from __future__ import annotations

import logging
import re
from typing import Any

MASK = "***"
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"sk_[A-Za-z0-9_\-]{6,}"), "sk_" + MASK),
    (re.compile(r"(/feeds/)(?!me\b)[^/\s?\"']+"), r"\1" + MASK),
    (re.compile(r"(?i)(bearer\s+)[^\s\"',]+"), r"\1" + MASK),
    (re.compile(r"(?i)([?&;\s](?:token|key|api_key|secret|signature|password)=)[^&\s\"']+"), r"\1" + MASK),
    (re.compile(r"(?i)(\"(?:[a-z_]*secret|[a-z_]*token|api_key|password)\"\s*:\s*\")[^\"]*"), r"\1" + MASK),
    (re.compile(r"(?i)('(?:[a-z_]*secret|[a-z_]*token|api_key|password)'\s*:\s*')[^']*"), r"\1" + MASK),
    (re.compile(r"(://[^:/@\s]+:)[^@/\s]+@"), r"\1" + MASK + "@"),
]


def redact(text: str) -> str:
    """The text with every secret it shows replaced by ``***``."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class _Shown:
    """An argument (an exception, a URL object) shown through ``%s``/``%r`` with its secrets redacted."""

    def __init__(self, value: Any) -> None:
        self._str, self._repr = redact(str(value)), redact(repr(value))

    def __str__(self) -> str:
        return self._str

    def __repr__(self) -> str:
        return self._repr


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, (int, float, bytes)):
        return value
    shown = _Shown(value)
    return shown if (str(shown), repr(shown)) != (str(value), repr(value)) else value


def _redacted(record: logging.LogRecord) -> logging.LogRecord:
    """Each string argument and the format redacted, the record's shape kept (uvicorn's access formatter
    reads its arguments one by one)."""
    if isinstance(record.msg, str):
        record.msg = redact(record.msg)
    if isinstance(record.args, tuple):
        record.args = tuple(_clean(arg) for arg in record.args)
    elif isinstance(record.args, dict):
        record.args = {name: _clean(arg) for name, arg in record.args.items()}
    return record


_installed = False


def install_redaction() -> None:
    """Redact every log record this process makes from now on (idempotent)."""
    global _installed
    if _installed:
        return
    make = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return _redacted(make(*args, **kwargs))

    logging.setLogRecordFactory(factory)
    _installed = True
