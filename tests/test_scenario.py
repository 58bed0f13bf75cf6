"""Reading scenarios: every contract problem is reported with its path and value; defaults and times."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from solver.scenario import Problem, Scenario, ScenarioError, load_scenario, parse_scenario, read_document

DAY = "2025-10-25"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
EXAMPLE = Path(__file__).resolve().parent.parent / "scenarios" / "examples" / "tiny.yaml"


def doc(**fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "scenario-test",
        "timezone": "Asia/Ho_Chi_Minh",
        "slot_minutes": 15,
        "days": [{"date": DAY, "start": "09:00", "end": "12:00"}],
        "rooms": [{"id": "r1", "capacity": 10}],
        "participants": [{"id": "a"}, {"id": "b"}],
        "resources": [{"id": "interp", "capacity": 1}],
        "events": [],
    }
    data.update(fields)
    return data


def ev(id: str, minutes: int = 30, **fields: Any) -> dict[str, Any]:
    return {"id": id, "duration_minutes": minutes, **fields}


def problems(data: dict[str, Any]) -> list[Problem]:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data)
    assert caught.value.problems
    return caught.value.problems


def problem_at(data: dict[str, Any], path: str) -> Problem:
    found = problems(data)
    matching = [p for p in found if p.path == path]
    assert matching, f"no problem at {path}: {[str(p) for p in found]}"
    return matching[0]


# --------------------------------------------------------------------------------------
# Invalid scenarios
# --------------------------------------------------------------------------------------


def test_valid_base_and_example_parse() -> None:
    assert isinstance(parse_scenario(doc(events=[ev("e1", participants=["a"])])), Scenario)
    tiny = load_scenario(EXAMPLE)
    assert [e.id for e in tiny.events] == ["opening", "bil-vnm-fra", "bil-un-fra"]


def test_unknown_participant() -> None:
    p = problem_at(doc(events=[ev("e0", participants=["a"]), ev("e1", participants=["ghost"])]),
                   "events[1].participants[0]")
    assert p.value == "ghost" and "unknown participant" in p.message
    assert "events[1].participants[0]" in str(p) and "ghost" in str(p)


def test_participant_listed_twice() -> None:
    problem_at(doc(events=[ev("e1", participants=["a", "a"])]), "events[0].participants[1]")


def test_unknown_room_in_rooms_and_pin() -> None:
    p = problem_at(doc(events=[ev("e1", rooms=["r1", "nowhere"])]), "events[0].rooms[1]")
    assert p.value == "nowhere" and "r1" in p.message  # says what is allowed
    p = problem_at(doc(events=[ev("e1", pinned={"room": "nowhere"})]), "events[0].pinned.room")
    assert p.value == "nowhere"


def test_unknown_zone() -> None:
    p = problem_at(doc(rooms=[{"id": "r1", "capacity": 10, "zone": "moon"}]), "rooms[0].zone")
    assert p.value == "moon" and "main" in p.message
    problem_at(doc(travel_minutes=[{"from": "main", "to": "moon", "minutes": 10}]), "travel_minutes[0].to")
    problem_at(doc(security={"max_vvip_events_per_zone": {"moon": 1}}), "security.max_vvip_events_per_zone.moon")


def test_unknown_resource() -> None:
    p = problem_at(doc(events=[ev("e1", uses={"press-pool": 1})]), "events[0].uses.press-pool")
    assert p.value == "press-pool" and "interp" in p.message


def test_unknown_event_in_after() -> None:
    p = problem_at(doc(events=[ev("e1"), ev("e2", after=["e1", "e9"])]), "events[1].after[1]")
    assert p.value == "e9"
    problem_at(doc(events=[ev("e1", after=["e1"])]), "events[0].after[0]")


@pytest.mark.parametrize("kind", ["rooms", "participants", "events", "resources", "zones"])
def test_duplicate_ids(kind: str) -> None:
    lists: dict[str, list[dict[str, Any]]] = {
        "rooms": [{"id": "x", "capacity": 1}, {"id": "x", "capacity": 2}],
        "participants": [{"id": "x"}, {"id": "x"}],
        "events": [ev("x"), ev("x")],
        "resources": [{"id": "x", "capacity": 1}, {"id": "x", "capacity": 1}],
        "zones": [{"id": "main"}, {"id": "main"}],
    }
    items = lists[kind]
    p = problem_at(doc(**{kind: items}), f"{kind}[1].id")
    assert p.value == items[1]["id"] and f"{kind}[0]" in p.message


def test_duplicate_day() -> None:
    problem_at(doc(days=[{"date": DAY, "start": "09:00", "end": "12:00"}] * 2), "days[1].date")


def test_duration_off_grid() -> None:
    p = problem_at(doc(events=[ev("e1", 20)]), "events[0].duration_minutes")
    assert p.value == 20 and "15" in p.message


def test_pinned_start_off_grid_and_outside_hours() -> None:
    p = problem_at(doc(events=[ev("e1", pinned={"start": f"{DAY}T09:10"})]), "events[0].pinned.start")
    assert "09:10" in str(p.value) and "grid" in p.message
    p = problem_at(doc(events=[ev("e1", pinned={"start": f"{DAY}T12:00"})]), "events[0].pinned.start")
    assert "day" in p.message


def test_a_pinned_run_past_the_close_is_placed_only_for_a_fact() -> None:
    """A pin that starts inside the day but runs past its close is a valid scenario (a summit-day report's overrun
    runs so: docs/summit-day.md), and only an event that runs is placed there; any other has no placement, its reason
    naming the close."""
    from solver.compile import Waivers, compile_scenario

    model = parse_scenario(doc(events=[ev("e1", pinned={"start": f"{DAY}T11:45"})]))
    (check,) = compile_scenario(model).prechecks
    assert check.code == "pinned_start_impossible" and "past the day's close at 12:00" in check.message
    assert compile_scenario(model, waivers=Waivers(facts=frozenset({"e1"}))).prechecks == []


def test_day_hours_off_grid_or_reversed() -> None:
    problem_at(doc(days=[{"date": DAY, "start": "09:10", "end": "12:00"}]), "days[0].start")
    problem_at(doc(days=[{"date": DAY, "start": "12:00", "end": "09:00"}]), "days[0].end")


def test_windows_outside_the_days() -> None:
    outside = {"start": "2025-10-27T09:00", "end": "2025-10-27T10:00"}
    p = problem_at(doc(participants=[{"id": "a", "available": [outside]}]), "participants[0].available[0]")
    assert "2025-10-27T09:00" in str(p.value)
    problem_at(doc(rooms=[{"id": "r1", "capacity": 10, "unavailable": [outside]}]), "rooms[0].unavailable[0]")
    problem_at(doc(events=[ev("e1", earliest="2025-12-25T09:00")]), "events[0].earliest")


def test_window_end_before_start() -> None:
    bad = {"start": f"{DAY}T10:00", "end": f"{DAY}T09:00"}
    p = problems(doc(participants=[{"id": "a", "available": [bad]}]))[0]
    assert p.path.startswith("participants[0].available[0]") and "after start" in p.message


def test_latest_end_not_after_earliest() -> None:
    problem_at(doc(events=[ev("e1", earliest=f"{DAY}T10:00", latest_end=f"{DAY}T10:00")]), "events[0].latest_end")


def test_cycle_in_after() -> None:
    found = problems(doc(events=[ev("e1", after=["e3"]), ev("e2", after=["e1"]), ev("e3", after=["e2"])]))
    cycles = [p for p in found if "cycle" in p.message]
    assert len(cycles) == 1
    assert all(e in cycles[0].message for e in ("e1", "e2", "e3"))
    assert cycles[0].path.startswith("events[")


@pytest.mark.parametrize("value", [0, -3])
def test_zero_or_negative_capacity_and_duration(value: int) -> None:
    assert problem_at(doc(rooms=[{"id": "r1", "capacity": value}]), "rooms[0].capacity").value == value
    assert problem_at(doc(events=[ev("e1", value)]), "events[0].duration_minutes").value == value


def test_negative_resource_capacity_and_priority() -> None:
    problem_at(doc(resources=[{"id": "interp", "capacity": -1}]), "resources[0].capacity")
    problem_at(doc(events=[ev("e1", priority=-1)]), "events[0].priority")
    problem_at(doc(events=[ev("e1", uses={"interp": 0})]), "events[0].uses.interp")


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "Hanoi", ""])
def test_nonexistent_timezone(zone: str) -> None:
    p = problem_at(doc(timezone=zone), "timezone")
    assert p.value == zone and "IANA" in p.message


def test_unknown_field() -> None:
    p = problem_at(doc(rooms=[{"id": "r1", "capacity": 10, "colour": "red"}]), "rooms[0].colour")
    assert p.value == "red" and "unknown field" in p.message
    problem_at(doc(venue="Hanoi"), "venue")
    problem_at(doc(events=[ev("e1", priorty=3)]), "events[0].priorty")


def test_slot_minutes_range() -> None:
    problem_at(doc(slot_minutes=2), "slot_minutes")
    problem_at(doc(slot_minutes=90), "slot_minutes")


def test_several_errors_reported_at_once() -> None:
    # Field errors are all collected...
    found = problems(doc(timezone="Nowhere/City", rooms=[{"id": "r1", "capacity": 0, "colour": "red"}]))
    assert {"timezone", "rooms[0].capacity", "rooms[0].colour"} <= {p.path for p in found}
    # ... and so are cross-reference errors.
    error_doc = doc(events=[ev("e1", 20, participants=["ghost"], rooms=["nowhere"], uses={"nope": 1}),
                            ev("e1", after=["missing"])])
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(error_doc)
    paths = {p.path for p in caught.value.problems}
    assert {"events[0].duration_minutes", "events[0].participants[0]", "events[0].rooms[0]",
            "events[0].uses.nope", "events[1].id", "events[1].after[0]"} <= paths
    text = str(caught.value)
    assert f"{len(caught.value.problems)} problem(s)" in text and "ghost" in text


def test_not_a_mapping() -> None:
    with pytest.raises(ScenarioError):
        parse_scenario(["days"])


def test_problem_to_dict() -> None:
    p = problem_at(doc(events=[ev("e1", participants=["ghost"])]), "events[0].participants[0]")
    assert p.to_dict() == {"path": "events[0].participants[0]", "message": p.message, "value": "ghost"}


# --------------------------------------------------------------------------------------
# Times, defaults, YAML
# --------------------------------------------------------------------------------------


def test_naive_and_offset_datetimes_are_normalised() -> None:
    model = parse_scenario(doc(
        participants=[{"id": "a", "available": [
            {"start": f"{DAY}T09:00", "end": f"{DAY}T10:00"},
            {"start": f"{DAY}T03:00:00Z", "end": f"{DAY}T05:00:00+01:00"}]}],
        events=[ev("e1", earliest=f"{DAY}T02:30:00+00:00", latest_end=f"{DAY}T12:00",
                   pinned={"start": f"{DAY}T04:00:00+01:00"})]))
    first, second = model.participants[0].available or []
    assert first.start == datetime(2025, 10, 25, 9, 0, tzinfo=TZ)
    assert (second.start, second.end) == (datetime(2025, 10, 25, 10, 0, tzinfo=TZ),
                                          datetime(2025, 10, 25, 11, 0, tzinfo=TZ))
    event = model.events[0]
    assert event.earliest is not None and event.pinned is not None and event.pinned.start is not None
    for moment in (first.start, second.start, event.earliest, event.pinned.start):
        assert moment.tzinfo == TZ
    assert event.earliest.hour == 9 and event.earliest.minute == 30
    assert event.pinned.start.hour == 10
    assert model.localise(datetime(2025, 10, 25, 9, 0)) == datetime(2025, 10, 25, 9, 0, tzinfo=TZ)
    assert model.localise(datetime(2025, 10, 25, 2, 0, tzinfo=ZoneInfo("UTC"))).hour == 9


def test_window_mixing_naive_and_offset_times() -> None:
    model = parse_scenario(doc(participants=[{"id": "a", "available": [
        {"start": f"{DAY}T09:00", "end": f"{DAY}T03:00:00Z"}]}]))
    window = (model.participants[0].available or [])[0]
    assert window.end == datetime(2025, 10, 25, 10, 0, tzinfo=TZ)


def test_bilateral_defaults_to_optional_and_attendance_to_participants() -> None:
    model = parse_scenario(doc(events=[
        ev("bil", kind="bilateral", participants=["a", "b"]),
        ev("bil-req", kind="bilateral", required=True),
        ev("plenary", kind="high_level", participants=["a"]),
        ev("nobody"),
        ev("seats", participants=["a", "b"], attendance=40),
    ]))
    by_id = {e.id: e for e in model.events}
    assert by_id["bil"].required is False and by_id["bil-req"].required is True
    assert by_id["plenary"].required is True and by_id["nobody"].required is True
    assert by_id["bil"].attendance == 2 and by_id["plenary"].attendance == 1
    assert by_id["nobody"].attendance == 1 and by_id["seats"].attendance == 40
    assert by_id["bil"].priority == 1 and by_id["bil"].exclusive is False


def test_other_defaults() -> None:
    model = parse_scenario(doc())
    assert [z.id for z in model.zones] == ["main"]
    assert model.rooms[0].zone == "main" and model.rooms[0].security_level == 0
    assert model.participants[0].tier == "standard" and model.participants[0].available is None
    assert model.sweep_minutes == 0 and model.vvip_min_room_level == 0


def test_yaml_unquoted_times_are_read_as_times() -> None:
    text = f"""
