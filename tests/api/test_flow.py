"""The whole flow through a real server: submit, solve, progress, timetable, exports, change, diff, explain."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any

import httpx
import icalendar
import pytest
import yaml

from tests.api.conftest import HANOI, Server, submit_scenario, wait_for_job, wait_for_progress


def _sse(text: str) -> list[tuple[str, Any]]:
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if not line.startswith(":"))
        if "event" in fields:
            events.append((fields["event"], json.loads(fields["data"])))
    return events


def test_health_needs_no_key(server: Server) -> None:
    response = httpx.get(f"{server.url}/health")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


def test_submit_solve_export_change_diff(planner: httpx.Client) -> None:
    scenario_id = submit_scenario(planner)
    got = planner.get(f"/scenarios/{scenario_id}").json()
    assert got["version"] == 1 and got["scenario"]["name"] == "Tiny two-leader summit"
    assert any(s["id"] == scenario_id for s in planner.get("/scenarios").json())

    accepted = planner.post(f"/scenarios/{scenario_id}/solve", json={"time_limit_s": 2, "seed": 1})
    assert accepted.status_code == 202
    job = accepted.json()
    assert job["status"] in ("queued", "running") and job["id"]
    with planner.stream("GET", f"/jobs/{job['id']}/events") as stream:
        text = stream.read().decode()
    events = _sse(text)
    kinds = [kind for kind, _ in events]
    assert "progress" in kinds and kinds[-1] == "end"
    assert {"seconds", "objective", "bound"} <= set(next(d for k, d in events if k == "progress"))
    job = wait_for_job(planner, job["id"])
    assert job["status"] == "done" and job["timetable_id"]
    last_seen = next(int(line[4:]) for line in reversed(text.splitlines()) if line.startswith("id: "))
    with planner.stream("GET", f"/jobs/{job['id']}/events", headers={"Last-Event-ID": str(last_seen)}) as stream:
        again = _sse(stream.read().decode())
    assert [kind for kind, _ in again] == ["status", "end"]  # nothing seen twice
    assert job["progress"] and job["progress"][-1]["objective"] >= 0

    table_id = job["timetable_id"]
    table = planner.get(f"/timetables/{table_id}").json()
    assert table["id"] == table_id and table["status"] in ("optimal", "feasible")
    assert table["scenario"]["fingerprint"] == got["fingerprint"]
    events_by_id = {a["event"]: a for a in table["assignments"]}
    assert "opening" in events_by_id

    # CSV round-trips: the same events, rooms and instants as the JSON.
    text = planner.get(f"/timetables/{table_id}", params={"format": "csv"})
    assert text.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(text.text)))
    assert {r["event"] for r in rows} == set(events_by_id)
    for row in rows:
        original = events_by_id[row["event"]]
        assert row["room"] == original["room"]
        assert datetime.fromisoformat(row["start"]) == datetime.fromisoformat(original["start"])
        assert datetime.fromisoformat(row["end"]) == datetime.fromisoformat(original["end"])

    # iCalendar parses, with one VEVENT per scheduled event at the right instant.
    ics = planner.get(f"/timetables/{table_id}", params={"format": "ics"})
    assert ics.headers["content-type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(ics.content)
    vevents = list(calendar.walk("VEVENT"))
    assert len(vevents) == len(events_by_id)
    for vevent in vevents:
        event_id = str(vevent["uid"]).split("@")[0]
        assert vevent.decoded("dtstart") == datetime.fromisoformat(events_by_id[event_id]["start"])

    html = planner.get(f"/timetables/{table_id}", params={"format": "html"})
    assert html.headers["content-type"].startswith("text/html") and "Opening ceremony" in html.text

    # Personal agendas.
    agenda = planner.get(f"/timetables/{table_id}/participants/fra-hod").json()
    assert agenda["participant"]["id"] == "fra-hod"
    assert all("fra-hod" in item["participants"] for item in agenda["items"])
    delegation = planner.get(f"/timetables/{table_id}/delegations/VNM").json()
    assert "opening" in {item["event"] for item in delegation["items"]}
    own_ics = planner.get(f"/timetables/{table_id}/delegations/VNM", params={"format": "ics"})
    assert icalendar.Calendar.from_ical(own_ics.content).walk("VEVENT")

    # A room closes over a bilateral: the re-plan makes version 2 and a new timetable; the diff says what moved.
    bilateral = next(a for a in table["assignments"] if a["event"].startswith("bil-"))
    change = {"op": "room_closed", "room": bilateral["room"], "start": bilateral["start"], "end": bilateral["end"],
              "reason": "flooded"}
    accepted = planner.post(f"/timetables/{table_id}/changes", json={"changes": [change], "time_limit_s": 2})
    assert accepted.status_code == 202, accepted.text
    replan = wait_for_job(planner, accepted.json()["id"])
    assert replan["status"] == "done", replan
    assert replan["kind"] == "replan" and replan["result"]["scenario_version"] == 2
    new_id = replan["timetable_id"]
    assert new_id != table_id
    versions = planner.get(f"/scenarios/{scenario_id}/versions").json()
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[1]["parent_version"] == 1 and versions[1]["changes"][0]["op"] == "room_closed"
    assert planner.get(f"/scenarios/{scenario_id}", params={"version": 1}).json()["fingerprint"] == got["fingerprint"]
    listed = planner.get(f"/scenarios/{scenario_id}/timetables").json()
    assert [(t["id"], t["scenario_version"]) for t in listed] == [(table_id, 1), (new_id, 2)]
    assert listed[1]["parent_timetable_id"] == table_id
    new_table = planner.get(f"/timetables/{new_id}").json()
    after = {a["event"]: a for a in new_table["assignments"]}
    moved = after.get(bilateral["event"])
    assert moved is None or (moved["room"], moved["start"]) != (bilateral["room"], bilateral["start"])

    diff = planner.get(f"/timetables/{table_id}/diff/{new_id}").json()
    touched = {m["event"] for m in diff["moved"] + diff["room_changes"]} | {d["event"] for d in diff["dropped"]}
    assert bilateral["event"] in touched
    assert diff["from_timetable"] == table_id and diff["by_participant"]

    explained = planner.get(f"/timetables/{new_id}/explain").json()
    assert explained["diagnostics"] and explained["status"] == new_table["status"]
    why = planner.get(f"/timetables/{new_id}/explain", params={"event": bilateral["event"]})
    assert why.status_code == 200 and why.json()["lines"]


@pytest.mark.skipif(not HANOI.exists(), reason="no Hanoi scenario")
def test_hanoi_solve_can_be_stopped_and_keeps_the_best_timetable(planner: httpx.Client) -> None:
    document = yaml.safe_load(HANOI.read_text())
    created = planner.post("/scenarios", json=json.loads(json.dumps(document, default=str)))
    assert created.status_code == 201, created.text[:2000]
    scenario_id = created.json()["id"]
    job = planner.post(f"/scenarios/{scenario_id}/solve", json={"time_limit_s": 60}).json()
    running = wait_for_job(planner, job["id"], until=("running", "done", "failed", "cancelled"))
    assert running["status"] == "running"
    wait_for_progress(planner, job["id"])  # a first incumbent, then stop
    stopped = planner.delete(f"/jobs/{job['id']}")
    assert stopped.status_code == 200
    final = wait_for_job(planner, job["id"])
    assert final["status"] == "cancelled" and final["timetable_id"], final
    table = planner.get(f"/timetables/{final['timetable_id']}").json()
    assert table["assignments"]
    agenda = planner.get(f"/timetables/{final['timetable_id']}/delegations/VNM")
    assert agenda.status_code == 200 and agenda.json()["items"]


def test_replan_with_a_freeze_window_keeps_what_has_started(planner: httpx.Client, solved: dict[str, str]) -> None:
    table = planner.get(f"/timetables/{solved['timetable']}").json()
    first = min(table["assignments"], key=lambda a: a["start"])
    body = {"changes": [{"op": "room_closed", "room": "bil-h", "start": "2025-10-25T11:00", "end": "2025-10-25T12:00"}],
            "now": first["start"], "freeze_minutes": 15, "time_limit_s": 2}
    accepted = planner.post(f"/timetables/{solved['timetable']}/changes", json=body)
    assert accepted.status_code == 202, accepted.text
    job = wait_for_job(planner, accepted.json()["id"])
    assert job["status"] == "done", job
    assert first["event"] in job["result"]["frozen"]
    kept = {a["event"]: a for a in planner.get(f"/timetables/{job['timetable_id']}").json()["assignments"]}
    assert (kept[first["event"]]["room"], kept[first["event"]]["start"]) == (first["room"], first["start"])


def test_the_timetable_groups_its_unscheduled_requests_by_cause(planner: httpx.Client) -> None:
    """Three requests of a minister who may attend one event a day: the two left out share one cause, and the
    timetable's `unscheduled_groups` says it once, with both requests (what the web view shows)."""
    document = {
        "name": "one a day", "timezone": "Asia/Ho_Chi_Minh", "slot_minutes": 15,
        "days": [{"date": "2025-10-25", "start": "09:00", "end": "12:00"}],
        "rooms": [{"id": "r1", "capacity": 10}, {"id": "r2", "capacity": 10}],
        "participants": [{"id": "min", "name": "Minister", "delegation": "AAA", "max_events_per_day": 1},
                         *[{"id": f"g{n}", "delegation": f"G{n}"} for n in range(3)]],
        "events": [{"id": f"bil-{n}", "kind": "bilateral", "duration_minutes": 30, "participants": ["min", f"g{n}"],
                    "priority": 3 + n} for n in range(3)]}
    created = planner.post("/scenarios", json=document)
    assert created.status_code == 201, created.text
    accepted = planner.post(f"/scenarios/{created.json()['id']}/solve", json={"time_limit_s": 5, "seed": 1})
    job = wait_for_job(planner, accepted.json()["id"])
    assert job["status"] == "done", job
    table = planner.get(f"/timetables/{job['timetable_id']}").json()
    assert [a["event"] for a in table["assignments"]] == ["bil-2"]  # the most valuable request
    [group] = table["unscheduled_groups"]
    assert group["count"] == 2 and sorted(group["events"]) == ["bil-0", "bil-1"]
    assert group["cause"].startswith("not selected") and "Minister (min) has reached the limit of 1 event a day" \
        in group["cause"]
    assert " on 25 Oct" not in group["cause"]  # the days and listings that differ between requests are left out
