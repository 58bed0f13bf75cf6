"""Last-minute changes as data: the contract's change operations, validated and applied.

``apply_changes(scenario, changes)`` returns a *new* scenario version; the original is
never touched. Each operation is checked against the scenario it applies to (unknown
participant, room, event, resource; a day that already exists; an id already taken) and
every problem is reported with its path (``changes[2].participant``), its value and what
is allowed. The result goes through the full scenario validation again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from solver.scenario import (
    Day,
    Event,
    Problem,
    Room,
    Scenario,
    ScenarioError,
    TimeWindow,
    format_path,
    known_ids_hint,
    parse_scenario,
    read_document,
)

if TYPE_CHECKING:
    from solver.timetable import Timetable

Document = dict[str, Any]
Span = tuple[datetime, datetime]


class Change(BaseModel):
    """One edit of a scenario. Each operation applies and describes itself, says how it applies from a moment on
    (what happened before is history) and whether it may give back time, rooms or capacity."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    # True for an operation that can only take time, rooms or capacity away (no request left out can come in)
    only_takes: ClassVar[bool] = False

    def describe(self, scenario: Scenario) -> str:
        """The change as a planner says it (each operation says its own)."""
        return str(getattr(self, "op", type(self).__name__))

    def apply(self, scenario: Scenario, doc: Document, path: str) -> list[Problem]:
        """Edit the scenario document ``doc`` (of ``scenario``); the problems found, each at ``path``."""
        raise NotImplementedError(type(self).__name__)  # pragma: no cover - every operation applies itself

    def from_now(self, scenario: Scenario, moment: datetime, windows: dict[str, list[Span]],
                 previous: Timetable | None = None) -> Change | None:
        """The change as it applies from ``moment`` on, or None when it is over (``windows``: each participant's
        availability as the earlier changes of the list left it, kept up to date; ``previous``: the standing
        timetable, whose events that have started by ``moment`` are facts). By default: as written."""
        return self

    def placed(self, scenario: Scenario, previous: Timetable) -> Change:
        """The change with what the standing timetable ``previous`` tells about it filled in (by default: as is)."""
        return self

    def opens(self, before: Scenario, after: Scenario) -> bool:
        """Could this change (which changes something) let a request left out in? By default yes: it gives time,
        rooms or capacity (a reopened or added room, an added day, a cancelled or unpinned event)."""
        return not self.only_takes


def _at(scenario: Scenario, moment: datetime) -> str:
    return f"{scenario.localise(moment):%H:%M on %d %b}"


def _until(scenario: Scenario, moment: datetime) -> str:
    return f"{scenario.localise(moment):%H:%M}"


class ParticipantAvailability(Change):
    """Replace a participant's availability windows."""

    op: Literal["participant_availability"]
    participant: str
    available: list[TimeWindow]

    def describe(self, scenario: Scenario) -> str:
        windows = ", ".join(f"{_at(scenario, w.start)}-{_until(scenario, w.end)}" for w in self.available)
        return f"{self.participant} is available only {windows or 'never'}"

    def apply(self, scenario: Scenario, doc: Document, path: str) -> list[Problem]:
        return _set_availability(scenario, doc, self, path)

    def future(self, scenario: Scenario, before: list[Span]) -> list[Span]:
        """The participant's windows this change leaves, given those they had (``before``)."""
        return [(scenario.localise(w.start), scenario.localise(w.end)) for w in self.available]

    def from_now(self, scenario: Scenario, moment: datetime, windows: dict[str, list[Span]],
                 previous: Timetable | None = None) -> Change | None:
        return _availability_from_now(scenario, self, moment, windows, previous)

    def opens(self, before: Scenario, after: Scenario) -> bool:
        old_person = next((p for p in before.participants if p.id == self.participant), None)
        new_person = next((p for p in after.participants if p.id == self.participant), None)
        if old_person is None or new_person is None or old_person.available is None:
            return False  # was available all the time: new windows can only take time away
        return not all(any(o.start <= w.start and w.end <= o.end for o in old_person.available)
                       for w in new_person.available or [])


