"""Re-planning after last-minute changes, moving as little as possible.

``resolve(scenario, previous, changes, now)``:

1. applies the changes to get the new scenario version;
2. freezes what has started or starts within ``freeze_minutes`` after ``now`` (pinned to
   its room and start), and lets nothing new start before then;
3. solves lexicographically, in an expanding neighbourhood of the change:
   * stage A maximises ``W * (previously scheduled events kept) + (priority of optional
     events)``, with ``W`` larger than all priorities together, so a previously scheduled
     meeting is never traded for value, and value never for fewer moves;
   * stage B keeps stage A's value and minimises the weighted disruption;
   * events the change does not touch are fixed to their old placement first; if that
     loses a previously scheduled event or a newly requested one, the neighbourhood
     widens (partners and room-mates of the touched events, then everything);
   * requests left out before stay out unless the change names them, gives time, rooms or
     capacity (a reopened or added room, an added day, a cancelled event, a larger resource,
     wider availability) or makes an event go; even then they come in only where they fit
     around the events that stay: re-planning repairs, a fresh solve optimises;
   * when something had to go, a bound on what its people's events can hold (solved alone)
     stops the widening early; when required events clash on their own, the explanation
     comes at once;
   * when untouched events must move too, the change's events are first solved alone, with
     the rest of the summit left out, and then again with every event their answer runs into
     (a relaxation that grows: its least disruption bounds every repair, and an answer that
     holds in the whole summit is the least disruptive repair; level ``conflicts``);
4. reports the disruption with a proven lower bound: every event whose old placement
   became impossible must move at least at its cheapest alternative's cost; a resource cut
   forces the cheapest set of time moves that frees every over-capacity moment; the growing
   relaxation above; then a ladder of searches climbs from that bound ("is there a repair
   costing at most B?", B growing), each over the moves that fit in B and that a chain of
   moves from the change can reach: each search proven empty raises the bound, the first that
   holds a repair gives the least disruption. Rooms the pooled model cannot price (an event
   keeps its pool but not its room) are then told apart and the relaxation solved again.

``ReplanResult.phases`` says where the time went (``benchmarks/replan.py --detail``).

Disruption weights (:class:`DisruptionWeights`) are documented and configurable.
"""

from __future__ import annotations

import heapq
import logging
import math
import threading
import time
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from solver.changes import (
    AnyChange,
    EventAdded,
    EventUpdated,
    ParticipantAvailability,
    ParticipantDelayed,
    PinEvent,
    ResourceCapacity,
    RoomClosed,
    apply_changes,
    parse_changes,
)
from solver.compile import BoolArray, Instance, compile_scenario
from solver.diff import TimetableDiff, diff_timetables
from solver.explain import conflicting_required_events, explain_conflict, explain_infeasible
from solver.model.bound import lp_optimum
from solver.model.build import add_linear, build_model
from solver.model.constraints import all_rows
from solver.model.greedy import greedy_placements
from solver.model.rows import IntArray, RowIndex, Rows
from solver.scenario import Scenario, ScenarioError, parse_scenario
from solver.solve import LP_MAX_PLACEMENTS, assign_rooms, timetable_from_placements
from solver.timetable import Assignment, Diagnostic, ScenarioRef, Timetable

log = logging.getLogger(__name__)

# About how many placements a second the whole summit's rows (or a model of it) are built at, on this project's
# machine (Hanoi: 42k placements, 0.25 s; 1,000 requests: 200k, about 1 s): steps over the whole summit are
# skipped when the time left cannot cover them.
_PLACEMENTS_PER_SECOND = 200_000
# The share of a relaxation's time in which the group grows by every event its answer runs into (quick growth,
# strong bounds); for the rest, the others may give way at a price (answers close to a repair).
_RELAXATION_GROWTH = 0.6


def _model_seconds(instance: Instance, events: AbstractSet[int] | list[int]) -> float:
    """About how long a model over these events' placements takes to build (and start searching)."""
    return 2 * sum(int(instance.event_items[e].size) for e in events) / _PLACEMENTS_PER_SECOND


@dataclass(frozen=True)
class DisruptionWeights:
    """What one change to an already planned event costs.

    A new time costs ``time_move`` (plus ``room_change`` if the room changes too); a new
    room at the same time costs ``room_change``. Both are multiplied by ``vvip_factor``
    (or ``vip_factor``) when such a leader attends, and by ``confirmed_factor`` when the
    assignment was already confirmed to the delegations.
    """

    time_move: int = 10
    room_change: int = 3
    vvip_factor: int = 3
    vip_factor: int = 2
    confirmed_factor: int = 4

    def factor(self, tiers: list[str], confirmed: bool) -> int:
        """What one change to an event of participants of these ``tiers`` is multiplied by."""
        factor = self.vvip_factor if "vvip" in tiers else self.vip_factor if "vip" in tiers else 1
        return factor * (self.confirmed_factor if confirmed else 1)


@dataclass
class ReplanResult:
    timetable: Timetable
    scenario: Scenario  # the new scenario version (changes applied, no freezing pins)
    diff: TimetableDiff
    disruption: int
    disruption_bound: int
    proven_minimal: bool
    neighbourhood: str
    frozen: list[str] = field(default_factory=list)
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)  # seconds spent per step, to see where time goes


