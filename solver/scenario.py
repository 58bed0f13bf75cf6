"""The scenario contract (``shared/docs/scenario-format.md``) as pydantic v2 models.

Reading a scenario goes through :func:`parse_scenario` (or :func:`load_scenario` for a
file). It collects *every* problem it can find, each naming the path
(``events[12].participants[1]``), the bad value and what is allowed, and raises one
:class:`ScenarioError` that carries them all.

All date-times are normalised to aware ``datetime`` objects in the scenario's timezone:
a local time without offset means the scenario's zone, one with an offset is converted.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date as Date
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_serializer,
    field_validator,
    model_validator,
)

Tier = Literal["vvip", "vip", "standard"]
EventKind = Literal["high_level", "round_table", "bilateral", "other"]
Id = Annotated[str, Field(min_length=1)]

# Upper bounds of the contract's numbers: what the solver's 64-bit model and the store's 32-bit columns
# hold with room to spare (the objective, a sum of priorities over up to 20,000 events, stays below 2^31).
MAX_MINUTES = 24 * 60  # durations, travel, breaks, changeovers, sweeps: nothing lasts longer than a day
MAX_SEATS = 100_000  # room capacity, attendance
MAX_PRIORITY = 10_000
MAX_AMOUNT = 1_000_000  # resource capacity and use
MAX_COUNT = 100_000  # events per day, vvip events per zone


class ContractModel(BaseModel):
    """Base of every scenario model: unknown fields are an error (they are usually typos)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _hhmm(value: Any) -> Any:
    # YAML 1.1 reads an unquoted 10:30 as the base-60 integer 630, i.e. minutes since midnight.
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 24 * 60:
        if value == 24 * 60:
            return "23:59:59.999999"
        return time(value // 60, value % 60)
    if value == "24:00":
        return "23:59:59.999999"
    if isinstance(value, str) and len(value) == 4 and value[1] == ":":
        return "0" + value  # "9:00" -> "09:00"
    return value


class Day(ContractModel):
    """One working day: events happen between ``start`` and ``end`` local time."""

    date: Date
    start: time
    end: time

    _parse_start = field_validator("start", "end", mode="before")(_hhmm)

    @field_serializer("start", "end")
    def _as_hhmm(self, value: time) -> str:
        return "24:00" if value == time(23, 59, 59, 999999) else f"{value:%H:%M}"


class Zone(ContractModel):
    id: Id
    name: str = ""


class Travel(ContractModel):
    """Symmetric travel time between two zones, in minutes."""

    from_: Id = Field(alias="from")
    to: Id
    minutes: int = Field(ge=0, le=MAX_MINUTES)


class TimeWindow(ContractModel):
    start: datetime
    end: datetime

    @model_validator(mode="after")
    def _ordered(self) -> TimeWindow:
        # A local time and one with an offset can only be compared once the scenario's zone is
        # known: check_references does that for mixed windows.
        if (self.start.tzinfo is None) == (self.end.tzinfo is None) and self.end <= self.start:
            raise ValueError(f"end {self.end.isoformat()} must be after start {self.start.isoformat()}")
        return self


class Unavailability(TimeWindow):
    reason: str = ""


class Room(ContractModel):
    id: Id
    name: str = ""
    zone: Id = "main"
    capacity: int = Field(gt=0, le=MAX_SEATS)
    features: list[str] = Field(default_factory=list)
    security_level: int = Field(default=0, ge=0, le=3)
    unavailable: list[Unavailability] = Field(default_factory=list)
    changeover_minutes: int = Field(default=0, ge=0, le=MAX_MINUTES)
    # An addition to the contract: what sort of room this is, for reports (room utilisation per type),
    # e.g. plenary, hall, round_table, bilateral, salon, press. Absent: derived from the features.
    type: str | None = Field(default=None, max_length=40)

    @property
    def room_type(self) -> str:
        return self.type or ("+".join(sorted(self.features)) or "general")


class Participant(ContractModel):
    id: Id
    name: str = ""
    delegation: str = ""
    role: str = ""
    tier: Tier = "standard"
    available: list[TimeWindow] | None = None
    max_events_per_day: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    min_break_minutes: int = Field(default=0, ge=0, le=MAX_MINUTES)


class Pin(ContractModel):
    room: Id | None = None
    start: datetime | None = None


class Event(ContractModel):
    id: Id
    title: str = ""
    kind: EventKind = "other"
    duration_minutes: int = Field(gt=0, le=MAX_MINUTES)
    participants: list[Id] = Field(default_factory=list)
    attendance: int = Field(default=1, gt=0, le=MAX_SEATS)
    features: list[str] = Field(default_factory=list)
    rooms: list[Id] | None = None
    earliest: datetime | None = None
    latest_end: datetime | None = None
    required: bool = True
    priority: int = Field(default=1, ge=0, le=MAX_PRIORITY)
    pinned: Pin | None = None
    after: list[Id] = Field(default_factory=list)
    exclusive: bool = False
    uses: dict[str, Annotated[int, Field(gt=0, le=MAX_AMOUNT)]] = Field(default_factory=dict)
    # an addition: the shortest the event may run when a re-plan after a report shortens it (absent: never shortened)
    min_duration_minutes: int | None = Field(default=None, gt=0, le=MAX_MINUTES)

    @model_validator(mode="before")
    @classmethod
    def _contract_defaults(cls, data: Any) -> Any:
        # Defaults that depend on other fields: bilaterals are optional unless said otherwise,
        # and the seats needed default to the number of participants.
        if isinstance(data, dict):
            data = dict(data)
            if data.get("required") is None:
                data["required"] = data.get("kind") != "bilateral"
            if data.get("attendance") is None:
                people = data.get("participants")
                data["attendance"] = max(1, len(people)) if isinstance(people, list) else 1
        return data


class Resource(ContractModel):
    id: Id
    name: str = ""
    capacity: int = Field(ge=0, le=MAX_AMOUNT)


class Security(ContractModel):
    vvip_min_room_level: int = Field(default=0, ge=0, le=3)
    sweep_minutes: int = Field(default=0, ge=0, le=MAX_MINUTES)
    max_vvip_events_per_zone: dict[str, Annotated[int, Field(ge=0, le=MAX_COUNT)]] = Field(default_factory=dict)


class Overrun(ContractModel):
    """How late something may run: with ``probability`` it is late, then by a number of minutes drawn from
    an exponential spread of mean ``mean_minutes``, never more than ``max_minutes``."""

    probability: float = Field(ge=0.0, le=1.0)
    mean_minutes: float = Field(default=10.0, ge=0.0, le=MAX_MINUTES)
    max_minutes: int = Field(default=30, ge=0, le=MAX_MINUTES)


# The defaults a planner would accept for a summit like Hanoi (each with its reason, docs/scenario.md):
# ceremonies with heads of state run long most of the time (speeches, photo lines, signing queues);
# round tables run over when ministers take the floor; bilaterals of 30-45 minutes often gain ten minutes
# ("one more point"); other events rarely. Motorcades are late now and then despite closed roads;
# delegates arriving by shuttle less often.
DEFAULT_KIND_OVERRUNS: dict[str, Overrun] = {
    "high_level": Overrun(probability=0.5, mean_minutes=15, max_minutes=45),
    "round_table": Overrun(probability=0.35, mean_minutes=10, max_minutes=30),
    "bilateral": Overrun(probability=0.25, mean_minutes=10, max_minutes=20),
    "other": Overrun(probability=0.15, mean_minutes=10, max_minutes=20),
}
DEFAULT_ARRIVAL_DELAYS: dict[str, Overrun] = {
    "vvip": Overrun(probability=0.1, mean_minutes=10, max_minutes=30),
    "vip": Overrun(probability=0.05, mean_minutes=10, max_minutes=30),
    "standard": Overrun(probability=0.02, mean_minutes=5, max_minutes=15),
}


class Overruns(ContractModel):
    """An addition to the contract: the overrun model of the summit, read by ``summit replay`` and the
    robust solve. Every part is optional; what is absent takes the defaults above."""

    kinds: dict[EventKind, Overrun] = Field(default_factory=dict)
    events: dict[str, Overrun] = Field(default_factory=dict)
    arrivals: dict[Tier, Overrun] = Field(default_factory=dict)
    robust: bool = False  # the default of `summit solve --robust` for this scenario
    # what one buffer (a slot a vvip is left free right after an event of theirs) is worth, in priority points:
    # 0 = no request is ever given up for a buffer (the robust solve only moves events); above 0 the robust solve
    # leaves a request out when the buffers it takes away are worth more than its priority (solver/buffers.py)
    buffer_value: float = Field(default=0.0, ge=0.0, le=MAX_COUNT)
    # the share of the requests' value the robust solve may give up where most replayed cascades run (0.02: at most
    # 2 % of it); 0 = none (solver/cascades.py)
    cascade_budget: float = Field(default=0.0, ge=0.0, le=1.0)
    # read so that older scenarios load; the robust solve sizes its slack by the replay (solver/slack.py)
    buffer_minutes: int | None = Field(default=None, ge=0, le=MAX_MINUTES)

    def for_event(self, event: Event) -> Overrun:
        """The overrun of one event: its own, else its kind's, else the default of its kind."""
        return self.events.get(event.id) or self.kinds.get(event.kind) or DEFAULT_KIND_OVERRUNS[event.kind]

    def arrival(self, tier: Tier) -> Overrun:
        """The arrival delay of a participant of this tier on each day."""
        return self.arrivals.get(tier) or DEFAULT_ARRIVAL_DELAYS[tier]


class Shortening(ContractModel):
    """An addition: how many minutes an event of each kind may lose when a re-plan after a report (an overrun, a late
    arrival) shortens it rather than moving or dropping it, e.g. ``{round_table: 15}``. An event's own
    ``min_duration_minutes`` wins over its kind's."""

    kinds: dict[EventKind, Annotated[int, Field(gt=0, le=MAX_MINUTES)]] = Field(default_factory=dict)


class Scenario(ContractModel):
    name: str = "summit"
    timezone: str = "UTC"
    slot_minutes: int = Field(default=15, ge=5, le=60)
    days: list[Day] = Field(min_length=1)
    zones: list[Zone] = Field(default_factory=lambda: [Zone(id="main", name="main")])
    travel_minutes: list[Travel] = Field(default_factory=list)
    rooms: list[Room] = Field(default_factory=list)
    participants: list[Participant] = Field(default_factory=list)
    events: list[Event] = Field(default_factory=list)
    resources: list[Resource] = Field(default_factory=list)
    security: Security | None = None
    overruns: Overruns | None = None  # an addition: how late things run (absent = the defaults)
    shortening: Shortening | None = None  # an addition: what each kind of event may lose in a re-plan

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown timezone {value!r}: use an IANA name such as 'Asia/Ho_Chi_Minh' or 'UTC'"
            ) from None
        return value

    @model_validator(mode="after")
    def _localise_times(self) -> Scenario:
        tz = ZoneInfo(self.timezone)
        for window in self._all_windows():
            window.start, window.end = _localise(window.start, tz), _localise(window.end, tz)
        for event in self.events:
            if event.earliest is not None:
                event.earliest = _localise(event.earliest, tz)
            if event.latest_end is not None:
                event.latest_end = _localise(event.latest_end, tz)
            if event.pinned is not None and event.pinned.start is not None:
                event.pinned.start = _localise(event.pinned.start, tz)
        return self

    def _all_windows(self) -> Iterable[TimeWindow]:
        for room in self.rooms:
            yield from room.unavailable
        for person in self.participants:
            yield from person.available or []

    # -- convenient views -------------------------------------------------------------
    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def overrun_model(self) -> Overruns:
        """The scenario's overrun model, or the defaults when it gives none."""
        return self.overruns if self.overruns is not None else Overruns()

    @property
    def sweep_minutes(self) -> int:
        return self.security.sweep_minutes if self.security else 0

    @property
    def vvip_min_room_level(self) -> int:
        return self.security.vvip_min_room_level if self.security else 0

    def min_duration(self, event: Event) -> int:
        """The shortest ``event`` may run in a re-plan after a report, in minutes: its own ``min_duration_minutes``,
        else its planned duration less what its kind may lose (``shortening.kinds``, never under one slot), else its
        planned duration (never shortened)."""
        if event.min_duration_minutes is not None:
            return min(event.min_duration_minutes, event.duration_minutes)
        loss = self.shortening.kinds.get(event.kind) if self.shortening is not None else None
        if loss is None:
            return event.duration_minutes
        return max(event.duration_minutes - loss, min(self.slot_minutes, event.duration_minutes))

    def day_bounds(self, day: Day) -> tuple[datetime, datetime]:
        """Aware start and end of a working day."""
        start = datetime.combine(day.date, day.start, self.tz)
        end = datetime.combine(day.date, day.end, self.tz)
        if day.end == time(23, 59, 59, 999999):
            end = datetime.combine(day.date + timedelta(days=1), time(0, 0), self.tz)
        return start, end

    def localise(self, moment: datetime) -> datetime:
        return _localise(moment, self.tz)

    def fingerprint(self) -> str:
        """sha256 of the canonical JSON form: same content, same fingerprint."""
        document = self.model_dump(mode="json", by_alias=True)
        for addition in ("overruns", "shortening"):  # an absent addition leaves older fingerprints as they were
            if document.get(addition) is None:
                document.pop(addition, None)
        for event in document.get("events", []):
            if event.get("min_duration_minutes") is None:
                event.pop("min_duration_minutes", None)
        canonical = json.dumps(document, sort_keys=True, separators=(",", ":"))
        return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()

    def to_document(self) -> dict[str, Any]:
        """The scenario as plain JSON-able data, in the contract's field names."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


def _localise(moment: datetime, tz: ZoneInfo) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=tz)
    return moment.astimezone(tz)


# --------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario: where, what value, and what is allowed."""

    path: str
    message: str
    value: Any = None

    line: int | None = None  # the line of the file the path points to, when read from a file

    def __str__(self) -> str:
        shown = "" if self.value is None else f" (got {_short(self.value)})"
        where = self.path or "scenario"
        at = f"line {self.line}: " if self.line is not None else ""
        return f"{at}{where}: {self.message}{shown}"

    def to_dict(self) -> dict[str, Any]:
        value = self.value if isinstance(self.value, str | int | float | bool | None) else _short(self.value)
        out = {"path": self.path, "message": self.message, "value": value}
        if self.line is not None:
            out["line"] = self.line
        return out


