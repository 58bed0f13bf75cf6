"""What a buffer is worth, when the planner says so (``overruns.buffer_value``, issue 29).

A *buffer* is a slot a vvip leader is left free right after one of their events (rest included) ends, or a room left
free in the slot right after its event ends (counted per pool of interchangeable rooms: the rooms freed then that no
event takes at once), so that the event may run late without reaching what follows. By default (value 0) the robust
solve is lexicographic: no request is ever given up for a buffer (:mod:`solver.slack` only moves events). With a
value above 0 the planner prices a buffer in priority points: the robust solve's trade stage maximises the value of
the requests placed plus that value for every buffer, all rules kept, starting from the plain solve's timetable; a
request is then left out when the buffers it takes away are worth more than its priority.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from solver.compile import BoolArray, Instance
from solver.model.build import BuiltModel, add_linear, build_model
from solver.model.objective import placement_values, vvip_block_starts
from solver.model.rows import IntArray, Rows

SCALE = 100  # the objective's points per priority point (a buffer's value is kept to a hundredth)


def add_buffers(built: BuiltModel, instance: Instance) -> list[int]:
    """For each vvip and slot: a buffer flag, on only when the vvip is busy in the slot before (an event or its
    rest) and free in this one, that is, right after an event of theirs ends. Returns the flags' indices."""
    flags = []
    for now, before in vvip_block_starts(instance):
        if before.size == 0:
            continue
        flag = built.model.new_bool_var("").Index()
        # buffer -> busy just before: flag - sum(before) <= 0
        add_linear(built.model, np.concatenate([[flag], before]).astype(np.int64),
                   np.concatenate([[1], -np.ones(before.size)]).astype(np.int64), -int(before.size), 0)
        # buffer -> free now: flag + sum(now) <= 1
        add_linear(built.model, np.concatenate([[flag], now]).astype(np.int64),
                   np.ones(now.size + 1, dtype=np.int64), 0, 1)
        flags.append(flag)
    return flags


def _inside_days(instance: Instance) -> BoolArray:
    """The slots that are not the first of a day (a room freed at a day's end leaves no buffer)."""
    inside = np.ones(instance.grid.n_slots + 1, dtype=bool)
    inside[instance.grid.day_offset] = False
    inside[-1] = False
    return inside


def add_room_buffers(built: BuiltModel, instance: Instance) -> list[int]:
    """For each pool and slot where one of its events may end: how many rooms freed then stay free (at most the
    events ending then, and the rooms open minus those in use). Returns the counts' indices."""
    counts, inside = [], _inside_days(instance)
    for pool in instance.pools:
        items = np.flatnonzero(instance.item_pool == pool.index)
        begin, end = instance.item_room_from[items], instance.item_end[items]
        for t in np.unique(end).tolist():
            if not inside[t]:
                continue
            ending, busy = items[end == t], items[(begin <= t) & (end > t)]
            count = built.model.new_int_var(0, pool.size, "").Index()
            add_linear(built.model, np.concatenate([[count], ending]).astype(np.int64),
                       np.concatenate([[1], -np.ones(ending.size)]).astype(np.int64), -int(ending.size), 0)
            add_linear(built.model, np.concatenate([[count], busy]).astype(np.int64),
                       np.ones(busy.size + 1, dtype=np.int64), 0, int(pool.rooms_open[t]))
            counts.append(count)
    return counts


@dataclass
class RoomUse:
    """Per pool and slot: the pool's rooms in use and the events ending, for the placed items."""

    busy: IntArray
    ends: IntArray
    open: IntArray
    inside: BoolArray

    @staticmethod
    def of(instance: Instance, on: IntArray) -> RoomUse:
        slots = instance.grid.n_slots + 1
        busy = np.zeros((len(instance.pools), slots + 1), dtype=np.int64)
        ends = np.zeros((len(instance.pools), slots), dtype=np.int64)
        pool, end = instance.item_pool[on], instance.item_end[on]
        np.add.at(busy, (pool, instance.item_room_from[on]), 1)
        np.add.at(busy, (pool, end), -1)
        np.add.at(ends, (pool, end), 1)
        open_rooms = np.array([np.append(p.rooms_open, 0) for p in instance.pools], dtype=np.int64).reshape(
            len(instance.pools), slots)
        return RoomUse(np.cumsum(busy, axis=1)[:, :slots], ends, open_rooms, _inside_days(instance))

    def breaks(self, pool: int, first: int = 0, last: int | None = None) -> int:
        """Rooms freed and left free, in the pool's slots first..last."""
        window = slice(first, None if last is None else last + 1)
        free = np.minimum(self.ends[pool, window], self.open[pool, window] - self.busy[pool, window])
        return int(np.where(self.inside[window], np.maximum(free, 0), 0).sum())

    def take(self, instance: Instance, item: int, sign: int = -1) -> None:
        pool, end = int(instance.item_pool[item]), int(instance.item_end[item])
        self.busy[pool, int(instance.item_room_from[item]):end] += sign
        self.ends[pool, end] += sign


