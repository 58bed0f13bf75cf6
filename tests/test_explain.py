"""Explanations: infeasible scenarios built on purpose are explained by exactly the
conflicting items, and removing any one of them makes the scenario feasible; an
unscheduled bilateral gets the relaxation that would let it in."""

from __future__ import annotations

import pytest

from solver.changes import apply_changes, parse_changes
from solver.explain import explain_scenario, what_would_it_take
from solver.scenario import Scenario
from solver.solve import solve
from tests.builders import at, event, scenario

TWO_ROOMS = [{"id": "r1", "capacity": 10}, {"id": "r2", "capacity": 10}]
PEOPLE = [{"id": p, "delegation": p.upper()} for p in "abcd"]

INFEASIBLE: list[tuple[str, Scenario, set[str], str, list[str]]] = [
    ("conflicting windows",
     scenario(rooms=TWO_ROOMS, participants=PEOPLE,
              events=[event("x", people=("a",), latest_end=at("09:45")),
                      event("y", people=("a",), latest_end=at("09:45")),
                      event("other", people=("b",))]),
     {"x", "y"}, "participant_overbooked", ["a can attend only one event at a time"]),
    ("a sweep that cannot fit",
     scenario(rooms=[{"id": "secure", "capacity": 10, "security_level": 2}, {"id": "open", "capacity": 10}],
              participants=[{"id": "a", "tier": "vvip"}, {"id": "b", "tier": "vvip"}, {"id": "c"}],
              security={"vvip_min_room_level": 2, "sweep_minutes": 30},
              events=[event("first", people=("a",), pinned={"start": at("09:30")}),
                      event("second", people=("b",), latest_end=at("10:30")),
                      event("plain", people=("c",))]),
     {"first", "second"}, "rooms_too_few", ["30-minute security sweep"]),
    ("a resource too small",
     scenario(rooms=TWO_ROOMS, participants=PEOPLE, resources=[{"id": "interp", "capacity": 1}],
              events=[event("x", people=("a",), latest_end=at("09:30"), uses={"interp": 1}),
                      event("y", people=("b",), latest_end=at("09:30"), uses={"interp": 1}),
                      event("z", people=("c",), uses={"interp": 1})]),
     {"x", "y"}, "resource_too_small", ["interp (1 available)"]),
    ("an after chain too long for the day",
     scenario(rooms=TWO_ROOMS, participants=PEOPLE,
              events=[event("one", minutes=60, people=("a",)), event("two", minutes=60, people=("b",), after=["one"]),
                      event("three", minutes=90, people=("c",), after=["two"]), event("free", people=("d",))]),
     {"one", "two", "three"}, "order_does_not_fit", ["required order"]),
]


@pytest.mark.parametrize(("name", "model", "culprits", "code", "words"), INFEASIBLE, ids=[c[0] for c in INFEASIBLE])
def test_infeasible_scenario_names_exactly_the_conflict(name: str, model: Scenario, culprits: set[str], code: str,
                                                         words: list[str]) -> None:
    [diagnostic] = explain_scenario(model, time_limit=10)
    assert set(diagnostic.events) == culprits, diagnostic.message
    assert diagnostic.code == code
    for word in words:
        assert word in diagnostic.message
    assert solve(model, time_limit=5).timetable.status == "infeasible"
    for culprit in culprits:
        relaxed = apply_changes(model, parse_changes([{"op": "event_cancelled", "event": culprit}]))
        assert explain_scenario(relaxed, time_limit=5)[0].code == "feasible", culprit


def test_feasible_scenario_says_so() -> None:
    model = scenario(events=[event("x")])
    assert explain_scenario(model)[0].code == "feasible"


def test_what_would_it_take_finds_the_later_departure() -> None:
    model = scenario(rooms=TWO_ROOMS,
                     participants=[{"id": "a", "delegation": "A",
                                    "available": [{"start": at("09:00"), "end": at("10:00")}]},
                                   {"id": "b", "delegation": "B"}],
                     events=[event("talks", people=("a",), minutes=60),
                             event("bil-a-b", kind="bilateral", people=("a", "b"), priority=3)])
    timetable = solve(model, time_limit=5).timetable
    assert timetable.assignment_of("bil-a-b") is None
    lines = what_would_it_take(model, "bil-a-b", timetable, time_limit=20)
    assert lines[0].startswith("bil-a-b: not selected")
    assert "possible if a's departure moves from 10:00 on 25 Oct to 11:00 on 25 Oct" in lines


def test_what_would_it_take_finds_one_more_room() -> None:
    model = scenario(days=[{"date": "2025-10-25", "start": "09:00", "end": "09:30"}],
                     rooms=[{"id": "bil-1", "name": "Bilateral room 1", "capacity": 10}],
                     participants=PEOPLE,
                     events=[event("big", kind="bilateral", people=("a", "b"), priority=5),
                             event("small", kind="bilateral", people=("c", "d"), priority=2)])
    timetable = solve(model, time_limit=5).timetable
    lines = what_would_it_take(model, "small", timetable, time_limit=20)
    assert "possible if one more room like Bilateral room 1 is open" in lines
