"""What a change touches: the freeze window, whether it gives back time, rooms or capacity (so that requests
left out before may come in), and the events a resource cut leaves over capacity, with the least disruption that
forces."""

from __future__ import annotations

import math
from collections.abc import Set as AbstractSet
from datetime import datetime, timedelta

from ortools.sat.python import cp_model

from solver import cpsat
from solver.changes import (
    REPORTS_ON_EVENTS,
    AnyChange,
    EventAdded,
    EventRunningLate,
    EventStarted,
    EventUpdated,
    ParticipantAvailability,
    ParticipantDelayed,
    PinEvent,
    ResourceCapacity,
    RoomClosed,
    apply_changes,
)
from solver.compile import Instance
from solver.replan.plan import PreviousPlan
from solver.scenario import Event, Scenario, ScenarioError, TimeWindow, parse_scenario
from solver.timetable import Timetable

Span = tuple[datetime, datetime]


def from_now(scenario: Scenario, changes: list[AnyChange], now: datetime | None,
             previous: Timetable | None = None) -> list[tuple[AnyChange, AnyChange]]:
    """The changes as they apply from ``now`` on, each beside the change as written: what happened before ``now``
    is history, and no change rewrites it. A delay, a departure or new availability windows leave a participant's
    time before ``now`` as it was (a Secretary-General delayed on day 2, reported on day 2, still attended day 1),
    and the time of their events that have started by ``now`` (an event that runs is never moved or dropped);
    a room closure starts at ``now`` at the earliest, and one that is over is left out. Other changes apply as
    written. Without ``now`` (planning ahead), every change applies as written. A report on an event (started,
    ended, running late) runs where the standing timetable (``previous``) has it unless it says otherwise."""
    changes = placed_reports(scenario, changes, previous)
    if now is None:
        return [(change, change) for change in changes]
    moment = scenario.localise(now)
    windows: dict[str, list[Span]] = {}  # each participant's windows so far, as earlier changes left them
    pairs: list[tuple[AnyChange, AnyChange]] = []
    for change in changes:
        if isinstance(change, ParticipantAvailability | ParticipantDelayed):
            before = windows.get(change.participant) or _windows_of(scenario, change.participant)
            after = _with_running(_availability_from(scenario, before, change, moment),
                                  _running_spans(scenario, previous, change.participant, moment))
            windows[change.participant] = after
            pairs.append((change, ParticipantAvailability(
                op="participant_availability", participant=change.participant,
                available=[TimeWindow(start=start, end=end) for start, end in after])))
        elif isinstance(change, RoomClosed):
            if scenario.localise(change.end) > moment:
                pairs.append((change, change.model_copy(update={"start": max(scenario.localise(change.start),
                                                                              moment)})))
        else:
            pairs.append((change, change))
    return pairs


def placed_reports(scenario: Scenario, changes: list[AnyChange], previous: Timetable | None) -> list[AnyChange]:
    """The changes with each report on an event placed where the standing timetable has it (see :func:`_placed`)."""
    return [_placed(scenario, change, previous) for change in changes]


def _placed(scenario: Scenario, change: AnyChange, previous: Timetable | None) -> AnyChange:
    """A report on an event with its room and start filled from the standing timetable (when the report does not
    say them and the event has no pin of its own)."""
    if previous is None or not isinstance(change, REPORTS_ON_EVENTS):
        return change
    old = next((a for a in previous.assignments if a.event == change.event), None)
    event = next((e for e in scenario.events if e.id == change.event), None)
    if old is None or event is None:
        return change
    pin = event.pinned
    update: dict[str, object] = {}
    if change.room is None and (pin is None or pin.room is None):
        update["room"] = old.room
    if not isinstance(change, EventStarted) and change.start is None and (pin is None or pin.start is None):
        update["start"] = scenario.localise(old.start)
    return change.model_copy(update=update) if update else change


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


def _windows_of(scenario: Scenario, participant: str) -> list[Span]:
    """The participant's availability windows, or the summit's days when none are given (an unknown
    participant gets the days too: applying the change then reports it by name)."""
    person = next((p for p in scenario.participants if p.id == participant), None)
    if person is not None and person.available is not None:
        return [(scenario.localise(w.start), scenario.localise(w.end)) for w in person.available]
    return [scenario.day_bounds(day) for day in scenario.days]


