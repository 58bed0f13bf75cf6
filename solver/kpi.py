"""The numbers planners weigh when they compare alternatives, read from a scenario and its timetable.

Every function here reads only the contract's data (no solver code), so a KPI is the same whether the
timetable came from a solve, a re-plan or a planner's hand. Times are in minutes, shares in 0..1.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from statistics import mean, median
from typing import Any

from solver.scenario import Event, Scenario
from solver.timetable import Assignment, Timetable


@dataclass(frozen=True)
class BilateralsGranted:
    """Bilateral requests granted: how many, their total priority, and the share of requests."""

    requested: int
    granted: int
    priority_requested: int
    priority_granted: int

    @property
    def share(self) -> float:
        return self.granted / self.requested if self.requested else 1.0


@dataclass(frozen=True)
class Fairness:
    """Per delegation, the share of its bilateral requests granted; the worst-served delegation first."""

    delegations: int
    minimum: float
    lower_quartile: float
    median: float
    mean: float
    with_none_granted: int
    shares: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class VvipIdle:
    """Waiting time of heads of state between their meetings: minutes between the end of one of their
    events and the start of the next on the same day."""

    vvip_days: int
    total_minutes: int
    mean_minutes: float
    max_minutes: int
    worst: str  # "participant on date", or "" when no vvip has two events on a day


@dataclass(frozen=True)
class ResourcePeak:
    """The most of a resource held at one moment, against its capacity."""

    peak: int
    capacity: int
    at: str  # ISO time of the first moment the peak is reached, "" if never used


@dataclass(frozen=True)
class Kpis:
    status: str
    objective: int
    bound: int | None
    gap: float | None
    scheduled: int
    events: int
    bilaterals: BilateralsGranted
    fairness: Fairness
    vvip_idle: VvipIdle
    room_utilisation: dict[str, float]
    resource_peaks: dict[str, ResourcePeak]
    unscheduled_by_reason: dict[str, int]
    robustness: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["bilaterals"]["share"] = round(self.bilaterals.share, 4)
        return data


def gap(objective: int, bound: int | None) -> float | None:
    """Relative distance between the timetable's value and the best proven bound (0 = proven optimal)."""
    if bound is None:
        return None
    if bound <= 0:
        return 0.0
    return round(max(0, bound - objective) / bound, 4)


def bilaterals_granted(scenario: Scenario, timetable: Timetable) -> BilateralsGranted:
    """How many bilateral requests the timetable grants, and how much of their priority."""
    scheduled = {a.event for a in timetable.assignments}
    bilaterals = [e for e in scenario.events if e.kind == "bilateral"]
    granted = [e for e in bilaterals if e.id in scheduled]
    return BilateralsGranted(requested=len(bilaterals), granted=len(granted),
                             priority_requested=sum(e.priority for e in bilaterals),
                             priority_granted=sum(e.priority for e in granted))


def delegation_fairness(scenario: Scenario, timetable: Timetable) -> Fairness:
    """Share of each delegation's bilateral requests that are granted. A bilateral counts once for every
    delegation taking part in it; delegations that asked for none are left out."""
    delegation_of = {p.id: p.delegation or p.id for p in scenario.participants}
    scheduled = {a.event for a in timetable.assignments}
    asked: Counter[str] = Counter()
    got: Counter[str] = Counter()
    for event in scenario.events:
        if event.kind != "bilateral":
            continue
        for delegation in {delegation_of[p] for p in event.participants}:
            asked[delegation] += 1
            got[delegation] += event.id in scheduled
    shares = {d: round(got[d] / asked[d], 4) for d in sorted(asked)}
    values = sorted(shares.values())
    if not values:
        return Fairness(0, 1.0, 1.0, 1.0, 1.0, 0, {})
    return Fairness(delegations=len(values), minimum=values[0], lower_quartile=_quantile(values, 0.25),
                    median=round(median(values), 4), mean=round(mean(values), 4),
                    with_none_granted=sum(v == 0 for v in values), shares=shares)


def vvip_idle_time(scenario: Scenario, timetable: Timetable) -> VvipIdle:
    """Minutes heads of state wait between consecutive events of the same day (travel included)."""
    vvips = {p.id for p in scenario.participants if p.tier == "vvip"}
    events = {e.id: e for e in scenario.events}
    days: dict[tuple[str, date], list[Assignment]] = defaultdict(list)
    for assignment in timetable.assignments:
        for person in events[assignment.event].participants:
            if person in vvips:
                days[person, scenario.localise(assignment.start).date()].append(assignment)
    idle: dict[tuple[str, date], int] = {}
    for key, agenda in days.items():
        agenda.sort(key=lambda a: a.start)
        idle[key] = sum(max(0, _minutes_between(a.end, b.start)) for a, b in itertools.pairwise(agenda))
    if not idle:
        return VvipIdle(0, 0, 0.0, 0, "")
    (person, day), worst = max(idle.items(), key=lambda item: (item[1], item[0]))
    return VvipIdle(vvip_days=len(idle), total_minutes=sum(idle.values()), mean_minutes=round(mean(idle.values()), 1),
                    max_minutes=worst, worst=f"{person} on {day.isoformat()}" if worst else "")


