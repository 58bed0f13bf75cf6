"""A fast greedy timetable used as the solver's warm start (and first incumbent).

Events are placed one at a time, required ones first, then optional ones by priority,
each predecessor before its successors; each event takes its earliest placement that
keeps every row within its bound. It checks exactly the rows of the model, so what it
builds is feasible for the model (except that a required event may stay unplaced when
the greedy order boxed it in: :func:`repaired_greedy` then places the required events with
CP-SAT first).
"""

from __future__ import annotations

import time

import numpy as np

from solver.compile import Instance
from solver.model.eject import FloatArray, Pushes, ejection_chain
from solver.model.occupancy import greedy_order
from solver.model.rows import IntArray, RowIndex, Rows
from solver.model.submodel import RowMatrix, build_submodel, solve_submodel


def greedy_placements(instance: Instance, rows: Rows, fixed: dict[int, int] | None = None,
                      index: RowIndex | None = None) -> IntArray:
    """Chosen placement per event (-1 = not placed). ``fixed`` maps events to placements to keep;
    ``index`` is the rows seen from the placements, if the caller has it already."""
    index = index or RowIndex.of(rows, instance.n_items)
    upper, row_of_entry, coef_of_entry, item_bounds = index.upper, index.entry_row, index.entry_coef, index.item_bounds
    load = np.zeros(upper.shape[0], dtype=np.int64)
    chosen = np.full(len(instance.events), -1, dtype=np.int64)

    def place(item: int) -> None:
        span = index.entries(item)
        np.add.at(load, row_of_entry[span], coef_of_entry[span])

    for event, item in (fixed or {}).items():
        chosen[event] = item
        place(item)

    for e in greedy_order(instance):
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


def keeps_every_rule(instance: Instance, chosen: IntArray) -> bool:
    """Whether the placements in ``chosen`` keep every row of the model, checked on the rows over those
    placements alone (a row over placements that are all on: its weights within its bound)."""
    from solver.model.constraints import all_rows

    keep = np.zeros(instance.n_items, dtype=bool)
    keep[chosen[chosen >= 0]] = True
    rows = all_rows(instance.restricted(keep))
    return all(int(coefs.sum()) <= upper for coefs, upper in zip(rows.coefs, rows.upper, strict=True))


def unplaced_required(instance: Instance, chosen: IntArray) -> list[int]:
    """Required events that have placements but none chosen."""
    return [e for e in range(len(instance.events))
            if instance.required[e] and instance.event_items[e].size and chosen[e] < 0]



def repaired_greedy(instance: Instance, rows: Rows, matrix: RowMatrix, workers: int = 2, seed: int = 0,
                    time_limit: float = 10.0) -> IntArray:
    """A timetable with every required event placed, even when the greedy order boxed one in.

    First the boxed-in events push their way in (:func:`eject_and_place`): a few milliseconds on
    our summits. If that gives up, CP-SAT places the required events around them (those sharing
    a participant with them, then all), the other required events held where the greedy put them,
    presolve off (measured: presolve alone takes seconds on these small, tight models). The
    greedy then adds the optional events around them. If neither finds a way within its limits
    (the scenario may be infeasible: the full search says so), the plain greedy's placements
    come back, a required event still out."""
    chosen = greedy_placements(instance, rows, index=matrix.by_item)
    if not unplaced_required(instance, chosen):
        return chosen
    rng = np.random.default_rng(seed)
    pushed = None
    for _ in range(3):  # each chain is random; measured: one in ten or fewer gives up
        pushed = eject_and_place(instance, matrix, chosen, rng)
        if pushed is not None:
            break
    if pushed is None:
        pushed = _required_by_cp_sat(instance, matrix, chosen, workers, seed, time_limit)
    if pushed is None:
        return chosen
    fixed = {e: int(item) for e, item in enumerate(pushed) if item >= 0}
    return greedy_placements(instance, rows, fixed, index=matrix.by_item)


def _required_by_cp_sat(instance: Instance, matrix: RowMatrix, chosen: IntArray, workers: int, seed: int,
                        time_limit: float) -> IntArray | None:
    """Required events placed by CP-SAT: first those around the unplaced ones, then all of them."""
    needed = instance.with_predecessors([e for e in range(len(instance.events)) if instance.required[e]])
    missing = set(unplaced_required(instance, chosen))
    people = set(np.concatenate([instance.event_participants[e] for e in missing]).tolist())
    around = sorted(missing | {e for e in needed if people & set(instance.event_participants[e].tolist())})
    started = time.monotonic()
    for free_events in (around, needed):
        free = np.sort(np.concatenate([instance.event_items[e] for e in free_events]))
        held = np.asarray([chosen[e] for e in needed if e not in set(free_events) and chosen[e] >= 0], dtype=np.int64)
        sub = build_submodel(instance, matrix, free, held, hint_on=chosen[free_events][chosen[free_events] >= 0])
        remaining = time_limit - (time.monotonic() - started)
        if sub is None or remaining <= 0:
            continue
        _, placed = solve_submodel(sub, workers, seed, remaining, presolve=False)
        if placed is not None:
            out = np.full(len(instance.events), -1, dtype=np.int64)
            out[instance.item_event[held]] = held
            out[instance.item_event[placed]] = placed
            return out
    return None


def eject_and_place(instance: Instance, matrix: RowMatrix, chosen: IntArray, rng: np.random.Generator,
                    max_steps: int = 400) -> IntArray | None:
    """Place every unplaced required event by pushing out what blocks it (the ejection chain of
    :mod:`solver.model.eject`), a random ready event at each step.

    A required event weighs more than any optional one to push out (an optional one its priority); one placed
    in the last steps more still, so that two events do not push each other out in turn. Pushed-out required
    events wait their turn; optional ones stay out. Returns the placements, or None when the chain gives up."""
    base = np.where(instance.required, 1000, instance.priority).astype(np.float64)

    def weigh(pushes: Pushes) -> FloatArray:
        return base + np.where(pushes.placed_at > pushes.step - 4, 10**6, 0)

    placed, whole = ejection_chain(instance, matrix, chosen, unplaced_required(instance, chosen), weigh,
                                   np.asarray(instance.required, dtype=bool), rng=rng, max_steps=max_steps)
    return placed if whole else None