class ParticipantDelayed(Change):
    """Nothing of the participant's before ``arrival`` or after ``departure``."""

    op: Literal["participant_delayed"]
    participant: str
    arrival: datetime | None = None
    departure: datetime | None = None

    def describe(self, scenario: Scenario) -> str:
        parts = ([f"{self.participant} arrives at {_at(scenario, self.arrival)}"] if self.arrival else []) + \
                ([f"{self.participant} leaves at {_at(scenario, self.departure)}"] if self.departure else [])
        return " and ".join(parts) or f"{self.participant}'s times change"

    only_takes: ClassVar[bool] = True

    def apply(self, scenario: Scenario, doc: Document, path: str) -> list[Problem]:
        return _delay(scenario, doc, self, path)

    def future(self, scenario: Scenario, before: list[Span]) -> list[Span]:
        """The participant's windows this change leaves, given those they had (``before``)."""
        future = before
        if self.arrival is not None:
            future = _clip(future, scenario.localise(self.arrival), None)
        if self.departure is not None:
            future = _clip(future, None, scenario.localise(self.departure))
        return future

    def from_now(self, scenario: Scenario, moment: datetime, windows: dict[str, list[Span]],
                 previous: Timetable | None = None) -> Change | None:
        return _availability_from_now(scenario, self, moment, windows, previous)


class RoomClosed(Change):
    op: Literal["room_closed"]
    room: str
    start: datetime
    end: datetime
    reason: str = ""

    only_takes: ClassVar[bool] = True

    def describe(self, scenario: Scenario) -> str:
        return f"{self.room} is closed {_at(scenario, self.start)}-{_until(scenario, self.end)}"

    def apply(self, scenario: Scenario, doc: Document, path: str) -> list[Problem]:
        room, start, end, problems = _room_span(scenario, doc, self, path)
        if room is not None:
            room.setdefault("unavailable", []).append(
                {"start": start.isoformat(), "end": end.isoformat(), "reason": self.reason})
        return problems

    def from_now(self, scenario: Scenario, moment: datetime, windows: dict[str, list[Span]],
                 previous: Timetable | None = None) -> Change | None:
        """A closure starts at ``moment`` at the earliest, and after the events running in the room then (they
        started there: they end there, never moved); one that is over is left out."""
        start = max([scenario.localise(self.start), moment] + [
            scenario.localise(a.end) for a in (previous.assignments if previous is not None else [])
            if a.room == self.room and scenario.localise(a.start) < moment < scenario.localise(a.end)])
        if scenario.localise(self.end) <= start:
            return None
        return self.model_copy(update={"start": start})


class RoomReopened(Change):
    op: Literal["room_reopened"]
    room: str
    start: datetime
    end: datetime

    def describe(self, scenario: Scenario) -> str:
        return f"{self.room} reopens {_at(scenario, self.start)}-{_until(scenario, self.end)}"

    def apply(self, scenario: Scenario, doc: Document, path: str) -> list[Problem]:
        room, start, end, problems = _room_span(scenario, doc, self, path)
        if room is not None:
            room["unavailable"] = _cut(room.get("unavailable", []), start, end, scenario)
        return problems


class EventAdded(Change):
    op: Literal["event_added"]
    event: Event
    only_takes: ClassVar[bool] = True

    def describe(self, scenario: Scenario) -> str:
        return f"{self.event.id} is added"

    def apply(self, scenario: Scenario, doc: Document, path: str) -> list[Problem]:
        return _add_event(doc, self, path)


class EventCancelled(Change):
    op: Literal["event_cancelled"]
    event: str

    def describe(self, scenario: Scenario) -> str:
        return f"{self.event} is cancelled"

    def apply(self, scenario: Scenario, doc: Document, path: str) -> list[Problem]:
        return _cancel(doc, self, path)


