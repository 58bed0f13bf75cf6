"""What a change touches: the freeze window, whether it gives back time, rooms or capacity (so that requests
left out before may come in), and the events a resource cut leaves over capacity, with the least disruption that
forces."""

from __future__ import annotations

import math
from collections.abc import Set as AbstractSet
from datetime import datetime, timedelta
from typing import cast

from ortools.sat.python import cp_model

from solver import cpsat
from solver.changes import AnyChange, ResourceCapacity, Span, apply_changes
from solver.compile import Instance
from solver.replan.plan import PreviousPlan
from solver.scenario import Event, Scenario, ScenarioError, parse_scenario
from solver.timetable import Timetable


def from_now(scenario: Scenario, changes: list[AnyChange], now: datetime | None,
             previous: Timetable | None = None) -> list[tuple[AnyChange, AnyChange]]:
    """The changes as they apply from ``now`` on, each beside the change as written: what happened before ``now``
    is history, and no change rewrites it. A delay, a departure or new availability windows leave a participant's
    time before ``now`` as it was (a Secretary-General delayed on day 2, reported on day 2, still attended day 1),
    and the time of their events that have started by ``now`` (an event that runs is never moved or dropped);
    a room closure starts at ``now`` at the earliest, and one that is over is left out. Other changes apply as
    written (each change says how: ``Change.from_now``). Without ``now`` (planning ahead), every change applies as
    written. A report on an event (started, ended, running late) runs where the standing timetable (``previous``)
    has it unless it says otherwise."""
    changes = placed_reports(scenario, changes, previous)
    if now is None:
        return [(change, change) for change in changes]
    moment = scenario.localise(now)
    windows: dict[str, list[Span]] = {}  # each participant's windows so far, as earlier changes left them
    pairs: list[tuple[AnyChange, AnyChange]] = []
    for change in changes:
        applied = change.from_now(scenario, moment, windows, previous)
        if applied is not None:
            pairs.append((change, cast(AnyChange, applied)))
    return pairs


def placed_reports(scenario: Scenario, changes: list[AnyChange], previous: Timetable | None) -> list[AnyChange]:
    """The changes with each report on an event placed where the standing timetable has it (``Change.placed``)."""
    if previous is None:
        return list(changes)
    return [cast(AnyChange, change.placed(scenario, previous)) for change in changes]


