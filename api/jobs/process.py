"""The process runner: each job runs in a process of its own, so solving never holds the server's GIL, a
crash inside the solver takes down only its job, and every job's memory and time are bounded.

Workers talk to the service only through the database: they read the job, write progress and the
outcome, and watch the job's ``cancel_requested`` flag (set by ``DELETE /jobs/{id}``) to stop the search.

Processes are forked from a fork server that has imported the solver already (a job starts in
milliseconds, not the seconds the imports take). Limits each job process sets on itself
(:func:`apply_limits`): its address space (``resource.setrlimit``, so a model too big fails its job
instead of the machine), death with its parent (``PR_SET_PDEATHSIG``: the fork server exits when the
server dies, its jobs with it), and in :func:`run_job` a watchdog. A job asked to stop that has not
stopped after ``STOP_GRACE_SECONDS`` and has no incumbent (it is still building its model: no search to
stop), or after ``KEEP_INCUMBENT_SECONDS`` with one, is recorded as cancelled and its process exits; a job
past its time limit by ``overrun_grace`` (building counts) is recorded as failed and exits.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import resource
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from typing import Any

from api.jobs.slots import SlotQueue
from api.jobs.work import JobExecutor
from api.store.db import make_engine
from api.store.repository import Repository

log = logging.getLogger(__name__)
WATCH_SECONDS = 0.25
STOP_GRACE_SECONDS = 3.0  # DELETE /jobs/{id} waits 5 s for the job to stop
KEEP_INCUMBENT_SECONDS = 30.0  # a stopped job with a timetable in hand may finish building to keep it
# (not alns, the large-neighbourhood search's loop, imported by solver/lns.py only when it runs: with matplotlib it
# takes 1.1 s of the fork server's 4.9 s of imports at load 10, which the first job after a (re)start waits for, a
# summit day's report among them; a solve that needs it runs for tens of seconds)
PRELOAD = ["api.jobs.work", "solver.solve", "solver.replan", "solver.explain", "solver.compare"]
_PR_SET_PDEATHSIG = 1
WARM_SECONDS = 120.0  # the fork server's imports on a loaded machine take seconds, not minutes
_repos: dict[str, Repository] = {}


@dataclass(frozen=True)
class JobLimits:
    memory_mb: int = 0  # the job process's address space; 0: unlimited
    explain_time_limit_s: float = 10.0

    def overrun_grace(self, time_limit: float) -> float:
        """How long past its time limit a job may take to finish (assigning rooms, storing) before it is stopped."""
        return 60.0 + 0.5 * time_limit  # a backstop: the size limits bound the building; a loaded machine slows it


_limits = JobLimits()  # set by apply_limits in a job process


def _repository(database_url: str, sqlite_synchronous: str) -> Repository:
    if database_url not in _repos:
        _repos[database_url] = Repository(make_engine(database_url, sqlite_synchronous))
    return _repos[database_url]


def die_with_parent(parent: int) -> None:
    """Ask Linux to kill this process when its parent exits (elsewhere: the watchdog's parent check)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # it died before the request took effect
        os._exit(3)


def _server_alive(server: int) -> bool:
    """The server is this process's parent (a pool), or alive beside its fork server."""
    if os.getppid() == server:
        return True
    try:
        os.kill(server, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # a process of another user has taken the number: ours is gone
        return False
    return os.getppid() != 1


def apply_limits(limits: JobLimits) -> None:
    """In a job process: cap its address space; remembered for the job's watchdog and error messages."""
    global _limits
    _limits = limits
    if limits.memory_mb > 0:
        cap = limits.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def job_seconds(kind: str, params: dict[str, Any], limits: JobLimits) -> float:
    """The job's own time limit (a comparison: every solve of it)."""
    if kind == "explain":
        return float(params.get("time_limit_s") or limits.explain_time_limit_s)
    limit = float(params.get("time_limit_s") or 0)
    if kind == "compare":
        limit *= (len(params.get("variants") or []) + 1) * int(params.get("seeds") or 1)
    return limit


def run_job(database_url: str, sqlite_synchronous: str, job_id: str, parent: int) -> None:
    """In a worker process: run one job; stop when asked; exit if the server has gone or the job overruns."""
    repo = _repository(database_url, sqlite_synchronous)
    stop, done = threading.Event(), threading.Event()
    job = repo.get_job(job_id)
    if job is None:
        return
    deadline = time.monotonic() + (limit := job_seconds(job.kind, job.params, _limits)) + _limits.overrun_grace(limit)

    def give_up(status: str, error: str) -> None:
        if not done.is_set():
            repo.finish_job(job_id, status, error=error)
            os._exit(0)

    def watch() -> None:
        asked_at: float | None = None
        while not done.wait(WATCH_SECONDS):
            if not _server_alive(parent):  # leave the job to be re-queued at the server's next start
                os._exit(3)
            now = time.monotonic()
            current = repo.get_job(job_id)
            if asked_at is None and current is not None and current.cancel_requested:
                stop.set()
                asked_at = now
            if asked_at is not None and now - asked_at > STOP_GRACE_SECONDS and (
                    not _has_incumbent(repo, job_id) or now - asked_at > KEEP_INCUMBENT_SECONDS):
                give_up("cancelled", "stopped while its model was being built: no timetable kept")
            if now > deadline:
                stop.set()
                give_up("failed", f"stopped: the job ran past its time limit of {limit:g} s by more than "
                                  f"{_limits.overrun_grace(limit):g} s (building the model counts); give it a "
                                  f"longer time limit, or make the scenario smaller")

    threading.Thread(target=watch, name=f"watch-{job_id}", daemon=True).start()
    try:
        JobExecutor(repo, memory_mb=_limits.memory_mb)(job_id, stop)
    finally:
        done.set()


def _has_incumbent(repo: Repository, job_id: str) -> bool:
    """The job has reported a timetable (the greedy one comes before the model is built): it stops by itself
    once its search starts, keeping its best timetable, so it is given ``KEEP_INCUMBENT_SECONDS`` for that."""
    state = repo.job_states([job_id]).get(job_id)
    return state is not None and state[2] > 0


def _job_process(target: Callable[[str, str, str, int], None], limits: JobLimits, database_url: str,
                 sqlite_synchronous: str, job_id: str, parent: int) -> None:
    die_with_parent(os.getppid())
    apply_limits(limits)
    target(database_url, sqlite_synchronous, job_id, parent)


def _nothing() -> None:
    """What the warming process does: its start is the point (the fork server has imported the solver)."""


def _context() -> Any:
    try:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        return context
    except ValueError:  # no fork server on this platform
        return multiprocessing.get_context("spawn")


class ProcessRunner:
    """At most ``max_workers`` jobs at once (and ``max_explanations`` explanations and ``replan_slots``
    re-plans beside them), each in a process of its own; the rest wait, re-plans first, then fairly between
    keys (``api.jobs.slots``). A process that dies (a crash in the solver, the memory
    limit) fails its job alone."""

    def __init__(self, repo: Repository, database_url: str, max_workers: int, sqlite_synchronous: str = "NORMAL",
                 target: Callable[[str, str, str, int], None] = run_job, limits: JobLimits | None = None,
                 max_explanations: int = 1, replan_slots: int = 1) -> None:
        self.repo = repo
        self.database_url = database_url
        self.sqlite_synchronous = sqlite_synchronous
        self.max_workers = max_workers
        self.limits = limits or JobLimits()
        self._target = target
        self._context = _context()
        self._lock = threading.Lock()
        self._closing = False
        self._processes: dict[str, BaseProcess] = {}
        self._jobs = SlotQueue(self._run, shared=max_workers, reserved=replan_slots)  # re-plans first, fair shares
        self._explanations = ThreadPoolExecutor(max_explanations, thread_name_prefix="summit-explain")
        # (the fork server imports the solver when first asked for a process: seconds the first job would wait,
        # the summit day's first report or the first after a restart; started now, beside the server's start)
        threading.Thread(target=self.warm, name="summit-warm", daemon=True).start()

    def warm(self, timeout: float = WARM_SECONDS) -> None:
        """Start the fork server (and its imports of the solver) with a process that does nothing."""
        try:
            process = self._context.Process(target=_nothing, name="summit-warm")
            process.start()
            process.join(timeout)
        except Exception:  # (the first job starts it then)
            log.warning("the fork server could not be warmed", exc_info=True)

    def submit(self, job_id: str) -> None:
        job = self.repo.get_job(job_id)
        if job is not None and job.kind == "explain":
            self._explanations.submit(self._run, job_id)
        else:
            self._jobs.put(job_id, job.kind if job else "solve", job.created_by if job else None)

    def _run(self, job_id: str) -> None:
        if self._closing:
            return
        process = self._context.Process(
            target=_job_process, name=f"summit-job-{job_id}",
            args=(self._target, self.limits, self.database_url, self.sqlite_synchronous, job_id, os.getpid()))
        with self._lock:
            if self._closing:
                return
            try:
                process.start()
            except Exception as error:  # no process to be had (out of memory, the fork server gone)
                log.exception("could not start the process of job %s", job_id)
                self.repo.finish_job(job_id, "failed", error=f"no worker process could be started: {error}")
                return
            self._processes[job_id] = process
        try:
            process.join()
        finally:
            with self._lock:
                self._processes.pop(job_id, None)
        if not self._closing and process.exitcode not in (0, None):
            self._died(job_id, process.exitcode)

    def _died(self, job_id: str, exitcode: int) -> None:
        job = self.repo.get_job(job_id)
        if job is None or job.status not in ("queued", "running"):  # queued: it died before it began (importing)
            return
        how = f"signal {signal.Signals(-exitcode).name}" if exitcode < 0 else f"exit code {exitcode}"
        memory = (f"; it may have passed its memory limit of {self.limits.memory_mb} MB (SUMMIT_JOB_MEMORY_MB)"
                  if self.limits.memory_mb and exitcode in (-signal.SIGABRT, -signal.SIGSEGV, -signal.SIGKILL, 1)
                  else "")
        when = "" if job.status == "running" else " before the job started"
        log.error("the process of job %s died%s (%s)", job_id, when, how)
        self.repo.finish_job(job_id, "failed", error=f"the worker process died{when} ({how}){memory}")

    def cancel(self, job_id: str) -> bool:
        return True  # the worker sees the job's cancel_requested flag in the database

    def shutdown(self) -> None:
        """Stop now: running jobs stay 'running' in the database and are re-queued at the next start."""
        with self._lock:
            self._closing = True
            processes = list(self._processes.values())
        for process in processes:
            process.kill()
        self._jobs.close()
        self._explanations.shutdown(wait=False, cancel_futures=True)