def known_ids_hint(value: Any, ids: Iterable[str], noun: str = "id") -> str:
    """What to write instead of an unknown id: the nearest ids ("did you mean 'brn-hod'?"), else how many exist."""
    ordered = sorted(set(ids))
    if not ordered:
        return f"no {noun} is defined"
    near = difflib.get_close_matches(str(value), ordered, n=3, cutoff=0.6)
    if near:
        return "did you mean " + " or ".join(repr(n) for n in near) + "?"
    if len(ordered) <= 8:
        return "one of: " + ", ".join(ordered)
    return f"none of the {len(ordered)} {noun}s is close (e.g. {', '.join(ordered[:3])})"


def lines_of_paths(text: str, paths: Iterable[str]) -> dict[str, int]:
    """The 1-based line of each problem path ("events[3].participants[1]") in a YAML or JSON text; a path that
    does not lead to a node points at its nearest parent that does."""
    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return {}
    out: dict[str, int] = {}
    for path in paths:
        node, line = root, None
        for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
            if node is None:
                break
            line = node.start_mark.line + 1
            node = _child(node, part)
        if node is not None:
            line = node.start_mark.line + 1
        if line is not None and path:
            out[path] = line
    return out


def _child(node: Any, part: str) -> Any:
    if part.startswith("[") and isinstance(node, yaml.SequenceNode):
        index = int(part[1:-1])
        return node.value[index] if index < len(node.value) else None
    if isinstance(node, yaml.MappingNode):
        return next((value for key, value in node.value if getattr(key, "value", None) == part), None)
    return None


