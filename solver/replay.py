"""Replaying a timetable through seeded days of overruns: how much a planner would have to change.

Each drawn day (``solver.overruns``) is propagated in time order, event by event, all runs at once
(numpy arrays over runs). An event starts at the latest of: its planned start, the end of the previous
event of each of its participants plus their break and travel, the end of the previous event in its room
plus changeover (and sweep for vvips), the end of the events it must follow, and, for a participant's
first event of a day, their arrival. An event that starts later than planned **must move**; one that can
no longer end by its day's end, its ``latest_end`` or a participant's availability is **lost** (and frees
its participants and room); the delegations of every moved or lost event's participants are **notified**.
Every moved event is charged to the root cause of its cascade: the event that overran first, or a late
arrival. This is the fast propagation; ``tests/test_replay.py`` checks it against a re-plan by brute force.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np

from solver.overruns import Draws, draw_days
from solver.scenario import Event, Scenario, Tier
from solver.timetable import Timetable

LOST = -1e9  # the end of a lost event: it no longer holds anyone


@dataclass(frozen=True)
class Plan:
    """A timetable as the replay reads it: events in planned start order, times in minutes from the
    summit's first day start, and what must end before each event may start."""

    events: list[Event]
    start: np.ndarray
    duration: np.ndarray
    limit: np.ndarray  # the latest an event may end
    before: list[list[tuple[int, float]]]  # per event: (index of an earlier event, minutes needed after it)
    arrivals: list[list[int]]  # per event: the (participant, day) arrivals it is the first event of
    arrival_tiers: list[Tier]
    arrival_names: list[str]
    delegations: np.ndarray  # (events, delegations) 1 where a delegation takes part


def _minutes(moment: datetime, origin: datetime) -> float:
    return (moment - origin).total_seconds() / 60


def _travel(scenario: Scenario) -> dict[frozenset[str], int]:
    return {frozenset((hop.from_, hop.to)): hop.minutes for hop in scenario.travel_minutes}


def _limits(event: Event, start: datetime, origin: datetime, people: dict[str, Any],
            days: list[tuple[datetime, datetime]]) -> float:
    """The latest the event may end: its day's end, its latest_end, its participants' availability."""
    ends = [_minutes(end, origin) for begin, end in days if begin <= start < end]
    if event.latest_end is not None:
        ends.append(_minutes(event.latest_end, origin))
    for pid in event.participants:
        for window in people[pid].available or []:
            if window.start <= start < window.end:
                ends.append(_minutes(window.end, origin))
    return min(ends) if ends else float("inf")


def _needed_before(scenario: Scenario, order: list[Any], events: dict[str, Event]) -> list[list[tuple[int, float]]]:
    """For each event, the earlier events that must end first and the minutes needed after them."""
    rooms = {r.id: r for r in scenario.rooms}
    people = {p.id: p for p in scenario.participants}
    vvips = {p.id for p in scenario.participants if p.tier == "vvip"}
    travel = _travel(scenario)
    needed: list[dict[int, float]] = [{} for _ in order]
    last_of_room: dict[str, int] = {}
    last_of_person: dict[str, int] = {}
    position = {a.event: i for i, a in enumerate(order)}
    for i, assignment in enumerate(order):
        event = events[assignment.event]
        room = rooms.get(assignment.room)
        if assignment.room in last_of_room and room is not None:
            vvip = any(p in vvips for p in event.participants)
            needed[i][last_of_room[assignment.room]] = max(room.changeover_minutes,
                                                           scenario.sweep_minutes if vvip else 0)
        last_of_room[assignment.room] = i
        for pid in event.participants:
            if pid in last_of_person:
                j = last_of_person[pid]
                zones = (rooms[order[j].room].zone if order[j].room in rooms else "", room.zone if room else "")
                hop = travel.get(frozenset(zones), 0) if zones[0] != zones[1] else 0
                needed[i][j] = max(needed[i].get(j, 0), people[pid].min_break_minutes + hop)
            last_of_person[pid] = i
        for other in event.after:
            if other in position and position[other] < i:
                needed[i].setdefault(position[other], 0)
    return [sorted(n.items()) for n in needed]


