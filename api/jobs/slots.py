"""Which waiting job runs next on a service's own job slots (process and thread runners).

A summit day's rules, in order:

1. A re-plan never waits behind comparisons or solves: ``replan_slots`` slots (SUMMIT_REPLAN_SLOTS) run
   nothing but re-plans, and on the shared slots a waiting re-plan goes first.
2. Fair shares between API keys: of the other waiting jobs, the next one is that of the key with the
   fewest jobs running now (a key that queued twenty comparisons does not hold every slot while another
   key's one solve waits); among equals, the oldest.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

URGENT = ("replan",)


@dataclass(frozen=True)
class Waiting:
    """A job waiting for a slot: its id, kind and key (None: the CLI or a server restart)."""

    job_id: str
    kind: str
    owner: str | None
    order: int = 0  # arrival


def next_job(waiting: list[Waiting], running: Counter[str | None], reserved: bool) -> Waiting | None:
    """The job a free slot takes: a reserved slot only a re-plan; a shared one a re-plan first, then the
    key running fewest jobs, then the oldest."""
    candidates = [w for w in waiting if w.kind in URGENT] if reserved else waiting
    if not candidates:
        return None
    return min(candidates, key=lambda w: (w.kind not in URGENT, running[w.owner], w.order))


@dataclass
class SlotQueue:
    """Jobs waiting for ``shared`` slots plus ``reserved`` slots for re-plans; ``run`` is called in the slot's
    thread for each job taken."""

    run: Callable[[str], None]
    shared: int
    reserved: int = 1
    _waiting: list[Waiting] = field(default_factory=list)
    _running: Counter[str | None] = field(default_factory=Counter)
    _closed: bool = False
    _arrivals: itertools.count[int] = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        self._ready = threading.Condition()
        self._threads = [threading.Thread(target=self._slot, args=(index >= self.shared,), daemon=True,
                                          name=f"summit-{'replan' if index >= self.shared else 'job'}-{index}")
                         for index in range(self.shared + self.reserved)]
        for thread in self._threads:
            thread.start()

    def put(self, job_id: str, kind: str, owner: str | None) -> None:
        with self._ready:
            self._waiting.append(Waiting(job_id, kind, owner, next(self._arrivals)))
            self._ready.notify_all()

    def _take(self, reserved: bool) -> Waiting | None:
        with self._ready:
            while not self._closed:
                chosen = next_job(self._waiting, self._running, reserved)
                if chosen is not None:
                    self._waiting.remove(chosen)
                    self._running[chosen.owner] += 1
                    return chosen
                self._ready.wait(timeout=5.0)
            return None

    def _slot(self, reserved: bool) -> None:
        while (taken := self._take(reserved)) is not None:
            try:
                self.run(taken.job_id)
            finally:
                with self._ready:
                    self._running[taken.owner] -= 1
                    self._ready.notify_all()

    def close(self) -> None:
        """Waiting jobs are dropped (left queued in the store: re-queued at the next start)."""
        with self._ready:
            self._closed = True
            self._waiting.clear()
            self._ready.notify_all()
