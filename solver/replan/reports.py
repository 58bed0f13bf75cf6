"""What a re-plan says about the summit day's reports (an event started, ended, is running late) and the freeze
window: a report is a fact, so the re-plan says how it took it (rounded to the slot grid, its event's own window
waived), and an event the freeze window keeps is said to be kept by the freeze, never "pinned"."""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from datetime import datetime, timedelta

from solver.changes import (
    REPORTS_ON_EVENTS,
    AnyChange,
    EventEnded,
    EventRunningLate,
    EventStarted,
    on_grid,
    rounded_minutes,
)
from solver.compile import Instance
from solver.scenario import Scenario, TimeWindow
from solver.timetable import Timetable


def reported_events(changes: list[AnyChange]) -> set[str]:
    """The events a report pins where they run."""
    return {change.event for change in changes if isinstance(change, REPORTS_ON_EVENTS)}


def report_notes(scenario: Scenario, changed: Scenario, changes: list[AnyChange], previous: Timetable,
                 now: datetime | None, freeze_minutes: int, in_the_way: AbstractSet[str],
                 following: AbstractSet[str] = frozenset()) -> list[str]:
    """The re-plan's statements about the reports: how each was rounded to the grid, whose window is waived, and
    which events within the freeze window the reports leave no room for, directly or through an event they must
    follow (their freeze is lifted)."""
    notes = [note for change in changes if isinstance(change, REPORTS_ON_EVENTS)
             for note in _rounding(scenario, change)]
    notes += [_waived(changed, name) for name in sorted(reported_events(changes)) if _waived(changed, name)]
    if now is not None:
        threshold = changed.localise(now) + timedelta(minutes=freeze_minutes)
        old = {a.event: a for a in previous.assignments}
        for name in sorted(following):
            start = changed.localise(old[name].start)
            if start < threshold:
                notes.append(f"{name} at {start:%H:%M} is within the freeze window until {threshold:%H:%M}, but it "
                             f"must follow an event a report pushed later: its freeze is lifted")
        for name in sorted(in_the_way):
            start = changed.localise(old[name].start)
            if start < changed.localise(now):
                notes.append(f"{name} was planned at {start:%H:%M}, but a reported event ran into it: it has not "
                             f"started and moves from now on")
            elif start < threshold:
                notes.append(f"{name} at {start:%H:%M} is within the freeze window until {threshold:%H:%M}, but a "
                             f"reported event now runs into it: its freeze is lifted")
    return notes


def _rounding(scenario: Scenario, change: EventStarted | EventEnded | EventRunningLate) -> list[str]:
    slot = scenario.slot_minutes
    if isinstance(change, EventRunningLate):
        counted = rounded_minutes(scenario, change.minutes)
        if counted != change.minutes:
            return [f"{change.event} running late by {change.minutes} minutes: counted as {counted} minutes "
                    f"(the {slot}-minute grid)"]
        return []
    moment = scenario.localise(change.at)
    placed = on_grid(scenario, moment, up=isinstance(change, EventEnded))
    if placed == moment:
        return []
    what = "started" if isinstance(change, EventStarted) else "ended"
    return [f"{change.event} {what} at {moment:%H:%M}: counted from {placed:%H:%M} (the {slot}-minute grid)"
            if what == "started" else
            f"{change.event} {what} at {moment:%H:%M}: counted to {placed:%H:%M} (the {slot}-minute grid)"]


def _waived(changed: Scenario, name: str) -> str:
    """The words for a reported event that now runs outside its own window ("" when it does not)."""
    event = next((e for e in changed.events if e.id == name), None)
    if event is None or event.pinned is None or event.pinned.start is None:
        return ""
    start = changed.localise(event.pinned.start)
    end = start + timedelta(minutes=event.duration_minutes)
    if event.latest_end is not None and end > changed.localise(event.latest_end):
        return (f"{name} now ends at {end:%H:%M}, after its latest end {changed.localise(event.latest_end):%H:%M}: "
                f"its window is waived (a report is a fact)")
    if event.earliest is not None and start < changed.localise(event.earliest):
        return (f"{name} started at {start:%H:%M}, before its earliest {changed.localise(event.earliest):%H:%M}: "
                f"its window is waived (a report is a fact)")
    return ""