def plan_of(scenario: Scenario, timetable: Timetable) -> Plan:
    """Read a timetable into the replay's arrays."""
    events = {e.id: e for e in scenario.events}
    people = {p.id: p for p in scenario.participants}
    order = sorted((a for a in timetable.assignments if a.event in events), key=lambda a: (a.start, a.event))
    days = [scenario.day_bounds(d) for d in scenario.days]
    origin = min(begin for begin, _ in days)
    arrivals: list[list[int]] = [[] for _ in order]
    first_of_day: dict[tuple[str, date], int] = {}
    tiers: list[Tier] = []
    names: list[str] = []
    for i, assignment in enumerate(order):
        day = scenario.localise(assignment.start).date()
        for pid in events[assignment.event].participants:
            if (pid, day) not in first_of_day:
                first_of_day[pid, day] = len(tiers)
                arrivals[i].append(len(tiers))
                tiers.append(people[pid].tier)
                names.append(f"arrival of {pid} on {day.isoformat()}")
    delegation_ids = sorted({p.delegation or p.id for p in scenario.participants})
    column = {d: k for k, d in enumerate(delegation_ids)}
    delegations = np.zeros((len(order), len(delegation_ids)))
    for i, assignment in enumerate(order):
        for pid in events[assignment.event].participants:
            delegations[i, column[people[pid].delegation or pid]] = 1
    return Plan(
        events=[events[a.event] for a in order],
        start=np.array([_minutes(a.start, origin) for a in order]),
        duration=np.array([_minutes(a.end, origin) - _minutes(a.start, origin) for a in order]),
        limit=np.array([_limits(events[a.event], a.start, origin, people, days) for a in order]),
        before=_needed_before(scenario, order, events), arrivals=arrivals, arrival_tiers=tiers,
        arrival_names=names, delegations=delegations)


@dataclass(frozen=True)
class Outcome:
    """What the drawn days did to the plan, per run and event."""

    moved: np.ndarray  # (runs, events) bool
    lost: np.ndarray  # (runs, events) bool
    cause: np.ndarray  # (runs, events) root cause of a move: event index, or events + arrival index
    notified: np.ndarray  # (runs,) delegations to notify


def propagate(plan: Plan, draws: Draws) -> Outcome:
    """Apply each run's overruns in time order (the fast propagation)."""
    runs, count = draws.event_late.shape[0], len(plan.events)
    end = np.zeros((runs, count))
    moved = np.zeros((runs, count), dtype=bool)
    lost = np.zeros((runs, count), dtype=bool)
    cause = np.full((runs, count), -1, dtype=np.int64)
    for i in range(count):
        columns = [np.full(runs, plan.start[i])]
        sources = [-1]
        for j, gap in plan.before[i]:
            columns.append(end[:, j] + gap)
            sources.append(j)
        for k in plan.arrivals[i]:
            columns.append(plan.start[i] + draws.arrival_late[:, k])
            sources.append(count + k)
        candidates = np.stack(columns, axis=1)
        binding = candidates.argmax(axis=1)
        start = candidates[np.arange(runs), binding]
        moved[:, i] = start > plan.start[i] + 1e-9
        source = np.array(sources)[binding]
        inherited = np.where(source >= 0, source, 0)
        upstream = (source >= 0) & (source < count)
        upstream_cause = cause[np.arange(runs), np.where(upstream, inherited, 0)]
        cause[:, i] = np.where(moved[:, i], np.where(upstream & (upstream_cause >= 0), upstream_cause, source), -1)
        finish = start + plan.duration[i] + draws.event_late[:, i]
        lost[:, i] = finish > plan.limit[i] + 1e-9
        moved[:, i] &= ~lost[:, i]
        end[:, i] = np.where(lost[:, i], LOST, finish)
    touched = (moved | lost).astype(float)
    notified = (touched @ plan.delegations > 0).sum(axis=1) if plan.delegations.size else np.zeros(runs)
    return Outcome(moved=moved, lost=lost, cause=cause, notified=notified)


