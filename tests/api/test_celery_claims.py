"""The claims a cluster worker takes on a job, without Celery: one worker at a time, another takes over
once the lease lapses, a lost worker's outcome is refused, and the tries run out into `failed`."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from api.jobs.cluster import Lease, claim_job, dispatch_comparison, lost_jobs, open_solves, solve_keys
from api.main import create_app
from api.settings import Settings
from api.store.db import make_engine, upgrade
from api.store.models import Job, utcnow
from api.store.repository import Repository
from solver.scenario import load_scenario
from tests.api.conftest import ROOT, TINY


@pytest.fixture()
def repo(tmp_path: Path) -> Repository:
    engine = make_engine(f"sqlite:///{tmp_path / 'claims.db'}")
    upgrade(engine)
    return Repository(engine)


def _lapse(repo: Repository, job_id: str) -> None:
    """The job's worker says nothing for an hour: its lease has lapsed (an explicit expiry, not a sleep, so
    the verdict never depends on how fast the machine is)."""
    with repo.session() as s:
        s.execute(update(Job).where(Job.id == job_id).values(heartbeat_at=utcnow() - timedelta(hours=1)))
        s.commit()


def _job(repo: Repository, kind: str = "solve", params: dict[str, object] | None = None) -> str:
    _, version = repo.create_scenario(load_scenario(TINY), None)
    return repo.create_job(kind, version.scenario_id, version.id,
                           params or {"time_limit_s": 1, "workers": 1, "seed": 0}, None).id


def test_one_worker_holds_a_job_until_its_lease_lapses(repo: Repository) -> None:
    lease = Lease(seconds=30, max_attempts=3)
    job_id = _job(repo)
    outcome, first = claim_job(repo, job_id, "w1", lease)
    assert outcome == "claimed" and first is not None and first.attempts == 1 and first.worker == "w1"
    assert claim_job(repo, job_id, "w2", lease)[0] == "held"  # w1 is alive (its lease is fresh)
    _lapse(repo, job_id)  # w1 says nothing: it is gone
    outcome, second = claim_job(repo, job_id, "w2", lease)
    assert outcome == "claimed" and second is not None and second.attempts == 2 and second.worker == "w2"
    stale = repo.finish_job(job_id, "done", result={"by": "w1"}, claim=first.claim)
    assert stale.status == "running"  # the lost worker's outcome is not written
    repo.finish_job(job_id, "done", result={"by": "w2"}, claim=second.claim)
    assert claim_job(repo, job_id, "w3", lease)[0] == "finished"  # a repeated task never runs it again
    done = repo.get_job(job_id)
    assert done is not None and done.status == "done" and done.result == {"by": "w2"} and done.timetable_id is None


def test_a_job_whose_workers_are_lost_three_times_ends_failed(repo: Repository) -> None:
    lease = Lease(seconds=30, max_attempts=3)
    job_id = _job(repo)
    for attempt in (1, 2, 3):
        outcome, job = claim_job(repo, job_id, f"w{attempt}", lease)
        assert outcome == "claimed" and job is not None and job.attempts == attempt
        _lapse(repo, job_id)
    outcome, job = claim_job(repo, job_id, "w4", lease)
    assert outcome == "exhausted" and job is not None and job.status == "failed"
    assert "lost 3 time(s) (last on w3)" in (job.error or "")


def test_a_lease_that_lapses_while_a_claim_is_judged_is_not_a_lost_worker_too_many(
        repo: Repository, monkeypatch: pytest.MonkeyPatch) -> None:
    # CI once saw "its worker was lost 1 time(s): given up after 3 attempts": the claim read the lease as fresh, the
    # next read (a moment later) as lapsed, and gave the job up. The claim's clock: the lease lapses between reads.
    import api.jobs.cluster as cluster

    lease = Lease(seconds=30, max_attempts=3)
    job_id = _job(repo)
    assert claim_job(repo, job_id, "w1", lease)[0] == "claimed"
    fresh = utcnow()
    moments = iter([fresh, fresh])  # (then a minute later, for every later read)
    monkeypatch.setattr(cluster, "utcnow", lambda: next(moments, utcnow() + timedelta(seconds=60)))
    outcome, job = claim_job(repo, job_id, "w2", lease)
    assert outcome == "held" and job is not None and job.status == "running" and job.attempts == 1
    monkeypatch.undo()
    _lapse(repo, job_id)
    outcome, job = claim_job(repo, job_id, "w2", lease)
    assert outcome == "claimed" and job is not None and job.attempts == 2


def test_a_cancelled_queued_job_is_never_claimed(repo: Repository) -> None:
    job_id = _job(repo)
    repo.request_cancel(job_id)
    outcome, job = claim_job(repo, job_id, "w1", Lease())
    assert outcome == "finished" and job is not None and job.status == "cancelled" and job.attempts == 0


def test_a_comparison_has_one_solve_per_variant_and_seed_made_once(repo: Repository) -> None:
    params = {"variants": [{"name": "a", "changes": []}, {"name": "b", "changes": []}], "seeds": 2,
              "time_limit_s": 1, "workers": 1}
    job_id = _job(repo, "compare", params)
    job = repo.get_job(job_id)
    assert job is not None
    expected = [("base", 0), ("base", 1), ("a", 0), ("a", 1), ("b", 0), ("b", 1)]
    assert solve_keys(job) == expected
    assert open_solves(repo, job) == expected
    assert open_solves(repo, job) == expected  # sent again after a loss: the same rows, none added


def test_a_dispatched_comparison_is_sent_again_not_tried_again(repo: Repository) -> None:
    """A server starting sends running comparisons again: their open solves go out once more, and the
    comparison's attempts do not grow (they count its dispatcher's losses, not the servers' restarts)."""
    params = {"variants": [{"name": "a", "changes": []}], "seeds": 1, "time_limit_s": 1, "workers": 1}
    job_id = _job(repo, "compare", params)
    lease = Lease(seconds=30)
    outcome, job = claim_job(repo, job_id, "w1", lease)
    assert outcome == "claimed" and job is not None
    sent: list[tuple[str, str, int]] = []
    assert dispatch_comparison(repo, job, lambda *task: sent.append(task)) == 2
    for again in range(3):
        outcome, job = claim_job(repo, job_id, f"server restart {again}", lease)
        assert outcome == "dispatched" and job is not None and job.attempts == 1 and job.worker == "w1"
        dispatch_comparison(repo, job, lambda *task: sent.append(task))
    assert sent == [(job_id, "base", 0), (job_id, "a", 0)] * 4
    assert lost_jobs(repo, lease, queued_for=0) == [job_id]  # a server's start-up sends it again


def test_the_celery_runner_refuses_sqlite_and_says_what_to_set(tmp_path: Path) -> None:
    settings = Settings(runner="celery", broker_url="redis://127.0.0.1:6379/5",
                        database_url=f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(ValueError, match="cannot share one SQLite file.*SUMMIT_DATABASE_URL"):
        create_app(settings)
    assert Settings().cluster_problems() == []  # the default (process runner, SQLite) needs nothing more


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_summit_serve_and_worker_refuse_sqlite_with_the_celery_runner(command: str, tmp_path: Path) -> None:
    env = {**os.environ, "SUMMIT_RUNNER": "celery", "SUMMIT_BROKER_URL": "redis://127.0.0.1:6379/5",
           "SUMMIT_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    done = subprocess.run([sys.executable, "-m", "api.cli", command], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "cannot use SQLite" in done.stderr and "SUMMIT_DATABASE_URL" in done.stderr
    assert not (tmp_path / "x.db").exists()
