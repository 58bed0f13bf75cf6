"""One ejection chain, for the greedy start (:func:`solver.model.greedy.eject_and_place`) and the re-plan
(:func:`solver.replan.displace.displacing_repair`): events waiting for a place push their way in.

Each step takes a waiting event whose predecessors are all placed, and its placement whose events in the way
weigh least: a placement that fits if there is one (the cheapest by ``item_cost``), else the one whose ``item_cost``
plus the weights of the events in the way is least. Those events are pushed out, with every placed event that must
follow them (they lose their predecessor), and the event is placed; pushed-out events that ``come_back`` wait
their turn. A placed event whose predecessor is not placed on entry (the caller took it out to place it again) is
taken out too, and waits for it. An event's own predecessors are never pushed out (its `after` row would break),
nor an event whose weight is infinite, nor one holding a row that no removal frees. The weight of each pushed event
is the caller's, given what the chain did so far (:class:`Pushes`): the greedy prices a required event above any
optional one and one placed in the last steps above all; the re-plan the cheapest move of each, dearer each time
it is pushed again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from solver.compile import Instance
from solver.model.rows import IntArray, RowIndex
from solver.model.submodel import RowMatrix, concat_ranges

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass
class Pushes:
    """What the chain did so far: its step, how often each event was pushed out, and the step each was last
    placed at (far in the past for those it did not place)."""

    step: int
    times: IntArray
    placed_at: IntArray

    @classmethod
    def none(cls, n_events: int) -> Pushes:
        return cls(0, np.zeros(n_events, dtype=np.int64), np.full(n_events, -10**6, dtype=np.int64))


# The price of pushing out each event, given the chain so far (numpy.inf: never).
Weigh = Callable[[Pushes], FloatArray]


def ejection_chain(instance: Instance, matrix: RowMatrix, chosen: IntArray, waiting: Sequence[int], weigh: Weigh,
                   come_back: BoolArray, item_cost: IntArray | None = None, rng: np.random.Generator | None = None,
                   max_steps: int = 400, deadline: float | None = None) -> tuple[IntArray, bool]:
    """Place the ``waiting`` events (in their order; a random ready one with ``rng``) by pushing out what blocks
    them: see the module's docstring. Returns the placements and whether every waiting event is placed. It stops
    after ``max_steps``, at ``deadline`` (``time.monotonic()``), or when no waiting event can be placed: none is
    ready (a predecessor out), or each was tried in turn without a placement."""
    chosen = chosen.copy()
    index = matrix.by_item
    load = index.load_of(chosen[chosen >= 0])
    successors = _successors(instance)
    queue = list(waiting)
    for orphan in _orphans(instance, successors, chosen):
        # placed, but a predecessor is not (the caller took it out to place it again): its `after` row is broken
        # already, and placing the predecessor (a negative member) would not show it; it waits for it instead
        _toggle(index, load, chosen, orphan, int(chosen[orphan]), -1)
        if come_back[orphan] and orphan not in queue:
            queue.append(orphan)
    pushes = Pushes.none(len(instance.events))
    failed = 0  # waiting events tried in a row without a placement
    while queue and failed < len(queue) and pushes.step < max_steps and (
            deadline is None or time.monotonic() < deadline):
        ready = [k for k, e in enumerate(queue) if all(chosen[b] >= 0 for b in instance.predecessors[e])]
        if not ready:
            break
        event = queue.pop(ready[int(rng.integers(len(ready)))] if rng is not None else ready[0])
        best = _least_blocked(instance, matrix, load, chosen, event, weigh(pushes), item_cost, rng)
        if best is None:
            queue.append(event)  # nowhere now: perhaps once others have moved
            failed += 1
            pushes.step += 1
            continue
        failed = 0
        item, blockers = best
        for blocker in _with_successors(blockers, successors, chosen):
            _toggle(index, load, chosen, blocker, int(chosen[blocker]), -1)
            pushes.times[blocker] += 1
            if come_back[blocker]:
                queue.append(blocker)
        _toggle(index, load, chosen, event, item, +1)
        pushes.placed_at[event] = pushes.step
        pushes.step += 1
    return chosen, not queue


def _least_blocked(instance: Instance, matrix: RowMatrix, load: IntArray, chosen: IntArray, event: int,
                   weight: FloatArray, item_cost: IntArray | None,
                   rng: np.random.Generator | None) -> tuple[int, list[int]] | None:
    """The event's placement that fits (the cheapest), else the one whose ``item_cost`` and blocking events weigh
    least, and those events; None if every placement is blocked by something no removal frees (or that may not
    be pushed out: an event it must follow, an event of infinite weight)."""
    index = matrix.by_item
    candidates = instance.event_items[event]
    first = index.item_bounds[candidates]
    counts = index.item_bounds[candidates + 1] - first
    entries = concat_ranges(first, counts)
    owner = np.repeat(np.arange(candidates.size), counts)
    rows, coefs = index.entry_row[entries], index.entry_coef[entries]
    over = load[rows] + coefs > index.upper[rows]
    owner, rows, coefs = owner[over], rows[over], coefs[over]
    pair_owner, pair_event, hopeless = _holders(instance, matrix, load, chosen, owner, rows, coefs)
    invalid = np.bincount(owner[hopeless], minlength=candidates.size) > 0
    # Pushing out one of the event's own predecessors would break its `after` row (a negative member of it): never.
    own = np.isin(pair_event, np.asarray(instance.predecessors[event], dtype=np.int64))
    invalid |= np.bincount(pair_owner[own], minlength=candidates.size) > 0
    cost = np.bincount(pair_owner, weights=weight[pair_event], minlength=candidates.size).astype(np.float64)
    blocked = np.bincount(owner, minlength=candidates.size) > 0
    base = np.zeros(candidates.size) if item_cost is None else item_cost[candidates].astype(np.float64)
    cost += base
    if rng is not None:
        cost += rng.random(candidates.size) * 0.5  # ties broken at random
    cost[invalid] = np.inf
    if (~blocked).any():  # a placement that fits is taken before any that pushes something out
        cost[blocked] = np.inf
    pick = int(np.argmin(cost))
    if not np.isfinite(cost[pick]):
        return None
    return int(candidates[pick]), pair_event[pair_owner == pick].tolist()


def _holders(instance: Instance, matrix: RowMatrix, load: IntArray, chosen: IntArray, owner: IntArray,
             rows: IntArray, coefs: IntArray) -> tuple[IntArray, IntArray, BoolArray]:
    """For the over-full ``rows`` a candidate (``owner``) would push over: each (candidate, placed event holding
    one of its rows with a positive weight) pair once, and per row entry whether it is hopeless (removing every
    such holder does not free it)."""
    used = np.unique(rows)
    used_first = matrix.start[used]
    used_counts = matrix.start[used + 1] - used_first
    used_entries = concat_ranges(used_first, used_counts)
    row_at = np.repeat(np.arange(used.size), used_counts)
    member, weight_in_row = matrix.item[used_entries], matrix.coef[used_entries]
    holding = (chosen[instance.item_event[member]] == member) & (weight_in_row > 0)
    held = np.bincount(row_at[holding], weights=weight_in_row[holding], minlength=used.size).astype(np.int64)
    at = np.searchsorted(used, rows)
    hopeless = load[rows] - held[at] + coefs > matrix.upper[rows]
    holder_row, holder_event = row_at[holding], instance.item_event[member[holding]]
    low, high = np.searchsorted(holder_row, at, "left"), np.searchsorted(holder_row, at, "right")
    n_events = len(instance.events)
    pairs = np.unique(np.repeat(owner, high - low) * n_events + holder_event[concat_ranges(low, high - low)])
    return pairs // n_events, pairs % n_events, hopeless


def _successors(instance: Instance) -> list[list[int]]:
    after: list[list[int]] = [[] for _ in instance.events]
    for event, before in enumerate(instance.predecessors):
        for predecessor in before:
            after[predecessor].append(event)
    return after


def _orphans(instance: Instance, successors: list[list[int]], chosen: IntArray) -> list[int]:
    """The placed events with a predecessor not placed, and every placed event that must follow them."""
    lost = [e for e, before in enumerate(instance.predecessors)
            if chosen[e] >= 0 and any(chosen[b] < 0 for b in before)]
    return _with_successors(lost, successors, chosen)


def _with_successors(events: list[int], successors: list[list[int]], chosen: IntArray) -> list[int]:
    """These events and every placed event that must follow them: those lose their predecessor too."""
    out: list[int] = []
    stack = list(events)
    while stack:
        event = stack.pop()
        if event in out or chosen[event] < 0:
            continue
        out.append(event)
        stack.extend(successors[event])
    return out


def _toggle(index: RowIndex, load: IntArray, chosen: IntArray, event: int, item: int, sign: int) -> None:
    span = index.entries(item)
    np.add.at(load, index.entry_row[span], sign * index.entry_coef[span])
    chosen[event] = item if sign > 0 else -1
