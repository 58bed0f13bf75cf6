"""Why a change cannot be absorbed, in a planner's words: the change itself, the events that can no longer all
happen and what would make them possible with the levers a planner has.

A re-plan says "infeasible" only with a proof: a set of required events that cannot all happen (found by the
compiler, when one fits nowhere, or by a minimal core). This module names the changes that take part in it
(reverting any one of them lets the events happen: the set of changes and events is then minimal on both
sides) and tries the levers one at a time on those events alone: another person attends for a delegation
(the delayed participant leaves the event), the event's window is widened to its whole day, its pin is freed.
Each lever named was checked to make the events possible.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from solver import cpsat
from solver.changes import AnyChange, EventUpdated, UnpinEvent
from solver.compile import Waivers
from solver.feasible import possible
from solver.scenario import Scenario
from solver.timetable import Diagnostic

# each check of the conflicting events alone gets at most this many seconds (they are a handful of events); only a
# proof counts as "no": a check out of time says yes (a lever is not offered, a change not blamed, only when the
# events are proven impossible)
CHECK_SECONDS = 1.0
_CHECK = cpsat.Search(CHECK_SECONDS, presolve=True)


def describe_change(scenario: Scenario, change: AnyChange) -> str:
    """One change as a planner says it (each change type says its own: ``Change.describe``)."""
    return change.describe(scenario)


def explain_with_changes(scenario: Scenario, changes: list[tuple[AnyChange, AnyChange]],
                         working_of: Callable[[list[AnyChange]], Scenario], conflict: Diagnostic,
                         time_limit: float, waivers: Waivers = Waivers()) -> Diagnostic:
    """``conflict`` (a set of required events of the changed summit that cannot all happen, with its words) said
    with the changes that cause it and the levers that would resolve it. ``changes`` are (as written, as applied)
    pairs; ``working_of(applied)`` is the summit a re-plan with those changes would solve (the changes applied,
    the past and the freeze window pinned); each check compiles it with the re-plan's ``waivers`` (what runs keeps its
    people past their availability, a pair it ran into overlaps), so that no waived rule is named as a cause."""
    deadline = time.monotonic() + time_limit
    events = list(conflict.events)
    applied = [change for _, change in changes]
    members = [i for i, _ in enumerate(applied) if time.monotonic() < deadline
               and possible(working_of(applied[:i] + applied[i + 1:]), only=events, undecided=True, search=_CHECK,
                            waivers=waivers)]
    working = working_of(applied)
    levers = [text for text, edit in _levers(working, applied, members, events)
              if time.monotonic() < deadline
              and possible(working, [edit], only=events, undecided=True, search=_CHECK, waivers=waivers)]
    caused = "; ".join(f"{describe_change(scenario, changes[i][0])} (change {i + 1})" for i in members)
    message = (f"{caused}: " if caused else "") + conflict.message.rstrip(".") + _limits(scenario, events) + "."
    if levers:
        message += " It becomes possible if " + "; or if ".join(levers) + "."
    elif members:
        message += " Only undoing the change makes it possible."
    people = sorted(set(conflict.participants)
                    | {p for i in members if (p := getattr(applied[i], "participant", None))})
    return Diagnostic(code=conflict.code, message=message, events=events, participants=people, rooms=conflict.rooms)


def _limits(scenario: Scenario, events: list[str]) -> str:
    """The time limits the planner set on the conflicting events (not the freeze window's), as they would quote
    them."""
    limits = []
    for event in scenario.events:
        if event.id in events:
            if event.earliest is not None:
                limits.append(f"{event.id} may not start before {scenario.localise(event.earliest):%H:%M on %d %b}")
            if event.latest_end is not None:
                limits.append(f"{event.id} must end by {scenario.localise(event.latest_end):%H:%M on %d %b}")
    return ("; " + "; ".join(limits)) if limits else ""


def _levers(working: Scenario, changes: list[AnyChange], members: list[int],
            events: list[str]) -> list[tuple[str, AnyChange]]:
    """The planner's levers on the conflicting events, each as (words, the change that pulls it): a lever is a
    change like any other, applied with the same function."""
    by_id = {e.id: e for e in working.events}
    people = {p for i in members if (p := getattr(changes[i], "participant", None))}
    levers: list[tuple[str, AnyChange]] = []
    for event_id in events:
        event = by_id.get(event_id)
        if event is None:
            continue
        for person in sorted(people & set(event.participants)):
            if len(event.participants) > 2:  # a bilateral without one side is no longer the meeting
                others = [p for p in event.participants if p != person]
                levers.append((f"{person} leaves {event_id} (another member of the delegation attends or signs)",
                               EventUpdated(op="event_updated", event=event_id, set={"participants": others})))
        if event.latest_end is not None or event.earliest is not None:
            widened = {"earliest": None, "latest_end": None}
            levers.append((f"{event_id}'s window is widened to its whole day",
                           EventUpdated(op="event_updated", event=event_id, set=widened)))
        if event.pinned is not None:
            levers.append((f"{event_id}'s pin is freed", UnpinEvent(op="unpin", event=event_id)))
    return levers