class ScenarioError(ValueError):
    """A scenario that breaks the contract; ``problems`` lists every problem found."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"the scenario has {len(self.problems)} problem(s):\n{lines}")


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def format_path(loc: Sequence[str | int]) -> str:
    """('events', 12, 'participants', 1) -> 'events[12].participants[1]'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


def _problems_from_validation(error: ValidationError) -> list[Problem]:
    problems = []
    for item in error.errors():
        # Drop pydantic's tag entries for unions and function validators from the path.
        loc = [p for p in item["loc"] if not (isinstance(p, str) and ("[" in p or p.startswith("function-")))]
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown field: not part of the scenario format"
        problems.append(Problem(format_path(loc), message, item.get("input")))
    return problems


# --------------------------------------------------------------------------------------
# Cross-reference checks: what pydantic cannot see field by field
# --------------------------------------------------------------------------------------


def check_references(scenario: Scenario) -> list[Problem]:
    """Every cross-field rule of the contract, each broken one reported with its path."""
    ids = _Ids.of(scenario)
    problems = _duplicate_ids(scenario) + _day_problems(scenario) + _travel_problems(scenario, ids)
    problems += _window_problems(scenario, ids)
    for index, event in enumerate(scenario.events):
        problems += _event_problems(scenario, ids, f"events[{index}]", event)
    problems += _overrun_and_security_problems(scenario, ids)
    problems.extend(_after_cycles(scenario))
    return problems


