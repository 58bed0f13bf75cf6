"""solve(): scenario in, best timetable out, with status, objective, proven bound and timings.

The pipeline is one way: scenario -> :func:`compile_scenario` -> :func:`build_model` (plus
a greedy warm start) -> CP-SAT -> placements -> concrete rooms -> :class:`Timetable`.
The search stops at the time limit, when optimality is proven, or when the incumbent has
not improved for ``stall_seconds`` (the LP bound is weak on over-subscribed summits, so a
gap criterion would rarely fire).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
from ortools.sat.python import cp_model

from solver.compile import Instance, compile_scenario
from solver.model.bound import lp_bound
from solver.model.build import BuiltModel, add_hint, build_model, cap_primary
from solver.model.constraints import all_rows
from solver.model.greedy import repaired_greedy
from solver.model.objective import primary_of
from solver.model.rows import IntArray, Rows
from solver.model.submodel import RowMatrix
from solver.scenario import Scenario
from solver.timetable import Assignment, Diagnostic, ScenarioRef, Timetable, Unscheduled

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Progress:
    """One improving incumbent: seconds since the solve began, its objective and the proven bound."""

    seconds: float
    objective: int
    bound: int


@dataclass
class SolveConfig:
    time_limit: float = 20.0
    workers: int = 2
    seed: int = 0
    stall_seconds: float | None = None  # default: max(5 s, a third of the time limit)
    warm_start: bool = True
    max_presolve_iterations: int | None = 1  # measured: faster first solutions (benchmarks/RESULTS.md)
    log_search: bool = False
    lp_bound: bool = True  # prove bounds with the LP relaxation (GLOP) before the search
    stop: threading.Event | None = None  # set it to stop the search; the best timetable so far is kept
    # Above this many placements the whole model does not fit in 2 GB (measured: 3.5 GB at 511k):
    # the solver then improves the greedy timetable one day at a time (see _solve_day_by_day).
    decompose_above: int = 250_000


@dataclass
class SolveStats:
    compile_seconds: float = 0.0
    build_seconds: float = 0.0
    first_solution_seconds: float | None = None
    search_seconds: float = 0.0
    placements: int = 0
    rows: int = 0
    rows_by_family: dict[str, int] = field(default_factory=dict)
    greedy_objective: int | None = None
    lp_bound: int | None = None
    lp_seconds: float = 0.0
    optimal_proven_seconds: float | None = None
    stopped_by: str = ""


@dataclass
class SolveResult:
    timetable: Timetable
    stats: SolveStats
    progress: list[Progress]
    bounds: list[tuple[float, int]] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.timetable.status


ProgressHandler = Callable[[Progress], None]
LP_MAX_PLACEMENTS = 150_000


class _Incumbents(cp_model.CpSolverSolutionCallback):
    """Records improving incumbents and stops the search when progress stalls."""

    def __init__(self, weight: int, started: float, stall_seconds: float,
                 on_progress: ProgressHandler | None) -> None:
        super().__init__()
        self.weight = weight
        self.started = started
        self.stall_seconds = stall_seconds
        self.on_progress = on_progress
        self.history: list[Progress] = []
        self.best = -1
        self.last_improvement = time.monotonic()
        self.stalled = False
        self.cancelled = False
        self.cap = 2**62  # a bound known before the search (set by solve)
        self.bounds: list[tuple[float, int]] = []  # (seconds, proven bound) as the bound improves

    def on_bound(self, bound: float) -> None:
        proven = min(primary_of(bound, self.weight), self.cap)
        if not self.bounds or proven < self.bounds[-1][1]:
            self.bounds.append((round(time.monotonic() - self.started, 3), proven))

    def on_solution_callback(self) -> None:
        objective = primary_of(self.objective_value, self.weight)
        if objective <= self.best:
            return
        self.best = objective
        self.last_improvement = time.monotonic()
        bound = min(primary_of(self.best_objective_bound, self.weight), self.cap)
        self.report(Progress(round(time.monotonic() - self.started, 3), objective, bound))

    def report(self, progress: Progress) -> None:
        self.history.append(progress)
        if self.on_progress is not None:
            self.on_progress(progress)


def _watch_for_stall(solver: cp_model.CpSolver, incumbents: _Incumbents, done: threading.Event,
                     stop: threading.Event | None) -> None:
    while not done.wait(0.1):
        if stop is not None and stop.is_set():
            incumbents.cancelled = True
            solver.stop_search()
            return
        if incumbents.best >= 0 and time.monotonic() - incumbents.last_improvement > incumbents.stall_seconds:
            incumbents.stalled = True
            solver.stop_search()
            return


def solve(scenario: Scenario, time_limit: float = 20.0, workers: int = 2, seed: int = 0,
          on_progress: ProgressHandler | None = None, config: SolveConfig | None = None) -> SolveResult:
    """Solve a scenario; returns the best timetable found, its status, objective and proven bound."""
    config = config or SolveConfig(time_limit=time_limit, workers=workers, seed=seed)
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

    rows = all_rows(instance)
    stats.placements = instance.n_items
    stats.rows = len(rows)
    stats.rows_by_family = rows.count_by_family()
    matrix = RowMatrix.of(rows, instance.n_items)
    greedy = repaired_greedy(instance, rows, matrix, config.workers, config.seed, max(1.0, config.time_limit / 4)) \
        if config.warm_start or instance.n_items > config.decompose_above else None
    if greedy is not None and instance.n_items > config.decompose_above:
        # Too big for one CP-SAT model in 2 GB: improve the greedy timetable one day at a time.
        return _solve_day_by_day(instance, rows, greedy, config, started, stats, ref, on_progress)
    # Upper bound before any search: every optional event that has a placement at all.
    trivial_bound = int(sum(int(instance.priority[e]) for e in range(len(instance.events))
                            if not instance.required[e] and instance.event_items[e].size))
    greedy_complete = greedy is not None and all(
        greedy[e] >= 0 for e in range(len(instance.events)) if instance.required[e] and instance.event_items[e].size)
    first: Progress | None = None
    if greedy is not None and greedy_complete:
        # The greedy timetable satisfies every row: it is the first incumbent, reported before the
        # CP-SAT model is built (that takes longer than the greedy on summits of every size).
        stats.greedy_objective = int(instance.priority[[e for e in range(len(instance.events))
                                                        if greedy[e] >= 0 and not instance.required[e]]].sum())
        first = Progress(round(time.monotonic() - started, 3), stats.greedy_objective, trivial_bound)
        if on_progress is not None:
            on_progress(first)
        if time.monotonic() - started >= config.time_limit - 0.05:
            # No time left for the search: the greedy timetable stands.
            stats.first_solution_seconds = first.seconds
            stats.stopped_by = "time limit"
            return _finished(instance, greedy, rows, ref, started, trivial_bound, [first],
                             [(first.seconds, trivial_bound)], stats)
    built = build_model(instance, rows=rows)
    if greedy is not None:
        add_hint(built, greedy)
    stats.build_seconds = time.monotonic() - started - stats.compile_seconds

    solver = cp_model.CpSolver()
    params = solver.parameters
    params.num_workers = max(1, config.workers)
    params.random_seed = config.seed
    params.max_time_in_seconds = max(0.1, config.time_limit - (time.monotonic() - started))
    params.log_search_progress = config.log_search
    if config.max_presolve_iterations is not None:
        params.max_presolve_iterations = config.max_presolve_iterations

    stall = config.stall_seconds if config.stall_seconds is not None else max(5.0, config.time_limit / 3)
    incumbents = _Incumbents(built.objective.weight, started, stall, on_progress)
    incumbents.cap = trivial_bound
    incumbents.bounds.append((round(time.monotonic() - started, 3), trivial_bound))
    greedy_objective = -1
    if first is not None and stats.greedy_objective is not None:
        greedy_objective = incumbents.best = stats.greedy_objective
        incumbents.history.append(first)
    # GLOP (core rows) closes Hanoi-sized gaps in 0.5 s and takes ~7 s at 126k placements; minutes past that.
    if config.lp_bound and trivial_bound > max(greedy_objective, 0) and instance.n_items <= LP_MAX_PLACEMENTS:
        lp_started = time.monotonic()
        lp_limit = min(10.0, max(0.5, config.time_limit * 0.3), config.time_limit - (time.monotonic() - started))
        lp = lp_bound(instance, built.rows, built.objective.item_value, max(0.1, lp_limit))
        stats.lp_seconds = time.monotonic() - lp_started
        stats.lp_bound = lp
        if lp is not None and 0 <= lp < trivial_bound:
            trivial_bound = incumbents.cap = lp
            incumbents.bounds.append((round(time.monotonic() - started, 3), lp))
            cap_primary(built, lp)
    if greedy_objective >= trivial_bound:
        stats.optimal_proven_seconds = round(time.monotonic() - started, 3)
    params.max_time_in_seconds = max(0.1, config.time_limit - (time.monotonic() - started))

    solver.best_bound_callback = incumbents.on_bound
    done = threading.Event()
    watcher = threading.Thread(target=_watch_for_stall, args=(solver, incumbents, done, config.stop), daemon=True)
    watcher.start()
    search_started = time.monotonic()
    try:
        status = solver.solve(built.model, incumbents)
    finally:
        done.set()
        watcher.join()
    stats.search_seconds = time.monotonic() - search_started
    if incumbents.history:
        stats.first_solution_seconds = incumbents.history[0].seconds
    stats.stopped_by = ("optimal" if status == cp_model.OPTIMAL else "stall" if incumbents.stalled
                        else "cancelled" if incumbents.cancelled
                        else "infeasible" if status == cp_model.INFEASIBLE else "time limit")

    weight = built.objective.weight
    bound: int | None
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        solver_bound = primary_of(solver.best_objective_bound, weight)
    else:  # without a solution CP-SAT reports no bound; use the last one its callback gave, if any
        solver_bound = incumbents.bounds[-1][1] if incumbents.bounds else trivial_bound
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        chosen = _chosen_from_solver(instance, built, solver)
        contract_status = "optimal" if status == cp_model.OPTIMAL else "feasible"
        bound = min(solver_bound, trivial_bound)
        if greedy is not None and greedy_objective > primary_of(solver.objective_value, weight):
            chosen = greedy  # CP-SAT lost the hint and found worse in time: keep the better timetable
    elif status == cp_model.UNKNOWN and greedy is not None and greedy_complete:
        # CP-SAT found nothing in time; the greedy timetable satisfies every row, so it stands.
        chosen, contract_status = greedy, "feasible"
        bound = min(solver_bound, trivial_bound)
    elif status == cp_model.INFEASIBLE:
        from solver.explain import explain_infeasible  # only needed on this path

        diagnostics = explain_infeasible(instance, max(1.0, config.time_limit - (time.monotonic() - started)))
        timetable = Timetable(scenario=ref, status="infeasible", objective=0, bound=0,
                              solve_seconds=round(time.monotonic() - started, 3), diagnostics=diagnostics)
        return SolveResult(timetable, stats, incumbents.history, incumbents.bounds)
    else:
        timetable = Timetable(scenario=ref, status="unknown", objective=0, bound=None,
                              solve_seconds=round(time.monotonic() - started, 3),
                              diagnostics=[Diagnostic(code="no_solution_in_time",
                                                      message=f"no timetable found within {config.time_limit:g} s; "
                                                              f"try a longer time limit")])
        return SolveResult(timetable, stats, incumbents.history, incumbents.bounds)

    timetable = timetable_from_placements(instance, chosen, ref, built.rows)
    timetable.status = contract_status  # type: ignore[assignment]
    timetable.bound = bound
    if bound is not None and timetable.objective >= bound:
        timetable.status = "optimal"  # the primary objective is proven optimal
        if stats.optimal_proven_seconds is None:
            reached = next((p.seconds for p in incumbents.history if p.objective >= bound), None)
            stats.optimal_proven_seconds = max(reached or 0.0, incumbents.bounds[-1][0] if incumbents.bounds else 0.0)
    if bound is not None and incumbents.bounds and bound < incumbents.bounds[-1][1]:
        incumbents.bounds.append((round(time.monotonic() - started, 3), bound))
    timetable.solve_seconds = round(time.monotonic() - started, 3)
    return SolveResult(timetable, stats, incumbents.history, incumbents.bounds)


def _finished(instance: Instance, chosen: IntArray, rows: Rows, ref: ScenarioRef, started: float, bound: int,
              history: list[Progress], bounds: list[tuple[float, int]], stats: SolveStats) -> SolveResult:
    """The result for a timetable that places every required event, with its proven bound."""
    timetable = timetable_from_placements(instance, chosen, ref, rows)
    timetable.bound = bound
    timetable.status = "optimal" if timetable.objective >= bound else "feasible"
    if timetable.status == "optimal" and stats.optimal_proven_seconds is None:
        stats.optimal_proven_seconds = round(time.monotonic() - started, 3)
    timetable.solve_seconds = round(time.monotonic() - started, 3)
    return SolveResult(timetable, stats, history, bounds)


def _chosen_from_solver(instance: Instance, built: BuiltModel, solver: cp_model.CpSolver) -> IntArray:
    values = np.fromiter(solver.response_proto.solution, dtype=np.int64)[: built.n_placements].astype(bool)
    chosen = np.full(len(instance.events), -1, dtype=np.int64)
    on = np.flatnonzero(values)
    chosen[instance.item_event[on]] = on
    return chosen


# --------------------------------------------------------------------------------------
# Extraction: placements -> concrete rooms -> timetable
# --------------------------------------------------------------------------------------


def assign_rooms(instance: Instance, chosen: IntArray, preferred: dict[int, int] | None = None) -> dict[int, int]:
    """Concrete room per placed event. Within a pool, events sorted by the start of their
    room use (changeover or sweep included) take any room free by then: exact, since the
    model never lets more events than rooms hold the pool at once. An event keeps its
    ``preferred`` room (its room in the previous timetable) whenever that room is free."""
    preferred = preferred or {}
    room_of: dict[int, int] = {}
    for pool in instance.pools:
        placed = [int(i) for i in chosen[chosen >= 0] if instance.item_pool[i] == pool.index]
        occupancy = sorted((int(instance.item_room_from[i]), int(instance.item_end[i]), i) for i in placed)
        free_from = {room: -1 for room in pool.rooms}
        # Later uses each room is wished for, so that an event without a usable wish takes the
        # free room wished for latest (or not at all) and leaves the others to their events.
        wished: dict[int, list[int]] = {room: [] for room in pool.rooms}
        for begin, _, item in occupancy:
            wish = preferred.get(int(instance.item_event[item]))
            if wish in wished:
                wished[wish].append(begin)
        for begin, end, item in occupancy:
            wish = preferred.get(int(instance.item_event[item]))
            if wish is not None and free_from.get(wish, begin + 1) <= begin:
                room: int | None = wish
            else:
                free = [r for r in pool.rooms if free_from[r] <= begin]
                room = max(free, key=lambda r: min((b for b in wished[r] if b >= begin), default=2**31),
                           default=None)
            if room is None:  # cannot happen for a solution of the model
                raise RuntimeError(f"pool {pool.index} over-subscribed at slot {begin}")
            free_from[room] = end
            room_of[int(instance.item_event[item])] = room
    return room_of


def assignments_of(instance: Instance, chosen: IntArray, preferred: dict[int, int] | None = None) -> list[Assignment]:
    """The ``chosen`` placements as assignments, rooms assigned within pools (:func:`assign_rooms`)."""
    room_of = assign_rooms(instance, chosen, preferred)
    grid = instance.grid
    assignments = []
    for event, item in enumerate(chosen):
        if item < 0:
            continue
        start = grid.time_of(int(instance.item_start[item]))
        end = start + timedelta(minutes=instance.events[event].duration_minutes)
        assignments.append(Assignment(event=instance.events[event].id, room=instance.rooms[room_of[event]].id,
                                      start=start, end=end))
    return assignments


def timetable_from_placements(instance: Instance, chosen: IntArray, ref: ScenarioRef,
                              rows: Rows | None = None, preferred: dict[int, int] | None = None,
                              known_reasons: dict[int, tuple[str, str]] | None = None) -> Timetable:
    assignments = assignments_of(instance, chosen, preferred)
    from solver.reasons import unscheduled_reasons  # keeps this module about solving

    unscheduled = [Unscheduled(event=instance.events[e].id, reason=reason, code=code)
                   for e, (code, reason) in sorted(unscheduled_reasons(instance, chosen, rows, known_reasons).items())]
    objective = int(sum(int(instance.priority[e]) for e, item in enumerate(chosen)
                        if item >= 0 and not instance.required[e]))
    return Timetable(scenario=ref, status="feasible", objective=objective, assignments=assignments,
                     unscheduled=unscheduled)


def _solve_day_by_day(instance: Instance, rows: Rows, greedy: IntArray, config: SolveConfig, started: float,
                      stats: SolveStats, ref: ScenarioRef, on_progress: ProgressHandler | None) -> SolveResult:
    """Large neighbourhood search by half day: each round frees the events of one half day (and
    every request not yet placed) on that half day's slots, keeps the rest of the timetable fixed, and
    lets CP-SAT improve that sub-model from the current timetable. Every sub-model solution is
    a valid timetable for the whole summit, so the current timetable only ever improves."""
    grid = instance.grid
    n_days = len(grid.day_starts)
    terms_value = np.where(~instance.required[instance.item_event], instance.priority[instance.item_event], 0)
    current = greedy.copy()
    trivial = int(sum(int(instance.priority[e]) for e in range(len(instance.events))
                      if not instance.required[e] and instance.event_items[e].size))
    history: list[Progress] = []
    bounds = [(round(time.monotonic() - started, 3), trivial)]

    def value(chosen: IntArray) -> int:
        return int(terms_value[chosen[chosen >= 0]].sum())

    best = value(current)
    stats.greedy_objective = best
    stats.build_seconds = time.monotonic() - started - stats.compile_seconds
    history.append(Progress(round(time.monotonic() - started, 3), best, trivial))
    if on_progress is not None:
        on_progress(history[-1])
    # Half days: the sub-models stay small enough for 2 GB at 3,000 requests.
    local = instance.item_start - grid.day_offset[grid.slot_day[instance.item_start]]
    half = (local >= (grid.day_slots[grid.slot_day[instance.item_start]] // 2)).astype(np.int64)
    item_day = grid.slot_day[instance.item_start] * 2 + half
    n_days *= 2
    rounds = 0
    while time.monotonic() - started < config.time_limit - 1.0 and not (config.stop and config.stop.is_set()):
        day = rounds % n_days
        rounds += 1
        keep = np.zeros(instance.n_items, dtype=bool)
        placed_day = np.full(len(instance.events), -1, dtype=np.int64)
        placed_day[current >= 0] = item_day[current[current >= 0]]
        free = (placed_day == day) | (current < 0)
        keep |= free[instance.item_event] & (item_day == day)
        fixed = current[(current >= 0) & ~free]
        keep[fixed] = True
        sub = instance.restricted(keep)
        to_full = np.flatnonzero(keep)
        # A required event whose only placements are elsewhere stays where it is.
        built = build_model(sub)
        hint = np.full(len(instance.events), -1, dtype=np.int64)
        position = np.full(instance.n_items, -1, dtype=np.int64)
        position[to_full] = np.arange(to_full.size)
        on = current[current >= 0]
        hint[current >= 0] = position[on]
        add_hint(built, hint)
        solver = cp_model.CpSolver()
        remaining = config.time_limit - (time.monotonic() - started)
        solver.parameters.max_time_in_seconds = max(0.5, min(remaining - 0.5, config.time_limit / (2 * n_days)))
        solver.parameters.num_workers = max(1, config.workers)
        solver.parameters.random_seed = config.seed + rounds
        solver.parameters.cp_model_presolve = False  # the hint is complete and feasible: start from it
        status = solver.solve(built.model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            continue
        values = np.fromiter(solver.response_proto.solution, dtype=np.int64)[: sub.n_items].astype(bool)
        candidate = current.copy()
        candidate[free] = -1
        chosen_items = to_full[np.flatnonzero(values)]
        candidate[instance.item_event[chosen_items]] = chosen_items
        missing_required = any(candidate[e] < 0 <= current[e] for e in range(len(instance.events))
                               if instance.required[e])
        if missing_required or value(candidate) < best:
            continue
        current = candidate
        if value(current) > best:
            best = value(current)
            history.append(Progress(round(time.monotonic() - started, 3), best, trivial))
            if on_progress is not None:
                on_progress(history[-1])
    stats.search_seconds = time.monotonic() - started - stats.compile_seconds - stats.build_seconds
    stats.first_solution_seconds = history[0].seconds
    stats.stopped_by = "cancelled" if config.stop and config.stop.is_set() else "time limit"
    timetable = timetable_from_placements(instance, current, ref, rows)
    complete = all(current[e] >= 0 for e in range(len(instance.events))
                   if instance.required[e] and instance.event_items[e].size)
    timetable.status = "feasible" if complete else "unknown"
    timetable.bound = trivial
    timetable.solve_seconds = round(time.monotonic() - started, 3)
    if not complete:
        timetable.assignments = []
        timetable.diagnostics.append(Diagnostic(code="no_solution_in_time",
                                                message="the required events could not all be placed in time"))
    return SolveResult(timetable, stats, history, bounds)
