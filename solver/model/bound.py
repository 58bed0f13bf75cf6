"""A proven upper bound on the primary objective from the LP relaxation: GLOP on small summits, PDLP on large ones.

Measured on our summits, CP-SAT's own LP keeps only part of the at-most-one rows and its
bound stays far above the optimum (Hanoi-sized synthetic: 1,432 vs an optimum of 1,322
after 13 s), while the full LP relaxation of the same rows, solved by GLOP, closes the gap
in half a second. Any LP optimum is a valid upper bound on the integer optimum, so the
solver reports ``floor(LP)`` (minus a small tolerance) and stops as soon as an incumbent
reaches it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from collections.abc import Set as AbstractSet

import numpy as np
import numpy.typing as npt
from ortools.linear_solver import linear_solver_pb2, pywraplp

from solver.compile import Instance
from solver.model.rows import IntArray, Rows

FloatArray = npt.NDArray[np.float64]

log = logging.getLogger(__name__)


PDLP_FIRST_ROUND = 2.0  # seconds; each later round of the whole LP is half again as long

# Dropping rows only loosens the relaxation, so the bound stays valid; measured on Hanoi, the
# LP over these families alone gives the same bound in 0.5 s instead of 4 s with every row.
BOUND_FAMILIES = frozenset({"participant_one_event_at_a_time", "room_one_event_at_a_time", "daily_event_limit",
                            "after", "time_budget"})


def lp_bound(instance: Instance, rows: Rows, item_value: IntArray, time_limit: float) -> int | None:
    """floor of the LP relaxation's optimum of the primary objective, or None if not solved in time.

    Only the rows of ``BOUND_FAMILIES`` enter the LP (a relaxation of a relaxation: still a bound)."""
    optimum = lp_optimum(instance, rows, item_value, True, time_limit)
    if optimum is None or optimum < 0:
        return None if optimum is None else -1
    return int(math.floor(optimum + 1e-6))


def lp_optimum(instance: Instance, rows: Rows, objective: IntArray, maximize: bool, time_limit: float,
               floor: tuple[IntArray, IntArray, int] | None = None) -> float | None:
    """LP optimum of ``objective`` over placements under the core rows (and ``floor``: coefficients
    per placement index, with a lower bound); -1.0 if infeasible, None if not solved in time."""
    proto = lp_proto(instance, rows, objective, maximize, BOUND_FAMILIES)
    if floor is not None:
        items, coefs, lower = floor
        constraint = proto.constraint.add()
        constraint.var_index.extend(items.tolist())
        constraint.coefficient.extend(coefs.astype(float).tolist())
        constraint.lower_bound = float(lower)
        constraint.upper_bound = math.inf
    solver = pywraplp.Solver.CreateSolver("GLOP")
    if solver is None:  # pragma: no cover - GLOP ships with ortools
        return None
    error = solver.LoadModelFromProto(proto)
    if error:
        log.warning("LP bound skipped: %s", error)
        return None
    solver.SetTimeLimit(max(1, int(time_limit * 1000)))
    status = solver.Solve()
    if status == pywraplp.Solver.INFEASIBLE:
        return -1.0  # no timetable at all satisfies these rows
    if status != pywraplp.Solver.OPTIMAL:
        return None
    return float(solver.Objective().Value())


def lp_proto(instance: Instance, rows: Rows, objective: IntArray, maximize: bool,
             families: AbstractSet[str] | None = None) -> linear_solver_pb2.MPModelProto:
    """The LP relaxation: a variable in [0, 1] per placement, each event placed at most once (exactly once if
    required), and the rows of ``families`` (None: every row)."""
    proto = linear_solver_pb2.MPModelProto()
    proto.maximize = maximize
    for value in objective.astype(float).tolist():
        variable = proto.variable.add()
        variable.lower_bound, variable.upper_bound, variable.objective_coefficient = 0.0, 1.0, value
    for event, items in enumerate(instance.event_items):
        if items.size == 0:
            continue
        constraint = proto.constraint.add()
        constraint.var_index.extend(items.tolist())
        constraint.coefficient.extend([1.0] * items.size)
        constraint.lower_bound = 1.0 if instance.required[event] else 0.0
        constraint.upper_bound = 1.0
    for items, coefs, upper, family in zip(rows.items, rows.coefs, rows.upper, rows.family, strict=True):
        if families is not None and family not in families:
            continue
        constraint = proto.constraint.add()
        constraint.var_index.extend(items.tolist())
        constraint.coefficient.extend(coefs.astype(float).tolist())
        constraint.lower_bound = -math.inf
        constraint.upper_bound = float(upper)
    return proto


def whole_lp_bound(instance: Instance, rows: Rows, item_value: IntArray, seconds: float,
                   on_bound: Callable[[int], None] | None = None, iterations: int | None = None,
                   on_solution: Callable[[IntArray, FloatArray], None] | None = None,
                   on_weights: Callable[[FloatArray], None] | None = None) -> int | None:
    """A proven bound from the LP relaxation with every row, at sizes where GLOP does not finish.

    PDLP (a first-order method, one thread) solves it approximately, in rounds that each start from the last
    one's answer (:func:`solver.bound.pdlp_rounds`); after each round its multipliers are priced into a
    Lagrangian bound that keeps each event's own row whole (:class:`solver.bound.Pricing`), an upper bound on
    the LP's optimum whatever the multipliers, so a round cut short by its time still proves a bound. Each better
    bound is passed to ``on_bound``; the best is returned (None if none came). Measured on the peers'
    1,000-request summit: 1,711 (every row) against 1,902 for the time-aggregated LP; at 2,000 requests 2,033
    against 2,589 (benchmarks/RESULTS.md). ``iterations`` (for tests) replaces the time by a fixed count.
    ``on_solution`` hears each round's solution: the placements it takes (a tenth or more of one), how much of
    each; the search may follow it (:func:`solver.lns.lp_requests`). ``on_weights`` hears each round's weight on
    every placement (in [0, 1]): the timetable rounded from it (:mod:`solver.model.rounding`) follows the small
    weights too (measured at 1,000 requests: 1,683 from every weight, 1,603 from those of a tenth or more)."""
    from solver.bound import Pricing, pdlp_rounds  # the time-aggregated LP's module prices multipliers the same way

    if instance.n_items == 0:
        return 0
    proto = lp_proto(instance, rows, item_value, True)
    pricing = Pricing.of_rows(instance, rows, item_value)

    def taken(primal: FloatArray) -> None:
        if on_solution is not None:
            placements = np.flatnonzero(primal[: instance.n_items] >= 0.1)
            on_solution(placements, primal[placements])
        if on_weights is not None:
            on_weights(np.clip(primal[: instance.n_items], 0.0, 1.0))

    found = pdlp_rounds(proto, pricing, seconds, on_bound, iterations, PDLP_FIRST_ROUND,
                        on_primal=taken if on_solution is not None or on_weights is not None else None)
    return None if found is None else int(math.floor(found + 1e-6))
