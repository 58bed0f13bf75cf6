"""Explanations a planner can act on.

* :func:`explain_infeasible` -- a minimal set of required events that cannot all happen,
  with the rules that make them clash. Each required event's "must be placed" constraint
  is switched by an assumption literal; CP-SAT on one worker (with more, every assumption
  comes back: or-tools #3102) returns a sufficient set, shrunk by deletion until removing
  any one event makes the rest feasible. Then each rule family is relaxed in turn on that
  set alone: the families whose relaxation makes it feasible are the ones named.
* :func:`what_would_it_take` -- for an event left out, the smallest relaxations (a later
  departure, one more room, one more interpreter team, dropping one lower-priority
  meeting...) that would let it in, each checked by re-solving.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

import numpy as np
from ortools.sat.python import cp_model

from solver import cpsat
from solver.changes import (
    AvailableAlso,
    Change,
    DailyLimitRaised,
    EventCancelled,
    EventUpdated,
    ResourceCapacity,
    RoomAdded,
)
from solver.compile import Instance, Waivers, compile_scenario
from solver.counting import CountingConflict, counting_conflict
from solver.feasible import check
from solver.model.build import build_model
from solver.model.constraints import ALL_FAMILIES, Family, all_rows
from solver.model.greedy import greedy_placements
from solver.scenario import Event, Participant, Scenario
from solver.timetable import Assignment, Diagnostic, Timetable

log = logging.getLogger(__name__)

_RULE_WORDS = {
    "rooms_hold_one_event_at_a_time": "the rooms that fit them hold one event at a time{lead}",
    "participants_attend_one_event_at_a_time": "{people} can attend only one event at a time{rest}",
    "participants_have_time_to_travel": "{people} need travel time between zones",
    "daily_event_limits": "{limits}",
    "events_follow_their_predecessors": "the required order ('after')",
    "exclusive_events_stand_alone": "nothing may run alongside an exclusive ceremony",
    "escort_capacity_per_zone": "the escort capacity for vvip events per zone",
    "shared_resources_suffice": "the capacity of {resources}",
}


def _solve_status(model: cp_model.CpModel, time_limit: float, assumptions: list[int] | None = None) -> int:
    model.clear_assumptions()
    if assumptions:
        model.proto.assumptions.extend(assumptions)
    # (presolve off: measured, it took 7.5 s of a 7.5 s proof on Hanoi)
    status, _ = cpsat.run(model, cpsat.Search(max(0.05, time_limit)))
    return int(status)


def _required_part(instance: Instance) -> Instance:
    """Only required events and what they must follow: optional events can always stay out, so
    they never make a scenario infeasible (and leaving them out makes the proof fast)."""
    return _only(instance, instance.with_predecessors(np.flatnonzero(instance.required).tolist()))


def conflicting_required_events(instance: Instance, time_limit: float = 10.0, focus: Collection[int] = (),
                                workers: int = 1, focus_only: bool = False) -> list[int] | None:
    """A minimal set of required events that cannot all be placed, or None if none is found.

    ``focus`` names events the conflict likely involves (e.g. those a re-plan's change touched): the
    required events sharing a participant with them are searched first, alone, which is far quicker
    than the whole summit when the conflict lies there; with ``focus_only``, nowhere else. With
    ``workers`` > 1, a plain feasibility check of the whole summit on that many workers comes next and
    answers "no conflict" quickly."""
    deadline = time.monotonic() + time_limit
    required = _required_part(instance)
    people = {p for e in focus for p in instance.events[e].participants}
    near = [e for e in np.flatnonzero(required.required).tolist() if people & set(instance.events[e].participants)]
    if near:
        core = _minimal_core(_only(required, instance.with_predecessors(near)), deadline)
        if core is not None:
            return core
    if focus_only:
        return None
    if workers > 1:
        built = build_model(required, with_objective=False)
        status, _ = cpsat.run(built.model, cpsat.Search(max(0.05, deadline - time.monotonic()), workers=workers))
        if status != cp_model.INFEASIBLE:
            return None
    return _minimal_core(required, deadline)


def _minimal_core(instance: Instance, deadline: float) -> list[int] | None:
    """A minimal set of this instance's required events that cannot all be placed (assumptions, then
    deletion), or None if they can (or time ran out)."""
    built = build_model(instance, with_assumptions=True, with_objective=False)
    model = built.model
    literals = {event: lit.Index() for event, lit in built.event_assumption.items()}
    by_index = {index: event for event, index in literals.items()}
    model.proto.assumptions.extend(list(literals.values()))
    # (presolve off also keeps the core to assumption literals: #5141)
    status, solver = cpsat.run(model, cpsat.Search(max(0.05, deadline - time.monotonic())))
    if status != cp_model.INFEASIBLE:
        return None
    core = [by_index[i] for i in solver.sufficient_assumptions_for_infeasibility() if i in by_index]
    if not core:
        return [] if _solve_status(model, deadline - time.monotonic()) == cp_model.INFEASIBLE else None
    kept = list(core)
    for event in list(core) if len(core) > 1 else []:  # one event alone: the core is already minimal
        trial = [e for e in kept if e != event]
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        if _solve_status(model, remaining / 2, [literals[e] for e in trial]) == cp_model.INFEASIBLE:
            kept = trial
    return kept


def _only(instance: Instance, events: list[int]) -> Instance:
    """The instance reduced to these events: every other event removed as if cancelled (what must follow one of them
    no longer waits for it), as "removing any one of them makes the rest possible" means."""
    keep = np.isin(instance.item_event, np.asarray(events, dtype=np.int64))
    reduced = instance.restricted(keep)
    inside = set(events)
    reduced.predecessors = [[b for b in before if b in inside] for before in instance.predecessors]
    return reduced


def _irreducible(instance: Instance, events: list[int], first: list[int], deadline: float) -> tuple[list[int], bool]:
    """``events`` (which cannot all happen) without each one whose removal leaves the rest still impossible (a
    deletion filter, trying ``first`` first): then removing any one of them makes the rest possible. The flag says
    whether that was proven of every event kept (False when a check, or the time, ran out first)."""
    kept = list(events)
    proven = True
    for event in first + [e for e in events if e not in first]:
        trial = [e for e in kept if e != event]
        if not trial:
            continue  # an event alone: without it, nothing is left to be impossible
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return kept, False
        built = build_model(_only(instance, trial), with_objective=False)
        status = _solve_status(built.model, remaining / 2)
        if status == cp_model.INFEASIBLE:
            kept = trial
        elif status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            proven = False
    return kept, proven


def _conflict_set(instance: Instance, events: list[int], deadline: float) -> tuple[list[int], bool]:
    """The events of a conflict with the predecessors it needs, minimal, in time order; and whether its minimality
    was proven. An event's predecessors must happen for it to happen (H10): they belong to the conflict... unless the
    events are impossible without them (m291 after m9 and m296, m9 in the afternoon, m291 in the morning: m296 plays
    no part). A core found under a time limit may hold an event it does not need: each is checked again."""
    closure: list[int] = []
    stack = list(events)
    while stack:
        event = stack.pop()
        if event not in closure:
            closure.append(event)
            stack.extend(instance.predecessors[event])
    kept, proven = _irreducible(instance, closure, sorted(set(closure) - set(events)), deadline)
    return sorted(kept, key=lambda e: (instance.item_start[instance.event_items[e]].min()
                                       if instance.event_items[e].size else 0, e)), proven


def _essential_rules(instance: Instance, events: list[int], time_limit: float) -> list[Family]:
    """A minimal set of rule families that together forbid these events (deletion filter):
    dropping any one of them lets the events all happen."""
    reduced = _only(instance, events)
    needed = [f for f in ALL_FAMILIES if f.__name__ != "time_budgets"]  # implied by the others
    share = time_limit / (len(needed) + 1)

    def infeasible_with(families: list[Family]) -> bool:
        built = build_model(reduced, families=tuple(families))
        built.model.clear_objective()
        return _solve_status(built.model, share) == cp_model.INFEASIBLE

    for family in list(needed):
        trial = [f for f in needed if f is not family]
        if infeasible_with(trial):
            needed = trial
    return needed


def _window_of(instance: Instance, event: int) -> str:
    items = instance.event_items[event]
    if items.size == 0:
        return "no possible time"
    grid = instance.grid
    first = int(instance.item_start[items].min())
    last = int(instance.item_end[items].max())
    begin = grid.time_of(first)
    end = grid.time_of(last - 1) + timedelta(minutes=grid.slot_minutes)
    same_day = begin.date() == end.date()
    return (f"between {begin:%H:%M} and {end:%H:%M} on {begin:%d %b}" if same_day
            else f"between {begin:%H:%M %d %b} and {end:%H:%M %d %b}")


def _rule_sentence(instance: Instance, family: Family, events: list[int]) -> str:
    scenario = instance.scenario
    chosen = [instance.events[e] for e in events]
    shared = sorted({p for e in chosen for p in e.participants
                     if sum(p in other.participants for other in chosen) > 1})
    names = {p.id: p for p in scenario.participants}
    people = ", ".join(shared) if shared else "their participants"
    rests = sorted({names[p].min_break_minutes for p in shared if names[p].min_break_minutes})
    rest = f" with {rests[-1]} minutes' rest between events" if rests else ""
    pools = {int(instance.item_pool[i]) for e in events for i in instance.event_items[e]}
    rooms = sorted({instance.rooms[r].id for p in pools for r in instance.pools[p].rooms})
    changeover = max((instance.rooms[instance.room_index[r]].changeover_minutes for r in rooms), default=0)
    sweep = scenario.sweep_minutes if any(instance.has_vvip[e] for e in events) else 0
    leads = []
    if changeover:
        leads.append(f"{changeover}-minute changeover")
    if sweep:
        leads.append(f"{sweep}-minute security sweep before each vvip event")
    lead = (" (" + ", ".join(rooms[:4]) + ("..." if len(rooms) > 4 else "") + ")"
            + (", with a " + " and a ".join(leads) if leads else ""))
    used = sorted({r for e in chosen for r in e.uses})
    capacity = {r.id: r.capacity for r in scenario.resources}
    resources = ", ".join(f"{r} ({capacity.get(r, 0)} available)" for r in used) or "shared resources"
    template = _RULE_WORDS.get(family.__name__, family.__name__)
    return template.format(people=people, rest=rest, lead=lead, resources=resources,
                           limits=_daily_limits(instance, events))


def _daily_limits(instance: Instance, events: list[int]) -> str:
    """Each participant with a daily limit in these events: who, the limit, and their events in the set."""
    said = []
    for person in instance.scenario.participants:
        if person.max_events_per_day is None:
            continue
        theirs = [instance.events[e].id for e in events if person.id in instance.events[e].participants]
        if len(theirs) > person.max_events_per_day:
            who = f"{person.name} ({person.id})" if person.name else person.id
            said.append(f"{who} may attend at most {person.max_events_per_day} event"
                        f"{'s' * (person.max_events_per_day != 1)} a day and must attend {', '.join(theirs)}")
    return "; ".join(said) or "a participant's maximum number of events per day"


def explain_infeasible(instance: Instance, time_limit: float = 10.0) -> list[Diagnostic]:
    """A counting argument when one shows the conflict (instant, checkable by hand), else a minimal core."""
    started = time.monotonic()
    required = _required_part(instance)
    counted = counting_conflict(required, np.flatnonzero(required.required).tolist())
    if counted is not None:
        return [_counting_diagnostic(instance, counted)]
    events = _local_core(instance, required, started + min(time_limit / 2, 4.0))
    if events is None:
        events = conflicting_required_events(instance, max(0.5, time_limit - (time.monotonic() - started)))
    return explain_conflict(instance, events, max(0.5, time_limit - (time.monotonic() - started)))


def _local_core(instance: Instance, required: Instance, deadline: float) -> list[int] | None:
    """A minimal conflict among one participant's required events (with what they follow), trying the busiest
    participants first: in a forum of short meetings, the conflict nearly always lies in one person's day, and
    these small models answer in milliseconds where the whole summit's core may not answer at all."""
    events = np.flatnonzero(required.required).tolist()
    load: dict[str, int] = {}
    for e in events:
        for person in instance.events[e].participants:
            load[person] = load.get(person, 0) + int(instance.duration[e])
    for person in sorted(load, key=lambda p: -load[p]):
        if time.monotonic() >= deadline:
            return None
        theirs = [e for e in events if person in instance.events[e].participants]
        if len(theirs) < 2:
            continue
        core = _minimal_core(_only(required, instance.with_predecessors(theirs)),
                             min(deadline, time.monotonic() + 0.5))
        if core:
            return core
    return None


