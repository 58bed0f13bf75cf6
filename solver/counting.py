"""Counting arguments: proofs of infeasibility a planner can check by hand.

A set of required events cannot all happen when together they need more time than there is where
they can go. Two such counts are tried, each on the required events alone (optional ones may always
stay out):

* one participant: the events they must attend last longer, in total, than the slots in which any of
  those events could be held (their availability, the events' windows and open rooms taken together);
* rooms: the events need more room-time than the rooms they fit in are open at the times they could
  be held.

Each count is shrunk by deletion to a set where leaving out any one event makes the count fit: a small
set the planner can read. A count that fits proves nothing, and other rules (rests, travel, two
participants at once) may still conflict: the CP-SAT core in :mod:`solver.explain` handles those.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import numpy as np

from solver.compile import Instance


@dataclass(frozen=True)
class CountingConflict:
    """Events that need ``demand`` slots where only ``supply`` are available."""

    kind: str  # "participant" or "rooms"
    events: list[int]
    demand: int  # slots the events need (each for its whole duration)
    supply: int  # slots (or room-slots) where they could be held
    participant: str | None = None
    pools: tuple[int, ...] = ()
    rest: int = 0  # slots of rest each event claims after it (the participant's min_break)


def _cover(instance: Instance, event: int, by_pool: bool, rest: int = 0) -> set[Hashable]:
    """The slots (or (pool, slot) pairs) some placement of the event occupies; with ``rest``, each placement
    also claims the rest after it (as (day, slot) cells, which may run past the day's end)."""
    covered: set[Hashable] = set()
    length = int(instance.duration[event]) + rest
    for item in instance.event_items[event].tolist():
        start = int(instance.item_start[item])
        tag = int(instance.item_pool[item]) if by_pool else int(instance.grid.slot_day[start])
        for slot in range(start, start + length):
            covered.add((tag, slot))
    return covered


def _violating_prefix(events: list[int], demand: dict[int, int], cover: dict[int, set[Hashable]],
                      weight: Callable[[Hashable], int]) -> tuple[list[int], int, int, Counter[Hashable]] | None:
    """The first set, among the events taken from the most constrained (fewest places) up, that needs more
    than it is offered; the whole set comes last. Hall's condition fails on such a set when it fails at all
    for events whose places nest, which is the usual shape (a narrow window inside a wider one)."""
    counts: Counter[Hashable] = Counter()
    need = have = 0
    ordered = sorted(events, key=lambda e: (len(cover[e]), e))
    for n, event in enumerate(ordered, start=1):
        need += demand[event]
        for cell in cover[event]:
            if counts[cell] == 0:
                have += weight(cell)
            counts[cell] += 1
        if need > have:
            return ordered[:n], need, have, counts
    return None


def _shrink(events: list[int], demand: dict[int, int], cover: dict[int, set[Hashable]],
            weight: Callable[[Hashable], int]) -> tuple[list[int], int, int] | None:
    """Deletion filter on the count: drop each event whose absence keeps demand above supply.

    ``weight`` says how much one covered cell offers (1 slot, or a pool's open rooms at a slot)."""
    start = _violating_prefix(events, demand, cover, weight)
    if start is None:
        return None
    kept, need, have, counts = start
    changed = True
    while changed:  # again until no event can go: a later deletion may let an earlier-kept one go too
        changed = False
        # Events covering the most cells first: dropping them frees the most supply, so the set shrinks fastest.
        for event in sorted(kept, key=lambda e: -len(cover[e])):
            freed = sum(weight(cell) for cell in cover[event] if counts[cell] == 1)
            if need - demand[event] > have - freed:
                kept.remove(event)
                changed = True
                need -= demand[event]
                have -= freed
                counts.subtract(cover[event])
                for cell in cover[event]:
                    if counts[cell] <= 0:
                        del counts[cell]
    return kept, need, have


def participant_overload(instance: Instance, events: list[int]) -> CountingConflict | None:
    """A participant whose required events cannot all fit in the slots where any of them could be held.

    With a rest of r slots between two of their events, each event claims its duration and the r slots after
    it (the claims of two events never overlap, the rest after the day's last one runs into the evening), so
    the count is of durations plus rests against the slots those claims can reach."""
    best: CountingConflict | None = None
    covers: dict[int, dict[int, set[Hashable]]] = {}
    for person in instance.scenario.participants:
        theirs = [e for e in events if person.id in instance.events[e].participants]
        if len(theirs) < 2:
            continue
        rest = instance.grid.slots_for(person.min_break_minutes)
        cover = covers.setdefault(rest, {})
        for e in theirs:
            if e not in cover:
                cover[e] = _cover(instance, e, by_pool=False, rest=rest)
        demand = {e: int(instance.duration[e]) + rest for e in theirs}
        found = _shrink(theirs, demand, cover, lambda _: 1)
        if found is not None and (best is None or len(found[0]) < len(best.events)):
            best = CountingConflict("participant", sorted(found[0]), found[1], found[2], participant=person.id,
                                    rest=rest)
    return best


def rooms_overload(instance: Instance, events: list[int]) -> CountingConflict | None:
    """Events that need more room-slots than their rooms are open where they could be held."""
    demand = {e: int(instance.duration[e]) for e in events}
    cover = {e: _cover(instance, e, by_pool=True) for e in events}

    def open_rooms(cell: Hashable) -> int:
        assert isinstance(cell, tuple)
        return int(instance.pools[int(cell[0])].rooms_open[int(cell[1])])

    found = _shrink(events, demand, cover, open_rooms)
    if found is None:
        return None
    pools = tuple(sorted({int(p) for e in found[0] for p in np.unique(instance.item_pool[instance.event_items[e]])}))
    return CountingConflict("rooms", sorted(found[0]), found[1], found[2], pools=pools)


def counting_conflict(instance: Instance, events: list[int]) -> CountingConflict | None:
    """The smaller of the two counts that proves ``events`` (required, with their placements) cannot all happen."""
    found = [c for c in (participant_overload(instance, events), rooms_overload(instance, events)) if c is not None]
    return min(found, key=lambda c: len(c.events)) if found else None
