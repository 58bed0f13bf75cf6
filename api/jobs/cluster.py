"""What a cluster worker does with a job, whatever carries the tasks (``api.jobs.celery_app``).

The database is the truth. A worker *claims* a job (or one solve of a comparison) under a lease: the
claim is an atomic update that succeeds only on a queued job, or on a running one whose worker has not
renewed its lease for ``job_lease_s`` (that worker is gone). While it runs, a watch thread renews the lease
and reads the job's ``cancel_requested`` flag. Outcomes are written under the claim, so a worker that lost
its job to another never writes a second one: a job ends ``done`` once, with one timetable, however often
its task is delivered. ``attempts`` counts the claims; after ``max_attempts`` the job ends ``failed``.

A comparison fans out: each (variant, seed) solve is a ``job_solves`` row and its own task. Each solve,
once stored, counts the rows still open; the one that finds none gathers the result (a redelivered solve
whose row is already done goes straight to that count, so a worker lost between the two loses nothing).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import func, or_, select, update

from api.jobs.params import CompareParams, params_of
from api.jobs.work import JobExecutor
from api.store.models import Job, JobSolve, utcnow
from api.store.repository import FINISHED, Repository
from solver.compare import BASE, Variant, VariantSpec, build_variants
from solver.kpi import kpis, occupancy
from solver.solve import SolveConfig, solve
from solver.timetable import Timetable
from solver.validate import validate_timetable

log = logging.getLogger(__name__)
WATCH_SECONDS = 0.25

Claimed = Literal["claimed", "finished", "held", "exhausted", "dispatched"]


@dataclass(frozen=True)
class Lease:
    """How long a worker's silence means it is gone, and how many claims a job gets."""

    seconds: float = 30.0
    max_attempts: int = 3

    @property
    def renew_every(self) -> float:
        return max(WATCH_SECONDS, self.seconds / 5)


def _claimable(model: type[Job] | type[JobSolve], lease: Lease, now: datetime | None = None) -> Any:
    stale = (now or utcnow()) - timedelta(seconds=lease.seconds)
    return or_(model.status == "queued",
               (model.status == "running") & (or_(model.heartbeat_at.is_(None), model.heartbeat_at < stale)))


def claim_job(repo: Repository, job_id: str, worker: str, lease: Lease) -> tuple[Claimed, Job | None]:
    """Take the job for this worker: ``claimed`` (run it), ``finished`` (drop the task), ``held`` (another
    worker is alive with it: try later), ``exhausted`` (its workers were lost ``max_attempts`` times: it
    is now failed) or ``dispatched`` (a comparison whose solves were sent: they carry it, send them again)."""
    token = uuid.uuid4().hex
    now = utcnow()
    dispatched = (Job.kind == "compare") & (Job.status == "running") & Job.heartbeat_at.is_(None)
    with repo.session() as s:
        if s.scalar(select(func.count()).select_from(Job).where(Job.id == job_id, dispatched)):
            return "dispatched", s.get(Job, job_id)
        taken = s.execute(update(Job).where(Job.id == job_id, Job.cancel_requested.is_(False),
                                            Job.attempts < lease.max_attempts, _claimable(Job, lease, now))
                          .values(status="running", attempts=Job.attempts + 1, claim=token, worker=worker,
                                  heartbeat_at=now, started_at=now))
        s.commit()
        job = s.get(Job, job_id)
    if job is None or job.status in FINISHED:
        return "finished", job
    if taken.rowcount == 1:  # type: ignore[attr-defined]
        return "claimed", job
    if job.cancel_requested and job.status == "queued":  # asked to stop before any worker had it
        return "finished", repo.finish_job(job_id, "cancelled", error="cancelled before it started")
    with repo.session() as s:
        stale = s.scalar(select(func.count()).select_from(Job).where(Job.id == job_id,
                                                                     _claimable(Job, lease, now)))
    # (judged at the claim's own moment: a lease that lapses between the two reads is not a lost worker too many;
    # and a job with attempts left is only taken by another try, never given up)
    if not stale or (job.attempts < lease.max_attempts and not job.cancel_requested):
        return "held", job
    last = f" (last on {job.worker})" if job.worker else ""
    reason = "cancelled; its worker was lost" if job.cancel_requested else \
        f"its worker was lost {job.attempts} time(s){last}: given up after {lease.max_attempts} attempts"
    status = "cancelled" if job.cancel_requested else "failed"
    return "exhausted", repo.finish_job(job_id, status, error=reason, claim=job.claim)