@dataclass(frozen=True)
class Spread:
    mean: float
    std: float
    p90: float

    @staticmethod
    def of(values: np.ndarray) -> Spread:
        if values.size == 0:
            return Spread(0.0, 0.0, 0.0)
        return Spread(round(float(values.mean()), 3), round(float(values.std()), 3),
                      round(float(np.quantile(values, 0.9)), 3))


@dataclass(frozen=True)
class ReplayResult:
    runs: int
    seed: int
    days: int
    moved: Spread
    notified: Spread
    lost: Spread
    causes: list[dict[str, Any]] = field(default_factory=list)  # the worst root causes, most moves first
    cascade_by_event: dict[str, float] = field(default_factory=dict)  # expected moves each event causes

    def to_dict(self, top: int = 10) -> dict[str, Any]:
        return {"runs": self.runs, "seed": self.seed, "days": self.days,
                "expected_moved": self.moved.mean, "expected_notified": self.notified.mean,
                "expected_lost": self.lost.mean,
                "expected_moved_per_day": round(self.moved.mean / max(1, self.days), 3),
                "moved": vars(self.moved), "notified": vars(self.notified), "lost": vars(self.lost),
                "top_causes": self.causes[:top]}


def summarise(plan: Plan, outcome: Outcome, runs: int, seed: int, days: int) -> ReplayResult:
    """Expected values with their spread, and the causes of most cascades."""
    count = len(plan.events)
    names = [e.id for e in plan.events] + plan.arrival_names
    charged = outcome.cause[outcome.moved]
    per_cause = np.bincount(charged, minlength=len(names)) / max(1, runs) if charged.size else np.zeros(len(names))
    ranked = sorted((i for i in range(len(names)) if per_cause[i] > 0), key=lambda i: (-per_cause[i], names[i]))
    causes = [{"cause": names[i], "kind": "event" if i < count else "arrival",
               "expected_moved": round(float(per_cause[i]), 3)} for i in ranked]
    by_event: dict[str, float] = defaultdict(float)
    for i in range(count):
        by_event[names[i]] = round(float(per_cause[i]), 4)
    return ReplayResult(runs=runs, seed=seed, days=days,
                        moved=Spread.of(outcome.moved.sum(axis=1).astype(float)),
                        notified=Spread.of(outcome.notified.astype(float)),
                        lost=Spread.of(outcome.lost.sum(axis=1).astype(float)),
                        causes=causes, cascade_by_event=dict(by_event))


def replay(scenario: Scenario, timetable: Timetable, runs: int = 200, seed: int = 0) -> ReplayResult:
    """Replay ``timetable`` through ``runs`` seeded days of the scenario's overruns."""
    plan = plan_of(scenario, timetable)
    draws = draw_days(scenario, plan.events, plan.arrival_tiers, runs, seed)
    return summarise(plan, propagate(plan, draws), runs, seed, len(scenario.days))


def replay_text(result: ReplayResult, top: int = 5) -> str:
    """The replay as a planner reads it."""
    def line(label: str, spread: Spread) -> str:
        return f"  {label:<22} {spread.mean:8.2f}  (sd {spread.std:.2f}, 90% <= {spread.p90:.0f})"

    lines = [f"Replay of {result.runs} summits of overruns (seed {result.seed}, {result.days} day(s)); per summit:",
             line("events to move", result.moved), line("delegations to notify", result.notified),
             line("requests lost", result.lost),
             f"  events moved per day   {result.moved.mean / max(1, result.days):8.2f}"]
    if result.causes:
        lines.append("Causes of most cascades (expected events moved):")
        lines += [f"  {c['expected_moved']:6.2f}  {c['cause']}" for c in result.causes[:top]]
    return "\n".join(lines)
