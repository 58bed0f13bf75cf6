"""solve(): scenario in, best timetable out, with status, objective, proven bound and timings.

The pipeline is one way: scenario -> :func:`compile_scenario` -> :func:`build_model` (plus
a greedy warm start) -> CP-SAT -> placements -> concrete rooms -> :class:`Timetable`.
The search uses the time it is given: it stops at the time limit or when optimality is
proven, and on a stall (no improvement for ``stall_seconds``) only when asked to. When the
whole model stops improving while a gap remains, large-neighbourhood search
(:mod:`solver.lns`) takes over from the best timetable for the rest of the time; above
``decompose_above`` placements it does all the improving.

The steps, in order (:mod:`solver.solve.steps`): prepare (compile, rows, greedy) -> the first incumbent -> the
bound -> the whole-model search -> the hand-over to large-neighbourhood search -> the answer; the incumbents and
bounds in one ledger (:mod:`solver.solve.incumbents`); extraction in :mod:`solver.extract`.
"""

from __future__ import annotations

import time
from dataclasses import replace

from ortools.sat.python import cp_model

from solver.bound_beside import BoundBeside
from solver.budget import Budget
from solver.buffers import trade_for_buffers
from solver.cascades import cut_cascades, fullest_rooms, spare_vvip_rooms
from solver.compile import compile_scenario
from solver.extract import assign_rooms, assignments_of, timetable_from_placements
from solver.model.build import BuiltModel, add_hint, build_model, cap_primary
from solver.model.greedy import unplaced_required
from solver.model.objective import primary_of
from solver.model.rows import IntArray
from solver.replan.plan import placements_of
from solver.scenario import Scenario
from solver.size import memory_plan
from solver.slack import RUNS as SLACK_RUNS
from solver.slack import SEED_OFFSET, Judge, keep_slack
from solver.solve.config import (
    LP_MAX_PLACEMENTS,
    SHARES,
    Progress,
    ProgressHandler,
    SolveConfig,
    SolveResult,
    SolveStats,
)
from solver.solve.incumbents import Incumbents, Stops
from solver.solve.steps import (
    Prepared,
    Run,
    alone,
    chosen_from_solver,
    finished,
    first_incumbent,
    improve_by_lns,
    places_every_required,
    prepare,
    proven_bound,
    start_bound_beside,
    trivial_bound,
    value_of,
    whole_model_search,
)
from solver.timetable import Diagnostic, ScenarioRef, Timetable

__all__ = ["LP_MAX_PLACEMENTS", "Progress", "ProgressHandler", "SolveConfig", "SolveResult", "SolveStats",
           "assign_rooms", "assignments_of", "solve", "timetable_from_placements"]


def solve(scenario: Scenario, time_limit: float = 20.0, workers: int = 2, seed: int = 0,
          on_progress: ProgressHandler | None = None, config: SolveConfig | None = None) -> SolveResult:
    """Solve a scenario; returns the best timetable found, its status, objective and proven bound."""
    config = config or SolveConfig(time_limit=time_limit, workers=workers, seed=seed)
    if config.memory_mb and not config.lns_only:
        config = replace(config, lns_only=memory_plan(scenario, config.memory_mb, config.workers).lns_only)
    started = time.monotonic()
    stats = SolveStats()

    instance = compile_scenario(scenario)
    stats.compile_seconds = time.monotonic() - started
    ref = ScenarioRef(name=scenario.name, fingerprint=scenario.fingerprint())

    impossible_required = [c for c in instance.prechecks if instance.required[c.event]]
    if impossible_required:
        diagnostics = [Diagnostic(code=c.code, message=c.message, events=[instance.events[c.event].id],
                                  participants=list(c.participants), rooms=list(c.rooms))
                       for c in impossible_required]
        timetable = Timetable(scenario=ref, status="infeasible", objective=0, bound=0,
                              solve_seconds=round(time.monotonic() - started, 3), diagnostics=diagnostics)
        return SolveResult(timetable, stats, [])

    robust = config.robust if config.robust is not None else scenario.overrun_model.robust
    first_stage = replace(config, time_limit=config.time_limit * (1 - config.slack_share),
                          tie_break_seconds=1.0) if robust else config
    beside = BoundBeside()  # started with the search on a large summit (steps.start_bound_beside)
    try:
        # (the answer is part of the search; each step's share of the time left: SHARES)
        budget = Budget.of(started, first_stage.time_limit, 0.0, config.stop, shares=SHARES)
        run = Run(instance, first_stage, budget, stats, ref, on_progress, beside)
        result = _solve_compiled(run)
        return _keep_slack(run, result, started + config.time_limit) if robust else result
    finally:
        beside.close()
        if beside.found:
            stats.lp_bound = beside.best()
            stats.lp_seconds = beside.found[-1][0]


