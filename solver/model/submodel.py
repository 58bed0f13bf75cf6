"""A CP-SAT model over part of the placements, the rest of the timetable held fixed.

The repair of the greedy start (required events alone) and the large-neighbourhood search
(:mod:`solver.lns`) both solve the same rows as the whole model, but only over a few
placements: the *free* ones. Every other placement is a constant: on if it is in the
timetable held fixed, else off. A row then keeps its free terms, and its bound drops by
the load of the fixed placements that are on. Rows come from the whole model once
(:class:`RowMatrix`), so a sub-model costs only the rows it touches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from solver import cpsat
from solver.compile import Instance
from solver.model.rows import IntArray, RowIndex, Rows


def concat_ranges(first: IntArray, counts: IntArray) -> IntArray:
    """The integers of the ranges [first[k], first[k] + counts[k]), one after the other."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    return np.arange(total, dtype=np.int64) + np.repeat(first - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)


@dataclass(frozen=True)
class RowMatrix:
    """The model's rows in compressed form: row r is ``item[start[r]:start[r+1]]`` with ``coef``,
    and ``by_item`` finds the rows of a placement."""

    start: IntArray
    item: IntArray
    coef: IntArray
    upper: IntArray
    by_item: RowIndex

    @classmethod
    def of(cls, rows: Rows, n_items: int, by_item: RowIndex | None = None) -> RowMatrix:
        lengths = np.asarray([r.size for r in rows.items], dtype=np.int64)
        start = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        item = np.concatenate(rows.items).astype(np.int64, copy=False) if len(rows) else np.zeros(0, dtype=np.int64)
        coef = np.concatenate(rows.coefs).astype(np.int64, copy=False) if len(rows) else np.zeros(0, dtype=np.int64)
        # the index from the same entries (concatenated once: 10.6M on the UN week)
        return cls(start, item, coef, np.asarray(rows.upper, dtype=np.int64),
                   by_item or RowIndex.of_entries(rows.upper, lengths, item, coef, n_items))

    def rows_of(self, items: IntArray) -> IntArray:
        """Rows in which any of ``items`` appears."""
        bounds = self.by_item.item_bounds
        return np.unique(self.by_item.entry_row[concat_ranges(bounds[items], bounds[items + 1] - bounds[items])])


@dataclass
class SubModel:
    model: cp_model.CpModel
    items: IntArray  # variable k of the model is placement items[k] of the instance
    events: IntArray  # events with a free placement


def build_submodel(instance: Instance, matrix: RowMatrix | None, free: IntArray, fixed_on: IntArray,
                   item_value: IntArray | None = None, hint_on: IntArray | None = None) -> SubModel | None:
    """The model over the ``free`` placements (sorted, unique), with ``fixed_on`` (placements of
    other events, kept) as constants; None if the fixed part already breaks a row.

    Each event with a free placement takes at most one (exactly one if required); an event whose
    placements are not free is off unless fixed. ``item_value`` is maximised; ``hint_on`` is hinted.
    Without the summit's ``matrix``, the rows are built over the free and fixed placements alone: the same
    rows as the summit's restricted to them (every other placement is off), a few thousand placements' worth."""
    if matrix is None:
        return _local_submodel(instance, free, fixed_on, item_value, hint_on)
    model = cp_model.CpModel()
    proto = model.proto
    for _ in range(free.size):
        proto.variables.add().domain.extend([0, 1])
    position = np.full(instance.n_items, -1, dtype=np.int64)
    position[free] = np.arange(free.size)
    events = instance.item_event[free]
    order = np.argsort(events, kind="stable")
    cuts = np.concatenate([[0], np.flatnonzero(np.diff(events[order])) + 1, [order.size]]).tolist()
    event_ids = np.unique(events)
    members = order.tolist()
    for event, begin, end in zip(event_ids.tolist(), cuts[:-1], cuts[1:], strict=True):
        constraint = proto.constraints.add()
        constraint.linear.vars.extend(members[begin:end])
        constraint.linear.coeffs.extend([1] * (end - begin))
        constraint.linear.domain.extend([1 if instance.required[event] else 0, 1])
    if not _add_rows(proto, matrix, free, fixed_on, position):
        return None
    if item_value is not None:
        valued = np.flatnonzero(item_value[free])
        if valued.size:
            proto.objective.vars.extend(valued.tolist())
            proto.objective.coeffs.extend((-item_value[free][valued]).tolist())
            proto.objective.scaling_factor = -1.0
    if hint_on is not None:
        on = np.zeros(free.size, dtype=np.int64)
        on[position[hint_on[position[hint_on] >= 0]]] = 1
        proto.solution_hint.vars.extend(range(free.size))
        proto.solution_hint.values.extend(on.tolist())
    return SubModel(model, free, event_ids)


