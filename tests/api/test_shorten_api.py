"""Shortened where allowed, through a real server: a re-plan after a report runs a round table shorter, its job result
names it, the diff says by how much, and publishing it finds no broken rule (the validator told of the shortening)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.conftest import publish, solve, wait_for_job


def _summit(min_duration: int | None) -> dict[str, Any]:
    """The opening (pinned 09:00-10:00), then an optional round table that can only be 10:00-11:00, then the closing
    (pinned 11:00-12:00, the day's end): the opening running late leaves the round table less than its hour."""
    talk: dict[str, Any] = {"id": "talk", "title": "Round table", "kind": "round_table", "duration_minutes": 60,
                            "participants": ["a"], "required": False, "priority": 3, "rooms": ["r2"],
                            "earliest": "2025-10-25T10:00", "latest_end": "2025-10-25T11:00"}
    if min_duration is not None:
        talk["min_duration_minutes"] = min_duration
    return {"name": "shortening", "timezone": "Asia/Ho_Chi_Minh", "slot_minutes": 15,
            "days": [{"date": "2025-10-25", "start": "09:00", "end": "12:00"}],
            "rooms": [{"id": "r1", "name": "Hall", "capacity": 10}, {"id": "r2", "name": "Room 2", "capacity": 10}],
            "participants": [{"id": "a", "delegation": "AAA"}, {"id": "b", "delegation": "BBB"}],
            "events": [{"id": "opening", "title": "Opening", "duration_minutes": 60, "participants": ["a", "b"],
                        "pinned": {"room": "r1", "start": "2025-10-25T09:00"}}, talk,
                       {"id": "closing", "title": "Closing", "duration_minutes": 60, "participants": ["a", "b"],
                        "pinned": {"room": "r1", "start": "2025-10-25T11:00"}}]}


def _late_opening(planner: httpx.Client, min_duration: int | None) -> tuple[dict[str, Any], dict[str, Any]]:
    created = planner.post("/scenarios", json=_summit(min_duration))
    assert created.status_code == 201, created.text
    standing = solve(planner, created.json()["id"])["timetable_id"]
    placed = {a["event"]: a for a in planner.get(f"/timetables/{standing}").json()["assignments"]}
    assert placed["talk"]["start"].startswith("2025-10-25T10:00")
    accepted = planner.post(f"/timetables/{standing}/changes", json={
        "changes": [{"op": "event_running_late", "event": "opening", "minutes": 15}],
        "now": "2025-10-25T09:30:00+07:00", "time_limit_s": 5})
    assert accepted.status_code == 202, accepted.text
    job = wait_for_job(planner, accepted.json()["id"])
    assert job["status"] == "done" and job["timetable_id"], job
    return job, {a["event"]: a for a in planner.get(f"/timetables/{job['timetable_id']}").json()["assignments"]}


def test_a_replan_shortens_the_round_table_says_so_and_publishes_with_no_broken_rule(planner: httpx.Client) -> None:
    job, placed = _late_opening(planner, 45)
    assert job["result"]["shortened"] == ["talk"]
    assert (placed["talk"]["start"][11:16], placed["talk"]["end"][11:16]) == ("10:15", "11:00")
    shortened = job["result"]["diff"]["shortened"]
    assert [(s["event"], s["shortened_minutes"]) for s in shortened] == [("talk", 15)]
    assert any("shortened by 15 min" in line for line in job["result"]["diff"]["by_delegation"]["AAA"])
    assert publish(planner, job["timetable_id"])["broken_rules"] == []


def test_without_a_minimum_the_round_table_is_dropped_as_before(planner: httpx.Client) -> None:
    job, placed = _late_opening(planner, None)
    assert job["result"]["shortened"] == [] and "talk" not in placed
    assert publish(planner, job["timetable_id"])["broken_rules"] == []
