"""The searches over a neighbourhood of the change: stage A keeps the most, stage B moves the least; the
neighbourhoods themselves and the CP-SAT plumbing the searches share."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from solver import cpsat
from solver.budget import PLACEMENTS_PER_SECOND
from solver.compile import Instance
from solver.cpsat import set_objective
from solver.model.build import add_linear, build_model
from solver.model.constraints import all_rows
from solver.model.greedy import greedy_placements
from solver.model.rows import IntArray, RowIndex, Rows
from solver.replan.plan import PreviousPlan


def model_seconds(instance: Instance, events: AbstractSet[int] | list[int]) -> float:
    """About how long a model over these events' placements takes to build (and start searching)."""
    return 2 * sum(int(instance.event_items[e].size) for e in events) / PLACEMENTS_PER_SECOND


def neighbourhood(instance: Instance, plan: PreviousPlan, named: set[int], level: str,
                   candidates: AbstractSet[int] = frozenset()) -> set[int]:
    scheduled = {int(e) for e in plan.scheduled}
    if level == "everything":
        return scheduled | named | set(candidates)
    touched = set(plan.broken()) | named
    free = touched | set(candidates)
    if level == "partners":
        people = {p for e in touched for p in instance.events[e].participants}
        days = {int(instance.grid.slot_day[s]) for e in touched if (s := plan.old_start.get(e)) is not None}
        rooms = {plan.old_room[e] for e in touched if e in plan.old_room}
        for e in scheduled:
            start = plan.old_start.get(e)
            same_room_day = (plan.old_room.get(e) in rooms and start is not None
                             and int(instance.grid.slot_day[start]) in days)
            if same_room_day or people & set(instance.events[e].participants):
                free.add(e)
    return free


@dataclass
class Stage:
    level: str
    chosen: IntArray  # placement per event of the full instance (-1 = none)
    kept: int
    value: int  # stage A's objective
    optimal: bool
    bound: int
    frame: NeighbourhoodModel | None = None
    least_moves: Stage | None = None  # when this search already moved least, proven so: stage B's answer


def freed_by(instance: Instance, plan: PreviousPlan, dropped: list[int]) -> set[int]:
    """Requests left out before that could use what the ``dropped`` events held: they share a participant
    with one, or could take its room pool while it would have run."""
    if not dropped:
        return set()
    people = {p for e in dropped for p in instance.events[e].participants}
    held = [(int(instance.room_pool[plan.old_room[e]]) if e in plan.old_room else -1, s, s + int(instance.duration[e]))
            for e in dropped if (s := plan.old_start.get(e)) is not None]
    freed = set()
    for e in np.flatnonzero(~plan.scheduled_mask).tolist():
        items = instance.event_items[e]
        if not items.size:
            continue
        if people & set(instance.events[e].participants) or any(
                ((instance.item_pool[items] == pool) & (instance.item_start[items] < end)
                 & (instance.item_end[items] > start)).any() for pool, start, end in held):
            freed.add(e)
    return freed


def swappers(instance: Instance, plan: PreviousPlan, touched: set[int]) -> set[int]:
    """Every event running, in the old plan, while a touched event ran or could shift to (its own length either
    side): a cheaper repair often gives a displaced event another's room and that one another room."""
    spans = [(s - int(instance.duration[e]), s + 2 * int(instance.duration[e]))
             for e in touched if (s := plan.old_start.get(e)) is not None]
    around = set()
    for e in plan.scheduled:
        start = plan.old_start.get(int(e))
        if start is not None and any(start < high and low < start + int(instance.duration[e]) for low, high in spans):
            around.add(int(e))
    return around


