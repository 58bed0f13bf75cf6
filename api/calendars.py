"""What a timetable's calendars say (an agenda's, a feed's, the whole timetable's): the agenda rows of some
participants, each event's SEQUENCE and the events cancelled since delegations were told of them.

Of the published plan, SEQUENCE and cancellations are those delegations were told (``published_events``: never
decreasing across publishes; a dropped event cancelled once); of a draft, those of the re-plans that led to it.
"""

from __future__ import annotations

from datetime import datetime

from api.exports import agenda_items
from api.exports.agenda import AgendaItem, counterpart_labels, zone_names
from api.exports.calendar import CalendarHistory, calendar_history, to_ics
from api.lineage import chain_models, events_named
from api.publishing import publication_mark, published_events
from api.store.models import TimetableRow
from api.store.repository import Repository
from solver.scenario import Event, Scenario
from solver.timetable import Assignment, Timetable


def participant_names(scenario: Scenario) -> dict[str, str]:
    return {p.id: p.name or p.id for p in scenario.participants}


def visible_items(scenario: Scenario, timetable: Timetable, who: set[str],
                  visible: set[str] | None) -> list[AgendaItem]:
    """The agenda rows of ``who``; the other attendees named only when in ``visible`` (None: all), else shown by
    delegation and title."""
    items = agenda_items(scenario, timetable, who)
    if visible is not None:
        labels = counterpart_labels(scenario)
        items = [item.only(visible, labels) for item in items]
    return items


def agenda_ics(repo: Repository, row: TimetableRow, scenario: Scenario, items: list[AgendaItem], who: set[str],
               visible: set[str] | None, title: str, stamp: datetime | None = None,
               mark: str | None = None) -> bytes:
    """The agenda as iCalendar: stable UIDs, SEQUENCE from the re-plans that led here, dropped events cancelled
    (``stamp``: the DTSTAMP, e.g. the publication's time, now when not given; ``mark``: see
    ``calendar_history_of``)."""
    history, events = calendar_history_of(repo, row, mark)
    cancelled = cancelled_items(scenario, history, events, who)
    if visible is not None:
        labels = counterpart_labels(scenario)
        cancelled = [item.only(visible, labels) for item in cancelled]
    return to_ics(items, title, row.scenario_id, participant_names(scenario), history, cancelled, stamp=stamp)


def calendar_history_of(repo: Repository, row: TimetableRow,
                        mark: str | None = None) -> tuple[CalendarHistory, dict[str, Event]]:
    """SEQUENCE and cancellations: of the published plan as delegations were told (``published_events``: never
    decreasing across publishes); of a draft, from the re-plans that led to it. ``mark``: the caller knows which
    publication ``row`` is (``publication_mark``'s words), else it is read."""
    mark = mark or publication_mark(repo, row)
    return repo.derived(f"history:{row.id}:{mark}", lambda: _history_of(repo, row, mark != "draft"))


def _history_of(repo: Repository, row: TimetableRow, published: bool) -> tuple[CalendarHistory, dict[str, Event]]:
    if not published:
        timetables, events = chain_models(repo, row)
        return calendar_history(timetables), events
    told = published_events(repo, row.scenario_id)
    cancelled = {e: Assignment(event=e, room=t.room, start=t.start, end=t.end) for e, t in told.items()
                 if t.cancelled}
    events = events_named(repo, row, set(cancelled))  # bounded by what is cancelled, not by the history
    return CalendarHistory(sequence={e: t.sequence for e, t in told.items()}, cancelled=cancelled), events


def cancelled_items(scenario: Scenario, history: CalendarHistory, events: dict[str, Event],
                    who: set[str] | None) -> list[AgendaItem]:
    """Events of the chain no longer scheduled, at their last place (only those ``who`` attends, when given)."""
    rooms = {r.id: r for r in scenario.rooms}
    items = []
    for event_id, last in sorted(history.cancelled.items()):
        event = events.get(event_id)
        people = tuple(event.participants) if event is not None else ()
        if who is not None and not who.intersection(people):
            continue
        room = rooms.get(last.room)
        items.append(AgendaItem(event=event_id, title=event.title or event_id if event is not None else event_id,
                                kind=event.kind if event is not None else "other", room=last.room,
                                room_name=room.name or room.id if room is not None else last.room,
                                zone=room.zone if room is not None else "", start=scenario.localise(last.start),
                                end=scenario.localise(last.end), participants=people,
                                zone_name=zone_names(scenario).get(room.zone, room.zone) if room is not None else ""))
    return items


def timetable_ics(repo: Repository, row: TimetableRow, scenario: Scenario, timetable: Timetable) -> bytes:
    """The whole timetable as iCalendar, with the same UIDs, SEQUENCE and cancellations as the agendas."""
    history, events = calendar_history_of(repo, row)
    cancelled = cancelled_items(scenario, history, events, None)
    return to_ics(agenda_items(scenario, timetable), scenario.name, row.scenario_id, participant_names(scenario),
                  history, cancelled)