def _counting_diagnostic(instance: Instance, conflict: CountingConflict) -> Diagnostic:
    """A counting argument in the planner's words: who or which rooms, how many slots needed and offered."""
    grid = instance.grid
    minutes = grid.slot_minutes
    ids = [instance.events[e].id for e in conflict.events]
    listing = ", ".join(ids[:12]) + (f" and {len(ids) - 12} more" if len(ids) > 12 else "")
    if conflict.kind == "participant":
        person = next(p for p in instance.scenario.participants if p.id == conflict.participant)
        who = f"{person.name} ({person.id})" if person.name else person.id
        if conflict.rest:
            rest = conflict.rest * minutes
            message = (f"{who} must attend {len(ids)} required events ({listing}) which, with {rest} minutes' rest "
                       f"after each, take {conflict.demand * minutes} minutes, but only {conflict.supply * minutes} "
                       f"minutes are open to them at the times any of them can be held (rest after the day's last "
                       f"event included): they cannot all be scheduled. Leaving out any one of them makes the count "
                       f"fit.")
        else:
            message = (f"{who} must attend {len(ids)} required events ({listing}) lasting "
                       f"{conflict.demand * minutes} minutes in all, but is free for only "
                       f"{conflict.supply * minutes} minutes ({conflict.supply} slots of {minutes} minutes) at the "
                       f"times any of them can be held: they cannot all be scheduled. Leaving out any one of them "
                       f"makes the count fit.")
        return Diagnostic(code="participant_overbooked", message=message, events=ids,
                          participants=[person.id])
    rooms = sorted({instance.rooms[r].id for p in conflict.pools for r in instance.pools[p].rooms})
    shown = ", ".join(rooms[:8]) + (f" and {len(rooms) - 8} more" if len(rooms) > 8 else "")
    message = (f"{len(ids)} required events ({listing}) need {conflict.demand} room-slots of {minutes} minutes, "
               f"but the rooms they fit in ({shown}) offer only {conflict.supply} at the times they can be held: "
               f"they cannot all be scheduled. Leaving out any one of them makes the count fit.")
    return Diagnostic(code="rooms_too_few", message=message, events=ids, rooms=rooms[:12])


