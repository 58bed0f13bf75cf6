"""Never a 500 for bad input: the tiny scenario and a change list, each with one field broken at random."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import TINY, Server

DOCUMENT = json.loads(json.dumps(yaml.safe_load(TINY.read_text()), default=str))
ODD = st.one_of(st.none(), st.integers(-10**12, 10**12), st.floats(allow_nan=False), st.text(max_size=30),
                st.booleans(), st.just([]), st.just({}), st.just(["x"]), st.just({"x": 1}),
                st.just("2025-10-25T25:99"), st.just("2025-13-45"), st.just(-1), st.just(0))


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += _paths(value, (*prefix, index))
    return out


def _broken(document: Any, path: tuple[Any, ...], value: Any, delete: bool) -> Any:
    doc = copy.deepcopy(document)
    node = doc
    for part in path[:-1]:
        node = node[part]
    if delete and isinstance(node, dict):
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return doc


PATHS = _paths(DOCUMENT)
SETTINGS = settings(max_examples=40, deadline=None, database=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


@SETTINGS
@given(path=st.sampled_from(PATHS), value=ODD, delete=st.booleans())
def test_broken_scenarios_get_4xx_or_201(planner: httpx.Client, path: tuple[Any, ...], value: Any,
                                         delete: bool) -> None:
    response = planner.post("/scenarios", json=_broken(DOCUMENT, path, value, delete))
    assert response.status_code in (201, 400, 413, 422), response.text
    if response.status_code != 201:
        assert set(response.json()) == {"error", "message", "details"}


CHANGE = {"op": "room_closed", "room": "bil-1", "start": "2025-10-25T10:00", "end": "2025-10-25T10:30"}
OPS = ["participant_availability", "participant_delayed", "room_closed", "room_reopened", "event_added",
       "event_cancelled", "event_updated", "pin", "unpin", "resource_capacity", "room_added", "day_added"]


@pytest.fixture(scope="module")
def mutator(server: Server, keys: dict[str, str]) -> Iterator[httpx.Client]:
    """A planner key of its own: its job submissions do not count against the shared planner's rate."""
    with server.client(keys["admin"]) as admin:
        key = admin.post("/keys", json={"role": "planner", "label": "mutations"}).json()["key"]
    with server.client(key) as client:
        yield client


@SETTINGS
@given(op=st.sampled_from(OPS), field=st.sampled_from(["room", "start", "end", "event", "participant", "set",
                                                        "resource", "capacity", "day", "available", "arrival"]),
       value=ODD)
def test_broken_changes_get_4xx_or_202(mutator: httpx.Client, solved: dict[str, str], op: str, field: str,
                                       value: Any) -> None:
    change = {**CHANGE, "op": op, field: value}
    response = mutator.post(f"/timetables/{solved['timetable']}/changes",
                            json={"changes": [change], "time_limit_s": 1})
    assert response.status_code in (202, 422, 429), response.text
    if response.status_code == 202:  # accepted: the job ends, it does not crash the worker
        assert response.json()["status"] in ("queued", "running")
        assert mutator.delete(f"/jobs/{response.json()['id']}").status_code == 200  # keep the queue short
