"""The push-forward repair: a first repair in a fraction of a second, from the standing plan, for the searches to start
from and improve (an overrun of a central event, or a late head of state, pushes a cascade through a busy day in
which a search over the whole neighbourhood takes many seconds to find a first repair).

What cannot move stays (the past, what runs, the freeze window: their only placement). Then, in the order of the
standing plan, the required events: each keeps its place when it still fits, else takes the cheapest place that fits
(the least disruption, then the nearest time, later before earlier), displacing no one when it can, else only
optional events. Then the optional events: first every one whose place still fits keeps it, then the displaced ones,
the most valuable first, take the cheapest place left, or go. A lower-value event gives way to a required one, never
the reverse. An event takes its turn only after the events it must follow (`after`), an optional one coming in ahead
of its turn for it, and a place held for an event not placed yet never frees a row for another (it may still move).
Every place is checked against exactly the model's rows, so the repair keeps every rule the searches keep.

Only the events that must move get their other placements: the model's rows are built over the standing places and
the change's events first, and again, wider, for the events a round displaced (a few rounds on Hanoi's opening
overrun, each over a few thousand placements rather than the summit's two hundred thousand).
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

import numpy as np

from solver.compile import Instance
from solver.model.constraints import all_rows
from solver.model.rows import IntArray, RowIndex, Rows
from solver.replan.plan import PreviousPlan

ROUNDS = 8  # widenings before the push gives up (the searches are then on their own)
RIGID = 8  # a required event with this many placements or fewer (a closing ceremony) gives way last
NEAR_SLOTS = 40  # how far before its standing place a displaced event may move at first (slots)
GIVE_WAY_TRIES = 400  # the cheapest placements of an event that fits nowhere looked at for what is in their way


@dataclass
class _Frame:
    """The events' placements the push looks at (a sub-instance), their prices and the rows' load so far, with what
    the standing places of the events not placed yet hold (``required``, ``optional``: a place free of them
    displaces no one)."""

    sub: Instance
    to_full: IntArray
    cost: IntArray
    keep: dict[int, int]  # event -> its standing placement in ``sub``
    old_start: dict[int, int | None]
    index: RowIndex
    load: IntArray
    rigid: IntArray  # (required events with few placements: the last to give way)
    required: IntArray
    optional: IntArray
    rows: Rows = field(default_factory=Rows)
    holding: set[int] = field(default_factory=set)  # the events whose standing place is held for them
    tried: set[int] = field(default_factory=set)  # the events given their turn (placed or not)
    # after a report (a fact): a required event that fits nowhere takes the place where what is in its way is worth
    # least (``_Frame.give_way``); never what cannot move (``still``: what runs, the past, the freeze window)
    giving: bool = False
    still: AbstractSet[int] = frozenset()

    @classmethod
    def of(cls, instance: Instance, plan: PreviousPlan, wide: AbstractSet[int], whole: AbstractSet[int]) -> _Frame:
        """The frame where the ``wide`` events may move on the day of their standing place, from an hour before it
        on, and the ``whole`` events anywhere; the others only keep their standing place."""
        keep = np.zeros(instance.n_items, dtype=bool)
        keep[list(plan.keep_item.values())] = True
        day = instance.grid.slot_day
        for e in wide:
            items = instance.event_items[e]
            old = plan.old_start.get(e)
            if e in whole or old is None or items.size == 1:  # (one placement: what runs, or held elsewhere)
                keep[items] = True
                continue
            starts = instance.item_start[items]
            keep[items[(day[starts] == day[old]) & (starts >= old - NEAR_SLOTS)]] = True
        sub, to_full = instance.restricted(keep), np.flatnonzero(keep)
        standing = {e: int(np.searchsorted(to_full, item)) for e, item in plan.keep_item.items()}
        rows = all_rows(sub)
        index = RowIndex.of(rows, sub.n_items)
        zeros = np.zeros(index.upper.shape[0], dtype=np.int64)
        return cls(sub, to_full, plan.item_cost[to_full], standing, plan.old_start, index, zeros.copy(),
                   zeros.copy(), zeros.copy(), zeros.copy(), rows)

    def fitting(self, items: IntArray, free: int = 0) -> IntArray:
        """The placements among ``items`` that break no row, in the order given; with ``free`` 1, nor displace a
        required event with few placements not placed yet from its standing place; with 2, nor any required event;
        with 3, nor any event."""
        index = self.index
        starts, ends = index.item_bounds[items], index.item_bounds[items + 1]
        counts = ends - starts
        if not counts.sum():
            return items
        entries = np.concatenate([np.arange(a, b) for a, b in zip(starts, ends, strict=True)])
        rows = index.entry_row[entries]
        held = self.load[rows] + (self.rigid[rows] if free else 0) + (self.required[rows] if free > 1 else 0) \
            + (self.optional[rows] if free > 2 else 0)
        fits = held + index.entry_coef[entries] <= index.upper[rows]
        broken = np.bincount(np.repeat(np.arange(items.size), counts)[~fits], minlength=items.size)
        return items[broken == 0]

    def take(self, item: int, into: IntArray, sign: int = 1) -> None:
        """Add the placement to ``into`` (the load, or what the standing places hold). A standing place held for an
        event not placed yet holds only what it takes: it never frees a row (an `after` row's negative member, the
        predecessor ended by then) for another event, since the event may still move (or go)."""
        span = self.index.entries(item)
        coef = self.index.entry_coef[span]
        np.add.at(into, self.index.entry_row[span], sign * (coef if into is self.load else np.maximum(coef, 0)))

    def held_for(self, e: int) -> IntArray:
        if not self.sub.required[e]:
            return self.optional
        return self.rigid if self.sub.event_items[e].size <= RIGID else self.required

    def by_price(self, e: int) -> IntArray:
        """The event's placements, cheapest first (its own place, then another room at its time or a move), the
        nearest time first among equals, later before earlier."""
        items = self.sub.event_items[e]
        old = self.old_start.get(e)
        start = self.sub.item_start[items]
        distance = np.abs(start - old) if old is not None else start
        earlier = (start < old) if old is not None else np.zeros(items.size, dtype=bool)
        return items[np.lexsort((earlier, distance, self.cost[items]))]

    def place(self, chosen: IntArray, e: int) -> bool:
        """Place ``e`` at its cheapest placement that fits (True), or leave it out: on its own day if it can, displacing
        no one if it can, else only optional events."""
        if chosen[e] >= 0:
            return True
        self.tried.add(e)
        if e in self.holding:  # (its own standing place is no longer held for it)
            self.holding.discard(e)
            self.take(self.keep[e], self.held_for(e), -1)
        ranked = self.by_price(e)
        old = self.old_start.get(e)
        day = self.sub.grid.slot_day
        same_day = ranked[day[self.sub.item_start[ranked]] == day[old]] if old is not None else ranked
        for items, free in ((same_day, 3), (same_day, 2), (ranked, 3), (ranked, 2), (ranked, 1), (ranked, 0)):
            fitting = self.fitting(items, free)
            if fitting.size:
                chosen[e] = int(fitting[0])
                self.take(chosen[e], self.load)
                return True
        return bool(self.giving and self.sub.required[e]) and self.give_way(chosen, e, required_too=True)

    def worth(self, e: int) -> tuple[int, int, int, int]:
        """What an event is worth when one must give way to another: a required one first, then its priority, an
        exclusive ceremony, its attendance."""
        sub = self.sub
        return int(sub.required[e]), int(sub.priority[e]), int(sub.exclusive[e]), sub.events[e].attendance

    def in_the_way(self, chosen: IntArray, item: int) -> set[int]:
        """The placed events to take out so that ``item`` breaks no row: in each row it would break, the members worth
        least until the row holds (never what cannot move), and every placed event that must follow one of them
        (taking one out breaks its `after` row)."""
        index, sub = self.index, self.sub
        span = index.entries(item)
        rows, coefs = index.entry_row[span], index.entry_coef[span]
        over = self.load[rows] + coefs - index.upper[rows]
        on = np.zeros(sub.n_items, dtype=bool)
        on[chosen[chosen >= 0]] = True
        found: set[int] = set()
        for row, excess in zip(rows[over > 0].tolist(), over[over > 0].tolist(), strict=True):
            members, weights = self.rows.items[row], self.rows.coefs[row]
            mask = on[members] & (weights > 0)
            # (those already out count first, then the least worth)
            held = sorted(zip(sub.item_event[members[mask]].tolist(), weights[mask].tolist(), strict=True),
                          key=lambda pair: (pair[0] not in found, self.worth(pair[0]), -pair[1]))
            for e, weight in held:
                if excess <= 0 or (e in self.still and e not in found):
                    continue
                found.add(e)
                excess -= weight
        placed = np.flatnonzero(chosen >= 0).tolist()
        grew = bool(found)
        while grew:
            followers = {e for e in placed if e not in found and found & set(sub.predecessors[e])}
            found |= followers
            grew = bool(followers)
        return found

    def give_way(self, chosen: IntArray, e: int, required_too: bool) -> bool:
        """The last resort for a required event that fits nowhere after a report: it takes the place where what is in
        its way is worth least (optional events only if it can; with ``required_too``, required ones worth less than
        it, the fewest; never what cannot move). Those are taken out, it is placed, and they are placed again where
        they still fit (a required one may then push optional events out in turn), else they go."""
        offers = []
        for rank, item in enumerate(self.by_price(e)[:GIVE_WAY_TRIES].tolist()):
            way = self.in_the_way(chosen, item)
            required = [b for b in way if self.sub.required[b]]
            if way & self.still or (required and not required_too) \
                    or any(self.worth(b) >= self.worth(e) for b in required):
                continue
            offers.append((len(required), sum(self.worth(b)[1] for b in way), len(way), rank, item, way))
        for *_, item, way in sorted(offers, key=lambda offer: offer[:4]):
            load = self.load.copy()
            for b in way:
                self.take(int(chosen[b]), self.load, -1)
            if not self.fitting(np.asarray([item], dtype=np.int64)).size:
                self.load = load  # (taking them out does not free every row it needs)
                continue
            for b in way:
                chosen[b] = -1
            chosen[e] = item
            self.take(item, self.load)
            for b in sorted(way, key=lambda b: (self.old_start.get(b) or 0, len(self.sub.predecessors[b]), b)):
                self.place(chosen, b)  # (a required one gives way in turn only to what is worth less)
            return True
        return False


def _order(frame: _Frame, events: list[int]) -> list[int]:
    """The standing plan's order (events it did not hold last), a predecessor before its successors."""
    late = 1 + int(frame.sub.grid.n_slots)
    return sorted(events, key=lambda e: (frame.old_start.get(e) if frame.old_start.get(e) is not None else late,
                                         len(frame.sub.predecessors[e]), e))


