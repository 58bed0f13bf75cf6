"""The robust solve's second stage: keep slack where overruns cascade, the value of the requests held.

Lexicographic: the first stage is the plain solve (the most value it finds); this stage keeps every event the
first placed, so the value cannot drop, and moves events one at a time to other times or rooms that keep every
rule (the model's rows), whenever the move lowers the expected events moved plus requests lost over seeded
summits of overruns: the replay of ``summit replay`` (:mod:`solver.replay`), on draws of a seed of its own, so
that a comparison on the usual seeds is not what the search was fitted to. The event to try is drawn in
proportion to how often it moves in the replay; its candidate places are ranked by the overruns they would
let through to and from its participants (the chance that the event before runs later than the slack left, and
the chance that the event itself does, from the overrun model's spread: slack up to the overrun's maximum
counts), and the best two are replayed, the first that does better taken. Once single moves stop paying, an event
and its participants' other events of that day are re-placed together by CP-SAT (:func:`_try_region`). Rooms
within a pool go to the room free the longest (:func:`solver.extract.assign_rooms` with ``slack``).
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from solver.compile import BoolArray, Instance
from solver.dayplan import DayPlan, DayPlans, touched
from solver.model.rows import IntArray, RowIndex
from solver.model.submodel import RowMatrix, build_submodel, solve_submodel
from solver.overruns import late_minutes
from solver.timetable import ScenarioRef

RUNS = 200  # replayed summits per judgement
SEED_OFFSET = 7919  # the search's draws: not the seeds a comparison replays with
TRIES = 2  # candidate places replayed per event tried


class Judge:
    """The replay of a timetable on fixed draws, each event and each (participant, day) keeping its own draw
    wherever it is placed (so two timetables are compared on the same summits). ``draws`` (minutes late: runs by
    event, runs by arrival column) replace the seeded ones, e.g. to replay the draws of ``summit replay``."""

    def __init__(self, instance: Instance, ref: ScenarioRef, runs: int, seed: int,
                 draws: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        scenario = instance.scenario
        model = scenario.overrun_model
        rng = np.random.default_rng(seed)
        self.instance, self.ref, self.runs = instance, ref, runs
        names = [f"arrival of {p.id} on {day.date.isoformat()}" for day in scenario.days for p in scenario.participants]
        tiers = [p.tier for _ in scenario.days for p in scenario.participants]
        if draws is None:
            draws = (late_minutes(rng, runs, [model.for_event(e) for e in scenario.events]),
                     late_minutes(rng, runs, [model.arrival(t) for t in tiers]))
        self.event_late, self.arrival_late = draws
        self.arrival_column = {name: k for k, name in enumerate(names)}
        self.plans = DayPlans(instance, self.arrival_column)
        # (by event, then run: a day's rows are gathered once per judgement)
        self.event_rows, self.arrival_rows = self.event_late.T.copy(), self.arrival_late.T.copy()

    def plan(self, chosen: IntArray, day: int, room_of: dict[int, int] | None = None) -> DayPlan:
        """The replay's plan of the events ``chosen`` places on ``day``, in rooms ``room_of`` (event -> room) or
        the rooms the robust timetable gives them."""
        placed = chosen >= 0
        on_day = placed & (self.instance.grid.slot_day[self.instance.item_start[np.where(placed, chosen, 0)]] == day)
        return self.plans.plan(np.where(on_day, chosen, -1), room_of)

    def day(self, chosen: IntArray, day: int) -> tuple[float, np.ndarray]:
        """Expected events moved plus requests lost on one day per summit, and each of that day's events' chance
        to move or be lost (days are replayed apart: an overrun does not reach the next day)."""
        plan = self.plan(chosen, day)
        moved = touched(plan, self.event_rows[plan.events], self.arrival_rows)
        per_event = np.zeros(len(self.instance.events))
        per_event[plan.events] = moved.mean(axis=1)
        return float(moved.sum()) / self.runs, per_event

    def __call__(self, chosen: IntArray) -> tuple[np.ndarray, np.ndarray]:
        """Per day, the expected events moved plus requests lost; each event's chance to move or be lost."""
        scores, per_event = [], np.zeros(len(self.instance.events))
        for day in range(len(self.instance.scenario.days)):
            score, chances = self.day(chosen, day)
            scores.append(score)
            per_event += chances
        return np.array(scores), per_event


