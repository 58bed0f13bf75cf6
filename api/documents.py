"""Reading a request body as JSON or YAML, strictly by its content type.

YAML anchors and aliases are refused: a few lines of them can expand into a structure that
takes minutes to validate (the "billion laughs"), and scenarios never need them.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from api.errors import ApiError


class _NoAliasLoader(yaml.SafeLoader):
    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            mark = event.start_mark
            raise yaml.YAMLError(f"aliases are not accepted (line {mark.line + 1}, column {mark.column + 1})")
        return super().compose_node(parent, index)


def read_body(raw: bytes, media_type: str) -> Any:
    """The parsed document, or a 400 ``malformed_document`` that says where the text is wrong."""
    if not raw.strip():
        raise ApiError(400, "empty_body", "send a scenario as the body (JSON or YAML)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "malformed_document", "the body is not UTF-8 text") from None
    if media_type.endswith("json"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise ApiError(400, "malformed_document", f"the body is not valid JSON: {error.msg} at line "
                                                      f"{error.lineno}, column {error.colno}") from None
    try:
        return yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ApiError(400, "malformed_document",
                       f"the body is not valid YAML{where}: {getattr(error, 'problem', None) or error}") from None
