"""What a delegation reads, through a real server: the summit's current timetable by name, agendas that say
when a re-plan superseded them, counterparts by delegation and title, refused requests, and calendars (files
and a subscription feed) whose entries follow a re-plan: same UID, higher SEQUENCE, STATUS:CANCELLED."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import icalendar

from tests.api.conftest import Server, publish, solve, submit_scenario, wait_for_job


def _vevents(body: bytes) -> dict[str, Any]:
    calendar = icalendar.Calendar.from_ical(body)
    assert calendar.walk("VTIMEZONE"), "the file carries its VTIMEZONE"
    return {str(e["UID"]).split("@")[0]: e for e in calendar.walk("VEVENT")}


def _replan(planner: httpx.Client, timetable_id: str, changes: list[dict[str, Any]]) -> str:
    accepted = planner.post(f"/timetables/{timetable_id}/changes", json={"changes": changes, "time_limit_s": 3})
    assert accepted.status_code == 202, accepted.text
    job = wait_for_job(planner, accepted.json()["id"])
    assert job["status"] == "done" and job["timetable_id"], job
    return job["timetable_id"]  # type: ignore[no-any-return]


def test_a_liaison_follows_the_current_timetable_through_a_replan(server: Server, planner: httpx.Client,
                                                                   keys: dict[str, str]) -> None:
    scenario_id = submit_scenario(planner)
    first = solve(planner, scenario_id)["timetable_id"]
    placed = {a["event"]: a for a in planner.get(f"/timetables/{first}").json()["assignments"]}
    assert {"bil-vnm-fra", "bil-un-fra"} <= set(placed)
    with server.client(keys["liaison"]) as liaison:  # a draft: delegations see nothing yet
        assert scenario_id not in {s["scenario_id"] for s in liaison.get("/summits").json()}
        assert liaison.get(f"/timetables/{first}/delegations/FRA").status_code == 404
    publish(planner, first)

    with server.client(keys["liaison"]) as liaison:
        # The summit and its current timetable, by name: no id to paste.
        summits = {s["scenario_id"]: s for s in liaison.get("/summits").json()}
        assert summits[scenario_id]["current_timetable_id"] == first
        assert summits[scenario_id]["name"] == "Tiny two-leader summit"
        # Counterparts by delegation and title in the delegation's own meetings, not by name.
        agenda = liaison.get(f"/timetables/{first}/delegations/FRA").json()
        meeting = next(i for i in agenda["items"] if i["event"] == "bil-vnm-fra")
        assert meeting["participants"] == ["fra-hod"] and meeting["other_participants"] == 1
        assert meeting["counterparts"] == ["VNM: vvip"]
        assert agenda["superseded_by"] is None and agenda["timezone"] == "Asia/Ho_Chi_Minh"
        # The subscription: a secret URL read without a key.
        feeds = liaison.get("/feeds/me").json()
        feed = next(f for f in feeds["feeds"] if f["scenario_id"] == scenario_id)
        before = _vevents(httpx.get(feed["delegation"]).content)
        assert set(before) == {"bil-vnm-fra", "bil-un-fra"}
        assert all(int(e["SEQUENCE"]) == 0 for e in before.values())
        person = httpx.get(feed["participants"][0]["url"])
        assert person.status_code == 200 and set(_vevents(person.content)) == {"bil-vnm-fra", "bil-un-fra"}

    # The planner moves one of France's meetings and cancels the other.
    old_start = datetime.fromisoformat(placed["bil-vnm-fra"]["start"])
    new_start = "2025-10-25T11:30" if old_start.hour < 11 else "2025-10-25T10:30"
    second = _replan(planner, first, [{"op": "pin", "event": "bil-vnm-fra", "start": new_start},
                                      {"op": "event_cancelled", "event": "bil-un-fra"}])
    with server.client(keys["liaison"]) as liaison:  # the re-plan is a draft until published
        assert {s["scenario_id"]: s for s in liaison.get("/summits").json()}[scenario_id]["current_timetable_id"] \
            == first
        assert _vevents(httpx.get(feed["delegation"]).content) == before
    publish(planner, second)

    with server.client(keys["liaison"]) as liaison:
        summits = {s["scenario_id"]: s for s in liaison.get("/summits").json()}
        assert summits[scenario_id]["current_timetable_id"] == second
        old = liaison.get(f"/timetables/{first}/delegations/FRA").json()
        assert old["superseded_by"] == second
        # The same feed URL now serves the re-plan: same UIDs, the moved one's SEQUENCE up, the other cancelled.
        after = _vevents(httpx.get(feed["delegation"]).content)
    assert str(after["bil-vnm-fra"]["UID"]) == str(before["bil-vnm-fra"]["UID"])
    assert int(after["bil-vnm-fra"]["SEQUENCE"]) == 1 and str(after["bil-vnm-fra"]["STATUS"]) == "CONFIRMED"
    assert after["bil-vnm-fra"].decoded("DTSTART").strftime("%H:%M") == new_start[-5:]
    assert str(after["bil-un-fra"]["STATUS"]) == "CANCELLED" and int(after["bil-un-fra"]["SEQUENCE"]) == 1
    # The planner's whole-timetable file says the same.
    whole = _vevents(planner.get(f"/timetables/{second}", params={"format": "ics"}).content)
    assert int(whole["bil-vnm-fra"]["SEQUENCE"]) == 1 and str(whole["bil-un-fra"]["STATUS"]) == "CANCELLED"
    assert int(whole["opening"]["SEQUENCE"]) == 0


def test_feeds_are_read_only_secret_and_per_liaison(server: Server, planner: httpx.Client, keys: dict[str, str],
                                                     solved: dict[str, str]) -> None:
    with server.client(keys["liaison"]) as liaison:
        feed = next(f for f in liaison.get("/feeds/me").json()["feeds"] if f["scenario_id"] == solved["scenario"])
    assert planner.get("/feeds/me").status_code == 403  # feeds belong to liaison keys
    token = feed["delegation"].split("/feeds/")[1].split("/")[0]
    forged = feed["delegation"].replace(token, token[:-4] + "0000")
    assert httpx.get(forged).status_code == 404
    assert httpx.post(feed["delegation"]).status_code == 405
    # Another delegation's member cannot be read through FRA's token.
    other = feed["delegation"].replace("delegation.ics", "participants/vnm-pres.ics")
    assert httpx.get(other).status_code == 404


def test_a_delegation_agenda_lists_its_refused_requests_with_reasons(server: Server, planner: httpx.Client,
                                                                      keys: dict[str, str]) -> None:
    """France's head may attend one event a day: one of its two bilaterals is refused, and the agenda says why."""
    scenario_id = submit_scenario(planner)
    document = planner.get(f"/scenarios/{scenario_id}").json()["scenario"]
    document["participants"][2]["max_events_per_day"] = 1
    response = planner.post("/scenarios", json=document)
    assert response.status_code == 201, response.text
    timetable_id = solve(planner, response.json()["id"])["timetable_id"]
    publish(planner, timetable_id)
    with server.client(keys["liaison"]) as liaison:
        agenda = liaison.get(f"/timetables/{timetable_id}/delegations/FRA").json()
    [refused] = agenda["refused"]
    assert refused["event"] in ("bil-vnm-fra", "bil-un-fra")
    assert "has reached the limit of 1 event a day" in refused["reason"]
    assert refused["with"] in (["VNM: vvip"], ["UN: vvip"])


def test_a_replan_job_sends_progress(planner: httpx.Client, solved: dict[str, str]) -> None:
    """The previous timetable's value at once, the repair's at the end (and beats in between when it runs
    past a second), each point labelled, in the job and in its event stream."""
    accepted = planner.post(f"/timetables/{solved['timetable']}/changes", json={
        "changes": [{"op": "room_closed", "room": "bil-h", "start": "2025-10-25T11:00", "end": "2025-10-25T12:00"}],
        "time_limit_s": 2})
    assert accepted.status_code == 202, accepted.text
    job = wait_for_job(planner, accepted.json()["id"])
    assert job["status"] == "done", job
    labels = [point["label"] for point in job["progress"]]
    assert labels[0] == "previous timetable" and labels[-1].startswith("repair (disruption ")
    assert set(labels[1:-1]) <= {"re-planning"}
    with planner.stream("GET", f"/jobs/{job['id']}/events") as stream:
        text = stream.read().decode()
    assert '"label": "previous timetable"' in text or '"label":"previous timetable"' in text
