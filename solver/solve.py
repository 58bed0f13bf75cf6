"""solve(): scenario in, best timetable out, with status, objective, proven bound and timings.

The pipeline is one way: scenario -> :func:`compile_scenario` -> :func:`build_model` (plus
a greedy warm start) -> CP-SAT -> placements -> concrete rooms -> :class:`Timetable`.
The search uses the time it is given: it stops at the time limit or when optimality is
proven, and on a stall (no improvement for ``stall_seconds``) only when asked to. When the
whole model stops improving while a gap remains, large-neighbourhood search
(:mod:`solver.lns`) takes over from the best timetable for the rest of the time; above
``decompose_above`` placements it does all the improving.
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

from solver import cpsat
from solver.bound import aggregated_bound
from solver.bound_beside import BoundBeside
from solver.compile import Instance, compile_scenario
from solver.lns import LnsConfig, large_neighbourhood_search
from solver.model.bound import lp_bound
from solver.model.build import BuiltModel, add_hint, build_model, cap_primary
from solver.model.constraints import all_rows
from solver.model.greedy import repaired_greedy, unplaced_required
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
    # Stop after this long without improvement; None: never while a gap remains (only the tie-breakers
    # stop after max(5 s, a third of the limit) once the primary objective is proven optimal).
    stall_seconds: float | None = None
    lns: bool = True  # hand over to large-neighbourhood search when the whole model stops improving
    handover_seconds: float | None = None  # default: max(3 s, a tenth of the time limit) without improvement
    warm_start: bool = True
    max_presolve_iterations: int | None = 1  # measured: faster first solutions (benchmarks/RESULTS.md)
    log_search: bool = False
    lp_bound: bool = True  # prove bounds with the LP relaxations (GLOP) before the search
    stop: threading.Event | None = None  # set it to stop the search; the best timetable so far is kept
    # Above this many placements the whole model does not fit in 2 GB (measured: 3.5 GB at 511k):
    # large-neighbourhood search then improves the greedy timetable (solver/lns.py).
    decompose_above: int = 250_000
    # Above this many placements, when the aggregated LP leaves a gap, the whole LP runs beside the search in a
    # process of its own (solver/bound_beside.py): before it, it would delay the search by seconds to tens of
    # seconds (GLOP: 8-10 s at 500 requests, not solved in 120 s at 1,000; PDLP: 18 s at 1,000).
    bound_beside_above: int = 45_000  # (Hanoi: 42k, its gaps closed by GLOP in 0.5 s)


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
    lp_bound: int | None = None  # the whole model's LP
    aggregated_bound: int | None = None  # the time-aggregated LP (solver/bound.py)
    lp_seconds: float = 0.0
    optimal_proven_seconds: float | None = None
    stopped_by: str = ""
    lns_seconds: float = 0.0
    lns_rounds: int = 0
    lns_improved: dict[str, int] = field(default_factory=dict)  # neighbourhood -> rounds that improved


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

    def __init__(self, weight: int, started: float, stall_seconds: float | None,
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
        self.handed_over = False  # stopped to let large-neighbourhood search go on
        self.handover_seconds: float | None = None
        self.tie_break_seconds = 5.0
        self.cancelled = False
        self.cap = 2**62  # a bound known before the search (set by solve), or proven beside it
        self.bounds: list[tuple[float, int]] = []  # (seconds, proven bound) as the bound improves
        self.beside: BoundBeside | None = None

    def refresh(self) -> None:
        """Take the bound proven beside the search, when it is better than the one in hand."""
        found = self.beside.best() if self.beside is not None else None
        if found is not None and found < self.cap:
            self.cap = found
            if not self.bounds or found < self.bounds[-1][1]:
                self.bounds.append((round(time.monotonic() - self.started, 3), found))

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
        incumbents.refresh()
        if stop is not None and stop.is_set():
            incumbents.cancelled = True
            solver.stop_search()
            return
        if incumbents.best < 0:
            continue
        idle = time.monotonic() - incumbents.last_improvement
        gap_closed = bool(incumbents.bounds) and incumbents.best >= incumbents.bounds[-1][1]
        if incumbents.stall_seconds is not None and idle > incumbents.stall_seconds or \
                gap_closed and idle > incumbents.tie_break_seconds:
            incumbents.stalled = True
            solver.stop_search()
            return
        if not gap_closed and incumbents.handover_seconds is not None and idle > incumbents.handover_seconds:
            incumbents.handed_over = True
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

    beside = BoundBeside()  # started by the bound's step when the aggregated LP leaves a gap on a large summit
    try:
        return _solve_compiled(instance, config, started, stats, ref, on_progress, beside)
    finally:
        beside.close()
        if beside.found:
            stats.lp_bound = beside.best()
            stats.lp_seconds = beside.found[-1][0]


def _solve_compiled(instance: Instance, config: SolveConfig, started: float, stats: SolveStats, ref: ScenarioRef,
                    on_progress: ProgressHandler | None, beside: BoundBeside) -> SolveResult:
    """The search of a compiled summit whose required events all have a place (see :func:`solve`)."""
    rows = all_rows(instance)
    stats.placements = instance.n_items
    stats.rows = len(rows)
    stats.rows_by_family = rows.count_by_family()
    matrix = RowMatrix.of(rows, instance.n_items)
    greedy = repaired_greedy(instance, rows, matrix, config.workers, config.seed, max(1.0, config.time_limit / 4)) \
        if config.warm_start or instance.n_items > config.decompose_above else None
    if greedy is not None and instance.n_items > config.decompose_above:
        # Too big for one CP-SAT model in 2 GB: improve the greedy timetable one day at a time.
        return _solve_by_lns_alone(instance, rows, matrix, greedy, config, started, stats, ref, on_progress, beside)
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

    # the whole model: presolve on (no complete hint to start from at every size); its stop signal is the stall
    # watcher below, which also ends the search on a stall
    solver = cpsat.Search(max(0.1, config.time_limit - (time.monotonic() - started)), config.workers, config.seed,
                          presolve=True).solver()
    params = solver.parameters
    params.log_search_progress = config.log_search
    if config.max_presolve_iterations is not None:
        params.max_presolve_iterations = config.max_presolve_iterations

    incumbents = _Incumbents(built.objective.weight, started, config.stall_seconds, on_progress)
    incumbents.tie_break_seconds = max(5.0, config.time_limit / 3)
    if config.lns:
        incumbents.handover_seconds = config.handover_seconds or max(3.0, config.time_limit / 10)
    incumbents.cap = trivial_bound
    incumbents.bounds.append((round(time.monotonic() - started, 3), trivial_bound))
    incumbents.beside = beside
    greedy_objective = -1
    if first is not None and stats.greedy_objective is not None:
        greedy_objective = incumbents.best = stats.greedy_objective
        incumbents.history.append(first)
    if config.lp_bound and trivial_bound > max(greedy_objective, 0):
        lp = _proven_bound(instance, built, config, started, stats, greedy_objective, beside)
        if lp is not None and 0 <= lp < trivial_bound:
            trivial_bound = incumbents.cap = lp
            incumbents.bounds.append((round(time.monotonic() - started, 3), lp))
            cap_primary(built, lp)
            if on_progress is not None and greedy_objective >= 0:  # the proven bound is shown when it is proven
                on_progress(Progress(incumbents.bounds[-1][0], greedy_objective, lp))
    if greedy_objective >= trivial_bound:
        stats.optimal_proven_seconds = round(time.monotonic() - started, 3)
    params.max_time_in_seconds = max(0.1, config.time_limit - (time.monotonic() - started))

    solver.best_bound_callback = incumbents.on_bound
    done = threading.Event()
    watcher = threading.Thread(target=_watch_for_stall, args=(solver, incumbents, done, config.stop), daemon=True)
    watcher.start()
    search_started = time.monotonic()
    incumbents.last_improvement = search_started  # the bound's LP time does not count as a stall
    try:
        status = solver.solve(built.model, incumbents)
    finally:
        done.set()
        watcher.join()
    stats.search_seconds = time.monotonic() - search_started
    incumbents.refresh()
    trivial_bound = min(trivial_bound, incumbents.cap)
    if incumbents.history:
        stats.first_solution_seconds = incumbents.history[0].seconds
    gap_closed = incumbents.best >= 0 and bool(incumbents.bounds) and incumbents.best >= incumbents.bounds[-1][1]
    # a search stopped on the tie-break after the gap closed is optimal, not "stalled" (no --stall given)
    stats.stopped_by = ("optimal" if status == cp_model.OPTIMAL or gap_closed else "stall" if incumbents.stalled
                        else "cancelled" if incumbents.cancelled else "handed over" if incumbents.handed_over
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

    if incumbents.handed_over and bound is not None:
        chosen, bound = _improve_by_lns(instance, matrix, chosen, bound, config, started, stats, incumbents)
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


def _proven_bound(instance: Instance, built: BuiltModel | None, config: SolveConfig, started: float,
                  stats: SolveStats, incumbent: int, beside: BoundBeside) -> int | None:
    """The bound before the search: the time-aggregated LP (solver/bound.py, about a second at every size), then,
    if it leaves a gap, the whole LP: here by GLOP on summits up to ``bound_beside_above`` placements (it closes
    Hanoi's gaps in 0.5 s), else beside the search by PDLP (``beside``: its bounds reach the search as they come;
    GLOP took 8-10 s at 500 requests and did not finish in 120 s at 1,000)."""
    share = min(60.0, max(0.5, (config.time_limit - (time.monotonic() - started)) * 0.3))  # of the time left
    lp_started = time.monotonic()
    aggregated = aggregated_bound(instance, max(0.1, min(share, config.time_limit - (time.monotonic() - started))))
    stats.aggregated_bound = aggregated.value
    best = aggregated.value
    left = share - (time.monotonic() - lp_started)
    if best is not None and best <= incumbent:
        pass  # the incumbent is proven optimal
    elif instance.n_items > config.bound_beside_above:
        beside.start(instance.scenario, max(1.0, config.time_limit - (time.monotonic() - started) - 0.5))
    elif built is not None and left > 0.5:
        whole = lp_bound(instance, built.rows, built.objective.item_value,
                         min(left, config.time_limit - (time.monotonic() - started)))
        stats.lp_bound = whole
        if whole is not None and (best is None or whole < best):
            best = whole
    stats.lp_seconds = time.monotonic() - lp_started
    return best


def _improve_by_lns(instance: Instance, matrix: RowMatrix, chosen: IntArray, bound: int, config: SolveConfig,
                    started: float, stats: SolveStats, incumbents: _Incumbents) -> tuple[IntArray, int]:
    """Large-neighbourhood search from ``chosen`` for the rest of the time; its improvements are reported.
    Returns the best timetable and the proven bound (the one beside the search may have improved)."""
    offset = time.monotonic() - started

    def proven() -> int:
        incumbents.refresh()
        return min(bound, incumbents.cap)

    def reached(objective: int) -> None:
        incumbents.report(Progress(round(time.monotonic() - started, 3), objective, proven()))

    lns_config = LnsConfig(time_limit=config.time_limit - offset, workers=config.workers, seed=config.seed,
                           stall_seconds=config.stall_seconds, stop=config.stop, bound_of=proven)
    ledger = large_neighbourhood_search(instance, matrix, chosen, bound, lns_config, reached)
    stats.lns_seconds = round(time.monotonic() - started - offset, 3)
    stats.lns_rounds = ledger.rounds
    stats.lns_improved = dict(ledger.improved)
    stats.stopped_by = ("optimal" if ledger.proven else "cancelled" if config.stop and config.stop.is_set()
                        else "stall" if config.stall_seconds is not None and
                        time.monotonic() - started < config.time_limit - 0.5 else "time limit")
    return ledger.best, proven()


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


def _solve_by_lns_alone(instance: Instance, rows: Rows, matrix: RowMatrix, greedy: IntArray, config: SolveConfig,
                        started: float, stats: SolveStats, ref: ScenarioRef,
                        on_progress: ProgressHandler | None, beside: BoundBeside) -> SolveResult:
    """Above ``decompose_above`` placements the whole model does not fit in memory: large-neighbourhood
    search improves the greedy timetable, each round a sub-model of a few thousand placements."""
    bound = int(sum(int(instance.priority[e]) for e in range(len(instance.events))
                    if not instance.required[e] and instance.event_items[e].size))
    incumbents = _Incumbents(1, started, config.stall_seconds, on_progress)
    incumbents.bounds.append((round(time.monotonic() - started, 3), bound))
    incumbents.cap, incumbents.beside = bound, beside
    complete = not unplaced_required(instance, greedy)
    stats.build_seconds = time.monotonic() - started - stats.compile_seconds
    chosen = greedy
    if complete:
        value = int(instance.priority[[e for e in range(len(instance.events))
                                       if greedy[e] >= 0 and not instance.required[e]]].sum())
        stats.greedy_objective = value
        incumbents.report(Progress(round(time.monotonic() - started, 3), value, bound))
        stats.first_solution_seconds = incumbents.history[0].seconds
        lp = _proven_bound(instance, None, config, started, stats, value, beside) if config.lp_bound else None
        if lp is not None and 0 <= lp < bound:
            bound = incumbents.cap = lp
            incumbents.bounds.append((round(time.monotonic() - started, 3), bound))
        chosen, bound = _improve_by_lns(instance, matrix, greedy, bound, config, started, stats, incumbents)
    stats.search_seconds = time.monotonic() - started - stats.compile_seconds - stats.build_seconds
    if not complete:
        timetable = Timetable(scenario=ref, status="unknown", objective=0, bound=None,
                              solve_seconds=round(time.monotonic() - started, 3),
                              diagnostics=[Diagnostic(code="no_solution_in_time",
                                                      message="the required events could not all be placed in time")])
        return SolveResult(timetable, stats, incumbents.history, incumbents.bounds)
    return _finished(instance, chosen, rows, ref, started, bound, incumbents.history, incumbents.bounds, stats)
