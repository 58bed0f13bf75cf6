"""Running CP-SAT, one way for the whole project: its parameters, a stop signal that interrupts it, a hint of which
placements are on, and the placements of its answer.

Every model of the project has one boolean per placement as its first variables (``solver.model.build``), so a
hint and an answer are both "which placements are on".
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from solver.model.rows import BoolArray, IntArray

# how often a stop signal is looked at while CP-SAT runs (seconds)
STOP_POLL = 0.05


@dataclass(frozen=True)
class Search:
    """How one CP-SAT search runs.

    ``presolve`` is off by default: the project's searches start from a hint or must answer within a fraction of a
    second, and presolve took most of their time (``../shared/docs/cp-sat-notes.md``). No search is core-based:
    CP-SAT 9.15's core search without presolve aborts the whole process on some re-plan proof models ("Check failed:
    !Assignment().VariableIsAssigned(...)", replayed from a saved model; the default search proved it in 2.9 s,
    presolve plus core in 25 s). ``work``: a limit on CP-SAT's deterministic time as well (with one worker, the
    same answer on any machine and under any load: what a test needs)."""

    time_limit: float
    workers: int = 1
    seed: int = 0
    presolve: bool = False
    work: float | None = None
    max_presolve_iterations: int | None = None  # None: CP-SAT's default
    log: bool = False  # CP-SAT's search log on stdout

    def solver(self) -> cp_model.CpSolver:
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(0.01, self.time_limit)
        solver.parameters.num_workers = max(1, self.workers)
        solver.parameters.random_seed = self.seed
        solver.parameters.cp_model_presolve = self.presolve
        if self.work is not None:
            solver.parameters.max_deterministic_time = self.work
        if self.max_presolve_iterations is not None:
            solver.parameters.max_presolve_iterations = self.max_presolve_iterations
        solver.parameters.log_search_progress = self.log
        return solver


def run(model: cp_model.CpModel, search: Search, stop: threading.Event | None = None,
        callback: cp_model.CpSolverSolutionCallback | None = None,
        on_bound: Callable[[float], None] | None = None) -> tuple[Any, cp_model.CpSolver]:
    """Solve ``model``; setting ``stop`` interrupts the search (its best answer so far stands); ``on_bound`` hears
    each improvement of the proven bound. Returns the status and the solver (its answer, bound and statistics)."""
    solver = search.solver()
    if on_bound is not None:
        solver.best_bound_callback = on_bound
    done = threading.Event()

    def watch() -> None:
        while stop is not None and not done.wait(STOP_POLL):
            if stop.is_set():
                solver.stop_search()
                return

    watcher = threading.Thread(target=watch, daemon=True) if stop is not None else None
    if watcher is not None:
        watcher.start()
    try:
        return solver.solve(model, callback), solver
    finally:
        done.set()
        if watcher is not None:
            watcher.join()


def found(status: Any) -> bool:
    return status in (cp_model.OPTIMAL, cp_model.FEASIBLE)


def placements_on(solver: cp_model.CpSolver, n_placements: int) -> BoolArray:
    """Which of the model's first ``n_placements`` variables (its placements) the answer turns on."""
    return np.fromiter(solver.response_proto.solution, dtype=np.int64)[:n_placements].astype(bool)


def hint_placements(model: cp_model.CpModel, on: BoolArray) -> None:
    """Hint the model's placements (its first ``on.size`` variables): those in ``on`` on, every other off."""
    model.clear_hints()
    model.proto.solution_hint.vars.extend(range(on.size))
    model.proto.solution_hint.values.extend(on.astype(np.int64).tolist())


def set_objective(model: cp_model.CpModel, variables: IntArray | list[int], coefs: IntArray | list[int],
                  maximize: bool) -> None:
    """A linear objective over the model's variables (by index), replacing any other."""
    model.clear_objective()
    objective = model.proto.objective
    objective.vars.extend(int(v) for v in variables)
    objective.coeffs.extend(-int(c) if maximize else int(c) for c in coefs)
    objective.scaling_factor = -1.0 if maximize else 1.0
