"""The cluster's own recovery: every running server sweeps the jobs table now and then and sends again
what no worker holds any more, whatever the broker.

Two kinds of job are lost without anyone saying so:

- *lapsed*: running, but its worker has not renewed its lease for ``lease.seconds`` (killed with -9, its
  machine gone). The sweep puts it back to ``queued`` (its old claim is void: should that worker still be
  alive it stops at its next renewal) and sends its task again; the next worker claims it as a new attempt
  (``max_attempts`` still ends it ``failed``).
- *stranded*: queued, and neither sent nor claimed for ``lease.seconds`` (a broker restarted without its
  data, a crash between storing and sending). The sweep sends its task again.

A comparison's solves (``job_solves``) are swept the same way, each its own task. Sending is marked in the
row itself (``heartbeat_at`` of a queued row is when it was last sent) by a conditional update: of several
servers sweeping at once only the one whose update took the row sends it. On PostgreSQL the whole sweep is
also taken by one server at a time (a transaction-level advisory lock); SQLite serialises the writes
itself. A repeat is harmless anyway: the claims in the database refuse a second run.

With the default lease of 30 s and a sweep every ``lease.seconds / 2``, a killed worker's job is sent again
within 45 s of its last renewal, under twice the lease.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, text, update
from sqlalchemy.orm import Session

from api.jobs.cluster import Lease
from api.store.models import Job, JobSolve, utcnow
from api.store.repository import Repository

log = logging.getLogger(__name__)
SWEEP_LOCK = 27_0004  # the advisory lock's number on PostgreSQL (any constant the service alone uses)

SendJob = Callable[[str], None]
SendSolve = Callable[[str, str, int], None]


@dataclass
class Swept:
    """What one sweep did: jobs and solves sent again, jobs ended (cancelled while their worker was gone)."""

    jobs: list[str] = field(default_factory=list)
    solves: list[tuple[str, str, int]] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    skipped: bool = False  # another server held the sweep


def _take_sweep_lock(s: Session) -> bool:
    """One server at a time on PostgreSQL; elsewhere the conditional updates keep sends single."""
    if s.get_bind().dialect.name != "postgresql":
        return True
    return bool(s.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": SWEEP_LOCK}).scalar())


def _lost_job_ids(s: Session, lease: Lease, now: datetime) -> list[tuple[str, bool]]:
    """(id, cancel asked) of lapsed solve/re-plan jobs and stranded queued jobs (a dispatched comparison,
    running without a lease of its own, is carried by its solves: not here)."""
    stale = now - timedelta(seconds=lease.seconds)
    lapsed = (Job.status == "running") & Job.heartbeat_at.is_not(None) & (Job.heartbeat_at < stale)
    stranded = (Job.status == "queued") & (func.coalesce(Job.heartbeat_at, Job.created_at) < stale)
    rows = s.execute(select(Job.id, Job.cancel_requested).where(or_(lapsed, stranded)).order_by(Job.created_at))
    return [(row[0], bool(row[1])) for row in rows]


def _mark_sent(s: Session, job_id: str, lease: Lease, now: datetime) -> bool:
    """Queued again and marked sent now, if nobody did so (or claimed it) since it was read."""
    stale = now - timedelta(seconds=lease.seconds)
    still_lost = or_((Job.status == "running") & (Job.heartbeat_at < stale),
                     (Job.status == "queued") & (func.coalesce(Job.heartbeat_at, Job.created_at) < stale))
    taken = s.execute(update(Job).where(Job.id == job_id, still_lost)
                      .values(status="queued", claim=None, heartbeat_at=now))
    return taken.rowcount == 1  # type: ignore[attr-defined, no-any-return]


def _lost_solves(s: Session, lease: Lease, now: datetime) -> list[tuple[int, str, str, int]]:
    """Solves of running comparisons whose worker is gone, or queued and unsent for ``lease.seconds``."""
    stale = now - timedelta(seconds=lease.seconds)
    lapsed = (JobSolve.status == "running") & (JobSolve.heartbeat_at < stale)
    stranded = (JobSolve.status == "queued") & (func.coalesce(JobSolve.heartbeat_at, Job.started_at) < stale)
    rows = s.execute(select(JobSolve.id, JobSolve.job_id, JobSolve.variant, JobSolve.seed)
                     .join(Job, Job.id == JobSolve.job_id)
                     .where(Job.status == "running", or_(lapsed, stranded)).order_by(JobSolve.id))
    return [(int(r[0]), str(r[1]), str(r[2]), int(r[3])) for r in rows]


def _mark_solve_sent(s: Session, row_id: int, lease: Lease, now: datetime) -> bool:
    stale = now - timedelta(seconds=lease.seconds)
    still_lost = or_(and_(JobSolve.status == "running", JobSolve.heartbeat_at < stale),
                     and_(JobSolve.status == "queued",
                          or_(JobSolve.heartbeat_at.is_(None), JobSolve.heartbeat_at < stale)))
    taken = s.execute(update(JobSolve).where(JobSolve.id == row_id, still_lost)
                      .values(status="queued", claim=None, heartbeat_at=now))
    return taken.rowcount == 1  # type: ignore[attr-defined, no-any-return]


def sweep(repo: Repository, lease: Lease, send_job: SendJob, send_solve: SendSolve,
          now: datetime | None = None) -> Swept:
    """Send again every lost job and solve (see the module's docstring); ``now`` for tests."""
    now = now or utcnow()
    swept = Swept()
    with repo.session() as s:
        if not _take_sweep_lock(s):
            swept.skipped = True
            return swept
        for job_id, cancelled in _lost_job_ids(s, lease, now):
            if cancelled:
                swept.cancelled.append(job_id)
            elif _mark_sent(s, job_id, lease, now):
                swept.jobs.append(job_id)
        for row_id, job_id, variant, seed in _lost_solves(s, lease, now):
            if _mark_solve_sent(s, row_id, lease, now):
                swept.solves.append((job_id, variant, seed))
        s.commit()  # marked before sending: a send that fails is tried again at the next sweep's lapse
    for job_id in swept.cancelled:
        repo.finish_job(job_id, "cancelled", error="cancelled while no worker held it")
    _send_all(swept, send_job, send_solve)
    return swept


def _send_all(swept: Swept, send_job: SendJob, send_solve: SendSolve) -> None:
    for job_id in swept.jobs:
        try:
            send_job(job_id)
        except Exception as error:  # the broker is away: the row stays queued and is swept again
            log.warning("could not send lost job %s again: %r", job_id, error)
    for job_id, variant, seed in swept.solves:
        try:
            send_solve(job_id, variant, seed)
        except Exception as error:
            log.warning("could not send solve %s (seed %d) of comparison %s again: %r", variant, seed, job_id, error)
    if swept.jobs or swept.solves or swept.cancelled:
        log.warning("sweep: sent again %d lost job(s) and %d lost solve(s); %d cancelled job(s) ended",
                    len(swept.jobs), len(swept.solves), len(swept.cancelled))


class Sweeper:
    """A server's sweeping thread: ``sweep`` every ``lease.seconds / 2`` until stopped."""

    def __init__(self, repo: Repository, lease: Lease, send_job: SendJob, send_solve: SendSolve) -> None:
        self.repo, self.lease, self.send_job, self.send_solve = repo, lease, send_job, send_solve
        self.period = max(0.5, lease.seconds / 2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="summit-sweep", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.period):
            try:
                sweep(self.repo, self.lease, self.send_job, self.send_solve)
            except Exception as error:  # the database is briefly away: next time
                log.warning("sweep failed: %r", error)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)