def _after_predecessors(frame: _Frame, chosen: IntArray, e: int, wanted: AbstractSet[int]) -> bool:
    """Place ``e`` (see :meth:`_Frame.place`) once the wanted events it must follow that are not placed yet had their
    turn (an optional one comes in ahead of its turn, for its successor): an event fits only after its placed
    predecessors, so the places they take never move under it."""
    if chosen[e] >= 0:
        return True
    frame.tried.add(e)
    for before in frame.sub.predecessors[e]:
        if before in wanted and chosen[before] < 0 and before not in frame.tried:
            _after_predecessors(frame, chosen, int(before), wanted)
    return frame.place(chosen, e)


def _push(frame: _Frame, wanted: list[int], still: AbstractSet[int]) -> tuple[IntArray, set[int], bool]:
    """One push over the frame: the placement per event (in ``frame.sub``), the events that left their standing
    place, and whether every required event found a place (``still``: the events that cannot move at all)."""
    sub, chosen = frame.sub, np.full(len(frame.sub.events), -1, dtype=np.int64)
    fixed = [e for e in wanted if e in still]
    moving = [e for e in wanted if e not in still]
    for e in moving:
        if e in frame.keep:
            frame.take(frame.keep[e], frame.held_for(e))
            frame.holding.add(e)
    ours = set(wanted)
    placed = all(_after_predecessors(frame, chosen, e, ours) or not sub.required[e] for e in _order(frame, fixed)) \
        and all([_after_predecessors(frame, chosen, e, ours)
                 for e in _order(frame, [e for e in moving if sub.required[e]])])
    displaced = []
    for e in _order(frame, [e for e in moving if not sub.required[e] and chosen[e] < 0]):
        item = frame.keep.get(e)
        if e not in frame.tried and item is not None and frame.fitting(np.asarray([item], dtype=np.int64)).size:
            chosen[e] = item
            frame.take(item, frame.load)
            frame.take(item, frame.optional, -1)
            frame.holding.discard(e)
            frame.tried.add(e)
        else:
            displaced.append(e)
    for e in sorted(displaced, key=lambda e: (-int(sub.priority[e]), frame.old_start.get(e) or 0, e)):
        _after_predecessors(frame, chosen, e, ours)
    moved = {e for e in wanted if chosen[e] != frame.keep.get(e, -2)}
    # (a required event may have given way to one worth more after its turn: :meth:`_Frame.give_way`)
    return chosen, moved, placed and all(chosen[e] >= 0 for e in wanted if sub.required[e])


