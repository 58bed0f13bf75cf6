"""A proven upper bound on the primary objective from the LP relaxation: GLOP on small summits, PDLP on large ones.

Measured on our summits, CP-SAT's own LP keeps only part of the at-most-one rows and its
bound stays far above the optimum (Hanoi-sized synthetic: 1,432 vs an optimum of 1,322
after 13 s), while the full LP relaxation of the same rows, solved by GLOP, closes the gap
in half a second. Any LP optimum is a valid upper bound on the integer optimum, so the
solver reports ``floor(LP)`` (minus a small tolerance) and stops as soon as an incumbent
reaches it.
"""

from __future__ import annotations

import ctypes
import logging
import math
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from ortools.linear_solver import linear_solver_pb2, pywraplp

from solver.compile import Instance
from solver.model.constraints import ALL_FAMILIES, Family, all_rows
from solver.model.rows import IntArray, Rows

if TYPE_CHECKING:
    from ortools.pdlp.python import pdlp

    from solver.bound import Pricing
    from solver.model.pdhg import CompactLp

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


# The whole LP of the largest summits leaves out the rows that cost the most memory and, measured, never moved
# its optimum: travel between zones and time budgets (the peers' 2,000 and 4,000 requests, seed 1: 2,033 and 2,405
# with and without them, found sooner without). On the UN week (1.38M placements) they are 13.3M of its 28.2M
# terms: without them the whole LP fits beside the search (benchmarks/RESULTS.md, the UN week's whole LP).
LIGHT_ABOVE = 1_000_000  # placements
LIGHT_LEAVES_OUT = frozenset({"participants_have_time_to_travel", "time_budgets"})
# ...and each of its PDLP rounds lasts at least this long: a warm start forgets PDLP's step and primal weight, and on
# the UN week one round of 40 s gave 9,779 after 41 s of CPU against 9,841 after 85 s of CPU in rounds of 7-13 s
LIGHT_ROUND_SECONDS = 40.0
# Above this many placements the whole LP goes to our own PDHG (solver/model/pdhg.py: 8 bytes per entry of the
# matrix against PDLP's 48) instead of PDLP: on the three-venue UN week (2.28M placements, 21.7M entries) the child
# took 2.2 GB with PDLP, 0.7 GB with it, for a bound as good per CPU second (benchmarks/RESULTS.md, m27)
COMPACT_ABOVE = LIGHT_ABOVE
COLUMN_CHUNK = 2_000_000  # entries placed into the LP's columns at a time (bounds the build's peak memory)


@dataclass(frozen=True)
class CapacityEntries:
    """The capacity rows of the whole LP as entries (row, placement, coefficient), rows in order, kept compact
    (int32 / float32: 15M entries on the UN week, 178 MB)."""

    row: npt.NDArray[np.int32]
    item: npt.NDArray[np.int32]
    coef: npt.NDArray[np.float32]
    upper: FloatArray  # per row


@dataclass
class WholeLp:
    """The whole LP relaxation as PDLP's program (variables: the placements it holds, ``pricing.columns``; rows: each
    event's own row, then the capacity rows), and the pricing of its multipliers into a proven bound over every
    placement."""

    program: pdlp.QuadraticProgram
    pricing: Pricing  # its ``columns``: the placements the program holds, one per variable (None: every placement)

    def weights(self, primal: FloatArray, placements: int) -> FloatArray:
        """The program's primal solution as a weight on every placement (0 on those it leaves out)."""
        columns = self.pricing.columns
        if columns is None:
            return primal[:placements]
        weight = np.zeros(placements)
        weight[columns] = primal[: columns.size]
        return weight


def whole_lp_families(placements: int) -> tuple[Family, ...]:
    """Every rule's family; above ``LIGHT_ABOVE`` placements, without ``LIGHT_LEAVES_OUT`` (a relaxation: still a
    bound)."""
    if placements <= LIGHT_ABOVE:
        return ALL_FAMILIES
    return tuple(family for family in ALL_FAMILIES if family.__name__ not in LIGHT_LEAVES_OUT)


