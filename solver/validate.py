"""An independent checker of a timetable against its scenario (hard constraints H1-H13).

This module is deliberately independent of the CP-SAT model: it never imports ortools nor
any solver module other than :mod:`solver.scenario` and :mod:`solver.timetable`, and it reads
the rules straight from the two documents (``shared/docs/scenario-format.md``). A bug in the
compiler or the model therefore cannot hide itself by being repeated here.

:func:`validate_timetable` returns one :class:`Violation` per broken rule instance, in a
planner's words (event, participant and room ids, local times), or an empty list for a valid
timetable. Arithmetic on times is done in UTC so that daylight-saving changes cannot distort
durations or gaps; the slot grid and the messages use local time in the scenario's timezone.

Interval conventions: an event occupies ``[start, end)``; two intervals overlap when
``a.start < b.end and b.start < a.end``. Per-room and per-participant rules compare pairs
within one day's sorted list; summit-wide counts (H12, H13) use a sweep line.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from solver.scenario import Event, Participant, Room, Scenario, TimeWindow
from solver.timetable import Timetable

_Report = Callable[[datetime, int, list["_Placed"]], None]
_PAIRWISE = ("H7", "H8", "H10", "H11")  # the rules checked between two events (a waived pair may break them)

__all__ = ["Violation", "objective_of", "validate_timetable"]


@dataclass(frozen=True)
class Violation:
    """One broken rule: ``code`` is ``H1``..``H13`` or a structural code (see module docs)."""

    code: str
    message: str
    events: tuple[str, ...] = ()
    participants: tuple[str, ...] = ()
    rooms: tuple[str, ...] = ()

    def __str__(self) -> str:
        text = " ".join(self.message.split())
        return text if text.startswith(f"{self.code}:") else f"{self.code}: {text}"


def objective_of(scenario: Scenario, timetable: Timetable) -> int:
    """Total priority of the scheduled optional events (each event counted once)."""
    events = {e.id: e for e in scenario.events}
    scheduled = {a.event for a in timetable.assignments if a.event in events}
    return sum(events[e].priority for e in scheduled if not events[e].required)


# --------------------------------------------------------------------------------------
# Internal view of one assignment
# --------------------------------------------------------------------------------------


@dataclass
class _Placed:
    event: Event
    room_id: str
    room: Room | None  # None when the room id is unknown (reported separately)
    start: datetime  # UTC
    end: datetime  # UTC
    local_start: datetime
    local_end: datetime
    day: int | date  # index of the day whose hours contain it, else its local date
    vvip: bool


class _Checker:
    def __init__(self, scenario: Scenario, timetable: Timetable) -> None:
        self.s = scenario
        self.waived: set[str] = set()
        self.shortened: set[str] = set()  # events a re-plan after a report may run shorter (to their minimum)
        self.given_up: set[str] = set()  # required events a report's proposal could not keep (said explicitly)
        # pairs of events that may break a rule together: a running event and one that cannot move (said explicitly)
        self.overlaps: set[frozenset[str]] = set()
        # events a running event's overrun keeps past the end of their people's availability (said explicitly)
        self.kept_past_availability: set[str] = set()
        # events a running event's overrun took past its day's close (said explicitly)
        self.past_close: set[str] = set()
        self.t = timetable
        self.out: list[Violation] = []
        self.events = {e.id: e for e in scenario.events}
        self.rooms = {r.id: r for r in scenario.rooms}
        self.people = {p.id: p for p in scenario.participants}
        self.vvips = {p.id for p in scenario.participants if p.tier == "vvip"}
        self.days = [tuple(b.astimezone(UTC) for b in scenario.day_bounds(d)) for d in scenario.days]
        self.travel: dict[frozenset[str], int] = {}
        for hop in scenario.travel_minutes:  # the last listing of a pair wins
            if hop.from_ != hop.to:
                self.travel[frozenset((hop.from_, hop.to))] = hop.minutes
        self.placed: dict[str, _Placed] = {}

    # -- helpers --------------------------------------------------------------------------
    def add(self, code: str, message: str, events: Iterable[str] = (), participants: Iterable[str] = (),
            rooms: Iterable[str] = ()) -> None:
        events = tuple(events)
        if code in _PAIRWISE and len(set(events)) == 2 and frozenset(events) in self.overlaps:
            return  # (the rule is waived for this pair, said explicitly: ``overlaps_waived``)
        self.out.append(Violation(code, f"{code}: {message}", tuple(events), tuple(participants), tuple(rooms)))

    def when(self, moment: datetime) -> str:
        local = self.s.localise(moment)
        return f"{local:%H:%M} on {local.day} {local:%b}"

    def span(self, start: datetime, end: datetime) -> str:
        """'10:00-10:30 on 25 Oct' (an end at the next midnight shows as 24:00)."""
        a, b = self.s.localise(start), self.s.localise(end)
        if a.date() == b.date():
            return f"{a:%H:%M}-{b:%H:%M} on {a.day} {a:%b}"
        if b.date() == a.date() + timedelta(days=1) and b.hour == b.minute == b.second == b.microsecond == 0:
            return f"{a:%H:%M}-24:00 on {a.day} {a:%b}"
        return f"{self.when(start)} - {self.when(end)}"

    def short_enough(self, event: Event, length: timedelta) -> bool:
        """A shortened event (a re-plan's) lasting whole slots, no less than its minimum and no more than planned."""
        minutes = length / timedelta(minutes=1)
        return (event.id in self.shortened and minutes % self.s.slot_minutes == 0
                and self.s.min_duration(event) <= minutes <= event.duration_minutes)

    def shortest(self, event: Event) -> str:
        """The words for an event a re-plan shortened too far (or that may not be shortened)."""
        if event.id not in self.shortened:
            return ""
        return f" (shortened by a re-plan: on the {self.s.slot_minutes}-minute grid, at least " \
               f"{self.s.min_duration(event)} minutes)"

    def placement(self, p: _Placed) -> str:
        return self.span(p.start, p.end)

    def within_day(self, p: _Placed) -> datetime:
        """The end of the part of ``p`` its day's rules judge (room closures, availability): its end, or its day's
        close for an event told to run past it (``day_close_waived``: after the close the day has no rules)."""
        if p.event.id not in self.past_close or not isinstance(p.day, int):
            return p.end
        return min(p.end, self.days[p.day][1])

    @staticmethod
    def person(p: Participant) -> str:
        return f"{p.name} ({p.id})" if p.name else p.id

    @staticmethod
    def room_name(r: Room) -> str:
        return f"{r.name} ({r.id})" if r.name else r.id

    # -- H2 structure, then the per-event rules -----------------------------------------
    def collect(self) -> None:
        slot = self.s.slot_minutes
        for a in self.t.assignments:
            event = self.events.get(a.event)
            if event is None:
                self.add("unknown_event", f"the timetable places {a.event!r}, which is not an event of the scenario",
                         events=[a.event], rooms=[a.room])
                continue
            if a.event in self.placed:
                self.add("duplicate_assignment",
                         f"{a.event} is assigned more than once (again in {a.room} at "
                         f"{self.when(a.start)}); only the first assignment is checked",
                         events=[a.event], rooms=[a.room])
                continue
            room = self.rooms.get(a.room)
            if room is None:
                self.add("unknown_room", f"{a.event} is placed in {a.room!r}, which is not a room of the scenario",
                         events=[a.event], rooms=[a.room])
            local_start, local_end = self.s.localise(a.start), self.s.localise(a.end)
            start, end = local_start.astimezone(UTC), local_end.astimezone(UTC)
            day: int | date = local_start.date()
            for index, (d_start, d_end) in enumerate(self.days):
                if d_start <= start and (end <= d_end or a.event in self.past_close and start < d_end):
                    day = index  # (the day it starts in, for an event told to run past its close)
                    break
            placed = _Placed(event, a.room, room, start, end, local_start, local_end, day,
                             any(pid in self.vvips for pid in event.participants))
            self.placed[a.event] = placed

            # H2: grid, duration, inside one day.
            minutes = local_start.hour * 60 + local_start.minute
            if local_start.second or local_start.microsecond or minutes % slot:
                self.add("H2", f"{a.event} starts at {self.when(start)}, which is not on the {slot}-minute grid",
                         events=[a.event])
            if end - start != timedelta(minutes=event.duration_minutes) and not self.short_enough(event, end - start):
                got = (end - start) / timedelta(minutes=1)
                self.add("H2", f"{a.event} lasts {got:g} minutes ({self.placement(placed)}) but its duration is "
                               f"{event.duration_minutes} minutes" + self.shortest(event), events=[a.event])
            if not isinstance(day, int):
                self.add("H2", f"{a.event} ({self.placement(placed)}) does not lie inside one day's working hours",
                         events=[a.event])

    def check_event(self, p: _Placed) -> None:
        e, room = p.event, p.room
        eid = e.id
        if room is not None:
            rname = self.room_name(room)
            if room.capacity < e.attendance:
                self.add("H3", f"{eid} needs {e.attendance} seats but {rname} has {room.capacity}",
                         events=[eid], rooms=[room.id])
            missing = sorted(set(e.features) - set(room.features))
            if missing:
                self.add("H3", f"{eid} needs {', '.join(missing)}, which {rname} does not have",
                         events=[eid], rooms=[room.id])
            if e.rooms is not None and room.id not in e.rooms:
                self.add("H3", f"{eid} may only use {', '.join(e.rooms)}, not {rname}", events=[eid], rooms=[room.id])
            level = self.s.vvip_min_room_level
            if p.vvip and room.security_level < level:
                who = [pid for pid in e.participants if pid in self.vvips]
                self.add("H3", f"{eid} has a VVIP ({', '.join(who)}) and needs security level {level}, "
                               f"but {rname} has level {room.security_level}",
                         events=[eid], participants=who, rooms=[room.id])
            # H4: room unavailability.
            for window in room.unavailable:
                w_start, w_end = window.start.astimezone(UTC), window.end.astimezone(UTC)
                if p.start < w_end and w_start < self.within_day(p):
                    why = f" ({window.reason})" if window.reason else ""
                    self.add("H4", f"{rname} is unavailable {self.span(w_start, w_end)}{why} but {eid} is there "
                                   f"{self.placement(p)}", events=[eid], rooms=[room.id])
        self.check_availability(p)
        # H6: time bounds and pins.
        if eid not in self.waived and e.earliest is not None and p.start < e.earliest.astimezone(UTC):
            self.add("H6", f"{eid} starts at {self.when(p.start)}, before its earliest {self.when(e.earliest)}",
                     events=[eid])
        if eid not in self.waived and e.latest_end is not None and p.end > e.latest_end.astimezone(UTC):
            self.add("H6", f"{eid} ends at {self.when(p.end)}, after its latest end {self.when(e.latest_end)}",
                     events=[eid])
        if e.pinned is not None:
            if e.pinned.room is not None and p.room_id != e.pinned.room:
                self.add("H6", f"{eid} is pinned to room {e.pinned.room} but placed in {p.room_id}",
                         events=[eid], rooms=[e.pinned.room, p.room_id])
            if e.pinned.start is not None and p.start != e.pinned.start.astimezone(UTC):
                self.add("H6", f"{eid} is pinned to start at {self.when(e.pinned.start)} but starts at "
                               f"{self.when(p.start)}", events=[eid])
        # H10: predecessors.
        for before in e.after:
            q = self.placed.get(before)
            if q is None:
                self.add("H10", f"{eid} must follow {before}, which is not scheduled", events=[eid, before])
            elif q.end > p.start:
                self.add("H10", f"{eid} starts at {self.when(p.start)} but must follow {before}, which ends at "
                                f"{self.when(q.end)}", events=[eid, before])

    def check_availability(self, p: _Placed) -> None:
        """H5: each participant is available for the whole event (when it starts, for one kept past their
        availability; up to its day's close, for one told to run past it)."""
        eid = p.event.id
        for pid in p.event.participants:
            person = self.people.get(pid)
            if person is None or person.available is None:
                continue
            if eid in self.kept_past_availability and any(w_start <= p.start < w_end for w_start, w_end
                                                           in _merged(person.available)):
                continue  # (there at its start, kept by its overrun: ``availability_waived``)
            if not any(w_start <= p.start and self.within_day(p) <= w_end
                       for w_start, w_end in _merged(person.available)):
                self.add("H5", f"{self.person(person)} is not available for the whole of {eid} "
                               f"({self.placement(p)})", events=[eid], participants=[pid])

    # -- pairwise rules: rooms (H7), participants (H8, H9) --------------------------------
    def check_rooms(self) -> None:
        by_room: dict[tuple[str, int | date], list[_Placed]] = defaultdict(list)
        for p in self.placed.values():
            if p.room is not None:
                by_room[(p.room.id, p.day)].append(p)
        sweep = self.s.sweep_minutes
        for (room_id, _), items in by_room.items():
            room = self.rooms[room_id]
            rname = self.room_name(room)
            items.sort(key=lambda q: (q.start, q.end, q.event.id))
            for i, a in enumerate(items):
                for b in items[i + 1:]:
                    if b.start >= a.end + timedelta(minutes=max(room.changeover_minutes, sweep)):
                        # b and every later one start late enough after a (lead <= the maximum).
                        break
                    if b.start < a.end:
                        self.add("H7", f"{a.event.id} and {b.event.id} overlap in {rname}, "
                                       f"{self.span(b.start, min(a.end, b.end))}",
                                 events=[a.event.id, b.event.id], rooms=[room_id])
                        continue
                    lead = max(room.changeover_minutes, sweep if b.vvip else 0)
                    gap = (b.start - a.end) / timedelta(minutes=1)
                    if gap < lead:
                        why = "changeover and security sweep" if b.vvip and sweep else "changeover"
                        self.add("H7", f"{rname} needs {lead} minutes ({why}) before {b.event.id} at "
                                       f"{self.when(b.start)}, but {a.event.id} ends at {self.when(a.end)} "
                                       f"({gap:g} minutes before)",
                                 events=[a.event.id, b.event.id], rooms=[room_id])

    def check_people(self) -> None:
        by_person: dict[tuple[str, int | date], list[_Placed]] = defaultdict(list)
        for p in self.placed.values():
            for pid in dict.fromkeys(p.event.participants):
                by_person[(pid, p.day)].append(p)
        max_travel = max(self.travel.values(), default=0)
        for (pid, _), items in by_person.items():
            person = self.people.get(pid)
            if person is None:
                continue
            who = self.person(person)
            items.sort(key=lambda q: (q.start, q.end, q.event.id))
            limit = person.max_events_per_day
            if limit is not None and len(items) > limit:
                first = items[0].local_start
                self.add("H9", f"{who} has {len(items)} events on {first.day} {first:%b} but at most {limit} "
                               f"are allowed: {', '.join(q.event.id for q in items)}",
                         events=[q.event.id for q in items], participants=[pid])
            reach = timedelta(minutes=person.min_break_minutes + max_travel)
            for i, a in enumerate(items):
                for b in items[i + 1:]:
                    if b.start >= a.end + reach:
                        break
                    if b.start < a.end:
                        self.add("H8", f"{who} is in {a.event.id} and {b.event.id} at the same time, "
                                       f"{self.span(b.start, min(a.end, b.end))}",
                                 events=[a.event.id, b.event.id], participants=[pid])
                        continue
                    za = a.room.zone if a.room is not None else None
                    zb = b.room.zone if b.room is not None else None
                    travel = self.travel.get(frozenset((za, zb)), 0) if za and zb and za != zb else 0
                    need = person.min_break_minutes + travel
                    gap = (b.start - a.end) / timedelta(minutes=1)
                    if gap < need:
                        parts = []
                        if person.min_break_minutes:
                            parts.append(f"{person.min_break_minutes} min break")
                        if travel:
                            parts.append(f"{travel} min travel {za} -> {zb}")
                        self.add("H8", f"{who} needs {need} minutes ({' + '.join(parts)}) between {a.event.id} "
                                       f"(ends {self.when(a.end)}) and {b.event.id} (starts {self.when(b.start)}), "
                                       f"but has {gap:g}",
                                 events=[a.event.id, b.event.id], participants=[pid])

    # -- summit-wide rules: exclusive (H11), escorts (H12), resources (H13) ------------
    def check_exclusive(self) -> None:
        ordered = sorted(self.placed.values(), key=lambda q: (q.start, q.event.id))
        starts = [q.start for q in ordered]
        reported: set[frozenset[str]] = set()
        for x in ordered:
            if not x.event.exclusive:
                continue
            for other in ordered[: bisect.bisect_left(starts, x.end)]:
                if other is x or not (other.end > x.start):
                    continue
                pair = frozenset((x.event.id, other.event.id))
                if pair in reported:
                    continue
                reported.add(pair)
                self.add("H11", f"{x.event.id} is exclusive but {other.event.id} runs at the same time, "
                                f"{self.span(max(x.start, other.start), min(x.end, other.end))}",
                         events=[x.event.id, other.event.id])

    def _sweep(self, items: list[tuple[_Placed, int]], capacity: int, report: _Report) -> None:
        """Add each item's amount while it runs; call ``report`` when a start exceeds ``capacity``."""
        points: list[tuple[datetime, int, int]] = []  # (moment, 0 = end / 1 = start, index)
        for index, (p, _) in enumerate(items):
            if p.end <= p.start:  # empty or reversed: already an H2 violation, holds nothing
                continue
            points.append((p.start, 1, index))
            points.append((p.end, 0, index))
        points.sort()
        running: dict[int, None] = {}
        total = 0
        for moment, kind, index in points:
            amount = items[index][1]
            if kind == 0:
                if index in running:
                    del running[index]
                    total -= amount
                continue
            running[index] = None
            total += amount
            if total > capacity and (not self.overlaps
                                     or total - self._excused([items[i] for i in running]) > capacity):
                report(moment, total, [items[i][0] for i in running])

    def _excused(self, running: list[tuple[_Placed, int]]) -> int:
        """What the waived pairs among ``running`` may hold beyond a capacity: the smaller amount of each pair (an
        event counted in one pair at most)."""
        excused, seen = 0, set[str]()
        for i, (a, amount_a) in enumerate(running):
            for b, amount_b in running[i + 1:]:
                pair = frozenset((a.event.id, b.event.id))
                if pair in self.overlaps and not pair & seen:
                    excused += min(amount_a, amount_b)
                    seen |= pair
        return excused

    def check_escorts(self) -> None:
        limits = self.s.security.max_vvip_events_per_zone if self.s.security else {}
        by_zone: dict[str, list[tuple[_Placed, int]]] = defaultdict(list)
        for p in self.placed.values():
            if p.vvip and p.room is not None and p.room.zone in limits:
                by_zone[p.room.zone].append((p, 1))
        for zone, items in by_zone.items():
            limit = limits[zone]

            def report(moment: datetime, total: int, running: list[_Placed], zone: str = zone,
                       limit: int = limit) -> None:
                ids = [q.event.id for q in running]
                self.add("H12", f"{total} events with a VVIP run in zone {zone} at {self.when(moment)} "
                                f"({', '.join(ids)}) but at most {limit} can be escorted at once",
                         events=ids, rooms=sorted({q.room.id for q in running if q.room is not None}))

            self._sweep(items, limit, report)

    def check_resources(self) -> None:
        by_resource: dict[str, list[tuple[_Placed, int]]] = defaultdict(list)
        for p in self.placed.values():
            for rid, amount in p.event.uses.items():
                by_resource[rid].append((p, amount))
        for resource in self.s.resources:
            items = by_resource.get(resource.id)
            if not items:
                continue
            label = f"{resource.name} ({resource.id})" if resource.name else resource.id

            def report(moment: datetime, total: int, running: list[_Placed], label: str = label,
                       capacity: int = resource.capacity) -> None:
                ids = [q.event.id for q in running]
                self.add("H13", f"{total} of {label} are in use at {self.when(moment)} ({', '.join(ids)}) "
                                f"but only {capacity} exist", events=ids)

            self._sweep(items, resource.capacity, report)

    # -- everything -----------------------------------------------------------------------
    def run(self) -> list[Violation]:
        if self.t.status not in ("optimal", "feasible"):
            if self.t.assignments:
                self.add("H2", f"a timetable with status {self.t.status!r} must have no assignments, but it has "
                               f"{len(self.t.assignments)}", events=[a.event for a in self.t.assignments])
            return self.out
        self.collect()
        for e in self.s.events:
            if e.required and e.id not in self.placed and e.id not in self.given_up:
                self.add("H1", f"{e.id} is required but not scheduled", events=[e.id])
        for p in self.placed.values():
            self.check_event(p)
        self.check_rooms()
        self.check_people()
        self.check_exclusive()
        self.check_escorts()
        self.check_resources()
        expected = objective_of(self.s, self.t)
        if self.t.objective != expected:
            self.add("objective_mismatch", f"the timetable reports objective {self.t.objective} but its scheduled "
                                           f"optional events are worth {expected}")
        return self.out


def _merged(windows: Iterable[TimeWindow]) -> list[tuple[datetime, datetime]]:
    """Windows as UTC intervals, touching or overlapping ones merged."""
    spans = sorted((w.start.astimezone(UTC), w.end.astimezone(UTC)) for w in windows)
    merged: list[tuple[datetime, datetime]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def validate_timetable(scenario: Scenario, timetable: Timetable,
                       waived_windows: Collection[str] = (), shortened: Collection[str] = (),
                       given_up: Collection[str] = (), overlaps_waived: Collection[Collection[str]] = (),
                       availability_waived: Collection[str] = (),
                       day_close_waived: Collection[str] = ()) -> list[Violation]:
    """Every violated hard rule of ``timetable`` against ``scenario``; an empty list means valid.
    ``waived_windows`` names events whose own time window (earliest, latest end) is waived, said explicitly: the
    events a summit-day report pins where they ran (a re-plan's ``waived``); every other rule holds for them.
    ``shortened`` names events a re-plan after a report ran shorter (a re-plan's ``shortened``): each may last less
    than its duration, on the grid and no less than its minimum (``min_duration_minutes``, or its kind's
    ``shortening``); a plain solve's timetable has none.
    ``given_up`` names required events a report's proposal could not keep (a re-plan's ``given_up``, said explicitly
    in its notes): H1 is not asked of them, every other rule holds.
    ``overlaps_waived`` names pairs of events that may break a rule between them (a re-plan's ``overlaps_waived``:
    an event reported running, or started, that ran into one that cannot move, said explicitly in its notes): the
    rules between two events (H7 rooms, H8 participants, H10 after, H11 exclusive) are not asked of the pair, and
    a count (H12 escorts, H13 resources) may exceed its capacity by what the smaller of the pair holds; every other
    rule holds, for them too.
    ``availability_waived`` names events that may run past the end of their participants' availability (a
    re-plan's ``availability_waived``: an event reported running, or started, that overran, said explicitly in its
    notes): H5 asks only that each participant is available when it starts; every other rule holds.
    ``day_close_waived`` names events that may run past their day's close (a re-plan's ``day_close_waived``: an event
    reported running, or started, that overran the end of the day, said explicitly in its notes): it must start inside
    a day's hours, and its room's closures (H4) and its people's availability (H5) are judged up to the close (the
    day has none after it); every other rule holds, on its true end."""
    checker = _Checker(scenario, timetable)
    checker.waived = set(waived_windows)
    checker.shortened = set(shortened)
    checker.given_up = set(given_up)
    checker.overlaps = {frozenset(pair) for pair in overlaps_waived if len(set(pair)) == 2}
    checker.kept_past_availability = set(availability_waived)
    checker.past_close = set(day_close_waived)
    return checker.run()


def runs_shorter(scenario: Scenario, timetable: Timetable) -> list[str]:
    """The events ``timetable`` runs shorter than their duration (a re-plan after a report shortened them)."""
    events = {e.id: e for e in scenario.events}
    return sorted(a.event for a in timetable.assignments if a.event in events
                  and a.end - a.start < timedelta(minutes=events[a.event].duration_minutes))
