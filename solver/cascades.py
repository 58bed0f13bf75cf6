"""Where the replayed cascades run, and two ways the robust solve thins them before its slack stage (issue 29).

* :func:`spare_vvip_rooms`: an event without a vvip placed in a room of the vvips' security level moves, at the same
  start, to a room below that level whenever every rule holds: the rooms only vvip meetings may use (and whose
  sweeps double their room time) keep the slack it held. The same requests, the same times: free of cost.
* :func:`cut_cascades`: when the planner gives a share of the value the robust solve may spend
  (``overruns.cascade_budget``), the requests through which most replayed moves run, per priority point, are left
  out one at a time until the budget is spent. An event's count is its own chance to move or be lost plus every
  move whose chain of holds (the event before that made it start late, and the one before that ...) runs through
  it: what leaving it out cuts, to a first order. Leaving an event out keeps every rule. The slack stage
  (:mod:`solver.slack`) then turns the room and time they free into gaps.

Measured on the peers' 300-request summit (benchmarks/RESULTS.md, issue 29): single moves alone (:mod:`solver.slack`)
cut about a quarter of the moves; a price per buffer (:mod:`solver.buffers`) reached half at 2.0-2.4 % of the value.
"""

from __future__ import annotations

import numpy as np

from solver.compile import Instance, IntArray
from solver.dayplan import DayPlan
from solver.model.submodel import RowMatrix
from solver.replay import LOST, Plan
from solver.slack import Judge, Loads


def spare_vvip_rooms(instance: Instance, matrix: RowMatrix, chosen: IntArray) -> IntArray:
    """Events without a vvip moved out of rooms of the vvips' level, same start, where every row holds."""
    level = instance.scenario.vvip_min_room_level
    if not level or not instance.pools:
        return chosen
    vvips = {k for k, p in enumerate(instance.scenario.participants) if p.tier == "vvip"}
    pool_level = np.array([min(instance.scenario.rooms[r].security_level for r in p.rooms) for p in instance.pools])
    loads = Loads(matrix.by_item, matrix.by_item.load_of(chosen[chosen >= 0]))
    chosen = chosen.copy()
    for event in range(len(instance.events)):
        item = int(chosen[event])
        if item < 0 or pool_level[instance.item_pool[item]] < level or \
                vvips.intersection(instance.event_participants[event].tolist()):
            continue
        others = instance.event_items[event]
        others = others[(instance.item_start[others] == instance.item_start[item])
                        & (pool_level[instance.item_pool[others]] < level)]
        for other in others.tolist():
            if loads.fits(item, other):
                loads.move(item, other)
                chosen[event] = other
                break
    return chosen


def held_through(plan: Plan | DayPlan, event_late: np.ndarray, arrival_late: np.ndarray) -> np.ndarray:
    """Per event of ``plan``: the expected events moved or lost whose chain of holds runs through it (itself
    included), by the replay's propagation (draws given event by run, as :func:`solver.dayplan.touched`)."""
    count, runs = len(plan.events), event_late.shape[1]
    end = np.empty((count, runs))
    touched = np.zeros((count, runs))
    holder = np.full((count, runs), -1)
    for i in range(count):
        planned = float(plan.start[i])
        start, held_by = np.full(runs, planned), np.full(runs, -1)
        for j, gap in plan.before[i]:
            later = end[j] + gap > start
            start, held_by = np.where(later, end[j] + gap, start), np.where(later, j, held_by)
        for k in plan.arrivals[i]:
            later = planned + arrival_late[k] > start
            start, held_by = np.where(later, planned + arrival_late[k], start), np.where(later, -1, held_by)
        finish = start + plan.duration[i] + event_late[i]
        lost = finish > plan.limit[i] + 1e-9
        late = start > planned + 1e-9
        touched[i] = late | lost
        holder[i] = np.where(late, held_by, -1)
        end[i] = np.where(lost, LOST, finish)
    through, columns = touched, np.arange(runs)
    for i in range(count - 1, -1, -1):  # (a holder always comes earlier in the plan)
        held = holder[i] >= 0
        np.add.at(through, (holder[i][held], columns[held]), through[i, held])
    return through.mean(axis=1)


def cascade_counts(judge: Judge, chosen: IntArray) -> np.ndarray:
    """Per event of the instance: :func:`held_through` on the judge's draws, each day replayed apart."""
    counts = np.zeros(len(judge.instance.events))
    for day in range(len(judge.instance.scenario.days)):
        plan = judge.plan(chosen, day)
        counts[plan.events] = held_through(plan, judge.event_rows[plan.events], judge.arrival_rows)
    return counts


def cut_cascades(judge: Judge, chosen: IntArray, budget: int) -> IntArray:
    """Leave out, one at a time, the optional request with the most cascade per priority point
    (:func:`cascade_counts`, recounted after each), while its priority fits in what is left of ``budget``."""
    instance = judge.instance
    chosen, left = chosen.copy(), budget
    optional = ~instance.required & (instance.priority > 0)
    while True:
        fits = (chosen >= 0) & optional & (instance.priority <= left)
        if not fits.any():
            return chosen
        counts = cascade_counts(judge, chosen)
        event = int(np.argmax(np.where(fits, counts / np.maximum(instance.priority, 1), -1.0)))
        if counts[event] <= 0:
            return chosen
        chosen[event] = -1
        left -= int(instance.priority[event])


FULL_ROOMS = 0.95  # a pool this full on a day: moves alone left the target missed (benchmarks/RESULTS.md, d29)


def fullest_rooms(instance: Instance, chosen: IntArray) -> tuple[float, str]:
    """How full the fullest pool of interchangeable rooms is on its fullest day: the room time its events hold
    (changeover and sweeps included) over the room time open, both outside the slots an exclusive event holds every
    room; and the pool's rooms and day, in a planner's words."""
    grid, placed = instance.grid, chosen[chosen >= 0]
    exclusive = np.zeros(grid.n_slots, dtype=bool)
    for item in placed[instance.exclusive[instance.item_event[placed]]].tolist():
        exclusive[int(instance.item_start[item]):int(instance.item_end[item])] = True
    best, where = 0.0, ""
    for pool in instance.pools:
        held = np.zeros(grid.n_slots, dtype=np.int64)
        for item in placed[instance.item_pool[placed] == pool.index].tolist():
            held[int(instance.item_room_from[item]):int(instance.item_end[item])] += 1
        for day in range(len(grid.day_slots)):
            slots = (grid.slot_day == day) & ~exclusive
            opened = int(pool.rooms_open[slots].sum())
            share = float(held[slots].sum()) / opened if opened else 0.0
            if share > best:
                rooms = ", ".join(instance.rooms[r].id for r in pool.rooms[:3]) + (" ..." if pool.size > 3 else "")
                best, where = share, f"{pool.size} room(s) {rooms} on day {day + 1}"
    return best, where
