"""The previous timetable seen from the changed summit: what choosing each placement costs (the weighted
disruption of :class:`DisruptionWeights`), and the disruption between two timetables."""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from solver.compile import BoolArray, Instance
from solver.model.rows import IntArray
from solver.scenario import Scenario
from solver.timetable import Assignment, Timetable


@dataclass(frozen=True)
class DisruptionWeights:
    """What one change to an already planned event costs.

    A new time costs ``time_move`` (plus ``room_change`` if the room changes too); a new
    room at the same time costs ``room_change``; running shorter (an event with a minimum duration, in a re-plan
    after a report) costs ``shorten`` per slot cut, less than ``time_move`` whatever the cut. All are multiplied
    by ``vvip_factor`` (or ``vip_factor``) when such a leader attends, and by ``confirmed_factor`` when the
    assignment was already confirmed to the delegations.
    """

    time_move: int = 10
    room_change: int = 3
    shorten: int = 3  # per slot a re-plan cuts off an event with a minimum duration, never as much as a time move
    vvip_factor: int = 3
    vip_factor: int = 2
    confirmed_factor: int = 4

    def factor(self, tiers: list[str], confirmed: bool) -> int:
        """What one change to an event of participants of these ``tiers`` is multiplied by."""
        factor = self.vvip_factor if "vvip" in tiers else self.vip_factor if "vip" in tiers else 1
        return factor * (self.confirmed_factor if confirmed else 1)

    def cut(self, slots: IntArray | int) -> IntArray:
        """What running ``slots`` shorter than before costs (before a tier's factor): below a time move."""
        return np.minimum(self.shorten * np.maximum(np.asarray(slots, dtype=np.int64), 0), self.time_move - 1)


def placements_of(instance: Instance, assignments: list[Assignment]) -> IntArray:
    """The placement of each assigned event in ``instance`` (-1 if unassigned or not a placement there)."""
    chosen = np.full(len(instance.events), -1, dtype=np.int64)
    for a in assignments:
        e, r = instance.event_index.get(a.event), instance.room_index.get(a.room)
        slot = instance.grid.slot_of(instance.scenario.localise(a.start))
        if e is None or r is None or slot is None:
            continue
        items = instance.event_items[e]
        match = items[(instance.item_pool[items] == instance.room_pool[r]) & (instance.item_start[items] == slot)]
        as_long = match[instance.item_cut[match] == _old_cut(instance, e, a)]  # (a shortened event: as short)
        if match.size:
            chosen[e] = int(as_long[0] if as_long.size else match[0])
    return chosen


def measure_disruption(scenario: Scenario, previous: Timetable, new: Timetable,
                       weights: DisruptionWeights | None = None, regrown: AbstractSet[str] = frozenset()) -> int:
    """The weighted disruption between two timetables, read from the timetables alone: a time move, a room change,
    each slot an event runs shorter than before, and each slot one of ``regrown`` (events a former re-plan shortened
    that may stay so: ``PreviousPlan.regrowable``) runs longer again."""
    weights = weights or DisruptionWeights()
    tiers = {p.id: p.tier for p in scenario.participants}
    events = {e.id: e for e in scenario.events}
    after = {a.event: a for a in new.assignments}
    total = 0
    for old in previous.assignments:
        now = after.get(old.event)
        if now is None or old.event not in events:
            continue
        factor = weights.factor([tiers.get(p, "standard") for p in events[old.event].participants], old.confirmed)
        if now.start != old.start:
            total += weights.time_move * factor
        if now.room != old.room:
            total += weights.room_change * factor
        shorter = ((old.end - old.start) - (now.end - now.start)).total_seconds() // 60 // scenario.slot_minutes
        total += int(weights.cut(int(shorter))) * factor
        if old.event in regrown:
            total += int(weights.cut(-int(shorter))) * factor
    return total


