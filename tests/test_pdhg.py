"""Our own PDHG for the whole LP of the largest summits (solver/model/pdhg.py): its bound holds whatever its
iterate, it comes close to GLOP's optimum in a fixed number of iterations, and the rows it is built from are the
rows of every other LP."""

from __future__ import annotations

import numpy as np
import pytest
from ortools.linear_solver import pywraplp

from solver.compile import Instance, compile_scenario
from solver.generate import generate_scenario
from solver.model.bound import lp_proto, whole_compact_lp
from solver.model.constraints import all_rows
from solver.model.objective import placement_values
from solver.model.pdhg import Pdhg, pdhg_rounds


def _glop_optimum(instance: Instance) -> float:
    glop = pywraplp.Solver.CreateSolver("GLOP")
    glop.LoadModelFromProto(lp_proto(instance, all_rows(instance), placement_values(instance), True))
    assert glop.Solve() == pywraplp.Solver.OPTIMAL
    return float(glop.Objective().Value())


@pytest.fixture(scope="module")
def summit() -> Instance:
    return compile_scenario(generate_scenario(8, 16, 1, seed=3))  # 4,637 placements, 170k entries


def test_the_compact_lp_holds_the_rows_coefficients_exactly(summit: Instance) -> None:
    """A^T u from the compact LP (float32 coefficients, float64 pricing, a slice of rows at a time) is A^T u from
    the rows themselves, and the compact LP has every row of every family."""
    from solver.model import pdhg

    lp, _ = whole_compact_lp(summit, placement_values(summit))
    rows = all_rows(summit)
    assert lp.capacity.shape == (len(rows), summit.n_items) and lp.capacity.nnz == sum(r.size for r in rows.items)
    u = np.random.default_rng(0).random(len(rows))
    expected = np.zeros(summit.n_items)
    for r, (items, coefs) in enumerate(zip(rows.items, rows.coefs, strict=True)):
        np.add.at(expected, items, u[r] * coefs)
    pdhg.PRICE_ROWS_AT_ONCE, before = 50, pdhg.PRICE_ROWS_AT_ONCE  # many slices
    try:
        assert np.allclose(lp.capacity_load(u), expected, rtol=1e-12, atol=1e-9)
    finally:
        pdhg.PRICE_ROWS_AT_ONCE = before


def test_its_bound_holds_at_every_iterate_and_comes_close_to_the_optimum(summit: Instance) -> None:
    """The priced bound is never below the LP's optimum (GLOP), after 0, 64 or 400 iterations, and after 400 it is
    within half a percent of it; its weights are a near-feasible solution worth about the optimum."""
    optimum = _glop_optimum(summit)
    lp, pricing = whole_compact_lp(summit, placement_values(summit))
    solver = Pdhg(lp)
    for iterations in (0, 64, 400 - 64):
        solver.run(iterations=iterations)
        for u in solver.multipliers():
            assert pricing.of_capacity_load(u, lp.capacity_load(u)) >= optimum - 1e-6
    best = min(pricing.of_capacity_load(u, lp.capacity_load(u)) for u in solver.multipliers())
    assert best <= optimum * 1.005
    assert abs(float(lp.value @ solver.weights()) - optimum) <= 0.01 * optimum


def test_its_rounds_report_each_better_bound_and_the_solution(summit: Instance) -> None:
    """pdhg_rounds with a fixed count: one round, its bound's floor reported and returned, its weights heard."""
    lp, pricing = whole_compact_lp(summit, placement_values(summit))
    bounds: list[int] = []
    weights: list[np.ndarray] = []
    found = pdhg_rounds(lp, pricing.of_capacity_load, 60.0, on_bound=bounds.append, iterations=200,
                        on_primal=weights.append)
    assert found is not None and bounds == [int(np.floor(found + 1e-6))]
    assert len(weights) == 1 and weights[0].shape == (summit.n_items,)
    assert found >= _glop_optimum(summit) - 1e-6


def test_slot_rows_a_run_of_groups_at_a_time_are_the_same_rows() -> None:
    """Large families are expanded a run of whole groups at a time (memory): the same rows, in the same order."""
    from solver.model import rows as rows_module
    from solver.model.constraints import participants_attend_one_event_at_a_time, rooms_hold_one_event_at_a_time

    instance = compile_scenario(generate_scenario(20, 60, 2, seed=1))
    for family in (participants_attend_one_event_at_a_time, rooms_hold_one_event_at_a_time):
        whole = family(instance)
        before, rows_module.SLOTS_AT_ONCE = rows_module.SLOTS_AT_ONCE, 500
        try:
            parts = family(instance)
        finally:
            rows_module.SLOTS_AT_ONCE = before
        assert len(whole) > 0 and whole.upper == parts.upper and whole.family == parts.family
        assert all(np.array_equal(a, b) for a, b in zip(whole.items, parts.items, strict=True))
        assert all(np.array_equal(a, b) for a, b in zip(whole.coefs, parts.coefs, strict=True))