@dataclass
class Loads:
    """Each row's load for the current placements: a move is allowed when no row goes over its bound."""

    index: RowIndex
    load: IntArray
    # does no placement appear twice in a row? (then :meth:`fits_many` reads each entry as the row's whole change;
    # a placement's entries come in row order, so a repeat is the entry before)
    rows_once: bool = field(init=False)

    def __post_init__(self) -> None:
        rows, bounds = self.index.entry_row, self.index.item_bounds
        repeat = rows[1:] == rows[:-1]
        repeat[bounds[1:-1][(bounds[1:-1] > 0) & (bounds[1:-1] < rows.size)] - 1] = False  # (across two placements)
        self.rows_once = not bool(repeat.any())

    def _delta(self, old: int, new: int) -> tuple[IntArray, np.ndarray]:
        a, b = self.index.entries(old), self.index.entries(new)
        rows = np.concatenate([self.index.entry_row[a], self.index.entry_row[b]])
        change = np.concatenate([-self.index.entry_coef[a], self.index.entry_coef[b]])
        unique, inverse = np.unique(rows, return_inverse=True)
        return unique, np.bincount(inverse, weights=change, minlength=unique.size)

    def fits(self, old: int, new: int) -> bool:
        rows, change = self._delta(old, new)
        return bool(((self.load[rows] + change <= self.index.upper[rows]) | (change <= 0)).all())

    def fits_many(self, old: int, items: IntArray) -> BoolArray:
        """:meth:`fits` for each of ``items`` at once."""
        if not self.rows_once:
            return np.array([self.fits(old, int(item)) for item in items.tolist()], dtype=bool)
        index, upper = self.index, self.index.upper
        span = index.entries(old)
        freed_rows, inverse = np.unique(index.entry_row[span], return_inverse=True)
        freed = np.bincount(inverse, weights=index.entry_coef[span], minlength=freed_rows.size)
        # rows only the old place is in: their change is the same for every candidate
        alone_bad = (self.load[freed_rows] - freed > upper[freed_rows]) & (freed < 0)
        begin, lengths = index.item_bounds[items], index.item_bounds[items + 1] - index.item_bounds[items]
        entry = np.repeat(begin - (np.cumsum(lengths) - lengths), lengths) + np.arange(int(lengths.sum()))
        rows, owner = index.entry_row[entry], np.repeat(np.arange(items.size), lengths)
        at = np.minimum(np.searchsorted(freed_rows, rows), max(freed_rows.size - 1, 0))
        shared = (freed_rows[at] == rows) if freed_rows.size else np.zeros(rows.size, dtype=bool)
        change = index.entry_coef[entry] - np.where(shared, freed[at] if freed_rows.size else 0.0, 0.0)
        bad = (self.load[rows] + change > upper[rows]) & (change > 0)
        covered = shared & (alone_bad[at] if freed_rows.size else False)
        return (np.bincount(owner, weights=bad, minlength=items.size) == 0) & \
            (np.bincount(owner, weights=covered, minlength=items.size) == int(alone_bad.sum()))

    def move(self, old: int, new: int) -> None:
        rows, change = self._delta(old, new)
        self.load[rows] += change.astype(np.int64)


def _late_beyond(probability: float, mean: float, cap: int, minutes: float) -> float:
    """The chance an overrun is longer than ``minutes`` (exponential spread cut at its maximum)."""
    if minutes >= cap or mean <= 0:
        return 0.0
    return probability * math.exp(-max(0.0, minutes) / mean)


def let_through(instance: Instance, attends: list[list[int]], chosen: IntArray, event: int,
                items: IntArray) -> np.ndarray:
    """For each candidate place of ``event``: the overruns it lets through to or from its participants (the
    chance the participant's event before runs into it, plus the chance it runs into their next one)."""
    model, grid = instance.scenario.overrun_model, instance.grid
    slot = instance.scenario.slot_minutes
    own = model.for_event(instance.scenario.events[event])
    starts, ends = instance.item_start[items], instance.item_end[items]
    day = grid.slot_day[starts]
    cost = np.zeros(items.size)
    for person in instance.event_participants[event].tolist():
        rest = grid.slots_for(instance.scenario.participants[person].min_break_minutes)
        for other in attends[person]:
            item = int(chosen[other]) if other != event else -1
            if item < 0:
                continue
            o_start, o_end = int(instance.item_start[item]), int(instance.item_end[item])
            same_day = day == grid.slot_day[o_start]
            theirs = model.for_event(instance.scenario.events[other])
            gap_before = (starts - o_end - rest) * slot  # they run into it
            gap_after = (o_start - ends - rest) * slot  # it runs into them
            into = np.array([_late_beyond(theirs.probability, theirs.mean_minutes, theirs.max_minutes, g)
                             for g in gap_before.tolist()])
            out = np.array([_late_beyond(own.probability, own.mean_minutes, own.max_minutes, g)
                            for g in gap_after.tolist()])
            cost += np.where(same_day & (gap_before >= 0), into, 0.0) + np.where(same_day & (gap_after >= 0), out, 0.0)
    return cost