def room_utilisation(scenario: Scenario, timetable: Timetable) -> dict[str, float]:
    """Per room type, the share of the rooms' open hours (working hours minus closures) that events use."""
    rooms = {r.id: r for r in scenario.rooms}
    open_minutes: Counter[str] = Counter()
    used_minutes: Counter[str] = Counter()
    for room in scenario.rooms:
        for day in scenario.days:
            start, end = scenario.day_bounds(day)
            closed = sum(_overlap(start, end, w.start, w.end) for w in room.unavailable)
            open_minutes[room.room_type] += max(0, _minutes_between(start, end) - closed)
    for assignment in timetable.assignments:
        if assignment.room in rooms:
            used_minutes[rooms[assignment.room].room_type] += _minutes_between(assignment.start, assignment.end)
    return {kind: round(used_minutes[kind] / minutes, 4) if minutes else 0.0
            for kind, minutes in sorted(open_minutes.items())}


def resource_peaks(scenario: Scenario, timetable: Timetable) -> dict[str, ResourcePeak]:
    """For each scarce resource, the most held at once and when (an event holds it from start to end)."""
    events = {e.id: e for e in scenario.events}
    peaks: dict[str, ResourcePeak] = {}
    for resource in scenario.resources:
        # a sweep over start (+amount) and end (-amount) moments; ends sort before starts at the same time
        moments = sorted(
            (moment, sign * events[a.event].uses[resource.id])
            for a in timetable.assignments if resource.id in events[a.event].uses
            for moment, sign in ((a.start, 1), (a.end, -1))
        )
        held, peak, at = 0, 0, ""
        for moment, amount in moments:
            held += amount
            if held > peak:
                peak, at = held, scenario.localise(moment).isoformat()
        peaks[resource.id] = ResourcePeak(peak=peak, capacity=resource.capacity, at=at)
    return peaks


def unscheduled_by_reason(timetable: Timetable) -> dict[str, int]:
    """How many requests were left out, per reason code (e.g. not_selected, participant_busy)."""
    return dict(sorted(Counter(item.code for item in timetable.unscheduled).items()))


REPLAY_RUNS = 100  # a comparison replays each best timetable this many times (0.5 s for Hanoi)
_robustness_cache: dict[tuple[str, int, int, int], dict[str, Any]] = {}


def robustness(scenario: Scenario, timetable: Timetable, runs: int = REPLAY_RUNS, seed: int = 0) -> dict[str, Any]:
    """What a usual summit of overruns does to the timetable (``summit replay`` with ``runs`` seeded days):
    expected events to move, delegations to notify and requests lost per summit, and the worst cause.
    Remembered per scenario and timetable, so comparing the same timetable twice costs nothing."""
    from solver.replay import replay

    placed = hash(tuple((a.event, a.room, a.start.isoformat()) for a in timetable.assignments))
    key = (scenario.fingerprint(), placed, runs, seed)
    if key not in _robustness_cache:
        if len(_robustness_cache) > 256:
            _robustness_cache.clear()
        result = replay(scenario, timetable, runs=runs, seed=seed)
        _robustness_cache[key] = {
            "replay_runs": runs, "expected_moved": result.moved.mean, "moved_sd": result.moved.std,
            "expected_moved_per_day": round(result.moved.mean / max(1, result.days), 3),
            "expected_notified": result.notified.mean, "expected_lost": result.lost.mean,
            "worst_cause": result.causes[0]["cause"] if result.causes else ""}
    return dict(_robustness_cache[key])


def kpis(scenario: Scenario, timetable: Timetable, replay_runs: int = REPLAY_RUNS) -> Kpis:
    """Every KPI of one timetable (``replay_runs=0`` leaves out the robustness replay)."""
    return Kpis(status=timetable.status, objective=timetable.objective, bound=timetable.bound,
                gap=gap(timetable.objective, timetable.bound), scheduled=len(timetable.assignments),
                events=len(scenario.events), bilaterals=bilaterals_granted(scenario, timetable),
                fairness=delegation_fairness(scenario, timetable), vvip_idle=vvip_idle_time(scenario, timetable),
                room_utilisation=room_utilisation(scenario, timetable),
                resource_peaks=resource_peaks(scenario, timetable),
                unscheduled_by_reason=unscheduled_by_reason(timetable),
                robustness=robustness(scenario, timetable, replay_runs) if replay_runs else {})


def occupancy(scenario: Scenario, timetable: Timetable) -> dict[str, Any]:
    """What a room-by-time chart needs, as plain data: rooms in zone order and each room's bookings."""
    events: dict[str, Event] = {e.id: e for e in scenario.events}
    vvips = {p.id for p in scenario.participants if p.tier == "vvip"}
    bookings: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for a in sorted(timetable.assignments, key=lambda a: (a.room, a.start)):
        event = events[a.event]
        bookings[a.room].append({"event": a.event, "kind": event.kind, "start": a.start.isoformat(),
                                 "end": a.end.isoformat(), "vvip": any(p in vvips for p in event.participants)})
    zone_order = {z.id: i for i, z in enumerate(scenario.zones)}
    rooms = sorted(scenario.rooms, key=lambda r: zone_order.get(r.zone, len(zone_order)))
    return {
        "days": [[start.isoformat(), end.isoformat()] for start, end in map(scenario.day_bounds, scenario.days)],
        "rooms": [{"id": r.id, "name": r.name or r.id, "zone": r.zone, "type": r.room_type,
                   "bookings": bookings.get(r.id, [])} for r in rooms],
    }


def _minutes_between(start: datetime, end: datetime) -> int:
    return int((end - start).total_seconds() // 60)


def _overlap(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> int:
    return max(0, _minutes_between(max(a_start, b_start), min(a_end, b_end)))


def _quantile(sorted_values: list[float], q: float) -> float:
    """Linear-interpolation quantile (numpy's default) of an already sorted list."""
    position = (len(sorted_values) - 1) * q
    low = int(position)
    high = min(low + 1, len(sorted_values) - 1)
    return round(sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low), 4)