def _availability_from(scenario: Scenario, before: list[Span],
                       change: ParticipantAvailability | ParticipantDelayed, moment: datetime) -> list[Span]:
    """The participant's windows once ``change`` applies from ``moment`` on: before it as they were."""
    past = _clip(before, None, moment)
    if isinstance(change, ParticipantAvailability):
        future = [(scenario.localise(w.start), scenario.localise(w.end)) for w in change.available]
    else:
        future = before
        if change.arrival is not None:
            future = _clip(future, scenario.localise(change.arrival), None)
        if change.departure is not None:
            future = _clip(future, None, scenario.localise(change.departure))
    return sorted(past + _clip(future, moment, None))


def _clip(spans: list[Span], start: datetime | None, end: datetime | None) -> list[Span]:
    """The parts of ``spans`` within [start, end) (None: unbounded)."""
    clipped = []
    for low, high in spans:
        low = low if start is None else max(low, start)
        high = high if end is None else min(high, end)
        if low < high:
            clipped.append((low, high))
    return clipped


def freeze(changed: Scenario, previous: Timetable, now: datetime | None, freeze_minutes: int,
           unfreeze: AbstractSet[str] = frozenset(), reported: AbstractSet[str] = frozenset()
           ) -> tuple[Scenario, list[str]]:
    """The summit the searches solve. What has started before ``now`` is pinned where it is (the past is never
    moved), a fact: its own time window (earliest, latest end) no longer applies, since nothing can change it now;
    what starts within the freeze window is pinned too; nothing new starts before the window's end. An event in
    ``unfreeze`` may move from ``now`` on (the planner lifted its freeze, see :func:`lifted`, or a report ran into it:
    then it cannot have started). A reported event (``reported``: started, ended, running late) keeps the pin its
    report gave, and its own time window is waived: a report is a fact."""
    document = changed.to_document()
    for event in document["events"]:
        if event["id"] in reported:
            event.pop("earliest", None)
            event.pop("latest_end", None)
    if now is None:
        return (parse_scenario(document) if reported else changed), []
    moment = changed.localise(now)
    threshold = moment + timedelta(minutes=freeze_minutes)
    old = {a.event: a for a in previous.assignments}
    frozen = []
    for event in document["events"]:
        if event["id"] in reported:
            continue
        assignment = old.get(event["id"])
        start = None if assignment is None else changed.localise(assignment.start)
        if start is not None and start < threshold and event["id"] not in unfreeze:
            event["pinned"] = {"room": assignment.room, "start": start.isoformat()}  # type: ignore[union-attr]
            event.pop("earliest", None)
            if start < moment:
                event.pop("latest_end", None)
            frozen.append(event["id"])
            continue
        soonest = moment if event["id"] in unfreeze else threshold
        earliest = event.get("earliest")
        if earliest is None or changed.localise(datetime.fromisoformat(earliest)) < soonest:
            event["earliest"] = soonest.isoformat()
    return parse_scenario(document), frozen


def started_outside_windows(changed: Scenario, previous: Timetable, now: datetime | None) -> set[str]:
    """Events that started by ``now`` where the standing timetable has them, outside their own time window (an
    earlier report's overrun): facts, whose window the re-plan no longer checks (see :func:`freeze`)."""
    if now is None:
        return set()
    moment = changed.localise(now)
    events = {e.id: e for e in changed.events}
    outside = set()
    for a in previous.assignments:
        event = events.get(a.event)
        if event is None or changed.localise(a.start) >= moment:
            continue
        if (event.earliest is not None and changed.localise(a.start) < changed.localise(event.earliest)) or \
                (event.latest_end is not None and changed.localise(a.end) > changed.localise(event.latest_end)):
            outside.add(event.id)
    return outside


def lifted(changed: Scenario, previous: Timetable, now: datetime | None, unfreeze: AbstractSet[str]) -> set[str]:
    """The events whose freeze the planner lifts: not those that have started (the past is never moved)."""
    if now is None:
        return set(unfreeze)
    moment = changed.localise(now)
    started = {a.event for a in previous.assignments if changed.localise(a.start) < moment}
    return set(unfreeze) - started