def buffers_of(instance: Instance, chosen: IntArray) -> int:
    """The buffers of a timetable, as the trade stage counts them: the vvips' and the rooms'."""
    on = np.zeros(instance.n_items, dtype=bool)
    on[chosen[chosen >= 0]] = True
    rooms = RoomUse.of(instance, chosen[chosen >= 0])
    return sum(1 for now, before in vvip_block_starts(instance)
               if before.size and on[before].any() and not on[now].any()) + \
        sum(rooms.breaks(pool) for pool in range(len(instance.pools)))


def worth(instance: Instance, chosen: IntArray, buffer_value: float) -> int:
    """The trade stage's objective of a timetable: the requests' priority plus the buffers' value (in SCALE)."""
    placed = chosen[chosen >= 0]
    return int(placement_values(instance)[placed].sum()) * SCALE + int(round(buffer_value * SCALE)) * \
        buffers_of(instance, chosen)


def drop_for_buffers(instance: Instance, chosen: IntArray, buffer_value: float) -> IntArray:
    """Leave out, one at a time, the optional request whose buffers (those around its vvips' events) are worth the
    most above its priority, while one is; the lowest priority first among equals. Leaving an event out keeps every
    rule, so the timetable stays valid."""
    blocks = [(now, before) for now, before in vvip_block_starts(instance) if before.size]
    touching: dict[int, list[int]] = {}
    for k, (now, before) in enumerate(blocks):
        for item in np.concatenate([now, before]).tolist():
            touching.setdefault(item, []).append(k)
    value, price = placement_values(instance), int(round(buffer_value * SCALE))
    on = np.zeros(instance.n_items, dtype=bool)
    on[chosen[chosen >= 0]] = True
    chosen = chosen.copy()

    rooms = RoomUse.of(instance, chosen[chosen >= 0])

    def buffers(item: int, ks: list[int]) -> int:
        pool, first, last = int(instance.item_pool[item]), int(instance.item_room_from[item]), \
            int(instance.item_end[item])
        return sum(1 for k in ks if on[blocks[k][1]].any() and not on[blocks[k][0]].any()) + \
            rooms.breaks(pool, first, last)

    while True:
        best, gain_of_best = -1, 0
        for event in np.flatnonzero((chosen >= 0) & ~instance.required).tolist():
            item = int(chosen[event])
            ks = sorted(set(touching.get(item, [])))
            kept = buffers(item, ks)
            on[item] = False
            rooms.take(instance, item)
            gain = price * (buffers(item, ks) - kept) - int(value[item]) * SCALE
            on[item] = True
            rooms.take(instance, item, +1)
            if gain > gain_of_best:
                best, gain_of_best = event, gain
        if best < 0:
            return chosen
        on[chosen[best]] = False
        rooms.take(instance, int(chosen[best]))
        chosen[best] = -1


def trade_for_buffers(instance: Instance, rows: Rows, chosen: IntArray, buffer_value: float, seconds: float,
                      seed: int = 0, workers: int = 1, stop: threading.Event | None = None) -> IntArray:
    """Maximise the requests' value plus ``buffer_value`` per buffer from the timetable ``chosen``: first requests
    left out one at a time while that pays (:func:`drop_for_buffers`), then CP-SAT from there for up to ``seconds``
    (on a large summit it rarely improves on that in time); returns the best placements found."""
    chosen = drop_for_buffers(instance, chosen, buffer_value)
    built = build_model(instance, rows=rows, with_objective=False)
    flags = add_buffers(built, instance) + add_room_buffers(built, instance)
    value = placement_values(instance)
    valued = np.flatnonzero(value)
    price = int(round(buffer_value * SCALE))
    objective = built.model.proto.objective
    objective.vars.extend(valued.tolist() + flags)
    objective.coeffs.extend((-value[valued] * SCALE).tolist() + [-price] * len(flags))
    objective.scaling_factor = -1.0
    on = np.zeros(instance.n_items, dtype=np.int64)
    on[chosen[chosen >= 0]] = 1
    hint = built.model.proto.solution_hint
    hint.vars.extend(range(instance.n_items))
    hint.values.extend(on.tolist())
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, seconds)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    if stop is not None:
        threading.Thread(target=_stop_when, args=(stop, solver, seconds), daemon=True).start()
    status = solver.solve(built.model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return chosen
    found = np.flatnonzero(np.fromiter(solver.response_proto.solution, dtype=np.int64)[: instance.n_items])
    placed = np.full(len(instance.events), -1, dtype=np.int64)
    placed[instance.item_event[found]] = found
    return placed if worth(instance, placed, buffer_value) > worth(instance, chosen, buffer_value) else chosen


def _stop_when(stop: threading.Event, solver: cp_model.CpSolver, seconds: float) -> None:
    """Stop the search when the job is cancelled (waiting no longer than the search may run)."""
    if stop.wait(seconds):
        solver.stop_search()
