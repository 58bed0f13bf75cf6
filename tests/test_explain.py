"""Explanations: infeasible scenarios built on purpose are explained by exactly the
conflicting items, and removing any one of them makes the scenario feasible; an
unscheduled bilateral gets the relaxation that would let it in."""

from __future__ import annotations

from datetime import timedelta

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
     {"x", "y"}, "participant_overbooked",
     ["a must attend 2 required events (x, y) lasting 60 minutes", "free for only 45 minutes"]),
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


def test_a_daily_limit_names_the_participant_the_limit_and_the_events() -> None:
    model = scenario(rooms=TWO_ROOMS,
                     participants=[{"id": "a", "name": "Minister A", "delegation": "A", "max_events_per_day": 1},
                                   {"id": "b", "delegation": "B"}, {"id": "c", "delegation": "C"}],
                     events=[event("talks", people=("a", "b"), kind="bilateral", priority=5),
                             event("lunch", people=("a", "c"), kind="bilateral", priority=1)])
    timetable = solve(model, time_limit=5).timetable
    assert [a.event for a in timetable.assignments] == ["talks"]
    [refused] = timetable.unscheduled
    assert refused.event == "lunch"
    assert "Minister A (a) has reached the limit of 1 event a day on 25 Oct (talks " in refused.reason


def test_required_events_over_a_daily_limit_name_who_and_which() -> None:
    model = scenario(rooms=TWO_ROOMS,
                     participants=[{"id": "a", "name": "Minister A", "delegation": "A", "max_events_per_day": 1},
                                   {"id": "b", "delegation": "B"}],
                     events=[event("x", people=("a",)), event("y", people=("a",)), event("z", people=("b",))])
    [diagnostic] = explain_scenario(model, time_limit=10)
    assert diagnostic.code == "daily_limit_too_low"
    assert "Minister A (a) may attend at most 1 event a day and must attend x, y" in diagnostic.message


def test_a_pinned_event_in_a_closed_room_names_the_closure() -> None:
    model = scenario(rooms=[{"id": "plenary", "capacity": 50, "unavailable": [
        {"start": at("09:00"), "end": at("12:00"), "reason": "water leak"}]}],
                     events=[event("opening", people=("a",), pinned={"room": "plenary", "start": at("09:00")})])
    [diagnostic] = explain_scenario(model)
    assert diagnostic.code == "rooms_closed"
    assert "pinned at 09:00 on 25 Oct" in diagnostic.message
    assert "plenary closed 09:00 25 Oct-12:00 25 Oct (water leak)" in diagnostic.message


def test_a_forum_with_more_meetings_than_free_slots_is_explained_by_counting() -> None:
    """Five one-slot meetings for a participant free in four slots: the count names them, at once."""
    people = [{"id": "host", "name": "Host", "delegation": "H",
               "available": [{"start": at("09:00"), "end": at("10:00")}]}]
    people += [{"id": f"g{n}", "delegation": f"G{n}"} for n in range(6)]
    meetings = [event(f"m{n}", minutes=15, people=("host", f"g{n}")) for n in range(5)]
    meetings.append(event("free", minutes=15, people=("g5",)))
    model = scenario(rooms=TWO_ROOMS, participants=people, events=meetings)
    [diagnostic] = explain_scenario(model, time_limit=10)
    assert diagnostic.code == "participant_overbooked"
    assert set(diagnostic.events) == {f"m{n}" for n in range(5)}
    assert "Host (host) must attend 5 required events" in diagnostic.message
    assert "free for only 60 minutes (4 slots of 15 minutes)" in diagnostic.message


def test_when_no_single_relaxation_does_it_the_tried_ones_and_a_working_pair_are_named() -> None:
    """b leaves at 10:00 and a arrives at 10:00: one hour more on either side alone cannot make them meet
    for 60 minutes... but both together can."""
    model = scenario(rooms=TWO_ROOMS,
                     participants=[{"id": "a", "delegation": "A", "available": [{"start": at("10:30"),
                                                                                 "end": at("12:00")}]},
                                   {"id": "b", "delegation": "B", "available": [{"start": at("09:00"),
                                                                                 "end": at("10:00")}]}],
                     events=[event("bil-a-b", kind="bilateral", minutes=60, people=("a", "b"), priority=3)])
    timetable = solve(model, time_limit=5).timetable
    lines = what_would_it_take(model, "bil-a-b", timetable, time_limit=30)
    tried = next(line for line in lines if line.startswith("no single relaxation tried lets bil-a-b in; tried: "))
    assert "b's departure moves from 10:00 on 25 Oct to 11:00 on 25 Oct" in tried
    assert "a arrives at 09:30 on 25 Oct instead of 10:30 on 25 Oct" in tried
    assert ("possible if a arrives at 09:30 on 25 Oct instead of 10:30 on 25 Oct and, together with it, "
            "if b's departure moves from 10:00 on 25 Oct to 11:00 on 25 Oct") in lines