class EventUpdated(Change):
    op: Literal["event_updated"]
    event: str
    set: dict[str, Any]

    def describe(self, scenario: Scenario) -> str:
        return f"{self.event} changes ({', '.join(f'{k}: {v}' for k, v in self.set.items())})"

    def apply(self, scenario: Scenario, doc: Document, path: str) -> list[Problem]:
        return _update(doc, self, path)

    def opens(self, before: Scenario, after: Scenario) -> bool:
        return not set(self.set) <= _LABELS_ONLY  # a new priority matters only to the event itself (named)


class PinEvent(Change):
    op: Literal["pin"]
    event: str
    room: str | None = None
    start: datetime | None = None
    only_takes: ClassVar[bool] = True

    def describe(self, scenario: Scenario) -> str:
        where = " ".join(x for x in (self.room, _at(scenario, self.start) if self.start else None) if x)
        return f"{self.event} is pinned{' to ' + where if where else ''}"

    def apply(self, scenario: Scenario, doc: Document, path: str) -> list[Problem]:
        return _pin(scenario, doc, self, path)


class UnpinEvent(Change):
    op: Literal["unpin"]
    event: str
    room: bool | str | None = None  # unpin only the room (any value) ...
    start: bool | datetime | None = None  # ... or only the start; neither given: unpin both

    def describe(self, scenario: Scenario) -> str:
        return f"{self.event} is unpinned"

    def apply(self, scenario: Scenario, doc: Document, path: str) -> list[Problem]:
        return _unpin(doc, self, path)


class ResourceCapacity(Change):
    op: Literal["resource_capacity"]
    resource: str
    capacity: int = Field(ge=0)

    def describe(self, scenario: Scenario) -> str:
        return f"{self.resource} is cut to {self.capacity}"

    def apply(self, scenario: Scenario, doc: Document, path: str) -> list[Problem]:
        return _capacity(doc, self, path)

    def opens(self, before: Scenario, after: Scenario) -> bool:
        old = next((r.capacity for r in before.resources if r.id == self.resource), 0)
        return self.capacity > old


class RoomAdded(Change):
    op: Literal["room_added"]
    room: Room

    def describe(self, scenario: Scenario) -> str:
        return f"room {self.room.id} is added"

    def apply(self, scenario: Scenario, doc: Document, path: str) -> list[Problem]:
        return _add_room(doc, self, path)


class DayAdded(Change):
    op: Literal["day_added"]
    day: Day

    def describe(self, scenario: Scenario) -> str:
        return f"a day is added ({self.day.date})"

    def apply(self, scenario: Scenario, doc: Document, path: str) -> list[Problem]:
        return _add_day(doc, self, path)


# Reports from the summit day: facts, not requests. Each names what happened; a re-plan takes it as given (the
# event is pinned where it runs, its own time window waived) and the plan around it gives way.


class EventStarted(Change):
    """The event is running since ``at`` (in ``room``: by default its pinned room or, in a re-plan, its room in
    the standing timetable); it is never moved again. A start off the slot grid counts from the slot it falls in."""

    op: Literal["event_started"]
    event: str
    at: datetime
    room: str | None = None

    only_takes: ClassVar[bool] = True  # (a report that an event runs only takes time)

    def describe(self, scenario: Scenario) -> str:
        return f"{self.event} started at {_at(scenario, self.at)}"

    def apply(self, scenario: Scenario, doc: Document, path: str) -> list[Problem]:
        event, pinned, problems = _reported(scenario, doc, self, path, self.at)
        if event is not None:
            event["pinned"] = pinned
        return problems

    def placed(self, scenario: Scenario, previous: Timetable) -> Change:
        return _placed_report(scenario, self, previous)


