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
from collections.abc import Callable, Collection
from copy import deepcopy
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from solver import cpsat
from solver.compile import Instance, compile_scenario
from solver.counting import CountingConflict, counting_conflict
from solver.model.build import build_model
from solver.model.constraints import ALL_FAMILIES, Family, all_rows
from solver.model.greedy import greedy_placements
from solver.scenario import Scenario, ScenarioError, parse_scenario
from solver.timetable import Diagnostic, Timetable

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
    """The instance reduced to these events (every other event removed)."""
    keep = np.isin(instance.item_event, np.asarray(events, dtype=np.int64))
    reduced = instance.restricted(keep)
    return reduced


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
    # An event's predecessors must happen for it to happen (H10): they belong to the conflict.
    closure: list[int] = []
    stack = list(events)
    while stack:
        event = stack.pop()
        if event not in closure:
            closure.append(event)
            stack.extend(instance.predecessors[event])
    events = sorted(closure, key=lambda e: (instance.item_start[instance.event_items[e]].min()
                                            if instance.event_items[e].size else 0, e))
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
    return [Diagnostic(code=code,
                       message=f"these required events cannot all be scheduled: {listing}{why}. "
                               f"Removing or relaxing any one of them makes the rest possible.",
                       events=[e.id for e in chosen], participants=people, rooms=rooms[:12])]


def explain_scenario(scenario: Scenario, time_limit: float = 10.0) -> list[Diagnostic]:
    """Pre-check failures of required events, or a minimal conflicting set, or 'feasible'."""
    instance = compile_scenario(scenario)
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

Relaxation = tuple[str, Callable[[dict[str, Any]], None]]


def _fits(document: dict[str, Any], event_id: str, keep: set[str], time_limit: float) -> bool:
    """Can the event happen with every event in ``keep`` still scheduled (they may move)?"""
    doc = deepcopy(document)
    for event in doc["events"]:
        if event["id"] == event_id or event["id"] in keep:
            event["required"] = True
    try:
        variant = parse_scenario(doc)
    except ScenarioError:
        return False
    instance = compile_scenario(variant)
    if any(instance.required[c.event] for c in instance.prechecks):
        return False
    built = build_model(instance)
    built.model.clear_objective()
    return _solve_status(built.model, time_limit) in (cp_model.OPTIMAL, cp_model.FEASIBLE)


def _relaxations(scenario: Scenario, event_id: str, timetable: Timetable | None) -> list[Relaxation]:
    event = next(e for e in scenario.events if e.id == event_id)
    people = {p.id: p for p in scenario.participants}
    out: list[Relaxation] = []
    hour = timedelta(hours=1)

    def at(moment: datetime) -> str:
        return f"{scenario.localise(moment):%H:%M on %d %b}"

    for pid in event.participants:
        person = people[pid]
        for index, window in enumerate(person.available or []):
            def later(doc: dict[str, Any], pid: str = pid, index: int = index, end: datetime = window.end) -> None:
                person_doc = next(p for p in doc["participants"] if p["id"] == pid)
                person_doc["available"][index]["end"] = (end + hour).isoformat()

            def earlier(doc: dict[str, Any], pid: str = pid, index: int = index,
                        start: datetime = window.start) -> None:
                person_doc = next(p for p in doc["participants"] if p["id"] == pid)
                person_doc["available"][index]["start"] = (start - hour).isoformat()

            out.append((f"possible if {pid}'s departure moves from {at(window.end)} to {at(window.end + hour)}",
                        later))
            out.append((f"possible if {pid} arrives at {at(window.start - hour)} instead of {at(window.start)}",
                        earlier))
        if person.max_events_per_day is not None:
            def more_events(doc: dict[str, Any], pid: str = pid) -> None:
                person_doc = next(p for p in doc["participants"] if p["id"] == pid)
                person_doc["max_events_per_day"] += 1

            out.append((f"possible if {pid} may attend {person.max_events_per_day + 1} events a day "
                        f"instead of {person.max_events_per_day}", more_events))
    if event.latest_end is not None:
        def later_end(doc: dict[str, Any], end: datetime = event.latest_end) -> None:
            next(e for e in doc["events"] if e["id"] == event_id)["latest_end"] = (end + hour).isoformat()

        out.append((f"possible if {event_id} may end by {at(event.latest_end + hour)} instead of "
                    f"{at(event.latest_end)}", later_end))
    if event.earliest is not None:
        def earlier_start(doc: dict[str, Any], start: datetime = event.earliest) -> None:
            next(e for e in doc["events"] if e["id"] == event_id)["earliest"] = (start - hour).isoformat()

        out.append((f"possible if {event_id} may start from {at(event.earliest - hour)} instead of "
                    f"{at(event.earliest)}", earlier_start))
    instance = compile_scenario(scenario)
    e_index = instance.event_index[event_id]
    candidate_rooms = sorted({r for i in instance.event_items[e_index]
                              for r in instance.pools[int(instance.item_pool[i])].rooms},
                             key=lambda r: instance.rooms[r].capacity)
    if candidate_rooms:
        room = instance.rooms[candidate_rooms[0]]

        def one_more_room(doc: dict[str, Any], room_id: str = room.id) -> None:
            template = deepcopy(next(r for r in doc["rooms"] if r["id"] == room_id))
            template["id"] = f"{room_id}-extra"
            template["unavailable"] = []
            doc["rooms"].append(template)

        out.append((f"possible if one more room like {room.name or room.id} is open", one_more_room))
    for resource_id in event.uses:
        def more_resource(doc: dict[str, Any], resource_id: str = resource_id) -> None:
            next(r for r in doc["resources"] if r["id"] == resource_id)["capacity"] += 1

        out.append((f"possible with one more unit of {resource_id}", more_resource))
    if timetable is not None:
        placed = {a.event for a in timetable.assignments}
        rivals = sorted((e for e in scenario.events
                         if e.id in placed and not e.required and e.id != event_id
                         and set(e.participants) & set(event.participants) and e.priority <= event.priority),
                        key=lambda e: e.priority)[:5]
        for rival in rivals:
            def drop(doc: dict[str, Any], rival_id: str = rival.id) -> None:
                doc["events"] = [e for e in doc["events"] if e["id"] != rival_id]
                for other in doc["events"]:
                    other["after"] = [a for a in other.get("after", []) if a != rival_id]

            out.append((f"possible if {rival.id} (priority {rival.priority}) is dropped", drop))
    return out