def release_job(repo: Repository, job: Job) -> None:
    """After a failed try: back to queued (the task is retried), still under this worker's claim."""
    with repo.session() as s:
        s.execute(update(Job).where(Job.id == job.id, Job.claim == job.claim, Job.status == "running")
                  .values(status="queued", claim=None, heartbeat_at=None))
        s.commit()


@contextmanager
def watching(repo: Repository, model: type[Job] | type[JobSolve], ident: Any, claim: str, job_id: str,
             lease: Lease) -> Iterator[threading.Event]:
    """A stop event for the run: set when the job's ``cancel_requested`` flag is (``DELETE /jobs/{id}``) or
    when the claim is lost; meanwhile the lease is renewed every ``lease.renew_every`` seconds."""
    stop, done = threading.Event(), threading.Event()
    job = repo.get_job(job_id)
    if job is not None and job.cancel_requested:  # a cancelled comparison's later solves stop at once
        stop.set()

    def watch() -> None:
        renewed = 0.0
        while not done.wait(WATCH_SECONDS):
            renewed += WATCH_SECONDS
            try:
                if renewed >= lease.renew_every:
                    renewed = 0.0
                    with repo.session() as s:
                        kept = s.execute(update(model).where(model.id == ident, model.claim == claim)
                                         .values(heartbeat_at=utcnow()))
                        s.commit()
                    if kept.rowcount != 1:  # type: ignore[attr-defined]
                        log.warning("lost the claim on %s %s: stopping", model.__tablename__, ident)
                        stop.set()
                current = repo.get_job(job_id)
                if current is not None and current.cancel_requested:
                    stop.set()
            except Exception:  # the database is briefly away: the lease may lapse, the claim guards the outcome
                log.exception("watching job %s", job_id)

    thread = threading.Thread(target=watch, name=f"watch-{job_id}", daemon=True)
    thread.start()
    try:
        yield stop
    finally:
        done.set()
        thread.join(timeout=2)


def run_claimed(repo: Repository, job: Job, lease: Lease, memory_mb: int = 0) -> None:
    """Run a claimed solve or re-plan to its end (a cancel stops it and keeps the best timetable);
    ``memory_mb``: the process's memory limit, named in the error should the job pass it."""
    assert job.claim is not None
    with watching(repo, Job, job.id, job.claim, job.id, lease) as stop:
        JobExecutor(repo, memory_mb=memory_mb).execute(job, stop)


# ------------------------------------------------------------------------------- comparisons

def solve_keys(job: Job) -> list[tuple[str, int]]:
    """Every (variant, seed) of a comparison job, the base first, in the order of the result."""
    params = params_of(CompareParams, job.params)
    names = [BASE] + [str(v["name"]) for v in params.variants]
    return [(name, seed) for name in names for seed in range(params.seeds)]


def open_solves(repo: Repository, job: Job) -> list[tuple[str, int]]:
    """Make the comparison's solve rows (once) and say which are not finished: one task each to send."""
    keys = solve_keys(job)
    with repo.session() as s:
        have = {(r.variant, r.seed): r.status for r in s.scalars(select(JobSolve).where(JobSolve.job_id == job.id))}
        s.add_all(JobSolve(job_id=job.id, variant=name, seed=seed) for name, seed in keys if (name, seed) not in have)
        s.commit()
    return [key for key in keys if have.get(key) not in ("done", "failed")]


def _claim_solve(repo: Repository, job_id: str, variant: str, seed: int, worker: str,
                 lease: Lease) -> tuple[Claimed, JobSolve | None]:
    token, now = uuid.uuid4().hex, utcnow()
    where = (JobSolve.job_id == job_id, JobSolve.variant == variant, JobSolve.seed == seed)
    with repo.session() as s:
        taken = s.execute(update(JobSolve).where(*where, JobSolve.attempts < lease.max_attempts,
                                                 _claimable(JobSolve, lease, now))
                          .values(status="running", attempts=JobSolve.attempts + 1, claim=token, worker=worker,
                                  heartbeat_at=now))
        s.commit()
        row = s.scalar(select(JobSolve).where(*where))
    if row is None or row.status in ("done", "failed"):
        return "finished", row
    if taken.rowcount == 1:  # type: ignore[attr-defined]
        return "claimed", row
    with repo.session() as s:
        stale = s.scalar(select(func.count()).select_from(JobSolve).where(*where, _claimable(JobSolve, lease, now)))
    if not stale or row.attempts < lease.max_attempts:  # (as for a job: only used-up attempts give a solve up)
        return "held", row
    with repo.session() as s:
        s.execute(update(JobSolve).where(JobSolve.id == row.id, JobSolve.claim == row.claim).values(
            status="failed", finished_at=utcnow(),
            error=f"its worker was lost {row.attempts} time(s) (last on {row.worker})"))
        s.commit()
    return "exhausted", row