def whole_lp(instance: Instance, item_value: IntArray, families: tuple[Family, ...] | None = None,
             columns: IntArray | None = None) -> WholeLp:
    """The whole LP, built one family of rows at a time so that no family's rows outlive their entries (the UN
    week's rows as lists of arrays took 824 MB, its LP as a proto 1 GB more). ``columns``: the placements its
    program holds (:func:`program_placements`; default every one); the others' entries are kept for the pricing."""
    from solver.bound import LeftOut

    entries = capacity_entries(instance, whole_lp_families(instance.n_items) if families is None else families)
    give_back_freed_memory()
    events = _event_rows(instance)
    # priced from PDLP's reduced costs (Pricing.of_reduced_costs): the entries are not kept beside PDLP's copies
    pricing = _pricing_without_entries(instance, item_value, events, entries.upper)
    if columns is not None:
        position = np.full(instance.n_items, -1, dtype=np.int64)  # each placement's column (-1: left out)
        position[columns] = np.arange(columns.size)
        out = position[entries.item] < 0
        pricing = replace(pricing, columns=columns, left_out=LeftOut(entries.row[out], entries.item[out],
                                                                     entries.coef[out]))
        entries = _held_entries(entries, ~out, position)
    program = _program(instance, item_value, entries, events, columns)
    del entries
    give_back_freed_memory()
    return WholeLp(program, pricing)


# The lowest priorities' requests stay out of the whole LP's program at 4,000 requests: there those of priority 5 and
# 3 alone ask more than twice the summit's room-time, and the LP's optimum (seed 3) takes none of priority 1 or 2.
# PDLP's rounds cost as much as the program's entries (half of them then), and a bound over every placement comes
# all the same: the left-out ones are priced from their own entries (Pricing.left_out), so the bound stays the whole
# LP's whatever the program leaves out; only the rounds come twice as fast (4,000 s3: 2,390.8 after 17 s of PDLP
# against 2,397.8 after 26 s, benchmarks/RESULTS.md "program placements")
DEMAND_FACTOR = 2.0


def program_placements(instance: Instance, item_value: IntArray) -> IntArray | None:
    """The placements the whole LP's program holds: every required event's, and the optional requests' of the highest
    priorities, down to the first priority at which the requests kept ask ``DEMAND_FACTOR`` times the summit's
    room-time (each its length and lead time: a vvip's sweep, a changeover); None when that keeps every placement.
    Where a left-out request would pay in the LP after all, the bound is still proven (the pricing covers every
    placement), only looser than the whole LP's."""
    if instance.n_items == 0 or instance.grid.n_slots == 0:
        return None
    hold = np.zeros(len(instance.events), dtype=np.int64)  # its length and lead time (a sweep, a changeover)
    np.maximum.at(hold, instance.item_event, (instance.item_length + instance.item_lead).astype(np.int64))
    optional = np.flatnonzero(~instance.required & (hold > 0))
    supply = float(instance.pool_size.sum()) * instance.grid.n_slots
    asked, lowest = 0.0, None
    for priority in sorted(set(instance.priority[optional].tolist()), reverse=True):
        if asked >= DEMAND_FACTOR * supply or priority <= 0:
            break
        asked += float(hold[optional[instance.priority[optional] == priority]].sum())
        lowest = priority
    event_held = instance.required | (instance.priority >= (lowest if lowest is not None else np.inf))
    held = event_held[instance.item_event]
    return None if held.all() else np.flatnonzero(held)


def _held_entries(entries: CapacityEntries, keep: npt.NDArray[np.bool_], position: IntArray) -> CapacityEntries:
    """The entries ``keep`` marks (those of the held placements), each numbered by its placement's column in the
    program (``position``)."""
    return CapacityEntries(entries.row[keep], position[entries.item[keep]].astype(np.int32), entries.coef[keep],
                           entries.upper)


def whole_compact_lp(instance: Instance, item_value: IntArray,
                     families: tuple[Family, ...] | None = None) -> tuple[CompactLp, Pricing]:
    """The whole LP as :class:`solver.model.pdhg.CompactLp` (the capacity rows' entries kept as built: 8 bytes each,
    against PDLP's 48) and its pricing."""
    from scipy import sparse

    from solver.model.pdhg import CompactLp

    entries = capacity_entries(instance, whole_lp_families(instance.n_items) if families is None else families)
    give_back_freed_memory()
    events = _event_rows(instance)
    starts = np.zeros(entries.upper.size + 1, dtype=np.int64)
    np.cumsum(np.bincount(entries.row, minlength=entries.upper.size), out=starts[1:])
    index = np.int32 if starts[-1] < 2**31 - 1 else np.int64
    capacity = sparse.csr_matrix((entries.coef, entries.item, starts.astype(index)),
                                 shape=(entries.upper.size, instance.n_items), copy=False)
    item_row = events.index[instance.item_event].astype(np.int32)
    lp = CompactLp(capacity, entries.upper, item_row, events.required, item_value.astype(float))
    return lp, _pricing_without_entries(instance, item_value, events, entries.upper)


