"""What one job does: load its inputs from the store, call the solver, store the outcome.

No scheduling here: ``solver.solve`` and ``solver.replan.resolve`` do it all.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError

from api.jobs.params import CompareParams, ExplainParams, ReplanParams, SolveParams, params_of
from api.publishing import waivers_of
from api.store.models import Job
from api.store.repository import Repository
from solver.changes import parse_changes
from solver.compare import RunEvent, RunSettings, VariantSpec, build_variants, run_comparison
from solver.explain import explain_scenario, what_would_it_take
from solver.replan import resolve
from solver.solve import Progress, SolveConfig, solve

log = logging.getLogger(__name__)


def _slack_of(replay: tuple[float, float] | None, seconds: float) -> dict[str, float] | None:
    """The robust solve's second stage in a job's result: its replay score before and after, and its seconds."""
    if replay is None:
        return None
    return {"replay_before": replay[0], "replay_after": replay[1], "seconds": seconds}


class _Beat:
    """Calls ``beat`` every ``every`` seconds while the block runs (a re-plan's progress between its start and
    its end)."""

    def __init__(self, beat: Callable[[], None], every: float = 1.0) -> None:
        self.beat, self.every = beat, every
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="replan-progress", daemon=True)

    def _run(self) -> None:
        while not self.stop.wait(self.every):
            try:
                self.beat()
            except Exception:  # a progress point is never worth failing the job for
                log.warning("progress point not written", exc_info=True)

    def __enter__(self) -> _Beat:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join()


def out_of_memory(memory_mb: int) -> str:
    """What a job that ran out of memory says (process runner and Celery pool processes alike)."""
    limit = f"its limit of {memory_mb} MB (SUMMIT_JOB_MEMORY_MB)" if memory_mb else "the memory"
    return f"out of memory: the job needed more than {limit}; the scenario is too large for this service"


class JobExecutor:
    """Runs one stored job. When ``closing`` is set (the server shuts down), the outcome is not recorded:
    the job stays 'running' and is re-queued at the next start."""

    def __init__(self, repo: Repository, closing: threading.Event | None = None, memory_mb: int = 0) -> None:
        self.repo = repo
        self.closing = closing or threading.Event()
        self.memory_mb = memory_mb  # the process's memory limit, for the error message

    def __call__(self, job_id: str, stop: threading.Event) -> None:
        job = self.repo.start_job(job_id)
        if job is None:  # cancelled while queued, or taken by another runner
            return
        try:
            self.execute(job, stop)
        except MemoryError:
            log.error("job %s ran out of memory", job_id)
            if not self.closing.is_set():
                self.repo.finish_job(job_id, "failed", error=out_of_memory(self.memory_mb))
        except Exception as error:
            log.exception("job %s failed", job_id)
            if not self.closing.is_set():
                said = ("a database error (the server's log has it)" if isinstance(error, SQLAlchemyError)
                        else f"{type(error).__name__}: {error}")  # no SQL in what a client reads
                self.repo.finish_job(job_id, "failed", error=said)

    def execute(self, job: Job, stop: threading.Event) -> None:
        """Run a started job and store its outcome (under the job's claim, on a cluster); errors propagate."""
        if job.kind == "solve":
            self._solve(job, stop)
        elif job.kind == "compare":
            self._compare(job, stop)
        elif job.kind == "explain":
            self._explain(job)
        else:
            self._replan(job, stop)

    def _solve(self, job: Job, stop: threading.Event) -> None:
        job_id, attempt, params = job.id, job.attempts, params_of(SolveParams, job.params)
        version = self.repo.version_by_id(job.scenario_version_id)
        assert version is not None
        scenario = self.repo.scenario_model(version)

        def on_progress(progress: Progress) -> None:
            self.repo.add_progress(job_id, attempt, round(progress.seconds, 3), progress.objective, progress.bound)

        config = SolveConfig(time_limit=params.time_limit_s, workers=params.workers, seed=params.seed,
                             stall_seconds=params.stall_s, stop=stop, robust=params.robust,
                             buffer_value=params.buffer_value, cascade_budget=params.cascade_budget,
                             lns_only=params.lns_only)  # decided at admission (api/lookups.py)
        result = solve(scenario, on_progress=on_progress, config=config)
        if self.closing.is_set():
            return
        final = result.timetable
        if final.status in ("optimal", "feasible"):  # the last point carries the proven bound (often found last)
            self.repo.add_progress(job_id, attempt, round(final.solve_seconds, 3), final.objective, final.bound)
        status = "cancelled" if stop.is_set() else "done"
        self.repo.finish_job(job_id, status, timetable=result.timetable, claim=job.claim,
                             result={"status": result.timetable.status, "stopped_by": result.stats.stopped_by,
                                     "lns_alone": result.stats.lns_alone,
                                     "robust": _slack_of(result.stats.slack_replay, result.stats.slack_seconds)})

    def _explain(self, job: Job) -> None:
        """Why the timetable's scenario is infeasible (and why events are out), or what would let one event in."""
        row = self.repo.get_timetable(job.source_timetable_id or "")
        assert row is not None
        version = self.repo.version_by_id(row.scenario_version_id)
        assert version is not None
        scenario, timetable = self.repo.scenario_model(version), self.repo.timetable_model(row)
        params = params_of(ExplainParams, job.params)
        limit, event = params.time_limit_s, params.event
        result: dict[str, object] = {"timetable_id": row.id, "status": timetable.status, "event": event}
        # (a re-plan's timetable is explained with what its re-plans waived: never a waived rule as a reason)
        waivers = waivers_of(self.repo, row)
        if event is not None:
            result["lines"] = what_would_it_take(scenario, str(event), timetable, time_limit=limit, waivers=waivers)
        else:
            result["diagnostics"] = [d.model_dump(mode="json")
                                     for d in explain_scenario(scenario, time_limit=limit, waivers=waivers)]
            result["unscheduled"] = [u.model_dump(mode="json") for u in timetable.unscheduled]
        if not self.closing.is_set():
            self.repo.finish_job(job.id, "done", result=result, claim=job.claim)

    def _compare(self, job: Job, stop: threading.Event) -> None:
        job_id, attempt, params = job.id, job.attempts, params_of(CompareParams, job.params)
        version = self.repo.version_by_id(job.scenario_version_id)
        assert version is not None
        base = self.repo.scenario_model(version)
        variants = build_variants(base, [VariantSpec.model_validate(v) for v in params.variants])
        settings = RunSettings(time_limit=params.time_limit_s, seeds=params.seeds, workers=params.workers,
                               parallel=1,  # this job already runs in its own worker: one solve at a time
                               memory_mb=params.memory_mb)
        started = time.monotonic()

        def on_event(event: RunEvent) -> None:  # one progress point per finished solve, named by its variant
            if event.kind == "done" and event.objective is not None:
                self.repo.add_progress(job_id, attempt, round(time.monotonic() - started, 3), event.objective,
                                       event.bound, label=f"{event.variant} (seed {event.seed})")

        result = run_comparison(variants, settings, on_event=on_event, stop=stop)
        if self.closing.is_set():
            return
        self.repo.finish_job(job_id, "cancelled" if stop.is_set() else "done", result=result.data, claim=job.claim)

    def _replan(self, job: Job, stop: threading.Event) -> None:
        job_id, attempt, params = job.id, job.attempts, params_of(ReplanParams, job.params)
        version = self.repo.version_by_id(job.scenario_version_id)
        previous_row = self.repo.get_timetable(job.source_timetable_id or "")
        assert version is not None and previous_row is not None
        scenario = self.repo.scenario_model(version)
        previous = self.repo.timetable_model(previous_row)
        changes = parse_changes(params.changes)
        started = time.monotonic()
        # Progress: the previous timetable's value at once, then a beat every second while the re-plan runs
        # (resolve reports nothing on the way).
        self.repo.add_progress(job_id, attempt, 0.0, previous.objective, previous.bound, label="previous timetable")
        with _Beat(lambda: self.repo.add_progress(job_id, attempt, round(time.monotonic() - started, 3),
                                                  previous.objective, None, label="re-planning")):
            result = resolve(scenario, previous, changes,
                             now=datetime.fromisoformat(params.now) if params.now else None,
                             freeze_minutes=params.freeze_minutes, time_limit=params.time_limit_s,
                             workers=params.workers, stop=stop, unfreeze=params.unfreeze, robust=params.robust)
        if not self.closing.is_set():
            self.repo.add_progress(job_id, attempt, round(time.monotonic() - started, 3), result.timetable.objective,
                                   result.timetable.bound, label=f"repair (disruption {result.disruption})")
        if self.closing.is_set():
            return
        status = "cancelled" if stop.is_set() else "done"
        summary = {"status": result.timetable.status, "disruption": result.disruption,
                   "disruption_bound": result.disruption_bound, "proven_minimal": result.proven_minimal,
                   "frozen": result.frozen, "diff": result.diff.to_dict(),
                   "phases": result.phases,  # seconds per step: where a slow re-plan spent its time
                   "notes": result.notes, "waived": result.waived,  # what it says of reports and the freeze
                   "shortened": result.shortened,  # the events it runs shorter than planned (after a report)
                   "given_up": result.given_up,  # required events a report's proposal could not keep
                   "overlaps_waived": result.overlaps_waived,  # a running event and one that cannot move, overlapping
                   "availability_waived": result.availability_waived,  # a running event kept past its people's time
                   "day_close_waived": result.day_close_waived}  # a running event kept past its day's close
        self.repo.finish_job(job_id, status, timetable=result.timetable, claim=job.claim,
                             new_version=(result.scenario, params.changes),
                             result=summary)
