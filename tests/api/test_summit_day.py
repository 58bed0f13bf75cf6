"""The summit day through a real server: drafts and the published plan, two planners racing on one base, the
publish guard for past events, SEQUENCE never decreasing, the summit's clock, and reports -> proposals."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import icalendar
import pytest

from tests.api.conftest import Server, publish, solve, submit_scenario, wait_for_job, wait_for_progress

ENDED = "2025-10-25T12:30+07:00"  # after the tiny summit's only day: every event has ended


@pytest.fixture
def planner(server: Server, keys: dict[str, str]) -> Iterator[httpx.Client]:
    """A planner key of the test's own: its job submissions do not count against the suite's shared key."""
    with server.client(keys["admin"]) as admin:
        key = admin.post("/keys", json={"role": "planner", "label": "summit day test"}).json()["key"]
    keys_of[id(server)] = key
    with server.client(key) as client:
        yield client


keys_of: dict[int, str] = {}  # the current test's planner key, for the command line test


def _replan(planner: httpx.Client, timetable_id: str, changes: list[dict[str, Any]],
            **body: Any) -> dict[str, Any]:
    accepted = planner.post(f"/timetables/{timetable_id}/changes", json={"changes": changes, "time_limit_s": 3,
                                                                         **body})
    assert accepted.status_code == 202, accepted.text
    job = wait_for_job(planner, accepted.json()["id"])
    assert job["status"] == "done" and job["timetable_id"], job
    return job


def _sequences(planner: httpx.Client, timetable_id: str) -> dict[str, tuple[int, str]]:
    body = planner.get(f"/timetables/{timetable_id}", params={"format": "ics"}).content
    return {str(e["UID"]).split("@")[0]: (int(e["SEQUENCE"]), str(e["STATUS"]))
            for e in icalendar.Calendar.from_ical(body).walk("VEVENT")}


def _published(planner: httpx.Client, scenario_id: str) -> str | None:
    return planner.get(f"/summits/{scenario_id}").json()["published_timetable_id"]  # type: ignore[no-any-return]


def test_two_planners_on_one_base_one_wins_the_other_is_refused_or_rebased(planner: httpx.Client) -> None:
    scenario_id = submit_scenario(planner)
    first = solve(planner, scenario_id)["timetable_id"]
    assert _published(planner, scenario_id) is None  # a solve is a draft
    publish(planner, first)
    state = planner.get(f"/summits/{scenario_id}")
    assert state.headers["ETag"] == f'"{first}"'
    # Both planners re-plan the published plan; both get drafts, nothing changes for delegations yet.
    cancel = _replan(planner, first, [{"op": "event_cancelled", "event": "bil-un-fra"}],
                     base=first)["timetable_id"]
    close = _replan(planner, first, [{"op": "room_closed", "room": "bil-h", "start": "2025-10-25T09:00",
                                      "end": "2025-10-25T12:00"}], base=first)["timetable_id"]
    assert _published(planner, scenario_id) == first
    publish(planner, cancel, base=first)  # the first to publish wins
    refused = planner.post(f"/timetables/{close}/publish", json={"base": first})
    assert refused.status_code == 409 and refused.json()["error"] == "stale_base"
    assert cancel in refused.json()["message"]
    assert planner.post(f"/timetables/{close}/publish", json={}).status_code == 409  # not based on it either
    # A re-plan on the old plan is refused too (If-Match or base), naming the current one ...
    stale = planner.post(f"/timetables/{first}/changes", headers={"If-Match": f'"{first}"'},
                         json={"changes": [{"op": "event_cancelled", "event": "opening"}]})
    assert stale.status_code == 409 and cancel in stale.json()["message"]
    # ... or rebased on it when asked: the other planner's room closure on top of the published cancellation.
    rebased = planner.post(f"/timetables/{close}/publish", json={"rebase": True})
    assert rebased.status_code == 202, rebased.text
    job = wait_for_job(planner, rebased.json()["id"])
    assert job["status"] == "done", job
    merged = planner.get(f"/timetables/{job['timetable_id']}").json()
    assert "bil-un-fra" not in {a["event"] for a in merged["assignments"]}
    assert all(a["room"] != "bil-h" for a in merged["assignments"])
    publish(planner, job["timetable_id"], base=cancel)
    # A fresh solve of the first version does not silently become current, nor undo the re-plans.
    old = solve(planner, scenario_id, time_limit_s=2)["timetable_id"]
    assert planner.post(f"/timetables/{old}/publish").status_code == 409
    assert _published(planner, scenario_id) == job["timetable_id"]


def test_publish_refuses_to_move_past_events_and_sequence_never_decreases(planner: httpx.Client) -> None:
    scenario_id = submit_scenario(planner)
    first = solve(planner, scenario_id)["timetable_id"]
    publish(planner, first)
    placed = {a["event"]: a for a in planner.get(f"/timetables/{first}").json()["assignments"]}
    moved_to = "2025-10-25T11:30" if placed["bil-vnm-fra"]["start"][11:16] != "11:30" else "2025-10-25T10:30"
    draft = _replan(planner, first, [{"op": "pin", "event": "bil-vnm-fra", "start": moved_to}])["timetable_id"]
    # The day is over by the summit's clock: moving bil-vnm-fra now is refused, naming it.
    assert planner.put(f"/summits/{scenario_id}/clock", json={"clock": ENDED}).status_code == 200
    refused = planner.post(f"/timetables/{draft}/publish")
    assert refused.status_code == 409 and refused.json()["error"] == "past_events_changed"
    assert "bil-vnm-fra" in refused.json()["message"]
    assert _published(planner, scenario_id) == first
    done = publish(planner, draft, allow_past_changes=True)
    assert "bil-vnm-fra" in done["past_changes"] and done["diff"]["moved"]
    assert _sequences(planner, draft)["bil-vnm-fra"] == (1, "CONFIRMED")
    # Going back to the first plan (named as the base: the planner knows it replaces the published one) moves
    # the meeting again: its SEQUENCE goes up, never back to 0.
    publish(planner, first, base=draft, allow_past_changes=True)
    assert _sequences(planner, first)["bil-vnm-fra"] == (2, "CONFIRMED")
    assert _sequences(planner, first)["opening"] == (0, "CONFIRMED")
    # A dropped event goes out CANCELLED once, with the next SEQUENCE; publishing again does not raise it.
    planner.put(f"/summits/{scenario_id}/clock", json={"clock": None})
    dropped = _replan(planner, first, [{"op": "event_cancelled", "event": "bil-un-fra"}])["timetable_id"]
    out = publish(planner, dropped)
    assert out["cancelled"] == ["bil-un-fra"]
    assert _sequences(planner, dropped)["bil-un-fra"] == (1, "CANCELLED")


def test_the_summit_clock_fixed_accelerated_and_refused(planner: httpx.Client) -> None:
    path = f"/summits/{submit_scenario(planner)}/clock"
    assert planner.get(path).json()["source"] == "service"  # SUMMIT_CLOCK of the test server
    fast = planner.put(path, json={"clock": "2025-10-25T09:00+07:00x60"}).json()
    assert fast["kind"] == "accelerated x60" and fast["source"] == "summit" and "@" in fast["setting"]
    assert planner.get(path).json()["now"] >= "2025-10-25T02:00"
    bad = planner.put(path, json={"clock": "tomorrow at nine"})
    assert bad.status_code == 422 and bad.json()["details"][0]["path"] == "clock"
    assert planner.put(path, json={"clock": None}).json()["source"] == "service"


def test_reports_become_one_proposal_folded_and_accepted(server: Server, planner: httpx.Client,
                                                         keys: dict[str, str]) -> None:
    scenario_id = submit_scenario(planner)
    first = solve(planner, scenario_id)["timetable_id"]
    assert planner.post(f"/summits/{scenario_id}/reports",
                        json={"kind": "room_out", "room": "bil-1"}).status_code == 409  # nothing published yet
    publish(planner, first)
    planner.put(f"/summits/{scenario_id}/clock", json={"clock": "2025-10-25T09:05+07:00"})
    missing = planner.post(f"/summits/{scenario_id}/reports", json={"kind": "room_out"})
    assert missing.status_code == 422 and missing.json()["details"][0]["path"] == "room"
    opened = planner.post(f"/summits/{scenario_id}/reports", json={"kind": "room_out", "room": "bil-h"})
    assert opened.status_code == 202, opened.text
    proposal = opened.json()
    assert proposal["status"] == "open" and proposal["changes"][0]["op"] == "room_closed"
    assert proposal["changes"][0]["start"].startswith("2025-10-25T09:05")
    # A second report while it is open is folded into the same proposal, re-planned with both.
    folded = planner.post(f"/summits/{scenario_id}/reports",
                          json={"kind": "participant_delayed", "participant": "fra-hod",
                                "until": "2025-10-25T11:00+07:00"}).json()
    assert folded["id"] == proposal["id"] and len(folded["reports"]) == 2 and len(folded["changes"]) == 2
    job = wait_for_job(planner, folded["job"]["id"])
    assert job["status"] == "done", job
    ready = planner.get(f"/proposals/{proposal['id']}").json()
    assert ready["timetable_id"] == job["timetable_id"] and ready["result"]["diff"] is not None
    draft = planner.get(f"/timetables/{ready['timetable_id']}").json()
    assert all(a["room"] != "bil-h" for a in draft["assignments"])
    with server.client(keys["liaison"]) as liaison:  # delegations still see the published plan
        assert liaison.get(f"/timetables/{ready['timetable_id']}/delegations/FRA").status_code == 404
    accepted = planner.post(f"/proposals/{proposal['id']}/accept", json={})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted" and accepted.json()["published"]["timetable_id"] == \
        ready["timetable_id"]
    assert _published(planner, scenario_id) == ready["timetable_id"]
    assert planner.get(f"/summits/{scenario_id}/proposal").status_code == 404
    # The next report opens a new proposal from the new plan; discarding it leaves the plan published.
    again = planner.post(f"/summits/{scenario_id}/reports", json={"kind": "room_out", "room": "bil-1"}).json()
    assert again["id"] != proposal["id"] and again["base_timetable_id"] == ready["timetable_id"]
    assert planner.post(f"/proposals/{again['id']}/discard").json()["status"] == "discarded"
    assert _published(planner, scenario_id) == ready["timetable_id"]


def test_the_cli_publishes_sets_the_clock_and_reports(server: Server, planner: httpx.Client,
                                                      keys: dict[str, str]) -> None:
    import subprocess
    import sys

    from tests.api.conftest import ROOT

    def summit(*args: str) -> subprocess.CompletedProcess[str]:
        env = {**server.env, "SUMMIT_URL": server.url, "SUMMIT_KEY": keys_of[id(server)]}
        return subprocess.run([sys.executable, "-m", "api.cli", *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=60)

    scenario_id = submit_scenario(planner)
    first = solve(planner, scenario_id)["timetable_id"]
    done = summit("publish", first)
    assert done.returncode == 0, done.stderr
    assert _published(planner, scenario_id) == first
    again = summit("publish", solve(planner, scenario_id)["timetable_id"])
    assert again.returncode == 1 and "409 stale_base" in again.stderr
    assert '"kind": "fixed"' in summit("clock", scenario_id, "2025-10-25T09:05+07:00").stdout
    reported = summit("report", scenario_id, "room_out", "--room", "bil-1")
    assert reported.returncode == 0, reported.stderr
    assert '"status": "open"' in reported.stdout


def test_two_planners_publishing_at_once_cannot_both_win(server: Server, planner: httpx.Client,
                                                         keys: dict[str, str]) -> None:
    from concurrent.futures import ThreadPoolExecutor

    scenario_id = submit_scenario(planner)
    first = solve(planner, scenario_id)["timetable_id"]
    publish(planner, first)
    drafts = [_replan(planner, first, [{"op": "event_cancelled", "event": event}])["timetable_id"]
              for event in ("bil-un-fra", "bil-vnm-fra")]
    clients = [server.client(keys["planner"]), server.client(keys["admin"])]
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda pair: pair[0].post(f"/timetables/{pair[1]}/publish", json={"base": first}),
                                zip(clients, drafts, strict=True)))
    for client in clients:
        client.close()
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    winner = drafts[[a.status_code for a in answers].index(200)]
    assert _published(planner, scenario_id) == winner
    assert winner in answers[[a.status_code for a in answers].index(409)].json()["message"]


def _ready(planner: httpx.Client, proposal: dict[str, Any]) -> dict[str, Any]:
    job = wait_for_job(planner, proposal["job"]["id"])
    assert job["status"] == "done", job
    return planner.get(f"/proposals/{proposal['id']}").json()  # type: ignore[no-any-return]


def test_an_overrun_report_is_a_fact_the_plan_around_gives_way_and_it_publishes(planner: httpx.Client) -> None:
    """The opening started and runs 20 minutes late: it stays where it runs, ends later (its window waived), what
    follows gives way, and publishing it is no 'past change' (a new end is not a move)."""
    scenario_id = submit_scenario(planner)
    first = solve(planner, scenario_id)["timetable_id"]
    publish(planner, first)
    opening = next(a for a in planner.get(f"/timetables/{first}").json()["assignments"] if a["event"] == "opening")
    planner.put(f"/summits/{scenario_id}/clock", json={"clock": opening["start"][:16] + "+07:00"})
    planner.post(f"/summits/{scenario_id}/reports", json={"kind": "event_started", "event": "opening"})
    proposal = planner.post(f"/summits/{scenario_id}/reports",
                            json={"kind": "running_late", "event": "opening", "minutes": 20}).json()
    assert [c["op"] for c in proposal["changes"]] == ["event_started", "event_running_late"]
    ready = _ready(planner, proposal)
    assert ready["result"]["status"] in ("optimal", "feasible"), ready
    draft = {a["event"]: a for a in planner.get(f"/timetables/{ready['timetable_id']}").json()["assignments"]}
    assert draft["opening"]["start"] == opening["start"] and draft["opening"]["end"] > opening["end"]
    accepted = planner.post(f"/proposals/{proposal['id']}/accept", json={})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["published"]["broken_rules"] == []  # the validator, told of the waived window


def test_a_proposal_can_lift_the_freeze_for_an_event(planner: httpx.Client) -> None:
    scenario_id = submit_scenario(planner)
    first = solve(planner, scenario_id)["timetable_id"]
    publish(planner, first)
    placed = {a["event"]: a for a in planner.get(f"/timetables/{first}").json()["assignments"]}
    meeting = placed["bil-vnm-fra"]
    # Twenty minutes before the meeting the French head is delayed past it: within the freeze window it stays
    # where it is and cannot be held; lifting its freeze lets the re-plan move it.
    before = datetime.fromisoformat(meeting["start"]) - timedelta(minutes=20)
    planner.put(f"/summits/{scenario_id}/clock", json={"clock": before.isoformat()})
    late = (datetime.fromisoformat(meeting["end"])).isoformat()
    proposal = planner.post(f"/summits/{scenario_id}/reports", json={
        "kind": "participant_delayed", "participant": "fra-hod", "until": late}).json()
    frozen = _ready(planner, proposal)
    lifted = planner.post(f"/proposals/{proposal['id']}/unfreeze", json={"events": ["bil-vnm-fra"]})
    assert lifted.status_code == 202, lifted.text
    assert lifted.json()["unfreeze"] == ["bil-vnm-fra"] and lifted.json()["job"]["id"] != frozen["job"]["id"]
    moved = _ready(planner, lifted.json())
    job = planner.get(f"/jobs/{moved['job']['id']}").json()
    assert job["params"]["unfreeze"] == ["bil-vnm-fra"]
    after = {a["event"]: a for a in planner.get(f"/timetables/{moved['timetable_id']}").json()["assignments"]}
    if "bil-vnm-fra" in after:
        assert after["bil-vnm-fra"]["start"] >= late[:16]


def test_a_cancelled_solve_or_replan_is_never_published(planner: httpx.Client) -> None:
    """DELETE /jobs/{id} stops a solve or a re-plan, which keeps its best timetable: that timetable is never
    published, by the publish (409 ``cancelled``) nor by anything else; the summit's plan stays as it was."""
    import json as json_module
    from pathlib import Path

    import yaml

    hanoi = Path(__file__).resolve().parents[2] / "scenarios" / "hanoi-2025.yaml"
    document = json_module.loads(json_module.dumps(yaml.safe_load(hanoi.read_text()), default=str))
    scenario_id = planner.post("/scenarios", json=document).json()["id"]
    solving = planner.post(f"/scenarios/{scenario_id}/solve", json={"time_limit_s": 60}).json()
    assert wait_for_job(planner, solving["id"], until=("running", "done"))["status"] == "running"
    wait_for_progress(planner, solving["id"])  # a first incumbent, then stop
    assert planner.delete(f"/jobs/{solving['id']}").status_code == 200
    stopped = wait_for_job(planner, solving["id"])
    assert stopped["status"] == "cancelled" and stopped["timetable_id"], stopped
    refused = planner.post(f"/timetables/{stopped['timetable_id']}/publish", json={})
    assert refused.status_code == 409 and refused.json()["error"] == "cancelled", refused.text
    # A re-plan of it (a draft may be re-planned), cancelled while it runs: never published either.
    replan = planner.post(f"/timetables/{stopped['timetable_id']}/changes", json={
        "changes": [{"op": "event_running_late", "event": "opening", "minutes": 40}],
        "now": "2025-10-25T10:30:00+07:00", "time_limit_s": 60})
    assert replan.status_code == 202, replan.text
    wait_for_job(planner, replan.json()["id"], until=("running", "done", "failed", "cancelled"))
    assert planner.delete(f"/jobs/{replan.json()['id']}").status_code == 200
    cancelled = wait_for_job(planner, replan.json()["id"])
    assert cancelled["status"] == "cancelled", cancelled
    if cancelled["timetable_id"]:  # (it kept what it had when stopped: a repair, or the standing plan)
        again = planner.post(f"/timetables/{cancelled['timetable_id']}/publish", json={})
        assert again.status_code == 409 and again.json()["error"] == "cancelled", again.text
    assert _published(planner, scenario_id) is None


