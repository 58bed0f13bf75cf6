"""The first timetable: when the greedy order boxes a required event in, the repair places it
at once (an ejection chain, else CP-SAT on the required events), and that timetable obeys
every rule. Generated summit seed 1 (14 delegations, 30 bilaterals, 2 days) is such a case:
its greedy leaves two required round tables out."""

from __future__ import annotations

import numpy as np
import pytest

from solver.compile import compile_scenario
from solver.generate import generate_scenario
from solver.model.constraints import all_rows
from solver.model.greedy import (
    _required_by_cp_sat,
    eject_and_place,
    greedy_placements,
    repaired_greedy,
    unplaced_required,
)
from solver.model.submodel import RowMatrix
from solver.solve import SolveConfig, solve, timetable_from_placements
from solver.timetable import ScenarioRef
from solver.validate import validate_timetable


@pytest.fixture(scope="module")
def boxed_in():
    scenario = generate_scenario(14, 30, 2, seed=1)
    instance = compile_scenario(scenario)
    rows = all_rows(instance)
    return scenario, instance, rows, RowMatrix.of(rows, instance.n_items)


def test_the_greedy_alone_leaves_a_required_event_out(boxed_in) -> None:
    _, instance, rows, _ = boxed_in
    assert unplaced_required(instance, greedy_placements(instance, rows))


def test_the_repaired_greedy_places_every_required_event_and_obeys_every_rule(boxed_in) -> None:
    scenario, instance, rows, matrix = boxed_in
    chosen = repaired_greedy(instance, rows, matrix, seed=0)
    assert not unplaced_required(instance, chosen)
    load = matrix.by_item.load_of(chosen[chosen >= 0])
    assert (load <= matrix.by_item.upper).all()
    ref = ScenarioRef(name=scenario.name, fingerprint=scenario.fingerprint())
    timetable = timetable_from_placements(instance, chosen, ref, rows)
    assert validate_timetable(scenario, timetable) == []


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_each_ejection_chain_keeps_every_row(boxed_in, seed: int) -> None:
    _, instance, rows, matrix = boxed_in
    pushed = eject_and_place(instance, matrix, greedy_placements(instance, rows), np.random.default_rng(seed))
    if pushed is None:  # a chain may give up; the caller tries again, then CP-SAT
        return
    assert not unplaced_required(instance, pushed)
    assert (matrix.by_item.load_of(pushed[pushed >= 0]) <= matrix.by_item.upper).all()


def test_cp_sat_on_the_required_events_places_them(boxed_in) -> None:
    _, instance, rows, matrix = boxed_in
    # Deterministic: one worker and a deterministic limit rather than wall time alone.
    placed = _required_by_cp_sat(instance, matrix, greedy_placements(instance, rows), workers=1, seed=0,
                                 time_limit=120.0)
    assert placed is not None
    assert not unplaced_required(instance, placed)
    assert (matrix.by_item.load_of(placed[placed >= 0]) <= matrix.by_item.upper).all()


def test_solve_with_no_time_for_the_search_returns_the_repaired_timetable(boxed_in) -> None:
    scenario = boxed_in[0]
    result = solve(scenario, config=SolveConfig(time_limit=0.01, workers=1, lp_bound=False))
    assert result.timetable.status in ("feasible", "optimal")
    assert result.stats.first_solution_seconds is not None
    assert validate_timetable(scenario, result.timetable) == []
