"""Relaxations that grow: the change's events solved alone, then with every event their answer runs into,
bounding the least disruption from below and, when the answer holds in the whole summit, giving the least
disruptive repair; and the same with the rooms the pooled model mispriced told apart."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from solver.compile import BoolArray, Instance, compile_scenario
from solver.model.build import add_linear, build_model
from solver.model.constraints import all_rows
from solver.model.rows import IntArray, RowIndex
from solver.replan.plan import DisruptionWeights, _PreviousPlan, measure_disruption
from solver.replan.search import _chosen, _model_seconds, _set_objective, _solve
from solver.scenario import Scenario
from solver.solve import assignments_of
from solver.timetable import Assignment, Timetable

log = logging.getLogger(__name__)


# The share of a relaxation's time in which the group grows by every event its answer runs into (quick growth,
# strong bounds); for the rest, the others may give way at a price (answers close to a repair).
_RELAXATION_GROWTH = 0.6


@dataclass
class _Relaxation:
    """What solving a group of events alone found (see :func:`_grown_relaxation`)."""

    bound: int  # no repair that keeps the wanted events costs less
    chosen: IntArray | None  # the best repair found on the way (it costs ``bound`` when proven minimal)
    group: set[int]  # the events solved together last, and those their answer ran into
    answer: IntArray | None = None  # that answer, the others where they were (it may break rules)


def _grown_relaxation(instance: Instance, plan: _PreviousPlan, wanted: BoolArray, start: AbstractSet[int],
                      deadline: float, workers: int, seed: int, stop: threading.Event | None,
                      target: int | None = None) -> _Relaxation | None:
    """The least disruption of a repair that keeps every ``wanted`` event, found by solving a group of events
    on their own: first the ``start`` events (those the change displaced or names), then also every event in
    the old place of which the group's answer runs.

    The events outside the group are left out, with the rules they take part in: any repair of the whole
    summit, cut down to the group, is one of the group's answers, so the group's least disruption bounds every
    repair below. When the group's answer, with every other event where it was, breaks no rule, it is the
    least disruptive repair; otherwise the events it runs into join the group, which is solved again. For the
    last part of the time, the others are in the group's model too, free to give way but each one that does
    counts against the answer: among the group's cheapest answers, the one that keeps the most others in place
    (then the fewest likely room changes) comes out, a repair or close to one. It stops when the answer holds,
    time runs out (``deadline``, ``time.monotonic()``) or the bound reaches ``target`` (the cost of the repair
    in hand, then minimal). None when the group cannot keep every wanted event (then no repair can)."""
    group = set(start)
    best = _Relaxation(0, None, set(group))
    hint = np.asarray(sorted(plan.keep_item.values()), dtype=np.int64)
    # the others stay out of the model for the first part of the time: the group grows faster
    penalise_after = time.monotonic() + _RELAXATION_GROWTH * max(0.0, deadline - time.monotonic())
    while stop is None or not stop.is_set():
        events = instance.with_predecessors(group)
        if deadline - time.monotonic() < 0.05 + _model_seconds(instance, events):
            break
        penalise = time.monotonic() >= penalise_after
        inside = np.zeros(len(instance.events), dtype=bool)
        inside[events] = True
        inside &= wanted  # (an unwanted predecessor stays out in the whole summit too: so does its follower)
        others = {e: item for e, item in plan.keep_item.items() if wanted[e] and not inside[e]}
        keep = inside[instance.item_event]
        if penalise:
            keep[list(others.values())] = True
        sub, to_full = instance.restricted(keep), np.flatnonzero(keep)
        sub.required = sub.required & inside  # the others are free to give way
        model = build_model(sub, with_objective=False).model
        for e in np.flatnonzero(inside).tolist():
            items = sub.event_items[e]
            add_linear(model, items, np.ones(items.size, dtype=np.int64), 1, 1)
        # cost first, then each other event pushed out, then the likely room changes
        mine = inside[sub.item_event]
        extra = np.where(mine, plan.room_extra[to_full], 0)
        pushed = 1 + sum(int(extra[sub.event_items[e]].max()) for e in np.flatnonzero(inside).tolist())
        scale = 1 + pushed * len(others) + (pushed - 1)
        cost = plan.item_cost[to_full]
        coefs = np.where(mine, cost * scale + extra, -pushed)
        used = np.flatnonzero(coefs)
        _set_objective(model, used.tolist(), coefs[used].tolist(), maximize=False)
        model.proto.solution_hint.vars.extend(range(sub.n_items))
        model.proto.solution_hint.values.extend(np.isin(to_full, hint).astype(np.int64).tolist())
        # (without core-based search: measured on Hanoi, it reaches the same bounds sooner here, e.g. a closure's
        # 45 in 0.7 s instead of 1.2 s)
        status, solver = _solve(model, max(0.01, deadline - time.monotonic()), workers, seed, stop)
        if status == cp_model.INFEASIBLE:
            return None
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            break
        offset = pushed * len(others) if penalise else 0
        bound = int(math.floor((solver.best_objective_bound + offset) / scale + 1e-9))
        best.bound, best.group = max(best.bound, bound), set(np.flatnonzero(inside).tolist())
        chosen = _chosen(sub, to_full, solver, len(instance.events))
        gave_way = {e for e in others if chosen[e] < 0}
        for e in gave_way:
            chosen[e] = others[e]
        if not penalise:
            gave_way = _clashing_events(instance, chosen) & set(others)
        log.debug("relaxation of %d events: bound %d, %d others in the way", len(best.group), best.bound, len(gave_way))
        if not gave_way and (best.chosen is None or plan.rank_of(chosen) < plan.rank_of(best.chosen)):
            best.chosen = chosen
        best.answer, best.group = chosen, best.group | gave_way
        if not gave_way or status != cp_model.OPTIMAL or (target is not None and best.bound >= target):
            break
        group |= gave_way
        if penalise:  # (they gave way for a reason: their people's other events are often next)
            people = {p for e in gave_way for p in instance.events[e].participants}
            group |= {e for e in others if people & set(instance.events[e].participants)}
        hint = chosen[chosen >= 0]
    return best


def _clashing_events(instance: Instance, chosen: IntArray) -> set[int]:
    """The events of the ``chosen`` placements that take part in a broken rule."""
    on = np.zeros(instance.n_items, dtype=bool)
    on[chosen[chosen >= 0]] = True
    sub = instance.restricted(on)
    rows = all_rows(sub)
    index = RowIndex.of(rows, sub.n_items)
    broken = np.flatnonzero(index.load_of(np.arange(sub.n_items)) > index.upper)
    return {int(e) for r in broken.tolist() for e in sub.item_event[rows.items[r]].tolist()}


def _rooms_apart_repair(working: Scenario, previous: Timetable, weights: DisruptionWeights, instance: Instance,
                        table: Timetable, measured: int, group: AbstractSet[int], wanted: BoolArray, deadline: float,
                        workers: int, seed: int,
                        stop: threading.Event | None) -> tuple[list[Assignment] | None, int, int]:
    """Prove (or improve) a repair costing ``measured`` when rooms cost more than the pooled searches saw: an
    event that keeps its pool can still change room (its room is taken when it moves, or another event takes
    it). The rooms where that happens in ``table`` (the repair the pooled searches found cheapest) are told
    apart from their pool (so keeping or leaving them is priced), and the change's
    events and those they run into (``group``) are solved alone again (:func:`_grown_relaxation`): with some
    rooms apart, the least disruption still bounds the true one below, and an answer whose rooms come out as
    priced is the least disruptive repair. Repeats, with more rooms apart, until then or the ``deadline``.
    Returns a cheaper repair's assignments (else None), its cost, and the bound."""
    old = {a.event: a for a in previous.assignments}
    apart: set[str] = set()
    current, refined = table.assignments, instance
    best: list[Assignment] | None = None
    bound = 0
    while time.monotonic() < deadline and (stop is None or not stop.is_set()):
        hidden = set()
        for a in current:
            before = old.get(a.event)
            if before is None or before.room == a.room or before.room not in refined.room_index:
                continue
            if refined.room_pool[refined.room_index[before.room]] == refined.room_pool[refined.room_index[a.room]]:
                hidden |= {before.room, a.room}
        if hidden <= apart:
            break
        apart |= hidden
        refined = compile_scenario(working, apart=apart)
        plan = _PreviousPlan.of(refined, previous, weights)
        relaxation = _grown_relaxation(refined, plan, wanted, group, deadline, workers, seed, stop, target=measured)
        if relaxation is None:
            break
        bound = max(bound, relaxation.bound)
        log.debug("rooms apart %s: bound %d", sorted(apart), bound)
        if relaxation.chosen is None or bound >= measured:
            break
        group = relaxation.group
        current = assignments_of(refined, relaxation.chosen, plan.old_room)
        cost = measure_disruption(working, previous, Timetable(scenario=table.scenario, status="feasible",
                                                                 assignments=current),
                                  weights)
        log.debug("rooms apart: repair costs %d (priced %d)", cost, plan.cost_of(relaxation.chosen))
        if cost < measured:
            best, measured = current, cost
        if cost <= relaxation.bound:
            break  # its rooms came out as priced: the least disruption
    return best, measured, bound
