"""What changed between two timetables of the same summit, and who must be told.

Never imports ortools: a diff is read from the two timetables (and the scenario, for
who attends what and the local time zone).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from solver.scenario import Scenario
from solver.timetable import Assignment, Timetable


@dataclass(frozen=True)
class Move:
    event: str
    old_room: str
    old_start: datetime
    new_room: str
    new_start: datetime

    @property
    def time_changed(self) -> bool:
        return self.old_start != self.new_start


@dataclass(frozen=True)
class Shortened:
    """An event that runs shorter than before (a re-plan after a report shortened it, within its minimum duration);
    it may have moved too (then it is among the moves as well)."""

    event: str
    room: str
    start: datetime
    old_end: datetime
    new_end: datetime

    @property
    def minutes(self) -> int:
        """By how many minutes it is shorter than before."""
        return int(((self.old_end - self.start) - (self.new_end - self.start)).total_seconds() // 60)


@dataclass(frozen=True)
class Lengthened:
    """An event that runs longer than before at its start: one a former re-plan shortened, given its time back (up to
    its duration), or one reported running late; it may have moved too (then it is among the moves as well)."""

    event: str
    room: str
    start: datetime
    old_end: datetime
    new_end: datetime

    @property
    def minutes(self) -> int:
        """By how many minutes it is longer than before."""
        return int(((self.new_end - self.start) - (self.old_end - self.start)).total_seconds() // 60)


def _lengthened(a: Assignment, b: Assignment) -> Lengthened | None:
    """``b`` as a lengthening of ``a`` (None when it runs as long as before, or shorter)."""
    if b.end - b.start <= a.end - a.start:
        return None
    return Lengthened(b.event, b.room, b.start, b.start + (a.end - a.start), b.end)


def _shortened(a: Assignment, b: Assignment) -> Shortened | None:
    """``b`` as a shortening of ``a`` (None when it runs as long as before, or longer)."""
    if b.end - b.start >= a.end - a.start:
        return None
    return Shortened(b.event, b.room, b.start, b.start + (a.end - a.start), b.end)


@dataclass
class TimetableDiff:
    moved: list[Move] = field(default_factory=list)  # start changed (the room may have too)
    room_changes: list[Move] = field(default_factory=list)  # same start, another room
    added: list[Assignment] = field(default_factory=list)
    dropped: list[Assignment] = field(default_factory=list)
    # kept where they stand although the change breaks them there (no repair yet): their people are told
    broken: list[Assignment] = field(default_factory=list)
    shortened: list[Shortened] = field(default_factory=list)  # run shorter than before (moved or not)
    lengthened: list[Lengthened] = field(default_factory=list)  # run longer than before (moved or not)
    unchanged: int = 0
    by_participant: dict[str, list[str]] = field(default_factory=dict)  # the notification list
    by_delegation: dict[str, list[str]] = field(default_factory=dict)

    @property
    def changed_events(self) -> int:
        moved = {m.event for m in self.moved} | {m.event for m in self.room_changes}
        return len(self.moved) + len(self.room_changes) + len(self.added) + len(self.dropped) + len(self.broken) \
            + len({s.event for s in self.shortened} - moved) + len({g.event for g in self.lengthened} - moved)

    def to_dict(self) -> dict[str, object]:
        def move(m: Move) -> dict[str, str]:
            return {"event": m.event, "old_room": m.old_room, "old_start": m.old_start.isoformat(),
                    "new_room": m.new_room, "new_start": m.new_start.isoformat()}

        def assignment(a: Assignment) -> dict[str, str]:
            return {"event": a.event, "room": a.room, "start": a.start.isoformat(), "end": a.end.isoformat()}

        return {
            "moved": [move(m) for m in self.moved],
            "room_changes": [move(m) for m in self.room_changes],
            "added": [assignment(a) for a in self.added],
            "dropped": [assignment(a) for a in self.dropped],
            "broken": [assignment(a) for a in self.broken],
            "shortened": [{"event": s.event, "room": s.room, "start": s.start.isoformat(),
                           "old_end": s.old_end.isoformat(), "end": s.new_end.isoformat(),
                           "shortened_minutes": s.minutes} for s in self.shortened],
            "lengthened": [{"event": s.event, "room": s.room, "start": s.start.isoformat(),
                            "old_end": s.old_end.isoformat(), "end": s.new_end.isoformat(),
                            "lengthened_minutes": s.minutes} for s in self.lengthened],
            "unchanged": self.unchanged,
            "by_participant": self.by_participant,
            "by_delegation": self.by_delegation,
        }


class _Names:
    """How the planner's messages name times (local), events (title and id) and rooms (their names, not ids)."""

    def __init__(self, scenario: Scenario, earlier: Scenario | None = None) -> None:
        self.scenario = scenario
        # (the earlier version still knows an event a change removed: its title, who attended it)
        self.events = {e.id: e for e in (earlier.events if earlier is not None else [])} | \
            {e.id: e for e in scenario.events}
        self.room_names = {r.id: r.name or r.id for r in scenario.rooms}

    def when(self, moment: datetime) -> str:
        return f"{self.scenario.localise(moment):%H:%M on %d %b}"

    def title(self, event_id: str) -> str:
        event = self.events.get(event_id)
        return f"{event.title} ({event_id})" if event is not None and event.title else event_id

    def room(self, room_id: str) -> str:  # the planner's name of the room ("Bilateral room 3"), not its id
        return self.room_names.get(room_id, room_id)