def frozen_reason(changed: Scenario, previous: Timetable, now: datetime, freeze_minutes: int, name: str,
                  why: str) -> str:
    """Why an event the freeze window keeps cannot take place: where it was, the window, and the way out."""
    threshold = changed.localise(now) + timedelta(minutes=freeze_minutes)
    old = next((a for a in previous.assignments if a.event == name), None)
    where = "" if old is None else f" at {changed.localise(old.start):%H:%M}"
    cause = _cause(why)
    return (f"{name}{where} is within the freeze window until {threshold:%H:%M} and cannot stay there"
            + (f" ({cause})" if cause else "") + f"; moving it needs the freeze lifted (unfreeze: [{name}])")


def _cause(why: str) -> str:
    """The reason an event cannot stay where it is, without the compiler's "is pinned at ..." (the freeze window,
    not a planner, holds it there)."""
    for pattern in (r"pinned at \d\d:\d\d[^,:]*, (?:when )?(.*)", r"pinned at \d\d:\d\d[^,:]*: (.*)"):
        found = re.search(pattern, why)
        if found:
            return found.group(1)
    return why


RULE_WORDS = {"H7": "one room holds one event at a time, with its changeover", "H8": "{people} cannot be in both, "
              "with their rest and travel", "H10": "{other} must follow it", "H11": "nothing else may run during it",
              "H12": "the escorts of their zone", "H13": "the resources they share"}