class EventEnded(Change):
    """The event ended at ``at``: earlier than planned frees its room and people, later is an overrun. Its start is
    ``start`` when given, else its pin or, in a re-plan, its start in the standing timetable. The end counts up to
    the slot grid."""

    op: Literal["event_ended"]
    event: str
    at: datetime
    start: datetime | None = None
    room: str | None = None

    def describe(self, scenario: Scenario) -> str:
        return f"{self.event} ended at {_at(scenario, self.at)}"

    def apply(self, scenario: Scenario, doc: Document, path: str) -> list[Problem]:
        event, pinned, problems = _reported(scenario, doc, self, path, self.start)
        if event is None:
            return problems
        if "start" not in pinned:
            return [Problem(f"{path}.start", "the event's start is not known: give it, report event_started "
                            "first, or re-plan against the timetable", None)]
        start = scenario.localise(datetime.fromisoformat(pinned["start"]))
        end = on_grid(scenario, self.at, up=True)
        if end <= start:
            return [Problem(f"{path}.at", f"must be after the event's start ({start:%H:%M on %d %b})",
                            _iso(scenario, self.at))]
        event["duration_minutes"] = int((end - start) / timedelta(minutes=1))
        event["pinned"] = pinned
        return []

    def placed(self, scenario: Scenario, previous: Timetable) -> Change:
        return _placed_report(scenario, self, previous)


class EventRunningLate(Change):
    """The running event ends ``minutes`` later than planned (rounded up to the slot grid)."""

    op: Literal["event_running_late"]
    event: str
    minutes: int = Field(gt=0, le=24 * 60)
    start: datetime | None = None
    room: str | None = None

    only_takes: ClassVar[bool] = True  # (a report that an event runs late only takes time)
    def describe(self, scenario: Scenario) -> str:
        return f"{self.event} is running {self.minutes} minutes late"

    def apply(self, scenario: Scenario, doc: Document, path: str) -> list[Problem]:
        event, pinned, problems = _reported(scenario, doc, self, path, self.start)
        if event is not None:
            event["duration_minutes"] = int(event["duration_minutes"]) + rounded_minutes(scenario, self.minutes)
            event["pinned"] = pinned
        return problems

    def placed(self, scenario: Scenario, previous: Timetable) -> Change:
        return _placed_report(scenario, self, previous)


class ParticipantArrived(Change):
    """The participant is here from ``at``: available from then to the end of that day (whatever a delay said);
    what was before ``at`` stays as it was."""

    op: Literal["participant_arrived"]
    participant: str
    at: datetime

    def describe(self, scenario: Scenario) -> str:
        return f"{self.participant} arrived at {_at(scenario, self.at)}"

    def apply(self, scenario: Scenario, doc: Document, path: str) -> list[Problem]:
        return _arrived(scenario, doc["participants"], self, path)


REPORTS_ON_EVENTS = (EventStarted, EventEnded, EventRunningLate)


# Levers: edits an explanation tries ("what would let this request in?") that are not operations a planner sends
# in a changes file. They are changes like any other (applied and described the same way), outside ``AnyChange``.


class AvailableAlso(Change):
    """The participant is available from ``start`` to ``end`` too (an earlier arrival, a later departure), besides
    the windows they have."""

    op: Literal["available_also"] = "available_also"
    participant: str
    start: datetime
    end: datetime

    def describe(self, scenario: Scenario) -> str:
        return f"{self.participant} is also available {_at(scenario, self.start)}-{_until(scenario, self.end)}"

    def apply(self, scenario: Scenario, doc: Document, path: str) -> list[Problem]:
        person, problems = _person(doc, self.participant, path)
        if person is not None and person.get("available") is not None:  # (None: available all the time already)
            _add_window(scenario, person, scenario.localise(self.start), scenario.localise(self.end))
        return problems


class DailyLimitRaised(Change):
    """The participant may attend ``max_events_per_day`` events a day."""

    op: Literal["daily_limit"] = "daily_limit"
    participant: str
    max_events_per_day: int = Field(ge=0)

    def describe(self, scenario: Scenario) -> str:
        return f"{self.participant} may attend {self.max_events_per_day} events a day"

    def apply(self, scenario: Scenario, doc: Document, path: str) -> list[Problem]:
        person, problems = _person(doc, self.participant, path)
        if person is not None:
            person["max_events_per_day"] = self.max_events_per_day
        return problems