@dataclass(frozen=True)
class _Ids:
    """The ids a scenario defines, by kind, for checking what refers to them."""

    zones: set[str]
    rooms: set[str]
    people: set[str]
    events: set[str]
    resources: set[str]

    @classmethod
    def of(cls, scenario: Scenario) -> _Ids:
        return cls({z.id for z in scenario.zones}, {r.id for r in scenario.rooms},
                   {p.id for p in scenario.participants}, {e.id for e in scenario.events},
                   {r.id for r in scenario.resources})


def _duplicate_ids(scenario: Scenario) -> list[Problem]:
    """Ids are unique within each list (zones, rooms, participants, events, resources)."""
    problems = []
    for list_name in ("zones", "rooms", "participants", "events", "resources"):
        seen: dict[str, int] = {}
        for index, item in enumerate(getattr(scenario, list_name)):
            if item.id in seen:
                problems.append(Problem(f"{list_name}[{index}].id",
                                        f"duplicate id, already used by {list_name}[{seen[item.id]}]", item.id))
            else:
                seen[item.id] = index
    return problems


def _day_problems(scenario: Scenario) -> list[Problem]:
    """Each day appears once, ends after it starts, and starts and ends on the slot grid."""
    problems = []
    slot = scenario.slot_minutes
    seen_dates: dict[Date, int] = {}
    for index, day in enumerate(scenario.days):
        if day.date in seen_dates:
            problems.append(Problem(f"days[{index}].date", f"duplicate day, already days[{seen_dates[day.date]}]",
                                    str(day.date)))
        seen_dates[day.date] = index
        start, end = scenario.day_bounds(day)
        if end <= start:
            problems.append(Problem(f"days[{index}].end", f"must be after the day's start {day.start:%H:%M}",
                                    f"{day.end:%H:%M}"))
        for field, moment in (("start", start), ("end", end)):
            if not _on_grid(moment, slot):
                problems.append(Problem(f"days[{index}].{field}", f"must lie on the {slot}-minute grid",
                                        f"{moment:%H:%M}"))
    return problems


