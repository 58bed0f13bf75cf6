"""The LP's solution as a construction (solver/model/rounding.py): the timetable rounded from an LP relaxation's
solution keeps every rule, and takes the requests the LP takes. Deterministic: the LP solved exactly by GLOP on
tiny summits (a unique optimum), or weights drawn from a seeded generator; no search."""

from __future__ import annotations

import numpy as np
import pytest
from ortools.linear_solver import pywraplp

from solver.compile import Instance, compile_scenario
from solver.generate import generate_scenario
from solver.model.bound import lp_proto
from solver.model.constraints import all_rows
from solver.model.objective import placement_values
from solver.model.occupancy import occupancy_greedy
from solver.model.rounding import lp_order, lp_rounded, lp_shares, lp_weights
from solver.solve import timetable_from_placements
from solver.solve.steps import places_every_required, value_of
from solver.timetable import ScenarioRef
from solver.validate import validate_timetable
from tests.builders import event, scenario


def whole_lp_solution(instance: Instance) -> np.ndarray:
    """The whole LP relaxation's solution (every row), by GLOP: one value per placement."""
    proto = lp_proto(instance, all_rows(instance), placement_values(instance), True)
    solver = pywraplp.Solver.CreateSolver("GLOP")
    assert solver is not None and not solver.LoadModelFromProto(proto)
    assert solver.Solve() == pywraplp.Solver.OPTIMAL
    return np.asarray([variable.solution_value() for variable in solver.variables()])[: instance.n_items]


def valid(model, instance: Instance, chosen: np.ndarray) -> bool:
    ref = ScenarioRef(name=model.name, fingerprint=model.fingerprint())
    return validate_timetable(model, timetable_from_placements(instance, chosen, ref)) == []


def test_it_takes_the_two_requests_the_lp_takes_where_the_greedy_takes_the_one_of_highest_priority() -> None:
    """a has an hour: the hour-long meeting of priority 5 (the greedy's first pick) or the two half-hour meetings
    of priority 3 (6 together: the LP's optimum, unique)."""
    model = scenario(days=[{"date": "2025-10-25", "start": "09:00", "end": "10:00"}],
                     events=[event("long", 60, ("a",), kind="bilateral", priority=5),
                             event("first", 30, ("a",), kind="bilateral", priority=3),
                             event("second", 30, ("a",), kind="bilateral", priority=3)])
    instance = compile_scenario(model)
    greedy = occupancy_greedy(instance)
    assert value_of(instance, greedy) == 5
    weight = lp_weights(instance, np.arange(instance.n_items), whole_lp_solution(instance))
    assert lp_shares(instance, weight).round(6).tolist() == [0.0, 1.0, 1.0]
    chosen = lp_rounded(instance, weight)
    assert [chosen[instance.event_index[name]] >= 0 for name in ("long", "first", "second")] == [False, True, True]
    assert value_of(instance, chosen) == 6
    assert valid(model, instance, chosen)


def test_each_request_goes_where_the_lp_puts_its_weight_when_that_fits() -> None:
    """One meeting: it goes where the LP puts most of its weight, 10:00 (the greedy takes 09:00); a second
    meeting of the same participant, whose LP weight is on 10:00 too, goes to the earliest place that still fits."""
    model = scenario(events=[event("talk", 30, ("a",), kind="bilateral", priority=2),
                             event("call", 30, ("a",), kind="bilateral", priority=1)])
    instance = compile_scenario(model)
    at_ten = [int(next(item for item in instance.event_items[e] if instance.item_start[item] == 4)) for e in (0, 1)]
    at_nine = int(instance.event_items[0][np.argmin(instance.item_start[instance.event_items[0]])])
    chosen = lp_rounded(instance, lp_weights(instance, np.asarray([at_ten[0], at_nine, at_ten[1]]),
                                             np.asarray([0.7, 0.3, 1.0])))
    assert chosen[0] == at_ten[0]
    assert instance.item_start[chosen[1]] == 0  # 10:00 is taken: the earliest place that fits
    assert valid(model, instance, chosen)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_any_weights_give_a_timetable_that_keeps_every_rule(seed: int) -> None:
    """Whatever the LP's solution (here random weights, half the placements weightless), the rounded timetable,
    plain or perturbed, places every required event and breaks no rule."""
    model = generate_scenario(30, 160, 2, seed=seed)
    instance = compile_scenario(model)
    rng = np.random.default_rng(seed)
    weight = np.where(rng.random(instance.n_items) < 0.5, 0.0, rng.random(instance.n_items))
    for chosen in (lp_rounded(instance, weight), lp_rounded(instance, weight, np.random.default_rng(seed))):
        assert places_every_required(instance, chosen)
        assert valid(model, instance, chosen)


def test_the_lp_order_puts_required_events_first_and_each_after_those_it_must_follow() -> None:
    model = generate_scenario(30, 160, 2, seed=2)
    instance = compile_scenario(model)
    share = np.random.default_rng(0).random(len(instance.events))
    order = lp_order(instance, share)
    assert sorted(order) == list(range(len(instance.events)))
    position = {event: k for k, event in enumerate(order)}
    assert all(position[before] < position[e] for e, befores in enumerate(instance.predecessors) for before in befores)
    required = [e for e in range(len(instance.events)) if instance.required[e]]
    needed = set(instance.with_predecessors(required))  # an optional event a required one must follow goes first
    assert required and max(position[e] for e in required) < min(position[e] for e in set(order) - needed)
