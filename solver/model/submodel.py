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
from ortools.sat.python import cp_model, cp_model_helper

from solver import cpsat
from solver.compile import Instance
from solver.model.rows import IntArray, RowIndex, Rows, concat_ranges

__all__ = ["RowMatrix", "SubModel", "Terms", "build_submodel", "concat_ranges", "solve_submodel"]


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

    def load_of(self, items: IntArray) -> IntArray:
        """Each row's load when ``items`` are on (every other placement off)."""
        entries = _entries_of(self.by_item, items)
        return np.bincount(self.by_item.entry_row[entries], weights=self.by_item.entry_coef[entries],
                           minlength=self.upper.size).astype(np.int64)

    def rows_of(self, items: IntArray) -> IntArray:
        """Rows in which any of ``items`` appears."""
        bounds = self.by_item.item_bounds
        return np.unique(self.by_item.entry_row[concat_ranges(bounds[items], bounds[items + 1] - bounds[items])])


@dataclass
class SubModel:
    model: cp_model.CpModel
    items: IntArray  # variable k of the model is placement items[k] of the instance
    events: IntArray  # events with a free placement


@dataclass(frozen=True)
class Terms:
    """The rows of a sub-model, free placements only: row k is ``lows[k] <= sum(coef * x[var]) <= highs[k]`` over
    the terms ``cut[k]:cut[k + 1]``, its variables in the order of their placements."""

    var: IntArray
    coef: IntArray
    cut: IntArray
    lows: IntArray
    highs: IntArray


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
    position = np.full(instance.n_items, -1, dtype=np.int64)
    position[free] = np.arange(free.size)
    return _assembled(instance, free, _terms_from_index(matrix, free, fixed_on, position), item_value, hint_on)


def _assembled(instance: Instance, free: IntArray, terms: Terms | None, item_value: IntArray | None,
               hint_on: IntArray | None) -> SubModel | None:
    """The sub-model of these rows: one boolean per free placement, one row per event taking at most one of them
    (exactly one if required), the rows' ``terms``, the free placements' value as the objective, ``hint_on``'s
    placements hinted on and every other free one off; None when the held placements already break a row."""
    model = _blank_model()
    proto = model.proto
    proto.variables.extend([_BOOLEAN] * free.size)
    event_ids = _add_events(proto, instance, free)
    if terms is None:
        return None
    _add_linear(proto, terms)
    if item_value is not None:
        valued = np.flatnonzero(item_value[free])
        if valued.size:
            proto.objective.vars.extend(valued.tolist())
            proto.objective.coeffs.extend((-item_value[free][valued]).tolist())
            proto.objective.scaling_factor = -1.0
    if hint_on is not None:
        on = np.isin(free, hint_on).astype(np.int64)
        proto.solution_hint.vars.extend(range(free.size))
        proto.solution_hint.values.extend(on.tolist())
    return SubModel(model, free, event_ids)


# one 0-1 variable: the sub-model's variables are copies of it (added all at once: 1 ms for 6,000 against 7 ms one
# by one, measured with ortools 9.15)
_BOOLEAN = cp_model_helper.IntegerVariableProto()
_BOOLEAN.domain.extend([0, 1])


def _blank_model() -> cp_model.CpModel:
    """An empty CP-SAT model, without the pre-PEP 8 aliases ``CpModel()`` sets on every new model (``AddBoolOr``...
    none of which the project calls): 2.7 ms of each large-neighbourhood round at 4,000 requests, measured with
    ortools 9.15, against 3 microseconds."""
    model = cp_model.CpModel.__new__(cp_model.CpModel)
    cp_model_helper.CpBaseModel.__init__(model, None)
    return model


def _add_events(proto: Any, instance: Instance, free: IntArray) -> IntArray:
    """Each event with a free placement takes at most one of them (exactly one if required); returns the events."""
    events = instance.item_event[free]
    order = np.argsort(events, kind="stable")
    cuts = np.concatenate([[0], np.flatnonzero(np.diff(events[order])) + 1, [order.size]]).tolist()
    event_ids = np.unique(events)
    lows = instance.required[event_ids].astype(np.int64).tolist()
    members = order.tolist()
    ones = [1] * (max(np.diff(cuts)) if len(cuts) > 1 else 0)
    constraints = proto.constraints
    for low, begin, end in zip(lows, cuts[:-1], cuts[1:], strict=True):
        linear = constraints.add().linear
        linear.vars.extend(members[begin:end])
        linear.coeffs.extend(ones[:end - begin])
        linear.domain.extend([low, 1])
    return event_ids


