"""What one job does: load its inputs from the store, call the solver, store the outcome.

No scheduling here: ``solver.solve`` and ``solver.replan.resolve`` do it all.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime

from api.store.models import Job
from api.store.repository import Repository
from solver.changes import parse_changes
from solver.compare import RunEvent, RunSettings, VariantSpec, build_variants, run_comparison
from solver.replan import resolve
from solver.solve import Progress, SolveConfig, solve

log = logging.getLogger(__name__)


class JobExecutor:
    """Runs one stored job. When ``closing`` is set (the server shuts down), the outcome is not recorded:
    the job stays 'running' and is re-queued at the next start."""

    def __init__(self, repo: Repository, closing: threading.Event | None = None) -> None:
        self.repo = repo
        self.closing = closing or threading.Event()

    def __call__(self, job_id: str, stop: threading.Event) -> None:
        job = self.repo.start_job(job_id)
        if job is None:  # cancelled while queued, or taken by another runner
            return
        try:
            self.execute(job, stop)
        except Exception as error:
            log.exception("job %s failed", job_id)
            if not self.closing.is_set():
                self.repo.finish_job(job_id, "failed", error=f"{type(error).__name__}: {error}")

    def execute(self, job: Job, stop: threading.Event) -> None:
        """Run a started job and store its outcome (under the job's claim, on a cluster); errors propagate."""
        if job.kind == "solve":
            self._solve(job, stop)
        elif job.kind == "compare":
            self._compare(job, stop)
        else:
            self._replan(job, stop)

    def _solve(self, job: Job, stop: threading.Event) -> None:
        job_id, attempt, params = job.id, job.attempts, job.params
        version = self.repo.version_by_id(job.scenario_version_id)
        assert version is not None
        scenario = self.repo.scenario_model(version)

        def on_progress(progress: Progress) -> None:
            self.repo.add_progress(job_id, attempt, round(progress.seconds, 3), progress.objective, progress.bound)

        config = SolveConfig(time_limit=float(params["time_limit_s"]),  # type: ignore[arg-type]
                             workers=int(params["workers"]), seed=int(params["seed"]),  # type: ignore[call-overload]
                             stall_seconds=_stall(params), stop=stop)
        result = solve(scenario, on_progress=on_progress, config=config)
        if self.closing.is_set():
            return
        final = result.timetable
        if final.status in ("optimal", "feasible"):  # the last point carries the proven bound (often found last)
            self.repo.add_progress(job_id, attempt, round(final.solve_seconds, 3), final.objective, final.bound)
        status = "cancelled" if stop.is_set() else "done"
        self.repo.finish_job(job_id, status, timetable=result.timetable, claim=job.claim,
                             result={"status": result.timetable.status, "stopped_by": result.stats.stopped_by})

    def _compare(self, job: Job, stop: threading.Event) -> None:
        job_id, attempt, params = job.id, job.attempts, job.params
        version = self.repo.version_by_id(job.scenario_version_id)
        assert version is not None
        base = self.repo.scenario_model(version)
        variants = build_variants(base, [VariantSpec.model_validate(v)
                                         for v in params["variants"]])  # type: ignore[attr-defined]
        settings = RunSettings(time_limit=float(params["time_limit_s"]),  # type: ignore[arg-type]
                               seeds=int(params["seeds"]), workers=int(params["workers"]),  # type: ignore[call-overload]
                               parallel=1)  # this job already runs in its own worker: one solve at a time
        started = time.monotonic()

        def on_event(event: RunEvent) -> None:  # one progress point per finished solve
            if event.kind == "done" and event.objective is not None:
                self.repo.add_progress(job_id, attempt, round(time.monotonic() - started, 3), event.objective,
                                       event.bound, label=f"{event.variant} (seed {event.seed})")

        result = run_comparison(variants, settings, on_event=on_event, stop=stop)
        if self.closing.is_set():
            return
        self.repo.finish_job(job_id, "cancelled" if stop.is_set() else "done", result=result.data, claim=job.claim)

    def _replan(self, job: Job, stop: threading.Event) -> None:
        job_id, params = job.id, job.params
        version = self.repo.version_by_id(job.scenario_version_id)
        previous_row = self.repo.get_timetable(job.source_timetable_id or "")
        assert version is not None and previous_row is not None
        scenario = self.repo.scenario_model(version)
        previous = self.repo.timetable_model(previous_row)
        changes = parse_changes(params["changes"])
        now = params.get("now")
        result = resolve(scenario, previous, changes, now=datetime.fromisoformat(str(now)) if now else None,
                         freeze_minutes=int(params["freeze_minutes"]),  # type: ignore[call-overload]
                         time_limit=float(params["time_limit_s"]),  # type: ignore[arg-type]
                         workers=int(params["workers"]),  # type: ignore[call-overload]
                         stop=stop)
        if self.closing.is_set():
            return
        status = "cancelled" if stop.is_set() else "done"
        summary = {"status": result.timetable.status, "disruption": result.disruption,
                   "disruption_bound": result.disruption_bound, "proven_minimal": result.proven_minimal,
                   "frozen": result.frozen, "diff": result.diff.to_dict(),
                   "phases": result.phases}  # seconds per step: where a slow re-plan spent its time
        self.repo.finish_job(job_id, status, timetable=result.timetable, claim=job.claim,
                             new_version=(result.scenario, params["changes"]),  # type: ignore[arg-type]
                             result=summary)


def _stall(params: dict[str, object]) -> float | None:
    """The job's stall_s (jobs queued before it existed have none)."""
    stall = params.get("stall_s")
    return float(stall) if isinstance(stall, int | float) else None