def explain_conflict(instance: Instance, events: list[int] | None, time_limit: float = 10.0) -> list[Diagnostic]:
    """The planner's words for a set of required events that cannot all happen (as found by
    :func:`conflicting_required_events`): the events, their windows and the rules that make them clash."""
    started = time.monotonic()
    if events is None:
        return [Diagnostic(code="infeasible_unexplained",
                           message="the required events cannot all be scheduled, and no small conflicting "
                                   "set was found in time")]
    if not events:
        return [Diagnostic(code="infeasible_structure",
                           message="the scenario's rules contradict each other even before any required "
                                   "event is demanded")]
    events, proven = _conflict_set(instance, events, started + time_limit / 2)
    remaining = max(0.5, time_limit - (time.monotonic() - started))
    rules = _essential_rules(instance, events, remaining)
    chosen = [instance.events[e] for e in events]
    people = sorted({p for e in chosen for p in e.participants
                     if sum(p in other.participants for other in chosen) > 1})
    listing = "; ".join(f"{e.id} ({e.duration_minutes} min, {_window_of(instance, i)})"
                        for i, e in zip(events, chosen, strict=True))
    if rules:
        because = " and ".join(_rule_sentence(instance, family, events) for family in rules)
        why = f" because {because}"
    else:
        why = " within their allowed times"
    rooms = sorted({instance.rooms[r].id for e in events for i in instance.event_items[e]
                    for r in instance.pools[int(instance.item_pool[i])].rooms})
    code = "required_events_conflict"
    if len(rules) == 1:
        code = {
            "rooms_hold_one_event_at_a_time": "rooms_too_few",
            "participants_attend_one_event_at_a_time": "participant_overbooked",
            "participants_have_time_to_travel": "travel_too_long",
            "events_follow_their_predecessors": "order_does_not_fit",
            "exclusive_events_stand_alone": "exclusive_overlap",
            "escort_capacity_per_zone": "escort_capacity_too_small",
            "shared_resources_suffice": "resource_too_small",
            "daily_event_limits": "daily_limit_too_low",
        }.get(rules[0].__name__, code)
    minimal = ("Removing or relaxing any one of them makes the rest possible." if proven else
               "Not every one of them was proven needed in the time given: a longer time limit checks each.")
    return [Diagnostic(code=code, message=f"these required events cannot all be scheduled: {listing}{why}. {minimal}",
                       events=[e.id for e in chosen], participants=people, rooms=rooms[:12])]


