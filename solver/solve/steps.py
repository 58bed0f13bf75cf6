"""The solve's steps, in the order they run: prepare (rows, the greedy timetable), the first incumbent (the
greedy timetable, reported before the model is built), the bound before the search, the whole-model search,
the hand-over to large-neighbourhood search, and the answer."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from solver import cpsat
from solver.bound import aggregated_bound
from solver.bound_beside import BoundBeside
from solver.budget import Budget
from solver.compile import Instance
from solver.extract import timetable_from_placements
from solver.lns import LnsConfig, large_neighbourhood_search
from solver.model.bound import LIGHT_ABOVE, lp_bound
from solver.model.build import BuiltModel
from solver.model.constraints import all_rows
from solver.model.greedy import keeps_every_rule, repaired_greedy
from solver.model.occupancy import occupancy_greedy
from solver.model.rows import IntArray, Rows
from solver.model.submodel import RowMatrix
from solver.solve.config import Progress, ProgressHandler, SolveConfig, SolveResult, SolveStats
from solver.solve.incumbents import Incumbents, watch
from solver.timetable import ScenarioRef


@dataclass
class Run:
    """One solve in progress: the compiled summit, what was asked, its time (the :class:`Budget` the re-plan uses
    too), and what it has measured."""

    instance: Instance
    config: SolveConfig
    budget: Budget
    stats: SolveStats
    ref: ScenarioRef
    on_progress: ProgressHandler | None
    beside: BoundBeside
    prepared: Prepared | None = None  # the rows, once prepared (the robust solve's second stage reads them)
    aggregated_left_to_child: bool = False  # the aggregated LP was not run: the whole LP's child is the bound

    @property
    def started(self) -> float:
        return self.budget.started

    def elapsed(self) -> float:
        return self.budget.elapsed()

    def left(self) -> float:
        """Seconds left before the time limit (negative once past it)."""
        return self.budget.remaining()


@dataclass
class Prepared:
    """The greedy timetable (reported as the first incumbent when it places every required event) and the
    summit's rows: None when large-neighbourhood search alone improves a complete greedy timetable (each round
    builds the rows of its own placements: :func:`solver.model.submodel.build_submodel`)."""

    rows: Rows | None
    matrix: RowMatrix | None
    greedy: IntArray | None
    first: Progress | None = None

    def whole(self, instance: Instance) -> tuple[Rows, RowMatrix]:
        """The summit's rows and their matrix, built now if they were not."""
        if self.rows is None or self.matrix is None:
            self.rows = all_rows(instance)
            self.matrix = RowMatrix.of(self.rows, instance.n_items)
        return self.rows, self.matrix


def prepare(run: Run) -> Prepared:
    """The greedy timetable first, from occupancy arrays (:mod:`solver.model.occupancy`: 2 s on a UN week whose
    rows take 20 s), reported at once when it places every required event and keeps every rule; then the rows,
    unless large-neighbourhood search alone goes on from it; the greedy repaired on the rows when its order boxed
    a required event in."""
    instance, config, stats = run.instance, run.config, run.stats
    stats.placements = instance.n_items
    greedy = first = None
    if (config.warm_start or alone(instance, config)) and not instance.facts:  # (facts: a re-plan's waivers)
        greedy = occupancy_greedy(instance)
        if places_every_required(instance, greedy) and keeps_every_rule(instance, greedy):
            first = first_incumbent(run, greedy, trivial_bound(instance))
        else:
            greedy = None
    if first is not None and alone(instance, config):
        run.prepared = Prepared(None, None, greedy, first)
        return run.prepared
    rows = all_rows(instance)
    stats.rows = len(rows)
    stats.rows_by_family = rows.count_by_family()
    matrix = RowMatrix.of(rows, instance.n_items)
    if first is None and (config.warm_start or alone(instance, config)):
        seconds = max(1.0, run.budget.share("greedy"))
        greedy = repaired_greedy(instance, rows, matrix, config.workers, config.seed, seconds)
    run.prepared = Prepared(rows, matrix, greedy, first)
    return run.prepared


def alone(instance: Instance, config: SolveConfig) -> bool:
    """Whether large-neighbourhood search improves the greedy timetable alone, without the whole model: asked
    (``lns_only``, or by the memory plan), or the summit is above ``decompose_above`` placements."""
    return config.lns_only or instance.n_items > config.decompose_above


