"""The runner interface the routes use, and the local bounded pool behind it.

A distributed runner (Celery workers reading the same database) only needs ``submit``,
``cancel`` and ``shutdown``; the routes never see more than :class:`JobRunner`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

log = logging.getLogger(__name__)

Execute = Callable[[str, threading.Event], None]


class JobRunner(Protocol):
    def submit(self, job_id: str) -> None:
        """Queue a stored job; it runs when a slot is free."""

    def cancel(self, job_id: str) -> bool:
        """Ask a running job to stop (it keeps its best result); False if this runner does not hold it."""

    def shutdown(self) -> None:
        """Stop taking jobs and ask the running ones to stop."""


class LocalRunner:
    """At most ``max_workers`` jobs at once in threads (CP-SAT releases the GIL); the rest wait in order."""

    def __init__(self, execute: Execute, max_workers: int, closing: threading.Event | None = None) -> None:
        self._execute = execute
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="summit-job")
        self._stops: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self.closing = closing or threading.Event()

    def submit(self, job_id: str) -> None:
        with self._lock:
            stop = self._stops.setdefault(job_id, threading.Event())
        self._pool.submit(self._run, job_id, stop)

    def _run(self, job_id: str, stop: threading.Event) -> None:
        try:
            self._execute(job_id, stop)
        except Exception:  # the executor records failures itself; this is the last guard
            log.exception("job %s crashed", job_id)
        finally:
            with self._lock:
                self._stops.pop(job_id, None)

    def cancel(self, job_id: str) -> bool:
        with self._lock:
            stop = self._stops.get(job_id)
        if stop is None:
            return False
        stop.set()
        return True

    def shutdown(self) -> None:
        """Running jobs stop and are left 'running' in the store (the executor sees ``closing``): re-queued
        at the next start."""
        self.closing.set()
        with self._lock:
            for stop in self._stops.values():
                stop.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