def _travel_problems(scenario: Scenario, ids: _Ids) -> list[Problem]:
    """Travel times name known zones."""
    return [Problem(f"travel_minutes[{index}].{field}", f"unknown zone; {known_ids_hint(zone, ids.zones)}", zone)
            for index, travel in enumerate(scenario.travel_minutes)
            for field, zone in (("from", travel.from_), ("to", travel.to)) if zone not in ids.zones]


def _window_problems(scenario: Scenario, ids: _Ids) -> list[Problem]:
    """Every window ends after it starts; rooms sit in known zones; rooms' closures and participants'
    availability touch a summit day."""
    problems = [Problem(path, f"end {span.end.isoformat()} must be after start {span.start.isoformat()}")
                for path, span in _windows_with_paths(scenario) if span.end <= span.start]
    for index, room in enumerate(scenario.rooms):
        if room.zone not in ids.zones:
            problems.append(Problem(f"rooms[{index}].zone", f"unknown zone; {known_ids_hint(room.zone, ids.zones)}",
                                    room.zone))
        for w_index, window in enumerate(room.unavailable):
            if not _touches_days(scenario, window.start, window.end):
                problems.append(Problem(f"rooms[{index}].unavailable[{w_index}]",
                                        "window lies outside every summit day",
                                        f"{window.start.isoformat()} - {window.end.isoformat()}"))
    for index, person in enumerate(scenario.participants):
        for w_index, span in enumerate(person.available or []):
            if not _touches_days(scenario, span.start, span.end):
                problems.append(Problem(f"participants[{index}].available[{w_index}]",
                                        "window lies outside every summit day",
                                        f"{span.start.isoformat()} - {span.end.isoformat()}"))
    return problems


