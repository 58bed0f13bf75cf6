"""The hard rules of the contract as rows over placements, one function per family.

Rules that concern one event alone (H2 day hours and grid, H3 room fit, H4 room
closures, H5 availability, H6 windows and pins) are enforced when the compiler generates
the placements: a placement that breaks them does not exist. The functions below enforce
the rules that tie several events together. ``ALL_FAMILIES`` lists them in order.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from solver.compile import Instance
from solver.model.rows import IntArray, Rows, slot_rows
from solver.model.waive import after_waived, waive


def _day_start(instance: Instance, slots: IntArray) -> IntArray:
    grid = instance.grid
    return grid.day_offset[grid.slot_day[slots]]


def _day_end(instance: Instance, slots: IntArray) -> IntArray:
    return instance.grid.day_end_slot[slots]


def rooms_hold_one_event_at_a_time(instance: Instance) -> Rows:
    """H7 (and H4): a room hosts one event at a time, and before each event it needs its
    changeover time, or the security sweep when a vvip attends, with nothing else in it.

    Identical rooms are pooled: at every slot, the events held in a pool (counting the
    changeover or sweep before each) are at most the number of its rooms.
    """
    return slot_rows(
        np.arange(instance.n_items), instance.item_pool, instance.item_room_from, instance.item_end,
        np.ones(instance.n_items, dtype=np.int64), instance.pool_size, instance.grid.n_slots,
        "room_one_event_at_a_time",
    )


def _participant_entries(instance: Instance) -> tuple[IntArray, IntArray]:
    """(placement, participant) pairs: each placement once per participant of its event."""
    sizes = np.asarray([p.size for p in instance.event_participants], dtype=np.int64)  # per event
    if not instance.n_items or not sizes.sum():
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    flat = np.concatenate(instance.event_participants).astype(np.int64)  # every event's people, one after another
    first = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    counts = sizes[instance.item_event]
    items = np.repeat(np.arange(instance.n_items), counts)
    # entry k of placement i is participant k of its event (vectorised: 1.38M placements on the UN week)
    offset = np.arange(items.size) - np.repeat(np.cumsum(counts) - counts, counts)
    return items, flat[first[instance.item_event][items] + offset]


def rest_slots(instance: Instance) -> IntArray:
    """Per participant, the slots of rest they need after an event (``min_break_minutes``)."""
    return np.asarray([instance.grid.slots_for(p.min_break_minutes) for p in instance.scenario.participants],
                      dtype=np.int64)


def person_free_slots(instance: Instance) -> IntArray:
    """Per participant, the slots they are available (every slot without ``available``), and those a running event
    keeps them past it (its overrun: ``Instance.availability_waived``)."""
    grid = instance.grid
    free = np.asarray([grid.n_slots if p.available is None else
                       int(sum(grid.slots_inside(w.start, w.end).sum() for w in p.available or []))
                       for p in instance.scenario.participants], dtype=np.int64)
    for kept in instance.availability_waived.values():
        for person, _, slots in kept:
            free[person] = min(free[person] + slots, grid.n_slots)
    return free


def participants_attend_one_event_at_a_time(instance: Instance) -> Rows:
    """H8: a participant is in one event at a time, and rests at least their
    ``min_break_minutes`` between two of their events on the same day."""
    items, people = _participant_entries(instance)
    rest = rest_slots(instance)
    start = instance.item_start[items]
    last = np.minimum(instance.item_end[items] + rest[people] if people.size else start,
                      _day_end(instance, start))
    n_people = len(instance.scenario.participants)
    return slot_rows(items, people, start, last, np.ones(items.size, dtype=np.int64),
                     np.ones(n_people, dtype=np.int64), instance.grid.n_slots, "participant_one_event_at_a_time")


def participants_have_time_to_travel(instance: Instance) -> Rows:
    """H8: between two events of a participant in different zones (the convention centre and
    the guest house), there is the travel time on top of their rest.

    For each participant and ordered pair of zones (from, to), the time after an event in
    ``from`` (its rest plus the journey) may not overlap an event in ``to``.
    """
    rows = Rows()
    travel = instance.travel_slots
    if not travel.any():
        return rows
    items, people = _participant_entries(instance)
    zone = instance.item_zone[items]
    rest = rest_slots(instance)
    n_zones = len(instance.zone_ids)
    n_slots = instance.grid.n_slots
    order = np.argsort(people, kind="stable")
    bounds = np.searchsorted(people[order], np.arange(len(instance.scenario.participants) + 1))
    for person in range(len(instance.scenario.participants)):
        mine = order[bounds[person]: bounds[person + 1]]
        if mine.size == 0:
            continue
        my_items, my_zones = items[mine], zone[mine]
        present = np.unique(my_zones)
        if present.size < 2:
            continue
        for z_from in present:
            for z_to in present:
                hop = int(travel[z_from, z_to])
                if z_from == z_to or hop == 0:
                    continue
                rows.extend(_travel_rows(instance, my_items[my_zones == z_from], my_items[my_zones == z_to],
                                         int(rest[person]) + hop, n_zones, n_slots))
    return rows


def _travel_rows(instance: Instance, leaving: IntArray, arriving: IntArray, gap: int, n_zones: int,
                 n_slots: int) -> Rows:
    end = instance.item_end
    tail_first = end[leaving]
    tail_last = np.minimum(end[leaving] + gap, _day_end(instance, np.maximum(end[leaving] - 1, 0)))
    body_first = instance.item_start[arriving]
    body_last = end[arriving]
    if (instance.item_length[leaving] >= gap).all():
        # Tails of two events in the same zone cannot overlap when every event lasts at least the
        # gap, so one at-most-one row per slot over tails and arriving bodies is exact.
        entries = np.concatenate([leaving, arriving])
        return slot_rows(entries, np.zeros(entries.size, dtype=np.int64),
                         np.concatenate([tail_first, body_first]), np.concatenate([tail_last, body_last]),
                         np.ones(entries.size, dtype=np.int64), np.ones(1, dtype=np.int64), n_slots, "travel_time")
    # Short events: while the participant is in zone ``from`` at slot t, no event in ``to`` may
    # touch (t, t + gap]. At most ``gap`` events fit in that window, hence the weight.
    body_first_leaving = instance.item_start[leaving]
    window_first = body_first - gap
    window_last = body_last  # an arriving body touching (t, t + gap] means t in [first - gap, last - 1]
    entries = np.concatenate([leaving, arriving])
    weights = np.concatenate([np.full(leaving.size, gap), np.ones(arriving.size)]).astype(np.int64)
    first = np.concatenate([body_first_leaving, np.maximum(window_first, _day_start(instance, body_first))])
    last = np.concatenate([end[leaving], window_last - 1])
    return slot_rows(entries, np.zeros(entries.size, dtype=np.int64), first, last, weights,
                     np.full(1, gap, dtype=np.int64), n_slots, "travel_time")


def daily_event_limits(instance: Instance) -> Rows:
    """H9: a participant attends at most ``max_events_per_day`` events on any day."""
    rows = Rows()
    limits = [p.max_events_per_day for p in instance.scenario.participants]
    if all(limit is None for limit in limits):
        return rows
    items, people = _participant_entries(instance)
    day = instance.grid.slot_day[instance.item_start[items]]
    n_days = len(instance.grid.day_starts)
    key = people * n_days + day  # one group per (participant, day), in that order; placements in order within
    order = np.argsort(key, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(key, minlength=len(limits) * n_days))])
    for group in np.flatnonzero(bounds[1:] > bounds[:-1]):
        limit = limits[group // n_days]
        if limit is None:
            continue
        chosen = items[order[bounds[group]:bounds[group + 1]]]
        if np.unique(instance.item_event[chosen]).size > limit:
            rows.add(chosen, np.ones(chosen.size, dtype=np.int64), limit, "daily_event_limit")
    return rows


def events_follow_their_predecessors(instance: Instance) -> Rows:
    """H10: an event listed in ``after`` ends before this one starts; if it is not
    scheduled, this one is not either.

    For every possible start t of the event: started by t implies its predecessor ended by t.
    """
    rows = Rows()
    end = instance.item_end
    for event, before in enumerate(instance.predecessors):
        mine = instance.event_items[event]
        if mine.size == 0:
            continue
        my_starts = instance.item_start[mine]
        for predecessor in before:
            if after_waived(instance, event, predecessor):
                continue  # (a fact ran into a follower that cannot move: solver.model.waive)
            theirs = instance.event_items[predecessor]
            their_ends = end[theirs]
            for t in np.unique(my_starts):
                started = mine[my_starts <= t]
                finished = theirs[their_ends <= t]
                members = np.concatenate([started, finished]).astype(np.int64)
                coefs = np.concatenate([np.ones(started.size), -np.ones(finished.size)]).astype(np.int64)
                rows.add(members, coefs, 0, "after")
    return rows


def exclusive_events_stand_alone(instance: Instance) -> Rows:
    """H11: nothing else in the summit runs while an exclusive event (an opening or a
    signing ceremony) runs.

    At each slot: (events running) + M * (exclusive events running) <= M, where M is the
    number of rooms, the most events that can ever run at once.
    """
    exclusive = instance.exclusive[instance.item_event]
    if not exclusive.any():
        return Rows()
    big = max(len(instance.rooms), 1)
    # Only the slots an exclusive placement covers keep a row: placements that run at none of them would only
    # be expanded slot by slot to be dropped (2.3M placements on a three-venue UN week: 400 MB at once)
    starts = np.bincount(instance.item_start[exclusive], minlength=instance.grid.n_slots + 1)
    ends = np.bincount(instance.item_end[exclusive], minlength=instance.grid.n_slots + 1)
    covered = np.concatenate([[0], np.cumsum(np.cumsum(starts - ends)[:-1] > 0)])
    near = np.flatnonzero(covered[instance.item_end] > covered[instance.item_start])
    coefs = np.where(exclusive[near], big, 1).astype(np.int64)
    rows = slot_rows(near, np.zeros(near.size, dtype=np.int64), instance.item_start[near], instance.item_end[near],
                     coefs, np.full(1, big, dtype=np.int64), instance.grid.n_slots, "exclusive")
    # Rows without an exclusive placement only restate that rooms are finite: drop them.
    kept = Rows()
    for items, weights, upper, family in zip(rows.items, rows.coefs, rows.upper, rows.family, strict=True):
        if (weights == big).any():
            kept.add(items, weights, upper, family)
    return kept


def escort_capacity_per_zone(instance: Instance) -> Rows:
    """H12: at no time do more events with a vvip run in a zone than its escort units allow
    (``security.max_vvip_events_per_zone``)."""
    security = instance.scenario.security
    if security is None or not security.max_vvip_events_per_zone:
        return Rows()
    cap = np.full(len(instance.zone_ids), 10**9, dtype=np.int64)
    for zone, limit in security.max_vvip_events_per_zone.items():
        cap[instance.zone_ids.index(zone)] = limit
    with_vvip = np.flatnonzero(instance.has_vvip[instance.item_event])
    return slot_rows(with_vvip, instance.item_zone[with_vvip], instance.item_start[with_vvip],
                     instance.item_end[with_vvip], np.ones(with_vvip.size, dtype=np.int64), cap,
                     instance.grid.n_slots, "escort_capacity")


def shared_resources_suffice(instance: Instance) -> Rows:
    """H13: at no time do the events running hold more interpreter teams, press pools or
    escort units than there are (``resources[].capacity``)."""
    resources = instance.scenario.resources
    if not resources:
        return Rows()
    index = {r.id: i for i, r in enumerate(resources)}
    entry_item, entry_group, entry_coef = [], [], []
    for item_group in instance.event_items:
        if item_group.size == 0:
            continue
        event = instance.events[int(instance.item_event[item_group[0]])]
        for resource, amount in event.uses.items():
            entry_item.append(item_group)
            entry_group.append(np.full(item_group.size, index[resource], dtype=np.int64))
            entry_coef.append(np.full(item_group.size, amount, dtype=np.int64))
    if not entry_item:
        return Rows()
    items = np.concatenate(entry_item)
    capacity = np.asarray([r.capacity for r in resources], dtype=np.int64)
    return slot_rows(items, np.concatenate(entry_group), instance.item_start[items], instance.item_end[items],
                     np.concatenate(entry_coef), capacity, instance.grid.n_slots, "resource_capacity")


def time_budgets(instance: Instance) -> Rows:
    """Redundant, to prove better bounds: a participant cannot spend more time in events than
    they are available, and a pool of rooms cannot host more event time than it is open.

    Implied by the per-slot rules above; stated in aggregate so that the LP relaxation sees
    that an over-subscribed leader or room pool cannot take every request.
    """
    rows = Rows()
    duration = instance.item_length
    items, people = _participant_entries(instance)
    order = np.argsort(people, kind="stable")
    bounds = np.searchsorted(people[order], np.arange(len(instance.scenario.participants) + 1))
    free_slots = person_free_slots(instance)
    for person in range(free_slots.size):
        mine = items[order[bounds[person]: bounds[person + 1]]]
        if mine.size == 0:
            continue
        free = int(free_slots[person])
        events = np.unique(instance.item_event[mine])
        if int(instance.duration[events].sum()) > free:
            rows.add(mine, duration[mine], free, "time_budget")
    for pool in instance.pools:
        mine = np.flatnonzero(instance.item_pool == pool.index)
        events = np.unique(instance.item_event[mine])
        open_slots = int(pool.rooms_open.sum())
        if int(instance.duration[events].sum()) > open_slots:
            rows.add(mine, duration[mine], open_slots, "time_budget")
    return rows


Family = Callable[[Instance], Rows]

ALL_FAMILIES: tuple[Family, ...] = (
    rooms_hold_one_event_at_a_time,
    participants_attend_one_event_at_a_time,
    participants_have_time_to_travel,
    daily_event_limits,
    events_follow_their_predecessors,
    exclusive_events_stand_alone,
    escort_capacity_per_zone,
    shared_resources_suffice,
    time_budgets,
)


def all_rows(instance: Instance, families: tuple[Family, ...] = ALL_FAMILIES, waived: bool = True) -> Rows:
    """The rows of these families; after a report, without what a fact's overrun into events that cannot move
    waives (:mod:`solver.model.waive`; ``waived=False``: every row as stated)."""
    rows = Rows()
    for family in families:
        rows.extend(family(instance))
    return waive(instance, rows)[0] if waived else rows