def _partners(instance: Instance, plan: PreviousPlan, events: set[int], wanted: list[int]) -> set[int]:
    """``events`` and the wanted events after the first of them on its day: where a push goes first."""
    day = instance.grid.slot_day
    since = {int(day[s]): s for e in sorted(events, key=lambda e: plan.old_start.get(e) or 0)
             if (s := plan.old_start.get(e)) is not None}
    found = set(events)
    for e in wanted:
        start = plan.old_start.get(e)
        if start is None or int(day[start]) not in since or start < since[int(day[start])]:
            continue
        found.add(e)
    return found


def _sharing(instance: Instance, plan: PreviousPlan, events: set[int], wanted: list[int]) -> set[int]:
    """The wanted events that share a participant or a room pool with one of ``events``."""
    people = {p for e in events for p in instance.events[e].participants}
    pools = {int(p) for e in events for p in np.unique(instance.item_pool[instance.event_items[e]])}
    return {e for e in wanted if people & set(instance.events[e].participants)
            or (e in plan.old_room and int(instance.room_pool[plan.old_room[e]]) in pools)}


def push_forward(instance: Instance, plan: PreviousPlan, wanted: list[int], hit: AbstractSet[int],
                 giving: bool = False) -> tuple[IntArray, set[int], bool]:
    """The push-forward repair of the ``wanted`` events (see the module), starting from the change's events
    (``hit``): the placement per event of ``instance`` (-1: none), the events it moved, and whether it is a repair
    (False: a required event found no place that fits within the rounds; the placements are then a start for a
    search over the events it moved). With ``giving`` (after a report), a required event that fits nowhere takes
    the place of what is worth less (:meth:`_Frame.give_way`); the placements always keep every row, and a
    required event still left out is one the plan could not keep."""
    wide = _partners(instance, plan, set(hit), wanted) | {e for e in wanted if e not in plan.keep_item}
    still = {e for e in wanted if instance.event_items[e].size == 1}
    whole: set[int] = set()
    for _ in range(ROUNDS):
        frame = _Frame.of(instance, plan, wide, whole)
        frame.giving, frame.still = giving, still
        chosen, moved, placed = _push(frame, wanted, still)
        full = np.full(len(instance.events), -1, dtype=np.int64)
        full[chosen >= 0] = frame.to_full[chosen[chosen >= 0]]
        if not moved - wide:
            unplaced = {e for e in wanted if instance.required[e] and chosen[e] < 0} - still - whole
            if placed or not unplaced:
                return full, moved, placed
            whole |= unplaced  # (a required event found no place on its day: anywhere, then, and what it meets
            wide |= unplaced | _sharing(instance, plan, unplaced, wanted)  # may move)
            continue
        wide |= moved
    return full, moved, False