def _event_problems(scenario: Scenario, ids: _Ids, where: str, event: Event) -> list[Problem]:
    """An event's duration is whole slots, and everything it names (participants, rooms, predecessors,
    resources) exists; its window and pinned start lie within the summit."""
    problems: list[Problem] = []
    add = problems.append
    slot = scenario.slot_minutes
    if event.duration_minutes % slot:
        add(Problem(f"{where}.duration_minutes", f"must be a multiple of slot_minutes ({slot})",
                    event.duration_minutes))
    problems += _min_duration_problems(scenario, where, event)
    seen_people: set[str] = set()
    for p_index, pid in enumerate(event.participants):
        if pid not in ids.people:
            add(Problem(f"{where}.participants[{p_index}]",
                        f"unknown participant id in event {event.id}; {known_ids_hint(pid, ids.people)}", pid))
        elif pid in seen_people:
            add(Problem(f"{where}.participants[{p_index}]", "participant listed twice", pid))
        seen_people.add(pid)
    for r_index, rid in enumerate(event.rooms or []):
        if rid not in ids.rooms:
            add(Problem(f"{where}.rooms[{r_index}]", f"unknown room; {known_ids_hint(rid, ids.rooms)}", rid))
    if event.rooms is not None and not event.rooms:
        add(Problem(f"{where}.rooms", "an empty list allows no room: omit the field to allow any room", []))
    for a_index, other in enumerate(event.after):
        if other not in ids.events:
            add(Problem(f"{where}.after[{a_index}]",
                        f"unknown event id in event {event.id}; {known_ids_hint(other, ids.events)}", other))
        elif other == event.id:
            add(Problem(f"{where}.after[{a_index}]", "an event cannot follow itself", other))
    for resource in event.uses:
        if resource not in ids.resources:
            add(Problem(f"{where}.uses.{resource}", f"unknown resource; {known_ids_hint(resource, ids.resources)}",
                        resource))
    return problems + _event_time_problems(scenario, ids, where, event)


def _min_duration_problems(scenario: Scenario, where: str, event: Event) -> list[Problem]:
    """An event's shortest duration is whole slots and no longer than its planned duration."""
    shortest = event.min_duration_minutes
    if shortest is None:
        return []
    slot = scenario.slot_minutes
    if shortest > event.duration_minutes:
        return [Problem(f"{where}.min_duration_minutes", f"must be at most the event's duration_minutes "
                        f"({event.duration_minutes}): it is the shortest the event may run", shortest)]
    if shortest % slot:
        return [Problem(f"{where}.min_duration_minutes", f"must be a multiple of slot_minutes ({slot}), e.g. "
                        f"{-(-shortest // slot) * slot}", shortest)]
    return []


def _event_time_problems(scenario: Scenario, ids: _Ids, where: str, event: Event) -> list[Problem]:
    """An event's earliest start and latest end lie within the summit, in that order; a pinned event names a
    known room and starts on the grid, inside a day's hours. (Whether its run fits before the day's close is the
    compile's to say: only an event that runs, a summit-day report's fact, may end past it; any other pinned so is
    refused there, by name: :func:`solver.compile.compile_scenario`.)"""
    problems: list[Problem] = []
    add = problems.append
    slot = scenario.slot_minutes
    for field in ("earliest", "latest_end"):
        moment = getattr(event, field)
        if moment is not None and not _within_summit(scenario, moment):
            add(Problem(f"{where}.{field}", "lies outside the summit's days", moment.isoformat()))
    if event.earliest and event.latest_end and event.latest_end <= event.earliest:
        add(Problem(f"{where}.latest_end", f"must be after earliest {event.earliest.isoformat()}",
                    event.latest_end.isoformat()))
    if event.pinned is None:
        return problems
    if event.pinned.room is not None and event.pinned.room not in ids.rooms:
        add(Problem(f"{where}.pinned.room", f"unknown room; {known_ids_hint(event.pinned.room, ids.rooms)}",
                    event.pinned.room))
    pinned_start = event.pinned.start
    if pinned_start is not None:
        if not _on_grid(pinned_start, slot):
            add(Problem(f"{where}.pinned.start", f"must lie on the {slot}-minute grid", pinned_start.isoformat()))
        elif not _inside_a_day(scenario, pinned_start, pinned_start + timedelta(minutes=slot)):
            add(Problem(f"{where}.pinned.start", "the pinned event does not start inside a day's hours",
                        pinned_start.isoformat()))
    return problems