def diff_timetables(scenario: Scenario, old: Timetable, new: Timetable, earlier: Scenario | None = None
                    ) -> TimetableDiff:
    """Compare two timetables; ``scenario`` (the newer version) names participants and times; ``earlier`` (the older
    version, when known) still knows the events a change removed, so the people of a cancelled event are told too.

    A newer timetable without a repair (a re-plan answering ``unknown`` or ``infeasible``) leaves the old one in
    force: nothing is cancelled, and the events its diagnostics say the change breaks (``broken_by_change``) are
    reported as broken where they stand; only their people are told."""
    before, after, broken = _compared(scenario, old, new)
    diff = TimetableDiff()
    lines: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    names = _Names(scenario, earlier)
    events, present = names.events, {e.id for e in scenario.events}
    when, title, room = names.when, names.title, names.room
    reasons = {u.event: u.reason for u in new.unscheduled}
    # Without a repair, the plan stands: "unknown" (none found in time) promises nothing; "infeasible" is proven
    broken_words = ("cannot take place as planned after the change, and no plan can hold it as things stand; the "
                    "planners are deciding what gives way" if new.status == "infeasible" else
                    "cannot take place as planned after the change; the plan stands until the planners find a "
                    "repair")

    def tell(event_id: str, moment: datetime, text: str) -> None:
        event = events.get(event_id)
        if event is not None:
            for person in event.participants:
                lines[person].append((moment, text))

    for event_id in sorted(before.keys() | after.keys()):
        a, b = before.get(event_id), after.get(event_id)
        if a is not None and b is not None:
            if a.start == b.start and a.room == b.room and event_id in broken:
                diff.broken.append(b)
                tell(event_id, b.start, f"{title(event_id)} at {when(b.start)} in {room(b.room)} {broken_words}")
                continue
            words = _changed(diff, names, a, b)
            if words:
                tell(event_id, b.start, words)
            else:
                diff.unchanged += 1
        elif b is not None:
            diff.added.append(b)
            tell(event_id, b.start, f"{title(event_id)} added at {when(b.start)} in {room(b.room)}")
        elif a is not None:
            diff.dropped.append(a)
            words = _dropped_words(event_id, event_id in present, reasons)
            tell(event_id, a.start, f"{title(event_id)} at {when(a.start)} {words}")

    _tell_people(scenario, diff, lines, earlier)
    return diff


def _changed(diff: TimetableDiff, names: _Names, a: Assignment, b: Assignment) -> str:
    """Record how ``b`` changes ``a`` (moved, another room, shortened, lengthened) in ``diff``; the words for its
    people ("" when nothing changed)."""
    when, title, room, event_id = names.when, names.title, names.room, b.event
    shorter, longer = _shortened(a, b), _lengthened(a, b)
    if shorter is not None:
        diff.shortened.append(shorter)
    if longer is not None:
        diff.lengthened.append(longer)
    cut = f", shortened by {shorter.minutes} min (ends {when(b.end)})" if shorter is not None else \
        f", {longer.minutes} min longer (ends {when(b.end)})" if longer is not None else ""
    if a.start == b.start and a.room == b.room:
        if shorter is not None:
            return (f"{title(event_id)} at {when(b.start)} in {room(b.room)} is shortened by {shorter.minutes} min: "
                    f"it now ends at {when(b.end)}")
        return "" if longer is None else (f"{title(event_id)} at {when(b.start)} in {room(b.room)} runs "
                                          f"{longer.minutes} min longer: it now ends at {when(b.end)}")
    move = Move(event_id, a.room, a.start, b.room, b.start)
    if move.time_changed:
        diff.moved.append(move)
        where = f", room {room(a.room)} -> {room(b.room)}" if a.room != b.room else ""
        return f"{title(event_id)} moved from {when(a.start)} to {when(b.start)}{where}{cut}"
    diff.room_changes.append(move)
    return f"{title(event_id)} at {when(b.start)} changes room: {room(a.room)} -> {room(b.room)}{cut}"