def _pricing_without_entries(instance: Instance, item_value: IntArray, events: _EventRows,
                             upper: FloatArray) -> Pricing:
    """The whole LP's pricing, which keeps none of its entries: PDLP's reduced costs, or the capacity rows' load
    our PDHG computes from the rows it keeps (:meth:`solver.bound.Pricing.of_capacity_load`), stand for them."""
    from solver.bound import Pricing

    none = np.zeros(0, dtype=np.int32)
    return Pricing(item_value.astype(float), events.index[instance.item_event].astype(np.int64), events.required,
                   none, none, np.zeros(0, dtype=np.float32), upper, events.count, from_reduced_costs=True)


def give_back_freed_memory() -> None:
    """Return the memory freed by the rows' many small arrays to the system (glibc keeps it otherwise: 350 MB of
    the UN week's 740 MB resident after its entries were built); nothing where there is no glibc."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def capacity_entries(instance: Instance, families: tuple[Family, ...]) -> CapacityEntries:
    """The rows of ``families`` (waived as every search's are) as compact entries."""
    rows_of: list[npt.NDArray[np.int32]] = []
    items: list[npt.NDArray[np.int32]] = []
    coefs: list[npt.NDArray[np.float32]] = []
    upper: list[int] = []
    for family in families:
        rows = all_rows(instance, (family,))
        lengths = np.fromiter((r.size for r in rows.items), dtype=np.int64, count=len(rows))
        if lengths.sum():
            rows_of.append((np.repeat(np.arange(len(rows)), lengths) + len(upper)).astype(np.int32))
            items.append(np.concatenate(rows.items).astype(np.int32))
            coefs.append(np.concatenate(rows.coefs).astype(np.float32))
        upper.extend(rows.upper if lengths.sum() else [])
        del rows
        give_back_freed_memory()  # (the next family's rows then reuse it: 1,290 MB at the UN week's peak, 980 so)
    if not rows_of:
        return CapacityEntries(np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.float32),
                               np.zeros(0, dtype=float))
    return CapacityEntries(np.concatenate(rows_of), np.concatenate(items), np.concatenate(coefs),
                           np.asarray(upper, dtype=float))


@dataclass(frozen=True)
class _EventRows:
    index: IntArray  # per event, its row (events with placements, in order; -1 for the others)
    required: npt.NDArray[np.bool_]  # per row
    count: int


def _event_rows(instance: Instance) -> _EventRows:
    has = np.asarray([items.size > 0 for items in instance.event_items], dtype=bool)
    index = np.where(has, np.cumsum(has) - 1, -1).astype(np.int64)
    return _EventRows(index, instance.required[has], int(has.sum()))


def _program(instance: Instance, item_value: IntArray, entries: CapacityEntries, events: _EventRows,
             columns: IntArray | None = None) -> pdlp.QuadraticProgram:
    """PDLP's program: maximise the value over 0 <= x <= 1, each event at most once (exactly once if required),
    the capacity rows; the matrix goes in by columns (one per placement held, every one without ``columns``: its
    event's row, then its capacity rows in order, ``entries`` numbered by column), as the solver keeps it."""
    from ortools.pdlp.python import pdlp
    from scipy import sparse

    held = np.arange(instance.n_items) if columns is None else columns
    n_rows = events.count + entries.upper.size
    program = pdlp.QuadraticProgram()
    program.resize_and_initialize(held.size, n_rows)
    program.objective_vector = -item_value[held].astype(float)  # PDLP minimises
    program.objective_scaling_factor = -1.0
    program.variable_lower_bounds = np.zeros(held.size)
    program.variable_upper_bounds = np.ones(held.size)
    program.constraint_lower_bounds = np.concatenate([events.required.astype(float), np.full(entries.upper.size,
                                                                                              -np.inf)])
    program.constraint_upper_bounds = np.concatenate([np.ones(events.count), entries.upper])
    indptr, indices, data = _columns(events.index[instance.item_event[held]], events.count, entries)
    program.constraint_matrix = sparse.csc_matrix((data, indices, indptr), shape=(n_rows, held.size))
    return program


