"""The local search on the occupancy arrays (solver/model/moves.py): a request left out comes in where the events in
its way move elsewhere (move-then-insert) or are worth less (swap-out); the timetable never gets worse, keeps every
rule, and the same start gives the same result. Deterministic: small summits, no wall-clock limit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from solver.compile import Instance, compile_scenario
from solver.generate import generate_scenario
from solver.model.greedy import keeps_every_rule
from solver.model.moves import improved_by_moves
from solver.model.occupancy import Occupancy, occupancy_greedy
from solver.model.rounding import lp_rounded
from solver.scenario import Scenario
from solver.solve import timetable_from_placements
from solver.solve.steps import places_every_required, value_of
from solver.timetable import ScenarioRef
from solver.validate import validate_timetable
from tests.builders import event, scenario
from tests.test_properties import small_scenarios

HOUR = [{"date": "2025-10-25", "start": "09:00", "end": "10:00"}]
HALF_HOUR = [{"date": "2025-10-25", "start": "09:00", "end": "09:30"}]


def placed_at(instance: Instance, placements: dict[str, int]) -> np.ndarray:
    """A timetable by hand: each named event at its placement starting at that slot (the others out)."""
    chosen = np.full(len(instance.events), -1, dtype=np.int64)
    for name, slot in placements.items():
        e = instance.event_index[name]
        chosen[e] = int(next(item for item in instance.event_items[e] if instance.item_start[item] == slot))
    return chosen


def valid(model: Scenario, instance: Instance, chosen: np.ndarray) -> bool:
    ref = ScenarioRef(name=model.name, fingerprint=model.fingerprint())
    return (validate_timetable(model, timetable_from_placements(instance, chosen, ref)) == []
            and keeps_every_rule(instance, chosen))


def test_a_request_comes_in_when_the_event_in_its_way_moves_later() -> None:
    """One room, an hour: a's meeting at 09:15 leaves no half hour free for b's; moved to 09:30, both fit."""
    model = scenario(days=HOUR, events=[event("first", 30, ("a",), kind="bilateral", priority=2),
                                        event("second", 30, ("b",), kind="bilateral", priority=2)])
    instance = compile_scenario(model)
    start = placed_at(instance, {"first": 1})
    better, stats = improved_by_moves(instance, start)
    assert value_of(instance, better) == 4 and stats.moved_in == 1 and stats.gained == 2
    assert instance.item_start[better[instance.event_index["first"]]] == 2  # 09:30: where it fits again
    assert valid(model, instance, better)


def test_a_request_worth_more_takes_the_place_of_one_worth_less() -> None:
    """One room, half an hour: the meeting of priority 1 gives way to the one of priority 3 (swap-out)."""
    model = scenario(days=HALF_HOUR, events=[event("low", 30, ("a",), kind="bilateral", priority=1),
                                             event("high", 30, ("b",), kind="bilateral", priority=3)])
    instance = compile_scenario(model)
    better, stats = improved_by_moves(instance, placed_at(instance, {"low": 0}))
    assert better[instance.event_index["low"]] < 0 and better[instance.event_index["high"]] >= 0
    assert stats.swapped_in == 1 and value_of(instance, better) == 3
    assert valid(model, instance, better)


@pytest.mark.parametrize("held", [("high", 3, "low", 1), ("required", None, "optional", 5)])
def test_nothing_changes_when_what_is_in_the_way_is_worth_as_much_or_is_required(held: tuple) -> None:
    """A request of lower priority does not push a higher one out; a required event is never pushed out."""
    placed, placed_priority, out, out_priority = held
    fields = {"required": True} if placed_priority is None else {"priority": placed_priority}
    model = scenario(days=HALF_HOUR, events=[event(placed, 30, ("a",), kind="bilateral", **fields),
                                             event(out, 30, ("b",), kind="bilateral", priority=out_priority)])
    instance = compile_scenario(model)
    start = placed_at(instance, {placed: 0})
    better, stats = improved_by_moves(instance, start)
    assert better.tolist() == start.tolist() and stats.gained == 0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_on_generated_summits_it_never_loses_keeps_every_rule_and_is_repeatable(seed: int) -> None:
    """From the greedy and from a rounding of random weights: worth at least as much, every required event
    placed, every rule kept (our validator and the model's rows), and the same result twice."""
    model = generate_scenario(30, 160, 2, seed=seed)
    instance = compile_scenario(model)
    rng = np.random.default_rng(seed)
    weight = np.where(rng.random(instance.n_items) < 0.5, 0.0, rng.random(instance.n_items))
    for start in (occupancy_greedy(instance), lp_rounded(instance, weight)):
        better, stats = improved_by_moves(instance, start, weight, max_passes=2)
        assert value_of(instance, better) == value_of(instance, start) + stats.gained >= value_of(instance, start)
        assert places_every_required(instance, better) and valid(model, instance, better)
        assert improved_by_moves(instance, start, weight, max_passes=2)[0].tolist() == better.tolist()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_scenarios(max_events=8, day_end="12:00"))
def test_on_random_small_summits_every_rule_holds_after_the_moves(model: Scenario) -> None:
    """Rooms, rest, travel, daily limits, `after`, exclusive ceremonies, escorts, shared resources: whatever the
    summit, the moves keep every rule and lose nothing (from the greedy timetable)."""
    instance = compile_scenario(model)
    start = occupancy_greedy(instance)
    better, _ = improved_by_moves(instance, start, max_passes=3, top=8)
    assert value_of(instance, better) >= value_of(instance, start)
    assert [e for e in range(len(instance.events)) if start[e] >= 0 and instance.required[e] and better[e] < 0] == []
    if valid(model, instance, start):  # (the greedy may leave a required event out: no valid start to keep)
        assert valid(model, instance, better)


def test_taking_an_event_out_gives_back_exactly_what_placing_it_held() -> None:
    """Occupancy.remove is the inverse of Occupancy.place: every array as if the event had never been placed."""
    instance = compile_scenario(generate_scenario(20, 60, 1, seed=5))
    chosen = occupancy_greedy(instance)
    state, fresh = Occupancy.of(instance), Occupancy.of(instance)
    placed = np.flatnonzero(chosen >= 0)
    for e in placed.tolist():
        state.place(e, int(chosen[e]))
    for e in placed.tolist():
        state.remove(e)
    for name in ("chosen", "person", "pool", "running", "escort", "resource", "daily", "ends", "starts",
                 "person_time", "pool_time"):
        assert getattr(state, name).tolist() == getattr(fresh, name).tolist(), name
