"""Bad input gets a 4xx with the error shape, never a 500."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.api.conftest import Server


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, object]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "message", "details"}, body
    assert isinstance(body["message"], str) and body["message"] and isinstance(body["details"], list)
    if code is not None:
        assert body["error"] == code, body
    return body  # type: ignore[no-any-return]


def test_malformed_json_and_yaml(planner: httpx.Client, solved: dict[str, str]) -> None:
    assert_error(planner.post("/scenarios", content=b'{"name": ', headers={"Content-Type": "application/json"}),
                 400, "malformed_document")
    body = assert_error(planner.post("/scenarios", content=b"name: [unclosed\n  - x: :",
                                     headers={"Content-Type": "application/yaml"}), 400, "malformed_document")
    assert "YAML" in str(body["message"])
    assert_error(planner.post("/scenarios", content=b"name: x", headers={"Content-Type": "application/json"}),
                 400, "malformed_document")  # JSON means JSON
    bomb = b"a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b]\n"
    body = assert_error(planner.post("/scenarios", content=bomb, headers={"Content-Type": "application/yaml"}),
                        400, "malformed_document")
    assert "aliases" in str(body["message"])
    assert_error(planner.post("/scenarios", content=b"", headers={"Content-Type": "application/json"}), 400)
    assert_error(planner.post("/scenarios", content=b"\xff\xfe", headers={"Content-Type": "application/json"}), 400)
    assert_error(planner.post("/scenarios", content=b"[1, 2]", headers={"Content-Type": "application/json"}), 422)
    assert_error(planner.post(f"/scenarios/{solved['scenario']}/solve", content=b"{nope",
                              headers={"Content-Type": "application/json"}), 400, "malformed_json")


def test_invalid_scenario_lists_every_problem_with_its_path(planner: httpx.Client) -> None:
    bad = {"name": "x", "slot_minutes": 3, "days": [{"date": "2025-10-25", "start": "09:00", "end": "12:00"}],
           "rooms": [{"id": "r", "name": "R", "capacity": 0}],
           "participants": [{"id": "p", "name": "P", "delegation": "VNM"}],
           "events": [{"id": "e", "title": "E", "kind": "bilateral", "duration_minutes": 30,
                       "participants": ["p", "ghost"]}]}
    body = assert_error(planner.post("/scenarios", json=bad), 422, "invalid_scenario")
    paths = {d["path"] for d in body["details"]}  # type: ignore[attr-defined]
    assert "slot_minutes" in paths and "rooms[0].capacity" in paths and "events[0].participants[1]" in paths


def test_a_bad_minimum_duration_is_422_naming_the_field_the_value_and_what_is_allowed(planner: httpx.Client) -> None:
    events = [{"id": "e", "title": "E", "kind": "round_table", "duration_minutes": 60, "participants": ["p"],
               "min_duration_minutes": value} for value in (75, 40, 0)]
    for index, event in enumerate(events):
        event["id"] = f"e{index}"
    bad = {"name": "x", "days": [{"date": "2025-10-25", "start": "09:00", "end": "12:00"}],
           "rooms": [{"id": "r", "name": "R", "capacity": 5}],
           "participants": [{"id": "p", "name": "P", "delegation": "VNM"}], "events": events,
           "shortening": {"kinds": {"round_table": 10}}}
    body = assert_error(planner.post("/scenarios", json=bad), 422, "invalid_scenario")
    details = {d["path"]: d for d in body["details"]}  # type: ignore[attr-defined]
    assert "events[2].min_duration_minutes" in details  # (0: must be greater than 0)
    bad["events"] = events[:2]
    body = assert_error(planner.post("/scenarios", json=bad), 422, "invalid_scenario")
    details = {d["path"]: d for d in body["details"]}  # type: ignore[attr-defined]
    assert details["events[0].min_duration_minutes"]["value"] == 75
    assert "at most the event's duration_minutes (60)" in details["events[0].min_duration_minutes"]["message"]
    assert "multiple of slot_minutes (15), e.g. 45" in details["events[1].min_duration_minutes"]["message"]
    assert "multiple of slot_minutes (15)" in details["shortening.kinds.round_table"]["message"]


@pytest.mark.parametrize("field", ["rooms", "events", "participants", "days"])
def test_a_list_field_that_is_not_a_list_is_422(planner: httpx.Client, field: str) -> None:
    body = assert_error(planner.post("/scenarios", json={"name": "x", field: 5}), 422, "invalid_scenario")
    assert any(d["path"] == field for d in body["details"])  # type: ignore[attr-defined]


def test_wrong_content_type_is_415(planner: httpx.Client, solved: dict[str, str]) -> None:
    assert_error(planner.post("/scenarios", content=b"name: x", headers={"Content-Type": "text/plain"}),
                 415, "unsupported_media_type")
    assert_error(planner.post(f"/scenarios/{solved['scenario']}/solve", content=b"time_limit_s: 1",
                              headers={"Content-Type": "application/yaml"}), 415)
    assert_error(planner.post("/scenarios", content=b"name: x", headers={"Content-Type": ""}), 415)


def test_unknown_ids_are_404(planner: httpx.Client, solved: dict[str, str]) -> None:
    for path in ("/scenarios/nope", "/scenarios/nope/versions", "/jobs/nope", "/jobs/nope/events",
                 "/timetables/nope", "/timetables/nope/participants/x", "/timetables/nope/delegations/VNM",
                 f"/timetables/{solved['timetable']}/diff/nope", "/timetables/nope/explain",
                 f"/timetables/{solved['timetable']}/participants/ghost",
                 f"/timetables/{solved['timetable']}/delegations/ATLANTIS", "/no/such/route"):
        assert_error(planner.get(path), 404, "not_found")
    assert_error(planner.get(f"/scenarios/{solved['scenario']}", params={"version": 99}), 404)
    assert_error(planner.get(f"/timetables/{solved['timetable']}/explain", params={"event": "ghost"}), 404)
    assert_error(planner.post("/scenarios/nope/solve", json={}), 404)
    assert_error(planner.delete("/jobs/nope"), 404)
    assert_error(planner.post("/timetables/nope/changes", json={"changes": [{"op": "unpin", "event": "x"}]}), 404)


def test_bad_requests_are_422(planner: httpx.Client, solved: dict[str, str]) -> None:
    scenario, table = solved["scenario"], solved["timetable"]
    for body in ({"time_limit_s": 0}, {"time_limit_s": 601}, {"time_limit_s": "soon"}, {"workers": 0},
                 {"cascade_budget": 1.5}, {"cascade_budget": -0.1}, {"surprise": 1}, [1, 2]):
        assert_error(planner.post(f"/scenarios/{scenario}/solve", json=body), 422)
    assert_error(planner.get(f"/timetables/{table}", params={"format": "pdf"}), 422)
    assert_error(planner.get("/scenarios", params={"limit": -1}), 422)
    body = assert_error(planner.post(f"/timetables/{table}/changes", json={"changes": [{"op": "explode"}]}),
                        422, "invalid_changes")
    assert body["details"]
    assert_error(planner.post(f"/timetables/{table}/changes",
                              json={"changes": [{"op": "room_closed", "room": "no-such-room",
                                                 "start": "2025-10-25T09:00", "end": "2025-10-25T10:00"}]}),
                 422, "invalid_changes")
    assert_error(planner.post(f"/timetables/{table}/changes", json={"changes": []}), 422)
    assert_error(planner.post(f"/timetables/{table}/changes", json={}), 422)


def test_method_not_allowed_has_the_shape(planner: httpx.Client) -> None:
    assert_error(planner.put("/scenarios", json={}), 405, "method_not_allowed")


def test_body_too_large_is_413(planner: httpx.Client) -> None:
    big = b"#" * (5 * 1024 * 1024 + 10)
    assert_error(planner.post("/scenarios", content=big, headers={"Content-Type": "application/yaml"}),
                 413, "payload_too_large")

    def chunks() -> object:
        for _ in range(6):
            yield b" " * (1024 * 1024)

    response = planner.post("/scenarios", content=chunks(), headers={"Content-Type": "application/json"})  # type: ignore[arg-type]
    assert_error(response, 413, "payload_too_large")


def test_scenario_with_too_many_events_is_413(planner: httpx.Client) -> None:
    events = [{"id": f"e{i}", "title": "x", "kind": "other", "duration_minutes": 15, "participants": []}
              for i in range(2001)]  # the test server allows 2000
    body = {"name": "big", "days": [{"date": "2025-10-25", "start": "09:00", "end": "12:00"}],
            "rooms": [{"id": "r", "name": "R", "capacity": 5}], "events": events}
    assert_error(planner.post("/scenarios", json=body), 413, "scenario_too_large")


def test_missing_or_unknown_key_is_401(server: Server) -> None:
    with server.client() as anonymous, server.client("sk_not-a-key") as stranger:
        for client in (anonymous, stranger):
            response = client.get("/scenarios")
            assert_error(response, 401, "unauthorized")
            assert response.headers["www-authenticate"] == "Bearer"
            assert_error(client.post("/scenarios", content=b"name: x",
                                     headers={"Content-Type": "application/yaml"}), 401)
    assert_error(httpx.get(f"{server.url}/scenarios", headers={"Authorization": "Basic dXNlcjpwdw=="}), 401)


def test_job_submissions_are_rate_limited_per_key(server: Server, keys: dict[str, str],
                                                  make_server: Callable[..., Server]) -> None:
    with server.client(keys["admin"]) as admin:
        fresh = admin.post("/keys", json={"role": "planner", "label": "rate"}).json()["key"]
    with server.client(fresh) as client:
        statuses = [client.post("/scenarios/nope/solve", json={}).status_code for _ in range(31)]
        assert statuses[:30] == [404] * 30
        response = client.post("/scenarios/nope/solve", json={})
        assert_error(response, 429, "rate_limited")
        assert int(response.headers["retry-after"]) >= 1
    with server.client(keys["planner"]) as other:  # another key is not affected
        assert other.post("/scenarios/nope/solve", json={}).status_code == 404


@pytest.mark.parametrize("role", ["admin", "planner"])
def test_a_liaison_key_needs_its_delegation(server: Server, keys: dict[str, str], role: str) -> None:
    with server.client(keys["admin"]) as admin:
        assert_error(admin.post("/keys", json={"role": "liaison"}), 422)
        assert_error(admin.post("/keys", json={"role": role, "delegation": "FRA"}), 422)
        assert_error(admin.post("/keys", json={"role": "emperor"}), 422)
