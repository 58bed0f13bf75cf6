"""Re-planning: the new timetable validates, frozen events stay, nothing previously
scheduled is dropped when it could be kept, and on tiny cases the disruption equals the
brute-force minimum."""

from __future__ import annotations

import functools
import random
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver.changes import apply_changes, parse_changes
from solver.compile import Instance, compile_scenario
from solver.generate import generate_scenario
from solver.model.constraints import all_rows
from solver.model.greedy import repaired_greedy
from solver.model.submodel import RowMatrix
from solver.replan import DisruptionWeights, measure_disruption, resolve
from solver.replan.budget import ReplanConfig
from solver.replan.change import over_capacity
from solver.replan.context import prepare
from solver.replan.displace import displacing_repair
from solver.replan.plan import PreviousPlan, placements_of
from solver.replan.proof import budget_of, cheaper_repair
from solver.replan.relaxation import RelaxationBeside, grown_relaxation
from solver.replan.search import build_neighbourhood
from solver.scenario import Scenario, load_scenario
from solver.solve import solve, timetable_from_placements
from solver.timetable import Assignment, ScenarioRef, Timetable
from solver.validate import validate_timetable
from tests.brute import valid_timetables
from tests.builders import DAY, at, by_hand, event, scenario
from tests.test_properties import small_scenarios

# The re-plans whose verdict says "proven minimal" run on summits of two or three events that a re-plan proves in
# well under a second; their limit is far beyond that, so that no load on the machine turns the proof into a
# "best found" (the re-plan returns as soon as its repair is proven, so a long limit costs nothing).
PROOF_LIMIT = 120
# The generated summit of the budget-search and relaxation tests (76 events)
GENERATED: dict[str, int] = {"delegations": 14, "bilaterals": 30, "days": 2, "seed": 3}


def solved(model: Scenario) -> Timetable:
    # (a generous limit: the solve ends at its optimum; a loaded machine must not leave it without a timetable)
    timetable = solve(model, time_limit=30, workers=2, seed=0).timetable
    assert timetable.status in ("optimal", "feasible")
    return timetable


def test_room_closure_moves_only_the_event_in_it() -> None:
    model = scenario(rooms=[{"id": "r1", "capacity": 10}, {"id": "r2", "capacity": 10}],
                     participants=[{"id": p, "delegation": p} for p in "abcd"],
                     events=[event("x", people=("a",), latest_end=at("10:00")),
                             event("y", people=("b",), latest_end=at("10:00")),
                             event("z", people=("c", "d"), earliest=at("10:00"))])
    before = solved(model)
    x = before.assignment_of("x")
    assert x is not None
    closure = {"op": "room_closed", "room": x.room, "start": x.start.isoformat(), "end": x.end.isoformat()}
    result = resolve(model, before, [closure], time_limit=PROOF_LIMIT)
    assert validate_timetable(result.scenario, result.timetable) == []
    changed = [m.event for m in result.diff.moved + result.diff.room_changes]
    assert changed == ["x"] and result.diff.dropped == []
    assert result.proven_minimal
    assert result.disruption == result.disruption_bound


def test_room_change_preferred_to_time_change() -> None:
    model = scenario(rooms=[{"id": "r1", "capacity": 10}, {"id": "r2", "capacity": 10}],
                     events=[event("x", pinned={"room": "r1"})])
    before = solved(model)
    result = resolve(model, before, [{"op": "unpin", "event": "x"},
                                     {"op": "room_closed", "room": "r1", "start": at("09:00"), "end": at("12:00")}],
                     time_limit=5)
    assert [m.event for m in result.diff.room_changes] == ["x"] and result.diff.moved == []
    assert result.disruption == DisruptionWeights().room_change


def test_frozen_events_do_not_move() -> None:
    model = scenario(rooms=[{"id": "r1", "capacity": 10}],
                     participants=[{"id": p, "delegation": p} for p in "abc"],
                     events=[event("first", people=("a",), latest_end=at("09:30")),
                             event("second", people=("b",), earliest=at("09:30"), latest_end=at("10:15")),
                             event("late", people=("c",), earliest=at("11:00"))])
    before = solved(model)
    # The room closes when "second" runs; "second" is inside the freeze window and cannot move.
    second = before.assignment_of("second")
    assert second is not None
    now = model.localise(datetime.fromisoformat(at("09:00")))
    result = resolve(model, before, [{"op": "participant_delayed", "participant": "c",
                                      "arrival": at("11:30")}], now=now, freeze_minutes=60, time_limit=5)
    assert validate_timetable(result.scenario, result.timetable) == []
    assert {"first", "second"} <= set(result.frozen)
    new_second = result.timetable.assignment_of("second")
    assert new_second is not None and (new_second.start, new_second.room) == (second.start, second.room)
    late = result.timetable.assignment_of("late")
    assert late is not None and late.start >= now + timedelta(hours=2, minutes=30)