def overlap_notes(changed: Scenario, instance: Instance, overlaps: list[tuple[str, str, str]]) -> list[str]:
    """The words for the rules waived between a fact and what cannot move (:mod:`solver.model.waive`), one note per
    pair: how far the running event runs into the other, each rule, why it is allowed, and the delegations to tell."""
    events = {e.id: e for e in changed.events}
    delegation = {p.id: p.delegation or p.id for p in changed.participants}
    rules: dict[tuple[str, str], list[str]] = {}
    for running, other, rule in overlaps:
        rules.setdefault((running, other), []).append(rule)
    notes = []
    for (running, other), codes in rules.items():
        (a_start, a_end), (b_start, b_end) = (_times(instance, name) for name in (running, other))
        minutes = int((min(a_end, b_end) - max(a_start, b_start)).total_seconds() // 60)
        where = (f"{running} (until {a_end:%H:%M}) runs {minutes} min into {other} ({b_start:%H:%M}-{b_end:%H:%M})"
                 if minutes > 0 else f"{running} (until {a_end:%H:%M}) leaves too little time before {other} "
                                     f"({b_start:%H:%M}-{b_end:%H:%M})")
        people = ", ".join(sorted(set(events[running].participants) & set(events[other].participants)))
        said = "; ".join(f"{RULE_WORDS[code].format(people=people or 'a participant', other=other)} ({code})"
                         for code in sorted(dict.fromkeys(codes), key=lambda code: int(code[1:])))
        pin = events[other].pinned
        why = "runs too" if instance.event_index[other] in instance.facts else \
            "is pinned by the planner" if pin is not None and pin.start is not None else "has started"
        told = sorted({delegation[p] for name in (running, other) for p in events[name].participants
                       if p in delegation})
        lever = f" (or unpin {other} to let it move)" if why == "is pinned by the planner" else ""
        notes.append(f"{where}: {said}; allowed because {running} is already running and {other} {why}: neither can "
                     f"move (a report is a fact); tell {', '.join(told) or 'the organisers'}{lever}")
    return notes


def _times(instance: Instance, name: str) -> tuple[datetime, datetime]:
    """The start and true end of an event that cannot move (its one placement; past its day's close, when a fact
    runs past it: the model holds it to the close, :attr:`Instance.past_close`)."""
    e = instance.event_index[name]
    item = int(instance.event_items[e][0])
    start = instance.grid.time_of(int(instance.item_start[item]))
    minutes = instance.events[e].duration_minutes - int(instance.item_cut[item]) * instance.grid.slot_minutes
    return start, start + timedelta(minutes=minutes)


def close_notes(changed: Scenario, instance: Instance, reported: AbstractSet[str]) -> list[str]:
    """The words for a reported event that now runs past its day's close (:attr:`Instance.past_close`), one note per
    event: its new end, how long past the close, who must stay (the venue's room, the escorts of a VVIP's zone) and
    the delegations to tell. (An event that started and was kept so by an earlier re-plan is carried silently.)"""
    people = {p.id: p for p in changed.participants}
    vvip = {p.id for p in changed.participants if p.tier == "vvip"}
    notes = []
    for e in sorted(instance.past_close):
        event = instance.events[e]
        if event.id not in reported:
            continue
        start, end = _times(instance, event.id)
        close = end - timedelta(minutes=instance.past_close[e] * instance.grid.slot_minutes)
        room = event.pinned.room if event.pinned is not None and event.pinned.room else "room"
        escorts = " and the escorts" if vvip & set(event.participants) else ""
        told = sorted({people[p].delegation or p for p in event.participants if p in people})
        notes.append(f"{event.id} now ends at {end:%H:%M}, {int((end - close).total_seconds() // 60)} min after the "
                     f"day's close at {close:%H:%M}: kept, the day's hours waived for its overrun only (a report is a "
                     f"fact); the venue's {room}{escorts} must stay; tell {', '.join(told) or 'the organisers'}")
    return notes


def availability_notes(changed: Scenario, instance: Instance, reported: AbstractSet[str]) -> list[str]:
    """The words for a reported event kept past the end of its people's availability (:class:`solver.compile.Waivers`),
    one note per event: its new end, whom it keeps and how long past the time they leave, and the delegations to tell.
    (An event that started and was kept so by an earlier re-plan is carried silently: that one said it.)"""
    people = {p.id: p for p in changed.participants}
    notes = []
    for e, kept in sorted(instance.availability_waived.items()):
        name = instance.events[e].id
        if name not in reported:
            continue
        start, end = _times(instance, name)
        leaving: dict[datetime, list[str]] = {}
        for p, slot, _ in kept:
            person = people[instance.scenario.participants[p].id]
            leaving.setdefault(_leaves(changed, person.available or [], start, instance.grid.time_of(slot)),
                               []).append(f"{person.id} ({person.delegation})" if person.delegation else person.id)
        after = ", ".join(f"{int((end - leave).total_seconds() // 60)} min after {' and '.join(who)} "
                          f"{'leaves' if len(who) == 1 else 'leave'} at {leave:%H:%M}"
                          for leave, who in sorted(leaving.items()))
        told = sorted({people[instance.scenario.participants[p].id].delegation or instance.scenario.participants[p].id
                       for p, _, _ in kept})
        notes.append(f"{name} now ends at {end:%H:%M}, {after}: kept, their availability waived for its overrun only "
                     f"(a report is a fact); tell {', '.join(told)}")
    return notes


def _leaves(changed: Scenario, windows: list[TimeWindow], start: datetime, fallback: datetime) -> datetime:
    """When a participant leaves: the end of their availability that holds ``start`` (windows that touch are one)."""
    spans = sorted((changed.localise(w.start), changed.localise(w.end)) for w in windows)
    until: datetime | None = None
    for low, high in spans:
        if until is None:
            until = high if low <= start < high else None
        elif low <= until:
            until = max(until, high)
        else:
            break
    return until if until is not None else fallback