def _overrun_and_security_problems(scenario: Scenario, ids: _Ids) -> list[Problem]:
    """The overrun model names known events; the security rules name known zones."""
    problems = []
    if scenario.overruns is not None:
        problems += [Problem(f"overruns.events.{event_id}", "unknown event id", event_id)
                     for event_id in scenario.overruns.events if event_id not in ids.events]
    if scenario.shortening is not None:
        slot = scenario.slot_minutes
        problems += [Problem(f"shortening.kinds.{kind}", f"must be a multiple of slot_minutes ({slot}): the minutes "
                             f"an event of this kind may lose", minutes)
                     for kind, minutes in scenario.shortening.kinds.items() if minutes % slot]
    if scenario.security is not None:
        problems += [Problem(f"security.max_vvip_events_per_zone.{zone}",
                             f"unknown zone; {known_ids_hint(zone, ids.zones)}", zone)
                     for zone in scenario.security.max_vvip_events_per_zone if zone not in ids.zones]
    return problems


def _windows_with_paths(scenario: Scenario) -> Iterable[tuple[str, TimeWindow]]:
    for index, room in enumerate(scenario.rooms):
        for w_index, window in enumerate(room.unavailable):
            yield f"rooms[{index}].unavailable[{w_index}]", window
    for index, person in enumerate(scenario.participants):
        for w_index, span in enumerate(person.available or []):
            yield f"participants[{index}].available[{w_index}]", span


def _on_grid(moment: datetime, slot: int) -> bool:
    return moment.second == 0 and moment.microsecond == 0 and (moment.hour * 60 + moment.minute) % slot == 0


def _within_summit(scenario: Scenario, moment: datetime) -> bool:
    first, _ = scenario.day_bounds(min(scenario.days, key=lambda d: d.date))
    _, last = scenario.day_bounds(max(scenario.days, key=lambda d: d.date))
    return first - timedelta(days=1) <= moment <= last + timedelta(days=1)


def _touches_days(scenario: Scenario, start: datetime, end: datetime) -> bool:
    for day in scenario.days:
        d_start, d_end = scenario.day_bounds(day)
        if start < d_end and d_start < end:
            return True
    return False


def _inside_a_day(scenario: Scenario, start: datetime, end: datetime) -> bool:
    for day in scenario.days:
        d_start, d_end = scenario.day_bounds(day)
        if d_start <= start and end <= d_end:
            return True
    return False


def _after_cycles(scenario: Scenario) -> list[Problem]:
    """Report each cycle in the ``after`` relation once, naming its events in order."""
    index_of = {e.id: i for i, e in enumerate(scenario.events)}
    successors = {e.id: [a for a in e.after if a in index_of and a != e.id] for e in scenario.events}
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    problems: list[Problem] = []
    for root in successors:
        if state.get(root):
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        path: list[str] = [root]
        state[root] = 1
        while stack:
            node, next_child = stack[-1]
            children = successors[node]
            if next_child < len(children):
                stack[-1] = (node, next_child + 1)
                child = children[next_child]
                if state.get(child) == 1:
                    cycle = path[path.index(child):] + [child]
                    problems.append(Problem(
                        f"events[{index_of[child]}].after",
                        "cycle in 'after': " + " -> ".join(reversed(cycle)) + " (each must end before the next starts)",
                        child))
                elif not state.get(child):
                    state[child] = 1
                    stack.append((child, 0))
                    path.append(child)
            else:
                state[node] = 2
                stack.pop()
                path.pop()
    return problems


# --------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------