def test_nothing_new_starts_inside_the_freeze_window() -> None:
    model = scenario(events=[event("x", kind="bilateral", priority=1)])
    before = solved(model)
    now = model.localise(datetime.fromisoformat(at("08:00")))
    added = {"op": "event_added", "event": {"id": "y", "kind": "bilateral", "duration_minutes": 30,
                                            "participants": ["b"], "priority": 5}}
    result = resolve(model, before, [added], now=now, freeze_minutes=90, time_limit=5)
    y = result.timetable.assignment_of("y")
    assert y is not None and y.start >= now + timedelta(minutes=90)


def test_previous_meeting_kept_when_new_request_competes() -> None:
    model = scenario(days=[{"date": "2025-10-25", "start": "09:00", "end": "10:00"}],
                     events=[event("old", kind="bilateral", priority=1)])
    before = solved(model)
    # A much more valuable request for the same leader and the only room: the old meeting stays,
    # the new one takes the remaining half hour.
    added = {"op": "event_added", "event": {"id": "new", "kind": "bilateral", "duration_minutes": 30,
                                            "participants": ["a"], "priority": 50}}
    result = resolve(model, before, [added], time_limit=5)
    assert result.timetable.assignment_of("old") is not None
    assert result.timetable.assignment_of("new") is not None
    assert validate_timetable(result.scenario, result.timetable) == []


def test_confirmed_assignment_is_moved_last() -> None:
    model = scenario(rooms=[{"id": "r1", "capacity": 10}],
                     participants=[{"id": p, "delegation": p} for p in "abc"],
                     days=[{"date": "2025-10-25", "start": "09:00", "end": "10:30"}],
                     events=[event("p", people=("a",), latest_end=at("10:00")),
                             event("q", people=("b",), latest_end=at("10:00"))])
    before = solved(model)
    confirmed = min(before.assignments, key=lambda a: a.start)
    other = next(a.event for a in before.assignments if a.event != confirmed.event)
    confirmed.confirmed = True
    # A new required event needs the room before 10:00: one of the two must go to 10:00.
    added = {"op": "event_added", "event": {"id": "n", "duration_minutes": 30, "participants": ["c"],
                                            "latest_end": at("10:00")}}
    loosen = {"op": "event_updated", "event": other, "set": {"latest_end": None}}
    loosen_confirmed = {"op": "event_updated", "event": confirmed.event, "set": {"latest_end": None}}
    result = resolve(model, before, [added, loosen, loosen_confirmed], time_limit=5)
    assert [m.event for m in result.diff.moved] == [other]
    kept = result.timetable.assignment_of(confirmed.event)
    assert kept is not None and kept.confirmed


def _tightening(model: Scenario, previous: Timetable, data: st.DataObject) -> list[dict[str, Any]]:
    if not previous.assignments:
        return []
    target = data.draw(st.sampled_from(previous.assignments))
    if data.draw(st.booleans()):
        return [{"op": "room_closed", "room": target.room, "start": target.start.isoformat(),
                 "end": target.end.isoformat()}]
    person = next(e for e in model.events if e.id == target.event).participants[0]
    return [{"op": "participant_delayed", "participant": person, "arrival": target.end.isoformat()}]


def test_late_arrival_moves_the_predecessor_before_what_follows_it() -> None:
    # (found by test_disruption_equals_brute_force_minimum) a's late arrival displaces the optional e0; the required
    # e1 must follow it and still fits where it stands: the ejection chain kept e1 at 09:15 and put e0 after it,
    # the predecessor's placement (a negative member of e1's `after` row) never showing the broken row
    model = scenario(rooms=[{"id": "r0", "capacity": 2}, {"id": "r1", "capacity": 2}],
                     participants=[{"id": "a", "delegation": "AAA"}],
                     days=[{"date": DAY, "start": "09:00", "end": "10:15"}],
                     events=[event("e0", 15, required=False), event("e1", 15, after=["e0"])])
    before = by_hand(model, {"e0": ("r0", at("09:00")), "e1": ("r0", at("09:15"))}, objective=1)
    changes = [{"op": "participant_delayed", "participant": "a", "arrival": at("09:15")}]
    result = resolve(model, before, changes, time_limit=10, workers=1)
    assert validate_timetable(result.scenario, result.timetable) == []
    e0, e1 = result.timetable.assignment_of("e0"), result.timetable.assignment_of("e1")
    assert e0 is not None and e1 is not None and e0.end <= e1.start