def fixed_clash(instance: Instance, wanted: list[int]) -> list[int] | None:
    """Required events that cannot move at all (one placement each: what runs, what a report or the planner pinned)
    and that break a rule together (the model's rows over their placements alone): a proof that no repair exists,
    e.g. a meeting reported running late into an exclusive opening pinned to start. None when they fit."""
    still = [e for e in wanted if instance.required[e] and instance.event_items[e].size == 1]
    keep = np.zeros(instance.n_items, dtype=bool)
    keep[[int(instance.event_items[e][0]) for e in still]] = True
    sub = instance.restricted(keep)
    rows = all_rows(sub)
    on = np.arange(sub.n_items)
    index = RowIndex.of(rows, sub.n_items)
    over = np.flatnonzero(index.load_of(on) > index.upper)
    if not over.size:
        return None
    return sorted({int(sub.item_event[item]) for item in rows.items[int(over[0])]})


def standing_holds(instance: Instance, plan: PreviousPlan, wanted: list[int]) -> IntArray | None:
    """The standing plan's placements when every wanted event keeps its place and they break no rule together (the
    model's rows over those places alone): the push would keep them all, so they are its repair, found without its
    frames (a report that an event started or ended on time at 08:00 on Hanoi: the push's frame is the whole day,
    2-3 s, for no move). None when some event must move."""
    if any(e not in plan.keep_item for e in wanted):
        return None
    chosen = np.full(len(instance.events), -1, dtype=np.int64)
    chosen[wanted] = [plan.keep_item[e] for e in wanted]
    keep = np.zeros(instance.n_items, dtype=bool)
    keep[chosen[wanted]] = True
    sub = instance.restricted(keep)
    index = RowIndex.of(all_rows(sub), sub.n_items)
    return None if (index.load_of(np.arange(sub.n_items)) > index.upper).any() else chosen