@dataclass
class PreviousPlan:
    keep_item: dict[int, int]  # event -> its unchanged placement, when it still exists
    scheduled: IntArray  # events that were scheduled before and still exist
    item_cost: IntArray  # disruption of choosing each placement
    old_room: dict[int, int]
    old_start: dict[int, int | None]
    alive: int
    n_events: int
    # A time move within a pool keeps the event's concrete room only if no one else held that room then in
    # the old plan. The model sees pools, not rooms, so this extra room change is only a tie-break between
    # repairs of equal (pooled) cost: it never enters a bound or a proof.
    room_extra: IntArray
    tie_scale: int  # larger than any repair's total room_extra: ``tie_scale * cost + extra`` ranks by cost first
    room_change: IntArray  # per event, what a change of its room costs (0 if it was not scheduled)
    # events running shorter than their duration that may stay so: running longer again costs (:func:`_length_cost`)
    regrowable: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, instance: Instance, previous: Timetable, weights: DisruptionWeights) -> PreviousPlan:
        room_pool = instance.room_pool
        tiers = {p.id: p.tier for p in instance.scenario.participants}
        cost = np.zeros(instance.n_items, dtype=np.int64)
        keep: dict[int, int] = {}
        old_room: dict[int, int] = {}
        old_start: dict[int, int | None] = {}
        room_change: dict[int, int] = {}
        scheduled = []
        regrowable: set[str] = set()
        for assignment in previous.assignments:
            e = instance.event_index.get(assignment.event)
            r = instance.room_index.get(assignment.room)
            if e is None:
                continue
            scheduled.append(e)
            factor = weights.factor([tiers.get(p, "standard") for p in instance.events[e].participants],
                                    assignment.confirmed)
            room_change[e] = weights.room_change * factor
            start = instance.grid.slot_of(instance.scenario.localise(assignment.start))
            old_start[e] = start
            if r is not None:
                old_room[e] = r
            items = instance.event_items[e]
            same_time = instance.item_start[items] == (start if start is not None else -1)
            same_pool = instance.item_pool[items] == (room_pool[r] if r is not None else -2)
            old_cut = _old_cut(instance, e, assignment)
            cost[items] = np.where(same_time, 0, weights.time_move * factor) + \
                np.where(same_pool, 0, weights.room_change * factor) + \
                _length_cost(weights, instance.item_cut[items], old_cut) * factor
            if old_cut and (instance.item_cut[items] == old_cut).any():
                regrowable.add(instance.events[e].id)
            stay = items[same_time & same_pool & (instance.item_cut[items] == old_cut)]
            if not stay.size:
                stay = items[same_time & same_pool & (instance.item_cut[items] == 0)]
            if stay.size:
                keep[e] = int(stay[0])
        extra = _room_extra(instance, old_room, old_start, keep, room_change, weights.room_change)
        scale = 1 + sum(int(extra[items].max()) for items in instance.event_items if items.size)
        change_cost = np.zeros(len(instance.events), dtype=np.int64)
        change_cost[list(room_change)] = list(room_change.values())
        return cls(keep, np.asarray(sorted(scheduled), dtype=np.int64), cost, old_room, old_start, len(scheduled),
                   len(instance.events), extra, scale, change_cost, regrowable)

    @cached_property
    def old_room_of(self) -> IntArray:
        """Per event, its room in the previous timetable (-1: none)."""
        rooms = np.full(self.n_events, -1, dtype=np.int64)
        rooms[list(self.old_room)] = list(self.old_room.values())
        return rooms

    def broken(self) -> list[int]:
        return [int(e) for e in self.scheduled if int(e) not in self.keep_item]

    @cached_property
    def ranked_cost(self) -> IntArray:
        """Per placement: its disruption, then (as a tie-break) the likely extra room change."""
        return self.item_cost * self.tie_scale + self.room_extra

    def cost_of(self, chosen: IntArray) -> int:
        return int(self.item_cost[chosen[chosen >= 0]].sum())

    def kept(self, chosen: IntArray) -> int:
        """How many previously scheduled events ``chosen`` keeps."""
        return int((chosen[self.scheduled] >= 0).sum())

    def value_of(self, instance: Instance, chosen: IntArray, counted: BoolArray | None = None) -> int:
        """Stage A's value of ``chosen`` (over the ``counted`` events only, if given)."""
        placed = chosen >= 0
        return int(self.event_value(instance)[placed if counted is None else placed & counted].sum())

    def counted(self, named: AbstractSet[int]) -> BoolArray:
        """The previously scheduled events and those the change names: what a repair must try to keep."""
        mask = self.scheduled_mask.copy()
        mask[list(named)] = True
        return mask

    def floor_costs(self, instance: Instance, chosen: IntArray) -> dict[int, int]:
        """Each kept event whose old placement is gone, with the least its cheapest alternative costs."""
        return {e: int(self.item_cost[instance.event_items[e]].min()) for e in self.broken()
                if chosen[e] >= 0 and instance.event_items[e].size}

    def rank_of(self, chosen: IntArray) -> tuple[int, int]:
        return self.cost_of(chosen), int(self.room_extra[chosen[chosen >= 0]].sum())

    @cached_property
    def scheduled_mask(self) -> BoolArray:
        mask = np.zeros(self.n_events, dtype=bool)
        mask[self.scheduled] = True
        return mask

    def event_value(self, instance: Instance) -> IntArray:
        """What keeping each event is worth in stage A: more than all priorities together if it was scheduled
        before (never traded for value), plus its priority if it is optional."""
        value = np.where(instance.required, 0, instance.priority)
        return value + np.where(self.scheduled_mask, int(instance.priority.sum()) + 1, 0)

    def cheapest_move(self, instance: Instance, e: int) -> int | None:
        """The least event ``e`` can cost by moving at all (None if it cannot move)."""
        costs = self.item_cost[instance.event_items[e]]
        moving = costs[costs > 0]
        return int(moving.min()) if moving.size else None

    def cheapest_other_move(self, instance: Instance) -> int:
        """The least any untouched, previously scheduled event can cost by moving at all."""
        broken = set(self.broken())
        moves = (self.cheapest_move(instance, int(e)) for e in self.scheduled if int(e) not in broken)
        return min((m for m in moves if m is not None), default=2**31)

    def lower_bound(self, instance: Instance, chosen: IntArray) -> int:
        """Each kept event whose old placement is gone costs at least its cheapest alternative."""
        return sum(self.floor_costs(instance, chosen).values())