def in_the_way_of_reports(changed: Scenario, previous: Timetable, reported: AbstractSet[str],
                          now: datetime | None = None) -> set[str]:
    """Events of the standing timetable that a reported event, where it now runs (pinned, with its reported
    duration), leaves no room for: they share its room or a participant (or one of them is exclusive) and overlap
    the time it now takes beyond its old place, changeover, sweep and travel included. An exclusive event in the
    way pushes on everything it may now overlap (its old time, later by the overrun). A fact outranks the freeze
    window: these may move even within it. An event that has started by ``now`` is a fact too and stays where it
    is: it is in the way only when the reported event truly overlaps it (then it cannot have started as planned),
    never for a changeover or travel margin."""
    events = {e.id: e for e in changed.events}
    old = {a.event: (changed.localise(a.start), changed.localise(a.end)) for a in previous.assignments}
    spans: list[tuple[Event, datetime, datetime]] = []
    shift = timedelta(0)
    for name in reported:
        event = events.get(name)
        if event is None or event.pinned is None or event.pinned.start is None:
            continue
        start = changed.localise(event.pinned.start)
        end = start + timedelta(minutes=event.duration_minutes)
        was = old.get(name)
        pieces = [(start, end)] if was is None else [(start, min(end, was[0])), (max(start, was[1]), end)]
        spans += [(event, low, high) for low, high in pieces if low < high]
        shift = max(shift, end - was[1]) if was is not None else shift
    in_the_way: set[str] = set()
    started = set() if now is None else {a.event for a in previous.assignments
                                         if changed.localise(a.start) < changed.localise(now)}
    while spans:
        found = _overlapping(changed, previous, events, spans, reported | in_the_way)
        if found & started:
            found -= started - _overlapping(changed, previous, events, spans, reported | in_the_way, margins=False)
        in_the_way |= found
        spans = [(events[name], old[name][0], old[name][1] + shift) for name in found if events[name].exclusive]
    return in_the_way


def _overlapping(changed: Scenario, previous: Timetable, events: dict[str, Event],
                 spans: list[tuple[Event, datetime, datetime]], known: AbstractSet[str], margins: bool = True
                 ) -> set[str]:
    """The events of the standing timetable, other than ``known``, that share a room or a participant with an event
    of ``spans`` (or one of the two is exclusive) and overlap its span, with the longest changeover, sweep or
    travel as a margin (none without ``margins``)."""
    margin = timedelta(minutes=max([r.changeover_minutes for r in changed.rooms] + [changed.sweep_minutes]
                                   + [t.minutes for t in changed.travel_minutes] + [0])) if margins else timedelta(0)
    found = set()
    for assignment in previous.assignments:
        other = events.get(assignment.event)
        if other is None or other.id in known:
            continue
        for event, start, end in spans:
            shared = (event.pinned is not None and event.pinned.room == assignment.room) or event.exclusive \
                or other.exclusive or bool(set(event.participants) & set(other.participants))
            if shared and changed.localise(assignment.start) < end + margin \
                    and changed.localise(assignment.end) + margin > start:
                found.add(other.id)
    return found


_LABELS_ONLY = {"priority", "title"}


def opens_capacity(before: Scenario, after: Scenario, change: AnyChange) -> bool:
    """Could this change let a request that was left out in? Only if it gives time, rooms or capacity."""
    if isinstance(change, RoomClosed | ParticipantDelayed | PinEvent | EventAdded | EventStarted | EventRunningLate):
        return False  # (a report that an event runs, or runs late, only takes time)
    try:
        if apply_changes(before, [change]).fingerprint() == before.fingerprint():
            return False  # changes nothing (e.g. reopens a room that was not closed): no search for more
    except ScenarioError:  # it needs an earlier change of the list (e.g. updates an event added there)
        return True
    if isinstance(change, ResourceCapacity):
        old = next((r.capacity for r in before.resources if r.id == change.resource), 0)
        return change.capacity > old
    if isinstance(change, EventUpdated):
        return not set(change.set) <= _LABELS_ONLY  # a new priority matters only to the event itself (named)
    if isinstance(change, ParticipantAvailability):
        old_person = next((p for p in before.participants if p.id == change.participant), None)
        new_person = next((p for p in after.participants if p.id == change.participant), None)
        if old_person is None or new_person is None or old_person.available is None:
            return False  # was available all the time: new windows can only take time away
        return not all(any(o.start <= w.start and w.end <= o.end for o in old_person.available)
                       for w in new_person.available or [])
    return True  # reopened or added rooms, added days, cancelled or unpinned events


