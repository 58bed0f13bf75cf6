"""What one publish changed for one delegation, in words its people read: local times, room and zone names.

A delegation is affected by a publish when an event one of its participants attends moved in time, changed room,
was dropped or was added. Its notice lists those events, each with where and when it was and now is, in the
summit's time zone (the one its people live in during the summit), rooms and zones by name, never by id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from solver.scenario import Scenario
from solver.timetable import Assignment, Timetable


@dataclass(frozen=True)
class Place:
    """Where and when an event is, as the delegation reads it."""

    start: datetime  # local, in the summit's time zone
    end: datetime
    room: str  # the room's name
    zone: str  # the zone's name

    def words(self) -> str:
        return f"{self.start:%a %d %b %H:%M}–{self.end:%H:%M} in {self.room} ({self.zone})"

    def to_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "room": self.room, "zone": self.zone}


@dataclass(frozen=True)
class EventChange:
    """One event of the delegation that this publish changed: moved, room changed, cancelled or added."""

    kind: str
    event: str
    title: str
    before: Place | None
    after: Place | None

    def words(self) -> str:
        if self.kind == "cancelled" and self.before is not None:
            return f"{self.title}: cancelled (was {self.before.words()})"
        if self.kind == "added" and self.after is not None:
            return f"{self.title}: now scheduled {self.after.words()}"
        assert self.before is not None and self.after is not None
        return f"{self.title}: {self.kind.replace('_', ' ')}, now {self.after.words()} (was {self.before.words()})"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "event": self.event, "title": self.title,
                "before": self.before.to_dict() if self.before else None,
                "after": self.after.to_dict() if self.after else None}


def place_of(scenario: Scenario, assignment: Assignment) -> Place:
    """The assignment in local time with its room's and zone's names (the id only when a name is missing)."""
    rooms = {r.id: r for r in scenario.rooms}
    zones = {z.id: z.name or z.id for z in scenario.zones}
    room = rooms.get(assignment.room)
    zone_id = room.zone if room is not None else ""
    return Place(start=scenario.localise(assignment.start), end=scenario.localise(assignment.end),
                 room=(room.name if room is not None and room.name else assignment.room),
                 zone=zones.get(zone_id, zone_id or "?"))


def _change_kind(before: Assignment | None, after: Assignment | None) -> str | None:
    if before is None:
        return "added" if after is not None else None
    if after is None:
        return "cancelled"
    if (before.start, before.end) != (after.start, after.end):
        return "moved" if before.room == after.room else "moved_and_room_changed"
    return "room_changed" if before.room != after.room else None


def event_changes(scenario: Scenario, before: Timetable | None, after: Timetable,
                  earlier: Scenario | None = None) -> list[EventChange]:
    """Every event whose time or room differs between the two plans, by the time it starts (or started).
    ``earlier``: the scenario of the plan before, which still knows the events a change removed."""
    old = {a.event: a for a in before.assignments} if before is not None else {}
    new = {a.event: a for a in after.assignments}
    titles = {e.id: e.title or e.id for e in (earlier.events if earlier else [])} | {
        e.id: e.title or e.id for e in scenario.events}
    changes = []
    for event_id in sorted(set(old) | set(new)):
        kind = _change_kind(old.get(event_id), new.get(event_id))
        if kind is None:
            continue
        was, now = old.get(event_id), new.get(event_id)
        changes.append(EventChange(kind=kind, event=event_id, title=titles.get(event_id, event_id),
                                   before=place_of(earlier or scenario, was) if was else None,
                                   after=place_of(scenario, now) if now else None))
    changes.sort(key=_when)
    return changes


def _when(change: EventChange) -> tuple[datetime, str]:
    place = change.after or change.before
    assert place is not None
    return place.start, change.event


def delegations_of_events(*scenarios: Scenario) -> dict[str, set[str]]:
    """Each event's delegations (those of its participants), over every scenario given (an event a change
    removed is known only to the scenario before it)."""
    attending: dict[str, set[str]] = {}
    for scenario in scenarios:
        delegation = {p.id: p.delegation for p in scenario.participants if p.delegation}
        for e in scenario.events:
            attending.setdefault(e.id, set()).update(delegation[p] for p in e.participants if p in delegation)
    return attending


def notices_by_delegation(scenario: Scenario, before: Timetable | None, after: Timetable,
                          earlier: Scenario | None = None) -> dict[str, dict[str, Any]]:
    """One notice document per affected delegation: its subject, its lines to read and the changes as data.
    ``earlier``: the scenario the plan before was made for, when it is another version."""
    attending = delegations_of_events(*([earlier] if earlier is not None else []), scenario)
    per_delegation: dict[str, list[EventChange]] = {}
    for change in event_changes(scenario, before, after, earlier):
        for code in attending.get(change.event, ()):
            per_delegation.setdefault(code, []).append(change)
    return {code: notice_document(scenario, code, changes) for code, changes in sorted(per_delegation.items())}


def notice_document(scenario: Scenario, delegation: str, changes: list[EventChange]) -> dict[str, Any]:
    count = len(changes)
    subject = (f"{scenario.name}: {count} change{'s' if count != 1 else ''} to {delegation}'s programme "
               f"(times in {scenario.timezone})")
    return {"delegation": delegation, "summit": scenario.name, "timezone": scenario.timezone, "subject": subject,
            "lines": [change.words() for change in changes], "changes": [c.to_dict() for c in changes]}