class _Phases:
    """Wall time per step of a re-plan (a step met twice adds up)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.monotonic()

    def mark(self, step: str) -> None:
        now = time.monotonic()
        self.seconds[step] = round(self.seconds.get(step, 0.0) + now - self._last, 3)
        self._last = now


def resolve(scenario: Scenario, previous: Timetable, changes: list[AnyChange] | list[dict[str, Any]],
            now: datetime | None = None, freeze_minutes: int = 60, weights: DisruptionWeights | None = None,
            time_limit: float = 10.0, workers: int = 2, seed: int = 0, proof_seconds: float = 1.5,
            stop: threading.Event | None = None) -> ReplanResult:
    """Re-plan after ``changes``; ``proof_seconds`` caps each search over the whole summit that tries
    to prove a repair's disruption minimal when the quick bounds cannot. Setting ``stop`` ends
    the searches early; the best repair found so far is returned."""
    started = time.monotonic()
    phases = _Phases()
    weights = weights or DisruptionWeights()
    parsed = parse_changes(changes) if changes and isinstance(changes[0], dict) else changes
    change_list: list[AnyChange] = list(parsed)  # type: ignore[arg-type]
    changed = apply_changes(scenario, change_list)
    working, frozen = _freeze(changed, previous, now, freeze_minutes)
    instance = compile_scenario(working)
    ref = ScenarioRef(name=changed.name, fingerprint=changed.fingerprint())
    # the searches stop before the limit: building the timetable and its reasons takes time too, more on a
    # larger summit
    search_end = started + time_limit - min(0.4 * time_limit, 0.6 + instance.n_items / _PLACEMENTS_PER_SECOND)

    def left() -> float:
        return search_end - time.monotonic()

    phases.mark("prepare")
    plan = _PreviousPlan.of(instance, previous, weights)
    touched = _named_events(change_list) | _over_capacity(changed, previous, change_list)
    named = {instance.event_index[e] for e in touched if e in instance.event_index}
    phases.mark("previous_plan")

    impossible = [c for c in instance.prechecks if instance.required[c.event]]
    if impossible:
        diagnostics = [Diagnostic(code=c.code, message=c.message, events=[instance.events[c.event].id],
                                  participants=list(c.participants)) for c in impossible]
        table = Timetable(scenario=ref, status="infeasible", diagnostics=diagnostics,
                          solve_seconds=round(time.monotonic() - started, 3))
        return ReplanResult(table, changed, diff_timetables(changed, previous, table), 0, 0, False, "none",
                            frozen, table.solve_seconds, phases.seconds)

    # Requests left out before stay out unless the change concerns them (they are then named) or
    # opens time, rooms or capacity they could use. A change that only takes something away cannot
    # make room for them; looking anyway would re-open the whole summit's optimisation (and, after a
    # plan that was not proven optimal, never finish). A fresh solve is the way to look for more.
    opened = any(_opens_capacity(scenario, changed, c) for c in change_list)
    candidates = set(range(len(instance.events))) - set(plan.scheduled.tolist()) if opened else set()
    phases.mark("opens_capacity")
    best: _Stage | None = None
    timed_out = False
    conflict: list[int] | None = None  # required events that cannot all be placed, once found
    # what a repair must try to keep: every previously scheduled event and every event the change names
    wanted = [e for e in sorted(set(plan.scheduled.tolist()) | named) if instance.event_items[e].size]
    wanted_mask = np.zeros(len(instance.events), dtype=bool)
    wanted_mask[wanted] = True
    relaxation: _Relaxation | None = None  # the change's events solved alone, once tried
    relaxed = False
    levels = ["change", "partners", "everything"]
    while levels:
        level = levels[0]
        free = _neighbourhood(instance, plan, named, level, candidates)
        remaining = left()
        stopped = stop is not None and stop.is_set()
        if (remaining <= 0.05 + _model_seconds(instance, free) or stopped) and best is not None:
            break  # no time to build and search a wider neighbourhood: the repair found stands
        stage_a, proven_infeasible = _keep_most(instance, plan, free, level, max(0.05, remaining * 0.5), workers,
                                                seed, stop, start=best.chosen if best is not None else None,
                                                keep_all=None if level == "change" else wanted,
                                                more_to_gain=bool(candidates), named=named)
        phases.mark(f"keep_most_{level}")
        if stage_a is None:
            levels.pop(0)
            timed_out = timed_out or not proven_infeasible
            if proven_infeasible and level != "everything":
                # If the required events clash on their own, no wider neighbourhood can help: say why at once.
                # After the first level, only among the touched people's events (quick); after the second,
                # on the whole summit.
                conflict = conflicting_required_events(instance, max(0.5, left()), focus=set(plan.broken()) | named,
                                                       workers=workers, focus_only=level == "change")
                phases.mark("required_events_conflict")
                if conflict is not None:
                    break
            continue
        if best is None or stage_a.value > best.value:
            best = stage_a
        missing = [e for e in wanted if stage_a.chosen[e] < 0]
        if not missing:
            break
        if level == "change" and not candidates and not relaxed and left() > 0.3:
            # Untouched events must move too: rather than free every partner, solve the change's events alone and
            # add the events their answer runs into (_grown_relaxation). Its answer, when it holds, is the least
            # disruptive repair; else its bound stays (and the wider searches go on).
            relaxed = True
            relaxation = _grown_relaxation(instance, plan, wanted_mask, set(plan.broken()) | named,
                                           time.monotonic() + left() * 0.6, workers, seed, stop)
            phases.mark("relaxation")
            if relaxation is not None and relaxation.chosen is not None \
                    and plan.cost_of(relaxation.chosen) <= relaxation.bound:
                chosen = relaxation.chosen
                best = _Stage("conflicts", chosen, plan.kept(chosen), plan.value_of(instance, chosen), True,
                              relaxation.bound)
                best.least_moves = best
                break
        freed = _freed_by(instance, plan, [e for e in missing if plan.scheduled_mask[e]]) - candidates - named
        if freed and _model_seconds(instance, free | freed) < 0.5 * left():
            # An event had to go: what it held (its people's time, its room) may let in a request left out before
            # that needs it. Look again with those.
            candidates |= freed
            continue
        levels.pop(0)
        if level == "partners" and left() > 0.3:
            # Something is still left out: prove, on the left-out events' people alone, that no wider search keeps
            # more (e.g. a leader's shortened day cannot hold all their meetings), rather than searching everything.
            # (After the first level it would mostly be wasted: the partners' level usually keeps everything.)
            ceiling = _value_ceiling(instance, plan, named, missing, min(0.25, left() * 0.2), left(), workers, seed)
            phases.mark("value_ceiling")
            if ceiling is not None and plan.value_of(instance, stage_a.chosen, plan.counted(named)) >= ceiling:
                best = stage_a
                break
    if best is None and timed_out:
        best = _greedy_repair(instance, plan, named)
        phases.mark("greedy_repair")
    if best is None:
        explain_seconds = max(0.5, time_limit - (time.monotonic() - started))
        diagnostics = (explain_conflict(instance, conflict, explain_seconds) if conflict is not None
                       else explain_infeasible(instance, explain_seconds))
        table = Timetable(scenario=ref, status="infeasible", diagnostics=diagnostics,
                          solve_seconds=round(time.monotonic() - started, 3))
        phases.mark("explain")
        return ReplanResult(table, changed, diff_timetables(changed, previous, table), 0, 0, False, "none",
                            frozen, table.solve_seconds, phases.seconds)

    remaining = max(0.05, left())
    stage_b = best.least_moves or (best if best.frame is None else _move_least(instance, plan, best, remaining * 0.5,
                                                                               workers, seed, stop=stop))
    phases.mark("move_least")
    chosen = stage_b.chosen
    disruption = plan.cost_of(chosen)
    # Every repair found along the way: the searches see pooled rooms, so the one that costs the planner least
    # once rooms are assigned is picked at the end (a cheaper pooled repair can cost more room changes).
    repairs = [chosen]
    displaced = plan.lower_bound(instance, chosen)
    lower = displaced
    if best.kept == plan.alive:
        lower = max(lower, _resource_cut_bound(instance, plan, changed, previous, change_list))
    if best.level == "change" and stage_b.optimal:
        # Either no untouched event moves (then this optimum is the least possible), or one does
        # (then the touched events' cheapest costs plus the cheapest single move of another).
        lower = max(lower, min(disruption, lower + plan.cheapest_other_move(instance)))
    keeps_wanted = bool((chosen[wanted] >= 0).all())
    if (keeps_wanted and disruption > lower and not relaxed and best.level != "everything"
            and left() > 0.3 + _model_seconds(instance, set(plan.broken()) | named)):
        # Bound (or find) the least disruption by solving the change's events alone, then with the events their
        # answer runs into (see _grown_relaxation).
        relaxed = True
        relaxation = _grown_relaxation(instance, plan, wanted_mask, set(plan.broken()) | named,
                                       time.monotonic() + left() * 0.6, workers, seed, stop, target=disruption)
        phases.mark("relaxation")
    if relaxation is not None and keeps_wanted:
        lower = max(lower, relaxation.bound)
        found = relaxation.chosen
        if (found is not None and plan.value_of(instance, found) == best.value
                and plan.rank_of(found) < plan.rank_of(chosen)):
            chosen, disruption = found, plan.cost_of(found)
            repairs.append(chosen)
    # Prove the repair minimal, or find a cheaper one, by climbing from the lower bound (see _BudgetLadder):
    # first with part of the time, then, after a search around the change, with the rest.
    newcomers = candidates | named
    # When the repair keeps every previously scheduled event and the change adds none, requests left out before
    # only add value: the searches that bound the disruption may leave them out (looser, so their bounds hold).
    must_keep = (plan.counted(named) if best.kept == plan.alive
                 and (plan.scheduled_mask[list(named)].all() or not candidates - named) else None)
    ladder = None
    if disruption > lower and best.level != "everything" and best.frame is not None:
        ladder = _BudgetLadder(instance, plan, chosen, lower, best.value, newcomers, must_keep)
    # A cheaper repair often moves an event beside the change: it gives up its room to a displaced one and takes
    # another at its time, or (after a resource cut) another user of the resource moves. After a relaxation, the
    # events its answer ran into say where: the search around them starts from that answer.
    around_free: set[int] = set()
    around_start = stage_b
    if disruption > lower and best.level in ("change", "partners") and best.frame is not None:
        if relaxation is not None and relaxation.answer is not None and keeps_wanted:
            around_free = relaxation.group
            around_start = _Stage(best.level, relaxation.answer, best.kept, best.value, False, 0)
        else:
            around_free = (_neighbourhood(instance, plan, named, "partners", candidates)
                           | _cut_users(instance, change_list))
    if ladder is not None and around_start is stage_b:
        ladder.climb(left() * 0.5, proof_seconds, workers, seed, stop, last=False)
        chosen, disruption, lower = ladder.chosen, ladder.disruption, ladder.lower
        repairs.append(chosen)
        phases.mark("budget_ladder")
    if disruption > lower and around_free and left() > 0.3 + _model_seconds(instance, around_free):
        swappers = _swappers(instance, plan, set(plan.broken()) | named)
        around = _move_least(instance, plan, around_start, left() * 0.5, workers, seed, stop=stop,
                             frame=_build(instance, plan, around_free, named, swappers))
        if around.chosen is around_start.chosen:  # no answer in time (the relaxation's may break rules)
            around.chosen = chosen
        repairs.append(around.chosen)
        if plan.kept(around.chosen) == best.kept and plan.rank_of(around.chosen) < plan.rank_of(chosen):
            chosen, disruption = around.chosen, plan.cost_of(around.chosen)
        phases.mark("move_least_around")
    if ladder is not None and disruption > lower:
        ladder.improve(chosen)
        ladder.climb(left(), proof_seconds, workers, seed, stop)
        chosen, disruption, lower = ladder.chosen, ladder.disruption, ladder.lower
        repairs.append(chosen)
        phases.mark("budget_ladder")
    # ``lower`` bounds every repair of this value, so meeting it proves the repair minimal even when the
    # search itself ran out of time (e.g. nothing had to move at all).
    proven = disruption <= lower or (stage_b.optimal and best.level == "everything")
    tried_budget = ladder is not None and ladder.tried
    tried_lp = False
    if (not proven and stage_b.optimal and best.level != "everything" and instance.n_items <= LP_MAX_PLACEMENTS
            and left() > 0.3 + 3 * instance.n_items / _PLACEMENTS_PER_SECOND):
        # The LP relaxation of "least disruption at this value" on the whole summit bounds it below (weak: on
        # Hanoi it proved none of the repairs the budget ladder left open).
        tried_lp = True
        relaxed_lower = _disruption_lp(instance, plan, best.value, left())
        if relaxed_lower is not None:
            lower = max(lower, relaxed_lower)
            proven = disruption <= lower
        phases.mark("lp_proof")
    whole_bound = stage_b.bound if best.level == "everything" else 0
    remaining = min(proof_seconds, left())
    if (not proven and not tried_lp and not tried_budget and best.level != "everything"
            and remaining > 0.2 + 2 * instance.n_items / _PLACEMENTS_PER_SECOND):
        # Improve (or prove) on the whole summit, starting from the repair just found (a greedy one).
        whole = _move_least(instance, plan, stage_b, remaining, workers, seed,
                            frame=_build(instance, plan, set(range(len(instance.events)))), stop=stop)
        whole_bound = whole.bound
        repairs.append(whole.chosen)
        if plan.rank_of(whole.chosen) <= plan.rank_of(chosen):
            chosen, disruption = whole.chosen, plan.cost_of(whole.chosen)
        proven = whole.optimal
        phases.mark("whole_proof")
    bound = disruption if proven else max(lower, whole_bound)

    # Requests left out before and still out keep their reason: the change did not concern them.
    known = {instance.event_index[u.event]: (u.code, u.reason) for u in previous.unscheduled
             if u.event in instance.event_index and instance.event_index[u.event] not in named}

    old = {a.event: a for a in previous.assignments}

    def timetable_of(chosen: IntArray, rooms: dict[int, int]) -> tuple[Timetable, int]:
        table = timetable_from_placements(instance, chosen, ref, preferred=rooms, known_reasons=known)
        # optimal only when the whole summit was searched, left-out requests included
        table.status = "optimal" if best.optimal and best.level == "everything" and opened else "feasible"
        table.bound = None
        for assignment in table.assignments:
            before = old.get(assignment.event)
            assignment.confirmed = bool(before is not None and before.confirmed and before.room == assignment.room
                                        and before.start == assignment.start)
        # Rooms are chosen within pools after solving: measure what the planner will actually see.
        return table, measure_disruption(changed, previous, table, weights)

    table, measured = timetable_of(chosen, plan.old_room)
    cheapest_pooled = table  # (its rooms say which rooms the pooled model mispriced)
    seen = {chosen.tobytes()}
    kept, value = plan.kept(chosen), plan.value_of(instance, chosen)
    for repair in repairs:
        if repair.tobytes() not in seen and plan.kept(repair) == kept and plan.value_of(instance, repair) == value:
            seen.add(repair.tobytes())
            trial, cost = timetable_of(repair, plan.old_room)
            if cost < measured:
                table, measured = trial, cost
    phases.mark("timetable")
    # The bound is on the pooled cost, which assigning rooms can only raise: it bounds the measured cost too.
    proven = measured <= bound
    disruption = measured
    if not proven and relaxation is not None and keeps_wanted and best.level != "everything" and left() > 0.3:
        cheaper, cheaper_cost, apart_bound = _rooms_apart_repair(working, previous, weights, instance,
                                                                 cheapest_pooled, measured,
                                                                 relaxation.group, wanted_mask,
                                                                 time.monotonic() + left() * 0.7, workers, seed, stop)
        if cheaper is not None:
            chosen_rooms = {instance.event_index[a.event]: instance.room_index[a.room] for a in cheaper}
            trial, cost = timetable_of(_placements_of(instance, cheaper), chosen_rooms)
            if cost < disruption:
                table, disruption = trial, cost
        bound = max(bound, apart_bound)
        proven = disruption <= bound
        phases.mark("rooms_apart")
    if not proven and best.level != "everything" and left() > 0.2 + instance.n_items / _PLACEMENTS_PER_SECOND:
        # Prove (or improve) the repair with every room apart: a search restricted to the concrete placements
        # that fit in the budget the displaced events leave.
        cheaper, cheaper_cost, minimal = _concrete_repair(working, previous, weights, table, measured, newcomers,
                                                          None if must_keep is None else
                                                          {instance.events[e].id for e in np.flatnonzero(must_keep)},
                                                          left(), workers, seed, stop)
        taken = cheaper is None
        if cheaper is not None:
            chosen_rooms = {instance.event_index[a.event]: instance.room_index[a.room] for a in cheaper}
            trial, cost = timetable_of(_placements_of(instance, cheaper), chosen_rooms)
            taken = cost == cheaper_cost  # its rooms came out as found
            if taken:
                table, disruption = trial, cost
        if minimal and taken:  # proven: none cheaper than the repair now in hand
            proven, bound = True, disruption
        phases.mark("concrete_proof")
    table.solve_seconds = round(time.monotonic() - started, 3)
    diff = diff_timetables(changed, previous, table)
    phases.mark("diff")
    return ReplanResult(table, changed, diff, disruption, bound, proven, best.level, frozen, table.solve_seconds,
                        phases.seconds)


def _placements_of(instance: Instance, assignments: list[Assignment]) -> IntArray:
    """The placement of each assigned event in ``instance`` (-1 if unassigned or not a placement there)."""
    chosen = np.full(len(instance.events), -1, dtype=np.int64)
    for a in assignments:
        e, r = instance.event_index.get(a.event), instance.room_index.get(a.room)
        slot = instance.grid.slot_of(instance.scenario.localise(a.start))
        if e is None or r is None or slot is None:
            continue
        items = instance.event_items[e]
        match = items[(instance.item_pool[items] == instance.room_pool[r]) & (instance.item_start[items] == slot)]
        if match.size:
            chosen[e] = int(match[0])
    return chosen


def _concrete_repair(working: Scenario, previous: Timetable, weights: DisruptionWeights, table: Timetable,
                     measured: int, newcomers: set[int], must_keep: set[str] | None, time_limit: float, workers: int,
                     seed: int, stop: threading.Event | None) -> tuple[list[Assignment] | None, int, bool]:
    """With every room apart (no pools), search for a repair of the same value that costs less than
    ``measured``, among the placements that fit in the budget the displaced events leave (and, with
    ``must_keep``, among those events only, as :class:`_BudgetLadder` does). Returns a cheaper repair's
    assignments and cost if one is found, and whether ``measured`` (or that repair's cost) is proven minimal."""
    deadline = time.monotonic() + time_limit
    concrete = compile_scenario(working, pool_rooms=False)
    if must_keep is not None:  # left-out requests are left out of the search (see below)
        newcomers = {e for e in newcomers if concrete.events[e].id in must_keep}
    plan = _PreviousPlan.of(concrete, previous, weights)
    chosen = _placements_of(concrete, table.assignments)
    placed = {a.event for a in table.assignments}
    if any(concrete.events[e].id in placed for e in np.flatnonzero(chosen < 0).tolist()):
        return None, measured, False  # a placement of the repair does not exist with rooms apart (should not happen)
    budget = _budget(concrete, plan, chosen, measured, newcomers)
    if budget is None:
        return None, measured, True
    if deadline - time.monotonic() < 0.1 + 3 * budget.allowed.sum() / _PLACEMENTS_PER_SECOND:
        return None, measured, False  # no time to prune the budget's placements, build and search them
    value = plan.value_of(concrete, chosen)
    adoptable = True
    if must_keep is not None:  # (the other events have no placement in the budget: newcomers were narrowed)
        counted = np.asarray([event.id in must_keep for event in concrete.events], dtype=bool)
        value = plan.value_of(concrete, chosen, counted)
        adoptable = not (chosen >= 0)[~counted].any()
    answer, minimal = _cheaper_repair(concrete, plan, budget.within_reach(concrete, plan), measured, value, deadline,
                                      workers, seed, stop)
    if answer is None or not adoptable:
        return None, measured, minimal and answer is None
    grid = concrete.grid
    repaired = []
    for e in np.flatnonzero(answer >= 0).tolist():
        item = int(answer[e])
        start = grid.time_of(int(concrete.item_start[item]))
        repaired.append(Assignment(event=concrete.events[e].id,
                                   room=concrete.rooms[concrete.pools[int(concrete.item_pool[item])].rooms[0]].id,
                                   start=start, end=start + timedelta(minutes=concrete.events[e].duration_minutes)))
    return repaired, plan.cost_of(answer), minimal


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
        rooms = assign_rooms(refined, relaxation.chosen, plan.old_room)
        grid = refined.grid
        current = []
        for e in np.flatnonzero(relaxation.chosen >= 0).tolist():
            start = grid.time_of(int(refined.item_start[relaxation.chosen[e]]))
            current.append(Assignment(event=refined.events[e].id, room=refined.rooms[rooms[e]].id, start=start,
                                      end=start + timedelta(minutes=refined.events[e].duration_minutes)))
        cost = measure_disruption(working, previous, Timetable(scenario=table.scenario, status="feasible",
                                                                 assignments=current),
                                  weights)
        log.debug("rooms apart: repair costs %d (priced %d)", cost, plan.cost_of(relaxation.chosen))
        if cost < measured:
            best, measured = current, cost
        if cost <= relaxation.bound:
            break  # its rooms came out as priced: the least disruption
    return best, measured, bound


def measure_disruption(scenario: Scenario, previous: Timetable, new: Timetable,
                       weights: DisruptionWeights | None = None) -> int:
    """The weighted disruption between two timetables, read from the timetables alone."""
    weights = weights or DisruptionWeights()
    tiers = {p.id: p.tier for p in scenario.participants}
    events = {e.id: e for e in scenario.events}
    after = {a.event: a for a in new.assignments}
    total = 0
    for old in previous.assignments:
        now = after.get(old.event)
        if now is None or old.event not in events:
            continue
        factor = weights.factor([tiers.get(p, "standard") for p in events[old.event].participants], old.confirmed)
        if now.start != old.start:
            total += weights.time_move * factor
        if now.room != old.room:
            total += weights.room_change * factor
    return total


def _disruption_lp(instance: Instance, plan: _PreviousPlan, value: int, time_limit: float) -> int | None:
    """ceil of the LP optimum of the weighted disruption over the whole summit, keeping ``value``."""
    coef = plan.event_value(instance)[instance.item_event]
    used = np.flatnonzero(coef)
    optimum = lp_optimum(instance, all_rows(instance), plan.item_cost, False, time_limit,
                         floor=(used.astype(np.int64), coef[used].astype(np.int64), value))
    if optimum is None or optimum < 0:
        return None
    return int(math.ceil(optimum - 1e-6))


# --------------------------------------------------------------------------------------
# Freezing
# --------------------------------------------------------------------------------------


def _freeze(changed: Scenario, previous: Timetable, now: datetime | None,
            freeze_minutes: int) -> tuple[Scenario, list[str]]:
    """Pin what has started or starts within the freeze window; nothing new starts before its end."""
    if now is None:
        return changed, []
    threshold = changed.localise(now) + timedelta(minutes=freeze_minutes)
    document = changed.to_document()
    old = {a.event: a for a in previous.assignments}
    frozen = []
    for event in document["events"]:
        assignment = old.get(event["id"])
        if assignment is not None and changed.localise(assignment.start) < threshold:
            event["pinned"] = {"room": assignment.room, "start": changed.localise(assignment.start).isoformat()}
            event.pop("earliest", None)
            frozen.append(event["id"])
            continue
        earliest = event.get("earliest")
        if earliest is None or changed.localise(datetime.fromisoformat(earliest)) < threshold:
            event["earliest"] = threshold.isoformat()
    return parse_scenario(document), frozen


_LABELS_ONLY = {"priority", "title"}


def _opens_capacity(before: Scenario, after: Scenario, change: AnyChange) -> bool:
    """Could this change let a request that was left out in? Only if it gives time, rooms or capacity."""
    if isinstance(change, RoomClosed | ParticipantDelayed | PinEvent | EventAdded):
        return False
    try:
        if apply_changes(before, [change]).fingerprint() == before.fingerprint():
            return False  # changes nothing (e.g. reopens a room that was not closed): no search for more
    except ScenarioError:  # it needs an earlier change of the list (e.g. updates an event added there)
        return True
    if isinstance(change, ResourceCapacity):
        old = next((r.capacity for r in before.resources if r.id == change.resource), 0)
        return change.capacity > old
    if isinstance(change, EventUpdated):
        return not set(change.set) <= _LABELS_ONLY  # a new priority matters only to the event itself (named)
    if isinstance(change, ParticipantAvailability):
        old_person = next((p for p in before.participants if p.id == change.participant), None)
        new_person = next((p for p in after.participants if p.id == change.participant), None)
        if old_person is None or new_person is None or old_person.available is None:
            return False  # was available all the time: new windows can only take time away
        return not all(any(o.start <= w.start and w.end <= o.end for o in old_person.available)
                       for w in new_person.available or [])
    return True  # reopened or added rooms, added days, cancelled or unpinned events


def _over_capacity_moments(changed: Scenario, previous: Timetable,
                           changes: list[AnyChange]) -> list[tuple[str, list[str], int]]:
    """For each resource whose capacity was cut, the moments (starts) when the old plan holds more of it than
    the new capacity: (resource, events running then, units over)."""
    cut = _cut_resources(changes)
    events = {e.id: e for e in changed.events}
    moments = []
    for resource in changed.resources:
        if resource.id not in cut:
            continue
        users = [a for a in previous.assignments if a.event in events and resource.id in events[a.event].uses]
        for moment in sorted({a.start for a in users}):
            running = [a.event for a in users if a.start <= moment < a.end]
            excess = sum(events[e].uses[resource.id] for e in running) - resource.capacity
            if excess > 0:
                moments.append((resource.id, running, excess))
    return moments


def _over_capacity(changed: Scenario, previous: Timetable, changes: list[AnyChange]) -> set[str]:
    """Events of the old plan running at a moment when a resource whose capacity was cut is over its new
    capacity: no single placement broke, but some of these must move (or go)."""
    return {e for _, running, _ in _over_capacity_moments(changed, previous, changes) for e in running}


def _resource_cut_bound(instance: Instance, plan: _PreviousPlan, changed: Scenario, previous: Timetable,
                        changes: list[AnyChange], time_limit: float = 0.2) -> int:
    """Least disruption a resource cut forces when every event is kept. At a moment where the old plan holds
    more of the resource than its new capacity, some of the events running then must start at another time
    (a new room frees no interpreter), enough of them to free the excess. The cheapest set of time moves that
    frees every moment's excess (a small covering problem, solved exactly) bounds every repair below; where
    time runs out, its proven bound does. Only for change lists made of capacity changes."""
    if not changes or not all(isinstance(c, ResourceCapacity) for c in changes):
        return 0
    events = {e.id: e for e in changed.events}
    model = cp_model.CpModel()
    moves: dict[str, cp_model.IntVar] = {}
    prices: dict[str, int] = {}
    for resource, running, excess in _over_capacity_moments(changed, previous, changes):
        terms = []
        for name in running:
            if name not in moves:
                e = instance.event_index[name]
                items = instance.event_items[e]
                moved = items[instance.item_start[items] != (plan.old_start.get(e) or -1)]
                if not moved.size:
                    continue  # it cannot start at another time: it frees nothing
                moves[name] = model.new_bool_var(name)
                prices[name] = int(plan.item_cost[moved].min())
            terms.append(events[name].uses[resource] * moves[name])
        if not terms:
            return 0  # this moment cannot be freed by moving: the bound does not apply
        model.add(sum(terms) >= excess)
    if not moves:
        return 0
    model.minimize(sum(prices[name] * flag for name, flag in moves.items()))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = 1
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return 0
    return int(math.ceil(solver.best_objective_bound - 1e-9))


def _cut_resources(changes: list[AnyChange]) -> set[str]:
    """The resources whose capacity the changes set (a cut, when it is lower)."""
    return {c.resource for c in changes if isinstance(c, ResourceCapacity)}


def _cut_users(instance: Instance, changes: list[AnyChange]) -> set[int]:
    """The events that use a resource whose capacity the changes cut."""
    cut = _cut_resources(changes)
    return {e for e, event in enumerate(instance.events) if cut & set(event.uses)} if cut else set()


def _named_events(changes: list[AnyChange]) -> set[str]:
    names: set[str] = set()
    for change in changes:
        event = getattr(change, "event", None)
        if isinstance(event, str):
            names.add(event)
        elif event is not None:
            names.add(event.id)
    return names


# --------------------------------------------------------------------------------------
# The previous plan seen from the new instance
# --------------------------------------------------------------------------------------


@dataclass
class _PreviousPlan:
    keep_item: dict[int, int]  # event -> its unchanged placement, when it still exists
    scheduled: IntArray  # events that were scheduled before and still exist
    item_cost: IntArray  # disruption of choosing each placement
    old_room: dict[int, int]
    old_start: dict[int, int | None]
    alive: int
    n_events: int
    # A time move within a pool keeps the event's concrete room only if no one else held that room then in
    # the old plan. The model sees pools, not rooms, so this extra room change is only a tie-break between
    # repairs of equal (pooled) cost: it never enters a bound or a proof.
    room_extra: IntArray
    tie_scale: int  # larger than any repair's total room_extra: ``tie_scale * cost + extra`` ranks by cost first

    @classmethod
    def of(cls, instance: Instance, previous: Timetable, weights: DisruptionWeights) -> _PreviousPlan:
        room_pool = instance.room_pool
        tiers = {p.id: p.tier for p in instance.scenario.participants}
        cost = np.zeros(instance.n_items, dtype=np.int64)
        keep: dict[int, int] = {}
        old_room: dict[int, int] = {}
        old_start: dict[int, int | None] = {}
        room_change: dict[int, int] = {}
        scheduled = []
        for assignment in previous.assignments:
            e = instance.event_index.get(assignment.event)
            r = instance.room_index.get(assignment.room)
            if e is None:
                continue
            scheduled.append(e)
            factor = weights.factor([tiers.get(p, "standard") for p in instance.events[e].participants],
                                    assignment.confirmed)
            room_change[e] = weights.room_change * factor
            start = instance.grid.slot_of(instance.scenario.localise(assignment.start))
            old_start[e] = start
            if r is not None:
                old_room[e] = r
            items = instance.event_items[e]
            same_time = instance.item_start[items] == (start if start is not None else -1)
            same_pool = instance.item_pool[items] == (room_pool[r] if r is not None else -2)
            cost[items] = np.where(same_time, 0, weights.time_move * factor) + \
                np.where(same_pool, 0, weights.room_change * factor)
            stay = items[same_time & same_pool]
            if stay.size:
                keep[e] = int(stay[0])
        extra = _room_extra(instance, old_room, old_start, keep, room_change, weights.room_change)
        scale = 1 + sum(int(extra[items].max()) for items in instance.event_items if items.size)
        return cls(keep, np.asarray(sorted(scheduled), dtype=np.int64), cost, old_room, old_start, len(scheduled),
                   len(instance.events), extra, scale)

    def broken(self) -> list[int]:
        return [int(e) for e in self.scheduled if int(e) not in self.keep_item]

    @cached_property
    def ranked_cost(self) -> IntArray:
        """Per placement: its disruption, then (as a tie-break) the likely extra room change."""
        return self.item_cost * self.tie_scale + self.room_extra

    def cost_of(self, chosen: IntArray) -> int:
        return int(self.item_cost[chosen[chosen >= 0]].sum())

    def kept(self, chosen: IntArray) -> int:
        """How many previously scheduled events ``chosen`` keeps."""
        return int((chosen[self.scheduled] >= 0).sum())

    def value_of(self, instance: Instance, chosen: IntArray, counted: BoolArray | None = None) -> int:
        """Stage A's value of ``chosen`` (over the ``counted`` events only, if given)."""
        placed = chosen >= 0
        return int(self.event_value(instance)[placed if counted is None else placed & counted].sum())

    def counted(self, named: AbstractSet[int]) -> BoolArray:
        """The previously scheduled events and those the change names: what a repair must try to keep."""
        mask = self.scheduled_mask.copy()
        mask[list(named)] = True
        return mask

    def floor_costs(self, instance: Instance, chosen: IntArray) -> dict[int, int]:
        """Each kept event whose old placement is gone, with the least its cheapest alternative costs."""
        return {e: int(self.item_cost[instance.event_items[e]].min()) for e in self.broken()
                if chosen[e] >= 0 and instance.event_items[e].size}

    def rank_of(self, chosen: IntArray) -> tuple[int, int]:
        return self.cost_of(chosen), int(self.room_extra[chosen[chosen >= 0]].sum())

    @cached_property
    def scheduled_mask(self) -> BoolArray:
        mask = np.zeros(self.n_events, dtype=bool)
        mask[self.scheduled] = True
        return mask

    def event_value(self, instance: Instance) -> IntArray:
        """What keeping each event is worth in stage A: more than all priorities together if it was scheduled
        before (never traded for value), plus its priority if it is optional."""
        value = np.where(instance.required, 0, instance.priority)
        return value + np.where(self.scheduled_mask, int(instance.priority.sum()) + 1, 0)

    def cheapest_move(self, instance: Instance, e: int) -> int | None:
        """The least event ``e`` can cost by moving at all (None if it cannot move)."""
        costs = self.item_cost[instance.event_items[e]]
        moving = costs[costs > 0]
        return int(moving.min()) if moving.size else None

    def cheapest_other_move(self, instance: Instance) -> int:
        """The least any untouched, previously scheduled event can cost by moving at all."""
        broken = set(self.broken())
        moves = (self.cheapest_move(instance, int(e)) for e in self.scheduled if int(e) not in broken)
        return min((m for m in moves if m is not None), default=2**31)

    def lower_bound(self, instance: Instance, chosen: IntArray) -> int:
        """Each kept event whose old placement is gone costs at least its cheapest alternative."""
        return sum(self.floor_costs(instance, chosen).values())


def _room_extra(instance: Instance, old_room: dict[int, int], old_start: dict[int, int | None], keep: dict[int, int],
                room_change: dict[int, int], base_room_change: int) -> IntArray:
    """Per placement in a pool of several rooms, the room changes it likely costs beyond its pooled price,
    judged against the old plan's use of each room: a time move finds the event's old room held by another
    event then (its own room change), or no room of the pool is free all along (someone must switch rooms:
    at least one plain room change)."""
    extra = np.zeros(instance.n_items, dtype=np.int64)
    grid = instance.grid
    n_slots = grid.n_slots
    n_events = len(instance.events)
    # a room is in use from the changeover or sweep before an event to its end
    day_start = grid.day_offset[grid.slot_day[instance.item_start]]
    begin_all = np.maximum(instance.item_start - instance.item_lead, day_start)
    end_all = np.minimum(instance.item_end, n_slots)
    room_of = np.full(n_events, -1, dtype=np.int64)
    start_of = np.full(n_events, -1, dtype=np.int64)
    use_begin = np.zeros(n_events, dtype=np.int64)
    use_end = np.zeros(n_events, dtype=np.int64)
    cost_of = np.zeros(n_events, dtype=np.int64)
    held = np.zeros((len(instance.rooms), n_slots + 1), dtype=np.int64)
    for e, r in old_room.items():
        start = old_start.get(e)
        items = instance.event_items[e]
        if start is None or not items.size:
            continue
        lead = int(instance.item_lead[keep[e]] if e in keep else instance.item_lead[items].max())
        room_of[e], start_of[e], cost_of[e] = r, start, room_change[e]
        use_begin[e] = max(start - lead, int(grid.day_offset[grid.slot_day[start]]))
        use_end[e] = min(start + int(instance.duration[e]), n_slots)
        held[r, use_begin[e]: use_end[e]] += 1
    before = np.concatenate([np.zeros((held.shape[0], 1), dtype=np.int64), np.cumsum(held, axis=1)], axis=1)
    for pool in instance.pools:
        if pool.size < 2:
            continue
        items = np.flatnonzero(instance.item_pool == pool.index)
        begin, end = begin_all[items], end_all[items]
        rooms = np.asarray(list(pool.rooms), dtype=np.int64)
        row_of = np.full(len(instance.rooms), -1, dtype=np.int64)
        row_of[rooms] = np.arange(rooms.size)
        # old uses overlapping each room use, per room, computed once per distinct (begin, end)
        keys, span_of = np.unique(begin * (n_slots + 1) + end, return_inverse=True)
        span_of = span_of.reshape(-1)
        first, last = keys // (n_slots + 1), keys % (n_slots + 1)
        held_span = before[rooms][:, last] - before[rooms][:, first]  # rooms x spans
        busy_rooms = (held_span > 0).sum(axis=0)[span_of]  # per item
        events = instance.item_event[items]
        row = row_of[np.maximum(room_of[events], 0)]
        own = np.flatnonzero((room_of[events] >= 0) & (row >= 0))  # items of events whose old room is here
        overlap = np.maximum(0, np.minimum(end[own], use_end[events[own]]) - np.maximum(begin[own],
                                                                                       use_begin[events[own]]))
        held_own = held_span[row[own], span_of[own]]
        others = held_own - overlap  # an event's own old use of its room does not block it
        busy_rooms[own] += (others > 0).astype(np.int64) - (held_own > 0).astype(np.int64)
        extra[items] = np.where(busy_rooms == rooms.size, base_room_change, 0)
        moved = instance.item_start[items[own]] != start_of[events[own]]
        extra[items[own[moved]]] += np.where(others[moved] > 0, cost_of[events[own[moved]]], 0)
    return extra


def _neighbourhood(instance: Instance, plan: _PreviousPlan, named: set[int], level: str,
                   candidates: AbstractSet[int] = frozenset()) -> set[int]:
    scheduled = {int(e) for e in plan.scheduled}
    if level == "everything":
        return scheduled | named | set(candidates)
    free = set(plan.broken()) | named | set(candidates)
    if level == "partners":
        touched = set(plan.broken()) | named
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


# --------------------------------------------------------------------------------------
# The two stages
# --------------------------------------------------------------------------------------


@dataclass
class _Stage:
    level: str
    chosen: IntArray  # placement per event of the full instance (-1 = none)
    kept: int
    value: int  # stage A's objective
    optimal: bool
    bound: int
    frame: _Model | None = None
    least_moves: _Stage | None = None  # when this search already moved least, proven so: stage B's answer


def _freed_by(instance: Instance, plan: _PreviousPlan, dropped: list[int]) -> set[int]:
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


def _swappers(instance: Instance, plan: _PreviousPlan, touched: set[int]) -> set[int]:
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


def _restrict(instance: Instance, plan: _PreviousPlan, free: set[int],
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


def _solve(model: cp_model.CpModel, time_limit: float, workers: int, seed: int,
           stop: threading.Event | None = None, core: bool = False) -> tuple[Any, cp_model.CpSolver]:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    solver.parameters.cp_model_presolve = False  # measured: repairs start searching at once (cp-sat-notes)
    # Core-based optimisation, for searches that must prove a budget empty or its least cost: measured on
    # Hanoi's budget searches, 1.0 -> 0.7 s at 10k placements and 5.8 -> 1.8 s at 18k.
    solver.parameters.optimize_with_core = core
    done = threading.Event()

    def watch() -> None:
        while stop is not None and not done.wait(0.05):
            if stop.is_set():
                solver.stop_search()
                return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        return solver.solve(model), solver
    finally:
        done.set()
        watcher.join()


def _set_objective(model: cp_model.CpModel, variables: list[int], coefs: list[int], maximize: bool) -> None:
    model.clear_objective()
    objective = model.proto.objective
    objective.vars.extend(variables)
    objective.coeffs.extend([-c for c in coefs] if maximize else coefs)
    objective.scaling_factor = -1.0 if maximize else 1.0


def _chosen(sub: Instance, to_full: IntArray, solver: cp_model.CpSolver, n_events: int) -> IntArray:
    values = np.fromiter(solver.response_proto.solution, dtype=np.int64)[: sub.n_items].astype(bool)
    chosen = np.full(n_events, -1, dtype=np.int64)
    on = np.flatnonzero(values)
    chosen[sub.item_event[on]] = to_full[on]
    return chosen


@dataclass
class _Model:
    """A CP-SAT model over the free events of a neighbourhood (the others fixed in place)."""

    model: cp_model.CpModel
    sub: Instance
    to_full: IntArray  # placement of the sub-instance -> placement of the full instance
    value_vars: list[int]
    value_coefs: list[int]
    rows: Rows


def _build(instance: Instance, plan: _PreviousPlan, free: set[int], named: AbstractSet[int] = frozenset(),
           swappers: AbstractSet[int] = frozenset()) -> _Model:
    """The model of a neighbourhood: the ``free`` events move, the ``swappers`` may change room at their
    time, the others stay where they were. A request left out before (free, but not ``named`` by the change)
    may come in only where it fits around the old places of the events the change leaves alone, even those
    free to move: it never displaces one."""
    sub, to_full = _restrict(instance, plan, free, swappers)
    frame = _frame(instance, plan, sub, to_full)
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


def _frame(instance: Instance, plan: _PreviousPlan, sub: Instance, to_full: IntArray) -> _Model:
    built = build_model(sub, with_objective=False)
    coef = plan.event_value(instance)[sub.item_event]
    used = np.flatnonzero(coef)
    return _Model(built.model, sub, to_full, used.tolist(), coef[used].tolist(), built.rows)


def _least_moves_at_value(frame: _Model, plan: _PreviousPlan, value: int) -> tuple[IntArray, IntArray]:
    """Keep at least ``value`` (stage A's) and minimise the weighted disruption; returns the cost terms."""
    add_linear(frame.model, np.asarray(frame.value_vars, dtype=np.int64), np.asarray(frame.value_coefs, dtype=np.int64),
               value, int(sum(frame.value_coefs)))
    ranked = plan.ranked_cost[frame.to_full]
    used = np.flatnonzero(ranked)
    _set_objective(frame.model, used.tolist(), ranked[used].tolist(), maximize=False)
    cost = plan.item_cost[frame.to_full]
    priced = np.flatnonzero(cost)
    return priced, cost[priced]


def _hint(frame: _Model, chosen_items: IntArray) -> None:
    hint = np.isin(frame.to_full, chosen_items).astype(np.int64)
    frame.model.clear_hints()
    frame.model.proto.solution_hint.vars.extend(range(frame.sub.n_items))
    frame.model.proto.solution_hint.values.extend(hint.tolist())


def _keep_most(instance: Instance, plan: _PreviousPlan, free: set[int], level: str, time_limit: float,
               workers: int, seed: int, stop: threading.Event | None = None, start: IntArray | None = None,
               keep_all: list[int] | None = None, more_to_gain: bool = True,
               named: AbstractSet[int] = frozenset()) -> tuple[_Stage | None, bool]:
    """Stage A: keep every previously scheduled event that can be kept, then the most value.
    Without a solution, says whether the neighbourhood is proven infeasible (else time ran out).

    ``start`` (a complete repair from a narrower neighbourhood) is the hint. With ``keep_all``, the search
    first looks for the least disruptive repair that keeps all these events: far quicker than maximising
    the value, and, when nothing else is ``more_to_gain`` (no left-out request is in the neighbourhood),
    already the most value."""
    frame = _build(instance, plan, free, named)
    deadline = time.monotonic() + time_limit
    hint = start[start >= 0] if start is not None else np.asarray(list(plan.keep_item.values()), dtype=np.int64)
    _hint(frame, hint)
    if keep_all:
        trial = cp_model.CpModel()
        trial.proto.copy_from(frame.model.proto)
        for e in keep_all:
            items = frame.sub.event_items[e]
            if items.size:
                add_linear(trial, items, np.ones(items.size, dtype=np.int64), 1, 1)
        cost = plan.ranked_cost[frame.to_full]  # moving least already: a bare feasible answer can move everything
        used = np.flatnonzero(cost)
        _set_objective(trial, used.tolist(), cost[used].tolist(), maximize=False)
        status, solver = _solve(trial, time_limit * (1.0 if not more_to_gain else 0.5), workers, seed, stop)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            chosen = _chosen(frame.sub, frame.to_full, solver, len(instance.events))
            kept, value = plan.kept(chosen), plan.value_of(instance, chosen)
            if not more_to_gain:
                stage = _Stage(level, chosen, kept, value, True, value, frame)
                if status == cp_model.OPTIMAL:  # the least disruption for the most value: stage B is done too
                    stage.least_moves = _Stage(level, chosen, kept, value, True,
                                               int(math.floor(solver.best_objective_bound / plan.tie_scale + 1e-9)))
                return stage, False
            _hint(frame, chosen[chosen >= 0])
    # The most value first; among repairs of equal value, the least disruption (should stage B get no time).
    cost = plan.item_cost[frame.to_full]
    scale = 1 + int(sum(int(cost[items].max()) for items in frame.sub.event_items if items.size))
    item_value = np.zeros(frame.sub.n_items, dtype=np.int64)
    item_value[frame.value_vars] = frame.value_coefs
    combined = item_value * scale - cost
    used = np.flatnonzero(combined)
    _set_objective(frame.model, used.tolist(), combined[used].tolist(), maximize=True)
    status, solver = _solve(frame.model, max(0.05, deadline - time.monotonic()), workers, seed, stop)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, status in (cp_model.INFEASIBLE, cp_model.MODEL_INVALID)
    chosen = _chosen(frame.sub, frame.to_full, solver, len(instance.events))
    kept = plan.kept(chosen)
    on = np.flatnonzero(np.fromiter(solver.response_proto.solution, dtype=np.int64)[: frame.sub.n_items])
    return _Stage(level, chosen, kept, int(item_value[on].sum()), status == cp_model.OPTIMAL,
                  int(math.ceil(solver.best_objective_bound / scale)), frame), False


def _value_ceiling(instance: Instance, plan: _PreviousPlan, named: set[int], missing: list[int], time_limit: float,
                   available: float, workers: int, seed: int) -> int | None:
    """An upper bound on stage A's value over the previously scheduled and the named events
    (``plan.value_of(..., plan.counted(named))``), over the whole summit. The events of the people of the ``missing``
    events (closed under 'after') are solved alone: every other event is relaxed away (it could not clash with
    them) and counts at its full value. None if those people's events are most of the summit, cannot be built in
    the ``available`` seconds, or no bound came."""
    people = {p for e in missing for p in instance.events[e].participants}
    theirs = {e for e, event in enumerate(instance.events) if people & set(event.participants)}
    group = instance.with_predecessors(theirs)
    if len(group) > len(instance.events) // 2 or _model_seconds(instance, group) + time_limit > available:
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
    _set_objective(built.model, used.tolist(), coef[used].tolist(), maximize=True)
    status, solver = _solve(built.model, time_limit, workers, seed)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE, cp_model.INFEASIBLE):
        return None
    if status == cp_model.INFEASIBLE:  # the required events among them clash: nothing is kept at all
        return outside
    return outside + int(math.floor(solver.best_objective_bound + 1e-6))


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


@dataclass
class _Budget:
    """What a repair cheaper than a given disruption may spend: every displaced event costs at least its
    cheapest alternative (``floor_cost``), which leaves ``spare`` for everything else."""

    floor_cost: dict[int, int]
    spare: int
    allowed_cost: IntArray  # per event, the most one of its placements may cost (-1: none of them)
    allowed: BoolArray  # the placements within the budget
    newcomers: AbstractSet[int]

    def within_reach(self, instance: Instance, plan: _PreviousPlan) -> BoolArray:
        """The placements within the budget whose event a chain of moves from the change can reach
        (:func:`_movable_events`): no cheapest repair uses the others."""
        # a displaced event left out of the repair would come back at its full cost: it starts chains too
        sources = {e: 0 for e in plan.broken()} | self.floor_cost | {e: 0 for e in self.newcomers}
        spent = _movable_events(instance, plan, self.allowed, sources, self.spare)
        allowed_cost = self.allowed_cost.copy()
        for e in np.flatnonzero(plan.scheduled_mask).tolist():
            if e not in sources:
                allowed_cost[e] = self.spare - spent[e] if e in spent else 0  # 0: its old placement only
        return plan.item_cost <= allowed_cost[instance.item_event]


def _budget(instance: Instance, plan: _PreviousPlan, chosen: IntArray, disruption: int,
            newcomers: AbstractSet[int]) -> _Budget | None:
    """The budget of a repair cheaper than ``disruption`` (keeping the events ``chosen`` keeps, and letting the
    ``newcomers`` in anywhere). None when even the displaced events' cheapest alternatives overrun it."""
    floor_cost = plan.floor_costs(instance, chosen)
    spare = disruption - 1 - sum(floor_cost.values())
    if spare < 0:
        return None
    scheduled = plan.scheduled_mask
    allowed_cost = np.full(len(instance.events), -1, dtype=np.int64)
    allowed_cost[scheduled] = spare
    for e, least in floor_cost.items():
        allowed_cost[e] = spare + least
    newcomer = [e for e in newcomers if not scheduled[e]]
    if newcomer:
        allowed_cost[newcomer] = 2**40
    return _Budget(floor_cost, spare, allowed_cost, plan.item_cost <= allowed_cost[instance.item_event], newcomers)


def _spans(bounds: IntArray, keys: IntArray) -> tuple[IntArray, IntArray]:
    """The positions ``bounds[k]:bounds[k + 1]`` of every ``k`` in ``keys``, and which of ``keys`` each came from."""
    lengths = bounds[keys + 1] - bounds[keys]
    owner = np.repeat(np.arange(keys.size), lengths)
    return np.repeat(bounds[keys], lengths) + np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths,
                                                                                       lengths), owner