def what_would_it_take(scenario: Scenario, event_id: str, timetable: Timetable | None = None,
                       time_limit: float = 10.0) -> list[str]:
    """Planner-readable lines: why the event is out, then each single relaxation that lets it in; when none
    does, every relaxation tried, and the pairs of them that would do it together."""
    lines: list[str] = []
    if timetable is not None:
        if timetable.assignment_of(event_id) is not None:
            return [f"{event_id} is scheduled"]
        reason = next((u.reason for u in timetable.unscheduled if u.event == event_id), None)
        if reason:
            lines.append(f"{event_id}: {reason}")
    keep = {a.event for a in timetable.assignments} if timetable is not None else set()
    document = scenario.to_document()
    started = time.monotonic()
    candidates = _relaxations(scenario, event_id, timetable)
    if _fits(document, event_id, keep, time_limit / (len(candidates) + 1)):
        lines.append(f"{event_id} fits without any relaxation if other meetings move; re-plan to include it")
        return lines
    tried: list[str] = []
    found = 0
    for sentence, relax in candidates:
        remaining = time_limit - (time.monotonic() - started)
        if remaining <= 0:
            lines.append(f"(stopped: time limit reached; {len(candidates) - len(tried)} relaxation(s) not tried)")
            break
        tried.append(sentence.removeprefix("possible if ").removeprefix("possible with "))
        if _fits_after(document, [relax], event_id, keep, min(remaining, time_limit / 4)):
            lines.append(sentence)
            found += 1
    if found:
        return lines
    lines.append(f"no single relaxation tried lets {event_id} in; tried: " + "; ".join(tried))
    lines.extend(_pairs(document, candidates[:len(tried)], event_id, keep, started + time_limit))
    return lines


def _fits_after(document: dict[str, Any], relaxations: list[Callable[[dict[str, Any]], None]], event_id: str,
                keep: set[str], time_limit: float) -> bool:
    """Does the event fit once these relaxations are made (events they remove no longer kept)?"""
    variant = deepcopy(document)
    for relax in relaxations:
        relax(variant)
    removed = {e["id"] for e in document["events"]} - {e["id"] for e in variant["events"]}
    return _fits(variant, event_id, keep - removed, time_limit)


def _pairs(document: dict[str, Any], candidates: list[Relaxation], event_id: str, keep: set[str],
           deadline: float) -> list[str]:
    """Two relaxations together, when no single one does it: each pair that lets the event in, or what was not
    tried for want of time."""
    pairs = [(a, b) for i, a in enumerate(candidates) for b in candidates[i + 1:]]
    found: list[str] = []
    for done, (first, second) in enumerate(pairs):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            found.append(f"({len(pairs) - done} of {len(pairs)} pairs of relaxations not tried: time limit reached)")
            break
        if _fits_after(document, [first[1], second[1]], event_id, keep, min(remaining, 2.0)):
            found.append(f"{first[0]} and, together with it, {second[0].removeprefix('possible ')}")
    if not found:
        found.append(f"no pair of these relaxations lets {event_id} in either")
    return found