def test_a_day_broken_by_travel_is_explained_by_the_participants_own_events() -> None:
    """The count fits (three 15-minute meetings, an hour free) but the walks between the halls do not: the
    participant's own events give the minimal conflict."""
    model = scenario(zones=[{"id": "a"}, {"id": "b"}], travel_minutes=[{"from": "a", "to": "b", "minutes": 30}],
                     rooms=[{"id": "ra", "capacity": 5, "zone": "a"}, {"id": "rb", "capacity": 5, "zone": "b"}],
                     participants=[{"id": "host", "delegation": "H",
                                    "available": [{"start": at("09:00"), "end": at("10:00")}]},
                                   *[{"id": f"g{n}", "delegation": f"G{n}"} for n in range(3)]],
                     events=[event("m0", minutes=15, people=("host", "g0"), rooms=["ra"]),
                             event("m1", minutes=15, people=("host", "g1"), rooms=["rb"]),
                             event("m2", minutes=15, people=("host", "g2"), rooms=["ra"])])
    [diagnostic] = explain_scenario(model, time_limit=10)
    assert set(diagnostic.events) == {"m0", "m1", "m2"}, diagnostic.message
    assert "travel time between zones" in diagnostic.message


def test_a_lever_stays_inside_the_summits_hours_and_the_answer_ends_with_a_pair() -> None:
    """a is here from 09:30, b (here from the day's start) leaves at 09:30: a cannot arrive before the day starts
    (09:00, not 08:30), b cannot arrive earlier at all; an earlier arrival of a and a later departure of b together
    let them meet for an hour."""
    model = scenario(rooms=TWO_ROOMS,
                     participants=[{"id": "a", "delegation": "A", "available": [{"start": at("09:30"),
                                                                                 "end": at("10:00")}]},
                                   {"id": "b", "delegation": "B", "available": [{"start": at("09:00"),
                                                                                 "end": at("09:30")}]}],
                     events=[event("bil-a-b", kind="bilateral", minutes=60, people=("a", "b"), priority=3)])
    timetable = solve(model, time_limit=5).timetable
    lines = what_would_it_take(model, "bil-a-b", timetable)
    tried = next(line for line in lines if line.startswith("no single relaxation tried lets bil-a-b in; tried: "))
    assert "a arrives at 09:00 on 25 Oct instead of 09:30 on 25 Oct" in tried
    assert "08:" not in tried and "b arrives" not in tried  # before the day starts: no lever
    assert lines[-1].startswith("possible if ") and "together with it" in lines[-1]


def test_when_no_lever_of_the_kinds_tried_would_do_it_the_answer_ends_with_the_proof() -> None:
    """a is here 09:00-09:30, b 11:30-12:00: an hour more on either side, or both, leaves them apart."""
    model = scenario(rooms=TWO_ROOMS,
                     participants=[{"id": "a", "delegation": "A", "available": [{"start": at("09:00"),
                                                                                 "end": at("09:30")}]},
                                   {"id": "b", "delegation": "B", "available": [{"start": at("11:30"),
                                                                                 "end": at("12:00")}]}],
                     events=[event("bil-a-b", kind="bilateral", minutes=30, people=("a", "b"), priority=3)])
    timetable = solve(model, time_limit=5).timetable
    lines = what_would_it_take(model, "bil-a-b", timetable)
    assert lines[-1].startswith("no pair of these relaxations lets bil-a-b in either: no lever of the kinds tried "
                                "(a later departure, an earlier arrival), alone or two together, lets it in "
                                "(proven"), lines


def _ends_with_an_answer(lines: list[str], event_id: str) -> None:
    last = lines[-1]
    assert (last.startswith("possible ") or last.startswith(f"{event_id} fits without any relaxation")
            or last.startswith(f"no pair of these relaxations lets {event_id} in either: no lever of the kinds")), lines


def test_hanoi_a_request_of_the_secretary_general_is_answered_with_a_lever_that_is_possible() -> None:
    """`summit explain --event bil-0001` on Hanoi's timetable: the answer ends with what lets it in (each check
    bounded by deterministic work: no wall-clock limit decides it), and no arrival before the day's start."""
    from pathlib import Path

    from solver.scenario import load_scenario
    from solver.timetable import load_timetable
    from solver.validate import validate_timetable

    hanoi = load_scenario("scenarios/hanoi-2025.yaml")
    timetable = load_timetable(Path("benchmarks/hanoi-base-timetable.json"))
    assert validate_timetable(hanoi, timetable) == []
    lines = what_would_it_take(hanoi, "bil-0001", timetable, time_limit=600)
    _ends_with_an_answer(lines, "bil-0001")
    assert lines[-1].startswith("possible ")
    assert not any("07:00" in line for line in lines)


def test_a_generated_summit_request_is_answered_to_the_end() -> None:
    """A generated summit's greedy timetable (no search: the same on any machine): the first request it leaves out
    is answered with a lever, a pair, or the proof that none of the kinds tried would do."""
    from solver.compile import compile_scenario
    from solver.extract import timetable_from_placements
    from solver.generate import generate_scenario
    from solver.model.constraints import all_rows
    from solver.model.greedy import greedy_placements
    from solver.timetable import ScenarioRef
    from solver.validate import validate_timetable

    summit = generate_scenario(delegations=30, bilaterals=120, days=2, seed=2)
    instance = compile_scenario(summit)
    rows = all_rows(instance)
    timetable = timetable_from_placements(instance, greedy_placements(instance, rows),
                                          ScenarioRef(name=summit.name, fingerprint=summit.fingerprint()), rows)
    assert validate_timetable(summit, timetable) == []
    left_out = next(u.event for u in timetable.unscheduled if u.code == "not_selected")
    lines = what_would_it_take(summit, left_out, timetable, time_limit=600)
    _ends_with_an_answer(lines, left_out)
    before_the_day = {f"arrives at {summit.day_bounds(day)[0] - timedelta(minutes=m):%H:%M on %d %b}"
                      for day in summit.days for m in range(summit.slot_minutes, 61, summit.slot_minutes)}
    assert not any(words in line for line in lines for words in before_the_day)
