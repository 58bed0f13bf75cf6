"""``resolve``: re-planning after last-minute changes, step by step (see :mod:`solver.replan`)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from solver.changes import (
    AnyChange,
    apply_changes,
    parse_changes,
)
from solver.compile import compile_scenario
from solver.diff import TimetableDiff, diff_timetables
from solver.explain import conflicting_required_events, explain_conflict
from solver.model.constraints import all_rows
from solver.model.rows import IntArray
from solver.replan.change import (
    _cut_users,
    _freeze,
    _named_events,
    _opens_capacity,
    _over_capacity,
    _resource_cut_bound,
    from_now,
)
from solver.replan.displace import displacing_repair
from solver.replan.plan import DisruptionWeights, _placements_of, _PreviousPlan, measure_disruption
from solver.replan.proof import _BudgetLadder, _concrete_repair, _disruption_lp
from solver.replan.relaxation import _grown_relaxation, _Relaxation, _RelaxationBeside
from solver.replan.search import (
    _PLACEMENTS_PER_SECOND,
    _build,
    _freed_by,
    _greedy_repair,
    _keep_most,
    _model_seconds,
    _move_least,
    _neighbourhood,
    _Stage,
    _swappers,
    _value_ceiling,
)
from solver.replan.verdict import explain_with_changes
from solver.scenario import Scenario
from solver.solve import LP_MAX_PLACEMENTS, timetable_from_placements
from solver.timetable import Assignment, Diagnostic, ScenarioRef, Status, Timetable
from solver.validate import validate_timetable


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


def _without_repair(changed: Scenario, previous: Timetable, ref: ScenarioRef, status: Status,
                    diagnostics: list[Diagnostic], frozen: list[str], started: float, phases: _Phases) -> ReplanResult:
    """The answer when no repair is given: the standing timetable stays in force. Its events that the change breaks
    where they stand are named (the independent validator's words), and only their people are told; nothing
    untouched is cancelled. ``unknown`` (no repair found in time) carries the standing assignments; ``infeasible``
    (proven) carries none, as the contract says, and its diagnostics say why."""
    present = {e.id for e in changed.events}
    kept = [a for a in previous.assignments if a.event in present]
    standing = Timetable(scenario=ref, status="feasible", objective=previous.objective, assignments=kept,
                         unscheduled=[u for u in previous.unscheduled if u.event in present])
    violations = validate_timetable(changed, standing)
    broken = sorted({e for v in violations for e in v.events})
    notes = [Diagnostic(code="broken_by_change", message=str(v), events=list(v.events),
                        participants=list(v.participants), rooms=list(v.rooms)) for v in violations]
    seconds = round(time.monotonic() - started, 3)
    table = standing.model_copy(update={"status": status, "diagnostics": diagnostics + notes, "solve_seconds": seconds,
                                        "bound": None})
    if status == "infeasible":
        table = table.model_copy(update={"assignments": [], "unscheduled": [], "objective": 0})
    diff = diff_timetables(changed, previous, standing, broken=broken)
    return ReplanResult(table, changed, diff, 0, 0, False, "none", frozen, seconds, phases.seconds)


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
    as_written: list[AnyChange] = list(parsed)  # type: ignore[arg-type]
    changed = apply_changes(scenario, as_written)  # (reports a bad change at its place in the list as written)
    applying = from_now(scenario, as_written, now)
    change_list = [applied for _, applied in applying]
    if change_list != as_written:
        changed = apply_changes(scenario, change_list)
    working, frozen = _freeze(changed, previous, now, freeze_minutes)
    instance = compile_scenario(working)
    ref = ScenarioRef(name=changed.name, fingerprint=changed.fingerprint())
    # the searches stop before the limit: building the timetable and its reasons takes time too, more on a
    # larger summit
    search_end = started + time_limit - min(0.4 * time_limit, 0.6 + instance.n_items / _PLACEMENTS_PER_SECOND)

    def left() -> float:
        """Seconds left for searching: none once the caller's stop is set."""
        return 0.0 if stop is not None and stop.is_set() else search_end - time.monotonic()

    phases.mark("prepare")
    plan = _PreviousPlan.of(instance, previous, weights)
    over_capacity = _over_capacity(changed, previous, change_list)
    touched = _named_events(change_list) | over_capacity
    named = {instance.event_index[e] for e in touched if e in instance.event_index}
    hit = set(plan.broken()) | named  # the events the change displaced or names: where the searches start
    phases.mark("previous_plan")

    def in_words(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
        """Each conflict with the changes that cause it and the levers that would resolve it (see verdict.py)."""
        def working_of(applied: list[AnyChange]) -> Scenario:
            return _freeze(apply_changes(scenario, applied), previous, now, freeze_minutes)[0]

        seconds = max(0.5, time_limit - (time.monotonic() - started)) / max(1, len(diagnostics))
        return [explain_with_changes(scenario, applying, working_of, d, seconds) if d.events else d
                for d in diagnostics]

    impossible = [c for c in instance.prechecks if instance.required[c.event]]
    if impossible:
        diagnostics = [Diagnostic(code=c.code, message=c.message, events=[instance.events[c.event].id],
                                  participants=list(c.participants)) for c in impossible]
        return _without_repair(changed, previous, ref, "infeasible", in_words(diagnostics), frozen, started, phases)

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
    relaxation: _Relaxation | None = None  # the relaxation around the change's events, once tried
    relaxed = False
    # After a resource cut, the relaxation is nearly always needed (no placement broke: the first repair search,
    # around the events running when the resource is over its new capacity, is rarely the least disruptive). It
    # starts now, on a worker of its own, and goes on beside the repair searches, which use the others, until
    # its bound proves the repair in hand or the time is up (see _RelaxationBeside). (After other changes the
    # first search often settles it: there, the relaxation running beside only slowed it, by up to 0.7 s on a
    # 4,000-request summit.)
    beside = (_RelaxationBeside(instance, plan, wanted_mask, hit, search_end, seed, stop)
              if workers >= 2 and over_capacity else None)

    def searching() -> int:
        """The workers of the repair searches: all but the relaxation's while it runs beside them."""
        return workers - 1 if beside is not None and beside.running else workers

    def interrupted() -> threading.Event | None:
        """What stops a search: the caller's signal, or, while the relaxation runs beside it, the relaxation
        stopping (its bound then proves the repair in hand, or its answer is the least disruptive repair, or the
        time is up: the search would only delay its word)."""
        return beside.settled if beside is not None and beside.running else stop

    def relax(seconds: float, target: int | None = None) -> _Relaxation | None:
        """The relaxation around the change's events, given ``seconds`` more (see _grown_relaxation); when it
        runs beside the searches, what it found so far (it goes on)."""
        if beside is not None:
            return beside.so_far(seconds, target)
        return _grown_relaxation(instance, plan, wanted_mask, hit, time.monotonic() + seconds, workers, seed,
                                 stop, target=target)
    def _settled_by(found: _Relaxation | None) -> _Stage | None:
        """The relaxation's repair when it is proven the least disruptive (no event had to step aside)."""
        if found is None or found.chosen is None or plan.cost_of(found.chosen) > found.bound:
            return None
        settled = _Stage("conflicts", found.chosen, plan.kept(found.chosen), plan.value_of(instance, found.chosen),
                         True, found.bound)
        settled.least_moves = settled
        return settled

    def make_way() -> _Stage | None:
        """A repair that moves the displaced events where what they meet is cheapest to move, and moves that.
        The displacing start (:func:`displacing_repair`) is searched from: around what it moved, when it is a
        whole repair; else over the whole summit. Beside it (with two workers), the relaxation grows from the
        displaced events: it bounds the least disruption, and its own repair is taken when it proves it."""
        nonlocal beside
        start, whole = displacing_repair(instance, plan, all_rows(instance), hit, set(wanted))
        phases.mark("displacing_repair")
        if beside is None and workers >= 2:
            beside = _RelaxationBeside(instance, plan, wanted_mask, hit, search_end, seed, stop)
        moved = {e for e in wanted if start[e] != plan.keep_item.get(e, -1)}
        free, level = (moved | named, "conflicts") if whole else (_neighbourhood(instance, plan, named, "everything",
                                                                                candidates), "everything")
        stage, _ = _keep_most(instance, plan, free, level, left() * (0.4 if whole else 0.8), searching(), seed,
                              interrupted(), start=start, keep_all=wanted, more_to_gain=False, named=named)
        phases.mark(f"keep_most_{level}")
        settled = _settled_by(beside.so_far(0.0)) if beside is not None else None
        if settled is not None:  # the relaxation beside proved its own repair the least disruptive
            return settled
        if stage is None and whole:
            stage = _Stage("conflicts", start, plan.kept(start), plan.value_of(instance, start), False, 0)
        return stage

    levels = ["change", "partners", "everything"]
    while levels:
        level = levels[0]
        free = _neighbourhood(instance, plan, named, level, candidates)
        remaining = left()
        if stop is not None and stop.is_set():
            timed_out = True
            break  # stopped: the repair in hand (if any) stands
        if remaining <= 0.05 + _model_seconds(instance, free) and best is not None:
            break  # no time to build and search a wider neighbourhood: the repair found stands
        stage_a, proven_infeasible = _keep_most(instance, plan, free, level, max(0.05, remaining * 0.5), searching(),
                                                seed, stop, start=best.chosen if best is not None else None,
                                                keep_all=None if level == "change" else wanted,
                                                more_to_gain=bool(candidates), named=named)
        phases.mark(f"keep_most_{level}")
        if stage_a is None and proven_infeasible and level == "change" and left() > 0.3:
            # A displaced event fits nowhere with every other event in place (the signing, when a signer lands
            # late): it must move, and what it then meets must give way (see _make_way).
            stage_a = make_way()
        if stage_a is None:
            levels.pop(0)
            timed_out = timed_out or not proven_infeasible
            if proven_infeasible and level != "everything":
                # If the required events clash on their own, no wider neighbourhood can help: say why at once.
                # After the first level, only among the touched people's events (quick); after the second,
                # on the whole summit.
                conflict = conflicting_required_events(instance, max(0.5, left()), focus=hit,
                                                       workers=searching(), focus_only=level == "change")
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
            # Untouched events must move too: rather than free every partner, free the change's events and let the
            # others step aside at a price (_grown_relaxation). Its answer, when none does, is the least
            # disruptive repair; else its bound stays (and the wider searches go on).
            relaxed = True
            relaxation = relax(left() * 0.6)
            phases.mark("relaxation")
            settled = _settled_by(relaxation)
            if settled is not None:
                best = settled
                break
            if relaxation is not None and relaxation.answer is not None \
                    and left() > 0.3 + _model_seconds(instance, relaxation.group):
                # Not proven: search the events the relaxation found in the way, from its answer (closer to a
                # repair than the partners' neighbourhood's start).
                around, _ = _keep_most(instance, plan, relaxation.group | named, "conflicts", left() * 0.5,
                                       searching(), seed, stop, start=relaxation.answer, keep_all=wanted,
                                       more_to_gain=False, named=named)
                phases.mark("keep_most_conflicts")
                if around is not None and all(around.chosen[e] >= 0 for e in wanted):
                    best = around
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
            ceiling = _value_ceiling(instance, plan, named, missing, min(0.25, left() * 0.2), left(), searching(),
                                     seed)
            phases.mark("value_ceiling")
            if ceiling is not None and plan.value_of(instance, stage_a.chosen, plan.counted(named)) >= ceiling:
                best = stage_a
                break
    if best is None and beside is not None:
        beside.cancel()
    if best is None and conflict is None and timed_out:
        # Not settled in time (or only narrower neighbourhoods proved empty): keep every untouched event and
        # place the others greedily, a repair that moves only what the change broke.
        best = _greedy_repair(instance, plan, named)
        phases.mark("greedy_repair")
    if best is None:
        # "Infeasible" only with a proof: a set of required events that cannot all happen. The whole summit
        # proven empty (every level found no repair, none for lack of time) is such a proof too, if its
        # conflicting set can be found in the time left.
        explain_seconds = max(0.5, time_limit - (time.monotonic() - started))
        if conflict is None and not timed_out:
            conflict = conflicting_required_events(instance, explain_seconds, focus=hit, workers=workers)
        if conflict is None:
            return _without_repair(changed, previous, ref, "unknown", [Diagnostic(
                code="no_repair_in_time",
                message=f"no repair was found within {time_limit:g} s: the standing timetable stays in force; the "
                        f"events below cannot take place where they stand. Re-plan with more time.")],
                frozen, started, phases)
        diagnostics = explain_conflict(instance, conflict, max(0.5, time_limit - (time.monotonic() - started)))
        phases.mark("explain")
        return _without_repair(changed, previous, ref, "infeasible", in_words(diagnostics), frozen, started, phases)

    remaining = max(0.05, left())
    stage_b = best.least_moves or (best if best.frame is None else _move_least(instance, plan, best, remaining * 0.5,
                                                                               searching(), seed, stop=stop))
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
            and left() > 0.3 + _model_seconds(instance, hit)):
        # Bound (or find) the least disruption: the change's events free, the others in place or stepping aside at
        # a price (see _grown_relaxation).
        relaxed = True
        relaxation = relax(left() * 0.6, target=disruption)
        phases.mark("relaxation")

    def take(found: _Relaxation | None) -> None:
        """The relaxation's bound, and its repair when it is better than the one in hand."""
        nonlocal lower, chosen, disruption
        if found is None or not keeps_wanted:
            return
        lower = max(lower, found.bound)
        if (found.chosen is not None and plan.value_of(instance, found.chosen) == best.value
                and plan.rank_of(found.chosen) < plan.rank_of(chosen)):
            chosen, disruption = found.chosen, plan.cost_of(found.chosen)
            repairs.append(chosen)

    take(relaxation)
    if beside is not None and (not keeps_wanted or disruption <= lower or not relaxed):
        beside.cancel()  # (not needed: the repair in hand is proven, or the relaxation cannot bound it)
    # Prove the repair minimal, or find a cheaper one, by climbing from the lower bound (see _BudgetLadder):
    # first with part of the time, then, after a search around the change, with the rest (after a relaxation,
    # the search around its group comes first and the ladder has the rest).
    newcomers = candidates | named
    # When the repair keeps every previously scheduled event and the change adds none, requests left out before
    # only add value: the searches that bound the disruption may leave them out (looser, so their bounds hold).
    must_keep = (plan.counted(named) if best.kept == plan.alive
                 and (plan.scheduled_mask[list(named)].all() or not candidates - named) else None)
    ladder = None
    if disruption > lower and best.level != "everything" and best.frame is not None and left() > 0:
        ladder = _BudgetLadder(instance, plan, chosen, lower, best.value, newcomers, must_keep)
    # A cheaper repair often moves an event beside the change: it gives up its room to a displaced one and takes
    # another at its time, or (after a resource cut) another user of the resource moves. After a relaxation, the
    # events its answer ran into say where: the search around them starts from that answer.
    around_free: set[int] = set()
    around_hint = None
    if disruption > lower and best.level in ("change", "conflicts", "partners") and best.frame is not None:
        if relaxation is not None and relaxation.answer is not None and keeps_wanted:
            around_free, around_hint = relaxation.group, relaxation.answer
        else:
            around_free = (_neighbourhood(instance, plan, named, "partners", candidates)
                           | _cut_users(instance, change_list))
    if ladder is not None and around_hint is None:
        ladder.climb(left() * 0.5, proof_seconds, searching(), seed, interrupted(), last=False)
        chosen, disruption, lower = ladder.chosen, ladder.disruption, ladder.lower
        repairs.append(chosen)
        phases.mark("budget_ladder")
    if disruption > lower and around_free and left() > 0.3 + _model_seconds(instance, around_free):
        swappers = _swappers(instance, plan, hit)
        around = _move_least(instance, plan, stage_b, left() * 0.5, searching(), seed, stop=interrupted(),
                             frame=_build(instance, plan, around_free, named, swappers), hint=around_hint)
        repairs.append(around.chosen)
        if plan.rank_of(around.chosen) < plan.rank_of(chosen):
            chosen, disruption = around.chosen, plan.cost_of(around.chosen)
        phases.mark("move_least_around")
    if beside is not None:
        if disruption > lower:
            # The relaxation's last word: after a resource cut it is what proves the repair (on Hanoi, one needing
            # 8 s) and often finds a cheaper one; it stops by the searches' end. The steps after it rarely settle
            # what it leaves.
            relaxation = beside.result(left(), target=disruption) or relaxation
            take(relaxation)
            phases.mark("relaxation")
        beside.cancel()
    if ladder is not None and disruption > lower:
        ladder.lower = max(ladder.lower, lower)
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
        """The timetable of ``chosen`` (each event's room from ``rooms`` when free), and its disruption."""
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

    def timetable_with_rooms(assignments: list[Assignment]) -> tuple[Timetable, int]:
        """The timetable of a repair found with its rooms (keeping them), and its disruption."""
        return timetable_of(_placements_of(instance, assignments),
                            {instance.event_index[a.event]: instance.room_index[a.room] for a in assignments})

    table, measured = timetable_of(chosen, plan.old_room)
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
    if (not proven and relaxation is not None and keeps_wanted and best.level != "everything"
            and left() > 0.3 + _model_seconds(instance, relaxation.group)):
        # The pooled searches cannot see an event lose its own room within its pool: solve the relaxation's group
        # again with that priced (nearly all the time left: on Hanoi's capacity cuts it needs 0.7-0.8 s, and the
        # concrete-room proof below rarely settles what it leaves).
        own = _grown_relaxation(instance, plan, wanted_mask, relaxation.group, time.monotonic() + left() * 0.95,
                                workers, seed, stop, target=disruption, own_rooms=True)
        if own is not None:
            if own.chosen is not None:
                trial, cost = timetable_of(own.chosen, own.rooms or {})
                if cost < disruption:
                    table, disruption = trial, cost
            bound = max(bound, own.bound)
            proven = disruption <= bound
        phases.mark("own_rooms")
    if not proven and best.level != "everything" and left() > 0.2 + instance.n_items / _PLACEMENTS_PER_SECOND:
        # Prove (or improve) the repair with every room apart: a search restricted to the concrete placements
        # that fit in the budget the displaced events leave.
        cheaper, cheaper_cost, minimal = _concrete_repair(working, previous, weights, table, disruption, newcomers,
                                                          None if must_keep is None else
                                                          {instance.events[e].id for e in np.flatnonzero(must_keep)},
                                                          left(), workers, seed, stop)
        taken = cheaper is None
        if cheaper is not None:
            trial, cost = timetable_with_rooms(cheaper)
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