def _finish_solve(repo: Repository, row: JobSolve, status: str, timetable: dict[str, Any] | None,
                  error: str | None = None) -> bool:
    with repo.session() as s:
        kept = s.execute(update(JobSolve).where(JobSolve.id == row.id, JobSolve.claim == row.claim,
                                                JobSolve.status == "running")
                         .values(status=status, timetable=timetable, error=error, finished_at=utcnow()))
        s.commit()
    return kept.rowcount == 1  # type: ignore[attr-defined, no-any-return]


def run_solve(repo: Repository, job_id: str, variant: str, seed: int, worker: str, lease: Lease) -> Claimed:
    """One (variant, seed) solve of a comparison; the last one in gathers the comparison's result.
    A cancelled comparison's solves still run, stopped at once, so every variant keeps a timetable."""
    job = repo.get_job(job_id)
    if job is None or job.status in FINISHED:
        return "finished"
    outcome, row = _claim_solve(repo, job_id, variant, seed, worker, lease)
    if outcome == "held" or row is None:
        return outcome
    if outcome == "claimed":
        assert row.claim is not None
        log.info("solving %s (seed %d) of comparison %s, attempt %d", variant, seed, job_id, row.attempts)
        try:
            with watching(repo, JobSolve, row.id, row.claim, job_id, lease) as stop:
                timetable = _solve_variant(repo, job, variant, seed, stop)
        except Exception as error:
            log.exception("solve %s (seed %d) of comparison %s failed", variant, seed, job_id)
            if row.attempts < lease.max_attempts:
                with repo.session() as s:
                    s.execute(update(JobSolve).where(JobSolve.id == row.id, JobSolve.claim == row.claim)
                              .values(status="queued", claim=None, heartbeat_at=None))
                    s.commit()
                raise
            _finish_solve(repo, row, "failed", None, f"{type(error).__name__}: {error}")
        else:
            if _finish_solve(repo, row, "done", timetable.model_dump(mode="json")):
                started = job.started_at or utcnow()
                repo.add_progress(job_id, job.attempts, round((utcnow() - started).total_seconds(), 3),
                                  timetable.objective, timetable.bound, label=f"{variant} (seed {seed})")
    gather(repo, job_id)
    return outcome


def _solve_variant(repo: Repository, job: Job, variant: str, seed: int, stop: threading.Event) -> Timetable:
    scenario = _variant_scenarios(repo, job)[variant].scenario
    params = params_of(CompareParams, job.params)
    config = SolveConfig(time_limit=params.time_limit_s, workers=params.workers, seed=seed, stop=stop)
    return solve(scenario, config=config).timetable


def _variant_scenarios(repo: Repository, job: Job) -> dict[str, Variant]:
    version = repo.version_by_id(job.scenario_version_id)
    assert version is not None
    base = repo.scenario_model(version)
    specs = [VariantSpec.model_validate(v) for v in params_of(CompareParams, job.params).variants]
    return {v.name: v for v in build_variants(base, specs)}


def gather(repo: Repository, job_id: str) -> None:
    """When no solve of the comparison is open: its result, as ``solver.compare.run_comparison`` gives it
    (each run also names the worker that ran it), written once under the job's claim."""
    with repo.session() as s:
        rows = list(s.scalars(select(JobSolve).where(JobSolve.job_id == job_id)))
        job = s.get(Job, job_id)
    if job is None or job.status != "running" or any(r.status not in ("done", "failed") for r in rows):
        return
    failed = [r for r in rows if r.status == "failed"]
    if failed and job.cancel_requested:
        repo.finish_job(job_id, "cancelled", claim=job.claim,
                        error=f"cancelled: {len(failed)} of {len(rows)} solve(s) never ran")
        return
    if failed:
        reasons = "; ".join(f"{r.variant} (seed {r.seed}): {r.error}" for r in failed)
        repo.finish_job(job_id, "failed", error=f"{len(failed)} solve(s) failed: {reasons}", claim=job.claim)
        return
    data = comparison_data(repo, job, rows)
    status = "cancelled" if job.cancel_requested else "done"
    if repo.finish_job(job_id, status, result=data, claim=job.claim).status == status:
        log.info("comparison %s gathered: %d solves on %d worker(s)", job_id, len(rows),
                 len({r.worker for r in rows}))