def explain_scenario(scenario: Scenario, time_limit: float = 10.0, waivers: Waivers = Waivers()) -> list[Diagnostic]:
    """Pre-check failures of required events, or a minimal conflicting set, or 'feasible'. ``waivers``: what the
    re-plans that made the timetable explained waived after reports (:class:`solver.compile.Waivers`): the same summit
    they solved, so a waived pair or availability is never named as a reason."""
    instance = compile_scenario(scenario, waivers=waivers)
    early = [c for c in instance.prechecks if instance.required[c.event]]
    if early:
        return [Diagnostic(code=c.code, message=c.message, events=[instance.events[c.event].id],
                           participants=list(c.participants)) for c in early]
    started = time.monotonic()
    # A count that does not fit is a proof on its own, found in a fraction of a second: before any search.
    required = _required_part(instance)
    counted = counting_conflict(required, np.flatnonzero(required.required).tolist())
    if counted is not None:
        return [_counting_diagnostic(instance, counted)]
    # Optional events can always stay out: the required ones (and what they follow) decide feasibility. The
    # greedy warm start keeps every rule (it reads the same rows as the model): when it places them all, that is
    # the proof (Hanoi: 0.6 s, where CP-SAT on one worker found nothing in 20 s); else CP-SAT decides.
    rows = all_rows(required)
    placed = greedy_placements(required, rows)
    if (placed[np.flatnonzero(required.required)] >= 0).all():
        status = int(cp_model.FEASIBLE)
    else:
        built = build_model(required, with_objective=False, rows=rows)
        # No assumptions here: two workers with presolve answer far sooner than one without (forums: 1.7 s
        # against 6.4 s) and the search for a core below keeps its one worker.
        decided, _ = cpsat.run(built.model, cpsat.Search(max(0.05, time_limit - (time.monotonic() - started)),
                                                         workers=2, presolve=True))
        status = int(decided)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        optional = [instance.events[c.event].id for c in instance.prechecks]
        extra = f"; optional events ruled out before solving: {', '.join(optional)}" if optional else ""
        return [Diagnostic(code="feasible", message=f"every required event can be scheduled{extra}")]
    if status != cp_model.INFEASIBLE:
        return [Diagnostic(code="undecided", message=f"no answer within {time_limit:g} s")]
    return explain_infeasible(instance, max(0.5, time_limit - (time.monotonic() - started)))