def _restrict(instance: Instance, plan: PreviousPlan, free: set[int],
              swappers: AbstractSet[int] = frozenset()) -> tuple[Instance, IntArray]:
    """Free events keep all their placements, ``swappers`` those at their old start (another room only), the
    others only their old placement."""
    keep = np.zeros(instance.n_items, dtype=bool)
    free_mask = np.zeros(len(instance.events), dtype=bool)
    free_mask[list(free)] = True
    keep |= free_mask[instance.item_event]
    for e in swappers:
        start = plan.old_start.get(e)
        if not free_mask[e] and start is not None:
            items = instance.event_items[e]
            keep[items[instance.item_start[items] == start]] = True
            free_mask[e] = True
    for e, item in plan.keep_item.items():
        if not free_mask[e]:
            keep[item] = True
    return instance.restricted(keep), np.flatnonzero(keep)


def run_search(model: cp_model.CpModel, time_limit: float, workers: int, seed: int,
               stop: threading.Event | None = None,
               work: float | None = None) -> tuple[Any, cp_model.CpSolver]:
    """A re-plan's search (see :mod:`solver.cpsat`): it starts at once, from its hint."""
    return cpsat.run(model, cpsat.Search(time_limit, workers, seed, work=work), stop)


def chosen_of(sub: Instance, to_full: IntArray, solver: cp_model.CpSolver, n_events: int) -> IntArray:
    """The placement of each event of the full instance in the answer (-1: none), from the sub-instance's."""
    on = np.flatnonzero(cpsat.placements_on(solver, sub.n_items))
    chosen = np.full(n_events, -1, dtype=np.int64)
    chosen[sub.item_event[on]] = to_full[on]
    return chosen


@dataclass
class NeighbourhoodModel:
    """A CP-SAT model over the free events of a neighbourhood (the others fixed in place)."""

    model: cp_model.CpModel
    sub: Instance
    to_full: IntArray  # placement of the sub-instance -> placement of the full instance
    value_vars: list[int]
    value_coefs: list[int]
    rows: Rows


def build_neighbourhood(instance: Instance, plan: PreviousPlan, free: set[int], named: AbstractSet[int] = frozenset(),
           swappers: AbstractSet[int] = frozenset()) -> NeighbourhoodModel:
    """The model of a neighbourhood: the ``free`` events move, the ``swappers`` may change room at their
    time, the others stay where they were. A request left out before (free, but not ``named`` by the change)
    may come in only where it fits around the old places of the events the change leaves alone, even those
    free to move: it never displaces one."""
    sub, to_full = _restrict(instance, plan, free, swappers)
    frame = frame_of(instance, plan, sub, to_full)
    newcomers = np.zeros(len(instance.events), dtype=bool)
    newcomers[list(free)] = True
    newcomers &= ~plan.scheduled_mask
    newcomers[list(named)] = False
    candidates = newcomers[sub.item_event]
    untouched = {e: item for e, item in plan.keep_item.items() if e not in named}
    held = np.isin(to_full, np.asarray(sorted(untouched.values()), dtype=np.int64))
    fixed = np.flatnonzero(held)
    if candidates.any() and fixed.size:
        index = RowIndex.of(frame.rows, sub.n_items)
        blocked = index.overflowing(index.load_of(fixed))
        variables = frame.model.proto.variables
        for item in np.flatnonzero(blocked & candidates):
            variables[int(item)].domain[1] = 0
    return frame


def frame_of(instance: Instance, plan: PreviousPlan, sub: Instance, to_full: IntArray) -> NeighbourhoodModel:
    built = build_model(sub, with_objective=False)
    coef = plan.event_value(instance)[sub.item_event]
    used = np.flatnonzero(coef)
    return NeighbourhoodModel(built.model, sub, to_full, used.tolist(), coef[used].tolist(), built.rows)


def least_moves_at_value(frame: NeighbourhoodModel, plan: PreviousPlan, value: int) -> tuple[IntArray, IntArray]:
    """Keep at least ``value`` (stage A's) and minimise the weighted disruption; returns the cost terms."""
    add_linear(frame.model, np.asarray(frame.value_vars, dtype=np.int64), np.asarray(frame.value_coefs, dtype=np.int64),
               value, int(sum(frame.value_coefs)))
    ranked = plan.ranked_cost[frame.to_full]
    used = np.flatnonzero(ranked)
    set_objective(frame.model, used.tolist(), ranked[used].tolist(), maximize=False)
    cost = plan.item_cost[frame.to_full]
    priced = np.flatnonzero(cost)
    return priced, cost[priced]