def test_the_whole_lps_bound_goes_through_it_above_its_threshold(summit: Instance, monkeypatch: pytest.MonkeyPatch
                                                                  ) -> None:
    """whole_lp_bound with our PDHG (the threshold lowered to this summit): its floor holds and is the optimum's."""
    from solver.model import bound

    monkeypatch.setattr(bound, "COMPACT_ABOVE", 0)
    optimum = _glop_optimum(summit)
    found = bound.whole_lp_bound(summit, placement_values(summit), 60.0, iterations=300)
    assert found is not None and optimum - 1e-6 <= found <= optimum + 1


def test_exclusive_rows_expanded_only_near_exclusive_placements_are_the_same_rows() -> None:
    """Exclusive ceremonies' rows, from the placements that run at a slot an exclusive one covers, are the rows from
    every placement with those without an exclusive placement dropped (as before)."""
    from solver.model.constraints import exclusive_events_stand_alone
    from solver.model.rows import slot_rows

    instance = compile_scenario(generate_scenario(20, 60, 2, seed=1))
    exclusive = instance.exclusive[instance.item_event]
    assert exclusive.any()
    big = max(len(instance.rooms), 1)
    every = slot_rows(np.arange(instance.n_items), np.zeros(instance.n_items, dtype=np.int64), instance.item_start,
                      instance.item_end, np.where(exclusive, big, 1).astype(np.int64),
                      np.full(1, big, dtype=np.int64), instance.grid.n_slots, "exclusive")
    kept = [(items, coefs, upper) for items, coefs, upper in zip(every.items, every.coefs, every.upper, strict=True)
            if (coefs == big).any()]
    rows = exclusive_events_stand_alone(instance)
    assert len(rows) == len(kept) > 0
    for (items, coefs, upper), mine in zip(kept, zip(rows.items, rows.coefs, rows.upper, strict=True), strict=True):
        assert np.array_equal(items, mine[0]) and np.array_equal(coefs, mine[1]) and upper == mine[2]


def test_a_round_priced_at_no_finite_bound_reports_none(summit: Instance) -> None:
    """A pricing that gives no finite bound (say, iterates that overflowed) is passed over, not reported."""
    lp, _ = whole_compact_lp(summit, placement_values(summit))
    heard: list[int] = []
    assert pdhg_rounds(lp, lambda u, load: float("nan"), 60.0, on_bound=heard.append, iterations=10) is None
    assert heard == []


def test_the_floor_is_settled_by_a_near_feasible_iterate_worth_it(summit: Instance) -> None:
    """After 400 iterations the iterate is near-feasible and worth about the LP's optimum: it settles a floor below
    the optimum, not one above it; before any iteration (nothing placed) it settles none."""
    optimum = _glop_optimum(summit)
    lp, _ = whole_compact_lp(summit, placement_values(summit))
    solver = Pdhg(lp)
    assert not solver.floor_settled(int(np.floor(optimum)) - 1)
    solver.run(iterations=400)
    assert solver.floor_settled(int(np.floor(optimum)) - 1)
    assert not solver.floor_settled(int(np.floor(optimum)) + 1)


def test_the_floor_is_stalled_within_a_point_once_rounds_left_it_where_it_was(summit: Instance) -> None:
    """After 400 iterations the iterate shows the LP's optimum within a point below its own floor: a floor left
    where the two rounds before had it is stalled; not one a round just lowered, nor one two points above the
    optimum's (the primal would have to be worth a point more than the LP; this LP's optimum, 88, is whole)."""
    optimum = int(np.floor(_glop_optimum(summit)))
    lp, _ = whole_compact_lp(summit, placement_values(summit))
    solver = Pdhg(lp)
    solver.run(iterations=400)
    assert solver.floor_stalled(optimum, [optimum + 3, optimum, optimum])
    assert not solver.floor_stalled(optimum, [optimum, optimum + 1])  # the last round lowered it: it may go on falling
    assert not solver.floor_stalled(optimum, [optimum])
    assert not solver.floor_stalled(optimum + 2, [optimum + 2, optimum + 2])
