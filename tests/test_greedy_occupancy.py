"""The greedy on occupancy arrays (solver/model/occupancy.py) takes, event for event, the placement the greedy on
the model's rows takes: every rule of constraints.py is checked the same way, without building a row."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from solver.compile import compile_scenario
from solver.generate import generate_scenario
from solver.model.constraints import all_rows
from solver.model.greedy import greedy_placements, keeps_every_rule
from solver.model.occupancy import occupancy_greedy
from solver.scenario import Scenario, load_scenario
from tests.test_properties import small_scenarios


def _both(model: Scenario) -> tuple[np.ndarray, np.ndarray]:
    instance = compile_scenario(model)
    return occupancy_greedy(instance), greedy_placements(instance, all_rows(instance))


@pytest.mark.parametrize("shape", [(14, 30, 2, 1), (20, 60, 1, 5), (40, 100, 2, 3)])
def test_on_generated_summits_both_greedies_place_the_same(shape: tuple[int, int, int, int]) -> None:
    delegations, bilaterals, days, seed = shape
    fast, rows = _both(generate_scenario(delegations, bilaterals, days, seed=seed))
    assert (fast >= 0).sum() > 0
    assert fast.tolist() == rows.tolist()


def test_on_hanoi_both_greedies_place_the_same() -> None:
    fast, rows = _both(load_scenario("scenarios/hanoi-2025.yaml"))
    assert fast.tolist() == rows.tolist()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_scenarios(max_events=8, day_end="12:00"))
def test_on_random_small_summits_both_greedies_place_the_same(model: Scenario) -> None:
    fast, rows = _both(model)
    assert fast.tolist() == rows.tolist()


def test_its_timetable_keeps_every_row_and_a_broken_one_is_caught() -> None:
    instance = compile_scenario(generate_scenario(14, 30, 2, seed=2))
    chosen = occupancy_greedy(instance)
    assert keeps_every_rule(instance, chosen)
    placed = np.flatnonzero(chosen >= 0)
    clash = chosen.copy()
    # two placed events with a participant in common, the second moved onto the first's placement's start
    first = int(placed[0])
    people = set(instance.event_participants[first].tolist())
    other = next(int(e) for e in placed[1:] if people & set(instance.event_participants[e].tolist()))
    same_start = instance.event_items[other][instance.item_start[instance.event_items[other]]
                                             == instance.item_start[chosen[first]]]
    assert same_start.size
    clash[other] = same_start[0]
    assert not keeps_every_rule(instance, clash)
