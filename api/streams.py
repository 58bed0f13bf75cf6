"""Progress for server-sent event streams: one poller for every open stream, and a cap on streams per key.

Each stream used to poll the database every 0.25 s from the thread pool; 300 open streams made
``/health`` take 1.7 s. Now one task polls, only while streams are open, with one query for every
watched job (status, attempts, newest progress), and wakes the streams whose job changed; a stream
reads the job only then (or every ``KEEP_ALIVE_SECONDS``).
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from typing import Any

from starlette.concurrency import run_in_threadpool

from api.errors import ApiError
from api.store.repository import Repository

POLL_SECONDS = 0.25
KEEP_ALIVE_SECONDS = 15.0


class Ticket:
    """One open stream: ``changed`` is set when its job's status or progress moves."""

    def __init__(self, hub: ProgressHub, job_id: str, key_id: str) -> None:
        self.hub = hub
        self.job_id = job_id
        self.key_id = key_id
        self.changed = asyncio.Event()
        self.closed = False

    async def wait(self, timeout: float) -> bool:
        """True when the job changed, False after ``timeout`` seconds without a change."""
        try:
            await asyncio.wait_for(self.changed.wait(), timeout)
        except TimeoutError:
            return False
        self.changed.clear()
        return True

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.hub._release(self)


class ProgressHub:
    def __init__(self, repo: Repository, max_per_key: int, interval: float = POLL_SECONDS) -> None:
        self.repo = repo
        self.max_per_key = max_per_key
        self.interval = interval
        self._tickets: dict[str, set[Ticket]] = {}
        self._seen: dict[str, Any] = {}
        self._per_key: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._task: asyncio.Task[None] | None = None

    def open(self, job_id: str, key_id: str) -> Ticket:
        """A ticket for a new stream, or 429 ``too_many_streams`` past the key's cap."""
        with self._lock:
            if self._per_key[key_id] >= self.max_per_key:
                raise ApiError(429, "too_many_streams", f"at most {self.max_per_key} open event streams per key; "
                                                        "close one, or poll GET /jobs/{id}",
                               headers={"Retry-After": "5"})
            self._per_key[key_id] += 1
            ticket = Ticket(self, job_id, key_id)
            self._tickets.setdefault(job_id, set()).add(ticket)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._poll())
        return ticket

    def _release(self, ticket: Ticket) -> None:
        with self._lock:
            self._per_key[ticket.key_id] -= 1
            if self._per_key[ticket.key_id] <= 0:
                del self._per_key[ticket.key_id]
            watchers = self._tickets.get(ticket.job_id, set())
            watchers.discard(ticket)
            if not watchers:
                self._tickets.pop(ticket.job_id, None)
                self._seen.pop(ticket.job_id, None)

    async def _poll(self) -> None:
        while True:
            with self._lock:
                jobs = list(self._tickets)
            if not jobs:
                return
            try:
                states = await run_in_threadpool(self.repo.job_states, jobs)
            except Exception:  # the database is away for a moment: the streams wait, the next poll retries
                states = {}
            with self._lock:
                for job_id, state in states.items():
                    if self._seen.get(job_id) != state:
                        self._seen[job_id] = state
                        for ticket in self._tickets.get(job_id, ()):
                            ticket.changed.set()
            await asyncio.sleep(self.interval)