def _movable_events(instance: Instance, plan: _PreviousPlan, allowed: BoolArray, sources: dict[int, int],
                    spare: int) -> dict[int, int]:
    """The events a repair within ``spare`` may move, each with the least disruption spent before it moves.

    A cheapest repair moves an untouched event only if an event that moves (or comes in) takes a row its old
    placement is in: otherwise putting it back costs less and breaks no rule (every such row only loses load,
    and the old placements held together under the old plan). Following that back, each moved event ends a
    chain that starts at a displaced, named or incoming event (``sources``, each with the cost already counted
    for it), and every move of the chain counts in the repair's cost. So an event can move only if the
    cheapest chain to it plus its own cheapest move fits in ``spare``. Only the ``allowed`` placements (those
    within the budget) are looked at; an 'after' partner of a moving event is reached at once (its row holds
    both events' placements)."""
    to_full = np.flatnonzero(allowed)
    sub = instance.restricted(allowed)
    rows = all_rows(sub)
    # Time budgets restate the per-slot rules in aggregate: they would tie every event of a person or a pool
    # together without adding a rule.
    aggregate = np.asarray([family == "time_budget" for family in rows.family], dtype=bool)
    index = RowIndex.of(rows, sub.n_items)
    kept_full = np.asarray(sorted(plan.keep_item.values()), dtype=np.int64)
    at = np.minimum(np.searchsorted(to_full, kept_full), max(to_full.size - 1, 0))
    kept = at[to_full[at] == kept_full] if to_full.size else at[:0]
    entries, owner = _spans(index.item_bounds, kept)
    holder_row = index.entry_row[entries]
    order = np.argsort(holder_row, kind="stable")
    holder_event = sub.item_event[kept][owner][order]  # per row, the events whose old placement is in it
    holder_bounds = np.searchsorted(holder_row[order], np.arange(len(rows) + 1))
    spent = dict.fromkeys(sources, 0)
    # rows the old plan overflows under the new rules (e.g. a cut resource) start chains at each of their events
    for r in np.flatnonzero(index.load_of(kept) > index.upper).tolist():
        for e in holder_event[holder_bounds[r]: holder_bounds[r + 1]].tolist():
            spent.setdefault(e, 0)
    partners: dict[int, set[int]] = {}
    for e, before in enumerate(instance.predecessors):
        for b in before:
            partners.setdefault(e, set()).add(b)
            partners.setdefault(b, set()).add(e)
    queue = [(0, e) for e in spent]
    heapq.heapify(queue)
    done: set[int] = set()
    cheapest: dict[int, int | None] = {}
    while queue:
        before_it, v = heapq.heappop(queue)
        if v in done:
            continue
        done.add(v)
        items = sub.event_items[v]
        extra = plan.item_cost[to_full[items]] - sources.get(v, 0) + before_it
        moving = (to_full[items] != plan.keep_item.get(v, -1)) & (extra <= spare)
        if not moving.any():
            continue
        reach = dict.fromkeys(partners.get(v, ()), before_it if v in sources else int(extra[moving].min()))
        entries, owner = _spans(index.item_bounds, items[moving])
        row, cost = index.entry_row[entries], extra[moving][owner]
        row, cost = row[~aggregate[row]], cost[~aggregate[row]]
        order = np.lexsort((cost, row))
        row, cost = row[order], cost[order]
        first = np.ones(row.size, dtype=bool)
        first[1:] = row[1:] != row[:-1]  # the cheapest way into each row
        row, cost = row[first], cost[first]
        entries, owner = _spans(holder_bounds, row)
        for u, c in zip(holder_event[entries].tolist(), cost[owner].tolist(), strict=True):
            if c < reach.get(u, spare + 1):
                reach[u] = c
        for u, c in reach.items():
            if u in done or c >= spent.get(u, spare + 1):
                continue
            if u not in cheapest:
                cheapest[u] = plan.cheapest_move(instance, u)
            move = cheapest[u]
            if move is None or c + move > spare:
                continue
            spent[u] = c
            heapq.heappush(queue, (c, u))
    return spent