def test_a_published_cancellation_is_told_to_each_delegation_of_the_event(planner: httpx.Client) -> None:
    """An event cancelled by a re-plan (the new scenario version no longer has it) is in the publish's diff for each
    delegation that attended it (``by_delegation``, what the notices follow), not only in the notices."""
    scenario_id = submit_scenario(planner)
    first = solve(planner, scenario_id)["timetable_id"]
    publish(planner, first)
    cancelled = _replan(planner, first, [{"op": "event_cancelled", "event": "bil-un-fra"}])["timetable_id"]
    outcome = publish(planner, cancelled)
    assert outcome["cancelled"] == ["bil-un-fra"]
    assert {"UN", "FRA"} <= set(outcome["by_delegation"]), outcome["by_delegation"]
    assert any("cancelled" in line for line in outcome["by_delegation"]["FRA"])
    assert set(outcome["notices"]) >= {"UN", "FRA"}


def test_an_overrun_that_leaves_a_required_event_no_place_is_a_proposal_the_planner_can_publish(
        planner: httpx.Client, tmp_path: Path) -> None:
    """One room until 12:15 holds the talk (60 min), a required meeting, an optional side meeting and an exclusive
    closing from 11:00. The talk starts and runs 60 minutes late: the room can no longer hold every required event.
    The report still gets a proposal (never "infeasible"): it names the required event it could not keep, and
    publishing it is the planner's choice, checked by the validator told of it (no broken rule)."""
    day = {"name": "one room", "timezone": "Asia/Ho_Chi_Minh", "slot_minutes": 15,
           "days": [{"date": "2025-10-25", "start": "09:00", "end": "12:15"}], "rooms": [{"id": "r1", "capacity": 10}],
           "participants": [{"id": p, "delegation": p.upper() * 3} for p in ("a", "b", "c")],
           "events": [{"id": "talk", "title": "talk", "duration_minutes": 60, "participants": ["a"]},
                      {"id": "meeting", "title": "meeting", "duration_minutes": 30, "participants": ["b"]},
                      {"id": "side", "title": "side", "duration_minutes": 30, "participants": ["b"], "required": False,
                       "priority": 3},
                      {"id": "closing", "title": "closing", "duration_minutes": 60, "participants": ["c"],
                       "exclusive": True, "earliest": "2025-10-25T11:00", "attendance": 8}]}
    path = tmp_path / "one-room.yaml"
    path.write_text(json.dumps(day), encoding="utf-8")
    scenario_id = submit_scenario(planner, path)
    first = solve(planner, scenario_id)["timetable_id"]
    publish(planner, first)
    talk = next(a for a in planner.get(f"/timetables/{first}").json()["assignments"] if a["event"] == "talk")
    planner.put(f"/summits/{scenario_id}/clock", json={"clock": talk["start"][:16] + "+07:00"})
    planner.post(f"/summits/{scenario_id}/reports", json={"kind": "event_started", "event": "talk"})
    proposal = planner.post(f"/summits/{scenario_id}/reports",
                            json={"kind": "running_late", "event": "talk", "minutes": 60}).json()
    ready = _ready(planner, proposal)
    assert ready["result"]["status"] in ("optimal", "feasible"), ready
    given_up = ready["result"]["given_up"]
    assert given_up and set(given_up) <= {"meeting", "closing"}, ready["result"]
    assert all(any(note.startswith(f"required event {name} could not be kept: ") for note in ready["result"]["notes"])
               for name in given_up), ready["result"]["notes"]
    accepted = planner.post(f"/proposals/{proposal['id']}/accept", json={})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["published"]["broken_rules"] == []  # the validator, told of the event given up