def _length_cost(weights: DisruptionWeights, cuts: IntArray, old_cut: int) -> IntArray:
    """What each length costs against the old one: running shorter than before (a shortening), and running longer
    again (a shortened event grown back toward its duration: its people's day changes as much), the latter only
    where the event could keep its old length (an event reported running late is longer by the fact, not by a
    choice)."""
    cost = weights.cut(cuts - old_cut)
    if old_cut and (cuts == old_cut).any():
        cost = cost + weights.cut(old_cut - cuts)
    return cost


def _old_cut(instance: Instance, e: int, assignment: Assignment) -> int:
    """The slots event ``e`` ran short of its duration in the previous timetable (0 if as long, or longer: an
    event reported running late is longer now)."""
    minutes = (assignment.end - assignment.start).total_seconds() // 60
    return max(0, int(instance.duration[e]) - int(minutes // instance.grid.slot_minutes))


def _room_extra(instance: Instance, old_room: dict[int, int], old_start: dict[int, int | None], keep: dict[int, int],
                room_change: dict[int, int], base_room_change: int) -> IntArray:
    """Per placement in a pool of several rooms, the room changes it likely costs beyond its pooled price,
    judged against the old plan's use of each room: a time move finds the event's old room held by another
    event then (its own room change), or no room of the pool is free all along (someone must switch rooms:
    at least one plain room change)."""
    extra = np.zeros(instance.n_items, dtype=np.int64)
    grid = instance.grid
    n_slots = grid.n_slots
    n_events = len(instance.events)
    # a room is in use from the changeover or sweep before an event to its end
    begin_all = instance.item_room_from
    end_all = np.minimum(instance.item_end, n_slots)
    room_of = np.full(n_events, -1, dtype=np.int64)
    start_of = np.full(n_events, -1, dtype=np.int64)
    use_begin = np.zeros(n_events, dtype=np.int64)
    use_end = np.zeros(n_events, dtype=np.int64)
    cost_of = np.zeros(n_events, dtype=np.int64)
    held = np.zeros((len(instance.rooms), n_slots + 1), dtype=np.int64)
    for e, r in old_room.items():
        start = old_start.get(e)
        items = instance.event_items[e]
        if start is None or not items.size:
            continue
        lead = int(instance.item_lead[keep[e]] if e in keep else instance.item_lead[items].max())
        room_of[e], start_of[e], cost_of[e] = r, start, room_change[e]
        use_begin[e] = max(start - lead, int(grid.day_offset[grid.slot_day[start]]))
        use_end[e] = min(start + int(instance.duration[e]), n_slots)
        held[r, use_begin[e]: use_end[e]] += 1
    before = np.concatenate([np.zeros((held.shape[0], 1), dtype=np.int64), np.cumsum(held, axis=1)], axis=1)
    for pool in instance.pools:
        if pool.size < 2:
            continue
        items = np.flatnonzero(instance.item_pool == pool.index)
        begin, end = begin_all[items], end_all[items]
        rooms = np.asarray(list(pool.rooms), dtype=np.int64)
        row_of = np.full(len(instance.rooms), -1, dtype=np.int64)
        row_of[rooms] = np.arange(rooms.size)
        # old uses overlapping each room use, per room, computed once per distinct (begin, end)
        keys, span_of = np.unique(begin * (n_slots + 1) + end, return_inverse=True)
        span_of = span_of.reshape(-1)
        first, last = keys // (n_slots + 1), keys % (n_slots + 1)
        held_span = before[rooms][:, last] - before[rooms][:, first]  # rooms x spans
        busy_rooms = (held_span > 0).sum(axis=0)[span_of]  # per item
        events = instance.item_event[items]
        row = row_of[np.maximum(room_of[events], 0)]
        own = np.flatnonzero((room_of[events] >= 0) & (row >= 0))  # items of events whose old room is here
        overlap = np.maximum(0, np.minimum(end[own], use_end[events[own]]) - np.maximum(begin[own],
                                                                                       use_begin[events[own]]))
        held_own = held_span[row[own], span_of[own]]
        others = held_own - overlap  # an event's own old use of its room does not block it
        busy_rooms[own] += (others > 0).astype(np.int64) - (held_own > 0).astype(np.int64)
        extra[items] = np.where(busy_rooms == rooms.size, base_room_change, 0)
        moved = instance.item_start[items[own]] != start_of[events[own]]
        extra[items[own[moved]]] += np.where(others[moved] > 0, cost_of[events[own[moved]]], 0)
    return extra