AnyChange = Annotated[
    ParticipantAvailability | ParticipantDelayed | RoomClosed | RoomReopened | EventAdded | EventCancelled
    | EventUpdated | PinEvent | UnpinEvent | ResourceCapacity | RoomAdded | DayAdded | EventStarted | EventEnded
    | EventRunningLate | ParticipantArrived,
    Field(discriminator="op"),
]
_CHANGES = TypeAdapter(list[AnyChange])
OPS = ("participant_availability", "participant_delayed", "room_closed", "room_reopened", "event_added",
       "event_cancelled", "event_updated", "pin", "unpin", "resource_capacity", "room_added", "day_added",
       "event_started", "event_ended", "event_running_late", "participant_arrived")


def parse_changes(data: Any) -> list[AnyChange]:
    """Validate a list of change operations (from JSON or YAML); every problem is reported."""
    if isinstance(data, dict) and "changes" in data:
        data = data["changes"]
    if not isinstance(data, list):
        raise ScenarioError([Problem("changes", "must be a list of operations", type(data).__name__)])
    try:
        return _CHANGES.validate_python(data)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            loc = ["changes", *[p for p in item["loc"] if p not in OPS]]
            message = item["msg"].removeprefix("Value error, ")
            if item["type"] == "union_tag_invalid":
                message = f"unknown op; allowed: {', '.join(OPS)}"
            elif item["type"] == "union_tag_not_found":
                message = "each change needs an 'op'"
            elif item["type"] == "extra_forbidden":
                message = "unknown field for this op"
            problems.append(Problem(format_path(loc), message, item.get("input")))
        raise ScenarioError(problems) from None


def load_changes(text: str, source: str = "<changes>") -> list[AnyChange]:
    return parse_changes(read_document(text, source))


def apply_changes(scenario: Scenario, changes: Sequence[Change]) -> Scenario:
    """A new scenario version with the changes applied in order; the original is unchanged."""
    document, problems = apply_to_document(scenario, changes)
    if problems:
        raise ScenarioError(problems)
    try:
        return parse_scenario(document)
    except ScenarioError as error:
        raise ScenarioError([Problem(f"after the changes: {p.path}", p.message, p.value)
                             for p in error.problems]) from None


def apply_to_document(scenario: Scenario, changes: Sequence[Change],
                      prefix: str = "changes") -> tuple[Document, list[Problem]]:
    """The scenario's document with the changes applied in order (each with its own ``apply``), and the problems
    found, each at ``prefix[i]``: the one way every edit of a scenario is made."""
    document = scenario.to_document()
    problems: list[Problem] = []
    for index, change in enumerate(changes):
        problems.extend(_apply(scenario, document, change, f"{prefix}[{index}]"))
    return document, problems


def _find(items: list[dict[str, Any]], key: str) -> dict[str, Any] | None:
    return next((item for item in items if item.get("id") == key), None)


def _unknown(path: str, kind: str, value: str, items: list[dict[str, Any]]) -> Problem:
    return Problem(path, f"unknown {kind}; {known_ids_hint(value, [str(i.get('id')) for i in items])}", value)


def _iso(scenario: Scenario, moment: datetime) -> str:
    return scenario.localise(moment).isoformat()


def _cut(windows: list[dict[str, Any]], start: datetime, end: datetime, scenario: Scenario) -> list[dict[str, Any]]:
    """Windows minus [start, end)."""
    kept = []
    for window in windows:
        w_start = scenario.localise(datetime.fromisoformat(window["start"]))
        w_end = scenario.localise(datetime.fromisoformat(window["end"]))
        if w_end <= start or w_start >= end:
            kept.append(window)
            continue
        if w_start < start:
            kept.append({**window, "start": w_start.isoformat(), "end": start.isoformat()})
        if w_end > end:
            kept.append({**window, "start": end.isoformat(), "end": w_end.isoformat()})
    return kept


def _apply(scenario: Scenario, doc: dict[str, Any], change: Change, path: str) -> list[Problem]:
    """One change on the scenario document (each change type applies itself: ``Change.apply``)."""
    for part in ("participants", "rooms", "events", "resources"):
        doc.setdefault(part, [])
    return change.apply(scenario, doc, path)