def trivial_bound(instance: Instance) -> int:
    """Upper bound before any search: every optional event that has a placement at all."""
    return int(sum(int(instance.priority[e]) for e in range(len(instance.events))
                   if not instance.required[e] and instance.event_items[e].size))


def value_of(instance: Instance, chosen: IntArray) -> int:
    """The primary objective of a timetable: the priorities of the optional events it places."""
    return int(instance.priority[[e for e in range(len(instance.events))
                                  if chosen[e] >= 0 and not instance.required[e]]].sum())


def places_every_required(instance: Instance, chosen: IntArray) -> bool:
    return all(chosen[e] >= 0 for e in range(len(instance.events))
               if instance.required[e] and instance.event_items[e].size)


def first_incumbent(run: Run, greedy: IntArray, bound: int) -> Progress:
    """The greedy timetable satisfies every row: it is the first incumbent, reported before the CP-SAT model is
    built (that takes longer than the greedy on summits of every size)."""
    run.stats.greedy_objective = value_of(run.instance, greedy)
    first = Progress(run.elapsed(), run.stats.greedy_objective, bound)
    if run.on_progress is not None:
        run.on_progress(first)
    return first


def proven_bound(run: Run, built: BuiltModel | None, incumbent: int) -> int | None:
    """The bound before the search: the time-aggregated LP (solver/bound.py, about a second at every size), then,
    if it leaves a gap, the whole LP: here by GLOP on summits up to ``bound_beside_above`` placements (it closes
    Hanoi's gaps in 0.5 s), else beside the search by PDLP (``beside``, started with the solve: its bounds reach
    the search as they come; GLOP took 8-10 s at 500 requests and did not finish in 120 s at 1,000)."""
    instance, config, stats = run.instance, run.config, run.stats
    if bound_beside(run) and aggregated_left_to_child(run) and run.beside.process is not None:
        run.aggregated_left_to_child = True  # the whole LP beside is the bound (the aggregated LP comes later if
        return None  # the child fails)
    share = min(60.0, max(0.5, run.budget.share("bound")))
    lp_started = time.monotonic()
    aggregated = aggregated_bound(instance, max(0.1, min(share, run.left())))
    stats.aggregated_bound = aggregated.value
    best = aggregated.value
    left = share - (time.monotonic() - lp_started)
    if best is not None and best <= incumbent:
        run.beside.close()  # the incumbent is proven optimal: the whole LP beside is not needed
    elif bound_beside(run):
        pass  # the whole LP runs beside the search since the solve began (start_bound_beside)
    elif instance.n_items > config.bound_beside_below:
        pass  # the aggregated LP is the bound: the whole LP's child would double the memory for less
    elif built is not None and left > 0.5:
        whole = lp_bound(instance, built.rows, built.objective.item_value, min(left, run.left()))
        stats.lp_bound = whole
        if whole is not None and (best is None or whole < best):
            best = whole
    stats.lp_seconds = time.monotonic() - lp_started
    return best


def aggregated_left_to_child(run: Run) -> bool:
    """Whether the time-aggregated LP is left to the whole LP's child beside the search (run only if the child
    fails): above a million placements, where it would hold 0.8 GB beside the child's 1.4 GB on the UN week; and
    wherever large-neighbourhood search alone improves the greedy timetable, where the child's first round already
    proves less (1,713 / 2,073 / 2,604 against 1,902 / 2,349 / 2,726 at 1,000 / 2,000 / 4,000 requests) and the
    aggregated LP took 0.6-3.5 s of the search's CPU before its first round."""
    return run.instance.n_items > LIGHT_ABOVE or alone(run.instance, run.config)


def bound_after_a_failed_or_lagging_child(run: Run, incumbent: int | None = None) -> int | None:
    """The aggregated LP, once, when it was left to the whole LP's child and the child ended without a bound (the
    job's memory limit, say), or lags: with ``LATE_AGGREGATED["share"]`` of the time left it has proven nothing
    within ``LATE_AGGREGATED["gap"]`` of the ``incumbent`` (on a machine so loaded that its rounds come late: 4,562
    against 2,273 at 4,000 requests, load 6, where the aggregated LP proves 2,719). The search then still answers
    with a useful bound; on a machine with its cores free the child has settled long before (17-48 s at 4,000)."""
    if not run.aggregated_left_to_child:
        return None
    best = run.beside.best()
    lagging = (incumbent is not None and incumbent > 0
               and run.left() < LATE_AGGREGATED["share"] * run.config.time_limit
               and (best is None or best > LATE_AGGREGATED["gap"] * incumbent))
    if not run.beside.failed() and not lagging:
        return None
    run.aggregated_left_to_child = False
    found = aggregated_bound(run.instance, max(LATE_AGGREGATED["least_seconds"], min(60.0, run.left())))
    run.stats.aggregated_bound = found.value
    return found.value


