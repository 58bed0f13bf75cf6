"""The process runner without a server: a worker that dies fails its job, and the jobs behind it still run."""

from __future__ import annotations

import time
from pathlib import Path

from api.jobs.process import ProcessRunner
from api.store.db import make_engine, upgrade
from api.store.repository import Repository
from solver.scenario import load_scenario
from tests.api.conftest import TINY
from tests.api.crashing import run_or_crash


def _wait(repo: Repository, job_id: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = repo.get_job(job_id)
        assert job is not None
        if job.status in ("done", "failed", "cancelled"):
            return job.status
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


def test_a_dead_worker_fails_its_job_and_the_queue_goes_on(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'runner.db'}"
    engine = make_engine(url)
    upgrade(engine)
    repo = Repository(engine)
    _, version = repo.create_scenario(load_scenario(TINY), None)
    params = {"time_limit_s": 1, "workers": 1, "seed": 0}
    crashing = repo.create_job("solve", version.scenario_id, version.id, {**params, "crash": True}, None)
    waiting = [repo.create_job("solve", version.scenario_id, version.id, params, None) for _ in range(2)]
    runner = ProcessRunner(repo, url, max_workers=1, target=run_or_crash)
    try:
        for job in (crashing, *waiting):
            runner.submit(job.id)
        assert _wait(repo, crashing.id) == "failed"
        failed = repo.get_job(crashing.id)
        assert failed is not None and "died" in (failed.error or "")
        assert [_wait(repo, job.id) for job in waiting] == ["done", "done"]
        later = repo.create_job("solve", version.scenario_id, version.id, params, None)
        runner.submit(later.id)  # the rebuilt pool takes new work
        assert _wait(repo, later.id) == "done"
    finally:
        runner.shutdown()
        engine.dispose()


def test_a_job_process_that_dies_at_start_fails_its_job_saying_so(tmp_path: Path) -> None:
    """Too little memory to start (SUMMIT_JOB_MEMORY_MB far below what a job process needs): the process dies
    before the job begins; the job ends failed naming the limit, never left queued."""
    from api.jobs.process import JobLimits

    url = f"sqlite:///{tmp_path / 'runner.db'}"
    engine = make_engine(url)
    upgrade(engine)
    repo = Repository(engine)
    _, version = repo.create_scenario(load_scenario(TINY), None)
    job = repo.create_job("solve", version.scenario_id, version.id, {"time_limit_s": 1, "workers": 1, "seed": 0},
                          None)
    runner = ProcessRunner(repo, url, max_workers=1, limits=JobLimits(memory_mb=20))
    try:
        runner.submit(job.id)
        assert _wait(repo, job.id) == "failed"
        failed = repo.get_job(job.id)
        assert failed is not None and "SUMMIT_JOB_MEMORY_MB" in (failed.error or ""), failed.error
    finally:
        runner.shutdown()
        engine.dispose()
