"""The greedy timetable without the rows: each rule of :mod:`solver.model.constraints` checked on what is in use.

:func:`solver.model.greedy.greedy_placements` checks every candidate placement against the model's rows. On a
UN high-level week (1.38M placements) those rows take 20 s to build and gigabytes to hold, before the first
timetable. This greedy places the same events in the same order and takes the same placement for each (the
earliest that keeps every rule), but it keeps, per participant, room pool, zone, resource and day, what is in
use at each slot, and checks each family's rule on those arrays, exactly as the family's rows state it
(the tests compare both greedies placement for placement):

* rooms (H7): a pool holds at most its rooms at each slot, from the changeover or sweep to the end;
* participants (H8): one event at a time, with their rest after it (within the day);
* travel (H8): an event in another zone starts at least rest + journey after one ends (the same day);
* daily limits (H9), ``after`` (H10), exclusive ceremonies (H11), escorts (H12), shared resources (H13);
* the time budgets (the redundant rows): a participant's and a pool's event time within what is open.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from solver.compile import Instance
from solver.model.rows import BoolArray, IntArray

NO_LIMIT = 10**9


def greedy_order(instance: Instance) -> list[int]:
    """The order in which the greedy places events: required first, then by priority, then the least flexible,
    each after every event it must follow (H10)."""
    flexibility = [items.size for items in instance.event_items]
    return ordered_after(instance, lambda e: (0 if instance.required[e] else 1, -int(instance.priority[e]),
                                              flexibility[e], e))


def ordered_after(instance: Instance, rank: Callable[[int], tuple[int, ...]]) -> list[int]:
    """Every event, the lowest ``rank`` first among those whose predecessors (`after`, H10) are all placed before
    it (the rank ends with the event's index, so the order is total)."""
    n_events = len(instance.events)
    successors: list[list[int]] = [[] for _ in range(n_events)]
    waiting = np.zeros(n_events, dtype=np.int64)
    for e, before in enumerate(instance.predecessors):
        for b in before:
            successors[b].append(e)
            waiting[e] += 1
    ready = [rank(e) for e in range(n_events) if waiting[e] == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        e = heapq.heappop(ready)[-1]
        order.append(e)
        for s in successors[e]:
            waiting[s] -= 1
            if waiting[s] == 0:
                heapq.heappush(ready, rank(s))
    return order


def occupancy_greedy(instance: Instance) -> IntArray:
    """Chosen placement per event (-1 = not placed): the same as ``greedy_placements(instance, all_rows(instance))``
    without building a row."""
    state = Occupancy.of(instance)
    for event in greedy_order(instance):
        candidates = instance.event_items[event]
        if candidates.size == 0:
            continue
        candidates = candidates[np.argsort(instance.item_start[candidates], kind="stable")]
        good = np.flatnonzero(~state.blocked(event, candidates))
        if good.size:
            state.place(event, int(candidates[good[0]]))
    return state.chosen


def _window_hits(full: BoolArray, group: IntArray, first: IntArray, last: IntArray) -> BoolArray:
    """Whether any slot in [first, last) of row ``group`` of ``full`` (groups x slots) is set (broadcast)."""
    cum = np.zeros((full.shape[0], full.shape[1] + 1), dtype=np.int32)
    np.cumsum(full, axis=1, out=cum[:, 1:])
    return (cum[group, np.maximum(last, first)] - cum[group, first]) > 0  # type: ignore[no-any-return]


@dataclass
class Occupancy:
    """What the events placed so far hold at each slot, per family of rules."""

    instance: Instance
    chosen: IntArray  # per event
    rest: IntArray  # per participant, slots of rest after an event
    person: IntArray  # participant x slot: events covering it (rest included)
    pool: IntArray  # pool x slot: events holding one of its rooms
    running: IntArray  # per slot: events running, an exclusive one weighing ``big``
    exclusive_slots: BoolArray  # slots an exclusive placement covers (where the exclusive rows are)
    big: int
    escort: IntArray  # zone x slot: events with a vvip
    escort_cap: IntArray
    resource: IntArray  # resource x slot: units in use
    capacity: IntArray
    uses: list[list[tuple[int, int]]]  # per event: (resource, amount)
    daily: IntArray  # participant x day: events
    limit: IntArray  # per participant (NO_LIMIT: none)
    ends: IntArray  # participant x zone x slot (+1): events ending there (only with travel times)
    starts: IntArray  # participant x zone x slot: events starting there
    person_time: IntArray  # per participant: event slots held, and what they are available
    person_free: IntArray
    pool_time: IntArray  # per pool: event slots held, and the room slots open
    pool_open: IntArray

    @classmethod
    def of(cls, instance: Instance) -> Occupancy:
        from solver.model.constraints import person_free_slots, rest_slots

        grid, scenario = instance.grid, instance.scenario
        n_slots, n_people, n_zones = grid.n_slots, len(scenario.participants), len(instance.zone_ids)
        exclusive_slots = np.zeros(n_slots + 1, dtype=np.int64)
        excl = np.flatnonzero(instance.exclusive[instance.item_event])
        np.add.at(exclusive_slots, instance.item_start[excl], 1)
        np.add.at(exclusive_slots, instance.item_end[excl], -1)
        escort_cap = np.full(n_zones, NO_LIMIT, dtype=np.int64)
        security = scenario.security
        for zone, cap in ((security.max_vvip_events_per_zone or {}) if security is not None else {}).items():
            escort_cap[instance.zone_ids.index(zone)] = cap
        resources = {r.id: i for i, r in enumerate(scenario.resources)}
        travel = bool(instance.travel_slots.any())
        return cls(
            instance, np.full(len(instance.events), -1, dtype=np.int64), rest_slots(instance),
            np.zeros((n_people, n_slots), dtype=np.int64), np.zeros((len(instance.pools), n_slots), dtype=np.int64),
            np.zeros(n_slots, dtype=np.int64), np.cumsum(exclusive_slots)[:-1] > 0, max(len(instance.rooms), 1),
            np.zeros((n_zones, n_slots), dtype=np.int64), escort_cap,
            np.zeros((len(resources), n_slots), dtype=np.int64),
            np.asarray([r.capacity for r in scenario.resources], dtype=np.int64),
            [[(resources[r], int(a)) for r, a in event.uses.items()] for event in instance.events],
            np.zeros((n_people, len(grid.day_starts)), dtype=np.int64),
            np.asarray([NO_LIMIT if p.max_events_per_day is None else p.max_events_per_day
                        for p in scenario.participants], dtype=np.int64),
            np.zeros((n_people if travel else 0, n_zones, n_slots + 1), dtype=np.int64),
            np.zeros((n_people if travel else 0, n_zones, n_slots + 1), dtype=np.int64),
            np.zeros(n_people, dtype=np.int64), person_free_slots(instance),
            np.zeros(len(instance.pools), dtype=np.int64),
            np.asarray([int(pool.rooms_open.sum()) for pool in instance.pools], dtype=np.int64))

    def blocked(self, event: int, items: IntArray) -> BoolArray:
        """Per candidate placement of ``event``: would placing it break a rule, given what is placed?"""
        instance = self.instance
        start, end, length = instance.item_start[items], instance.item_end[items], instance.item_length[items]
        pools = instance.item_pool[items]
        out = _window_hits(self.pool >= instance.pool_size[:, None], pools, instance.item_room_from[items], end)
        out |= self.pool_time[pools] + length > self.pool_open[pools]
        for before in instance.predecessors[event]:
            out |= True if self.chosen[before] < 0 else start < instance.item_end[self.chosen[before]]
        people = instance.event_participants[event].astype(np.int64)
        if people.size:
            out |= self._people_blocked(people, items, start, end, length)
        if self.exclusive_slots.any():
            weight = self.big if instance.exclusive[event] else 1
            out |= _window_hits((self.exclusive_slots & (self.running + weight > self.big))[None, :],
                                np.zeros(items.size, dtype=np.int64), start, end)
        if instance.has_vvip[event]:
            out |= _window_hits(self.escort >= self.escort_cap[:, None], instance.item_zone[items], start, end)
        for resource, amount in self.uses[event]:
            out |= _window_hits((self.resource[resource] + amount > self.capacity[resource])[None, :],
                                np.zeros(items.size, dtype=np.int64), start, end)
        return out  # type: ignore[no-any-return]

    def _people_blocked(self, people: IntArray, items: IntArray, start: IntArray, end: IntArray,
                        length: IntArray) -> BoolArray:
        """The participants' rules: one event at a time with rest, travel, daily limits, time budgets."""
        grid = self.instance.grid
        last = np.minimum(end[None, :] + self.rest[people][:, None], grid.day_end_slot[start][None, :])
        row = np.arange(people.size)[:, None]
        out = _window_hits(self.person[people] >= 1, row, start[None, :], last).any(axis=0)
        out |= (self.daily[people[:, None], grid.slot_day[start][None, :]] + 1 > self.limit[people][:, None]).any(0)
        out |= (self.person_time[people][:, None] + length[None, :] > self.person_free[people][:, None]).any(0)
        if self.ends.shape[0]:
            out |= self._travel_blocked(people, items, start, end)
        return out  # type: ignore[no-any-return,return-value]

    def _travel_blocked(self, people: IntArray, items: IntArray, start: IntArray, end: IntArray) -> BoolArray:
        """H8's journeys: no event of the participant in zone a ends within rest + travel(a, b) before this one
        (in zone b) starts, nor starts within rest + travel(b, c) after it ends, the same day."""
        instance, grid = self.instance, self.instance.grid
        travel, zone = instance.travel_slots, instance.item_zone[items]
        day_start = grid.day_offset[grid.slot_day[start]]
        day_end = grid.day_end_slot[np.maximum(end - 1, 0)]
        out = np.zeros(items.size, dtype=bool)
        for other in range(travel.shape[0]):
            back, ahead = travel[other, zone], travel[zone, other]  # journeys from the other zone, and to it
            for person in people.tolist():
                rest = int(self.rest[person])
                if back.any() and self.ends[person, other].any():
                    first = np.maximum(start - (rest + back) + 1, day_start + 1)
                    hit = _window_hits(self.ends[person, other][None, :] > 0, np.zeros(items.size, dtype=np.int64),
                                       first, start + 1)
                    out |= hit & (back > 0) & (zone != other)
                if ahead.any() and self.starts[person, other].any():
                    last = np.minimum(end + rest + ahead, day_end)
                    hit = _window_hits(self.starts[person, other][None, :] > 0, np.zeros(items.size, dtype=np.int64),
                                       end, last)
                    out |= hit & (ahead > 0) & (zone != other)
        return out

    def place(self, event: int, item: int) -> None:
        """Hold what placement ``item`` of ``event`` holds."""
        self.chosen[event] = item
        self._hold(event, item, 1)

    def remove(self, event: int) -> None:
        """Give back what the placed ``event`` holds (the exact inverse of :meth:`place`: the local search's moves,
        :mod:`solver.model.moves`, take events out and put them back)."""
        item = int(self.chosen[event])
        self.chosen[event] = -1
        self._hold(event, item, -1)

    def _hold(self, event: int, item: int, sign: int) -> None:
        instance, grid = self.instance, self.instance.grid
        start, end = int(instance.item_start[item]), int(instance.item_end[item])
        length, pool = int(instance.item_length[item]), int(instance.item_pool[item])
        zone = int(instance.item_zone[item])
        self.pool[pool, int(instance.item_room_from[item]):end] += sign
        self.pool_time[pool] += sign * length
        self.running[start:end] += sign * (self.big if instance.exclusive[event] else 1)
        if instance.has_vvip[event]:
            self.escort[zone, start:end] += sign
        for resource, amount in self.uses[event]:
            self.resource[resource, start:end] += sign * amount
        day_end = int(grid.day_end_slot[start])
        for person in instance.event_participants[event].tolist():
            self.person[person, start:min(end + int(self.rest[person]), day_end)] += sign
            self.daily[person, int(grid.slot_day[start])] += sign
            self.person_time[person] += sign * length
            if self.ends.shape[0]:
                self.ends[person, zone, end] += sign
                self.starts[person, zone, start] += sign