def hint_placements(model: cp_model.CpModel, to_full: IntArray, chosen_items: IntArray) -> None:
    """Hint the placements (variables 0..n-1, placements ``to_full`` of the full instance) among ``chosen_items``
    on, every other off."""
    cpsat.hint_placements(model, np.isin(to_full, chosen_items))


def keep_most(instance: Instance, plan: PreviousPlan, free: set[int], level: str, time_limit: float,
               workers: int, seed: int, stop: threading.Event | None = None, start: IntArray | None = None,
               keep_all: list[int] | None = None, more_to_gain: bool = True,
               named: AbstractSet[int] = frozenset(), all_share: float = 1.0) -> tuple[Stage | None, bool]:
    """Stage A: keep every previously scheduled event that can be kept, then the most value.
    Without a solution, says whether the neighbourhood is proven infeasible (else time ran out).

    ``start`` (a complete repair from a narrower neighbourhood) is the hint. With ``keep_all``, the search
    first looks for the least disruptive repair that keeps all these events: far quicker than maximising
    the value, and, when nothing else is ``more_to_gain`` (no left-out request is in the neighbourhood),
    already the most value. That first search takes ``all_share`` of the time (half with ``more_to_gain``); the
    rest, when it finds nothing (keeping all may be impossible), is the weighted search's."""
    frame = build_neighbourhood(instance, plan, free, named)
    deadline = time.monotonic() + time_limit
    hint = start[start >= 0] if start is not None else np.asarray(list(plan.keep_item.values()), dtype=np.int64)
    hint_placements(frame.model, frame.to_full, hint)
    if keep_all:
        trial = cp_model.CpModel()
        trial.proto.copy_from(frame.model.proto)
        for e in keep_all:
            items = frame.sub.event_items[e]
            if items.size:
                add_linear(trial, items, np.ones(items.size, dtype=np.int64), 1, 1)
        cost = plan.ranked_cost[frame.to_full]  # moving least already: a bare feasible answer can move everything
        used = np.flatnonzero(cost)
        set_objective(trial, used.tolist(), cost[used].tolist(), maximize=False)
        status, solver = run_search(trial, time_limit * (all_share if not more_to_gain else 0.5), workers, seed, stop)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            chosen = chosen_of(frame.sub, frame.to_full, solver, len(instance.events))
            kept, value = plan.kept(chosen), plan.value_of(instance, chosen)
            if not more_to_gain:
                stage = Stage(level, chosen, kept, value, True, value, frame)
                if status == cp_model.OPTIMAL:  # the least disruption for the most value: stage B is done too
                    stage.least_moves = Stage(level, chosen, kept, value, True,
                                               int(math.floor(solver.best_objective_bound / plan.tie_scale + 1e-9)))
                return stage, False
            hint_placements(frame.model, frame.to_full, chosen[chosen >= 0])
    # The most value first; among repairs of equal value, the least disruption (should stage B get no time).
    cost = plan.item_cost[frame.to_full]
    scale = 1 + int(sum(int(cost[items].max()) for items in frame.sub.event_items if items.size))
    item_value = np.zeros(frame.sub.n_items, dtype=np.int64)
    item_value[frame.value_vars] = frame.value_coefs
    combined = item_value * scale - cost
    used = np.flatnonzero(combined)
    set_objective(frame.model, used.tolist(), combined[used].tolist(), maximize=True)
    status, solver = run_search(frame.model, max(0.05, deadline - time.monotonic()), workers, seed, stop)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, status in (cp_model.INFEASIBLE, cp_model.MODEL_INVALID)
    chosen = chosen_of(frame.sub, frame.to_full, solver, len(instance.events))
    kept = plan.kept(chosen)
    on = np.flatnonzero(cpsat.placements_on(solver, frame.sub.n_items))
    return Stage(level, chosen, kept, int(item_value[on].sum()), status == cp_model.OPTIMAL,
                  int(math.ceil(solver.best_objective_bound / scale)), frame), False