def cancel_queued_solves(repo: Repository, job_id: str) -> list[str]:
    """A cancelled comparison's solves that no worker has taken: ended here (their tasks are to be revoked);
    the task ids returned. Gathers the comparison should nothing else be open."""
    with repo.session() as s:
        rows = list(s.scalars(select(JobSolve).where(JobSolve.job_id == job_id, JobSolve.status == "queued")))
        ended = []
        for row in rows:
            taken = s.execute(update(JobSolve).where(JobSolve.id == row.id, JobSolve.status == "queued")
                              .values(status="failed", error="cancelled before it started", finished_at=utcnow()))
            if taken.rowcount == 1:  # type: ignore[attr-defined]
                ended.append(f"{job_id}:{row.variant}:{row.seed}")
        s.commit()
    gather(repo, job_id)
    return ended


def comparison_data(repo: Repository, job: Job, rows: list[JobSolve]) -> dict[str, Any]:
    """The same shape as ``run_comparison(...).data``: per variant its best run, its KPIs and occupancy."""
    variants = _variant_scenarios(repo, job)
    solved = {(r.variant, r.seed): r for r in rows}
    params = params_of(CompareParams, job.params)
    seeds = params.seeds
    out: list[dict[str, Any]] = []
    for name, variant in variants.items():
        runs = [(seed, Timetable.model_validate(solved[name, seed].timetable), solved[name, seed].worker)
                for seed in range(seeds)]
        seed, chosen, _ = max(runs, key=lambda run: (run[1].objective, -run[0]))
        measured = kpis(variant.scenario, chosen)
        objectives = [t.objective for _, t, _ in runs]
        out.append({
            "name": name,
            "changes": [c.model_dump(mode="json", exclude_none=True) for c in variant.changes],
            "status": chosen.status, "objective": chosen.objective, "bound": chosen.bound,
            "gap": measured.gap, "solve_seconds": chosen.solve_seconds, "best_seed": seed,
            "objective_range": [min(objectives), max(objectives)],
            "runs": [{"seed": s, "status": t.status, "objective": t.objective, "bound": t.bound,
                      "solve_seconds": t.solve_seconds, "worker": w} for s, t, w in runs],
            "violations": [str(v) for v in validate_timetable(variant.scenario, chosen)],
            "kpis": measured.to_dict(),
            "occupancy": occupancy(variant.scenario, chosen),
        })
    started = job.started_at or utcnow()
    return {"base": variants[BASE].scenario.name, "time_limit_s": params.time_limit_s,
            "seeds": seeds, "workers": params.workers, "parallel": len({r.worker for r in rows}),
            "wall_seconds": round((utcnow() - started).total_seconds(), 2), "variants": out}


def lost_jobs(repo: Repository, lease: Lease, queued_for: float = 60.0) -> list[str]:
    """Jobs whose task may be lost (a broker that lost its data, a crash between storing and sending): queued
    for more than ``queued_for`` seconds, or running with a lapsed lease. Sending them again is harmless."""
    old = utcnow() - timedelta(seconds=queued_for)
    with repo.session() as s:
        return list(s.scalars(select(Job.id).where(or_((Job.status == "queued") & (Job.created_at < old),
                                                       (Job.status == "running") & _claimable(Job, lease)))
                              .order_by(Job.created_at)))


SendSolve = Callable[[str, str, int], None]


def dispatch_comparison(repo: Repository, job: Job, send: SendSolve) -> int:
    """Send one task per open solve of a claimed comparison (again after a loss: a solve whose row is
    done is not run twice). The comparison itself then runs in its solves: its lease is theirs, and a
    comparison without one (``heartbeat_at`` empty) is ``dispatched``: sent again, not tried again."""
    keys = open_solves(repo, job)
    for variant, seed in keys:
        send(job.id, variant, seed)
    with repo.session() as s:  # the comparison's own lease is not renewed: its solves carry it
        s.execute(update(Job).where(Job.id == job.id, Job.claim == job.claim).values(heartbeat_at=None))
        s.commit()
    gather(repo, job.id)  # nothing open (a re-dispatch after every solve was in): gather now
    return len(keys)
