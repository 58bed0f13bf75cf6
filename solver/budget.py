"""The time of a search (a solve or a re-plan): its limit, the end of its searches (the answer's reserve before
the limit), the caller's stop, how much slower than its own CPU time the process runs, and the estimates of how
long building a model takes, so that no step starts a model it has no time to build (:meth:`Budget.affords`)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

# About how many placements a second the whole summit's rows (or a model of it) are built at, on this project's
# machine (Hanoi: 42k placements, 0.25 s; 1,000 requests: 200k, about 1 s): steps over the whole summit are
# skipped when the time left cannot cover them.
PLACEMENTS_PER_SECOND = 200_000


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
    shares: dict[str, float] = field(default_factory=dict)  # step -> its share of the search time left

    @classmethod
    def of(cls, started: float, time_limit: float, answer_seconds: float, stop: threading.Event | None,
           slowdown: float = 1.0, shares: dict[str, float] | None = None) -> Budget:
        """``answer_seconds``: what the answer (rooms, reasons, diff) is expected to take after the searches, on
        a machine of its own (scaled by ``slowdown``)."""
        reserve = min(0.4 * time_limit, answer_seconds * slowdown)
        return cls(started, time_limit, started + time_limit - reserve, stop, slowdown, dict(shares or {}))

    @property
    def stopped(self) -> bool:
        return self.stop is not None and self.stop.is_set()

    def left(self) -> float:
        """Seconds left for searching: none once stopped."""
        return 0.0 if self.stopped else self.search_end - time.monotonic()

    def share(self, step: str) -> float:
        """The seconds ``step`` may take now (its share of what is left)."""
        return max(0.0, self.left()) * self.shares[step]

    def build_seconds(self, placements: int, passes: float = 2.0) -> float:
        """About how long building a model of this many placements takes here and now (``passes`` over them)."""
        return passes * placements / PLACEMENTS_PER_SECOND * self.slowdown

    def affords(self, placements: int, margin: float = 0.3, passes: float = 2.0) -> bool:
        """Whether the search time left covers building a model of this many placements and ``margin`` seconds
        of search beside it: a step that cannot is not started."""
        return self.left() > margin + self.build_seconds(placements, passes)

    def remaining(self) -> float:
        """Seconds left before the time limit itself (negative once past it; the stop signal aside)."""
        return self.time_limit - (time.monotonic() - self.started)

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