def test_ejection_chain_places_a_taken_out_predecessor_before_its_successor() -> None:
    model = scenario(participants=[{"id": "a", "delegation": "AAA"}],
                     days=[{"date": DAY, "start": "09:00", "end": "10:15"}],
                     events=[event("e0", 15, required=False), event("e1", 15, after=["e0"])])
    before = by_hand(model, {"e0": ("r1", at("09:00")), "e1": ("r1", at("09:15"))}, objective=1)
    change = {"op": "participant_delayed", "participant": "a", "arrival": at("09:15")}
    ctx = prepare(model, before, parse_changes([change]), None, ReplanConfig(), None)
    ids = [e.id for e in ctx.instance.events]
    first, then = ids.index("e0"), ids.index("e1")
    assert ctx.hit == {first}  # e1 still fits where it stands: only its predecessor is displaced
    placed, whole = displacing_repair(ctx.instance, ctx.plan, all_rows(ctx.instance), ctx.hit, set(ctx.wanted))
    assert whole and placed[first] >= 0 and placed[then] >= 0
    assert ctx.instance.item_end[placed[first]] <= ctx.instance.item_start[placed[then]]


# the same examples on every run, and one CP-SAT worker each (deterministic on these tiny instances, which every
# search settles far within its limit): the verdict never depends on the machine's load
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(small_scenarios(max_events=3, day_end="10:15"), st.data())
def test_disruption_equals_brute_force_minimum(model: Scenario, data: st.DataObject) -> None:
    previous = solve(model, time_limit=5, workers=1, seed=0).timetable
    if previous.status not in ("optimal", "feasible"):
        return
    changes = _tightening(model, previous, data)
    changed = apply_changes(model, parse_changes(changes))
    result = resolve(model, previous, changes, time_limit=10, workers=1, seed=0)
    old_events = {a.event for a in previous.assignments}
    priority = {e.id: 0 if e.required else e.priority for e in changed.events}

    def rank(t: Timetable) -> tuple[int, int, int]:
        kept = [a.event for a in t.assignments if a.event in old_events]
        # the value kept: a request left out before may come in only around the events that stay, so the
        # whole timetable's value may be lower than a fresh solve's
        return len(kept), sum(priority[e] for e in kept), -measure_disruption(changed, previous, t)

    best = max((rank(t) for t in valid_timetables(changed)), default=None)
    if best is None:
        assert result.timetable.status == "infeasible"
        return
    assert validate_timetable(changed, result.timetable) == []
    assert rank(result.timetable)[:2] == best[:2]  # never a kept event or its value traded for fewer moves
    assert result.disruption >= -best[2] >= result.disruption_bound  # the bound never overstates the minimum
    if result.proven_minimal:
        assert result.disruption == -best[2]
    # Known gap: rooms that no event tells apart are pooled, and the model prices a move within a pool as
    # free; when the concrete rooms then cannot all stay (e.g. a sweep overlaps), the repair is reported
    # as not proven minimal, and may cost a room change more than the least possible.


def _hanoi_and_its_base_timetable() -> tuple[Scenario, Timetable]:
    """Hanoi and its stored base timetable (benchmarks/hanoi-base-timetable.json), checked valid: the same plan
    before on every run and under any load, without a solve of its own in each test."""
    model = load_scenario("scenarios/hanoi-2025.yaml")
    previous = Timetable.model_validate_json(open("benchmarks/hanoi-base-timetable.json").read())
    assert validate_timetable(model, previous) == []
    return model, previous


def test_hanoi_room_closure_repair_validates() -> None:
    model, previous = _hanoi_and_its_base_timetable()
    busiest = max({a.room for a in previous.assignments},
                  key=lambda r: sum(a.room == r for a in previous.assignments))
    day = model.days[0]
    closure = {"op": "room_closed", "room": busiest, "start": f"{day.date}T10:00", "end": f"{day.date}T12:00"}
    result = resolve(model, previous, [closure], time_limit=10)
    assert validate_timetable(result.scenario, result.timetable) == []
    placed = {a.event for a in result.timetable.assignments}
    assert all(e.id in placed for e in result.scenario.events if e.required)
    assert not result.diff.dropped
    moved = {m.event for m in result.diff.moved} | {m.event for m in result.diff.room_changes}
    hit = {a.event for a in previous.assignments if a.room == busiest
           and a.start < model.localise(datetime.fromisoformat(f"{day.date}T12:00"))
           and a.end > model.localise(datetime.fromisoformat(f"{day.date}T10:00"))}
    assert hit <= moved


@pytest.mark.parametrize("kind", ["room_closed", "resource_capacity"])
def test_stop_signal_returns_the_repair_found_so_far(kind: str) -> None:
    # (after a resource cut, the relaxation running beside the searches is not waited for either)
    model, previous = _hanoi_and_its_base_timetable()
    stop = threading.Event()
    stop.set()
    target = previous.assignments[0]
    change = ({"op": "room_closed", "room": target.room, "start": target.start.isoformat(),
               "end": target.end.isoformat()} if kind == "room_closed"
              else {"op": "resource_capacity", "resource": "interp-ru", "capacity": 2})
    if kind == "resource_capacity":  # the cut leaves the resource over its new capacity: something must move
        assert over_capacity(apply_changes(model, parse_changes([change])), previous, parse_changes([change]))
    result = resolve(model, previous, [change], time_limit=30, stop=stop)
    # once stopped, nothing more is tried: no proof, no wider search (the answer is what was in hand)
    assert not {"whole_proof", "concrete_proof", "own_rooms", "lp_proof", "budget_ladder"} & set(result.phases)
    if result.timetable.status in ("optimal", "feasible"):
        assert validate_timetable(result.scenario, result.timetable) == []