class _BudgetLadder:
    """Proves (or improves) a repair by climbing from its lower bound: is there a repair of the same value that
    costs at most ``step``? Small steps allow few moves, so their searches are small and quick; each one
    proven empty raises the lower bound past it, and the first one that holds a repair gives the least
    disruption (when its search is exhaustive). The last step (one below the repair's cost) is the plain
    budget search."""

    def __init__(self, instance: Instance, plan: _PreviousPlan, chosen: IntArray, lower: int, value: int,
                 newcomers: AbstractSet[int], counted: BoolArray | None) -> None:
        self.instance, self.plan = instance, plan
        self.chosen, self.disruption, self.lower = chosen, plan.cost_of(chosen), lower
        # With ``counted``, the searches look at those events only (the ones a repair must keep; the others then
        # have no placement in a budget): when every one of them is kept, left-out requests coming in only add
        # value, so leaving them out loosens the search and its bound still holds. Its repairs are taken only if
        # the repair in hand brought no request in either.
        self.newcomers = newcomers if counted is None else {e for e in newcomers if counted[e]}
        self.value = value if counted is None else plan.value_of(instance, chosen, counted)
        self.adoptable = counted is None or not (chosen >= 0)[~counted].any()
        self.floor = sum(plan.floor_costs(instance, chosen).values())
        untouched = plan.scheduled_mask.copy()
        untouched[plan.broken()] = False
        costs = np.unique(plan.item_cost[untouched[instance.item_event]])
        self.move_costs = costs[costs > 0]  # the budgets at which another kind of move becomes affordable
        self.widen = 2
        self.tried = False
        self.step_seconds = 0.0  # how long the last step took

    @property
    def proven(self) -> bool:
        return self.lower >= self.disruption

    def improve(self, chosen: IntArray) -> None:
        if self.plan.rank_of(chosen) < self.plan.rank_of(self.chosen):
            self.chosen, self.disruption = chosen, self.plan.cost_of(chosen)

    def next_step(self) -> int:
        """The next budget to try: up to the next kind of move, and not far above the lower bound."""
        above = self.move_costs[self.move_costs > self.lower - self.floor]
        step = self.floor + int(above[0]) - 1 if above.size else self.disruption - 1
        return max(self.lower, min(step, self.lower + self.widen, self.disruption - 1))

    def climb(self, seconds: float, proof_seconds: float, workers: int, seed: int, stop: threading.Event | None,
              last: bool = True) -> None:
        """Climb for ``seconds``. Unless it is the ``last`` climb, a step is not started when it would likely not
        finish (each step has taken about twice the time of the one before): a later climb takes it whole."""
        deadline = time.monotonic() + seconds
        while not self.proven and (stop is None or not stop.is_set()):
            step = self.next_step()
            budget = _budget(self.instance, self.plan, self.chosen, step + 1, self.newcomers)
            if budget is None:  # not even the displaced events' cheapest moves fit
                self.lower = step + 1
                continue
            if deadline - time.monotonic() < 0.1 + 2 * budget.allowed.sum() / _PLACEMENTS_PER_SECOND:
                return
            if not last and deadline - time.monotonic() < 2 * self.step_seconds:
                return
            started = time.monotonic()
            keep = budget.within_reach(self.instance, self.plan)
            self.tried = True
            answer, minimal = _cheaper_repair(self.instance, self.plan, keep, step + 1, self.value,
                                              min(time.monotonic() + proof_seconds, deadline), workers, seed, stop)
            log.debug("budget %d (repair %d, floor %d): %d of %d placements, %s%s", step, self.disruption, self.floor,
                      keep.sum(), budget.allowed.sum(), "none" if answer is None else self.plan.cost_of(answer),
                      " (exhaustive)" if minimal else "")
            self.step_seconds = time.monotonic() - started
            if answer is not None:
                if self.adoptable:
                    self.improve(answer)
                if minimal:  # the least any repair can cost
                    self.lower = max(self.lower, self.plan.cost_of(answer))
                if minimal or not self.adoptable:
                    return  # (a relaxed search's repair only bounds: searching on would find it again)
            elif minimal:
                self.lower = step + 1
                self.widen *= 2
            else:
                return  # out of time on this step


