"""The re-plan's answer: the repair as the planner will see it (rooms assigned within pools, the cheapest of the
repairs met once rooms are priced, then proven with each event's own room priced or every room apart), or, with no
repair, the standing timetable and why (:func:`without_repair`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from solver.diff import TimetableDiff, diff_timetables
from solver.explain import conflicting_required_events, explain_conflict
from solver.extract import timetable_from_placements
from solver.model.rows import IntArray
from solver.model.submodel import RowMatrix
from solver.replan.context import Context
from solver.replan.ledger import Ledger
from solver.replan.plan import measure_disruption, placements_of
from solver.replan.proof import concrete_repair
from solver.replan.relaxation import grown_relaxation
from solver.replan.reports import frozen_reason
from solver.replan.verdict import explain_with_changes
from solver.scenario import Scenario
from solver.slack import keep_slack
from solver.timetable import Assignment, Diagnostic, Status, Timetable
from solver.validate import runs_shorter, validate_timetable


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
    notes: list[str] = field(default_factory=list)  # statements about reports and the freeze, and what they cost
    waived: list[str] = field(default_factory=list)  # events whose own window is waived (reported, or started
    # outside it: facts)
    shortened: list[str] = field(default_factory=list)  # events it runs shorter than planned (to their minimum)
    given_up: list[str] = field(default_factory=list)  # required events a report's proposal could not keep (named in
    # the notes; publishing it is the planner's decision)
    # pairs of events allowed to break a rule together: a running event (a fact) and one that cannot move, the rule
    # between them waived (named in the notes: solver.model.waive); the validator's ``overlaps_waived``
    overlaps_waived: list[list[str]] = field(default_factory=list)
    # events that run past the end of their people's availability, kept there: a running event (a fact) that overran,
    # its people's availability waived for its run (named in the notes: solver.compile.Waivers); the validator's
    # ``availability_waived``
    availability_waived: list[str] = field(default_factory=list)
    # events that run past their day's close, kept there: a running event (a fact) that overran the end of the day
    # (named in the notes: solver.compile.Waivers); the validator's ``day_close_waived``
    day_close_waived: list[str] = field(default_factory=list)


def timetable_of(ctx: Context, ledger: Ledger, chosen: IntArray, rooms: dict[int, int]) -> tuple[Timetable, int]:
    """The timetable of ``chosen`` (each event's room from ``rooms`` when free), and the disruption the planner will
    see (rooms are chosen within pools after solving)."""
    assert ledger.best is not None
    instance, previous = ctx.instance, ctx.previous
    # requests left out before and still out keep their reason: the change did not concern them
    known = {instance.event_index[u.event]: (u.code, u.reason) for u in previous.unscheduled
             if u.event in instance.event_index and instance.event_index[u.event] not in ctx.named}
    table = timetable_from_placements(instance, chosen, ctx.ref, preferred=rooms, known_reasons=known)
    # optimal only when the whole summit was searched, left-out requests included
    _freeze_words(ctx, table)
    table.status = "optimal" if ledger.best.optimal and ledger.best.level == "everything" and ctx.opened \
        else "feasible"
    table.bound = None
    # (the value of the changed summit's optional events: one that has started is required only in the search's copy)
    optional = {e.id: e.priority for e in ctx.changed.events if not e.required}
    table.objective = sum(optional.get(a.event, 0) for a in table.assignments)
    old = {a.event: a for a in previous.assignments}
    for assignment in table.assignments:
        before = old.get(assignment.event)
        assignment.confirmed = bool(before is not None and before.confirmed and before.room == assignment.room
                                    and before.start == assignment.start)
    return table, measure_disruption(ctx.changed, previous, table, ctx.config.weights, ctx.plan.regrowable)


def _freeze_words(ctx: Context, table: Timetable) -> None:
    """A dropped event that the freeze window kept (it starts within it) is said to be kept by the freeze, with
    the way out, never "pinned"."""
    if ctx.now is None:
        return
    kept = in_freeze_window(ctx)
    for unscheduled in table.unscheduled:
        if unscheduled.event in kept:
            unscheduled.code = "frozen"
            unscheduled.reason = frozen_reason(ctx.changed, ctx.previous, ctx.now, ctx.config.freeze_minutes,
                                               unscheduled.event, unscheduled.reason)


def in_freeze_window(ctx: Context) -> set[str]:
    """The events pinned because they start within the freeze window (not because they are over or running)."""
    if ctx.now is None:
        return set()
    moment = ctx.changed.localise(ctx.now)
    old = {a.event: a for a in ctx.previous.assignments}
    return {name for name in ctx.frozen if name in old and ctx.changed.localise(old[name].start) >= moment}


def rooms_assigned(ctx: Context, ledger: Ledger) -> None:
    """The repair in hand with rooms assigned, or the repair of the same kept events and value that costs least
    once they are (the searches saw pools, so a cheaper pooled repair can cost more room changes)."""
    plan = ctx.plan
    assert ledger.chosen is not None
    table, measured = timetable_of(ctx, ledger, ledger.chosen, plan.old_room)
    seen = {ledger.chosen.tobytes()}
    kept, value = plan.kept(ledger.chosen), plan.value_of(ctx.instance, ledger.chosen)
    for repair in ledger.repairs:
        if repair.tobytes() not in seen and plan.kept(repair) == kept and plan.value_of(ctx.instance, repair) == value:
            seen.add(repair.tobytes())
            trial, cost = timetable_of(ctx, ledger, repair, plan.old_room)
            if cost < measured:
                table, measured = trial, cost
    ctx.phases.mark("timetable")
    # the bound is on the pooled cost, which assigning rooms can only raise: it bounds the measured cost too
    ledger.table, ledger.disruption = table, measured
    ledger.proven = measured <= ledger.bound


def own_rooms(ctx: Context, ledger: Ledger) -> None:
    """The pooled searches cannot see an event lose its own room within its pool: solve the relaxation's group again
    with that priced (nearly all the time left: on Hanoi's capacity cuts it needs 0.7-0.8 s)."""
    found = ledger.relaxation
    assert ledger.best is not None
    if (ledger.proven or found is None or not ledger.keeps_wanted or ledger.best.level == "everything"
            or not ctx.affords(found.group)):
        return
    own = grown_relaxation(ctx.instance, ctx.plan, ctx.wanted_mask, found.group,
                           time.monotonic() + ctx.budget.share("own_rooms"), ctx.config.workers, ctx.config.seed,
                           ctx.stop, target=ledger.disruption, own_rooms=True)
    if own is not None:
        if own.chosen is not None:
            trial, cost = timetable_of(ctx, ledger, own.chosen, own.rooms or {})
            if cost < ledger.disruption:
                ledger.table, ledger.disruption = trial, cost
        ledger.bound = max(ledger.bound, own.bound)
        ledger.proven = ledger.disruption <= ledger.bound
    ctx.phases.mark("own_rooms")


def concrete_proof(ctx: Context, ledger: Ledger) -> None:
    """Prove (or improve) the repair with every room apart: a search restricted to the concrete placements that fit
    in the budget the displaced events leave."""
    assert ledger.best is not None and ledger.table is not None
    instance = ctx.instance
    if (ledger.proven or ledger.best.level == "everything"
            or not ctx.affords(margin=0.2, passes=1)):
        return
    keep = None if ledger.must_keep is None else {instance.events[e].id for e in np.flatnonzero(ledger.must_keep)}
    cheaper, cheaper_cost, minimal = concrete_repair(ctx.working, ctx.previous, ctx.config.weights, ledger.table,
                                                     ledger.disruption, ctx.candidates | ctx.named, keep,
                                                     ctx.budget.left(), ctx.config.workers, ctx.config.seed, ctx.stop,
                                                     shorten=ctx.shorten, short_before=ctx.short_before,
                                                     waivers=ctx.waivers)
    taken = cheaper is None
    if cheaper is not None:
        trial, cost = _with_rooms(ctx, ledger, cheaper)
        taken = cost == cheaper_cost  # its rooms came out as found
        if taken:
            ledger.table, ledger.disruption = trial, cost
    if minimal and taken:  # proven: none cheaper than the repair now in hand
        ledger.proven, ledger.bound = True, ledger.disruption
    ctx.phases.mark("concrete_proof")


def _with_rooms(ctx: Context, ledger: Ledger, assignments: list[Assignment]) -> tuple[Timetable, int]:
    """The timetable of a repair found with its rooms (keeping them), and its disruption."""
    instance = ctx.instance
    return timetable_of(ctx, ledger, placements_of(instance, assignments),
                        {instance.event_index[a.event]: instance.room_index[a.room] for a in assignments})


def slack_kept(ctx: Context, ledger: Ledger) -> None:
    """A robust re-plan (the scenario's ``overruns.robust`` or ``ReplanConfig.robust``) keeps the slack of the robust
    timetable: every event the repair leaves in place keeps it as it was, and the events the repair moves go, among
    their places that cost no more disruption, where overruns cascade less (:mod:`solver.slack`). Taken only when
    the disruption measured with rooms does not grow."""
    robust = ctx.config.robust if ctx.config.robust is not None else ctx.changed.overrun_model.robust
    seconds = min(ctx.budget.left() - 0.2, 0.25 * ctx.config.time_limit)
    if not robust or ledger.table is None or seconds <= 0.1:
        return
    instance, plan = ctx.instance, ctx.plan
    chosen = placements_of(instance, ledger.table.assignments)
    moved = np.array([chosen[e] >= 0 and plan.keep_item.get(e) != int(chosen[e]) for e in range(len(instance.events))],
                     dtype=bool)
    if not moved.any():
        return
    matrix = RowMatrix.of(ctx.rows(), instance.n_items)
    better, before, after = keep_slack(instance, matrix, chosen, ctx.ref, seconds, ctx.config.seed, ctx.stop,
                                       movable=moved, item_cost=plan.item_cost)
    if after < before:
        rooms = {instance.event_index[a.event]: instance.room_index[a.room] for a in ledger.table.assignments}
        trial, cost = timetable_of(ctx, ledger, better, rooms)
        if cost <= ledger.disruption:
            trial.status = ledger.table.status
            ledger.table, ledger.disruption = trial, cost
    ctx.phases.mark("slack")


AnswerStep = Callable[[Context, Ledger], None]
ANSWER_STEPS: tuple[AnswerStep, ...] = (rooms_assigned, own_rooms, concrete_proof, slack_kept)


def repaired(ctx: Context, ledger: Ledger) -> ReplanResult:
    assert ledger.table is not None and ledger.best is not None
    table = ledger.table
    table.solve_seconds = ctx.budget.elapsed()
    diff = diff_timetables(ctx.changed, ctx.previous, table)
    ctx.phases.mark("diff")
    given_up = _given_up(ctx, table, ledger.required_clash)
    notes = ctx.notes + ctx.waiver_notes + _cost(ctx, diff, ledger.disruption) + [text for _, text in given_up]
    return ReplanResult(table, ctx.changed, diff, ledger.disruption, ledger.bound, ledger.proven, ledger.best.level,
                        ctx.frozen, table.solve_seconds, ctx.phases.seconds, notes, sorted(ctx.waived),
                        runs_shorter(ctx.changed, table), sorted(name for name, _ in given_up), overlap_pairs(ctx),
                        ctx.availability_waived, ctx.day_close_waived)


def overlap_pairs(ctx: Context) -> list[list[str]]:
    """The pairs of events whose rule a fact's overrun waives (:mod:`solver.model.waive`), each once."""
    return [list(pair) for pair in dict.fromkeys((running, other) for running, other, _ in ctx.overlaps)]


def _given_up(ctx: Context, table: Timetable, proven: bool) -> list[tuple[str, str]]:
    """The required events a report's proposal leaves out, each with the words the planner reads: why (the reason
    the timetable gives, and whether the required events are proven not to fit all together, or none was found in
    the time given) and what it costs (who is told)."""
    placed = {a.event for a in table.assignments}
    reasons = {u.event: u.reason for u in table.unscheduled}
    events = {e.id: e for e in ctx.changed.events}
    said = []
    for e in np.flatnonzero(ctx.instance.required).tolist():
        name = ctx.instance.events[e].id
        if name not in placed and name in events:
            people = events[name].participants
            why = ("the required events cannot all take place around the report (proven)" if proven else
                   f"no repair keeping every required event was found in {ctx.config.time_limit:g} s (re-plan with "
                   f"more time to look further)")
            said.append((name, f"required event {name} could not be kept: {reasons.get(name, 'no place left')}; "
                               f"{why} (cost: it is dropped; its {len(people)} participant(s) are told; the "
                               f"proposal is published only if the planner accepts it, else the standing plan stays)"))
    return said


def _cost(ctx: Context, diff: TimetableDiff, disruption: int) -> list[str]:
    """What the reports cost the plan around them (said when there are reports)."""
    if not ctx.reported:
        return []
    shortened = f", {len(diff.shortened)} shortened" if diff.shortened else ""
    return [f"the plan gives way to the reports: {len(diff.moved)} event(s) moved, {len(diff.room_changes)} room "
            f"change(s){shortened}, {len(diff.dropped)} dropped (disruption {disruption})"]


def no_repair(ctx: Context, ledger: Ledger) -> ReplanResult:
    """No repair: "infeasible" only with a proof (a set of required events that cannot all happen; the whole summit
    proven empty is one too, if its conflicting set can be found in the time left); else the standing timetable
    stays in force (status ``unknown``) and the planner may re-run with more time."""
    if ledger.conflict is None and not ledger.timed_out:
        ledger.conflict = conflicting_required_events(ctx.instance, ctx.budget.until_limit(), focus=ctx.hit,
                                                      workers=ctx.config.workers)
    if ledger.conflict is None:
        return without_repair(ctx, "unknown", [Diagnostic(
            code="no_repair_in_time",
            message=f"no repair was found within {ctx.config.time_limit:g} s: the standing timetable stays in "
                    f"force; the events below cannot take place where they stand. Re-plan with more time.")])
    diagnostics = explain_conflict(ctx.instance, ledger.conflict, ctx.budget.until_limit())
    ctx.phases.mark("explain")
    return without_repair(ctx, "infeasible", in_words(ctx, diagnostics))


def in_words(ctx: Context, diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Each conflict with the changes that cause it and the levers that would resolve it (see verdict.py)."""
    seconds = ctx.budget.until_limit() / max(1, len(diagnostics))
    # (each check compiles with the re-plan's waivers: a waived pair or availability is never named as a cause; a pair
    # the change list without one of its changes would let overlap is waived there too, as its re-plan would)
    waivers = replace(ctx.waivers, pairs=True)
    return [explain_with_changes(ctx.scenario, ctx.changes, ctx.working_of, d, seconds, waivers) if d.events else d
            for d in diagnostics]


def without_repair(ctx: Context, status: Status, diagnostics: list[Diagnostic]) -> ReplanResult:
    """The answer when no repair is given: the standing timetable stays in force. Its events that the change breaks
    where they stand are named (the independent validator's words), and only their people are told; nothing
    untouched is cancelled. ``unknown`` (no repair found in time) carries the standing assignments; ``infeasible``
    (proven) carries none, as the contract says, and its diagnostics say why. Neither says what a repair would have
    waived (no pair, no availability: the standing plan waives nothing new)."""
    present = {e.id for e in ctx.changed.events}
    previous = ctx.previous
    standing = Timetable(scenario=ctx.ref, status="feasible", objective=previous.objective,
                         assignments=[a for a in previous.assignments if a.event in present],
                         unscheduled=[u for u in previous.unscheduled if u.event in present])
    # (an event a former re-plan shortened may stay so: shorter than it was planned before this change, not than a
    # new duration the change gives it; one reported running late is not shortened, but longer now)
    shortened = set(runs_shorter(ctx.scenario, standing)) - ctx.reported
    violations = validate_timetable(ctx.changed, standing, shortened=shortened)
    notes = [Diagnostic(code="broken_by_change", message=str(v), events=list(v.events),
                        participants=list(v.participants), rooms=list(v.rooms)) for v in violations]
    seconds = ctx.budget.elapsed()
    table = standing.model_copy(update={"status": status, "diagnostics": diagnostics + notes, "solve_seconds": seconds,
                                        "bound": None})
    if status == "infeasible":
        table = table.model_copy(update={"assignments": [], "unscheduled": [], "objective": 0})
    diff = diff_timetables(ctx.changed, previous, table)
    return ReplanResult(table, ctx.changed, diff, 0, 0, False, "none", ctx.frozen, seconds, ctx.phases.seconds,
                        list(ctx.notes), sorted(ctx.waived), sorted(shortened & {a.event for a in table.assignments}))