def value_ceiling(instance: Instance, plan: PreviousPlan, named: set[int], missing: list[int], time_limit: float,
                   available: float, workers: int, seed: int) -> int | None:
    """An upper bound on stage A's value over the previously scheduled and the named events
    (``plan.value_of(..., plan.counted(named))``), over the whole summit. The events of the people of the ``missing``
    events (closed under 'after') are solved alone: every other event is relaxed away (it could not clash with
    them) and counts at its full value. None if those people's events are most of the summit, cannot be built in
    the ``available`` seconds, or no bound came."""
    people = {p for e in missing for p in instance.events[e].participants}
    theirs = {e for e, event in enumerate(instance.events) if people & set(event.participants)}
    group = instance.with_predecessors(theirs)
    if len(group) > len(instance.events) // 2 or model_seconds(instance, group) + time_limit > available:
        return None
    value = np.where(plan.counted(named), plan.event_value(instance), 0)
    inside = np.zeros(len(instance.events), dtype=bool)
    inside[list(group)] = True
    placeable = np.asarray([items.size > 0 for items in instance.event_items], dtype=bool)
    outside = int(value[~inside & placeable].sum())
    sub = instance.restricted(inside[instance.item_event])
    built = build_model(sub, with_objective=False)
    coef = value[sub.item_event]
    used = np.flatnonzero(coef)
    set_objective(built.model, used.tolist(), coef[used].tolist(), maximize=True)
    status, solver = run_search(built.model, time_limit, workers, seed)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE, cp_model.INFEASIBLE):
        return None
    if status == cp_model.INFEASIBLE:  # the required events among them clash: nothing is kept at all
        return outside
    return outside + int(math.floor(solver.best_objective_bound + 1e-6))


def greedy_repair(instance: Instance, plan: PreviousPlan, named: set[int], rows: Rows | None = None) -> Stage | None:
    """When the searches ran out of time without a repair: keep every untouched event where it was and
    place the others greedily (on ``rows``, the whole summit's, when already built). None if a required event
    finds no place."""
    fixed = {e: item for e, item in plan.keep_item.items() if e not in named}
    chosen = greedy_placements(instance, rows if rows is not None else all_rows(instance), fixed)
    if any(instance.required[e] and chosen[e] < 0 for e in range(len(instance.events))):
        return None
    return Stage("greedy", chosen, plan.kept(chosen), plan.value_of(instance, chosen), False, 0)


def move_least(instance: Instance, plan: PreviousPlan, stage: Stage, time_limit: float, workers: int,
                seed: int, frame: NeighbourhoodModel | None = None, stop: threading.Event | None = None,
                hint: IntArray | None = None) -> Stage:
    """Stage B: keep stage A's value, move as little (weighted) as possible. Runs on stage A's
    neighbourhood, or on ``frame`` (e.g. the whole summit, to prove the minimum), from stage A's repair or
    from ``hint`` (placements per event, which may break rules)."""
    frame = frame or stage.frame
    assert frame is not None
    least_moves_at_value(frame, plan, stage.value)
    start = stage.chosen if hint is None else hint
    hint_placements(frame.model, frame.to_full, start[start >= 0])
    status, solver = run_search(frame.model, time_limit, workers, seed, stop)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        # Out of time: the incoming timetable stands.
        return Stage(stage.level, stage.chosen, stage.kept, stage.value, False, 0)
    chosen = chosen_of(frame.sub, frame.to_full, solver, len(instance.events))
    return Stage(stage.level, chosen, stage.kept, stage.value, status == cp_model.OPTIMAL,
                  int(math.floor(solver.best_objective_bound / plan.tie_scale + 1e-9)))
