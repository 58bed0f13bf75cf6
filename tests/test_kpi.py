"""KPI functions on hand-made timetables, against values computed by hand."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from solver.kpi import (
    bilaterals_granted,
    delegation_fairness,
    gap,
    kpis,
    occupancy,
    resource_peaks,
    room_utilisation,
    unscheduled_by_reason,
    vvip_idle_time,
)
from solver.scenario import Scenario
from solver.timetable import Assignment, ScenarioRef, Timetable, Unscheduled
from tests.builders import at, event, scenario

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def _summit() -> Scenario:
    """One day 09:00-12:00 (180 min). Rooms: two bilateral rooms (one closed 09:00-10:00) and a hall.
    Delegations: AAA (vvip a), BBB (vvip b), CCC (c), DDD (d). Four bilaterals and a plenary."""
    return scenario(
        rooms=[{"id": "bil-1", "capacity": 4, "type": "bilateral"},
               {"id": "bil-2", "capacity": 4, "type": "bilateral",
                "unavailable": [{"start": at("09:00"), "end": at("10:00")}]},
               {"id": "hall", "capacity": 50, "features": ["interpretation"]}],
        participants=[{"id": "a", "delegation": "AAA", "tier": "vvip"},
                      {"id": "b", "delegation": "BBB", "tier": "vvip"},
                      {"id": "c", "delegation": "CCC"}, {"id": "d", "delegation": "DDD"}],
        resources=[{"id": "interp", "capacity": 3}],
        events=[event("ab", 30, ("a", "b"), kind="bilateral", priority=5, uses={"interp": 1}),
                event("ac", 30, ("a", "c"), kind="bilateral", priority=3, uses={"interp": 2}),
                event("bd", 30, ("b", "d"), kind="bilateral", priority=2),
                event("cd", 30, ("c", "d"), kind="bilateral", priority=1),
                event("plenary", 60, ("a", "b", "c", "d"), kind="high_level", uses={"interp": 1})],
    )


def _placed(event_id: str, room: str, start: str, end: str) -> Assignment:
    return Assignment(event=event_id, room=room, start=datetime.fromisoformat(at(start)).replace(tzinfo=TZ),
                      end=datetime.fromisoformat(at(end)).replace(tzinfo=TZ))


def _timetable() -> Timetable:
    """ab 09:00-09:30, ac 09:30-10:00 (both bil-1), plenary 10:30-11:30 in the hall, bd 11:30-12:00 in bil-2;
    cd left out."""
    return Timetable(
        scenario=ScenarioRef(name="test", fingerprint="sha256:x"), status="feasible", objective=10, bound=12,
        assignments=[_placed("ab", "bil-1", "09:00", "09:30"), _placed("ac", "bil-1", "09:30", "10:00"),
                     _placed("plenary", "hall", "10:30", "11:30"), _placed("bd", "bil-2", "11:30", "12:00")],
        unscheduled=[Unscheduled(event="cd", reason="both busy", code="participant_busy")],
    )


def test_bilaterals_granted_counts_requests_and_priority() -> None:
    granted = bilaterals_granted(_summit(), _timetable())
    assert (granted.requested, granted.granted) == (4, 3)
    assert (granted.priority_requested, granted.priority_granted) == (11, 10)
    assert granted.share == pytest.approx(0.75)


def test_fairness_is_the_share_of_each_delegations_requests() -> None:
    fairness = delegation_fairness(_summit(), _timetable())
    # AAA asked ab, ac (2/2); BBB ab, bd (2/2); CCC ac, cd (1/2); DDD bd, cd (1/2)
    assert fairness.shares == {"AAA": 1.0, "BBB": 1.0, "CCC": 0.5, "DDD": 0.5}
    assert fairness.minimum == 0.5 and fairness.median == 0.75 and fairness.mean == 0.75
    assert fairness.lower_quartile == 0.5 and fairness.with_none_granted == 0
    timetable = _timetable()
    timetable.assignments = [a for a in timetable.assignments if a.event != "bd"]
    assert delegation_fairness(_summit(), timetable).shares["DDD"] == 0.0
    assert delegation_fairness(_summit(), timetable).with_none_granted == 1


def test_vvip_idle_time_sums_the_gaps_between_a_leaders_events() -> None:
    idle = vvip_idle_time(_summit(), _timetable())
    # a: ab 09:00-09:30, ac 09:30-10:00, plenary 10:30-11:30 -> 0 + 30 min
    # b: ab 09:00-09:30, plenary 10:30-11:30, bd 11:30-12:00 -> 60 + 0 min
    assert (idle.vvip_days, idle.total_minutes, idle.max_minutes) == (2, 90, 60)
    assert idle.mean_minutes == 45.0 and idle.worst == "b on 2025-10-25"


def test_room_utilisation_is_per_type_and_excludes_closed_hours() -> None:
    use = room_utilisation(_summit(), _timetable())
    # bilateral rooms: open 180 + 120 min, used 30 + 30 + 30; the hall (typed by its features): 60 of 180
    assert use == {"bilateral": pytest.approx(90 / 300, abs=1e-4), "interpretation": pytest.approx(60 / 180, abs=1e-4)}


def test_resource_peak_counts_what_is_held_at_once() -> None:
    peaks = resource_peaks(_summit(), _timetable())
    # ab holds 1 (09:00-09:30), ac 2 (09:30-10:00): ab ends when ac starts, so the peak is 2, at 09:30
    assert peaks["interp"].peak == 2 and peaks["interp"].capacity == 3
    assert peaks["interp"].at == "2025-10-25T09:30:00+07:00"


def test_unscheduled_by_reason_and_gap() -> None:
    assert unscheduled_by_reason(_timetable()) == {"participant_busy": 1}
    assert gap(10, 12) == pytest.approx(0.1667, abs=1e-4)
    assert gap(10, None) is None and gap(0, 0) == 0.0
    everything = kpis(_summit(), _timetable()).to_dict()
    assert everything["bilaterals"]["share"] == 0.75 and everything["scheduled"] == 4


def test_occupancy_lists_each_rooms_bookings_with_vvip_marks() -> None:
    layout = occupancy(_summit(), _timetable())
    rooms = {room["id"]: room for room in layout["rooms"]}
    assert [b["event"] for b in rooms["bil-1"]["bookings"]] == ["ab", "ac"]
    assert rooms["bil-2"]["bookings"][0]["vvip"] is True
    assert rooms["hall"]["type"] == "interpretation"
    assert layout["days"] == [["2025-10-25T09:00:00+07:00", "2025-10-25T12:00:00+07:00"]]
