"""Reading a request body as JSON or YAML, strictly by its content type.

YAML is read by libyaml (``yaml.CSafeLoader``): the pure-Python reader took about a minute and
900 MB on a 4 MB document. Without libyaml the service still reads YAML, but only up to
``PURE_YAML_MAX_BYTES``. YAML anchors and aliases are refused: a few lines of them can expand into
a structure that takes minutes to validate (the "billion laughs"), and scenarios never need them.

Both readers refuse what JSON and the store cannot hold, as a 400 that says where: documents nested
deeper than ``MAX_DEPTH`` (the readers and validators recurse), ``NaN`` and ``Infinity`` (not JSON,
and no number of the contract may be one), NUL characters and unpaired surrogates in strings
(neither PostgreSQL nor UTF-8 can store them).
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any

import yaml

from api.errors import ApiError

log = logging.getLogger(__name__)
MAX_DEPTH = 32  # a scenario is about 5 levels deep
PURE_YAML_MAX_BYTES = 256 * 1024
_CLoader: Any = getattr(yaml, "CSafeLoader", None)


def libyaml_available() -> bool:
    """Whether YAML is read by the C library (else only small YAML bodies are accepted)."""
    return _CLoader is not None


class _NotJson(ValueError):
    pass


def _no_constant(name: str) -> Any:
    raise _NotJson(f"{name} is not a JSON number (JSON has no NaN or Infinity)")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotJson(f"the number {text[:40]} is too large for a 64-bit float")
    return value


def loads_json(text: str | bytes) -> Any:
    """``json.loads`` that refuses NaN, Infinity and overflowing floats (a ``ValueError`` saying which)."""
    return json.loads(text, parse_constant=_no_constant, parse_float=_finite)


def _where(path: list[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out or "the document"


def check_document(document: Any, max_depth: int = MAX_DEPTH) -> str | None:
    """What makes a parsed document unstorable, with its path, or None: too deep, a string with a NUL
    or an unpaired surrogate, a non-finite number. Iterative, so that depth cannot exhaust the stack."""
    stack: list[tuple[Any, list[str | int]]] = [(document, [])]
    while stack:
        value, path = stack.pop()
        if len(path) > max_depth:
            return f"the document is nested deeper than {max_depth} levels (at {_where(path[:max_depth])})"
        if isinstance(value, str):
            problem = _text_problem(value)
            if problem:
                return f"{_where(path)}: {problem}"
        elif isinstance(value, float):
            if not math.isfinite(value):
                return f"{_where(path)}: {value} is not a finite number"
        elif isinstance(value, dict):
            for name, item in value.items():
                if isinstance(name, str) and _text_problem(name):
                    return f"{_where(path)}: a field name {_text_problem(name)}"
                stack.append((item, [*path, str(name)]))
        elif isinstance(value, list):
            stack.extend((item, [*path, index]) for index, item in enumerate(value))
    return None


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "contains a NUL character, which cannot be stored"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "contains an unpaired surrogate (not valid Unicode)"
    return None


def _load_yaml(text: str) -> Any:
    """A first pass over libyaml's events (iterative) refuses aliases and depth; only then is the document
    composed and built (both recurse: libyaml's composer in C, which 100,000 levels crash)."""
    _check_events(text)
    loader = _CLoader(text) if _CLoader is not None else yaml.SafeLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _at(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "somewhere"


def _check_events(text: str) -> None:
    depth = 0
    for event in yaml.parse(text, Loader=_CLoader or yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            raise yaml.YAMLError(f"aliases are not accepted ({_at(event.start_mark)})")
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise yaml.YAMLError(f"the document is nested deeper than {MAX_DEPTH} levels "
                                     f"({_at(event.start_mark)})")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def read_body(raw: bytes, media_type: str, max_yaml_bytes: int | None = None) -> Any:
    """The parsed document, or a 400 ``malformed_document`` that says where the text is wrong."""
    if not raw.strip():
        raise ApiError(400, "empty_body", "send a scenario as the body (JSON or YAML)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "malformed_document", "the body is not UTF-8 text") from None
    if media_type.endswith("json"):
        document = _parse_json(text)
    else:
        limit = max_yaml_bytes if max_yaml_bytes is not None else len(raw)
        if _CLoader is None:
            limit = min(limit, PURE_YAML_MAX_BYTES)
        if len(raw) > limit:
            raise ApiError(413, "payload_too_large", f"a YAML body may be at most {limit} bytes (this one has "
                                                     f"{len(raw)}); send larger scenarios as JSON")
        document = _parse_yaml(text)
    problem = check_document(document)
    if problem:
        raise ApiError(400, "malformed_document", problem)
    return document


def _parse_json(text: str) -> Any:
    try:
        return loads_json(text)
    except json.JSONDecodeError as error:
        raise ApiError(400, "malformed_document", f"the body is not valid JSON: {error.msg} at line "
                                                  f"{error.lineno}, column {error.colno}") from None
    except RecursionError:
        raise ApiError(400, "malformed_document",
                       f"the body is not accepted: nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as error:  # NaN, Infinity, an integer of thousands of digits
        raise ApiError(400, "malformed_document", f"the body is not accepted as JSON: {error}") from None


def _parse_yaml(text: str) -> Any:
    try:
        return _load_yaml(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ApiError(400, "malformed_document",
                       f"the body is not valid YAML{where}: {getattr(error, 'problem', None) or error}") from None
    except RecursionError:
        raise ApiError(400, "malformed_document",
                       f"the body is not accepted: nested deeper than {MAX_DEPTH} levels") from None
    except (ValueError, OverflowError, TypeError) as error:  # e.g. a date out of range, an enormous integer
        raise ApiError(400, "malformed_document", f"the YAML body cannot be read: {error}") from None
