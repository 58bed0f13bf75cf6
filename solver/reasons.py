"""Why an event is not in the timetable, in a planner's words.

Events ruled out before solving keep their pre-check reason. For an optional event the
solver left out, every placement it had is tried against the final timetable: the rules
that block it and the scheduled events that hold the contested time or room are named.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import numpy as np

from solver.compile import Instance
from solver.model.constraints import all_rows
from solver.model.rows import IntArray, RowIndex, Rows
from solver.model.submodel import concat_ranges
from solver.timetable import Unscheduled

_FAMILY_WORDS = {
    "participant_one_event_at_a_time": "its participants are in other meetings (with their rest time)",
    "travel_time": "its participants would not have time to travel between zones",
    "room_one_event_at_a_time": "every suitable room is taken (changeover and security sweeps included)",
    "exclusive": "an exclusive ceremony is running",
    "escort_capacity": "the zone's escort capacity for vvip events is used up",
    "resource_capacity": "a shared resource (interpreters, press pool, escorts) is fully used",
    "daily_event_limit": "a participant has reached their maximum number of events that day",
    "after": "an event it must follow is not over",
}


_PREFERENCE = ("daily_event_limit", "participant_one_event_at_a_time", "travel_time", "room_one_event_at_a_time",
               "resource_capacity", "escort_capacity", "exclusive", "after", "time_budget")


def unscheduled_reasons(instance: Instance, chosen: IntArray, rows: Rows | None = None,
                        known: dict[int, tuple[str, str]] | None = None) -> dict[int, tuple[str, str]]:
    """(code, reason) for each event without a placement in ``chosen``; ``known`` reasons are kept."""
    reasons: dict[int, tuple[str, str]] = {}
    for check in instance.prechecks:
        reasons.setdefault(check.event, (check.code, check.message))
    for event, reason in (known or {}).items():
        if chosen[event] < 0:
            reasons.setdefault(event, reason)
    missing = [e for e in range(len(instance.events)) if chosen[e] < 0 and e not in reasons]
    if not missing:
        return reasons
    if rows is not None:
        reasons.update(_reasons_on_rows(instance, chosen, rows, missing))
        return reasons
    # Only the timetable's placements and the left-out events' own can block or be blocked: the rows over those
    # alone say the same as the whole summit's, and are far quicker to build. On a large summit the left-out
    # events go a batch at a time (a UN week leaves 3,500 requests out: 940k placements, 1.6 GB of rows at once).
    batch: list[int] = []
    size = 0
    for e in missing:
        batch.append(e)
        size += instance.event_items[e].size
        if size >= REASONS_BATCH_PLACEMENTS or e == missing[-1]:
            reasons.update(_reasons_restricted(instance, chosen, batch))
            batch, size = [], 0
    return reasons


REASONS_BATCH_PLACEMENTS = 250_000  # left-out events' placements explained together (rows built over them)


def _reasons_restricted(instance: Instance, chosen: IntArray, missing: list[int]) -> dict[int, tuple[str, str]]:
    """The reasons of ``missing`` on the rows over the timetable's placements and theirs alone."""
    keep = np.zeros(instance.n_items, dtype=bool)
    keep[chosen[chosen >= 0]] = True
    for e in missing:
        keep[instance.event_items[e]] = True
    position = np.cumsum(keep) - 1
    chosen = np.where(chosen >= 0, position[np.maximum(chosen, 0)], -1)
    instance = instance.restricted(keep)
    return _reasons_on_rows(instance, chosen, all_rows(instance), missing)


def _reasons_on_rows(instance: Instance, chosen: IntArray, rows: Rows,
                     missing: list[int]) -> dict[int, tuple[str, str]]:
    index = RowIndex.of(rows, instance.n_items)
    placed = chosen[chosen >= 0]
    load = index.load_of(placed)
    # For each row, the scheduled events in it (by row, then event): they are what blocks a placement there.
    counts = index.item_bounds[placed + 1] - index.item_bounds[placed]
    entries = concat_ranges(index.item_bounds[placed], counts)
    in_row, of_event = index.entry_row[entries], np.repeat(instance.item_event[placed], counts)
    order = np.lexsort((of_event, in_row))
    placed_in_row = (in_row[order], of_event[order])
    names, codes = np.unique(np.asarray(rows.family, dtype=object), return_inverse=True)
    family = (names, codes.astype(np.int64))
    scene = _Scene(instance, chosen)
    return {e: _why_left_out(instance, e, chosen, family, index, load, placed_in_row, scene) for e in missing}


