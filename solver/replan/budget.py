"""What a re-plan is given: its settings (:class:`ReplanConfig`) and its time (:class:`Budget`, shared with the solve:
solver/budget.py), with every share of the time that a step may take named in one table (:data:`SHARES`), and where
the time went (:class:`Phases`)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from solver.budget import MAX_SLOWDOWN, Budget, slowdown_since
from solver.replan.plan import DisruptionWeights

__all__ = ["MAX_SLOWDOWN", "SHARES", "Budget", "Phases", "ReplanConfig", "slowdown_since"]

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
    # after a report the push left a required event out: the required events alone, placed first (give_way.py); on
    # Hanoi a first placement takes 1-1.5 s at load 8, and the searches after it rarely repair such a cascade
    "required_placed": 0.8,
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
    # the robust re-plan (solver/slack.py): the events the repair moves go, among their places of no more
    # disruption, where overruns cascade less; None: the scenario's overruns.robust
    robust: bool | None = None


class Phases:
    """Wall time per step of a re-plan (a step met twice adds up)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.monotonic()

    def mark(self, step: str) -> None:
        now = time.monotonic()
        self.seconds[step] = round(self.seconds.get(step, 0.0) + now - self._last, 3)
        self._last = now