# --------------------------------------------------------------------------------------
# What would it take
# --------------------------------------------------------------------------------------

class Lever(NamedTuple):
    """One lever a planner has on an event left out: the words, the change that pulls it (applied like any other),
    what kind of lever it is, and the participant, resource or event it concerns (to rank it by the reason)."""

    words: str
    change: Change
    kind: str
    about: str = ""


_HOUR = timedelta(hours=1)
# the kinds of levers, in the order they are named when none lets an event in
KINDS = ("a later departure", "an earlier arrival", "more events a day", "a later end", "an earlier start",
         "one more room", "one more unit of a resource", "dropping a lower-priority meeting")
# each check's deterministic work (CP-SAT's deterministic seconds, one worker: the same answer on any machine and
# under any load), and how many checks of the whole summit an explanation may make
WORK = 1.0
WHOLE_SUMMIT_CHECKS = 12


def _relaxations(scenario: Scenario, event_id: str, timetable: Timetable | None) -> list[Lever]:
    """The levers a planner has on an event left out, each a change: its participants' times (within the summit's
    hours: a lever must be possible) and daily limits, its own window, one more room, one more unit of what it uses,
    dropping a lower-priority meeting it competes with."""
    event = next(e for e in scenario.events if e.id == event_id)
    people = {p.id: p for p in scenario.participants}
    levers: list[Lever] = []
    for pid in event.participants:
        levers += _person_levers(scenario, people[pid])
    levers += _window_levers(scenario, event)
    levers += _room_levers(scenario, event)
    levers += [Lever(f"possible with one more unit of {r.id}",
                     ResourceCapacity(op="resource_capacity", resource=r.id, capacity=r.capacity + 1),
                     "one more unit of a resource", r.id)
               for r in scenario.resources if r.id in event.uses]
    levers += _rival_levers(scenario, event, timetable)
    return levers


