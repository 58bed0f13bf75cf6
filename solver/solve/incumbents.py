"""The solve's ledger: the improving incumbents and the proven bound over time, and when the whole-model search
should stop (a stall, the tie-breakers' time once the primary objective is proven, the hand-over to
large-neighbourhood search, the caller's stop)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from ortools.sat.python import cp_model

from solver.bound_beside import BoundBeside
from solver.model.objective import primary_of
from solver.solve.config import Progress, ProgressHandler


@dataclass(frozen=True)
class Stops:
    """When the whole-model search ends early: ``stall_seconds`` without improvement (None: never while a gap
    remains), ``tie_break_seconds`` once the primary objective is proven optimal, ``handover_seconds`` without
    improvement while a gap remains (None: no hand-over to large-neighbourhood search)."""

    stall_seconds: float | None = None
    tie_break_seconds: float = 5.0
    handover_seconds: float | None = None


class Incumbents(cp_model.CpSolverSolutionCallback):
    """Records improving incumbents (reported to ``on_progress``) and the proven bound, capped by ``cap`` (a bound
    known before the search) and by the bound proven ``beside`` the search."""

    def __init__(self, weight: int, started: float, on_progress: ProgressHandler | None, cap: int,
                 stops: Stops | None = None, beside: BoundBeside | None = None) -> None:
        super().__init__()
        self.weight, self.started, self.on_progress = weight, started, on_progress
        self.stops = stops or Stops()
        self.cap, self.beside = cap, beside
        self.history: list[Progress] = []
        self.bounds: list[tuple[float, int]] = []  # (seconds, proven bound) as the bound improves
        self.best = -1
        self.last_improvement = time.monotonic()
        self.ended_by: str | None = None  # "stall", "handed over" or "cancelled" when the watcher stopped it
        self.proven(cap)

    def seconds(self) -> float:
        return round(time.monotonic() - self.started, 3)

    def proven(self, bound: int) -> None:
        """A bound proven now: the cap and the curve follow it when it is better."""
        self.cap = min(self.cap, bound)
        if not self.bounds or bound < self.bounds[-1][1]:
            self.bounds.append((self.seconds(), bound))

    def start_from(self, first: Progress) -> None:
        """The greedy timetable, reported before the search, is the incumbent to beat."""
        self.best = first.objective
        self.history.append(first)

    def refresh(self) -> None:
        """Take the bound proven beside the search, when it is better than the one in hand."""
        found = self.beside.best() if self.beside is not None else None
        if found is not None and found < self.cap:
            self.proven(found)

    def on_bound(self, bound: float) -> None:
        proven = min(primary_of(bound, self.weight), self.cap)
        if not self.bounds or proven < self.bounds[-1][1]:
            self.bounds.append((self.seconds(), proven))

    def on_solution_callback(self) -> None:
        objective = primary_of(self.objective_value, self.weight)
        if objective <= self.best:
            return
        self.best = objective
        self.last_improvement = time.monotonic()
        bound = min(primary_of(self.best_objective_bound, self.weight), self.cap)
        self.report(Progress(self.seconds(), objective, bound))

    def report(self, progress: Progress) -> None:
        self.history.append(progress)
        if self.on_progress is not None:
            self.on_progress(progress)

    def why_stop(self, stop: threading.Event | None) -> str | None:
        """Why the search should end now (None: it goes on)."""
        self.refresh()
        if stop is not None and stop.is_set():
            return "cancelled"
        if self.best < 0:
            return None
        idle = time.monotonic() - self.last_improvement
        gap_closed = bool(self.bounds) and self.best >= self.bounds[-1][1]
        if self.stops.stall_seconds is not None and idle > self.stops.stall_seconds or \
                gap_closed and idle > self.stops.tie_break_seconds:
            return "stall"
        if not gap_closed and self.stops.handover_seconds is not None and idle > self.stops.handover_seconds:
            return "handed over"
        return None


def watch(incumbents: Incumbents, stop: threading.Event | None, done: threading.Event,
          signal: threading.Event) -> None:
    """Until ``done``: every 0.1 s, set ``signal`` (the search's stop signal) once the search should end."""
    while not done.wait(0.1):
        reason = incumbents.why_stop(stop)
        if reason is not None:
            incumbents.ended_by = reason
            signal.set()
            return
