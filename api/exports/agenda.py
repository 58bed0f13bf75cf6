"""One row per scheduled event, optionally only those a set of participants attends."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime

from solver.scenario import Scenario
from solver.timetable import Timetable


@dataclass(frozen=True)
class AgendaItem:
    event: str
    title: str
    kind: str
    room: str
    room_name: str
    zone: str
    start: datetime
    end: datetime
    participants: tuple[str, ...]
    others: int = 0  # participants left out of ``participants`` (not shown to this reader)
    counterparts: tuple[str, ...] = ()  # those left out, by delegation and title ("VNM: Head of State")
    zone_name: str = ""  # the zone as the planner names it ("National Convention Centre"), not its id

    def to_dict(self) -> dict[str, object]:
        return {"event": self.event, "title": self.title, "kind": self.kind, "room": self.room,
                "room_name": self.room_name, "zone": self.zone,
                "zone_name": self.zone_name or self.zone, "start": self.start.isoformat(),
                "end": self.end.isoformat(), "participants": list(self.participants),
                "other_participants": self.others, "counterparts": list(self.counterparts)}

    def only(self, visible: Collection[str], labels: dict[str, str] | None = None) -> AgendaItem:
        """The same item naming only the ``visible`` participants; the rest are counted, and described by
        ``labels`` (their delegation and title, not their name) when given."""
        shown = tuple(p for p in self.participants if p in visible)
        hidden = [p for p in self.participants if p not in visible]
        described = tuple(labels[p] for p in hidden if p in labels) if labels is not None else ()
        return replace(self, participants=shown, others=self.others + len(hidden), counterparts=described)


def counterpart_labels(scenario: Scenario) -> dict[str, str]:
    """How a liaison sees another delegation's participant in their own delegation's meetings: the delegation
    and the title (role), not the name."""
    return {p.id: f"{p.delegation or '?'}: {p.role or p.tier}" for p in scenario.participants}


def zone_names(scenario: Scenario) -> dict[str, str]:
    """Each zone's name by its id (the id when the zone has no name)."""
    return {z.id: z.name or z.id for z in scenario.zones}


def agenda_items(scenario: Scenario, timetable: Timetable, who: Collection[str] | None = None) -> list[AgendaItem]:
    """Scheduled events in local time, by start; with ``who``, only events one of them attends."""
    events = {e.id: e for e in scenario.events}
    rooms = {r.id: r for r in scenario.rooms}
    wanted = set(who) if who is not None else None
    items = []
    for a in timetable.assignments:
        event = events.get(a.event)
        people = tuple(event.participants) if event is not None else ()
        if wanted is not None and not wanted.intersection(people):
            continue
        room = rooms.get(a.room)
        items.append(AgendaItem(
            event=a.event, title=(event.title if event is not None and event.title else a.event),
            kind=event.kind if event is not None else "other", room=a.room,
            room_name=(room.name if room is not None and room.name else a.room),
            zone=room.zone if room is not None else "", start=scenario.localise(a.start),
            end=scenario.localise(a.end), participants=people,
            zone_name=zone_names(scenario).get(room.zone, room.zone) if room is not None else ""))
    items.sort(key=lambda item: (item.start, item.room, item.event))
    return items