def test_relaxation_beside_goes_on_after_saying_what_it_found_so_far() -> None:
    # After a resource cut the relaxation runs beside the repair searches: asked what it has found so far, it
    # answers with its last round and goes on (the searches start from that answer; its last word comes later).
    model = load_scenario("scenarios/hanoi-2025.yaml")
    previous = Timetable.model_validate_json(open("benchmarks/hanoi-base-timetable.json").read())
    changes = parse_changes([{"op": "resource_capacity", "resource": "interp-ru", "capacity": 2}])
    changed = apply_changes(model, changes)
    instance = compile_scenario(changed)
    plan = PreviousPlan.of(instance, previous, DisruptionWeights())
    over = {instance.event_index[e] for e in over_capacity(changed, previous, changes)}
    assert over  # (its six rounds take 8 s on this project's machine: it is still running after the first)
    beside = RelaxationBeside(instance, plan, plan.scheduled_mask.copy(), over, time.monotonic() + 60, 0)
    try:
        deadline = time.monotonic() + 60
        first = beside.so_far(0.1)
        while first is None and time.monotonic() < deadline:
            first = beside.so_far(0.1)
        assert first is not None and first.bound > 0
        assert beside.running
        final = beside.result(0.0)  # (stopped at once: the best of the rounds it finished)
        assert final is not None and final.bound >= first.bound and first.group <= final.group
    finally:
        beside.cancel()
    assert not beside.running


@pytest.mark.parametrize("workers", [1, 2])
def test_resource_cut_moves_the_cheapest_event_in_time_and_proves_it(workers: int) -> None:
    # (with two workers, the relaxation runs beside the repair searches, in a thread of its own)
    # two interpreted meetings at 09:00 in two rooms; one interpreter team is withdrawn
    model = scenario(rooms=[{"id": "r1", "capacity": 10}, {"id": "r2", "capacity": 10}],
                     participants=[{"id": p, "delegation": p} for p in "abcd"] + [
                         {"id": "v", "delegation": "VVV", "tier": "vvip"}],
                     resources=[{"id": "interp", "capacity": 2}],
                     events=[event("x", people=("a", "b"), uses={"interp": 1}, pinned={"start": at("09:00")}),
                             event("y", people=("c", "v"), uses={"interp": 1}, pinned={"start": at("09:00")})])
    before = solved(model)
    unpinned = [{"op": "unpin", "event": "x"}, {"op": "unpin", "event": "y"}]
    start = apply_changes(model, parse_changes(unpinned))
    result = resolve(start, before, [{"op": "resource_capacity", "resource": "interp", "capacity": 1}],
                     time_limit=PROOF_LIMIT, workers=workers)
    # nothing keeps searching once the repair is returned
    assert not [t for t in threading.enumerate() if t.name == "relaxation-beside"]
    assert validate_timetable(result.scenario, result.timetable) == []
    # a new room frees no interpreter: the standard meeting (not the vvip one) moves to another time
    assert [m.event for m in result.diff.moved] == ["x"] and result.diff.dropped == []
    assert result.disruption == DisruptionWeights().time_move
    assert result.proven_minimal and result.disruption_bound == result.disruption


def test_requests_left_out_stay_out_after_a_change_that_takes_time_away() -> None:
    # one room, one hour: three optional meetings of an hour each, only one fits; a closure of another
    # room cannot make room for the other two, so re-planning does not look for them
    model = scenario(days=[{"date": "2025-10-25", "start": "09:00", "end": "10:00"}],
                     rooms=[{"id": "r1", "capacity": 10}, {"id": "r2", "capacity": 1}],
                     participants=[{"id": p, "delegation": p} for p in "abcdef"],
                     events=[event(name, 60, people, kind="bilateral", priority=priority)
                             for name, people, priority in (("m1", ("a", "b"), 3), ("m2", ("c", "d"), 2),
                                                            ("m3", ("e", "f"), 1))])
    before = solved(model)
    assert len(before.assignments) == 1 and before.assignments[0].event == "m1"
    before.status = "feasible"  # as after a solve stopped by its time limit: still no search for more
    result = resolve(model, before, [{"op": "room_closed", "room": "r2", "start": at("09:00"), "end": at("10:00")}],
                     time_limit=5)
    assert [a.event for a in result.timetable.assignments] == ["m1"] and result.disruption == 0
    assert {u.event for u in result.timetable.unscheduled} == {"m2", "m3"}
    # a new room does give them a chance
    room = {"op": "room_added", "room": {"id": "r3", "capacity": 10}}
    opened = resolve(model, before, [room], time_limit=5)
    assert {a.event for a in opened.timetable.assignments} == {"m1", "m2"}