@dataclass(frozen=True)
class JobsHealth:
    """For ``GET /health``: how many jobs wait or run, and how many look lost."""

    queued: int
    running: int
    waiting_over_minute: int  # queued for more than a minute (since stored or last sent)
    running_without_lease: int | None  # cluster: running, its worker silent past the lease (None elsewhere)
    oldest_wait_s: float | None

    @property
    def degraded(self) -> bool:
        return bool(self.waiting_over_minute or self.running_without_lease)


def jobs_health(repo: Repository, lease: Lease | None, now: datetime | None = None) -> JobsHealth:
    """Counts for /health; ``lease`` on a cluster (where running jobs hold leases)."""
    now = now or utcnow()
    waiting_since = func.coalesce(Job.heartbeat_at, Job.created_at)
    with repo.session() as s:
        counts = dict(s.execute(select(Job.status, func.count()).where(Job.status.in_(("queued", "running")))
                                .group_by(Job.status)).all())
        oldest = s.scalar(select(func.min(Job.created_at)).where(Job.status == "queued"))
        over = s.scalar(select(func.count()).select_from(Job).where(
            Job.status == "queued", waiting_since < now - timedelta(seconds=60)))
        lapsed = None
        if lease is not None:
            stale = now - timedelta(seconds=lease.seconds)
            lapsed = s.scalar(select(func.count()).select_from(Job).where(
                Job.status == "running", Job.heartbeat_at < stale)) or 0
            lapsed += s.scalar(select(func.count()).select_from(JobSolve).where(
                JobSolve.status == "running", JobSolve.heartbeat_at < stale)) or 0
    wait = None if oldest is None else round(max(0.0, (now - oldest).total_seconds()), 1)
    return JobsHealth(queued=int(counts.get("queued", 0)), running=int(counts.get("running", 0)),
                      waiting_over_minute=int(over or 0), running_without_lease=lapsed, oldest_wait_s=wait)