# When the aggregated LP left to the whole LP's child is computed after all though the child runs: with this share of
# the time left, when the child's bound is still above ``gap`` x the incumbent (the aggregated LP's own is 1.12-1.17 x
# at 1,000-4,000 requests), given at least ``least_seconds`` (its build alone takes 3.3 s of CPU at 4,000, 5-10 s at
# load 6; with a tenth of the time left and 3 s, it proved nothing there)
LATE_AGGREGATED: dict[str, float] = {"share": 0.25, "gap": 1.2, "least_seconds": 8.0}


def bound_beside(run: Run) -> bool:
    """Whether this summit's whole LP runs beside the search (its size between ``bound_beside_above`` and
    ``bound_beside_below`` placements, bounds asked)."""
    config = run.config
    return config.lp_bound and config.bound_beside_above < run.instance.n_items <= config.bound_beside_below


def start_bound_beside(run: Run) -> None:
    """Start the whole LP's child at the solve's start, when it will be wanted: its own preparation (compile, rows,
    the LP) then runs while this process prepares the rows, the greedy timetable and the aggregated LP, instead of
    after them (measured at load 9-11: 6 s at 1,000 requests, 20 s at 4,000). Stopped if the aggregated LP proves
    the greedy timetable optimal. Above a million placements the child does not round the LP's solutions: on the UN
    week every round's rounded timetable was below the greedy one (8,450-8,797 against 8,832; PDLP's solution there
    is too fractional), and its perturbed roundings took CPU from the search. It sends the LP's core where the search
    uses it (:func:`lp_core_used`)."""
    if bound_beside(run):
        run.beside.start(run.instance.scenario, max(1.0, run.left() - 0.5), solutions=run.config.lp_guided,
                         rounded=run.config.lp_rounded and child_rounds(run), core=lp_core_used(run))


def child_rounds(run: Run) -> bool:
    """Whether the whole LP's child, beside a large-neighbourhood search, rounds its solutions (up to a million
    placements: see :func:`start_bound_beside`)."""
    return bound_beside(run) and run.config.lns and run.instance.n_items <= LIGHT_ABOVE


def lp_core_used(run: Run) -> bool:
    """Whether the search's rounds re-plan within the whole LP's core (``SolveConfig.lp_core``; solver/lns.py): where
    the child runs and rounds its solutions (up to a million placements; not measured above) and the search is alone
    (1,000 requests and up). Not after the whole model, whose timetable's tie-breakers would drift away, and which at
    500 requests (seed 2) reached the optimum later with the core (benchmarks/RESULTS.md core27)."""
    return run.config.lp_core and child_rounds(run) and alone(run.instance, run.config)


def whole_model_search(run: Run, built: BuiltModel, incumbents: Incumbents) -> tuple[object, cp_model.CpSolver]:
    """CP-SAT on the whole model, presolve on (no complete hint to start from at every size); its stop signal is
    set by the incumbents' watcher: on a stall, at the hand-over to large-neighbourhood search, or on the caller's
    stop."""
    config = run.config
    search = cpsat.Search(max(0.1, run.left()), config.workers, config.seed, presolve=True,
                          max_presolve_iterations=config.max_presolve_iterations, log=config.log_search)
    done, signal = threading.Event(), threading.Event()
    watcher = threading.Thread(target=watch, args=(incumbents, config.stop, done, signal), daemon=True)
    watcher.start()
    search_started = time.monotonic()
    incumbents.last_improvement = search_started  # the bound's LP time does not count as a stall
    try:
        status, solver = cpsat.run(built.model, search, signal, incumbents, incumbents.on_bound)
    finally:
        done.set()
        watcher.join()
    run.stats.search_seconds = time.monotonic() - search_started
    incumbents.refresh()
    if incumbents.history:
        run.stats.first_solution_seconds = incumbents.history[0].seconds
    # a search stopped on the tie-break after the gap closed is optimal, not "stalled" (no --stall given)
    gap_closed = incumbents.best >= 0 and bool(incumbents.bounds) and incumbents.best >= incumbents.bounds[-1][1]
    run.stats.stopped_by = ("optimal" if status == cp_model.OPTIMAL or gap_closed else incumbents.ended_by
                            or ("infeasible" if status == cp_model.INFEASIBLE else "time limit"))
    return status, solver