def test_a_change_list_may_update_an_event_it_adds() -> None:
    model = scenario(rooms=[{"id": "r1", "capacity": 10}], events=[event("x")])
    before = solved(model)
    changes = [{"op": "event_added", "event": event("y", people=("b",))},
               {"op": "event_updated", "event": "y", "set": {"duration_minutes": 45}}]
    result = resolve(model, before, changes, time_limit=5)
    assert validate_timetable(result.scenario, result.timetable) == []
    placed = {a.event: a for a in result.timetable.assignments}
    assert "y" in placed and placed["y"].end - placed["y"].start == timedelta(minutes=45)
    assert result.diff.moved == [] and result.disruption == 0


def test_a_delay_that_makes_required_events_clash_is_explained_at_once() -> None:
    # a's two required hour-long meetings must end by 11:00; landing at 10:00 leaves one hour for both
    model = scenario(participants=[{"id": p, "delegation": p} for p in "abc"],
                     rooms=[{"id": "r1", "capacity": 10}, {"id": "r2", "capacity": 10}],
                     events=[event("x", 60, ("a", "b"), required=True, latest_end=at("11:00")),
                             event("y", 60, ("a", "c"), required=True, latest_end=at("11:00")),
                             event("z", 60, ("b", "c"), required=True, earliest=at("11:00"))])
    before = solved(model)
    result = resolve(model, before, [{"op": "participant_delayed", "participant": "a", "arrival": at("10:00")}],
                     time_limit=5)
    assert result.timetable.status == "infeasible"
    diagnostic = result.timetable.diagnostics[0]  # (then what the change breaks where it stands)
    assert diagnostic.code == "participant_overbooked"
    assert set(diagnostic.events) == {"x", "y"} and "a" in diagnostic.participants
    assert "a arrives at 10:00 on 25 Oct (change 1)" in diagnostic.message
    assert "keep_most_everything" not in result.phases  # no wider search once the clash was found


@pytest.mark.parametrize("late", ["m1", "m3"])
def test_a_shortened_day_drops_only_the_least_valuable_meeting(late: str) -> None:
    # a meets b, c and d for an hour each (priorities 3, 2, 1); a now leaves at 11:00: two meetings fit
    people = {"m1": ("a", "b"), "m2": ("a", "c"), "m3": ("a", "d")}
    priority = {"m1": 3, "m2": 2, "m3": 1}

    def meetings(windows: bool) -> list[dict[str, Any]]:
        placed = {name: ({"earliest": at("11:00")} if name == late else {"latest_end": at("11:00")})
                  for name in people}
        return [event(name, 60, people[name], kind="bilateral", priority=priority[name],
                      **(placed[name] if windows else {})) for name in people]

    fields: dict[str, Any] = {"participants": [{"id": p, "delegation": p} for p in "abcd"]}
    before = solved(scenario(events=meetings(windows=True), **fields))
    placed = before.assignment_of(late)
    assert placed is not None and placed.start.hour == 11
    model = scenario(events=meetings(windows=False), **fields)
    cut = {"op": "participant_availability", "participant": "a",
           "available": [{"start": at("09:00"), "end": at("11:00")}]}
    result = resolve(model, before, [cut], time_limit=5)
    assert validate_timetable(result.scenario, result.timetable) == []
    assert [a.event for a in result.diff.dropped] == ["m3"]
    if late == "m3":  # the broken meeting is the one to drop: proven so on a's meetings alone, no wider search
        assert result.neighbourhood == "change" and result.disruption == 0


def test_a_left_out_request_comes_in_only_around_the_events_that_stay() -> None:
    # one room, two half-hour slots: m1 (a, b) and m2 (c, d) fill them, m3 (a, c) is left out. A second room
    # would let m1 and m2 share a slot and m3 take the other, but that moves an untouched meeting: a re-plan
    # does not (a fresh solve does)
    model = scenario(days=[{"date": "2025-10-25", "start": "09:00", "end": "10:00"}],
                     participants=[{"id": p, "delegation": p} for p in "abcd"],
                     events=[event(name, 30, people, kind="bilateral", priority=priority)
                             for name, people, priority in (("m1", ("a", "b"), 3), ("m2", ("c", "d"), 2),
                                                            ("m3", ("a", "c"), 1))])
    before = solved(model)
    assert {a.event for a in before.assignments} == {"m1", "m2"}
    room = {"op": "room_added", "room": {"id": "r2", "capacity": 10}}
    result = resolve(model, before, [room], time_limit=PROOF_LIMIT)
    assert validate_timetable(result.scenario, result.timetable) == []
    assert {a.event for a in result.timetable.assignments} == {"m1", "m2"} and result.disruption == 0
    assert result.proven_minimal
    fresh = solved(result.scenario)
    assert {a.event for a in fresh.assignments} == {"m1", "m2", "m3"}
    # the same holds in a wider neighbourhood, where m1 and m2 are free to move (e.g. to repair something
    # else beside them): m3 may not take their old places
    instance = compile_scenario(result.scenario)
    plan = PreviousPlan.of(instance, before, DisruptionWeights())
    frame = build_neighbourhood(instance, plan, {instance.event_index[e] for e in ("m1", "m2", "m3")})
    m3 = frame.sub.event_items[instance.event_index["m3"]]
    assert m3.size and all(frame.model.proto.variables[int(item)].domain[1] == 0 for item in m3)


