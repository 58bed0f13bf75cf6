"""When a report leaves the push-forward repair (:mod:`solver.replan.push`) a required event it cannot place: the plan
gives way around the fact, and the re-plan always ends with a proposal.

1. The required events alone (and what cannot move: what runs, the past, the freeze window) are placed at the least
   disruption, every optional event set aside (an optional event can always go, so this is quick: on Hanoi's
   opening running late at 10:50, about 70 events and 10,000 placements, a second).
2. The push runs again with each required event held where step 1 put it: the optional events keep their place or
   take the cheapest place left around them, or go.
3. When step 1 finds nothing in its time, the first push stands: it keeps every rule, and the required events it
   could not keep are named in the proposal ("required event X could not be kept: ..."), for the planner to decide.

A proposal that leaves out a required event is never answered "infeasible": the report is a fact, and publishing it
is the planner's decision (:func:`given_up_notes` says what it costs).
"""

from __future__ import annotations

import threading
import time

import numpy as np
from ortools.sat.python import cp_model

from solver import cpsat
from solver.compile import Instance
from solver.model.build import add_linear, build_model
from solver.model.rows import IntArray
from solver.replan.plan import DisruptionWeights, PreviousPlan
from solver.replan.push import push_forward
from solver.timetable import Timetable


def required_placed(instance: Instance, plan: PreviousPlan, wanted: list[int], seconds: float, workers: int,
                    seed: int, stop: threading.Event | None, hint: IntArray) -> tuple[IntArray | None, bool]:
    """Every required event (and every wanted event that cannot move) placed, the other optional events set aside:
    any such placement first (a plain feasibility search, from the push's places: about a second on Hanoi where the
    least disruptive one takes four), then the least disruptive one in the time left. The placement per event of
    ``instance`` (-1: none), or None if none is found in ``seconds``."""
    deadline = time.monotonic() + seconds
    still = [e for e in wanted if instance.event_items[e].size == 1]
    group = instance.with_predecessors(sorted(set(np.flatnonzero(instance.required).tolist()) | set(still)))
    keep = np.isin(instance.item_event, np.asarray(group, dtype=np.int64))
    sub, to_full = instance.restricted(keep), np.flatnonzero(keep)
    built = build_model(sub, with_objective=False)
    for e in still:
        items = sub.event_items[e]
        add_linear(built.model, items, np.ones(items.size, dtype=np.int64), 1, 1)
    cpsat.hint_placements(built.model, np.isin(to_full, hint[hint >= 0]))
    status, solver = cpsat.run(built.model, cpsat.Search(max(0.1, 0.6 * seconds), workers, seed), stop)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, status == cp_model.INFEASIBLE
    on = cpsat.placements_on(solver, sub.n_items)
    cost = plan.ranked_cost[to_full]
    used = np.flatnonzero(cost)
    cpsat.set_objective(built.model, used.tolist(), cost[used].tolist(), maximize=False)
    cpsat.hint_placements(built.model, on)
    if deadline - time.monotonic() > 0.1:
        status, solver = cpsat.run(built.model, cpsat.Search(deadline - time.monotonic(), workers, seed), stop)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            on = cpsat.placements_on(solver, sub.n_items)
    chosen = np.full(len(instance.events), -1, dtype=np.int64)
    chosen[sub.item_event[on]] = to_full[on]
    return chosen, False


def pushed_around(instance: Instance, previous: Timetable, weights: DisruptionWeights, wanted: list[int],
                  hit: set[int], held: IntArray) -> tuple[IntArray, set[int], bool]:
    """The push-forward repair with each event ``held`` (placed there: -1 none) kept at that placement (see
    :func:`push_forward`), as placements of ``instance``."""
    keep = np.ones(instance.n_items, dtype=bool)
    for e in np.flatnonzero(held >= 0).tolist():
        keep[instance.event_items[e]] = False
        keep[int(held[e])] = True
    sub, to_full = instance.restricted(keep), np.flatnonzero(keep)
    chosen, moved, whole = push_forward(sub, PreviousPlan.of(sub, previous, weights), wanted, hit, giving=True)
    full = np.full(len(instance.events), -1, dtype=np.int64)
    full[chosen >= 0] = to_full[chosen[chosen >= 0]]
    return full, moved, whole


def given_up(instance: Instance, wanted: list[int], chosen: IntArray) -> list[int]:
    """The wanted required events a repair leaves out."""
    return [e for e in wanted if instance.required[e] and chosen[e] < 0]
