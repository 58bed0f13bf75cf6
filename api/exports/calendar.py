"""iCalendar (RFC 5545) with icalendar: one VEVENT per scheduled event."""

from __future__ import annotations

from datetime import UTC, datetime

from icalendar import Calendar, Event

from api.exports.agenda import AgendaItem


def to_ics(items: list[AgendaItem], name: str, uid_suffix: str, names: dict[str, str]) -> bytes:
    """``uid_suffix`` keeps UIDs stable per timetable; ``names`` maps participant ids to names."""
    calendar = Calendar()
    calendar.add("prodid", "-//summit-scheduler//timetable//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    stamp = datetime.now(UTC)
    for item in items:
        event = Event()
        event.add("uid", f"{item.event}@{uid_suffix}")
        event.add("dtstamp", stamp)
        event.add("dtstart", item.start)
        event.add("dtend", item.end)
        event.add("summary", item.title)
        event.add("location", item.room_name)
        people = ", ".join(names.get(p, p) for p in item.participants)
        if item.others:
            people += f"{' and ' if people else ''}{item.others} other(s)"
        event.add("description", f"{item.kind}; room {item.room}; participants: {people}")
        calendar.add_component(event)
    return calendar.to_ical()