ROOM_OVERRUN = (0.25, 0.06)  # the chance the room's event before runs 0+ and 15+ minutes late (a bilateral's)


def room_let_through(instance: Instance, chosen: IntArray, event: int, items: IntArray) -> np.ndarray:
    """For each candidate place of ``event``: the chance an overrun in its room reaches it, when no room of its
    pool stood idle for a slot (or two) before it (the others' room use, changeover included)."""
    pools, slots = len(instance.pools), instance.grid.n_slots
    busy = np.zeros((pools, slots + 1), dtype=np.int64)
    starting = np.zeros((pools, slots + 1), dtype=np.int64)
    others = chosen[(chosen >= 0) & (np.arange(chosen.size) != event)]
    for item in others.tolist():
        used, first = int(instance.item_pool[item]), int(instance.item_room_from[item])
        busy[used, first:int(instance.item_end[item])] += 1
        starting[used, first] += 1
    pool, begin = instance.item_pool[items], instance.item_room_from[items]
    day_start = instance.grid.day_offset[instance.grid.slot_day[begin]]
    open_rooms = np.array([p.rooms_open[min(b, slots - 1)] for p, b in
                           zip([instance.pools[k] for k in pool.tolist()], begin.tolist(), strict=True)])
    cost = np.zeros(items.size)
    for gap, chance in enumerate(ROOM_OVERRUN, start=1):
        held = np.max([busy[pool, np.maximum(begin - k, 0)] for k in range(1, gap + 1)], axis=0)
        cost += np.where((begin - gap >= day_start) & (open_rooms - held - starting[pool, begin] <= 0), chance, 0.0)
    return cost


def attendance(instance: Instance) -> list[list[int]]:
    """Each participant's events."""
    attends: list[list[int]] = [[] for _ in instance.scenario.participants]
    for event, people in enumerate(instance.event_participants):
        for person in people.tolist():
            attends[person].append(event)
    return attends


@dataclass
class State:
    """The search's timetable, its row loads, its replay score and each event's chance to move."""

    chosen: IntArray
    loads: Loads
    scores: np.ndarray  # per day
    per_event: np.ndarray
    item_cost: IntArray | None = None  # a re-plan's disruption of each place: a move may not cost more

    @property
    def score(self) -> float:
        return float(self.scores.sum())


def _candidates(instance: Instance, attends: list[list[int]], state: State, event: int) -> list[int]:
    """The event's other places that keep every rule (and cost no more, when places have a cost), those letting
    the fewest overruns through first."""
    old = int(state.chosen[event])
    items = instance.event_items[event]
    items = items[items != old]
    if state.item_cost is not None:
        items = items[state.item_cost[items] <= state.item_cost[old]]
    items = items[state.loads.fits_many(old, items)] if items.size else items
    if items.size == 0:
        return []
    cost = let_through(instance, attends, state.chosen, event, items) + room_let_through(instance, state.chosen,
                                                                                          event, items)
    shift = np.abs(instance.item_start[items] - instance.item_start[old])
    order = np.lexsort((shift, np.round(cost, 6)))
    return items[order[:TRIES]].tolist()


def _try_event(instance: Instance, attends: list[list[int]], judge: Judge, state: State, event: int) -> bool:
    """Replay the event's best few other places, in order; take the first that beats the current timetable."""
    old = int(state.chosen[event])
    slot_day = instance.grid.slot_day
    best: tuple[float, int, np.ndarray, np.ndarray] | None = None
    for item in _candidates(instance, attends, state, event):
        state.chosen[event] = item
        days = sorted({int(slot_day[instance.item_start[old]]), int(slot_day[instance.item_start[item]])})
        scores, per_event = state.scores.copy(), state.per_event.copy()
        for day in days:
            on_day = slot_day[instance.item_start[np.maximum(state.chosen, 0)]] == day
            per_event[on_day | (np.arange(per_event.size) == event)] = 0.0
            scores[day], chances = judge.day(state.chosen, day)
            per_event += chances
        total = float(scores.sum())
        if total < state.score - 1e-9:  # the first that does better (they come best first)
            best = (total, item, scores, per_event)
            break
    state.chosen[event] = old
    if best is None:
        return False
    state.loads.move(old, best[1])
    state.chosen[event], state.scores, state.per_event = best[1], best[2], best[3]
    return True


REGION = 8  # events a region move re-places at once
REGION_SECONDS = 0.5  # CP-SAT's time for one region