def _columns(column_event_row: IntArray, event_rows: int,
             entries: CapacityEntries) -> tuple[IntArray, npt.NDArray[np.int32], FloatArray]:
    """The matrix by columns (indptr, row indices, values), filled a chunk of entries at a time: a column's
    k-th capacity entry in row order lands at its column's start + 1 + k, that is, for the p-th entry of all
    sorted by column (stable: rows stay in order), at p + column + 1. ``column_event_row``: each column's event row;
    the entries' capacity rows come after the ``event_rows`` events' rows."""
    order = np.argsort(entries.item, kind="stable")
    counts = np.bincount(entries.item, minlength=column_event_row.size) + 1
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    indices = np.empty(int(indptr[-1]), dtype=np.int32)  # (what scipy keeps for fewer than 2**31 rows)
    data = np.empty(int(indptr[-1]), dtype=np.float64)
    indices[indptr[:-1]] = column_event_row
    data[indptr[:-1]] = 1.0
    for low in range(0, order.size, COLUMN_CHUNK):
        taken = order[low: low + COLUMN_CHUNK]
        at = np.arange(low, low + taken.size) + entries.item[taken] + 1
        indices[at] = entries.row[taken] + event_rows
        data[at] = entries.coef[taken]
    return indptr, indices, data


def whole_lp_bound(instance: Instance, item_value: IntArray, seconds: float,
                   on_bound: Callable[[int], None] | None = None, iterations: int | None = None,
                   on_solution: Callable[[IntArray, FloatArray], None] | None = None,
                   on_weights: Callable[[FloatArray], None] | None = None,
                   families: tuple[Family, ...] | None = None, until_floor_settled: bool = False) -> int | None:
    """A proven bound from the LP relaxation with every row (:func:`whole_lp`), at sizes where GLOP does not
    finish.

    PDLP (a first-order method, one thread) solves it approximately, in rounds that each start from the last
    one's answer (:func:`solver.bound.pdlp_rounds`); above ``COMPACT_ABOVE`` placements our own PDHG in float32
    does (:func:`solver.model.pdhg.pdhg_rounds`: a fifth of PDLP's memory per entry of the matrix, a bound as good
    per CPU second on the UN weeks). After each round its multipliers are priced into a
    Lagrangian bound that keeps each event's own row whole (:class:`solver.bound.Pricing`), an upper bound on
    the LP's optimum whatever the multipliers, so a round cut short by its time still proves a bound. Each better
    bound is passed to ``on_bound``; the best is returned (None if none came). Measured on the peers'
    1,000-request summit: 1,711 (every row) against 1,902 for the time-aggregated LP; at 2,000 requests 2,033
    against 2,589; on the UN week 9,772 against 11,006 (benchmarks/RESULTS.md). ``iterations`` (for tests)
    replaces the time by a fixed count; ``until_floor_settled``: the rounds (PDLP's or PDHG's) end once the
    bound's floor is as low as the LP can take it (:func:`solver.bound.floor_settled`), or has stalled within a
    point of it (:func:`solver.bound.floor_stalled`), before the time is up.
    ``on_solution`` hears each round's solution: the placements it takes (a tenth or more of one), how much of
    each; the search may follow it (:func:`solver.lns.lp_requests`). ``on_weights`` hears each round's weight on
    every placement (in [0, 1]): the timetable rounded from it (:mod:`solver.model.rounding`) follows the small
    weights too (measured at 1,000 requests: 1,683 from every weight, 1,603 from those of a tenth or more)."""
    from solver.bound import pdlp_rounds  # the time-aggregated LP's module runs PDLP's rounds the same way
    from solver.model.pdhg import pdhg_rounds

    if instance.n_items == 0:
        return 0

    def taken(weight: FloatArray) -> None:
        if on_solution is not None:
            placements = np.flatnonzero(weight >= 0.1)
            on_solution(placements, weight[placements])
        if on_weights is not None:
            on_weights(np.clip(weight, 0.0, 1.0))

    heard = on_solution is not None or on_weights is not None
    if instance.n_items > COMPACT_ABOVE:
        compact, pricing = whole_compact_lp(instance, item_value, families)
        give_back_freed_memory()
        found = pdhg_rounds(compact, pricing.of_capacity_load, seconds, on_bound, iterations, PDLP_FIRST_ROUND,
                            on_primal=(lambda primal: taken(primal[: instance.n_items])) if heard else None,
                            until_floor_settled=until_floor_settled)
    else:
        lp = whole_lp(instance, item_value, families, program_placements(instance, item_value))
        on_primal = (lambda primal: taken(lp.weights(primal, instance.n_items))) if heard else None
        found = pdlp_rounds(lp.program, lp.pricing, seconds, on_bound, iterations, PDLP_FIRST_ROUND,
                            on_primal=on_primal,
                            shortest_round=LIGHT_ROUND_SECONDS if instance.n_items > LIGHT_ABOVE else 0.0,
                            until_floor_settled=until_floor_settled)
    return None if found is None else int(math.floor(found + 1e-6))
