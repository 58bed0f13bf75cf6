"""The calendar file put together from VEVENTs and VTIMEZONEs written once is, byte for byte, the file icalendar
writes for the whole calendar at once (the reference below: how api/exports/calendar.py wrote it before), for
every delegation's calendar of Hanoi, its members', the whole timetable's, with SEQUENCE and cancelled events."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from icalendar import Calendar, Event, Timezone

from api.exports.agenda import AgendaItem, agenda_items, counterpart_labels
from api.exports.calendar import CalendarHistory, event_uid, to_ics
from solver.scenario import load_scenario
from solver.timetable import Timetable
from solver.validate import validate_timetable

ROOT = Path(__file__).resolve().parent.parent


@functools.cache
def _zone(tzid: str) -> Timezone:
    """icalendar's VTIMEZONE of the zone, made once for all the reference files (tens of ms each, 300+ files)."""
    return Timezone.from_tzid(tzid)


def _reference(items: list[AgendaItem], name: str, summit: str, names: dict[str, str], history: CalendarHistory,
               cancelled: Sequence[AgendaItem], stamp: datetime) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//summit-scheduler//timetable//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    if items or cancelled:
        zone = (items or list(cancelled))[0].start.tzinfo
        if zone is not None and hasattr(zone, "key"):
            calendar.add("x-wr-timezone", zone.key)
    for item, status in [(i, "CONFIRMED") for i in items] + [(i, "CANCELLED") for i in cancelled]:
        event = Event()
        event.add("uid", event_uid(item.event, summit))
        event.add("dtstamp", stamp)
        event.add("sequence", history.sequence.get(item.event, 0))
        event.add("status", status)
        event.add("dtstart", item.start)
        event.add("dtend", item.end)
        event.add("summary", item.title if status == "CONFIRMED" else f"Cancelled: {item.title}")
        event.add("location", item.room_name)
        people = ", ".join(names.get(p, p) for p in item.participants)
        if item.counterparts:
            people += ("; " if people else "") + "with " + ", ".join(item.counterparts)
        elif item.others:
            people += f"{' and ' if people else ''}{item.others} other(s)"
        event.add("description", f"{item.kind}; room {item.room}; participants: {people}")
        calendar.add_component(event)
    for position, tzid in enumerate(sorted(calendar.get_missing_tzids())):
        calendar.subcomponents.insert(position, _zone(tzid))
    return calendar.to_ical()


def test_the_file_is_what_icalendar_writes_for_the_whole_calendar() -> None:
    scenario = load_scenario(ROOT / "scenarios" / "hanoi-2025.yaml")
    document = json.loads((ROOT / "benchmarks" / "hanoi-base-timetable.json").read_text())
    timetable = Timetable.model_validate(document)
    assert validate_timetable(scenario, timetable) == []
    names = {p.id: p.name or p.id for p in scenario.participants}
    labels = counterpart_labels(scenario)
    everything = agenda_items(scenario, timetable)
    history = CalendarHistory(sequence={item.event: index % 3 for index, item in enumerate(everything)})
    stamp = datetime(2025, 10, 24, 18, 30, 5, tzinfo=UTC)
    cases = [(everything[5:], list(everything[:5]), scenario.name, None)]
    for code in sorted({p.delegation for p in scenario.participants if p.delegation}):
        members = {p.id for p in scenario.participants if p.delegation == code}
        for who in [members, *({m} for m in sorted(members))]:
            items = [item.only(members, labels) for item in agenda_items(scenario, timetable, who)]
            cases.append((items[1:], items[:1], f"{scenario.name}: {code}", members))  # the first one cancelled
    assert len(cases) > 300
    for items, cancelled, title, _ in cases:
        expected = _reference(items, title, "s1", names, history, cancelled, stamp)
        assert to_ics(items, title, "s1", names, history, cancelled, stamp=stamp) == expected, title
    assert b"BEGIN:VTIMEZONE" in expected and b"STATUS:CANCELLED" in expected
    assert to_ics([], "empty", "s1", names, history, [], stamp=stamp) == _reference([], "empty", "s1", names, history,
                                                                                      [], stamp)
