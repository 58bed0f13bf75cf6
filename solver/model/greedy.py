"""A fast greedy timetable used as the solver's warm start (and first incumbent).

Events are placed one at a time, required ones first, then optional ones by priority,
each predecessor before its successors; each event takes its earliest placement that
keeps every row within its bound. It checks exactly the rows of the model, so what it
builds is feasible for the model (except that a required event may stay unplaced when
the greedy order boxed it in; CP-SAT then repairs it).
"""

from __future__ import annotations

import heapq

import numpy as np

from solver.compile import Instance
from solver.model.rows import IntArray, RowIndex, Rows


def greedy_placements(instance: Instance, rows: Rows, fixed: dict[int, int] | None = None) -> IntArray:
    """Chosen placement per event (-1 = not placed). ``fixed`` maps events to placements to keep."""
    index = RowIndex.of(rows, instance.n_items)
    upper, row_of_entry, coef_of_entry, item_bounds = index.upper, index.entry_row, index.entry_coef, index.item_bounds
    load = np.zeros(upper.shape[0], dtype=np.int64)
    chosen = np.full(len(instance.events), -1, dtype=np.int64)

    def place(item: int) -> None:
        span = index.entries(item)
        np.add.at(load, row_of_entry[span], coef_of_entry[span])

    for event, item in (fixed or {}).items():
        chosen[event] = item
        place(item)

    n_events = len(instance.events)
    successors: list[list[int]] = [[] for _ in range(n_events)]
    waiting = np.zeros(n_events, dtype=np.int64)
    for e, before in enumerate(instance.predecessors):
        for b in before:
            successors[b].append(e)
            waiting[e] += 1
    flexibility = np.asarray([items.size for items in instance.event_items], dtype=np.int64)

    def rank(e: int) -> tuple[int, int, int, int]:
        return (0 if instance.required[e] else 1, -int(instance.priority[e]), int(flexibility[e]), e)

    ready = [rank(e) for e in range(n_events) if waiting[e] == 0]
    heapq.heapify(ready)
    while ready:
        e = heapq.heappop(ready)[-1]
        for s in successors[e]:
            waiting[s] -= 1
            if waiting[s] == 0:
                heapq.heappush(ready, rank(s))
        if chosen[e] >= 0:
            continue
        candidates = instance.event_items[e]
        if candidates.size == 0:
            continue
        candidates = candidates[np.argsort(instance.item_start[candidates], kind="stable")]
        starts, ends = item_bounds[candidates], item_bounds[candidates + 1]
        counts = ends - starts
        if counts.sum() == 0:
            chosen[e] = candidates[0]
            continue
        entries = np.concatenate([np.arange(a, b) for a, b in zip(starts, ends, strict=True)])
        fits = load[row_of_entry[entries]] + coef_of_entry[entries] <= upper[row_of_entry[entries]]
        owner = np.repeat(np.arange(candidates.size), counts)
        broken = np.bincount(owner[~fits], minlength=candidates.size)
        good = np.flatnonzero(broken == 0)
        if good.size:
            item = int(candidates[good[0]])
            chosen[e] = item
            place(item)
    return chosen