def _two_meetings_in_one_room() -> tuple[Scenario, Timetable, dict[str, Any]]:
    """r1 and r2 are identical (one pool). x (a, b) at 09:00 and y (c, d) at 09:30 both use r1; a now lands at
    09:15, and x must end by 09:45: x moves to 09:15, where it overlaps y. The pooled model prices that as a
    time move alone (10), but one of them must also change room (3): 13 is the least."""
    rooms = [{"id": "r1", "capacity": 10}, {"id": "r2", "capacity": 10}]
    people = [{"id": p, "delegation": p} for p in "abcd"]

    def meetings(pinned: bool) -> list[dict[str, Any]]:
        return [event("x", 30, ("a", "b"), earliest=at("09:00"), latest_end=at("09:45"),
                      **({"pinned": {"room": "r1", "start": at("09:00")}} if pinned else {})),
                event("y", 30, ("c", "d"), **({"pinned": {"room": "r1", "start": at("09:30")}} if pinned else {}))]

    before = solved(scenario(rooms=rooms, participants=people, events=meetings(pinned=True)))
    model = scenario(rooms=rooms, participants=people, events=meetings(pinned=False))
    return model, before, {"op": "participant_delayed", "participant": "a", "arrival": at("09:15")}


def test_a_room_change_forced_inside_a_pool_is_proven_with_rooms_apart() -> None:
    model, before, delay = _two_meetings_in_one_room()
    result = resolve(model, before, [delay], time_limit=PROOF_LIMIT)
    assert validate_timetable(result.scenario, result.timetable) == []
    weights = DisruptionWeights()
    assert result.disruption == weights.time_move + weights.room_change
    assert result.proven_minimal and result.disruption_bound == result.disruption


def test_a_meeting_that_cannot_keep_one_room_all_along_is_seen() -> None:
    # r1 and r2 are identical; a1 holds r1 09:00-10:00, b1 holds r2 10:00-11:00, m holds r3 09:30-10:30 and
    # can only run then. r3 closes: at every moment one room of the pool is free for m, but no one room is free
    # all along, unless a1 or b1 changes room too. Claims on own rooms alone price m's room change only (3);
    # with the pool's rooms named, the relaxation sees the second room change (6), and its answer holds.
    rooms = [{"id": "r1", "capacity": 10}, {"id": "r2", "capacity": 10}, {"id": "r3", "capacity": 10}]
    people = [{"id": p, "delegation": p} for p in "abc"]

    def meetings(pinned: bool) -> list[dict[str, Any]]:
        def pin(room: str, start: str) -> dict[str, Any]:
            return {"pinned": {"room": room, "start": at(start)}} if pinned else {}
        return [event("a1", 60, ("a",), **pin("r1", "09:00")), event("b1", 60, ("b",), **pin("r2", "10:00")),
                event("m", 60, ("c",), earliest=at("09:30"), latest_end=at("10:30"), **pin("r3", "09:30"))]

    before = solved(scenario(rooms=rooms, participants=people, events=meetings(pinned=True)))
    model = scenario(rooms=rooms, participants=people, events=meetings(pinned=False))
    closure = {"op": "room_closed", "room": "r3", "start": at("09:00"), "end": at("12:00")}
    changed = apply_changes(model, parse_changes([closure]))
    instance = compile_scenario(changed)
    weights = DisruptionWeights()
    plan = PreviousPlan.of(instance, before, weights)
    own = grown_relaxation(instance, plan, plan.scheduled_mask.copy(), set(plan.broken()), time.monotonic() + 10,
                            2, 0, None, own_rooms=True)
    assert own is not None and own.chosen is not None and own.rooms is not None
    assert own.bound == 2 * weights.room_change
    ref = ScenarioRef(name=changed.name, fingerprint=changed.fingerprint())
    table = timetable_from_placements(instance, own.chosen, ref, preferred=own.rooms)
    assert validate_timetable(changed, table) == []
    assert measure_disruption(changed, before, table, weights) == own.bound
    result = resolve(model, before, [closure], time_limit=PROOF_LIMIT)
    assert result.proven_minimal and result.disruption == 2 * weights.room_change