def _add_linear(proto: Any, terms: Terms) -> None:
    """The rows of ``terms`` as linear constraints (slicing lists beats numpy views here: one row is a few dozen
    terms, and each call into the proto costs the same whatever it carries)."""
    variables, weights = terms.var.tolist(), terms.coef.tolist()
    begins, ends = terms.cut[:-1].tolist(), terms.cut[1:].tolist()
    constraints = proto.constraints
    for begin, end, low, high in zip(begins, ends, terms.lows.tolist(), terms.highs.tolist(), strict=True):
        linear = constraints.add().linear
        linear.vars.extend(variables[begin:end])
        linear.coeffs.extend(weights[begin:end])
        linear.domain.extend([low, high])


def _local_submodel(instance: Instance, free: IntArray, fixed_on: IntArray, item_value: IntArray | None,
                    hint_on: IntArray | None) -> SubModel | None:
    """:func:`build_submodel` on the rows of the instance restricted to the free and fixed placements."""
    from solver.model.constraints import all_rows

    kept = np.union1d(free, fixed_on)  # (indices, not a mask over the summit's placements: 370,000 at 4,000 requests)
    local = instance.restricted(kept)
    hint = None if hint_on is None else np.searchsorted(kept, hint_on[np.isin(hint_on, kept)])
    local_free = np.searchsorted(kept, free)
    terms = _terms_from_rows(all_rows(local), local.n_items, local_free, np.searchsorted(kept, fixed_on))
    sub = _assembled(local, local_free, terms, None if item_value is None else item_value[kept], hint)
    if sub is not None:
        sub.items = kept[sub.items]
    return sub


def _terms_from_index(matrix: RowMatrix, free: IntArray, fixed_on: IntArray, position: IntArray) -> Terms | None:
    """Each row touching a free placement, with the fixed placements' load taken off its bound.

    Read from the placements' side (``matrix.by_item``): the free placements' own entries and the fixed ones'
    loads, never every entry of the rows they touch (a room pool's row at a slot holds thousands of placements
    on a large summit: expanding those took most of a sub-model's build at 4,000 requests)."""
    index = matrix.by_item
    entries = _entries_of(index, free)
    row, coef = index.entry_row[entries], index.entry_coef[entries]
    var = np.repeat(position[free], np.diff(index.item_bounds)[free])
    order = np.argsort(row, kind="stable")
    return _binding(row[order], var[order], coef[order], matrix.load_of(fixed_on), matrix.upper)


def _terms_from_rows(rows: Rows, n_items: int, free: IntArray, fixed_on: IntArray) -> Terms | None:
    """:func:`_terms_from_index` read from the rows' side, for rows over little more than the free placements (a
    sub-model's own rows): the same terms in the same order, without indexing the rows by placement first (half
    the CPU of the terms at 4,000 requests)."""
    lengths = np.fromiter((r.size for r in rows.items), dtype=np.int64, count=len(rows))
    item = np.concatenate(rows.items) if len(rows) else np.zeros(0, dtype=np.int64)
    coef = np.concatenate(rows.coefs).astype(np.int64, copy=False) if len(rows) else np.zeros(0, dtype=np.int64)
    row = np.repeat(np.arange(len(rows)), lengths)
    position = np.full(n_items, -1, dtype=np.int64)
    position[free] = np.arange(free.size)
    var = position[item]
    held = np.zeros(n_items, dtype=bool)
    held[fixed_on] = True
    on = held[item]
    load = np.bincount(row[on], weights=coef[on], minlength=len(rows)).astype(np.int64)
    mine = np.flatnonzero(var >= 0)
    # a row's terms in the order of their placements, as the index reads them (stable: runs already in order)
    order = mine[np.argsort(row[mine] * max(1, free.size) + var[mine], kind="stable")]
    return _binding(row[order], var[order], coef[order], load, np.asarray(rows.upper, dtype=np.int64))


def _binding(row: IntArray, var: IntArray, coef: IntArray, load: IntArray, upper: IntArray) -> Terms | None:
    """The terms of the rows the free placements can break (``row``, ``var``, ``coef``: the free placements'
    terms, row by row), each row's bound less the held placements' ``load``; None if a row is already broken."""
    if row.size == 0:
        return Terms(*(np.zeros(n, dtype=np.int64) for n in (0, 0, 1, 0, 0)))
    cut = np.concatenate([[0], np.flatnonzero(np.diff(row)) + 1])
    rows = row[cut]
    room = upper[rows] - load[rows]
    positive = np.add.reduceat(np.maximum(coef, 0), cut)
    negative = np.add.reduceat(np.minimum(coef, 0), cut)
    if (negative > room).any():
        return None
    binding = np.flatnonzero(positive > room)
    bounds = np.concatenate([cut, [row.size]])
    counts = bounds[binding + 1] - bounds[binding]
    mine = concat_ranges(bounds[binding], counts)
    return Terms(var[mine], coef[mine], np.concatenate([[0], np.cumsum(counts)]), negative[binding], room[binding])


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
