"""One day of placements as the replay reads it, built on arrays: the slack stage's judgement (issue 29).

The slack stage (:mod:`solver.slack`) judges thousands of timetables that differ in one event's place. Reading each
through assignments and :func:`solver.replay.plan_of` cost 30-35 ms a day on the peers' 300-request summit; here the
same plan (the same order, holds, arrivals and latest ends) is read straight from the placements, with all that does
not depend on them worked out once, and the propagation runs one *level* of holds at a time (the events whose holds
all come from earlier levels: about one level per start slot) instead of one event at a time. Rooms within a pool
are given as the robust timetable gives them (:func:`solver.extract.assign_rooms` with ``slack``), or as a timetable
has them. ``tests/test_dayplan.py`` checks the plan against :func:`solver.replay.plan_of` and the counts against
:func:`solver.replay.propagate` (``summit replay``) on the same draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from solver.compile import Instance, IntArray
from solver.extract import assign_rooms
from solver.replay import LOST

Holds = list[list[tuple[int, float]]]


@dataclass(frozen=True)
class DayPlan:
    """A day's placed events in the replay's order (planned start, then event id); times in minutes from the
    summit's first day start. ``before[i]``: (position of an earlier event, minutes needed after it);
    ``arrivals[i]``: the arrival draws ((participant, date) columns of the caller's table) ``i`` is the first
    event of."""

    events: IntArray  # instance event index of each position
    start: np.ndarray
    duration: np.ndarray
    limit: np.ndarray
    before: Holds
    arrivals: list[list[int]]


class DayPlans:
    """What a day's plan needs that does not depend on the placements, worked out once per instance."""

    def __init__(self, instance: Instance, arrival_column: dict[str, int]) -> None:
        scenario, grid = instance.scenario, instance.grid
        self.instance = instance
        self.days = [scenario.day_bounds(d) for d in scenario.days]
        self.origin = min(begin for begin, _ in self.days)
        slot_time = [grid.time_of(s) for s in range(grid.n_slots)]
        self.slot_minute = np.array([self._minutes(t) for t in slot_time])
        dates, self.slot_date = np.unique([scenario.localise(t).date().isoformat() for t in slot_time],
                                          return_inverse=True)
        people = scenario.participants
        # per date and participant: the arrival draw of their first event that date
        self.arrival = np.array([[arrival_column.get(f"arrival of {p.id} on {d}", 0) for p in people]
                                 for d in dates.tolist()], dtype=np.int64).reshape(len(dates), len(people))
        zones = {z: k for k, z in enumerate(sorted({r.zone for r in scenario.rooms}))}
        self.room_zone = [zones[r.zone] for r in scenario.rooms]
        self.room_changeover = [float(r.changeover_minutes) for r in scenario.rooms]
        travel = np.zeros((len(zones), len(zones)))
        for hop in scenario.travel_minutes:  # (the last hop named for a pair counts, as the replay reads them)
            if hop.from_ in zones and hop.to in zones and hop.from_ != hop.to:
                travel[zones[hop.from_], zones[hop.to]] = travel[zones[hop.to], zones[hop.from_]] = hop.minutes
        self.travel: list[list[float]] = travel.tolist()
        self.min_break = [float(p.min_break_minutes) for p in people]
        self.sweep = float(scenario.sweep_minutes)
        self.people = [p.tolist() for p in instance.event_participants]
        self.vvip = instance.has_vvip.tolist()
        self.minutes = np.array([e.duration_minutes for e in instance.events], dtype=float)
        self.rank = np.argsort(np.argsort(np.array([e.id for e in instance.events], dtype=object)))
        self._limits: dict[tuple[int, int], float] = {}

    def _minutes(self, moment: datetime) -> float:
        return (moment - self.origin).total_seconds() / 60

    def limit(self, event: int, slot: int) -> float:
        """The latest the event may end when it starts in ``slot``: its day's end, its latest end, the end of each
        participant's availability window it starts in (as :func:`solver.replay.plan_of` reads them)."""
        key = (event, slot)
        if key not in self._limits:
            scenario, start = self.instance.scenario, self.instance.grid.time_of(slot)
            found = self.instance.events[event]
            ends = [self._minutes(end) for begin, end in self.days if begin <= start < end]
            if found.latest_end is not None:
                ends.append(self._minutes(found.latest_end))
            for person in self.instance.event_participants[event].tolist():
                for window in scenario.participants[person].available or []:
                    if window.start <= start < window.end:
                        ends.append(self._minutes(window.end))
            self._limits[key] = min(ends) if ends else float("inf")
        return self._limits[key]

    def plan(self, chosen: IntArray, room_of: dict[int, int] | None = None) -> DayPlan:
        """The plan of the placed events of ``chosen`` (one day's, the rest -1), in rooms ``room_of`` (event ->
        room) or, without it, in the rooms the robust timetable gives them."""
        instance = self.instance
        rooms = room_of if room_of is not None else assign_rooms(instance, chosen, slack=True)
        placed = np.flatnonzero(chosen >= 0)
        items = chosen[placed]
        starts = instance.item_start[items]
        order = np.lexsort((self.rank[placed], starts))
        events, items, starts = placed[order], items[order], starts[order]
        duration = self.minutes[events] - instance.item_cut[items] * instance.grid.slot_minutes
        limit = np.array([self.limit(e, s) for e, s in zip(events.tolist(), starts.tolist(), strict=True)])
        room_list = [rooms[e] for e in events.tolist()]
        return DayPlan(events=events, start=self.slot_minute[starts], duration=duration, limit=limit,
                       before=self._holds(events.tolist(), room_list),
                       arrivals=self._arrivals(events.tolist(), starts.tolist()))

    def _holds(self, events: list[int], rooms: list[int]) -> Holds:
        """What must end before each event starts: the event before in its room (changeover, or the sweep for a
        vvip's), each participant's event before (their break, and travel between zones), the events it must
        follow; as :func:`solver.replay._needed_before` reads them."""
        instance = self.instance
        position = {e: i for i, e in enumerate(events)}
        last_of_room: dict[int, int] = {}
        last_of_person: dict[int, int] = {}
        holds: Holds = []
        for i, (event, room) in enumerate(zip(events, rooms, strict=True)):
            needed: dict[int, float] = {}
            if room in last_of_room:
                needed[last_of_room[room]] = max(self.room_changeover[room],
                                                 self.sweep if self.vvip[event] else 0.0)
            last_of_room[room] = i
            zone = self.room_zone[room]
            for person in self.people[event]:
                if person in last_of_person:
                    j = last_of_person[person]
                    hop = self.travel[self.room_zone[rooms[j]]][zone]
                    needed[j] = max(needed.get(j, 0.0), self.min_break[person] + hop)
                last_of_person[person] = i
            for other in instance.predecessors[event]:
                if other in position and position[other] < i:
                    needed.setdefault(position[other], 0.0)
            holds.append(sorted(needed.items()))
        return holds

    def _arrivals(self, events: list[int], starts: list[int]) -> list[list[int]]:
        """Per event, the arrival draws of the participants it is the first event of that date."""
        seen: set[tuple[int, int]] = set()
        arrivals: list[list[int]] = []
        for event, slot in zip(events, starts, strict=True):
            date, mine = int(self.slot_date[slot]), []
            for person in self.people[event]:
                if (person, date) not in seen:
                    seen.add((person, date))
                    mine.append(int(self.arrival[date, person]))
            arrivals.append(mine)
        return arrivals


def levels(before: Holds) -> list[IntArray]:
    """The positions of the plan by level: an event's level is one more than the highest of the events it waits
    for (0 when it waits for none), so every level depends only on the levels before it."""
    depth: list[int] = []
    for holds in before:
        depth.append(1 + max((depth[j] for j, _ in holds), default=-1))
    if not depth:
        return []
    by_depth = np.argsort(np.array(depth), kind="stable")
    bounds = np.searchsorted(np.array(depth)[by_depth], np.arange(max(depth) + 2))
    return [by_depth[bounds[k]: bounds[k + 1]] for k in range(max(depth) + 1)]


def touched(plan: DayPlan, event_late: np.ndarray, arrival_late: np.ndarray) -> np.ndarray:
    """(events, runs): whether each event of the plan moves or is lost, by the replay's propagation
    (:func:`solver.replay.propagate`: each event starts at the latest of its planned start, the ends of what it
    waits for plus the minutes needed, and its participants' arrivals; lost when it can no longer end by its
    limit, and then it holds no one). ``event_late``: per position, the minutes it runs late in each run;
    ``arrival_late``: per arrival draw of the plan, the minutes late in each run."""
    count, runs = len(plan.events), event_late.shape[1]
    floor = np.repeat(plan.start[:, None], runs, axis=1)
    first = [i for i, mine in enumerate(plan.arrivals) if mine]
    if first:
        columns = np.concatenate([plan.arrivals[i] for i in first])
        segments = np.cumsum([0] + [len(plan.arrivals[i]) for i in first[:-1]])
        latest = np.maximum.reduceat(arrival_late[columns], segments, axis=0)
        floor[first] = plan.start[first, None] + np.maximum(latest, 0.0)
    end = np.full((count + 1, runs), -np.inf)  # the last row: what no one waits for
    moved = np.zeros((count, runs), dtype=bool)
    for level in levels(plan.before):
        width = max(len(plan.before[i]) for i in level.tolist())
        waits = np.full((level.size, width), count)
        gaps = np.zeros((level.size, width))
        for row, i in enumerate(level.tolist()):
            for col, (j, gap) in enumerate(plan.before[i]):
                waits[row, col], gaps[row, col] = j, gap
        start = floor[level]
        if width:
            start = np.maximum(start, (end[waits] + gaps[:, :, None]).max(axis=1))
        finish = start + plan.duration[level, None] + event_late[level]
        lost = finish > plan.limit[level, None] + 1e-9
        moved[level] = (start > plan.start[level, None] + 1e-9) | lost
        end[level] = np.where(lost, LOST, finish)
    return moved