def _keep_slack(run: Run, result: SolveResult, deadline: float) -> SolveResult:
    """The robust solve's second stage (:mod:`solver.slack`) on the plain solve's timetable, until ``deadline``:
    the same requests, placed where overruns cascade less."""
    timetable = result.timetable
    if run.prepared is None or timetable.status not in ("optimal", "feasible") or not timetable.assignments:
        return result
    if run.config.stop is not None and run.config.stop.is_set():
        return result
    began = time.monotonic()
    chosen = placements_of(run.instance, timetable.assignments)
    rows, matrix = run.prepared.whole(run.instance)
    scenario = run.instance.scenario
    value = run.config.buffer_value if run.config.buffer_value is not None else scenario.overrun_model.buffer_value
    if value > 0:  # the planner prices a buffer: requests may be traded for buffers (a quarter of the stage)
        chosen = trade_for_buffers(run.instance, rows, chosen, value, max(0.0, deadline - began) / 4,
                                   run.config.seed, run.config.workers, run.config.stop)
    run.stats.fullest_rooms = fullest_rooms(run.instance, chosen)
    chosen = _thin_cascades(run, chosen, timetable.bound if timetable.bound is not None else timetable.objective)
    chosen, before, after = keep_slack(run.instance, matrix, chosen, run.ref,
                                       max(0.0, deadline - began), run.config.seed, run.config.stop)
    robust = timetable_from_placements(run.instance, chosen, run.ref, rows, slack=True)
    robust.status, robust.bound = timetable.status, timetable.bound
    if robust.objective < timetable.objective:  # requests traded for buffers: no longer the proven optimum
        robust.status = "feasible"
    run.stats.slack_seconds = round(time.monotonic() - began, 3)
    run.stats.slack_replay = (round(before, 3), round(after, 3))
    robust.solve_seconds = round(time.monotonic() - run.started, 3)
    return SolveResult(robust, run.stats, result.progress, result.bounds)


def _thin_cascades(run: Run, chosen: IntArray, bound: int) -> IntArray:
    """Before the slack stage (:mod:`solver.cascades`): events without a vvip leave the vvips' rooms where they can,
    and, with a budget (a share of the proven ``bound``: no timetable of the summit is worth more), the requests most
    cascades run through are left out; what the first stage fell short of the bound and a trade gave up count."""
    scenario = run.instance.scenario
    if run.prepared is not None:
        chosen = spare_vvip_rooms(run.instance, run.prepared.whole(run.instance)[1], chosen)
    share = run.config.cascade_budget if run.config.cascade_budget is not None else \
        scenario.overrun_model.cascade_budget
    run.stats.cascade_budget = share
    if share <= 0:
        return chosen
    budget = int(share * bound) - (bound - value_of(run.instance, chosen))
    judge = Judge(run.instance, run.ref, SLACK_RUNS, run.config.seed + SEED_OFFSET)
    return cut_cascades(judge, chosen, budget) if budget > 0 else chosen


def _solve_compiled(run: Run) -> SolveResult:
    """The search of a compiled summit whose required events all have a place (see :func:`solve`)."""
    instance, config = run.instance, run.config
    start_bound_beside(run)
    prepared = prepare(run)
    greedy = prepared.greedy
    if greedy is not None and alone(instance, config):
        # Too big for one CP-SAT model in 2 GB: improve the greedy timetable one day at a time.
        return _solve_by_lns_alone(run, prepared, greedy)
    bound = trivial_bound(instance)
    start = greedy if greedy is not None and places_every_required(instance, greedy) else None
    first = prepared.first or (first_incumbent(run, start, bound) if start is not None else None)
    if first is not None and start is not None and run.left() <= 0.05:
        # No time left for the search: the greedy timetable stands.
        run.stats.first_solution_seconds = first.seconds
        run.stats.stopped_by = "time limit"
        ledger = Incumbents(1, run.started, None, bound)
        ledger.start_from(first)
        return finished(run, start, prepared.rows, bound, ledger)
    built = build_model(instance, rows=prepared.rows)
    if greedy is not None:
        add_hint(built, greedy)
    run.stats.build_seconds = time.monotonic() - run.started - run.stats.compile_seconds
    incumbents = _ledger(run, built, bound, first)
    incumbent = first.objective if first is not None else -1
    if config.lp_bound and bound > max(incumbent, 0):
        lp = proven_bound(run, built, incumbent)
        if lp is not None and 0 <= lp < bound:
            bound = lp
            incumbents.proven(lp)
            cap_primary(built, lp)
            if run.on_progress is not None and incumbent >= 0:  # the bound is shown as soon as it is proven
                run.on_progress(Progress(run.elapsed(), incumbent, lp))
    if incumbent >= bound:
        run.stats.optimal_proven_seconds = run.elapsed()
    status, solver = whole_model_search(run, built, incumbents)
    return _answer(run, prepared, built, status, solver, incumbents, min(bound, incumbents.cap), start)


def _ledger(run: Run, built: BuiltModel, bound: int, first: Progress | None) -> Incumbents:
    """The whole-model search's ledger, starting from the greedy timetable when it is complete."""
    config = run.config
    tie_break = config.tie_break_seconds if config.tie_break_seconds is not None else max(5.0, config.time_limit / 3)
    stops = Stops(config.stall_seconds, tie_break,
                  (config.handover_seconds or max(3.0, config.time_limit / 10)) if config.lns else None)
    incumbents = Incumbents(built.objective.weight, run.started, run.on_progress, bound, stops, run.beside)
    if first is not None:
        incumbents.start_from(first)
    return incumbents


