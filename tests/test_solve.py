"""The solver on tiny scenarios where one hard rule binds: it must respect the rule (checked
by the independent validator and directly) and still find the optimum."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from solver.scenario import Scenario
from solver.solve import Progress, solve
from solver.timetable import Timetable
from solver.validate import validate_timetable
from tests.builders import at, event, scenario


def solved(model: Scenario, time_limit: float = 10.0) -> Timetable:
    timetable = solve(model, time_limit=time_limit, workers=2, seed=1).timetable
    assert timetable.status in ("optimal", "feasible"), timetable.diagnostics
    assert validate_timetable(model, timetable) == []
    return timetable


def starts(timetable: Timetable) -> dict[str, datetime]:
    return {a.event: a.start for a in timetable.assignments}


def rooms(timetable: Timetable) -> dict[str, str]:
    return {a.event: a.room for a in timetable.assignments}


def minutes_between(t: Timetable, first: str, second: str, first_minutes: int) -> float:
    s = starts(t)
    return (s[second] - s[first]).total_seconds() / 60 - first_minutes


Case = tuple[str, Scenario, Callable[[Timetable], bool], int]

CASES: list[Case] = [
    ("H1 required event placed even with no value",
     scenario(events=[event("req", priority=0), event("opt", people=("b",), kind="bilateral", priority=3)]),
     lambda t: {"req", "opt"} <= set(starts(t)), 3),
    ("H3 capacity and features choose the room",
     scenario(rooms=[{"id": "small", "capacity": 5, "features": ["flags"]},
                     {"id": "big", "capacity": 50, "features": ["interpretation"]}],
              events=[event("talk", attendance=40, features=["interpretation"])]),
     lambda t: rooms(t)["talk"] == "big", 0),
    ("H3 vvip needs a secure room",
     scenario(rooms=[{"id": "open", "capacity": 10}, {"id": "secure", "capacity": 10, "security_level": 2}],
              participants=[{"id": "a", "tier": "vvip"}, {"id": "b"}],
              security={"vvip_min_room_level": 2}, events=[event("meet")]),
     lambda t: rooms(t)["meet"] == "secure", 0),
    ("H4 closed room is avoided",
     scenario(rooms=[{"id": "r1", "capacity": 10,
                      "unavailable": [{"start": at("09:00"), "end": at("11:30"), "reason": "sweep"}]}],
              events=[event("meet")]),
     lambda t: starts(t)["meet"].hour == 11 and starts(t)["meet"].minute == 30, 0),
    ("H5 participant availability",
     scenario(participants=[{"id": "a", "available": [{"start": at("10:15"), "end": at("10:45")}]}],
              events=[event("meet")]),
     lambda t: starts(t)["meet"].strftime("%H:%M") == "10:15", 0),
    ("H6 window and pin",
     scenario(rooms=[{"id": "r1", "capacity": 10}, {"id": "r2", "capacity": 10}],
              events=[event("early", latest_end=at("09:45")),
                      event("pinned", people=("b",), pinned={"room": "r2", "start": at("11:00")})]),
     lambda t: starts(t)["early"].hour == 9 and rooms(t)["pinned"] == "r2"
     and starts(t)["pinned"].strftime("%H:%M") == "11:00", 0),
    ("H7 changeover between two events in one room",
     scenario(days=[{"date": "2025-10-25", "start": "09:00", "end": "10:15"}],
              rooms=[{"id": "r1", "capacity": 10, "changeover_minutes": 15}],
              events=[event("one"), event("two", people=("b",), after=["one"])]),
     lambda t: minutes_between(t, "one", "two", 30) >= 15, 0),
    ("H7 security sweep before a vvip event",
     scenario(days=[{"date": "2025-10-25", "start": "09:00", "end": "10:30"}],
              participants=[{"id": "a", "tier": "vvip"}, {"id": "b"}], security={"sweep_minutes": 30},
              events=[event("plain", people=("b",)), event("vvip", after=["plain"])]),
     lambda t: minutes_between(t, "plain", "vvip", 30) >= 30, 0),
    ("H8 rest between two events of a participant",
     scenario(rooms=[{"id": "r1", "capacity": 10}, {"id": "r2", "capacity": 10}],
              participants=[{"id": "a", "min_break_minutes": 45}, {"id": "b"}],
              events=[event("one", latest_end=at("10:00")), event("two")]),
     lambda t: abs(minutes_between(t, "one", "two", 30)) >= 45, 0),
    ("H8 travel between zones",
     scenario(zones=[{"id": "main"}, {"id": "hotel"}], travel_minutes=[{"from": "main", "to": "hotel", "minutes": 60}],
              rooms=[{"id": "r1", "capacity": 10, "zone": "main"}, {"id": "h1", "capacity": 10, "zone": "hotel"}],
              events=[event("here", rooms=["r1"], latest_end=at("10:00")), event("there", rooms=["h1"])]),
     lambda t: minutes_between(t, "here", "there", 30) >= 60, 0),
    ("H9 daily limit leaves the lower priority out",
     scenario(rooms=[{"id": "r1", "capacity": 10}, {"id": "r2", "capacity": 10}],
              participants=[{"id": "a", "max_events_per_day": 1}, {"id": "b"}],
              events=[event("low", kind="bilateral", priority=2), event("high", kind="bilateral", priority=5)]),
     lambda t: set(starts(t)) == {"high"}, 5),
    ("H10 after chain",
     scenario(rooms=[{"id": "r1", "capacity": 10}, {"id": "r2", "capacity": 10}],
              events=[event("c", people=("b",), after=["b1"]), event("b1", people=(), after=["a1"]),
                      event("a1", people=())]),
     lambda t: starts(t)["a1"] < starts(t)["b1"] < starts(t)["c"], 0),
    ("H10 successor of an unscheduled event stays out",
     scenario(participants=[{"id": "a", "available": [{"start": at("09:00"), "end": at("09:30")}]}, {"id": "b"}],
              events=[event("first", kind="bilateral", minutes=60, priority=1),
                      event("second", kind="bilateral", people=("b",), priority=5, after=["first"])]),
     lambda t: starts(t) == {}, 0),
    ("H11 exclusive ceremony stands alone",
     scenario(days=[{"date": "2025-10-25", "start": "09:00", "end": "10:00"}],
              rooms=[{"id": "r1", "capacity": 10}, {"id": "r2", "capacity": 10}],
              events=[event("ceremony", exclusive=True), event("side", people=("b",))]),
     lambda t: abs(minutes_between(t, "ceremony", "side", 0)) >= 30, 0),
    ("H12 escort capacity per zone",
     scenario(days=[{"date": "2025-10-25", "start": "09:00", "end": "10:00"}],
              rooms=[{"id": "r1", "capacity": 10}, {"id": "r2", "capacity": 10}],
              participants=[{"id": "a", "tier": "vvip"}, {"id": "b", "tier": "vvip"}],
              security={"max_vvip_events_per_zone": {"main": 1}},
              events=[event("x"), event("y", people=("b",))]),
     lambda t: abs(minutes_between(t, "x", "y", 0)) >= 30, 0),
    ("H13 one interpreter team",
     scenario(days=[{"date": "2025-10-25", "start": "09:00", "end": "10:00"}],
              rooms=[{"id": "r1", "capacity": 10}, {"id": "r2", "capacity": 10}],
              resources=[{"id": "interp", "capacity": 1}],
              events=[event("x", uses={"interp": 1}), event("y", people=("b",), uses={"interp": 1})]),
     lambda t: abs(minutes_between(t, "x", "y", 0)) >= 30, 0),
]


@pytest.mark.parametrize(("name", "model", "holds", "objective"), CASES, ids=[c[0] for c in CASES])
def test_rule_binds_and_is_respected(name: str, model: Scenario, holds: Callable[[Timetable], bool],
                                     objective: int) -> None:
    timetable = solved(model)
    assert holds(timetable), timetable.assignments
    assert timetable.objective == objective
    assert timetable.status == "optimal"
    assert timetable.bound == objective


def test_required_event_impossible_before_solving_is_diagnosed() -> None:
    model = scenario(participants=[{"id": "a", "available": [{"start": at("09:00"), "end": at("09:45")}]},
                                   {"id": "b", "available": [{"start": at("09:00"), "end": at("10:00")}]}],
                     events=[event("meet", minutes=60, people=("a", "b"))])
    timetable = solve(model, time_limit=5).timetable
    assert timetable.status == "infeasible"
    assert timetable.assignments == []
    [diagnostic] = timetable.diagnostics
    assert diagnostic.code == "common_window_too_short"
    assert "45 minutes" in diagnostic.message and "needs 60" in diagnostic.message


def test_no_room_has_every_feature() -> None:
    model = scenario(rooms=[{"id": "a", "capacity": 100}, {"id": "b", "capacity": 10, "features": ["interpretation"]}],
                     events=[event("rt-12", kind="round_table", attendance=60, features=["interpretation"])])
    timetable = solve(model, time_limit=5).timetable
    assert timetable.status == "infeasible"
    assert timetable.diagnostics[0].code == "no_room_fits"
    assert "round table rt-12 needs 60 seats and 'interpretation': no room has both" in timetable.diagnostics[0].message


def test_conflicting_required_events_are_named() -> None:
    model = scenario(days=[{"date": "2025-10-25", "start": "09:00", "end": "10:00"}],
                     rooms=[{"id": "r1", "capacity": 10}, {"id": "r2", "capacity": 10}],
                     events=[event("x", minutes=45), event("y", minutes=30), event("z", people=("b",))])
    timetable = solve(model, time_limit=5).timetable
    assert timetable.status == "infeasible"
    [diagnostic] = timetable.diagnostics
    assert diagnostic.code == "participant_overbooked"
    assert sorted(diagnostic.events) == ["x", "y"]
    assert diagnostic.participants == ["a"]


def test_unscheduled_optional_event_has_a_reason() -> None:
    model = scenario(days=[{"date": "2025-10-25", "start": "09:00", "end": "09:30"}],
                     events=[event("big", kind="bilateral", priority=9), event("small", kind="bilateral", priority=1)])
    timetable = solved(model)
    assert [u.event for u in timetable.unscheduled] == ["small"]
    reason = timetable.unscheduled[0].reason
    assert reason.startswith("not selected") and "a is in big 09:00-09:30 25 Oct (priority 9)" in reason


def test_progress_reports_improving_incumbents() -> None:
    model = scenario(rooms=[{"id": "r1", "capacity": 10}, {"id": "r2", "capacity": 10}],
                     participants=[{"id": p, "delegation": p.upper()} for p in "abcdef"],
                     events=[event(f"m{i}", kind="bilateral", people=(x, y), priority=1 + i % 3)
                             for i, (x, y) in enumerate(zip("abcabc", "defefd", strict=True))])
    seen: list[Progress] = []
    result = solve(model, time_limit=5, on_progress=seen.append)
    assert seen, "at least one incumbent"
    assert [p.objective for p in seen] == sorted({p.objective for p in seen})
    assert seen[-1].objective == result.timetable.objective
    assert all(p.bound >= p.objective for p in seen)


def test_ties_go_to_compact_days_for_vvip_leaders() -> None:
    model = scenario(participants=[{"id": "a", "tier": "vvip"}, {"id": "b"}],
                     events=[event("x"), event("y", earliest=at("10:30"))])
    timetable = solved(model)
    start = starts(timetable)
    assert abs((start["y"] - start["x"]).total_seconds()) == 30 * 60  # back to back, no idle gap


def test_neighbourhood_search_alone_for_very_large_summits_gives_a_valid_timetable() -> None:
    from solver.generate import generate_scenario
    from solver.solve import SolveConfig

    model = generate_scenario(delegations=30, bilaterals=120, days=2, seed=5)
    seen: list[Progress] = []
    result = solve(model, on_progress=seen.append,
                   config=SolveConfig(time_limit=6, workers=2, decompose_above=0))
    timetable = result.timetable
    assert timetable.status in ("feasible", "optimal")  # optimal: every request placed (the trivial bound)
    assert validate_timetable(model, timetable) == []
    assert timetable.objective >= (result.stats.greedy_objective or 0)
    assert [p.objective for p in seen] == sorted(p.objective for p in seen)