name: yaml
timezone: Asia/Ho_Chi_Minh
days:
  - {{date: {DAY}, start: 10:30, end: 12:00}}
  - {{date: 2025-10-26, start: "09:00", end: 24:00}}
"""
    data = read_document(text)
    assert data["days"][0]["start"] == 630  # YAML 1.1 base-60
    model = parse_scenario(data)
    assert model.days[0].start == time(10, 30) and model.days[0].end == time(12, 0)
    start, end = model.day_bounds(model.days[1])
    assert start == datetime(2025, 10, 26, 9, 0, tzinfo=TZ)
    assert end == datetime(2025, 10, 27, 0, 0, tzinfo=TZ) and end - start == timedelta(hours=15)


def test_bad_yaml_and_json_give_scenario_errors() -> None:
    with pytest.raises(ScenarioError, match="not valid YAML"):
        read_document("days: [unclosed")
    with pytest.raises(ScenarioError, match="not valid JSON"):
        read_document("{\"days\": }")


def test_fingerprint_stable_and_content_sensitive() -> None:
    first = parse_scenario(doc(events=[ev("e1", participants=["a"], uses={"interp": 1})]))
    again = parse_scenario(doc(events=[ev("e1", participants=["a"], uses={"interp": 1})]))
    assert first.fingerprint() == again.fingerprint()
    assert first.fingerprint().startswith("sha256:") and len(first.fingerprint()) == len("sha256:") + 64
    # Same moments written with an offset: same content, same fingerprint.
    local = parse_scenario(doc(participants=[{"id": "a", "available": [
        {"start": f"{DAY}T09:00", "end": f"{DAY}T10:00"}]}, {"id": "b"}]))
    offset = parse_scenario(doc(participants=[{"id": "a", "available": [
        {"start": f"{DAY}T02:00:00Z", "end": f"{DAY}T03:00:00+00:00"}]}, {"id": "b"}]))
    assert local.fingerprint() == offset.fingerprint()
    # A round trip through the document keeps it.
    assert parse_scenario(first.to_document()).fingerprint() == first.fingerprint()
    # Any change of content changes it.
    changed = parse_scenario(doc(events=[ev("e1", 45, participants=["a"], uses={"interp": 1})]))
    assert changed.fingerprint() != first.fingerprint()
    renamed = parse_scenario(doc(name="other", events=[ev("e1", participants=["a"], uses={"interp": 1})]))
    assert renamed.fingerprint() != first.fingerprint()


def test_list_fields_that_are_not_lists_are_reported_not_raised() -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario({"events": 5, "rooms": 3, "days": "x"})
    paths = {p.path for p in caught.value.problems}
    assert {"events", "rooms", "days"} <= paths