def test_a_meeting_running_late_into_a_pinned_exclusive_opening_is_a_proposal_that_says_so_and_publishes(
        planner: httpx.Client, tmp_path: Path) -> None:
    """The meeting (09:00-09:30) starts and runs 10 minutes late, into the opening the planner pinned at 09:30 and
    made exclusive: neither can move. The proposal waives the exclusive rule for the two only, says so and whom to
    tell (never "infeasible"), and publishing it is checked by the validator told of the pair (no broken rule)."""
    day = {"name": "pinned opening", "timezone": "Asia/Ho_Chi_Minh", "slot_minutes": 15,
           "days": [{"date": "2025-10-25", "start": "09:00", "end": "12:00"}],
           "rooms": [{"id": "r1", "capacity": 10}, {"id": "r2", "capacity": 10}],
           "participants": [{"id": p, "delegation": p.upper() * 3} for p in ("a", "b")],
           "events": [{"id": "meeting", "title": "meeting", "duration_minutes": 30, "participants": ["a"],
                       "rooms": ["r2"], "latest_end": "2025-10-25T09:30"},
                      {"id": "opening", "title": "opening", "duration_minutes": 60, "participants": ["b"],
                       "rooms": ["r1"], "exclusive": True, "pinned": {"room": "r1", "start": "2025-10-25T09:30"}}]}
    path = tmp_path / "pinned-opening.yaml"
    path.write_text(json.dumps(day), encoding="utf-8")
    scenario_id = submit_scenario(planner, path)
    publish(planner, solve(planner, scenario_id)["timetable_id"])
    planner.put(f"/summits/{scenario_id}/clock", json={"clock": "2025-10-25T09:00+07:00"})
    planner.post(f"/summits/{scenario_id}/reports", json={"kind": "event_started", "event": "meeting"})
    planner.put(f"/summits/{scenario_id}/clock", json={"clock": "2025-10-25T09:25+07:00"})
    proposal = planner.post(f"/summits/{scenario_id}/reports",
                            json={"kind": "running_late", "event": "meeting", "minutes": 10}).json()
    ready = _ready(planner, proposal)
    assert ready["result"]["status"] == "feasible", ready
    assert ready["result"]["overlaps_waived"] == [["meeting", "opening"]]
    assert any("meeting (until 09:45) runs 15 min into opening" in note and "(H11)" in note
               and "tell AAA, BBB" in note for note in ready["result"]["notes"]), ready["result"]["notes"]
    accepted = planner.post(f"/proposals/{proposal['id']}/accept", json={})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["published"]["broken_rules"] == []  # the validator, told of the pair


