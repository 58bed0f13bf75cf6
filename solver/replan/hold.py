"""The freeze window as a rule: what starts within it is kept where it is by every search, not only by the push.

An event the freeze window holds (it starts within the window, has not started, nobody lifted its freeze and no
fact runs into it) is pinned to its place; pinned but optional, a search could still leave it out to give its place
to an event a fact displaced (gen1: bil-0216 dropped for bil-0077), while the freeze promises the delegations it
stays. So such an event is required at its place in every search, unless it cannot stay there:

- its place is gone (its people are now late, its room closed: the compiler left it no placement);
- its place breaks a rule with what cannot move (what runs or ran, what a report or the planner pinned, a required
  event a change left one place, the other events held): a room or person taken, an exclusive ceremony, escorts or
  resources short;
- a required event the change moves (its place is gone) finds no place beside what cannot move unless it takes a
  held event's: a required event outranks what the freeze keeps, so the held events in its way are released;
- an event it must follow (`after`) is not held where it is nor fixed: it may move or go, and this one with it.

Such an event is released: it stays pinned where it was (the freeze still keeps it from moving) but may be dropped,
and the answer says why it cannot stay, with the way out (lift its freeze: :func:`solver.replan.reports.frozen_reason`).
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet

import numpy as np

from solver.compile import Instance
from solver.model.constraints import all_rows
from solver.model.rows import IntArray, RowIndex


def held_by_freeze(instance: Instance, waiting: AbstractSet[int], moving: AbstractSet[int]) -> set[int]:
    """Those of ``waiting`` (frozen events that have not started) the searches must keep at their place, given the
    required events the change moves (``moving``): the others are released (see the module)."""
    fixed = {e for e in instance.fixed | instance.facts if instance.event_items[e].size == 1}
    movers = {e for e in moving if instance.required[e] and e not in fixed and instance.event_items[e].size}
    held = {e for e in waiting if instance.event_items[e].size}
    while True:
        held = {e for e in held if all(p in held or p in fixed for p in instance.predecessors[e])}
        released = _clashing(instance, held, fixed, movers)
        if not released:
            return held
        held -= released


def _clashing(instance: Instance, held: set[int], fixed: set[int], movers: set[int]) -> set[int]:
    """The held events whose place breaks a rule with what cannot move or another held one, or that stand in the way
    of every place a mover finds beside what cannot move. Checked on the model's rows that only add up (no `after`
    row: a predecessor may still move) over those places (a held event with shortened lengths: its shortest)."""
    if not held:
        return set()
    keep = np.zeros(instance.n_items, dtype=bool)
    single = [int(instance.event_items[e][0]) for e in fixed]
    single += [int(instance.event_items[e][np.argmin(instance.item_end[instance.event_items[e]])]) for e in held]
    keep[single] = True
    for e in movers:
        keep[instance.event_items[e]] = True
    sub = instance.restricted(keep)
    rows = all_rows(sub)
    index = RowIndex.of(rows, sub.n_items)
    adds_up = np.asarray([not (coefs < 0).any() for coefs in rows.coefs], dtype=bool)
    is_held = np.isin(sub.item_event, list(held))
    on = np.flatnonzero(np.isin(sub.item_event, list(fixed | held)))
    load = index.load_of(on)
    over = np.flatnonzero(adds_up & (load > index.upper))
    found = {int(e) for r in over.tolist() for e in sub.item_event[rows.items[r]]} & held
    without = index.load_of(on[~is_held[on]])
    for e in movers:
        found |= _in_the_way(sub, index, rows.items, adds_up, (load, without), sub.event_items[e], is_held)
    return found


def _in_the_way(sub: Instance, index: RowIndex, members: list[IntArray], adds_up: np.ndarray,
                loads: tuple[IntArray, IntArray], items: IntArray, is_held: np.ndarray) -> set[int]:
    """The held events to release for a mover (its placements ``items``): none if one of its places fits beside what
    cannot move and the held events; else those in the rows its places would fit but for them."""
    load, without = loads
    starts, ends = index.item_bounds[items], index.item_bounds[items + 1]
    entries = np.concatenate([np.arange(a, b) for a, b in zip(starts, ends, strict=True)] + [np.zeros(0, np.int64)])
    of_item = np.repeat(np.arange(items.size), ends - starts)
    rows, coefs = index.entry_row[entries], index.entry_coef[entries]
    full = adds_up[rows] & (load[rows] + coefs > index.upper[rows])
    if (np.bincount(of_item[full], minlength=items.size) == 0).any():
        return set()
    crowded = adds_up[rows] & (without[rows] + coefs > index.upper[rows])
    free = np.bincount(of_item[crowded], minlength=items.size) == 0  # (places only held events take)
    found: set[int] = set()
    for r in np.unique(rows[full & free[of_item]]).tolist():
        row = members[r]
        found |= {int(e) for e in sub.item_event[row[is_held[row]]]}
    return found
