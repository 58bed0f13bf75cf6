"""What a re-plan is given: its settings (:class:`ReplanConfig`) and its time (:class:`Budget`), with every share of
the time that a step may take named in one table (:data:`SHARES`), and where the time went (:class:`Phases`)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from solver.replan.plan import DisruptionWeights

# What each step may take of the search time still left when it starts.
SHARES = {
    "keep_most": 0.5,  # a level of the expanding neighbourhood (change, partners, everything)
    "relaxation": 0.6,  # the relaxation around the change's events, when untouched events must move
    "around_relaxation": 0.5,  # the search over the events the relaxation found in the way, from its answer
    "make_way_chain": 0.3,  # the ejection chain of a displaced event that fits nowhere (no search: a start)
    "make_way_around": 0.4,  # the search around what a displaced event's ejection chain moved
    "make_way_whole": 0.8,  # the search over the whole summit from a chain that did not place everything
    "widen_for_freed": 0.5,  # the search again with requests an event's going may let in (its model's build)
    "value_ceiling": 0.2,  # the bound on what the left-out events' people can hold (at most 0.25 s)
    "move_least": 0.5,  # stage B: the least disruption at stage A's value
    "first_climb": 0.5,  # the budget ladder before the search around the change
    "around": 0.5,  # the search around the change (the events beside it may give way)
    "own_rooms": 0.95,  # the relaxation again with each event's own old room priced
}
VALUE_CEILING_CAP = 0.25  # seconds: the value ceiling settles quickly or not at all
MIN_WHOLE_SEARCH = 1.0  # seconds (on a quiet machine): a search over the whole summit needs this much after its build


@dataclass(frozen=True)
class ReplanConfig:
    """How a re-plan runs: its time limit (seconds, model building and the answer included), CP-SAT workers and
    seed, the freeze window after ``now``, what a move costs, and the cap of each search over the whole summit
    that tries to prove a repair minimal when the quick bounds cannot, and the events whose freeze is lifted."""

    time_limit: float = 10.0
    workers: int = 2
    seed: int = 0
    freeze_minutes: int = 60
    weights: DisruptionWeights = field(default_factory=DisruptionWeights)
    proof_seconds: float = 1.5
    unfreeze: frozenset[str] = frozenset()  # events whose freeze the planner lifts (they may move within the window)


@dataclass
class Budget:
    """The re-plan's time: searches end at ``search_end`` (before the limit: building the timetable and its reasons
    takes time too), and none is left once the caller's ``stop`` is set."""

    started: float
    time_limit: float
    search_end: float
    stop: threading.Event | None
    # how much slower than its own CPU time this process runs (others' work on the machine): estimates of how long
    # building a model takes are scaled by it, so that a loaded machine skips what it cannot finish in time
    slowdown: float = 1.0

    @classmethod
    def of(cls, started: float, time_limit: float, answer_seconds: float, stop: threading.Event | None,
           slowdown: float = 1.0) -> Budget:
        """``answer_seconds``: what the answer (rooms, reasons, diff) is expected to take after the searches, on
        a machine of its own (scaled by ``slowdown``)."""
        reserve = min(0.4 * time_limit, answer_seconds * slowdown)
        return cls(started, time_limit, started + time_limit - reserve, stop, slowdown)

    @property
    def stopped(self) -> bool:
        return self.stop is not None and self.stop.is_set()

    def left(self) -> float:
        """Seconds left for searching: none once stopped."""
        return 0.0 if self.stopped else self.search_end - time.monotonic()

    def share(self, step: str) -> float:
        """The seconds ``step`` may take now (its share of what is left)."""
        return max(0.0, self.left()) * SHARES[step]

    def until_limit(self) -> float:
        """Seconds left before the time limit itself (for the answer's explanations), at least half a second."""
        return max(0.5, self.time_limit - (time.monotonic() - self.started))

    def elapsed(self) -> float:
        return round(time.monotonic() - self.started, 3)


MAX_SLOWDOWN = 8.0


def slowdown_since(wall_start: float, cpu_start: float) -> float:
    """Wall time over this thread's CPU time since the given moments (1: the machine is this thread's alone)."""
    cpu = time.thread_time() - cpu_start
    wall = time.monotonic() - wall_start
    return min(MAX_SLOWDOWN, max(1.0, wall / cpu)) if cpu > 0.01 else 1.0


class Phases:
    """Wall time per step of a re-plan (a step met twice adds up)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.monotonic()

    def mark(self, step: str) -> None:
        now = time.monotonic()
        self.seconds[step] = round(self.seconds.get(step, 0.0) + now - self._last, 3)
        self._last = now