def _compared(scenario: Scenario, old: Timetable,
              new: Timetable) -> tuple[dict[str, Assignment], dict[str, Assignment], Collection[str]]:
    """The assignments before and after, and the events broken where they stand: a newer timetable without a repair
    leaves the old one in force (the events still in the scenario), its broken events named by its diagnostics."""
    before = {a.event: a for a in old.assignments}
    after = {a.event: a for a in new.assignments}
    broken: Collection[str] = ()
    if new.status in ("unknown", "infeasible"):
        broken = {e for d in new.diagnostics if d.code == "broken_by_change" for e in d.events}
        present = {e.id for e in scenario.events}
        after = after or {event: a for event, a in before.items() if event in present}
    return before, after, broken


def _dropped_words(event_id: str, still_in_scenario: bool, reasons: dict[str, str]) -> str:
    """Why the delegation loses the event: cancelled, or left out with the re-plan's reason."""
    if not still_in_scenario:
        return "is cancelled"
    reason = reasons.get(event_id)
    return f"is no longer scheduled: {reason}" if reason else "is cancelled or no longer scheduled"


def _tell_people(scenario: Scenario, diff: TimetableDiff, lines: dict[str, list[tuple[datetime, str]]],
                 earlier: Scenario | None = None) -> None:
    """Each participant's lines in time order, and each delegation's (its people's lines, named, once each)."""
    people = ([*earlier.participants] if earlier is not None else []) + [*scenario.participants]
    delegation_of = {p.id: p.delegation or p.id for p in people}
    names = {p.id: p.name or p.id for p in people}
    per_delegation: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for person, items in lines.items():
        items.sort(key=lambda item: item[0])
        diff.by_participant[person] = [text for _, text in items]
        for moment, text in items:
            entry = (moment, f"{names.get(person, person)}: {text}")
            if entry not in per_delegation[delegation_of.get(person, person)]:
                per_delegation[delegation_of.get(person, person)].append(entry)
    for delegation, items in sorted(per_delegation.items()):
        items.sort(key=lambda item: item[0])
        diff.by_delegation[delegation] = [text for _, text in items]


def diff_text(diff: TimetableDiff, scenario: Scenario) -> str:
    """The diff as a planner reads it."""

    def when(moment: datetime) -> str:
        return f"{scenario.localise(moment):%H:%M %d %b}"

    names = {r.id: r.name or r.id for r in scenario.rooms}

    def room(room_id: str) -> str:
        return names.get(room_id, room_id)

    out = [f"{len(diff.moved)} moved, {len(diff.room_changes)} room changes, {len(diff.added)} added, "
           f"{len(diff.dropped)} dropped, " + (f"{len(diff.broken)} broken where they stand, " if diff.broken else "")
           + (f"{len(diff.shortened)} shortened, " if diff.shortened else "")
           + (f"{len(diff.lengthened)} lengthened, " if diff.lengthened else "")
           + f"{diff.unchanged} unchanged (times in {scenario.timezone}, 24-hour)"]
    for m in diff.moved:
        out.append(f"  moved  {m.event}: {when(m.old_start)} {room(m.old_room)} -> "
                   f"{when(m.new_start)} {room(m.new_room)}")
    for m in diff.room_changes:
        out.append(f"  room   {m.event}: {when(m.new_start)} {room(m.old_room)} -> {room(m.new_room)}")
    for a in diff.added:
        out.append(f"  added  {a.event}: {when(a.start)} {room(a.room)}")
    for a in diff.dropped:
        out.append(f"  dropped {a.event}: was {when(a.start)} {room(a.room)}")
    for s in diff.shortened:
        out.append(f"  shortened {s.event}: by {s.minutes} min, {when(s.start)}-{when(s.new_end)} {room(s.room)} "
                   f"(was to end {when(s.old_end)})")
    for g in diff.lengthened:
        out.append(f"  longer {g.event}: by {g.minutes} min, {when(g.start)}-{when(g.new_end)} {room(g.room)} "
                   f"(was to end {when(g.old_end)})")
    for a in diff.broken:
        out.append(f"  broken {a.event}: {when(a.start)} {room(a.room)} no longer fits there (no repair yet)")
    if diff.by_delegation:
        out.append("to notify:")
        for delegation, items in diff.by_delegation.items():
            out.append(f"  {delegation}:")
            out.extend(f"    - {text}" for text in items)
    return "\n".join(out)