def _why_left_out(instance: Instance, event: int, chosen: IntArray, row_family: tuple[np.ndarray, IntArray],
                  index: RowIndex, load: IntArray, placed_in_row: tuple[IntArray, IntArray],
                  scene: _Scene) -> tuple[str, str]:
    ids = instance.events
    unscheduled_before = [ids[b].id for b in instance.predecessors[event] if chosen[b] < 0]
    if unscheduled_before:
        return ("predecessor_unscheduled",
                f"not scheduled: it must follow {', '.join(unscheduled_before)}, which is not scheduled")
    if instance.priority[event] == 0 and not instance.required[event]:
        return ("no_value", "not selected: its priority is 0, so placing it adds nothing")
    items = instance.event_items[event]
    first, last = index.item_bounds[items], index.item_bounds[items + 1]
    counts = last - first
    entries = np.repeat(first - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts) + np.arange(counts.sum())
    rows = index.entry_row[entries]
    broken = load[rows] + index.entry_coef[entries] > index.upper[rows]
    owner = np.repeat(np.arange(items.size), counts)
    blocked = np.bincount(owner[broken], minlength=items.size) > 0
    if not blocked.all() and not instance.required[event]:
        free = int(items[np.flatnonzero(~blocked)[0]])
        return ("not_reached", "not selected: the search stopped before placing it, although it fits at "
                f"{instance.grid.label(int(instance.item_start[free]))}; a longer solve may include it")
    # Rank the rules by how many of the event's placements each one blocks, and keep, per rule, the scheduled
    # events whose rows block it: they are the ones holding the time.
    codes = row_family[1]
    pairs = np.unique(codes[rows[broken]] * items.size + owner[broken])  # (rule, placement) blocked, each once
    found, per_rule = np.unique(pairs // items.size, return_counts=True)
    families: Counter[str] = Counter({str(row_family[0][f]): int(n) for f, n in zip(found.tolist(), per_rule.tolist(),
                                                                           strict=True)})
    # Most placements blocked first; on a tie, the rule a planner acts on first (a set's order would vary).
    ranked = sorted(families.items(), key=lambda f: (-f[1], _PREFERENCE.index(f[0]) if f[0] in _PREFERENCE
                                                      else len(_PREFERENCE), f[0]))[:2]
    if not ranked:  # a required event the timetable left out although a placement is free (a stopped search)
        return ("not_reached", "not scheduled: the search stopped before placing it")
    if ranked[0][1] == items.size:  # one rule alone blocks every placement: it is the reason
        ranked = ranked[:1]
    holders = _holders(event, rows[broken], row_family, placed_in_row, {name for name, _ in ranked})
    parts = [scene.sentence(name, event, holders.get(name, Counter())) for name, _ in ranked]
    return ("not_selected", "not selected: at every possible time " + "; or ".join(parts))


def _holders(event: int, broken: IntArray, row_family: tuple[np.ndarray, IntArray],
             placed_in_row: tuple[IntArray, IntArray], said: set[str]) -> dict[str, Counter[int]]:
    """Per rule ``said``, the scheduled events (other than ``event``) in its ``broken`` rows (one entry per placement
    of the event a row blocks), each weighed by the entries of those rows, in the order first met (by row, then
    event)."""
    names, codes = row_family
    broken_rows, per_row = np.unique(broken, return_counts=True)
    row_of, event_of = placed_in_row
    low, high = np.searchsorted(row_of, broken_rows, "left"), np.searchsorted(row_of, broken_rows, "right")
    picked = concat_ranges(low, high - low)
    others, weights = event_of[picked], np.repeat(per_row, high - low)
    rule = np.repeat(codes[broken_rows], high - low)
    holders: dict[str, Counter[int]] = {}
    for code in dict.fromkeys(codes[broken_rows].tolist()):  # the rules in the order their rows come
        if str(names[code]) not in said:
            continue
        mine = (rule == code) & (others != event)
        found, first, inverse = np.unique(others[mine], return_index=True, return_inverse=True)
        total = np.bincount(inverse, weights=weights[mine], minlength=found.size).astype(np.int64)
        met = np.argsort(first, kind="stable")
        holders[str(names[code])] = Counter(dict(zip(found[met].tolist(), total[met].tolist(), strict=True)))
    return holders


class _Scene:
    """The final timetable as a planner names it: people, events with their times, rooms, resources."""

    def __init__(self, instance: Instance, chosen: IntArray) -> None:
        self.instance = instance
        self.chosen = chosen
        scenario = instance.scenario
        self.people = {p.id: p for p in scenario.participants}
        self.resources = {r.id: r for r in scenario.resources}
        self.by_day: dict[tuple[str, int], list[int]] | None = None
        self.person_events: dict[str, set[int]] = defaultdict(set)
        for e, event in enumerate(instance.events):
            for pid in event.participants:
                self.person_events[pid].add(e)

    def person(self, pid: str) -> str:
        person = self.people.get(pid)
        return f"{person.name} ({pid})" if person is not None and person.name else pid

    def placed(self, event: int, room: bool = False) -> str:
        """``bil-0012 10:00-10:30 25 Oct`` (and its room): an event with when (and where) it is."""
        instance = self.instance
        item = int(self.chosen[event])
        start = instance.grid.time_of(int(instance.item_start[item]))
        end = start + timedelta(minutes=instance.grid.slot_minutes * int(instance.duration[event]))
        where = ""
        if room:
            rooms = instance.pools[int(instance.item_pool[item])].rooms
            where = " in " + (instance.rooms[rooms[0]].id if len(rooms) == 1 else "one of " + "/".join(
                instance.rooms[r].id for r in rooms[:3]))
        value = "" if instance.required[event] else f" (priority {int(instance.priority[event])})"
        return f"{instance.events[event].id} {start:%H:%M}-{end:%H:%M} {start:%d %b}{where}{value}"

    def listing(self, events: list[int], limit: int = 4, room: bool = False) -> str:
        shown = ", ".join(self.placed(e, room) for e in events[:limit])
        return shown + (f" and {len(events) - limit} more" if len(events) > limit else "")

    def shared(self, event: int, others: list[int]) -> list[str]:
        mine = set(self.instance.events[event].participants)
        held = set(others)
        return sorted(p for p in mine if not self.person_events[p].isdisjoint(held))

    def sentence(self, family: str, event: int, holders: Counter[int]) -> str:
        """One rule that blocks ``event`` everywhere, with the people, the limit and the events it concerns."""
        others = [e for e, _ in holders.most_common()]
        who = ", ".join(self.person(p) for p in self.shared(event, others)) or "its participants"
        if family == "daily_event_limit":
            return self._daily_limit(event)
        if family == "participant_one_event_at_a_time":
            rests = self._rests(event)
            return f"{who} {'is' if ',' not in who else 'are'} in {self.listing(others)}{rests}"
        if family == "travel_time":
            return f"{who} would not have time to travel between zones, from or to {self.listing(others)}"
        if family == "room_one_event_at_a_time":
            return ("every suitable room is taken (changeover and security sweeps included) by "
                    f"{self.listing(others, room=True)}")
        if family == "resource_capacity":
            return f"{self._resources(event)} fully used by {self.listing(others)}"
        if family == "escort_capacity":
            zones = self.instance.scenario.security
            limits = dict(zones.max_vvip_events_per_zone) if zones is not None else {}
            said = ", ".join(f"{z}: {n}" for z, n in sorted(limits.items()))
            return f"the escort capacity for vvip events ({said}) is used by {self.listing(others)}"
        if family == "time_budget":  # the aggregate of the two above: the person's day or the rooms are full
            if self.shared(event, others):
                return f"{who} {'has' if ',' not in who else 'have'} no time left: {self.listing(others)}"
            return f"the suitable rooms have no time left: {self.listing(others, room=True)}"
        if family == "exclusive":
            return f"the exclusive ceremony {self.listing(others)} is running"
        if family == "after":
            before = [self.instance.events[b].id for b in self.instance.predecessors[event]]
            return f"it must follow {', '.join(before)}, which {'is' if len(before) == 1 else 'are'} not over"
        return _FAMILY_WORDS.get(family, family) + (f" ({self.listing(others)})" if others else "")

    def _rests(self, event: int) -> str:
        rests = sorted({(self.people[p].min_break_minutes, p) for p in self.instance.events[event].participants
                        if p in self.people and self.people[p].min_break_minutes})
        return f" (with {rests[-1][0]} minutes' rest for {rests[-1][1]})" if rests else ""

    def _resources(self, event: int) -> str:
        uses = self.instance.events[event].uses
        named = []
        for rid in sorted(uses):
            resource = self.resources.get(rid)
            label = resource.name if resource is not None and resource.name else rid
            capacity = resource.capacity if resource is not None else 0
            named.append(f"{label} ({rid}, capacity {capacity})")
        return (" and ".join(named) + (" is" if len(named) == 1 else " are")) if named else "a shared resource is"

    def _daily_limit(self, event: int) -> str:
        """Each participant of ``event`` whose limit is reached on a day it could happen, with that day's events."""
        instance = self.instance
        days = sorted({int(instance.grid.slot_day[s]) for s in instance.item_start[instance.event_items[event]]})
        said = []
        for pid in instance.events[event].participants:
            limit = self.people[pid].max_events_per_day if pid in self.people else None
            if limit is None:
                continue
            full = []
            for day in days:
                theirs = sorted(self._by_day().get((pid, day), []), key=self._start)
                if len(theirs) >= limit:
                    full.append(f"{instance.grid.day_starts[day]:%d %b} ({self._short(theirs)})")
            if full:
                said.append(f"{self.person(pid)} has reached the limit of {limit} event{'s' * (limit != 1)} a day "
                            f"on " + " and on ".join(full))
        return "; ".join(said) or _FAMILY_WORDS["daily_event_limit"]

    def _by_day(self) -> dict[tuple[str, int], list[int]]:
        """The scheduled events of each (participant, day), in the events' order (built once)."""
        if self.by_day is None:
            instance, self.by_day = self.instance, defaultdict(list)
            for e in np.flatnonzero(self.chosen >= 0).tolist():
                day = int(instance.grid.slot_day[instance.item_start[self.chosen[e]]])
                for pid in instance.events[e].participants:
                    self.by_day[(pid, day)].append(e)
        return self.by_day

    def _short(self, events: list[int], limit: int = 6) -> str:
        """``bil-0002 08:00, opening 09:00, ...``: a day's events by their start."""
        grid = self.instance.grid
        shown = ", ".join(f"{self.instance.events[e].id} {grid.time_of(self._start(e)):%H:%M}" for e in events[:limit])
        return shown + (f" and {len(events) - limit} more" if len(events) > limit else "")

    def _start(self, event: int) -> int:
        return int(self.instance.item_start[self.chosen[event]])


def cause_of(reason: str) -> str:
    """A reason without its listings of events at times and its days: what many requests share."""
    cause = re.sub(r" \([^()]*\d\d:\d\d[^()]*\)", "", reason)
    cause = re.sub(r"(,| and)? on \d{1,2} [A-Z][a-z]{2}\b", "", cause)
    return " ".join(cause.split()).strip(" ,;")


def by_cause(unscheduled: Iterable[Unscheduled]) -> list[tuple[str, list[Unscheduled]]]:
    """The unscheduled requests grouped by what keeps them out (their reason without the events and days it
    lists: "President of Viet Nam (vnm-president) has reached the limit of 12 events a day"), the largest first."""
    groups: dict[str, list[Unscheduled]] = defaultdict(list)
    for item in unscheduled:
        groups[cause_of(item.reason)].append(item)
    return sorted(groups.items(), key=lambda group: (-len(group[1]), group[0]))


def unscheduled_groups(unscheduled: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The timetable document's ``unscheduled`` entries grouped by cause, as the service shows them: for each
    cause (largest group first), how many requests and which (``{"cause", "count", "events"}``)."""
    items = [Unscheduled.model_validate(u) for u in unscheduled]
    return [{"cause": cause, "count": len(group), "events": [u.event for u in group]}
            for cause, group in by_cause(items)]