def _over_capacity_moments(changed: Scenario, previous: Timetable,
                           changes: list[AnyChange]) -> list[tuple[str, list[str], int]]:
    """For each resource whose capacity was cut, the moments (starts) when the old plan holds more of it than
    the new capacity: (resource, events running then, units over)."""
    cut = _cut_resources(changes)
    events = {e.id: e for e in changed.events}
    moments = []
    for resource in changed.resources:
        if resource.id not in cut:
            continue
        users = [a for a in previous.assignments if a.event in events and resource.id in events[a.event].uses]
        for moment in sorted({a.start for a in users}):
            running = [a.event for a in users if a.start <= moment < a.end]
            excess = sum(events[e].uses[resource.id] for e in running) - resource.capacity
            if excess > 0:
                moments.append((resource.id, running, excess))
    return moments


def over_capacity(changed: Scenario, previous: Timetable, changes: list[AnyChange]) -> set[str]:
    """Events of the old plan running at a moment when a resource whose capacity was cut is over its new
    capacity: no single placement broke, but some of these must move (or go)."""
    return {e for _, running, _ in _over_capacity_moments(changed, previous, changes) for e in running}


def resource_cut_bound(instance: Instance, plan: PreviousPlan, changed: Scenario, previous: Timetable,
                        changes: list[AnyChange], time_limit: float = 0.2) -> int:
    """Least disruption a resource cut forces when every event is kept. At a moment where the old plan holds
    more of the resource than its new capacity, some of the events running then must start at another time
    (a new room frees no interpreter), enough of them to free the excess. The cheapest set of time moves that
    frees every moment's excess (a small covering problem, solved exactly) bounds every repair below; where
    time runs out, its proven bound does. Only for change lists made of capacity changes."""
    if not changes or not all(isinstance(c, ResourceCapacity) for c in changes):
        return 0
    events = {e.id: e for e in changed.events}
    model = cp_model.CpModel()
    moves: dict[str, cp_model.IntVar] = {}
    prices: dict[str, int] = {}
    for resource, running, excess in _over_capacity_moments(changed, previous, changes):
        terms = []
        for name in running:
            if name not in moves:
                e = instance.event_index[name]
                items = instance.event_items[e]
                moved = items[instance.item_start[items] != (plan.old_start.get(e) or -1)]
                if not moved.size:
                    continue  # it cannot start at another time: it frees nothing
                moves[name] = model.new_bool_var(name)
                prices[name] = int(plan.item_cost[moved].min())
            terms.append(events[name].uses[resource] * moves[name])
        if not terms:
            return 0  # this moment cannot be freed by moving: the bound does not apply
        model.add(sum(terms) >= excess)
    if not moves:
        return 0
    model.minimize(sum(prices[name] * flag for name, flag in moves.items()))
    status, solver = cpsat.run(model, cpsat.Search(time_limit, presolve=True))
    if not cpsat.found(status):
        return 0
    return int(math.ceil(solver.best_objective_bound - 1e-9))


def _cut_resources(changes: list[AnyChange]) -> set[str]:
    """The resources whose capacity the changes set (a cut, when it is lower)."""
    return {c.resource for c in changes if isinstance(c, ResourceCapacity)}


def cut_users(instance: Instance, changes: list[AnyChange]) -> set[int]:
    """The events that use a resource whose capacity the changes cut."""
    cut = _cut_resources(changes)
    return {e for e, event in enumerate(instance.events) if cut & set(event.uses)} if cut else set()


def named_events(changes: list[AnyChange]) -> set[str]:
    names: set[str] = set()
    for change in changes:
        event = getattr(change, "event", None)
        if isinstance(event, str):
            names.add(event)
        elif event is not None:
            names.add(event.id)
    return names