def _answer(run: Run, prepared: Prepared, built: BuiltModel, status: object, solver: cp_model.CpSolver,
            incumbents: Incumbents, bound_before: int, start: IntArray | None) -> SolveResult:
    """The timetable of the search's answer (or of the greedy one, when it is better or the search found none),
    large-neighbourhood search first when the search handed over."""
    instance, weight = run.instance, built.objective.weight
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        chosen = chosen_from_solver(instance, built, solver)
        contract_status = "optimal" if status == cp_model.OPTIMAL else "feasible"
        bound: int = min(primary_of(solver.best_objective_bound, weight), bound_before)
        if prepared.greedy is not None and incumbents.history and incumbents.history[0].objective > \
                primary_of(solver.objective_value, weight) and start is not None:
            chosen = prepared.greedy  # CP-SAT lost the hint and found worse in time: keep the better timetable
    elif status == cp_model.UNKNOWN and start is not None:
        # CP-SAT found nothing in time; the greedy timetable satisfies every row, so it stands.
        chosen, contract_status = start, "feasible"
        bound = min(incumbents.bounds[-1][1] if incumbents.bounds else bound_before, bound_before)
    else:
        return _no_timetable(run, status, incumbents)
    if incumbents.ended_by == "handed over":
        chosen, bound = improve_by_lns(run, prepared.matrix, chosen, bound, incumbents)
    timetable = timetable_from_placements(instance, chosen, run.ref, built.rows)
    timetable.status = contract_status  # type: ignore[assignment]
    timetable.bound = bound
    if timetable.objective >= bound:
        timetable.status = "optimal"  # the primary objective is proven optimal
        if run.stats.optimal_proven_seconds is None:
            reached = next((p.seconds for p in incumbents.history if p.objective >= bound), None)
            run.stats.optimal_proven_seconds = max(reached or 0.0,
                                                   incumbents.bounds[-1][0] if incumbents.bounds else 0.0)
    if incumbents.bounds and bound < incumbents.bounds[-1][1]:
        incumbents.bounds.append((run.elapsed(), bound))
    timetable.solve_seconds = run.elapsed()
    return SolveResult(timetable, run.stats, incumbents.history, incumbents.bounds)


def _no_timetable(run: Run, status: object, incumbents: Incumbents) -> SolveResult:
    """The search proved the summit infeasible (its reasons explained), or found nothing in time."""
    if status == cp_model.INFEASIBLE:
        from solver.explain import explain_infeasible  # only needed on this path

        diagnostics = explain_infeasible(run.instance, max(1.0, run.left()))
        timetable = Timetable(scenario=run.ref, status="infeasible", objective=0, bound=0,
                              solve_seconds=run.elapsed(), diagnostics=diagnostics)
    else:
        timetable = Timetable(scenario=run.ref, status="unknown", objective=0, bound=None,
                              solve_seconds=run.elapsed(),
                              diagnostics=[Diagnostic(code="no_solution_in_time",
                                                      message=f"no timetable found within {run.config.time_limit:g}"
                                                              f" s; try a longer time limit")])
    return SolveResult(timetable, run.stats, incumbents.history, incumbents.bounds)


def _solve_by_lns_alone(run: Run, prepared: Prepared, greedy: IntArray) -> SolveResult:
    """Above ``decompose_above`` placements (SolveConfig: the whole model costs more than it gives, or does not fit
    in memory) large-neighbourhood search improves the greedy timetable, each round a sub-model of a few thousand
    placements."""
    instance, config, stats = run.instance, run.config, run.stats
    stats.lns_alone = True
    bound = trivial_bound(instance)
    incumbents = Incumbents(1, run.started, run.on_progress, bound, Stops(config.stall_seconds), run.beside)
    complete = not unplaced_required(instance, greedy)
    stats.build_seconds = time.monotonic() - run.started - stats.compile_seconds
    chosen = greedy
    if complete:
        value = stats.greedy_objective = value_of(instance, greedy)
        if prepared.first is not None:  # reported as soon as the greedy had it
            incumbents.start_from(prepared.first)
        else:
            incumbents.report(Progress(run.elapsed(), value, bound))
        stats.first_solution_seconds = incumbents.history[0].seconds
        lp = proven_bound(run, None, value) if config.lp_bound else None
        if lp is not None and 0 <= lp < bound:
            bound = lp
            incumbents.proven(lp)
        chosen, bound = improve_by_lns(run, prepared.matrix, greedy, bound, incumbents)
    stats.search_seconds = time.monotonic() - run.started - stats.compile_seconds - stats.build_seconds
    if not complete:
        timetable = Timetable(scenario=run.ref, status="unknown", objective=0, bound=None,
                              solve_seconds=run.elapsed(),
                              diagnostics=[Diagnostic(code="no_solution_in_time",
                                                      message="the required events could not all be placed in time")])
        return SolveResult(timetable, stats, incumbents.history, incumbents.bounds)
    return finished(run, chosen, prepared.rows, bound, incumbents)