def _region(instance: Instance, attends: list[list[int]], chosen: IntArray, event: int) -> list[int]:
    """The event and its participants' other events of its day, the closest in time first (at most REGION)."""
    slot_day, start = instance.grid.slot_day, instance.item_start
    day, at = int(slot_day[start[chosen[event]]]), int(start[chosen[event]])
    near = {other for person in instance.event_participants[event].tolist() for other in attends[person]
            if chosen[other] >= 0 and int(slot_day[start[chosen[other]]]) == day}
    return sorted(near | {event}, key=lambda e: (e != event, abs(int(start[chosen[e]]) - at), e))[:REGION]


def _region_places(instance: Instance, matrix: RowMatrix, attends: list[list[int]], state: State,
                   group: list[int], seed: int) -> IntArray | None:
    """Re-place the group's events on their day by CP-SAT, every one kept and the others held, each place priced
    by the overruns it lets through around the events held; None when nothing is found."""
    held = state.chosen.copy()
    held[group] = -1
    day = instance.grid.slot_day[instance.item_start[state.chosen[group[0]]]]
    value = np.zeros(instance.n_items, dtype=np.int64)
    places = []
    for event in group:
        items = instance.event_items[event]
        items = items[instance.grid.slot_day[instance.item_start[items]] == day]
        cost = let_through(instance, attends, held, event, items) + room_let_through(instance, held, event, items)
        value[items] = -np.round(1000 * cost).astype(np.int64)
        places.append(items)
    free = np.unique(np.concatenate(places))
    model = build_submodel(instance, matrix, free, held[held >= 0], value, hint_on=state.chosen[group])
    if model is None:
        return None
    for items in places:  # every event of the group stays placed
        constraint = model.model.proto.constraints.add()
        constraint.linear.vars.extend(np.searchsorted(free, items).tolist())
        constraint.linear.coeffs.extend([1] * items.size)
        constraint.linear.domain.extend([1, 1])
    _, on = solve_submodel(model, 1, seed, REGION_SECONDS)
    if on is None:
        return None
    placed = held.copy()
    placed[instance.item_event[on]] = on
    return placed


def _try_region(instance: Instance, matrix: RowMatrix, attends: list[list[int]], judge: Judge, state: State,
                event: int, seed: int) -> bool:
    """Re-place the event's region together; take it if the replay says fewer moves."""
    group = _region(instance, attends, state.chosen, event)
    placed = _region_places(instance, matrix, attends, state, group, seed) if len(group) > 1 else None
    if placed is None or (placed == state.chosen).all():
        return False
    day = int(instance.grid.slot_day[instance.item_start[state.chosen[event]]])
    score, chances = judge.day(placed, day)
    if score >= state.scores[day] - 1e-9:
        return False
    for e in group:
        state.loads.move(int(state.chosen[e]), int(placed[e]))
    on_day = instance.grid.slot_day[instance.item_start[np.maximum(placed, 0)]] == day
    state.per_event = np.where(on_day & (placed >= 0), chances, state.per_event)
    state.chosen, state.scores[day] = placed, score
    return True


def keep_slack(instance: Instance, matrix: RowMatrix, chosen: IntArray, ref: ScenarioRef, seconds: float,
               seed: int = 0, stop: threading.Event | None = None, movable: BoolArray | None = None,
               item_cost: IntArray | None = None) -> tuple[IntArray, float, float]:
    """Move placed events to where they let fewer overruns cascade, for up to ``seconds``; every placed event
    stays placed. A re-plan moves only ``movable`` events, each to a place that costs no more than its own by
    ``item_cost``. Returns the placements and the search's replay score before and after."""
    deadline = time.monotonic() + seconds
    index = matrix.by_item
    regions = movable is None and item_cost is None  # (a re-plan moves only its own events, one at a time)
    judge = Judge(instance, ref, RUNS, seed + SEED_OFFSET)
    chosen = chosen.copy()
    scores, per_event = judge(chosen)
    state = State(chosen, Loads(index, index.load_of(chosen[chosen >= 0])), scores, per_event, item_cost)
    before = state.score
    attends = attendance(instance)
    rng = np.random.default_rng(seed)
    movable = np.array([chosen[e] >= 0 and instance.event_items[e].size > 1 for e in range(len(instance.events))]) \
        & (movable if movable is not None else True)
    # tries in a row that found nothing better: after as many as there are movable events, single moves are
    # exhausted and regions are tried too; twice (three times with regions) as many end the search
    failures, enough = 0, (3 if regions else 2) * int(movable.sum())
    while time.monotonic() < deadline and failures < enough and not (stop is not None and stop.is_set()):
        weights = np.where(movable, state.per_event + 0.01, 0.0)
        event = int(rng.choice(len(weights), p=weights / weights.sum()))
        better = _try_event(instance, attends, judge, state, event) or (
            regions and failures >= movable.sum() and _try_region(instance, matrix, attends, judge, state, event,
                                                                    seed + failures))
        failures = 0 if better else failures + 1
    return state.chosen, before, state.score
