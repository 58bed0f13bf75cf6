"""iCalendar (RFC 5545) with icalendar: one VEVENT per scheduled event, that follows re-plans.

A delegation imports or subscribes to its calendar once; every re-plan must then update the same entries
rather than add new ones. So each event's ``UID`` is the event id within its summit (the scenario, not the
timetable), its ``SEQUENCE`` counts the times it moved along the chain of re-plans that led to this
timetable, and an event that was in an earlier timetable of the chain and is no longer scheduled is sent
with ``STATUS:CANCELLED``. Times carry the summit's ``TZID`` and the file its ``VTIMEZONE``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from icalendar import Calendar, Event, Timezone

from api.exports.agenda import AgendaItem
from solver.timetable import Assignment, Timetable


@dataclass
class CalendarHistory:
    """What the chain of timetables (oldest first, the one exported last) says about each event."""

    sequence: dict[str, int] = field(default_factory=dict)  # times the event moved, was dropped or came back
    cancelled: dict[str, Assignment] = field(default_factory=dict)  # in an earlier timetable, not in the last


def calendar_history(chain: Sequence[Timetable]) -> CalendarHistory:
    """Each event's SEQUENCE and the events dropped along ``chain`` (a timetable and the ones it re-planned)."""
    history = CalendarHistory()
    last: dict[str, Assignment] = {}  # the event's latest known place
    present: set[str] = set()
    for timetable in chain:
        now = {a.event: a for a in timetable.assignments}
        for event_id, assignment in now.items():
            before = last.get(event_id)
            if before is None:
                history.sequence.setdefault(event_id, 0)
            elif event_id not in present or (before.start, before.end, before.room) != (
                    assignment.start, assignment.end, assignment.room):
                history.sequence[event_id] = history.sequence.get(event_id, 0) + 1
            last[event_id] = assignment
        for event_id in present - now.keys():
            history.sequence[event_id] = history.sequence.get(event_id, 0) + 1  # the cancellation is a change
        present = set(now)
    history.cancelled = {e: a for e, a in last.items() if e not in present}
    return history


def event_uid(event_id: str, summit: str) -> str:
    """The same for an event in every timetable of one summit (scenario), whatever re-plans happen."""
    return f"{event_id}@{summit}.summit-scheduler"


def to_ics(items: list[AgendaItem], name: str, summit: str, names: dict[str, str],
           history: CalendarHistory | None = None, cancelled: Sequence[AgendaItem] = (),
           stamp: datetime | None = None) -> bytes:
    """``summit`` (the scenario id) keeps UIDs stable across re-plans; ``names`` maps participant ids to
    names; ``history`` gives each event's SEQUENCE; ``cancelled`` are sent with STATUS:CANCELLED; ``stamp`` is
    every entry's DTSTAMP (now when not given; a published plan's feed: its publication's time, so that the same
    feed built twice is the same file).

    The file is what icalendar writes for the whole calendar, put together from parts it wrote once: each
    VEVENT (a delegation's calendar and its members' share theirs), each VTIMEZONE and the lines before them."""
    zone = (items or list(cancelled))[0].start.tzinfo if items or cancelled else None
    head = _head(name, zone.key if zone is not None and hasattr(zone, "key") else None)
    stamp = (stamp or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    sequence = history.sequence if history is not None else {}
    events = [_vevent(_event_fields(item, status, summit, names, stamp, sequence.get(item.event, 0)),
                      (str(item.start.tzinfo), str(item.end.tzinfo)))
              for item, status in [(i, "CONFIRMED") for i in items] + [(i, "CANCELLED") for i in cancelled]]
    zones = [_vtimezone_ical(tzid) for tzid in sorted(set().union(*(tzids for _, tzids in events)) - {"UTC"})]
    return b"".join([head, *(part for part in zones if part), *(body for body, _ in events), _END])


_END = b"END:VCALENDAR\r\n"


@lru_cache(maxsize=1024)
def _head(name: str, zone: str | None) -> bytes:
    """The calendar's first lines, up to its first component, as icalendar writes them (once per name)."""
    calendar = Calendar()
    calendar.add("prodid", "-//summit-scheduler//timetable//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    if zone is not None:
        calendar.add("x-wr-timezone", zone)
    whole = calendar.to_ical()
    assert whole.endswith(_END)
    return whole[:-len(_END)]


def _event_fields(item: AgendaItem, status: str, summit: str, names: dict[str, str], stamp: datetime,
                  sequence: int) -> tuple[Any, ...]:
    """A VEVENT's properties in the order they are added: uid, dtstamp, sequence, status, dtstart, dtend,
    summary, location, description."""
    people = ", ".join(names.get(p, p) for p in item.participants)
    if item.counterparts:
        people += ("; " if people else "") + "with " + ", ".join(item.counterparts)
    elif item.others:
        people += f"{' and ' if people else ''}{item.others} other(s)"
    return (event_uid(item.event, summit), stamp, sequence, status, item.start, item.end,
            item.title if status == "CONFIRMED" else f"Cancelled: {item.title}", item.room_name,
            f"{item.kind}; room {item.room}; participants: {people}")


@lru_cache(maxsize=8192)
def _vevent(fields: tuple[Any, ...], zones: tuple[str, str]) -> tuple[bytes, frozenset[str]]:
    """One VEVENT as icalendar writes it, and the TZIDs it uses (written once: the same event in a delegation's
    calendar and its members' is the same entry). ``zones`` names the start's and end's zones: equal datetimes
    of two zones are the same instant, not the same entry."""
    event = Event()
    for prop, value in zip(_EVENT_PROPERTIES, fields, strict=True):
        event.add(prop, value)
    holder = Calendar()
    holder.add_component(event)
    return event.to_ical(), frozenset(holder.get_used_tzids())


_EVENT_PROPERTIES = ("uid", "dtstamp", "sequence", "status", "dtstart", "dtend", "summary", "location",
                     "description")


@lru_cache(maxsize=64)
def _vtimezone_ical(tzid: str) -> bytes:
    timezone = _vtimezone(tzid)
    return timezone.to_ical() if timezone is not None else b""


@lru_cache(maxsize=64)
def _vtimezone(tzid: str) -> Timezone | None:
    """The zone's VTIMEZONE (icalendar's, 1970-2038), made once per zone: making it costs ~70 ms, more than the
    rest of a delegation's calendar (read only afterwards: calendars share it)."""
    try:
        return Timezone.from_tzid(tzid)
    except ValueError:  # a zone icalendar does not know: left out, as add_missing_timezones does
        return None
