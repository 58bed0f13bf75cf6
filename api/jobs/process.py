"""The process pool runner: each job runs in a worker process, so solving never holds the server's GIL
and a crash inside the solver cannot take the server down.

Workers talk to the service only through the database: they read the job, write progress and the
outcome, and watch the job's ``cancel_requested`` flag (set by ``DELETE /jobs/{id}``) to stop the search.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from api.jobs.work import JobExecutor
from api.store.db import make_engine
from api.store.repository import Repository

log = logging.getLogger(__name__)
WATCH_SECONDS = 0.25
_repos: dict[str, Repository] = {}


def _repository(database_url: str, sqlite_synchronous: str) -> Repository:
    if database_url not in _repos:
        _repos[database_url] = Repository(make_engine(database_url, sqlite_synchronous))
    return _repos[database_url]


def run_job(database_url: str, sqlite_synchronous: str, job_id: str, parent: int) -> None:
    """In a worker process: run one job; stop when asked; exit if the server has gone."""
    repo = _repository(database_url, sqlite_synchronous)
    stop, done = threading.Event(), threading.Event()

    def watch() -> None:
        while not done.wait(WATCH_SECONDS):
            if os.getppid() != parent:  # the server died: leave the job to be re-queued at its next start
                os._exit(3)
            job = repo.get_job(job_id)
            if job is not None and job.cancel_requested:
                stop.set()

    threading.Thread(target=watch, name=f"watch-{job_id}", daemon=True).start()
    try:
        JobExecutor(repo)(job_id, stop)
    finally:
        done.set()


def warm_up() -> None:
    """Imported in a fresh worker so that the first job does not wait for the solver's imports."""
    import solver.replan  # noqa: F401
    import solver.solve  # noqa: F401


class ProcessRunner:
    """At most ``max_workers`` jobs at once, each in a worker process; the rest wait in order.

    If a worker dies (a crash inside the solver), the pool is rebuilt: the job it was running is
    marked failed, the jobs still waiting are submitted again.
    """

    def __init__(self, repo: Repository, database_url: str, max_workers: int, sqlite_synchronous: str = "NORMAL",
                 target: Callable[[str, str, str, int], None] = run_job) -> None:
        self.repo = repo
        self.database_url = database_url
        self.sqlite_synchronous = sqlite_synchronous
        self.max_workers = max_workers
        self._target = target
        self._lock = threading.Lock()
        self._closing = False
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        pool = ProcessPoolExecutor(max_workers=self.max_workers, mp_context=multiprocessing.get_context("spawn"))
        for _ in range(self.max_workers):
            pool.submit(warm_up)
        return pool

    def submit(self, job_id: str) -> None:
        with self._lock:
            args = (self.database_url, self.sqlite_synchronous, job_id, os.getpid())
            try:
                future = self._pool.submit(self._target, *args)
            except BrokenProcessPool:
                self._pool = self._new_pool()
                future = self._pool.submit(self._target, *args)
        future.add_done_callback(lambda done: self._finished(job_id, done))

    def _finished(self, job_id: str, future: Future[None]) -> None:
        if self._closing or future.cancelled() or future.exception() is None:
            return
        error = future.exception()
        job = self.repo.get_job(job_id)
        if job is None:
            return
        if job.status == "queued":  # it never started: the pool broke under it
            self.submit(job_id)
        elif job.status == "running":
            log.error("worker running job %s died: %r", job_id, error)
            self.repo.finish_job(job_id, "failed", error=f"the worker process died: {error!r}")

    def cancel(self, job_id: str) -> bool:
        return True  # the worker sees the job's cancel_requested flag in the database

    def shutdown(self) -> None:
        """Stop now: running jobs stay 'running' in the database and are re-queued at the next start."""
        self._closing = True
        with self._lock:
            processes = list(getattr(self._pool, "_processes", {}).values())  # no public way to reach them
            self._pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.kill()