def freeze(changed: Scenario, previous: Timetable, now: datetime | None, freeze_minutes: int,
           unfreeze: AbstractSet[str] = frozenset(), reported: AbstractSet[str] = frozenset(),
           held: AbstractSet[str] = frozenset()) -> tuple[Scenario, list[str]]:
    """The summit the searches solve. What has started before ``now`` is pinned where it is (the past is never
    moved), a fact: its own time window (earliest, latest end) no longer applies, since nothing can change it now;
    what starts within the freeze window is pinned too; nothing new starts before the window's end. What has started
    (and what a report says runs) is required: it is never dropped either. An event in
    ``unfreeze`` may move from ``now`` on (the planner lifted its freeze, see :func:`lifted`, or a report ran into it:
    then it cannot have started). A reported event (``reported``: started, ended, running late) keeps the pin its
    report gave, and its own time window is waived: a report is a fact. An event in ``held`` (within the freeze
    window, not started, with room to stay: :func:`solver.replan.hold.held_by_freeze`) is required where it is:
    no search leaves it out to give its place to another."""
    document = changed.to_document()
    for event in document["events"]:
        if event["id"] in reported:
            event.pop("earliest", None)
            event.pop("latest_end", None)
            event["required"] = True  # (it runs: never dropped)
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
        if assignment is not None and start is not None and start < threshold and event["id"] not in unfreeze:
            event["pinned"] = {"room": assignment.room, "start": start.isoformat()}
            event.pop("earliest", None)
            if start < moment:  # (it has started: it runs, or ran, where it is; never dropped)
                event.pop("latest_end", None)
                event["required"] = True
            elif event["id"] in held:
                event["required"] = True  # (the freeze keeps it: it stays unless it cannot)
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
    never for a changeover or travel margin. An event the planner pinned is never in the way: it cannot move, and the
    rule it shares with the reported event is waived for the two (:mod:`solver.model.waive`)."""
    events = {e.id: e for e in changed.events}
    old = {a.event: (changed.localise(a.start), changed.localise(a.end)) for a in previous.assignments}
    spans: list[tuple[Event, datetime, datetime]] = []
    for name in reported:
        event = events.get(name)
        if event is None or event.pinned is None or event.pinned.start is None:
            continue
        start = changed.localise(event.pinned.start)
        end = start + timedelta(minutes=event.duration_minutes)
        was = old.get(name)
        pieces = [(start, end)] if was is None else [(start, min(end, was[0])), (max(start, was[1]), end)]
        spans += [(event, low, high) for low, high in pieces if low < high]
    shift = _overrun(changed, events, old, reported)
    in_the_way: set[str] = set()
    started = _started(changed, old, now)
    while spans:
        found = _overlapping(changed, previous, events, spans, reported | in_the_way)
        if found & started:
            found -= started - _overlapping(changed, previous, events, spans, reported | in_the_way, margins=False)
        in_the_way |= found
        spans = [(events[name], old[name][0], old[name][1] + shift) for name in found if events[name].exclusive]
    return in_the_way


def following_the_pushed(changed: Scenario, previous: Timetable, pushed: AbstractSet[str], reported: AbstractSet[str],
                         now: datetime | None = None) -> set[str]:
    """Events of the standing timetable that must follow (`after`) an event a report pushed out of its place and that
    start before that event's old end plus the overrun: they cannot stay either (their predecessor now ends later),
    so the freeze window does not hold them (a fact outranks it), and so on down the chain. Never an event that has
    started by ``now`` nor one the planner pinned."""
    events = {e.id: e for e in changed.events}
    old = {a.event: (changed.localise(a.start), changed.localise(a.end)) for a in previous.assignments}
    shift = _overrun(changed, events, old, reported)
    started = _started(changed, old, now)
    found: set[str] = set()
    frontier = set(pushed)
    while frontier:
        after = {e.id for e in events.values() if e.id in old and e.id not in found | pushed | started | reported
                 and not (e.pinned is not None and e.pinned.start is not None)
                 and any(p in frontier and p in old and old[e.id][0] < old[p][1] + shift for p in e.after)}
        found |= after
        frontier = after
    return found


def _overrun(changed: Scenario, events: dict[str, Event], old: dict[str, tuple[datetime, datetime]],
             reported: AbstractSet[str]) -> timedelta:
    """How much later than planned the reported events now end (the most of them)."""
    shift = timedelta(0)
    for name in reported:
        event = events.get(name)
        if event is None or event.pinned is None or event.pinned.start is None or name not in old:
            continue
        end = changed.localise(event.pinned.start) + timedelta(minutes=event.duration_minutes)
        shift = max(shift, end - old[name][1])
    return shift


def _started(changed: Scenario, old: dict[str, tuple[datetime, datetime]], now: datetime | None) -> set[str]:
    """The events of the standing timetable that have started by ``now`` (none without it)."""
    return set() if now is None else {name for name, (start, _) in old.items() if start < changed.localise(now)}


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
        if other is None or other.id in known or (other.pinned is not None and other.pinned.start is not None):
            continue  # (a planner's pin cannot give way: the rule between the two is waived, solver.model.waive)
        for event, start, end in spans:
            shared = (event.pinned is not None and event.pinned.room == assignment.room) or event.exclusive \
                or other.exclusive or bool(set(event.participants) & set(other.participants))
            if shared and changed.localise(assignment.start) < end + margin \
                    and changed.localise(assignment.end) + margin > start:
                found.add(other.id)
    return found


def opens_capacity(before: Scenario, after: Scenario, change: AnyChange) -> bool:
    """Could this change let a request that was left out in? Only if it gives time, rooms or capacity (each change
    type says whether it may: ``Change.only_takes``, ``Change.opens``)."""
    if change.only_takes:
        return False
    try:
        if apply_changes(before, [change]).fingerprint() == before.fingerprint():
            return False  # changes nothing (e.g. reopens a room that was not closed): no search for more
    except ScenarioError:  # it needs an earlier change of the list (e.g. updates an event added there)
        return True
    return change.opens(before, after)


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