def _change_at(kind: str, model: Scenario, target: Assignment) -> dict[str, Any] | None:
    """A change of ``kind`` that hits the ``target`` assignment (None if it cannot: the event uses no resource)."""
    if kind == "room_closed":
        return {"op": kind, "room": target.room, "start": target.start.isoformat(),
                "end": (target.start + timedelta(hours=1)).isoformat()}
    if kind == "participant_delayed":
        person = next(e for e in model.events if e.id == target.event).participants[0]
        return {"op": kind, "participant": person, "arrival": target.end.isoformat()}
    used = next(e for e in model.events if e.id == target.event).uses
    if not used:
        return None
    resource = next(r for r in model.resources if r.id == sorted(used)[0])
    return {"op": kind, "resource": resource.id, "capacity": max(1, resource.capacity - 1)}


def test_own_rooms_price_the_room_change_the_pools_hid() -> None:
    # The relaxation finds the pooled least disruption (10: x moves to 09:15); once rooms are assigned, it costs
    # 13. With each event's own old room priced, the relaxation's bound reaches 13, and its answer, rooms
    # assigned as it claims them, costs 13: the repair is proven minimal.
    model, before, delay = _two_meetings_in_one_room()
    changed = apply_changes(model, parse_changes([delay]))
    instance = compile_scenario(changed)
    weights = DisruptionWeights()
    plan = PreviousPlan.of(instance, before, weights)
    wanted = plan.scheduled_mask.copy()
    relaxation = grown_relaxation(instance, plan, wanted, set(plan.broken()), time.monotonic() + 10, 2, 0, None)
    assert relaxation is not None and relaxation.chosen is not None
    assert relaxation.bound == plan.cost_of(relaxation.chosen) == weights.time_move
    ref = ScenarioRef(name=changed.name, fingerprint=changed.fingerprint())
    table = timetable_from_placements(instance, relaxation.chosen, ref, preferred=plan.old_room)
    assert measure_disruption(changed, before, table, weights) == weights.time_move + weights.room_change
    own = grown_relaxation(instance, plan, wanted, relaxation.group, time.monotonic() + 10, 2, 0, None,
                            own_rooms=True)
    assert own is not None and own.chosen is not None and own.rooms is not None
    assert own.bound == weights.time_move + weights.room_change
    table = timetable_from_placements(instance, own.chosen, ref, preferred=own.rooms)
    assert validate_timetable(changed, table) == []
    assert measure_disruption(changed, before, table, weights) == own.bound


@functools.cache
def _generated_summit() -> tuple[Scenario, Timetable]:
    """A generated summit (``GENERATED`` sizes) and its first timetable, the greedy warm start: the same timetable
    on every run and under any load (a solve's answer depends on how far its time limits let it go)."""
    model = generate_scenario(**GENERATED)
    instance = compile_scenario(model)
    rows = all_rows(instance)
    chosen = repaired_greedy(instance, rows, RowMatrix.of(rows, instance.n_items), workers=1, seed=0)
    before = timetable_from_placements(instance, chosen, ScenarioRef(name=model.name, fingerprint=model.fingerprint()))
    assert validate_timetable(model, before) == []
    return model, before


def _repairs_on_a_generated_summit(kind: str, label: str,
                                   count: int) -> Iterator[tuple[Timetable, dict[str, Any], Scenario, Timetable]]:
    """On a generated summit, changes of ``kind`` hitting ``count`` of its assignments (drawn with the seed
    ``label``), each with the plan before, the changed summit and a repair keeping every event: the re-plan's
    ejection chain (no search: the same repair under any load), checked valid. Changes that leave an event
    nowhere to go are left out."""
    model, before = _generated_summit()
    for target in random.Random(label).sample(before.assignments, count):
        change = _change_at(kind, model, target)
        if change is None:
            continue
        ctx = prepare(model, before, parse_changes([change]), None, ReplanConfig(), None)
        chosen, whole = displacing_repair(ctx.instance, ctx.plan, all_rows(ctx.instance), ctx.hit, set(ctx.wanted))
        if not whole or (chosen[ctx.plan.scheduled] < 0).any():  # (repairs keeping every event only)
            continue
        repair = timetable_from_placements(ctx.instance, chosen, ctx.ref)
        assert validate_timetable(ctx.changed, repair) == []
        yield before, change, ctx.changed, repair


