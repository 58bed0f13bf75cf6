"""The hard disruptions: changes that hit the events many people attend (the signing, the plenary
sessions, the round tables) and the leaders everyone meets, as a planner meets them on the day.

``hard_disruptions(scenario, timetable)`` returns named cases, each a list of changes and the
moment ``now`` the planner re-plans at:

- every visiting head of state who signs delayed to the start of their second event (the signing,
  with all its signers, must then move);
- the Secretary-General and each host leader delayed or leaving early, on day 1 and on day 2, with
  ``now`` before day 1 and (for day 2) after day 1 is over;
- each plenary-capable room closed for one to two hours around the ceremonies;
- each interpretation team pool cut by one and by half;
- ten bilaterals with the hosts requested at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from solver.scenario import Scenario
from solver.timetable import Timetable


@dataclass
class Disruption:
    name: str
    family: str
    changes: list[dict[str, Any]]
    now: datetime | None = None
    notes: dict[str, Any] = field(default_factory=dict)


def _ceremonies(scenario: Scenario) -> list[str]:
    """The events many people attend: events with more than a handful of participants (in a summit without
    such events, e.g. a generated forum, its three largest events)."""
    large = [e.id for e in scenario.events if len(e.participants) > 5]
    return large or [e.id for e in sorted(scenario.events, key=lambda e: -len(e.participants))[:3]]


def _hosts(scenario: Scenario) -> list[str]:
    """The host's leaders and the Secretary-General (the vvip/vip participants of the host and the UN); in another
    summit, the four vvip participants with the most events."""
    named = [p.id for p in scenario.participants
             if p.tier in ("vvip", "vip") and (p.id.startswith("vnm-") or p.id == "un-sg")]
    if named:
        return named
    load = {p.id: sum(p.id in e.participants for e in scenario.events) for p in scenario.participants
            if p.tier == "vvip"}
    return sorted(load, key=lambda p: -load[p])[:4]


def visiting_heads_delayed(scenario: Scenario, timetable: Timetable) -> list[Disruption]:
    """Each visiting head of state attending a ceremony lands at the start of their second event."""
    placed = sorted(timetable.assignments, key=lambda a: a.start)
    ceremonies = set(_ceremonies(scenario))
    attendees = {p for e in scenario.events if e.id in ceremonies for p in e.participants}
    hosts = set(_hosts(scenario))
    by_event = {e.id: e for e in scenario.events}
    cases = []
    for person in scenario.participants:
        if person.id not in attendees or person.id in hosts or person.tier != "vvip":
            continue
        mine = [a for a in placed if person.id in by_event[a.event].participants]
        if len(mine) < 2:
            continue
        arrival = mine[1].start
        cases.append(Disruption(f"{person.id} lands at {arrival:%d %H:%M}", "visiting_head_delayed",
                                [{"op": "participant_delayed", "participant": person.id,
                                  "arrival": arrival.isoformat()}]))
    return cases


def hosts_delayed_or_leaving(scenario: Scenario, timetable: Timetable) -> list[Disruption]:
    """The Secretary-General and each host leader delayed by two hours, or leaving two hours early, on each day;
    on day 2 once with ``now`` before the summit and once when day 1 is over."""
    cases = []
    first_start = scenario.day_bounds(scenario.days[0])[0]
    for person in _hosts(scenario):
        for index, day in enumerate(scenario.days):
            start, end = scenario.day_bounds(day)
            moments = [first_start - timedelta(hours=1)]
            if index > 0:
                moments.append(start - timedelta(minutes=30))  # the previous days are over
            for now in moments:
                after = "after day 1" if now > first_start else "before the summit"
                delayed = start + timedelta(hours=2)
                if index == 0 or now > first_start:
                    late: dict[str, Any] = {"op": "participant_delayed", "participant": person,
                                            "arrival": delayed.isoformat()}
                else:  # before the summit, "late on day 2" means absent that morning only
                    late = {"op": "participant_availability", "participant": person,
                            "available": [_window(scenario, d, None, delayed if d == day else None)
                                          for d in scenario.days]}
                cases.append(Disruption(f"{person} arrives {delayed:%d %H:%M} (now {after})", "host_delayed",
                                        [late], now))
                leaving = end - timedelta(hours=2)
                cases.append(Disruption(f"{person} leaves {leaving:%d %H:%M} (now {after})", "host_leaves_early",
                                        [{"op": "participant_availability", "participant": person,
                                          "available": [_window(scenario, d, leaving if d == day else None)
                                                        for d in scenario.days]}], now))
    return cases


def _window(scenario: Scenario, day: Any, until: datetime | None, since: datetime | None = None) -> dict[str, str]:
    start, end = scenario.day_bounds(day)
    return {"start": (since or start).isoformat(), "end": (until or end).isoformat()}


def plenary_rooms_closed(scenario: Scenario, timetable: Timetable) -> list[Disruption]:
    """Each plenary-capable room (a plenary or a hall) closed for one, then two hours from each ceremony's
    start in the plan."""
    ceremonies = [a for a in timetable.assignments if a.event in set(_ceremonies(scenario))]
    halls = ([r.id for r in scenario.rooms if r.type in ("plenary", "hall")]
             or [r.id for r in sorted(scenario.rooms, key=lambda r: -r.capacity)[:2]])
    cases = []
    for placed in ceremonies:
        for room in halls:
            for hours in (1, 2):
                end = placed.start + timedelta(hours=hours)
                cases.append(Disruption(f"{room} closed {placed.start:%d %H:%M}-{end:%H:%M} ({placed.event})",
                                        "ceremony_room_closed",
                                        [{"op": "room_closed", "room": room, "start": placed.start.isoformat(),
                                          "end": end.isoformat(), "reason": "security sweep"}]))
    return cases


def interpretation_cut(scenario: Scenario, timetable: Timetable) -> list[Disruption]:
    """Each interpretation pool cut by one team, and to one team."""
    cases = []
    interpreters = [r for r in scenario.resources if r.id.startswith("interp-")] or scenario.resources
    for resource in interpreters:
        for capacity in sorted({max(1, resource.capacity - 1), 1}, reverse=True):
            cases.append(Disruption(f"{resource.id} cut to {capacity}", "interpretation_cut",
                                    [{"op": "resource_capacity", "resource": resource.id, "capacity": capacity}]))
    return cases


def host_bilaterals_added(scenario: Scenario, timetable: Timetable) -> list[Disruption]:
    """Ten bilaterals with the host's leaders requested at once (the visiting vvips not yet meeting them)."""
    hosts = [p for p in _hosts(scenario) if p.startswith("vnm-")] or _hosts(scenario)
    visitors = [p.id for p in scenario.participants if p.tier == "vvip" and p.id not in _hosts(scenario)]
    rooms = [r for r in scenario.rooms if "flags" in r.features]
    features = ["flags"] if rooms else []
    events = []
    for serial, visitor in enumerate(visitors[:10]):
        host = hosts[serial % len(hosts)]
        events.append({"op": "event_added", "event": {
            "id": f"host-bil-{serial}", "title": f"{host} - {visitor}", "kind": "bilateral",
            "duration_minutes": 30, "participants": [host, visitor], "features": features, "priority": 8}})
    return [Disruption("ten bilaterals with the hosts", "host_bilaterals_added", events)] if events else []


FAMILIES = (visiting_heads_delayed, hosts_delayed_or_leaving, plenary_rooms_closed, interpretation_cut,
            host_bilaterals_added)


def hard_disruptions(scenario: Scenario, timetable: Timetable) -> list[Disruption]:
    return [case for family in FAMILIES for case in family(scenario, timetable)]