def test_a_meeting_running_late_past_its_delegates_availability_is_a_proposal_that_says_so_and_publishes(
        planner: httpx.Client, tmp_path: Path) -> None:
    """The meeting, pinned at 09:30, starts and runs 15 minutes late, until 10:15, while a leaves at 10:00: the
    proposal keeps it where it runs (never "infeasible"), waives a's availability for it, names it
    (``availability_waived``) and whom to tell; the publish check, told, finds no broken rule; and the explanation of
    the proposal's timetable (its re-plan's waivers) does not name a's availability."""
    day = {"name": "a delegate leaves", "timezone": "Asia/Ho_Chi_Minh", "slot_minutes": 15,
           "days": [{"date": "2025-10-25", "start": "09:00", "end": "12:00"}],
           "rooms": [{"id": "r1", "capacity": 10}],
           "participants": [{"id": "a", "delegation": "AAA",
                             "available": [{"start": "2025-10-25T09:00", "end": "2025-10-25T10:00"}]},
                            {"id": "b", "delegation": "BBB"}],
           "events": [{"id": "meeting", "title": "meeting", "duration_minutes": 30, "participants": ["a", "b"],
                       "rooms": ["r1"], "pinned": {"room": "r1", "start": "2025-10-25T09:30"}}]}
    path = tmp_path / "a-delegate-leaves.yaml"
    path.write_text(json.dumps(day), encoding="utf-8")
    scenario_id = submit_scenario(planner, path)
    publish(planner, solve(planner, scenario_id)["timetable_id"])
    planner.put(f"/summits/{scenario_id}/clock", json={"clock": "2025-10-25T09:30+07:00"})
    planner.post(f"/summits/{scenario_id}/reports", json={"kind": "event_started", "event": "meeting"})
    planner.put(f"/summits/{scenario_id}/clock", json={"clock": "2025-10-25T09:55+07:00"})
    proposal = planner.post(f"/summits/{scenario_id}/reports",
                            json={"kind": "running_late", "event": "meeting", "minutes": 15}).json()
    ready = _ready(planner, proposal)
    assert ready["result"]["status"] == "feasible", ready
    assert ready["result"]["availability_waived"] == ["meeting"] and ready["result"]["overlaps_waived"] == []
    assert "meeting now ends at 10:15, 15 min after a (AAA) leaves at 10:00: kept, their availability waived for " \
           "its overrun only (a report is a fact); tell AAA" in ready["result"]["notes"], ready["result"]["notes"]
    explained = planner.get(f"/timetables/{ready['timetable_id']}/explain", params={"time_limit_s": 5})
    assert explained.status_code == 200, explained.text
    assert [d["code"] for d in explained.json()["diagnostics"]] == ["feasible"], explained.json()
    accepted = planner.post(f"/proposals/{proposal['id']}/accept", json={})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["published"]["broken_rules"] == []  # the validator, told of the waived availability


