"""The independent validator: for each rule a hand-made valid timetable and a hand-broken one."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from solver.scenario import Scenario, parse_scenario
from solver.timetable import Assignment, ScenarioRef, Timetable
from solver.validate import Violation, objective_of, validate_timetable

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = "2025-10-25"


def scenario(**fields: Any) -> Scenario:
    """One day 09:00-12:00 in Hanoi, 15-minute slots, rooms r1 and r2, participants a and b."""
    data: dict[str, Any] = {
        "name": "validate-test",
        "timezone": "Asia/Ho_Chi_Minh",
        "slot_minutes": 15,
        "days": [{"date": DAY, "start": "09:00", "end": "12:00"}],
        "rooms": [{"id": "r1", "capacity": 10}, {"id": "r2", "capacity": 10}],
        "participants": [{"id": "a", "name": "Alice"}, {"id": "b", "name": "Bob"}],
        "events": [],
    }
    data.update(fields)
    return parse_scenario(data)


def ev(id: str, minutes: int = 30, people: tuple[str, ...] = ("a",), **fields: Any) -> dict[str, Any]:
    return {"id": id, "duration_minutes": minutes, "participants": list(people), **fields}


def at(hhmm: str, day: str = DAY) -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=TZ)


def put(event: str, room: str, hhmm: str, minutes: int = 30) -> Assignment:
    start = at(hhmm)
    return Assignment(event=event, room=room, start=start, end=start + timedelta(minutes=minutes))


def table(model: Scenario, *assignments: Assignment, objective: int | None = None,
          status: str = "feasible") -> Timetable:
    t = Timetable(scenario=ScenarioRef(name=model.name, fingerprint=model.fingerprint()),
                  status=status, assignments=list(assignments))  # type: ignore[arg-type]
    t.objective = objective_of(model, t) if objective is None else objective
    return t


def codes(violations: list[Violation]) -> set[str]:
    return {v.code for v in violations}


def only(violations: list[Violation], code: str) -> list[Violation]:
    found = [v for v in violations if v.code == code]
    assert found, f"expected {code}, got {[str(v) for v in violations]}"
    assert codes(violations) == {code}, [str(v) for v in violations]
    return found


def ok(model: Scenario, *assignments: Assignment) -> None:
    result = validate_timetable(model, table(model, *assignments))
    assert result == [], [str(v) for v in result]


# --------------------------------------------------------------------------------------


def test_h1_required_event_missing() -> None:
    model = scenario(events=[ev("e1"), ev("bil", kind="bilateral")])
    ok(model, put("e1", "r1", "09:00"))
    (v,) = only(validate_timetable(model, table(model, put("bil", "r1", "09:00"))), "H1")
    assert v.events == ("e1",)


def test_h2_grid_duration_and_day() -> None:
    model = scenario(events=[ev("e1")])
    ok(model, put("e1", "r1", "11:30"))
    # The same moment written in UTC is fine.
    utc = at("09:00").astimezone(ZoneInfo("UTC"))
    ok(model, Assignment(event="e1", room="r1", start=utc, end=utc + timedelta(minutes=30)))
    off_grid = put("e1", "r1", "09:05")
    assert only(validate_timetable(model, table(model, off_grid)), "H2")[0].events == ("e1",)
    seconds = put("e1", "r1", "09:00")
    seconds.start, seconds.end = seconds.start + timedelta(seconds=30), seconds.end + timedelta(seconds=30)
    only(validate_timetable(model, table(model, seconds)), "H2")
    only(validate_timetable(model, table(model, put("e1", "r1", "09:00", minutes=45))), "H2")
    late = only(validate_timetable(model, table(model, put("e1", "r1", "11:45"))), "H2")
    assert "11:45-12:15 on 25 Oct" in late[0].message
    only(validate_timetable(model, table(model, put("e1", "r1", "08:45"))), "H2")


def test_h2_grid_is_counted_from_local_midnight() -> None:
    # Kathmandu is UTC+05:45: 09:00 local is 03:15 UTC, which is on the 30-minute grid only locally.
    model = scenario(timezone="Asia/Kathmandu", slot_minutes=30, events=[ev("e1")])
    start = datetime(2025, 10, 25, 9, 0, tzinfo=ZoneInfo("Asia/Kathmandu"))
    ok(model, Assignment(event="e1", room="r1", start=start, end=start + timedelta(minutes=30)))
    shifted = start + timedelta(minutes=15)
    bad = Assignment(event="e1", room="r1", start=shifted, end=shifted + timedelta(minutes=30))
    only(validate_timetable(model, table(model, bad)), "H2")


def test_structural_codes() -> None:
    model = scenario(events=[ev("e1")])
    result = validate_timetable(model, table(model, put("e1", "r1", "09:00"), put("ghost", "r1", "10:00")))
    assert codes(result) == {"unknown_event"} and result[0].events == ("ghost",)
    result = validate_timetable(model, table(model, put("e1", "nowhere", "09:00")))
    assert codes(result) == {"unknown_room"} and result[0].rooms == ("nowhere",)
    result = validate_timetable(model, table(model, put("e1", "r1", "09:00"), put("e1", "r2", "10:00")))
    assert codes(result) == {"duplicate_assignment"}


def test_h3_room_fit() -> None:
    model = scenario(
        rooms=[{"id": "small", "capacity": 2}, {"id": "big", "capacity": 50, "features": ["interpretation"],
                                                 "security_level": 2},
               {"id": "low", "capacity": 50, "features": ["interpretation"], "security_level": 1}],
        participants=[{"id": "a"}, {"id": "pres", "tier": "vvip"}],
        security={"vvip_min_room_level": 2},
        events=[ev("crowd", attendance=5), ev("interp", features=["interpretation"]),
                ev("only-big", rooms=["big"]), ev("summit", people=("pres",))])
    ok(model, put("crowd", "big", "09:00"), put("interp", "big", "09:30"), put("only-big", "big", "10:00"),
       put("summit", "big", "10:30"))
    base = {"interp": put("interp", "big", "09:30"), "only-big": put("only-big", "big", "10:00"),
            "summit": put("summit", "big", "10:30"), "crowd": put("crowd", "big", "09:00")}
    for event, room in (("crowd", "small"), ("interp", "small"), ("only-big", "low"), ("summit", "low")):
        placed = dict(base)
        placed[event] = put(event, room, placed[event].start.strftime("%H:%M"))
        found = only(validate_timetable(model, table(model, *placed.values())), "H3")
        assert all(v.events == (event,) and v.rooms == (room,) for v in found)


def test_h4_room_unavailable() -> None:
    model = scenario(rooms=[{"id": "r1", "capacity": 10, "unavailable": [
        {"start": f"{DAY}T10:00", "end": f"{DAY}T10:30", "reason": "cleaning"}]}], events=[ev("e1")])
    ok(model, put("e1", "r1", "09:30"))
    ok(model, put("e1", "r1", "10:30"))
    (v,) = only(validate_timetable(model, table(model, put("e1", "r1", "10:15"))), "H4")
    assert v.events == ("e1",) and v.rooms == ("r1",) and "cleaning" in v.message


def test_h5_participant_availability_with_merged_windows() -> None:
    model = scenario(participants=[{"id": "a", "available": [
        {"start": f"{DAY}T09:00", "end": f"{DAY}T10:00"}, {"start": f"{DAY}T10:00", "end": f"{DAY}T11:00"}]}],
        events=[ev("e1", people=("a",))])
    ok(model, put("e1", "r1", "09:45"))  # across the two touching windows
    (v,) = only(validate_timetable(model, table(model, put("e1", "r1", "10:45"))), "H5")
    assert v.events == ("e1",) and v.participants == ("a",)


def test_h5_gap_between_windows() -> None:
    model = scenario(participants=[{"id": "a", "available": [
        {"start": f"{DAY}T09:00", "end": f"{DAY}T10:00"}, {"start": f"{DAY}T10:15", "end": f"{DAY}T11:00"}]}],
        events=[ev("e1", people=("a",))])
    ok(model, put("e1", "r1", "10:15"))
    only(validate_timetable(model, table(model, put("e1", "r1", "09:45"))), "H5")


def test_h6_bounds_and_pins() -> None:
    model = scenario(rooms=[{"id": f"r{i}", "capacity": 10} for i in (1, 2, 3)],
                     participants=[{"id": "a"}, {"id": "b"}, {"id": "c"}],
                     events=[ev("early", earliest=f"{DAY}T10:00"), ev("late", people=("b",), latest_end=f"{DAY}T10:00"),
                             ev("pin", people=("c",), pinned={"room": "r2", "start": f"{DAY}T11:00"})])
    good = [put("early", "r1", "10:00"), put("late", "r3", "09:30"), put("pin", "r2", "11:00")]
    ok(model, *good)
    for broken in (put("early", "r1", "09:45"), put("late", "r3", "09:45"), put("pin", "r1", "11:00"),
                   put("pin", "r2", "11:15")):
        placed = {a.event: a for a in good}
        placed[broken.event] = broken
        found = only(validate_timetable(model, table(model, *placed.values())), "H6")
        assert all(broken.event in v.events for v in found)


def test_h7_changeover_and_sweep() -> None:
    model = scenario(rooms=[{"id": "r1", "capacity": 10, "changeover_minutes": 15}, {"id": "r2", "capacity": 10}],
                     participants=[{"id": "a"}, {"id": "b"}, {"id": "pres", "tier": "vvip"}],
                     security={"sweep_minutes": 30},
                     events=[ev("e1"), ev("e2", people=("b",)), ev("vip", people=("pres",))])
    ok(model, put("e1", "r1", "09:00"), put("e2", "r1", "09:45"), put("vip", "r2", "11:00"))
    ok(model, put("e1", "r2", "09:00"), put("vip", "r2", "10:00"), put("e2", "r2", "10:30"))
    (v,) = only(validate_timetable(model, table(model, put("e1", "r1", "09:00"), put("e2", "r1", "09:30"),
                                                put("vip", "r2", "11:00"))), "H7")
    assert set(v.events) == {"e1", "e2"} and v.rooms == ("r1",)
    # The sweep before a VVIP event needs 30 minutes even where the changeover is 0.
    (v,) = only(validate_timetable(model, table(model, put("e1", "r2", "09:00"), put("vip", "r2", "09:45"),
                                                put("e2", "r1", "11:00"))), "H7")
    assert set(v.events) == {"e1", "vip"}
    # Overlap in one room.
    (v,) = only(validate_timetable(model, table(model, put("e1", "r2", "09:00"), put("e2", "r2", "09:15"),
                                                put("vip", "r1", "11:00"))), "H7")
    assert set(v.events) == {"e1", "e2"}


def test_h7_only_within_a_day() -> None:
    model = scenario(days=[{"date": DAY, "start": "09:00", "end": "24:00"},
                           {"date": "2025-10-26", "start": "00:00", "end": "12:00"}],
                     rooms=[{"id": "r1", "capacity": 10, "changeover_minutes": 30}],
                     events=[ev("e1"), ev("e2", people=("b",))])
    end_of_day = put("e1", "r1", "23:30")
    next_day = Assignment(event="e2", room="r1", start=at("00:00", "2025-10-26"),
                          end=at("00:30", "2025-10-26"))
    ok(model, end_of_day, next_day)


def test_h8_overlap_break_and_travel() -> None:
    model = scenario(zones=[{"id": "main"}, {"id": "hotel"}],
                     travel_minutes=[{"from": "hotel", "to": "main", "minutes": 30}],
                     rooms=[{"id": "r1", "capacity": 10}, {"id": "r2", "capacity": 10},
                            {"id": "h1", "zone": "hotel", "capacity": 10}],
                     participants=[{"id": "a", "name": "Alice", "min_break_minutes": 15}, {"id": "b"}],
                     events=[ev("e1", people=("a",)), ev("e2", people=("a", "b")), ev("e3", people=("b",))])
    ok(model, put("e1", "r1", "09:00"), put("e2", "r2", "09:45"), put("e3", "r1", "10:15"))
    ok(model, put("e1", "r1", "09:00"), put("e2", "h1", "10:15"), put("e3", "r1", "11:15"))
    # Same time.
    (v,) = only(validate_timetable(model, table(model, put("e1", "r1", "09:00"), put("e2", "r2", "09:00"),
                                                put("e3", "r1", "10:00"))), "H8")
    assert set(v.events) == {"e1", "e2"} and v.participants == ("a",)
    assert "Alice (a) is in e1 and e2 at the same time, 09:00-09:30 on 25 Oct" in str(v)
    # Break too short.
    (v,) = only(validate_timetable(model, table(model, put("e1", "r1", "09:00"), put("e2", "r2", "09:30"),
                                                put("e3", "r1", "10:15"))), "H8")
    assert v.participants == ("a",)
    # Break kept but no time to travel to the guest house (b has no break: travel only).
    (v,) = only(validate_timetable(model, table(model, put("e1", "r1", "09:00"), put("e2", "h1", "09:45"),
                                                put("e3", "r1", "11:15"))), "H8")
    assert set(v.events) == {"e1", "e2"}
    (v,) = only(validate_timetable(model, table(model, put("e1", "r1", "09:00"), put("e2", "h1", "10:15"),
                                                put("e3", "r1", "11:00"))), "H8")
    assert set(v.events) == {"e2", "e3"} and v.participants == ("b",)


def test_h9_max_events_per_day() -> None:
    model = scenario(participants=[{"id": "a", "max_events_per_day": 1}, {"id": "b"}],
                     events=[ev("e1"), ev("e2", kind="bilateral")])
    ok(model, put("e1", "r1", "09:00"))
    (v,) = only(validate_timetable(model, table(model, put("e1", "r1", "09:00"), put("e2", "r1", "10:00"))), "H9")
    assert set(v.events) == {"e1", "e2"} and v.participants == ("a",)


def test_h10_after() -> None:
    model = scenario(events=[ev("first", kind="bilateral"), ev("second", people=("b",), kind="bilateral",
                                                                 after=["first"])])
    ok(model, put("first", "r1", "09:00"), put("second", "r2", "09:30"))
    ok(model, put("first", "r1", "09:00"))
    ok(model)
    (v,) = only(validate_timetable(model, table(model, put("first", "r1", "09:00"), put("second", "r2", "09:15"))),
                "H10")
    assert v.events == ("second", "first")
    (v,) = only(validate_timetable(model, table(model, put("second", "r2", "09:30"))), "H10")
    assert v.events == ("second", "first")


def test_h11_exclusive() -> None:
    model = scenario(events=[ev("opening", exclusive=True), ev("side", people=("b",))])
    ok(model, put("opening", "r1", "09:00"), put("side", "r2", "09:30"))
    (v,) = only(validate_timetable(model, table(model, put("opening", "r1", "09:00"), put("side", "r2", "09:15"))),
                "H11")
    assert set(v.events) == {"opening", "side"}


def test_an_overlap_waived_for_a_pair_is_not_asked_of_it_and_only_of_it() -> None:
    """``overlaps_waived`` (a running event that overran into one that cannot move, said explicitly): the rules
    between the two are not asked of that pair; a third event overlapping either is still a violation."""
    model = scenario(participants=[{"id": "a"}, {"id": "b"}, {"id": "c"}],
                     events=[ev("opening", 60, ("a",), exclusive=True), ev("bil", 45, ("b",)),
                             ev("other", 30, ("c",))])
    ran = table(model, put("opening", "r1", "09:30", 60), put("bil", "r2", "09:00", 45), put("other", "r2", "10:30"))
    assert codes(validate_timetable(model, ran)) == {"H11"}
    assert validate_timetable(model, ran, overlaps_waived=[["bil", "opening"]]) == []
    late = table(model, put("opening", "r1", "09:30", 60), put("bil", "r2", "09:00", 45), put("other", "r2", "10:15"))
    (v,) = validate_timetable(model, late, overlaps_waived=[["bil", "opening"]])
    assert v.code == "H11" and set(v.events) == {"opening", "other"}
    same_room = table(model, put("bil", "r1", "09:00", 45), put("other", "r1", "09:30"),
                      put("opening", "r2", "10:30", 60))
    assert codes(validate_timetable(model, same_room)) == {"H7"}
    assert validate_timetable(model, same_room, overlaps_waived=[("bil", "other")]) == []


def test_an_overlap_waived_for_a_pair_excuses_what_the_smaller_of_it_holds_of_a_capacity() -> None:
    model = scenario(participants=[{"id": "a"}, {"id": "b"}, {"id": "c"}],
                     resources=[{"id": "interp", "capacity": 1}],
                     events=[ev("x", 45, ("a",), uses={"interp": 1}), ev("y", 30, ("b",), uses={"interp": 1}),
                             ev("z", 30, ("c",), uses={"interp": 1})])
    two = table(model, put("x", "r1", "09:00", 45), put("y", "r2", "09:30"), put("z", "r1", "11:00"))
    assert codes(validate_timetable(model, two)) == {"H13"}
    assert validate_timetable(model, two, overlaps_waived=[["x", "y"]]) == []
    three = table(model, put("x", "r1", "09:00", 45), put("y", "r2", "09:30"), put("z", "r1", "09:30"))
    assert "H13" in codes(validate_timetable(model, three, overlaps_waived=[["x", "y"]]))


def test_h12_vvip_escorts_per_zone() -> None:
    model = scenario(zones=[{"id": "main"}, {"id": "hotel"}],
                     rooms=[{"id": "r1", "capacity": 10}, {"id": "r2", "capacity": 10},
                            {"id": "h1", "zone": "hotel", "capacity": 10}],
                     participants=[{"id": "p1", "tier": "vvip"}, {"id": "p2", "tier": "vvip"}, {"id": "c"}],
                     security={"sweep_minutes": 15, "max_vvip_events_per_zone": {"main": 1}},
                     events=[ev("v1", people=("p1",)), ev("v2", people=("p2",)), ev("plain", people=("c",))])
    # Back to back in different rooms: the sweep of v2's room does not count against the escorts.
    ok(model, put("v1", "r1", "09:00"), put("v2", "r2", "09:30"), put("plain", "r1", "09:45"))
    # Another zone and a non-VVIP event are not limited.
    ok(model, put("v1", "r1", "09:00"), put("v2", "h1", "09:00"), put("plain", "r2", "09:00"))
    (v,) = only(validate_timetable(model, table(model, put("v1", "r1", "09:00"), put("v2", "r2", "09:15"),
                                                put("plain", "r1", "11:00"))), "H12")
    assert set(v.events) == {"v1", "v2"} and set(v.rooms) == {"r1", "r2"}


def test_h13_resources() -> None:
    model = scenario(resources=[{"id": "interp", "name": "Interpreters", "capacity": 2}],
                     events=[ev("e1", uses={"interp": 1}), ev("e2", people=("b",), uses={"interp": 1}),
                             ev("big", people=(), attendance=1, uses={"interp": 2})])
    ok(model, put("e1", "r1", "09:00"), put("e2", "r2", "09:00"), put("big", "r1", "09:30"))
    found = only(validate_timetable(model, table(model, put("e1", "r1", "09:00"), put("e2", "r2", "10:00"),
                                                 put("big", "r2", "09:15"))), "H13")
    assert set(found[0].events) == {"e1", "big"}


def test_objective_mismatch() -> None:
    model = scenario(events=[ev("e1"), ev("bil", people=("b",), kind="bilateral", priority=5)])
    assignments = (put("e1", "r1", "09:00"), put("bil", "r2", "09:00"))
    assert objective_of(model, table(model, *assignments)) == 5
    ok(model, *assignments)
    result = validate_timetable(model, table(model, *assignments, objective=6))
    assert codes(result) == {"objective_mismatch"}


@pytest.mark.parametrize("status", ["infeasible", "unknown"])
def test_no_solution_is_checked_for_assignments_only(status: str) -> None:
    model = scenario(events=[ev("e1")])
    assert validate_timetable(model, table(model, status=status, objective=3)) == []
    assert validate_timetable(model, table(model, put("e1", "r1", "09:00"), status=status)) != []


def test_violation_is_one_line() -> None:
    v = Violation("H1", "H1: e1 is required\nbut not scheduled", ("e1",))
    assert str(v) == "H1: e1 is required but not scheduled"
    assert str(Violation("H2", "bad")) == "H2: bad"


def test_two_thousand_assignments_are_checked_whole() -> None:
    # (its speed is a benchmark's business, not a test's: no wall-clock assert on a busy CI machine)
    days = [{"date": f"2025-10-{d}", "start": "08:00", "end": "20:00"} for d in range(20, 30)]
    n_rooms, per_room_day, n_people = 100, 4, 400
    rooms = [{"id": f"r{i}", "capacity": 10} for i in range(n_rooms)]
    people = [{"id": f"p{i}", "tier": "vvip" if i % 10 == 0 else "standard"} for i in range(n_people)]
    events, assignments = [], []
    for d in range(20, 25):
        for r in range(n_rooms):
            for k in range(per_room_day):
                eid = f"e{d}-{r}-{k}"
                events.append(ev(eid, 60, people=(f"p{(r * per_room_day + k) % n_people}",), uses={"team": 1}))
                start = datetime(2025, 10, d, 8 + 3 * k, 0, tzinfo=TZ)
                assignments.append(Assignment(event=eid, room=f"r{r}", start=start, end=start + timedelta(hours=1)))
    model = scenario(days=days, rooms=rooms, participants=people, events=events,
                     resources=[{"id": "team", "capacity": 1000}],
                     security={"sweep_minutes": 15, "max_vvip_events_per_zone": {"main": 40}})
    timetable = table(model, *assignments)
    assert validate_timetable(model, timetable) == []
    timetable.assignments[0].room = "r1"  # now overlaps e20-1-0 in r1
    assert "H7" in codes(validate_timetable(model, timetable))