def _local_submodel(instance: Instance, free: IntArray, fixed_on: IntArray, item_value: IntArray | None,
                    hint_on: IntArray | None) -> SubModel | None:
    """:func:`build_submodel` on the rows of the instance restricted to the free and fixed placements."""
    from solver.model.constraints import all_rows

    keep = np.zeros(instance.n_items, dtype=bool)
    keep[free] = True
    keep[fixed_on] = True
    kept = np.flatnonzero(keep)
    position = np.cumsum(keep) - 1
    local = instance.restricted(keep)
    hint = None if hint_on is None else position[hint_on[keep[hint_on]]]
    sub = build_submodel(local, RowMatrix.of(all_rows(local), local.n_items), position[free], position[fixed_on],
                         None if item_value is None else item_value[kept], hint)
    if sub is not None:
        sub.items = kept[sub.items]
    return sub


def _add_rows(proto: object, matrix: RowMatrix, free: IntArray, fixed_on: IntArray, position: IntArray) -> bool:
    """Each row touching a free placement, with the fixed placements' load taken off its bound.

    Read from the placements' side (``matrix.by_item``): the free placements' own entries and the fixed ones'
    loads, never every entry of the rows they touch (a room pool's row at a slot holds thousands of placements
    on a large summit: expanding those took most of a sub-model's build at 4,000 requests)."""
    index = matrix.by_item
    entries = _entries_of(index, free)
    if entries.size == 0:
        return True
    row, coef = index.entry_row[entries], index.entry_coef[entries]
    var = np.repeat(position[free], np.diff(index.item_bounds)[free])
    order = np.argsort(row, kind="stable")
    row, coef, var = row[order], coef[order], var[order]
    cut = np.concatenate([[0], np.flatnonzero(np.diff(row)) + 1])
    rows = row[cut]
    held = _entries_of(index, fixed_on)
    fixed_load = np.bincount(index.entry_row[held], weights=index.entry_coef[held],
                             minlength=matrix.upper.size).astype(np.int64)[rows]
    upper = matrix.upper[rows] - fixed_load
    positive = np.add.reduceat(np.maximum(coef, 0), cut)
    negative = np.add.reduceat(np.minimum(coef, 0), cut)
    if (negative > upper).any():
        return False
    binding = np.flatnonzero(positive > upper)  # rows the free placements can break
    bounds = np.concatenate([cut, [row.size]])
    lows, highs = negative[binding].tolist(), upper[binding].tolist()
    begins, ends = bounds[binding].tolist(), bounds[binding + 1].tolist()
    variables, weights = var.tolist(), coef.tolist()  # slicing lists beats numpy views here
    constraints = proto.constraints  # type: ignore[attr-defined]
    for k in range(len(begins)):
        constraint = constraints.add()
        constraint.linear.vars.extend(variables[begins[k]:ends[k]])
        constraint.linear.coeffs.extend(weights[begins[k]:ends[k]])
        constraint.linear.domain.extend([lows[k], highs[k]])
    return True


def _entries_of(index: RowIndex, items: IntArray) -> IntArray:
    """The index's entries of these placements, placement after placement."""
    bounds = index.item_bounds
    return concat_ranges(bounds[items], bounds[items + 1] - bounds[items])


def solve_submodel(sub: SubModel, workers: int, seed: int, time_limit: float,
                   deterministic_limit: float | None = None, presolve: bool = True) -> tuple[Any, IntArray | None]:
    """(CP-SAT status, chosen free placements or None)."""
    status, solver = cpsat.run(sub.model, cpsat.Search(max(0.05, time_limit), workers, seed, presolve=presolve,
                                                       work=deterministic_limit))
    if not cpsat.found(status):
        return status, None
    return status, sub.items[cpsat.placements_on(solver, sub.items.size)]