@pytest.mark.parametrize("kind", ["room_closed", "participant_delayed", "resource_capacity"])
def test_pruned_budget_search_finds_the_same_least_disruption(kind: str) -> None:
    # A budget search leaves out the moves no chain of moves from the change reaches within the budget. That
    # must never lose a repair: with and without the pruning, the least disruption under a budget is the same.
    # The pruned search finds its least; the search without pruning then proves that nothing cheaper exists (its
    # placements hold the pruned ones, so the pruned least is one of its repairs): the two leasts are equal. (The
    # proof alone is several times faster than a second search for the least, on the same question.)
    compared = pruned = 0
    for before, _, changed, repair in _repairs_on_a_generated_summit(kind, kind, 5):
        instance = compile_scenario(changed)
        plan = PreviousPlan.of(instance, before, DisruptionWeights())
        chosen = placements_of(instance, repair.assignments)
        value = plan.value_of(instance, chosen)
        # a budget above the repair's cost, so that both searches have repairs to find
        budget = plan.cost_of(chosen) + DisruptionWeights().time_move
        within = budget_of(instance, plan, chosen, budget, set())
        assert within is not None
        reach = within.within_reach(instance, plan)
        assert not (reach & ~within.allowed).any()  # the pruning only leaves placements out
        # one worker and a deterministic limit: the same verdict under any load
        answer, minimal = cheaper_repair(instance, plan, reach, budget, value, time.monotonic() + 3600, 1, 0, None,
                                          work=30)
        assert answer is not None
        if not minimal:
            continue  # (only proven least disruptions are compared)
        least = plan.cost_of(answer)
        if _nothing_cheaper(instance, plan, within.allowed, least, value, 30) is None:
            continue
        compared += 1
        pruned += int(reach.sum()) < int(within.allowed.sum())
    assert compared >= 3 and pruned >= 1


def _nothing_cheaper(instance: Instance, plan: PreviousPlan, allowed: Any, bound: int, value: int,
                     work: float) -> bool | None:
    """Whether an exhaustive search on one worker, on the ``allowed`` placements, proves that no repair keeping
    ``value`` costs less than ``bound`` (the test fails if it finds one), within ``work`` units of CP-SAT's
    deterministic time (the same answer under any load); None if not proven."""
    if bound <= 0:
        return True  # (no disruption is below nothing)
    answer, minimal = cheaper_repair(instance, plan, allowed, bound, value, time.monotonic() + 3600, 1, 0, None,
                                      work=work)
    assert answer is None, f"a repair costing {plan.cost_of(answer)}, below {bound}"
    return True if minimal else None


def _at_least(instance: Instance, before: Timetable, repaired: Timetable, bound: int, work: float) -> bool | None:
    """Whether the least disruption of a repair keeping ``repaired``'s value is at least ``bound``: an exhaustive
    budget search on one worker, within ``work`` units of CP-SAT's deterministic time, proves that none costs less
    (the same answer under any load); None if not proven."""
    plan = PreviousPlan.of(instance, before, DisruptionWeights())
    chosen = placements_of(instance, repaired.assignments)
    budget = plan.cost_of(chosen) + DisruptionWeights().time_move
    within = budget_of(instance, plan, chosen, budget, set())
    assert within is not None
    return _nothing_cheaper(instance, plan, within.allowed, bound, plan.value_of(instance, chosen), work)


@pytest.mark.parametrize("kind", ["room_closed", "participant_delayed", "resource_capacity"])
def test_relaxation_never_overstates_the_least_disruption(kind: str) -> None:
    # The change's events free, the others in place or stepping aside at the least price of a move: the
    # relaxation's bound must never pass the least disruption an exhaustive search finds, and a repair it gives
    # must hold.
    compared = repaired = 0
    for before, change, changed, repair in _repairs_on_a_generated_summit(kind, f"relaxation-{kind}", 6):
        changes = parse_changes([change])
        instance = compile_scenario(changed)
        plan = PreviousPlan.of(instance, before, DisruptionWeights())
        named = {instance.event_index[e] for e in over_capacity(changed, before, changes)}
        wanted = plan.scheduled_mask & np.asarray([items.size > 0 for items in instance.event_items], dtype=bool)
        relaxation = grown_relaxation(instance, plan, wanted, set(plan.broken()) | named, time.monotonic() + 3600,
                                       1, 0, None)
        assert relaxation is not None  # the repair keeps every event: so can the relaxation
        # the relaxation's bound never passes the least disruption: no repair costs less than the bound
        if _at_least(instance, before, repair, relaxation.bound, 30) is None:
            continue  # (only what the exhaustive search proved is compared)
        if relaxation.chosen is not None:
            ref = ScenarioRef(name=changed.name, fingerprint=changed.fingerprint())
            table = timetable_from_placements(instance, relaxation.chosen, ref)
            assert validate_timetable(changed, table) == []
            assert plan.kept(relaxation.chosen) == plan.alive
            if plan.cost_of(relaxation.chosen) <= relaxation.bound:  # proven: the least
                # a repair of the value searched: none costs less than the bound, so it is the least
                assert plan.value_of(instance, relaxation.chosen) >= plan.value_of(
                    instance, placements_of(instance, repair.assignments))
                assert plan.cost_of(relaxation.chosen) == relaxation.bound
            repaired += 1
        # With own rooms priced, the bound is on the disruption the planner sees: never past the least one of a
        # search with every room apart.
        own = grown_relaxation(instance, plan, wanted, relaxation.group, time.monotonic() + 3600, 1, 0, None,
                                own_rooms=True)
        assert own is not None
        concrete = compile_scenario(changed, pool_rooms=False)
        assert _at_least(concrete, before, repair, own.bound, 60) in (True, None)
        compared += 1
    assert compared >= 3 and repaired >= 1