def test_a_meeting_running_late_past_the_days_close_is_a_proposal_that_says_so_and_publishes(
        planner: httpx.Client, tmp_path: Path) -> None:
    """The meeting, pinned at 11:30 on a day that closes at 12:00, starts and runs 15 minutes late, until 12:15: the
    report is accepted (before: refused, "the pinned event does not fit inside a day's hours"), the proposal keeps it
    where it runs, names it (``day_close_waived``) and who must stay and whom to tell; its timetable says its true end;
    the explanation of the proposal's timetable (its re-plan's waivers) finds it feasible; the publish check, told,
    finds no broken rule."""
    day = {"name": "the day runs long", "timezone": "Asia/Ho_Chi_Minh", "slot_minutes": 15,
           "days": [{"date": "2025-10-25", "start": "09:00", "end": "12:00"}],
           "rooms": [{"id": "r1", "capacity": 10}],
           "participants": [{"id": "a", "delegation": "AAA"}, {"id": "b", "delegation": "BBB"}],
           "events": [{"id": "meeting", "title": "meeting", "duration_minutes": 30, "participants": ["a", "b"],
                       "rooms": ["r1"], "pinned": {"room": "r1", "start": "2025-10-25T11:30"}}]}
    path = tmp_path / "the-day-runs-long.yaml"
    path.write_text(json.dumps(day), encoding="utf-8")
    scenario_id = submit_scenario(planner, path)
    publish(planner, solve(planner, scenario_id)["timetable_id"])
    planner.put(f"/summits/{scenario_id}/clock", json={"clock": "2025-10-25T11:30+07:00"})
    planner.post(f"/summits/{scenario_id}/reports", json={"kind": "event_started", "event": "meeting"})
    planner.put(f"/summits/{scenario_id}/clock", json={"clock": "2025-10-25T11:55+07:00"})
    proposal = planner.post(f"/summits/{scenario_id}/reports",
                            json={"kind": "running_late", "event": "meeting", "minutes": 15}).json()
    ready = _ready(planner, proposal)
    assert ready["result"]["status"] == "feasible", ready
    assert ready["result"]["day_close_waived"] == ["meeting"] and ready["result"]["availability_waived"] == []
    assert "meeting now ends at 12:15, 15 min after the day's close at 12:00: kept, the day's hours waived for its " \
           "overrun only (a report is a fact); the venue's r1 must stay; tell AAA, BBB" in ready["result"]["notes"], \
        ready["result"]["notes"]
    table = planner.get(f"/timetables/{ready['timetable_id']}").json()
    (meeting,) = [a for a in table["assignments"] if a["event"] == "meeting"]
    assert meeting["end"].startswith("2025-10-25T12:15"), meeting
    explained = planner.get(f"/timetables/{ready['timetable_id']}/explain", params={"time_limit_s": 5})
    assert explained.status_code == 200, explained.text
    assert [d["code"] for d in explained.json()["diagnostics"]] == ["feasible"], explained.json()
    accepted = planner.post(f"/proposals/{proposal['id']}/accept", json={})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["published"]["broken_rules"] == []  # the validator, told of the day's close