def parse_scenario(data: Any) -> Scenario:
    """Validate raw data (a dict from JSON or YAML) into a :class:`Scenario`, or raise ScenarioError."""
    if not isinstance(data, dict):
        raise ScenarioError([Problem("", "a scenario must be a mapping of fields", type(data).__name__)])
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as error:
        # Report the broken fields and, so that one pass shows everything, the unknown ids too.
        problems = _problems_from_validation(error)
        seen = {p.path for p in problems}
        problems += [p for p in _raw_reference_problems(data) if p.path not in seen]
        raise ScenarioError(problems) from None
    problems = check_references(scenario)
    if problems:
        raise ScenarioError(problems)
    return scenario


def _raw_reference_problems(data: dict[str, Any]) -> list[Problem]:
    """Unknown ids in a document that failed field validation (read leniently from the raw data)."""

    def ids(name: str) -> set[str]:
        items = data.get(name)
        return {str(i["id"]) for i in items if isinstance(i, dict) and "id" in i} if isinstance(items, list) else set()

    known = {"participants": ids("participants"), "rooms": ids("rooms"), "events": ids("events"),
             "resources": ids("resources"), "zones": ids("zones") if "zones" in data else {"main"}}
    problems: list[Problem] = []
    def listed(name: str) -> list[Any]:
        items = data.get(name)
        return items if isinstance(items, list) else []

    for index, room in enumerate(listed("rooms")):
        if isinstance(room, dict) and isinstance(room.get("zone"), str) and room["zone"] not in known["zones"]:
            problems.append(Problem(f"rooms[{index}].zone", "unknown zone", room["zone"]))
    for index, event in enumerate(listed("events")):
        if not isinstance(event, dict):
            continue
        for field, kind, label in (("participants", "participants", "participant id"), ("rooms", "rooms", "room"),
                                   ("after", "events", "event id")):
            values = event.get(field)
            for v_index, value in enumerate(values if isinstance(values, list) else []):
                if isinstance(value, str) and value not in known[kind]:
                    named = f" in event {event['id']}" if isinstance(event.get("id"), str) else ""
                    problems.append(Problem(f"events[{index}].{field}[{v_index}]",
                                            f"unknown {label}{named}; {known_ids_hint(value, known[kind])}", value))
        uses = event.get("uses")
        for resource in uses if isinstance(uses, dict) else {}:
            if resource not in known["resources"]:
                problems.append(Problem(f"events[{index}].uses.{resource}", "unknown resource", resource))
    return problems


def read_document(text: str, source: str = "<input>") -> Any:
    """Parse JSON or YAML text (YAML is tried when JSON fails), with a clear error."""
    stripped = text.lstrip()
    if stripped.startswith("{") or stripped.startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise ScenarioError([Problem("", f"{source} is not valid JSON: {error.msg} at line {error.lineno}, "
                                             f"column {error.colno}")]) from None
    try:  # libyaml's loader when present: ten times faster on large scenarios
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 (a safe loader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ScenarioError([Problem("", f"{source} is not valid YAML{where}: "
                                         f"{getattr(error, 'problem', None) or error}")]) from None


def read_document_file(path: str | Path, what: str = "scenario") -> Any:
    """The JSON or YAML content of a file, with a clear error if it cannot be read or parsed."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        raise ScenarioError([Problem("", f"cannot read {what} file {file}: {error.strerror}")]) from None
    return read_document(text, str(file))


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario file (.yaml, .yml or .json); each problem names the file's line it points to."""
    document = read_document_file(path)
    try:
        return parse_scenario(document)
    except ScenarioError as error:
        lines = lines_of_paths(Path(path).read_text(encoding="utf-8"), [p.path for p in error.problems])
        raise ScenarioError([replace(p, line=lines.get(p.path)) for p in error.problems]) from None


def dump_scenario(scenario: Scenario, path: str | Path) -> None:
    """Write a scenario as YAML or JSON according to the file's extension."""
    file = Path(path)
    document = scenario.to_document()
    if file.suffix == ".json":
        file.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    else:
        file.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=120), encoding="utf-8")


__all__ = [
    "Day", "Event", "Overrun", "Overruns", "Participant", "Pin", "Problem", "Resource", "Room", "Scenario",
    "ScenarioError",
    "Security", "TimeWindow", "Travel", "Unavailability", "Zone", "available_timezones",
    "check_references", "dump_scenario", "format_path", "load_scenario", "parse_scenario", "read_document",
]