def improve_by_lns(run: Run, matrix: RowMatrix | None, chosen: IntArray, bound: int,
                   incumbents: Incumbents) -> tuple[IntArray, int]:
    """Large-neighbourhood search from ``chosen`` for the rest of the time; its improvements are reported.
    Returns the best timetable and the proven bound (the one beside the search may have improved)."""
    config, stats = run.config, run.stats
    offset = time.monotonic() - run.started

    def proven(best: int) -> int:
        """The bound proven so far, with the search's best worth ``best`` (the late aggregated LP looks at it)."""
        late = bound_after_a_failed_or_lagging_child(run, best)
        if late is not None and late >= 0:
            incumbents.proven(late)
        incumbents.refresh()
        return min(bound, incumbents.cap)

    def reached(objective: int) -> None:
        incumbents.report(Progress(run.elapsed(), objective, proven(objective)))
        run.beside.search_reached(objective)  # past the child's rounded timetables, it rounds no more

    lns_config = LnsConfig(time_limit=config.time_limit - offset, workers=config.workers, seed=config.seed,
                           stall_seconds=config.stall_seconds, stop=config.stop, bound_of=proven,
                           lp_solution=run.beside.solution if bound_beside(run) and config.lp_guided else None,
                           rounded=run.beside.rounded if bound_beside(run) and config.lp_rounded else None,
                           lp_core=run.beside.core if lp_core_used(run) else None,
                           moves=config.moves, beside_running=run.beside.running, lanes=lns_lanes(run))
    ledger = large_neighbourhood_search(run.instance, matrix, chosen, bound, lns_config, reached)
    stats.lns_seconds = round(time.monotonic() - run.started - offset, 3)
    stats.lns_rounds = ledger.rounds
    stats.lns_improved = dict(ledger.improved)
    stats.lns_merged = (ledger.merged, ledger.refused)
    stats.stopped_by = ("optimal" if ledger.proven else "cancelled" if config.stop and config.stop.is_set()
                        else "stall" if config.stall_seconds is not None and run.left() > 0.5 else "time limit")
    return ledger.best, proven(ledger.objective)


def lns_lanes(run: Run) -> int:
    """Rounds at once (``SolveConfig.lns_lanes``) where large-neighbourhood search alone improves the greedy timetable
    (about 1,000 requests and up), whose rounds are mostly CP-SAT's search; one below, where rounds of a few hundredths
    of a second are mostly the interpreter's (measured at 300 requests, seed 2, 60 s: two lanes made 1,723 rounds
    against one lane's 1,705, and 809 against 811)."""
    return run.config.lns_lanes if alone(run.instance, run.config) else 1


def finished(run: Run, chosen: IntArray, rows: Rows | None, bound: int, incumbents: Incumbents) -> SolveResult:
    """The result for a timetable that places every required event, with its proven bound."""
    run.beside.close()  # the search is over: the answer (the reasons of 3,500 left-out requests take 0.7 GB on
    # the UN week) does not hold the bound's child beside it
    timetable = timetable_from_placements(run.instance, chosen, run.ref, rows)
    timetable.bound = bound
    timetable.status = "optimal" if timetable.objective >= bound else "feasible"
    if timetable.status == "optimal" and run.stats.optimal_proven_seconds is None:
        run.stats.optimal_proven_seconds = run.elapsed()
    timetable.solve_seconds = run.elapsed()
    return SolveResult(timetable, run.stats, incumbents.history, incumbents.bounds)


def chosen_from_solver(instance: Instance, built: BuiltModel, solver: cp_model.CpSolver) -> IntArray:
    values = np.fromiter(solver.response_proto.solution, dtype=np.int64)[: built.n_placements].astype(bool)
    chosen = np.full(len(instance.events), -1, dtype=np.int64)
    on = np.flatnonzero(values)
    chosen[instance.item_event[on]] = on
    return chosen
