"""The hard rules of the contract as rows over placements, one function per family.

Rules that concern one event alone (H2 day hours and grid, H3 room fit, H4 room
closures, H5 availability, H6 windows and pins) are enforced when the compiler generates
the placements: a placement that breaks them does not exist. The functions below enforce
the rules that tie several events together. ``ALL_FAMILIES`` lists them in order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from solver.compile import Instance
from solver.model.rows import IntArray, Rows, concat_ranges, slot_rows
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
    event_first, flat = instance.event_people  # every event's people, one after another
    if not instance.n_items or not flat.size:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    first = event_first[:-1]
    counts = np.diff(event_first)[instance.item_event]
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


# entries (placement, participant) whose travel rows are found at once, whole participants at a time: a round's rows
# (13,000 entries at 4,000 requests) go at once; a summit's own (750,000 there, in the whole LP's child) all at once
# peaked at 245 MB of memory against 59 MB one participant at a time, 61 MB in runs of 30,000 (0.19 s of CPU, 0.34 s
# one participant at a time)
TRAVEL_ENTRIES_AT_ONCE = 30_000


def participants_have_time_to_travel(instance: Instance) -> Rows:
    """H8: between two events of a participant in different zones (the convention centre and
    the guest house), there is the travel time on top of their rest.

    For each participant and ordered pair of zones (from, to), the time after an event in
    ``from`` (its rest plus the journey) may not overlap an event in ``to``. One group of rows per
    (participant, from, to), in that order, found by one call of ``slot_rows`` per run of participants (one call per
    group took a fifth of a large-neighbourhood round's CPU at 4,000 requests: 13 ms of 60).
    """
    rows = Rows()
    items, people = _participant_entries(instance)
    if not instance.travel_slots.any() or people.size == 0:
        return rows
    order = np.argsort(people, kind="stable")  # each participant's entries together, placements in order within
    items, people = items[order], people[order]
    firsts = np.concatenate([[0], np.flatnonzero(np.diff(people)) + 1])
    cuts = np.unique(firsts[np.searchsorted(firsts, np.arange(0, people.size, TRAVEL_ENTRIES_AT_ONCE), "right") - 1])
    for low, high in zip(cuts.tolist(), [*cuts[1:].tolist(), people.size], strict=True):
        rows.extend(_travel_rows(instance, items[low:high], people[low:high]))
    return rows


def _travel_rows(instance: Instance, items: IntArray, people: IntArray) -> Rows:
    """The travel rows of these participants' entries (sorted by participant)."""
    groups = _travel_groups(instance, people, instance.item_zone[items])
    if groups.entry.size == 0:
        return Rows()
    entry_items = items[groups.entry]
    first, last, coef, upper = _travel_spans(instance, entry_items, groups)
    return slot_rows(entry_items, groups.group, first, last, coef, upper, instance.grid.n_slots, "travel_time")


@dataclass
class _TravelGroups:
    """The entries of the travel rows' groups (participant, from, to): ``entry`` indexes the participant's entries
    (leaving ones, those in ``from``, first, then arriving ones), ``group`` numbers their group in the order of the
    rows, ``leaving`` says which side, ``gap`` is each group's rest plus journey."""

    entry: IntArray
    group: IntArray
    leaving: npt.NDArray[np.bool_]
    gap: IntArray


def _travel_groups(instance: Instance, people: IntArray, zone: IntArray) -> _TravelGroups:
    """The groups of the travel rows over these entries (sorted by participant): each participant with events in
    two zones the journey between takes time, each ordered pair of those zones."""
    n_zones = len(instance.zone_ids)
    n_people = len(instance.scenario.participants)
    present = np.zeros((n_people, n_zones), dtype=bool)
    present[people, zone] = True
    rest = rest_slots(instance)
    keys, entries, leaving, gaps = [], [], [], []
    for z_from in range(n_zones):
        for z_to in range(n_zones):
            hop = int(instance.travel_slots[z_from, z_to])
            if z_from == z_to or hop == 0:
                continue
            both = present[:, z_from] & present[:, z_to]
            for side, z in ((True, z_from), (False, z_to)):
                mine = np.flatnonzero((zone == z) & both[people])
                entries.append(mine)
                leaving.append(np.full(mine.size, side))
                keys.append(((people[mine] * n_zones + z_from) * n_zones + z_to) * 2 + (not side))
                gaps.append(rest[people[mine]] + hop)
    key = np.concatenate(keys) if keys else np.zeros(0, dtype=np.int64)
    if key.size == 0:  # (no participant with events in two zones a journey apart)
        empty = np.zeros(0, dtype=np.int64)
        return _TravelGroups(empty, empty, np.zeros(0, dtype=bool), empty)
    order = np.lexsort((np.concatenate(entries), key))  # group by group, leaving then arriving, entries in order
    key = key[order]
    group = np.cumsum(np.concatenate([[False], np.diff(key // 2) > 0]))
    gap = np.zeros(int(group[-1]) + 1, dtype=np.int64)
    gap[group] = np.concatenate(gaps)[order]
    return _TravelGroups(np.concatenate(entries)[order], group, np.concatenate(leaving)[order], gap)


def _travel_spans(instance: Instance, items: IntArray, groups: _TravelGroups,
                  ) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """(first slot, last slot, weight of each entry, each group's bound) of the travel rows.

    In a group whose leaving events all last at least the gap, tails of two of them cannot overlap, so one
    at-most-one row per slot over the leaving events' tails (their rest and journey) and the arriving events' bodies
    is exact. Otherwise (short events): while the participant is in zone ``from`` at slot t, no event in ``to`` may
    touch (t, t + gap]; at most ``gap`` events fit in that window, hence the weight and the bound."""
    end, start, leaving = instance.item_end[items], instance.item_start[items], groups.leaving
    gap = groups.gap[groups.group]
    too_short = np.bincount(groups.group, weights=leaving & (instance.item_length[items] < gap),
                            minlength=groups.gap.size) > 0
    short = too_short[groups.group]
    tail_last = np.minimum(end + gap, _day_end(instance, np.maximum(end - 1, 0)))
    long_first = np.where(leaving, end, start)
    long_last = np.where(leaving, tail_last, end)
    short_first = np.where(leaving, start, np.maximum(start - gap, _day_start(instance, start)))
    short_last = np.where(leaving, end, end - 1)
    coef = np.where(short & leaving, gap, 1).astype(np.int64)
    upper = np.where(too_short, groups.gap, 1).astype(np.int64)
    return np.where(short, short_first, long_first), np.where(short, short_last, long_last), coef, upper


def daily_event_limits(instance: Instance) -> Rows:
    """H9: a participant attends at most ``max_events_per_day`` events on any day."""
    limits = [p.max_events_per_day for p in instance.scenario.participants]
    if all(limit is None for limit in limits):
        return Rows()
    items, people = _participant_entries(instance)
    n_days = len(instance.grid.day_starts)
    key = people * n_days + instance.grid.slot_day[instance.item_start[items]]  # one group per (participant, day)
    del people
    limit = np.asarray([-1 if lim is None else lim for lim in limits], dtype=np.int64).repeat(n_days)
    over = np.flatnonzero((limit >= 0) & (_distinct_events(instance, key, items, limit.size) > limit))
    return _group_rows(items, None, key, over, limit[over], "daily_event_limit")


def _distinct_events(instance: Instance, group: IntArray, items: IntArray, n_groups: int) -> IntArray:
    """Per group, how many events its placements (``items``, each in ``group``) belong to."""
    n_events = len(instance.events)
    pairs = np.unique(group * n_events + instance.item_event[items])
    return np.bincount(pairs // n_events, minlength=n_groups)


def _group_rows(items: IntArray, weight: IntArray | None, group: IntArray, chosen: IntArray, upper: IntArray,
                family: str) -> Rows:
    """One row per ``chosen`` group (ascending) over its entries (``items``, each in ``group``), in their order,
    each placement weighted by ``weight`` (None: 1), capped by ``upper``."""
    rows = Rows()
    order = np.argsort(group, kind="stable")
    sizes = np.bincount(group, minlength=int(chosen.max()) + 1 if chosen.size else 0)
    first = np.concatenate([[0], np.cumsum(sizes)])[chosen]
    members = items[order[concat_ranges(first, sizes[chosen])]]
    rows.add_run(members, np.ones(members.size, dtype=np.int64) if weight is None else weight[members],
                 np.concatenate([[0], np.cumsum(sizes[chosen])]), upper, family)
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
    duration = instance.item_length
    items, people = _participant_entries(instance)
    free_slots = person_free_slots(instance)
    n_events = len(instance.events)
    pairs = np.unique(people * n_events + instance.item_event[items])  # each participant's events, once each
    need = np.bincount(pairs // n_events, weights=instance.duration[pairs % n_events], minlength=free_slots.size)
    del pairs
    over = np.flatnonzero(need > free_slots)
    rows = _group_rows(items, duration, people, over, free_slots[over], "time_budget")
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