def _person(doc: Document, participant: str, path: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    person = _find(doc["participants"], participant)
    if person is None:
        return None, [_unknown(f"{path}.participant", "participant", participant, doc["participants"])]
    return person, []


def _set_availability(scenario: Scenario, doc: Document, change: ParticipantAvailability,
                      path: str) -> list[Problem]:
    person, problems = _person(doc, change.participant, path)
    if person is not None:
        person["available"] = [{"start": _iso(scenario, w.start), "end": _iso(scenario, w.end)}
                               for w in change.available]
    return problems


def _delay(scenario: Scenario, doc: Document, change: ParticipantDelayed, path: str) -> list[Problem]:
    person, problems = _person(doc, change.participant, path)
    if person is None:
        return problems
    windows = person.get("available")
    if windows is None:
        windows = [{"start": b.isoformat(), "end": e.isoformat()}
                   for b, e in (scenario.day_bounds(d) for d in scenario.days)]
    if change.arrival is not None:
        windows = _cut(windows, datetime.min.replace(tzinfo=scenario.tz), scenario.localise(change.arrival), scenario)
    if change.departure is not None:
        windows = _cut(windows, scenario.localise(change.departure), datetime.max.replace(tzinfo=scenario.tz),
                       scenario)
    person["available"] = windows
    return []


def _room_span(scenario: Scenario, doc: Document, change: RoomClosed | RoomReopened,
               path: str) -> tuple[dict[str, Any] | None, datetime, datetime, list[Problem]]:
    """The room a closure or a reopening names and its span, localised; the room is None with the problems found."""
    rooms = doc["rooms"]
    room = _find(rooms, change.room)
    # Localised first: a change made to apply from ``now`` on may hold an aware start and a naive end.
    start, end = scenario.localise(change.start), scenario.localise(change.end)
    if room is None:
        return None, start, end, [_unknown(f"{path}.room", "room", change.room, rooms)]
    if end <= start:
        return None, start, end, [Problem(f"{path}.end", "must be after start", _iso(scenario, change.end))]
    return room, start, end, []


def _add_event(doc: Document, change: EventAdded, path: str) -> list[Problem]:
    events = doc["events"]
    if _find(events, change.event.id) is not None:
        return [Problem(f"{path}.event.id", "an event with this id already exists", change.event.id)]
    events.append(change.event.model_dump(mode="json", by_alias=True, exclude_none=True))
    return []


def _event(doc: Document, event_id: str, path: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    event = _find(doc["events"], event_id)
    if event is None:
        return None, [_unknown(f"{path}.event", "event", event_id, doc["events"])]
    return event, []


def _cancel(doc: Document, change: EventCancelled, path: str) -> list[Problem]:
    event, problems = _event(doc, change.event, path)
    if event is None:
        return problems
    events = doc["events"]
    events.remove(event)
    for other in events:
        if change.event in other.get("after", []):
            other["after"] = [a for a in other["after"] if a != change.event]
    return []


def _update(doc: Document, change: EventUpdated, path: str) -> list[Problem]:
    event, problems = _event(doc, change.event, path)
    if event is None:
        return problems
    unknown = [key for key in change.set if key not in Event.model_fields or key == "id"]
    if unknown:
        return [Problem(f"{path}.set.{key}", "not a field of Event that can be changed "
                        "(the id cannot change)", key) for key in unknown]
    event.update(change.set)
    try:
        Event.model_validate(event)
    except ValidationError as error:
        return [Problem(f"{path}.set.{format_path(list(e['loc']))}", e["msg"], e.get("input"))
                for e in error.errors()]
    return []


def _pin(scenario: Scenario, doc: Document, change: PinEvent, path: str) -> list[Problem]:
    event, problems = _event(doc, change.event, path)
    if event is None:
        return problems
    if change.room is not None and _find(doc["rooms"], change.room) is None:
        return [_unknown(f"{path}.room", "room", change.room, doc["rooms"])]
    if change.room is None and change.start is None:
        return [Problem(path, "a pin needs a room, a start or both")]
    pinned = dict(event.get("pinned") or {})
    if change.room is not None:
        pinned["room"] = change.room
    if change.start is not None:
        pinned["start"] = _iso(scenario, change.start)
    event["pinned"] = pinned
    return []


def _unpin(doc: Document, change: UnpinEvent, path: str) -> list[Problem]:
    event, problems = _event(doc, change.event, path)
    if event is None:
        return problems
    pinned = dict(event.get("pinned") or {})
    both = change.room is None and change.start is None
    if both or change.room is not None:
        pinned.pop("room", None)
    if both or change.start is not None:
        pinned.pop("start", None)
    if pinned:
        event["pinned"] = pinned
    else:
        event.pop("pinned", None)
    return []


def _capacity(doc: Document, change: ResourceCapacity, path: str) -> list[Problem]:
    resources = doc["resources"]
    resource = _find(resources, change.resource)
    if resource is None:
        return [_unknown(f"{path}.resource", "resource", change.resource, resources)]
    resource["capacity"] = change.capacity
    return []


def _add_room(doc: Document, change: RoomAdded, path: str) -> list[Problem]:
    rooms = doc["rooms"]
    if _find(rooms, change.room.id) is not None:
        return [Problem(f"{path}.room.id", "a room with this id already exists", change.room.id)]
    rooms.append(change.room.model_dump(mode="json", by_alias=True, exclude_none=True))
    return []


def _add_day(doc: Document, change: DayAdded, path: str) -> list[Problem]:
    if any(str(d["date"]) == change.day.date.isoformat() for d in doc["days"]):
        return [Problem(f"{path}.day.date", "this day is already part of the summit", str(change.day.date))]
    doc["days"].append(change.day.model_dump(mode="json"))
    doc["days"].sort(key=lambda d: str(d["date"]))
    return []


def on_grid(scenario: Scenario, moment: datetime, up: bool = False) -> datetime:
    """``moment`` on the summit's slot grid: the start of the slot it falls in (``up``: the next slot boundary)."""
    local = scenario.localise(moment).replace(second=0, microsecond=0)
    extra = (local.hour * 60 + local.minute) % scenario.slot_minutes
    exact = extra == 0 and local == scenario.localise(moment)
    if exact:
        return local
    return local + timedelta(minutes=scenario.slot_minutes - extra) if up else local - timedelta(minutes=extra)


def rounded_minutes(scenario: Scenario, minutes: int) -> int:
    """``minutes`` rounded up to whole slots."""
    slot = scenario.slot_minutes
    return -(-minutes // slot) * slot


def _arrived(scenario: Scenario, participants: list[dict[str, Any]], change: ParticipantArrived,
             path: str) -> list[Problem]:
    """The participant is available from ``at`` to the end of that day, besides the windows they had."""
    person = _find(participants, change.participant)
    if person is None:
        return [_unknown(f"{path}.participant", "participant", change.participant, participants)]
    if person.get("available") is None:
        return []  # available all the time already
    moment = scenario.localise(change.at)
    day_end = next((end for start, end in (scenario.day_bounds(d) for d in scenario.days) if start <= moment < end),
                   None)
    if day_end is None:
        return [Problem(f"{path}.at", "is outside the summit's hours", _iso(scenario, change.at))]
    _add_window(scenario, person, moment, day_end)
    return []


def _add_window(scenario: Scenario, person: dict[str, Any], start: datetime, end: datetime) -> None:
    """The person's availability windows with [start, end) added (overlapping or touching windows merged)."""
    spans = sorted([(scenario.localise(datetime.fromisoformat(w["start"])),
                     scenario.localise(datetime.fromisoformat(w["end"]))) for w in person["available"]]
                   + [(start, end)])
    merged: list[list[datetime]] = []
    for low, high in spans:
        if merged and low <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], high)
        else:
            merged.append([low, high])
    person["available"] = [{"start": low.isoformat(), "end": high.isoformat()} for low, high in merged]


def _reported(scenario: Scenario, doc: dict[str, Any], change: EventStarted | EventEnded | EventRunningLate,
              path: str, start: datetime | None) -> tuple[dict[str, Any] | None, dict[str, Any], list[Problem]]:
    """A report on an event: the event (None with the problems found) and the pin of where it runs: its room, and
    ``start`` on the slot grid when the report says it. Each report sets its duration and the pin itself."""
    events: list[dict[str, Any]] = doc["events"]
    event = _find(events, change.event)
    if event is None:
        return None, {}, [_unknown(f"{path}.event", "event", change.event, events)]
    rooms: list[dict[str, Any]] = doc["rooms"]
    if change.room is not None and _find(rooms, change.room) is None:
        return None, {}, [_unknown(f"{path}.room", "room", change.room, rooms)]
    pinned = dict(event.get("pinned") or {})
    if change.room is not None:
        pinned["room"] = change.room
    if start is not None:
        pinned["start"] = on_grid(scenario, start).isoformat()
    return event, pinned, []


_LABELS_ONLY = {"priority", "title"}


def _clip(spans: list[Span], start: datetime | None, end: datetime | None) -> list[Span]:
    """The parts of ``spans`` within [start, end) (None: unbounded)."""
    clipped = []
    for low, high in spans:
        low = low if start is None else max(low, start)
        high = high if end is None else min(high, end)
        if low < high:
            clipped.append((low, high))
    return clipped


def windows_of(scenario: Scenario, participant: str) -> list[Span]:
    """The participant's availability windows, or the summit's days when none are given (an unknown
    participant gets the days too: applying the change then reports it by name)."""
    person = next((p for p in scenario.participants if p.id == participant), None)
    if person is not None and person.available is not None:
        return [(scenario.localise(w.start), scenario.localise(w.end)) for w in person.available]
    return [scenario.day_bounds(day) for day in scenario.days]


def _availability_from_now(scenario: Scenario, change: ParticipantAvailability | ParticipantDelayed,
                           moment: datetime, windows: dict[str, list[Span]], previous: Timetable | None) -> Change:
    """A change of a participant's windows from ``moment`` on: before it, their windows stay as they were (a
    Secretary-General delayed on day 2, reported on day 2, still attended day 1), and so does the time of their events
    that have started by ``moment`` (an event that runs is never moved or dropped). Said as the windows it leaves."""
    before = windows.get(change.participant) or windows_of(scenario, change.participant)
    after = sorted(_clip(before, None, moment) + _clip(change.future(scenario, before), moment, None))
    after = _with_running(after, _running_spans(scenario, previous, change.participant, moment))
    windows[change.participant] = after
    return ParticipantAvailability(op="participant_availability", participant=change.participant,
                                   available=[TimeWindow(start=start, end=end) for start, end in after])


def _running_spans(scenario: Scenario, previous: Timetable | None, participant: str, moment: datetime) -> list[Span]:
    """The participant's events of the standing timetable that have started by ``moment`` (running or over), as
    they stand there: a fact that a delay reported now does not undo."""
    if previous is None:
        return []
    theirs = {e.id for e in scenario.events if participant in e.participants}
    return [(scenario.localise(a.start), scenario.localise(a.end)) for a in previous.assignments
            if a.event in theirs and scenario.localise(a.start) < moment]


def _with_running(windows: list[Span], running: list[Span]) -> list[Span]:
    """``windows`` with the ``running`` spans added (merged where they touch or overlap)."""
    merged: list[Span] = []
    for low, high in sorted(windows + running):
        if merged and low <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


def _placed_report(scenario: Scenario, change: EventStarted | EventEnded | EventRunningLate,
                   previous: Timetable) -> Change:
    """A report on an event with its room and start filled from the standing timetable (when the report does not
    say them and the event has no pin of its own)."""
    old = next((a for a in previous.assignments if a.event == change.event), None)
    event = next((e for e in scenario.events if e.id == change.event), None)
    if old is None or event is None:
        return change
    pin = event.pinned
    update: dict[str, object] = {}
    if change.room is None and (pin is None or pin.room is None):
        update["room"] = old.room
    has_start = "start" in type(change).model_fields  # (a report that the event started says its start)
    if has_start and getattr(change, "start", None) is None and (pin is None or pin.start is None):
        update["start"] = scenario.localise(old.start)
    return change.model_copy(update=update) if update else change