def _at(scenario: Scenario, moment: datetime) -> str:
    return f"{scenario.localise(moment):%H:%M on %d %b}"


def _within_hours(scenario: Scenario, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The parts of [start, end) within the summit's days (its hours): what a lever there really gives."""
    spans = []
    for day in scenario.days:
        low, high = scenario.day_bounds(day)
        if max(low, start) < min(high, end):
            spans.append((max(low, start), min(high, end)))
    return spans


def _person_levers(scenario: Scenario, person: Participant) -> list[Lever]:
    """Each availability window of the participant up to an hour longer on either side, within the summit's hours
    (no arrival before the day starts); one more event a day."""
    levers: list[Lever] = []
    for window in person.available or []:
        later = _within_hours(scenario, window.end, window.end + _HOUR)
        if later:
            end = later[-1][1]
            levers.append(Lever(f"possible if {person.id}'s departure moves from {_at(scenario, window.end)} to "
                                f"{_at(scenario, end)}",
                                AvailableAlso(participant=person.id, start=window.end, end=end),
                                "a later departure", person.id))
        earlier = _within_hours(scenario, window.start - _HOUR, window.start)
        if earlier:
            start = earlier[0][0]
            levers.append(Lever(f"possible if {person.id} arrives at {_at(scenario, start)} instead of "
                                f"{_at(scenario, window.start)}",
                                AvailableAlso(participant=person.id, start=start, end=window.start),
                                "an earlier arrival", person.id))
    if person.max_events_per_day is not None:
        limit = person.max_events_per_day
        levers.append(Lever(f"possible if {person.id} may attend {limit + 1} events a day instead of {limit}",
                            DailyLimitRaised(participant=person.id, max_events_per_day=limit + 1),
                            "more events a day", person.id))
    return levers


def _window_levers(scenario: Scenario, event: Event) -> list[Lever]:
    """The event's own window up to an hour wider on the side it has one, within the summit's hours."""
    levers: list[Lever] = []
    later = _within_hours(scenario, event.latest_end, event.latest_end + _HOUR) if event.latest_end else []
    if event.latest_end is not None and later:
        end = later[-1][1]
        levers.append(Lever(f"possible if {event.id} may end by {_at(scenario, end)} instead of "
                            f"{_at(scenario, event.latest_end)}",
                            EventUpdated(op="event_updated", event=event.id, set={"latest_end": end.isoformat()}),
                            "a later end", event.id))
    earlier = _within_hours(scenario, event.earliest - _HOUR, event.earliest) if event.earliest else []
    if event.earliest is not None and earlier:
        start = earlier[0][0]
        levers.append(Lever(f"possible if {event.id} may start from {_at(scenario, start)} instead of "
                            f"{_at(scenario, event.earliest)}",
                            EventUpdated(op="event_updated", event=event.id, set={"earliest": start.isoformat()}),
                            "an earlier start", event.id))
    return levers


def _room_levers(scenario: Scenario, event: Event) -> list[Lever]:
    """One more room like the smallest that fits the event, open all the time."""
    instance = compile_scenario(scenario)
    e_index = instance.event_index[event.id]
    fitting = {r for i in instance.event_items[e_index] for r in instance.pools[int(instance.item_pool[i])].rooms}
    candidates = sorted(fitting, key=lambda r: instance.rooms[r].capacity)
    if not candidates:
        return []
    room = next(r for r in scenario.rooms if r.id == instance.rooms[candidates[0]].id)
    extra = room.model_copy(update={"id": f"{room.id}-extra", "unavailable": []})
    return [Lever(f"possible if one more room like {room.name or room.id} is open",
                  RoomAdded(op="room_added", room=extra), "one more room", room.id)]


def _rival_levers(scenario: Scenario, event: Event, timetable: Timetable | None) -> list[Lever]:
    """Dropping one of the (at most five) scheduled optional meetings of lower or equal priority that share a
    participant with the event, the least valuable first."""
    if timetable is None:
        return []
    placed = {a.event for a in timetable.assignments}
    rivals = sorted((e for e in scenario.events
                     if e.id in placed and not e.required and e.id != event.id
                     and set(e.participants) & set(event.participants) and e.priority <= event.priority),
                    key=lambda e: e.priority)[:5]
    return [Lever(f"possible if {rival.id} (priority {rival.priority}) is dropped",
                  EventCancelled(op="event_cancelled", event=rival.id), "dropping a lower-priority meeting", rival.id)
            for rival in rivals]


@dataclass
class _Checks:
    """The checks of one explanation ("does the event fit after these changes, every scheduled event kept?"), the
    cheapest first, each with its deterministic work:

    1. the event's own neighbourhood (it and the kept events sharing a participant with it, the rest of the summit
       left out): "no" there is a proof for the whole summit;
    2. the whole summit with every other kept event at the time the timetable has it (rooms may be reassigned):
       "yes" there is a timetable;
    3. the whole summit, every kept event free to move (at most ``whole_left`` of these).
    """

    scenario: Scenario
    event_id: str
    keep: set[str]
    standing: list[Assignment]
    near: set[str]
    deadline: float
    work: float
    whole_left: int
    asked: int = 0
    refuted_nearby: int = 0
    refuted: int = 0
    undecided: int = 0
    waivers: Waivers = Waivers()  # a re-plan's, when its timetable is explained (the summit it solved)

    @classmethod
    def of(cls, scenario: Scenario, event_id: str, timetable: Timetable | None, time_limit: float,
           work: float, waivers: Waivers = Waivers()) -> _Checks:
        event = next(e for e in scenario.events if e.id == event_id)
        standing = list(timetable.assignments) if timetable is not None else []
        keep = {a.event for a in standing}
        near = {e.id for e in scenario.events if e.id in keep and set(e.participants) & set(event.participants)}
        return cls(scenario, event_id, keep, standing, near | {event_id}, time.monotonic() + time_limit, work,
                   WHOLE_SUMMIT_CHECKS, waivers=waivers)

    def _search(self) -> cpsat.Search:
        return cpsat.Search(max(0.05, self.deadline - time.monotonic()), work=self.work)

    def out_of_time(self) -> bool:
        return time.monotonic() >= self.deadline

    def impossible_nearby(self, changes: list[Change]) -> bool:
        """Proven impossible on the event's neighbourhood alone (so on the whole summit)."""
        self.asked += 1
        answer = check(self.scenario, changes, required=self.keep | {self.event_id}, only=self.near,
                       search=self._search(), waivers=self.waivers)
        self.refuted_nearby += answer is False
        return answer is False

    def lets_in(self, changes: list[Change]) -> bool | None:
        """True: a timetable with the event and every kept event exists; False: proven impossible; None: not
        decided within the work given."""
        required = self.keep | {self.event_id}
        fixed = [a for a in self.standing if a.event not in self.near]
        if fixed and check(self.scenario, changes, required=required, fixed=fixed, hint=self.standing,
                           search=self._search(), waivers=self.waivers):
            return True
        if self.whole_left <= 0 or self.out_of_time():
            self.undecided += 1
            return None
        self.whole_left -= 1
        answer = check(self.scenario, changes, required=required, hint=self.standing, search=self._search(),
                       waivers=self.waivers)
        self.refuted += answer is False
        self.undecided += answer is None
        return answer


def what_would_it_take(scenario: Scenario, event_id: str, timetable: Timetable | None = None,
                       time_limit: float = 60.0, work: float = WORK, waivers: Waivers = Waivers()) -> list[str]:
    """Planner-readable lines: why the event is out, then each single lever that lets it in; when none does, every
    lever tried and the pairs of them that would do it together; the last line says what would let it in, or that
    no lever of the kinds tried would. Every check is bounded by deterministic ``work``; ``time_limit`` is a safety
    net on the whole answer (which then says what it did not try). ``waivers``: the re-plans' that made
    ``timetable`` (:class:`solver.compile.Waivers`): every check sees the summit they solved."""
    lines: list[str] = []
    if timetable is not None:
        if timetable.assignment_of(event_id) is not None:
            return [f"{event_id} is scheduled"]
        reason = next((u.reason for u in timetable.unscheduled if u.event == event_id), None)
        if reason:
            lines.append(f"{event_id}: {reason}")
    checks = _Checks.of(scenario, event_id, timetable, time_limit, work, waivers)
    if not checks.impossible_nearby([]) and checks.lets_in([]):
        lines.append(f"{event_id} fits without any relaxation if other meetings move; re-plan to include it")
        return lines
    levers = _relaxations(scenario, event_id, timetable)
    ranked = _ranked(levers, " ".join(lines))
    works = _try(checks, [(lever,) for lever in ranked])
    found = [lever.words for lever in levers if (lever,) in works]
    if found:
        return lines + found
    tried = [lever.words.removeprefix("possible if ").removeprefix("possible with ") for lever in levers]
    lines.append(f"no single relaxation tried lets {event_id} in; tried: " + "; ".join(tried))
    return lines + _pairs(checks, levers, ranked, event_id)


def _ranked(levers: list[Lever], reason: str) -> list[Lever]:
    """The levers in order of likely success: those about what the reason names (the participant whose limit is
    reached, the meeting holding the time) first; then by kind (more of a person's time before more rooms)."""
    return sorted(levers, key=lambda lever: (not (lever.about and lever.about in reason), KINDS.index(lever.kind)))


def _try(checks: _Checks, trials: list[tuple[Lever, ...]], enough: int | None = None) -> list[tuple[Lever, ...]]:
    """The trials (levers pulled together) that let the event in, tried in the order given: first each on the
    event's neighbourhood (a cheap proof that it does not), then the survivors on the whole summit; ``enough``:
    stop once that many are found."""
    survivors = []
    for trial in trials:
        if checks.out_of_time():
            checks.asked += 1
            checks.undecided += 1
        elif not checks.impossible_nearby([lever.change for lever in trial]):
            survivors.append(trial)
    found: list[tuple[Lever, ...]] = []
    for trial in survivors:
        if enough is not None and len(found) >= enough:
            break
        if checks.lets_in([lever.change for lever in trial]):
            found.append(trial)
    return found


def _pairs(checks: _Checks, levers: list[Lever], ranked: list[Lever], event_id: str) -> list[str]:
    """Two levers together, when no single one does it: the first pairs that let the event in (the likeliest
    tried first), or a proof that no pair of the kinds tried does (or how many could not be decided)."""
    order = {id(lever): rank for rank, lever in enumerate(ranked)}
    pairs = sorted(((a, b) for i, a in enumerate(levers) for b in levers[i + 1:]),
                   key=lambda pair: (order[id(pair[0])] + order[id(pair[1])], order[id(pair[0])]))
    found = _try(checks, list(pairs), enough=3)
    if found:
        return [f"{a.words} and, together with it, {b.words.removeprefix('possible ')}" for a, b in found]
    kinds = ", ".join(kind for kind in KINDS if any(lever.kind == kind for lever in levers)) or "none"
    if checks.undecided == 0 and not checks.out_of_time():
        return [f"no pair of these relaxations lets {event_id} in either: no lever of the kinds tried ({kinds}), "
                f"alone or two together, lets it in (proven: {checks.refuted_nearby} check(s) on the meetings of its "
                f"participants alone, {checks.refuted} on the whole summit)"]
    return [f"no pair of these relaxations was found to let {event_id} in; {checks.undecided} of the "
            f"{checks.asked} checks of the kinds tried ({kinds}) could not be decided within the work limit"
            f"{' and the time limit' if checks.out_of_time() else ''} (a re-plan with one of them may still fit it)"]
