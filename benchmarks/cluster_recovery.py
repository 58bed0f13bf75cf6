"""Cluster recovery benchmark (issue 27): how long a job is lost before it runs elsewhere, with the
default lease and Redis's default visibility timeout (3600 s: the broker alone would wait an hour).

    .venv/bin/python benchmarks/cluster_recovery.py [--broker amqp://guest:guest@127.0.0.1:5672//]

Two `summit worker` processes (concurrency 1) and, in this process, what `summit serve` runs: the
Celery runner and the servers' sweep (api/jobs/sweep.py, every half lease). Measured:

- *kill -9*: a solve (60 delegations, 300 requests; 300 s limit) runs on one worker; the whole worker
  (its process group) is killed; the time until the job runs on the other worker.
- *broker lost*: a job stored and never sent (as after a broker restarted without its data); the time
  until a worker runs it.

Prints one JSON line (``--record`` appends it to benchmarks/results.jsonl).
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.celery_scale import REDIS_URL, _drop, _schema, _start_workers, _stop  # noqa: E402
from benchmarks.common import report  # noqa: E402


def _until(repo: Any, job_id: str, ok: Any, timeout: float = 600) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = repo.get_job(job_id)
        if ok(job):
            return job
        time.sleep(0.1)
    raise RuntimeError(f"job {job_id}: not reached in {timeout} s ({repo.get_job(job_id).status})")


def _kill_and_recover(repo: Any, runner: Any, version: Any, workers: list[Any]) -> dict[str, Any]:
    job = repo.create_job("solve", version.scenario_id, version.id, {"time_limit_s": 300, "workers": 1, "seed": 0},
                          None)
    runner.submit(job.id)
    first = _until(repo, job.id, lambda j: j.status == "running" and j.worker)
    time.sleep(3)  # mid-solve
    victim = next(w for w in workers if f"bench{workers.index(w)}@" in first.worker)
    killed = time.monotonic()
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait(10)
    again = _until(repo, job.id, lambda j: j.status == "running" and j.attempts == 2)
    recovered = time.monotonic() - killed
    repo.request_cancel(job.id)
    _until(repo, job.id, lambda j: j.status in ("done", "cancelled", "failed"), timeout=120)
    return {"kill_to_running_elsewhere_s": round(recovered, 1), "first_worker": first.worker,
            "second_worker": again.worker}


def _never_sent(repo: Any, version: Any) -> dict[str, Any]:
    job = repo.create_job("solve", version.scenario_id, version.id, {"time_limit_s": 1, "workers": 1, "seed": 0},
                          None)
    stored = time.monotonic()
    _until(repo, job.id, lambda j: j.status != "queued")
    return {"stored_to_running_s": round(time.monotonic() - stored, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--broker", default=REDIS_URL)
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    schema, database_url = _schema()
    env = {**os.environ, "SUMMIT_RUNNER": "celery", "SUMMIT_BROKER_URL": args.broker,
           "SUMMIT_DATABASE_URL": database_url, "SUMMIT_QUEUE": f"summit-bench-{uuid.uuid4().hex[:8]}",
           "SUMMIT_SOLVER_WORKERS": "1"}
    os.environ.update(env)  # the Celery app below is built from these
    from api.jobs.celery_app import CeleryRunner, settings
    from api.jobs.cluster import Lease
    from api.jobs.sweep import Sweeper
    from api.store.db import make_engine, upgrade
    from api.store.repository import Repository
    from solver.generate import generate_scenario

    engine = make_engine(database_url)
    upgrade(engine)
    repo = Repository(engine)
    runner = CeleryRunner(repo)
    _, version = repo.create_scenario(generate_scenario(60, 300, 2, seed=1), None)
    logs = ROOT / "benchmarks" / ".celery-logs"
    logs.mkdir(exist_ok=True)
    lease = Lease(settings.job_lease_s, settings.max_attempts)
    sweeper = Sweeper(repo, lease, runner.send_job, runner.send_solve)
    summary: dict[str, Any] = {"benchmark": "cluster_recovery", "date": datetime.now(UTC).isoformat(timespec="seconds"),
                               "machine": f"{platform.machine()} {os.cpu_count()} cores",
                               "broker": args.broker.split(":")[0], "lease_s": lease.seconds,
                               "sweep_every_s": sweeper.period, "visibility_timeout_s": settings.visibility_timeout_s,
                               "load_before": [round(x, 2) for x in os.getloadavg()]}
    workers = _start_workers(2, env, logs)
    sweeper.start()
    try:
        summary["kill_9_whole_worker"] = _kill_and_recover(repo, runner, version, workers)
        summary["broker_lost_job"] = _never_sent(repo, version)
        summary["load_after"] = [round(x, 2) for x in os.getloadavg()]
    finally:
        sweeper.stop()
        _stop([w for w in workers if w.poll() is None])
        engine.dispose()
        _drop(schema)
    report(summary, args.record)


if __name__ == "__main__":
    main()