def _cheaper_repair(instance: Instance, plan: _PreviousPlan, keep: BoolArray, disruption: int, value: int,
                    deadline: float, workers: int, seed: int,
                    stop: threading.Event | None) -> tuple[IntArray | None, bool]:
    """Search the whole summit, on the ``keep`` placements only, for a repair of the same value that costs
    less than ``disruption``, until ``deadline`` (``time.monotonic()``). Returns the cheaper repair if one is
    found (else None) and whether the result is proven minimal (none cheaper exists)."""
    sub = instance.restricted(keep)
    frame = _frame(instance, plan, sub, np.flatnonzero(keep))
    used, cost = _least_moves_at_value(frame, plan, value)
    add_linear(frame.model, used, cost, 0, disruption - 1)
    status, solver = _solve(frame.model, max(0.01, deadline - time.monotonic()), workers, seed, stop, core=True)
    if status == cp_model.INFEASIBLE:
        return None, True
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return _chosen(frame.sub, frame.to_full, solver, len(instance.events)), status == cp_model.OPTIMAL
    return None, False


def _greedy_repair(instance: Instance, plan: _PreviousPlan, named: set[int]) -> _Stage | None:
    """When the searches ran out of time without a repair: keep every untouched event where it was and
    place the others greedily. None if a required event finds no place (the explanation then says why)."""
    fixed = {e: item for e, item in plan.keep_item.items() if e not in named}
    chosen = greedy_placements(instance, all_rows(instance), fixed)
    if any(instance.required[e] and chosen[e] < 0 for e in range(len(instance.events))):
        return None
    return _Stage("greedy", chosen, plan.kept(chosen), plan.value_of(instance, chosen), False, 0)


def _move_least(instance: Instance, plan: _PreviousPlan, stage: _Stage, time_limit: float, workers: int,
                seed: int, frame: _Model | None = None, stop: threading.Event | None = None) -> _Stage:
    """Stage B: keep stage A's value, move as little (weighted) as possible. Runs on stage A's
    neighbourhood, or on ``frame`` (e.g. the whole summit, to prove the minimum)."""
    frame = frame or stage.frame
    assert frame is not None
    _least_moves_at_value(frame, plan, stage.value)
    _hint(frame, stage.chosen[stage.chosen >= 0])
    status, solver = _solve(frame.model, time_limit, workers, seed, stop)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        # Out of time: the incoming timetable stands.
        return _Stage(stage.level, stage.chosen, stage.kept, stage.value, False, 0)
    chosen = _chosen(frame.sub, frame.to_full, solver, len(instance.events))
    return _Stage(stage.level, chosen, stage.kept, stage.value, status == cp_model.OPTIMAL,
                  int(math.floor(solver.best_objective_bound / plan.tie_scale + 1e-9)))
