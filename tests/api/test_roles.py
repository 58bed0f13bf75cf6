"""Every endpoint x every role: the expected status. A liaison (FRA here) sees only its delegation's agendas."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import icalendar
import pytest
import sqlalchemy as sa

from tests.api.conftest import COMPARISON_VARIANTS, TINY, Server

ROLES = ("admin", "planner", "viewer", "liaison", "anonymous")
CHANGE = {"changes": [{"op": "room_closed", "room": "bil-h", "start": "2025-10-25T11:30", "end": "2025-10-25T12:00"}],
          "time_limit_s": 1}

# method, path, body, expected status for (admin, planner, viewer, liaison, anonymous)
MATRIX: list[tuple[str, str, Any, tuple[int, int, int, int, int]]] = [
    ("GET", "/health", None, (200, 200, 200, 200, 200)),
    ("GET", "/openapi.json", None, (200, 200, 200, 200, 200)),
    ("GET", "/scenarios", None, (200, 200, 200, 403, 401)),
    ("POST", "/scenarios", "yaml", (201, 201, 403, 403, 401)),
    ("GET", "/scenarios/{s}", None, (200, 200, 200, 403, 401)),
    ("GET", "/scenarios/{s}/versions", None, (200, 200, 200, 403, 401)),
    ("GET", "/scenarios/{s}/timetables", None, (200, 200, 200, 403, 401)),
    ("POST", "/scenarios/{s}/solve", {"time_limit_s": 1}, (202, 202, 403, 403, 401)),
    ("GET", "/jobs/{j}", None, (200, 200, 200, 403, 401)),
    ("GET", "/jobs/{j}/events", None, (200, 200, 200, 403, 401)),
    ("DELETE", "/jobs/{j}", None, (200, 200, 403, 403, 401)),
    ("GET", "/timetables/{t}", None, (200, 200, 200, 403, 401)),
    ("GET", "/timetables/{t}?format=csv", None, (200, 200, 200, 403, 401)),
    ("GET", "/timetables/{t}?format=ics", None, (200, 200, 200, 403, 401)),
    ("GET", "/timetables/{t}?format=html", None, (200, 200, 200, 403, 401)),
    ("GET", "/timetables/{t}/participants/fra-hod", None, (200, 200, 200, 200, 401)),
    ("GET", "/timetables/{t}/participants/fra-hod?format=ics", None, (200, 200, 200, 200, 401)),
    ("GET", "/timetables/{t}/participants/vnm-pres", None, (200, 200, 200, 403, 401)),
    ("GET", "/timetables/{t}/participants/ghost", None, (404, 404, 404, 403, 401)),
    ("GET", "/timetables/{t}/delegations/FRA", None, (200, 200, 200, 200, 401)),
    ("GET", "/timetables/{t}/delegations/FRA?format=ics", None, (200, 200, 200, 200, 401)),
    ("GET", "/timetables/{t}/delegations/VNM", None, (200, 200, 200, 403, 401)),
    ("GET", "/timetables/{t}/delegations/VNM?format=ics", None, (200, 200, 200, 403, 401)),
    ("POST", "/timetables/{t}/changes", CHANGE, (202, 202, 403, 403, 401)),
    ("GET", "/timetables/{t}/diff/{t}", None, (200, 200, 200, 403, 401)),
    ("GET", "/timetables/{t}/explain", None, (200, 200, 200, 403, 401)),
    ("POST", "/comparisons", "comparison", (202, 202, 403, 403, 401)),
    ("GET", "/comparisons/{c}", None, (200, 200, 200, 403, 401)),
    ("GET", "/comparisons/{c}?format=csv", None, (200, 200, 200, 403, 401)),
    ("GET", "/comparisons/{c}/charts/kpis.png", None, (200, 200, 200, 403, 401)),
    ("POST", "/keys", {"role": "viewer"}, (201, 403, 403, 403, 401)),
    ("GET", "/keys", None, (200, 403, 403, 403, 401)),
    ("GET", "/audit", None, (200, 403, 403, 403, 401)),
    # the summit day (the solved timetable is published already: publishing it again changes nothing)
    ("POST", "/timetables/{t}/publish", {}, (200, 200, 403, 403, 401)),
    ("GET", "/summits/{s}", None, (200, 200, 200, 403, 401)),
    ("GET", "/summits/{s}/clock", None, (200, 200, 200, 403, 401)),
    ("PUT", "/summits/{s}/clock", {"clock": None}, (200, 200, 403, 403, 401)),
    ("GET", "/summits/{s}/proposal", None, (404, 404, 404, 403, 401)),
    ("POST", "/summits/{s}/reports", {"kind": "room_out"}, (422, 422, 403, 403, 401)),
    ("GET", "/proposals/nope", None, (404, 404, 404, 403, 401)),
    ("POST", "/proposals/nope/accept", {}, (404, 404, 403, 403, 401)),
]


@pytest.mark.parametrize(("method", "path", "body", "expected"), MATRIX,
                         ids=[f"{m} {p}" for m, p, _, _ in MATRIX])
@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(server: Server, keys: dict[str, str], solved: dict[str, str], compared: dict[str, Any],
                     role: str, method: str, path: str, body: Any, expected: tuple[int, ...]) -> None:
    url = path.format(s=solved["scenario"], j=solved["job"], t=solved["timetable"], c=compared["job"]["id"])
    kwargs: dict[str, Any] = {}
    if body == "comparison":
        kwargs = {"json": {"scenario_id": solved["scenario"], "variants": COMPARISON_VARIANTS, "time_limit_s": 1}}
    elif body == "yaml":
        kwargs = {"content": TINY.read_bytes(), "headers": {"Content-Type": "application/yaml"}}
    elif body is not None:
        kwargs = {"json": body}
    with server.client(keys.get(role)) as client:
        response = client.request(method, url, **kwargs)
    want = expected[ROLES.index(role)]
    assert response.status_code == want, f"{role} {method} {url}: {response.status_code} {response.text[:300]}"
    if want >= 400:
        assert set(response.json()) == {"error", "message", "details"}


def test_liaison_agenda_shows_only_its_delegation(server: Server, keys: dict[str, str],
                                                   solved: dict[str, str]) -> None:
    with server.client(keys["liaison"]) as liaison:
        agenda = liaison.get(f"/timetables/{solved['timetable']}/delegations/FRA").json()
    assert {p["delegation"] for p in agenda["participants"]} == {"FRA"}
    assert agenda["items"]
    for item in agenda["items"]:  # other leaders in the same meeting are counted, not named
        assert item["participants"] == ["fra-hod"] and item["other_participants"] >= 1
    with server.client(keys["viewer"]) as viewer:
        full = viewer.get(f"/timetables/{solved['timetable']}/delegations/FRA").json()
    assert any(len(item["participants"]) > 1 for item in full["items"])
    with server.client(keys["liaison"]) as liaison:
        ics = liaison.get(f"/timetables/{solved['timetable']}/delegations/FRA", params={"format": "ics"}).content
    descriptions = [str(e["description"]) for e in icalendar.Calendar.from_ical(ics).walk("VEVENT")]
    assert descriptions and not any("President of Viet Nam" in d or "Secretary-General" in d for d in descriptions)


def test_every_write_is_audited(server: Server, keys: dict[str, str], solved: dict[str, str]) -> None:
    with server.client(keys["viewer"]) as viewer:
        assert viewer.post(f"/scenarios/{solved['scenario']}/solve", json={}).status_code == 403
    with server.client(keys["planner"]) as planner:
        created = planner.post("/scenarios", content=TINY.read_bytes(), headers={"Content-Type": "application/yaml"})
        assert created.status_code == 201
    with server.client(keys["admin"]) as admin:
        entries = admin.get("/audit", params={"limit": 1000}).json()
        viewer_ids = {k["id"] for k in admin.get("/keys").json() if k["role"] == "viewer"}
    assert entries and all({"at", "key_id", "role", "method", "path", "status_code"} <= set(e) for e in entries)
    assert any(e["method"] == "POST" and e["path"] == "/scenarios" and e["status_code"] == 201
               and e["role"] == "planner" for e in entries)
    assert any(e["path"] == f"/scenarios/{solved['scenario']}/solve" and e["status_code"] == 403
               and e["role"] == "viewer" and e["key_id"] in viewer_ids for e in entries)
    assert not any(e["method"] == "GET" for e in entries)


def test_keys_are_stored_hashed(server: Server, keys: dict[str, str]) -> None:
    engine = sa.create_engine(server.database_url)
    with engine.connect() as connection:
        stored = [row[0] for row in connection.execute(sa.text("SELECT key_hash FROM api_keys"))]
    engine.dispose()
    assert stored and not set(keys.values()) & set(stored)
    assert hashlib.sha256(keys["admin"].encode()).hexdigest() in stored


def test_anonymous_client_has_no_key(server: Server) -> None:
    with httpx.Client(base_url=server.url) as client:
        assert client.get("/jobs/whatever").status_code == 401
