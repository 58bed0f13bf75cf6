"""The servers' sweep (api/jobs/sweep.py), run with an explicit "now": a job whose worker's lease lapsed
is sent again once, a job left queued by a broker that lost its data too, a cancelled one ends; /health's
counts; a cancelled comparison's queued solves end without running."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from api.jobs.cluster import Lease, cancel_queued_solves, claim_job, dispatch_comparison
from api.jobs.sweep import jobs_health, sweep
from api.store.db import make_engine, upgrade
from api.store.models import utcnow
from api.store.repository import Repository
from solver.scenario import load_scenario
from tests.api.conftest import TINY

LEASE = Lease(seconds=30, max_attempts=3)


@pytest.fixture()
def repo(tmp_path: Path) -> Repository:
    engine = make_engine(f"sqlite:///{tmp_path / 'sweep.db'}")
    upgrade(engine)
    return Repository(engine)


class Sent:
    """What the sweep hands to the broker."""

    def __init__(self) -> None:
        self.jobs: list[str] = []
        self.solves: list[tuple[str, str, int]] = []

    def job(self, job_id: str) -> None:
        self.jobs.append(job_id)

    def solve(self, job_id: str, variant: str, seed: int) -> None:
        self.solves.append((job_id, variant, seed))


def _job(repo: Repository, kind: str = "solve", params: dict[str, object] | None = None) -> str:
    _, version = repo.create_scenario(load_scenario(TINY), None)
    return repo.create_job(kind, version.scenario_id, version.id,
                           params or {"time_limit_s": 1, "workers": 1, "seed": 0}, None).id


def test_a_job_whose_lease_lapsed_is_sent_again_once_and_claimed_as_a_new_attempt(repo: Repository) -> None:
    job_id = _job(repo)
    assert claim_job(repo, job_id, "w1", LEASE)[0] == "claimed"
    sent = Sent()
    assert sweep(repo, LEASE, sent.job, sent.solve, now=utcnow() + timedelta(seconds=10)).jobs == []  # alive
    later = utcnow() + timedelta(seconds=31)
    assert sweep(repo, LEASE, sent.job, sent.solve, now=later).jobs == [job_id]
    assert sweep(repo, LEASE, sent.job, sent.solve, now=later + timedelta(seconds=1)).jobs == []  # sent once
    job = repo.get_job(job_id)
    assert job is not None and job.status == "queued" and job.claim is None
    outcome, taken = claim_job(repo, job_id, "w2", LEASE)
    assert outcome == "claimed" and taken is not None and taken.attempts == 2 and taken.worker == "w2"
    assert sent.jobs == [job_id]


def test_a_job_left_queued_by_a_lost_broker_is_sent_again_every_lease(repo: Repository) -> None:
    job_id = _job(repo)
    sent = Sent()
    start = utcnow()
    assert sweep(repo, LEASE, sent.job, sent.solve, now=start + timedelta(seconds=5)).jobs == []
    assert sweep(repo, LEASE, sent.job, sent.solve, now=start + timedelta(seconds=31)).jobs == [job_id]
    assert sweep(repo, LEASE, sent.job, sent.solve, now=start + timedelta(seconds=45)).jobs == []
    assert sweep(repo, LEASE, sent.job, sent.solve, now=start + timedelta(seconds=62)).jobs == [job_id]


def test_a_cancelled_job_whose_worker_is_lost_ends_cancelled(repo: Repository) -> None:
    job_id = _job(repo)
    claim_job(repo, job_id, "w1", LEASE)
    repo.request_cancel(job_id)
    sent = Sent()
    swept = sweep(repo, LEASE, sent.job, sent.solve, now=utcnow() + timedelta(seconds=31))
    job = repo.get_job(job_id)
    assert swept.cancelled == [job_id] and sent.jobs == []
    assert job is not None and job.status == "cancelled" and "no worker" in (job.error or "")


def test_a_comparison_solve_whose_worker_is_lost_is_sent_again(repo: Repository) -> None:
    params = {"variants": [{"name": "a", "changes": []}], "seeds": 1, "time_limit_s": 1, "workers": 1}
    job_id = _job(repo, "compare", params)
    _, job = claim_job(repo, job_id, "w1", LEASE)
    assert job is not None
    dispatched = Sent()
    dispatch_comparison(repo, job, dispatched.solve)
    sent = Sent()
    later = utcnow() + timedelta(seconds=31)  # neither solve was taken: both are stranded
    assert sorted(sweep(repo, LEASE, sent.job, sent.solve, now=later).solves) == sorted(dispatched.solves)
    assert sent.jobs == []  # the comparison itself is carried by its solves


def test_health_counts_jobs_waiting_over_a_minute_and_running_without_a_lease(repo: Repository) -> None:
    waiting, lost = _job(repo), _job(repo)
    claim_job(repo, lost, "w1", LEASE)
    now = utcnow() + timedelta(seconds=61)
    health = jobs_health(repo, LEASE, now=now)
    assert (health.queued, health.running, health.waiting_over_minute, health.running_without_lease) == (1, 1, 1, 1)
    assert health.degraded and health.oldest_wait_s is not None and health.oldest_wait_s >= 61
    fresh = jobs_health(repo, None)
    assert not fresh.degraded and fresh.running_without_lease is None
    assert waiting != lost


def test_cancelling_a_comparison_ends_its_queued_solves(repo: Repository) -> None:
    params = {"variants": [{"name": "a", "changes": []}], "seeds": 2, "time_limit_s": 1, "workers": 1}
    job_id = _job(repo, "compare", params)
    _, job = claim_job(repo, job_id, "w1", LEASE)
    assert job is not None
    dispatch_comparison(repo, job, Sent().solve)
    repo.request_cancel(job_id)
    revoked = cancel_queued_solves(repo, job_id)
    assert len(revoked) == 4 and all(task.startswith(f"{job_id}:") for task in revoked)
    done = repo.get_job(job_id)
    assert done is not None and done.status == "cancelled" and "4 of 4 solve(s) never ran" in (done.error or "")
