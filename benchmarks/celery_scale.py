"""Cluster runner benchmark: an eight-variant comparison on one `summit worker` process and on two, and
the queueing overhead per job, against the machine's Redis and PostgreSQL.

    .venv/bin/python benchmarks/celery_scale.py --time-limit 8 --overhead-jobs 20

Each configuration starts its own worker processes (concurrency 1, one CP-SAT worker per solve, so one
process uses one core), sends the comparison's task as `summit serve` would, and reads the outcome from
the database. The comparison: a synthetic summit (60 delegations, 300 requests, 2 days: a timetable at
once, far from proven at 8 s, so every solve uses its whole time limit) and eight variants of it (the
base plus eight: nine solves). The overhead: tiny solve jobs sent one after another to an idle worker;
send -> claim is the broker's share, send -> done minus the solver's own seconds is the whole overhead.
Prints one JSON line (``--record`` appends it to benchmarks/results.jsonl).
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import report  # noqa: E402

REDIS_URL = os.environ.get("SUMMIT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
POSTGRES_URL = os.environ.get("SUMMIT_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _schema() -> tuple[str, str]:
    import sqlalchemy as sa

    schema = f"summit_bench_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return schema, f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"


def _drop(schema: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


def _start_workers(count: int, env: dict[str, str], logs: Path) -> list[subprocess.Popen[bytes]]:
    processes = []
    for index in range(count):
        log = (logs / f"bench-worker-{index}.log").open("wb")
        processes.append(subprocess.Popen([sys.executable, "-m", "api.cli", "worker", "--concurrency", "1",
                                           "--name", f"bench{index}@%h", "--loglevel", "WARNING"],
                                          cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                          start_new_session=True))
    from api.jobs.celery_app import app

    deadline = time.monotonic() + 120
    queue = env["SUMMIT_QUEUE"]
    while time.monotonic() < deadline:  # ready: every worker answers on the queue
        answers = app.control.inspect(timeout=1).active_queues() or {}
        if sum(any(q["name"] == queue for q in qs) for qs in answers.values()) >= count:
            return processes
        time.sleep(0.5)
    raise RuntimeError("the workers did not start")


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def _wait(repo: Any, job_id: str, timeout: float = 1800) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = repo.get_job(job_id)
        if job.status in ("done", "failed", "cancelled"):
            return job
        time.sleep(0.05)
    raise RuntimeError(f"job {job_id} did not finish")


def _comparison(repo: Any, version: Any, variants: int, time_limit: float, send: Any) -> dict[str, Any]:
    from sqlalchemy import func, select

    from api.store.models import JobProgress, JobSolve

    params = {"variants": [{"name": f"variant {i + 1}", "changes": []} for i in range(variants)],
              "time_limit_s": time_limit, "seeds": 1, "workers": 1, "scenario_version": 1}
    job = repo.create_job("compare", version.scenario_id, version.id, params, None)
    sent = datetime.now(UTC)
    send(job.id)
    done = _wait(repo, job.id)
    assert done.status == "done", done.error
    with repo.session() as s:
        solves = list(s.scalars(select(JobSolve).where(JobSolve.job_id == job.id)))
        points = s.scalar(select(func.count()).select_from(JobProgress).where(JobProgress.job_id == job.id))
    wall = (done.finished_at - sent).total_seconds()
    last_solve = max(r.finished_at for r in solves)
    solve_seconds = [r.timetable["solve_seconds"] for r in solves]
    return {"solves": len(solves), "wall_s": round(wall, 2),
            "solves_per_minute": round(60 * len(solves) / wall, 2),
            "solver_seconds_median": round(statistics.median(solve_seconds), 2),
            "gather_s": round((done.finished_at - last_solve).total_seconds(), 3),
            "workers_used": len({r.worker for r in solves}), "progress_points": points,
            "result_kb": round(len(str(done.result)) / 1024, 1),
            "solve_rows_kb": round(sum(len(str(r.timetable)) for r in solves) / 1024, 1)}


def _overhead(repo: Any, version: Any, jobs: int, send: Any) -> dict[str, Any]:
    from api.store.repository import Repository

    assert isinstance(repo, Repository)
    claims, overheads, progress = [], [], []
    for seed in range(jobs):
        job = repo.create_job("solve", version.scenario_id, version.id,
                              {"time_limit_s": 1, "workers": 1, "seed": seed}, None)
        sent = datetime.now(UTC)
        send(job.id)
        done = _wait(repo, job.id, timeout=120)
        assert done.status == "done", done.error
        timetable = repo.timetable_model(repo.get_timetable(done.timetable_id))
        claims.append((done.started_at - sent).total_seconds())
        overheads.append((done.finished_at - sent).total_seconds() - timetable.solve_seconds)
        progress.append(len(repo.job_progress(done)))
    return {"jobs": jobs, "send_to_claim_ms_median": round(1000 * statistics.median(claims), 1),
            "send_to_claim_ms_max": round(1000 * max(claims), 1),
            "overhead_ms_median": round(1000 * statistics.median(overheads), 1),
            "overhead_ms_max": round(1000 * max(overheads), 1),
            "progress_points_per_solve_median": statistics.median(progress)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--time-limit", type=float, default=8.0, help="seconds per solve of the comparison")
    parser.add_argument("--variants", type=int, default=8)
    parser.add_argument("--overhead-jobs", type=int, default=20)
    parser.add_argument("--worker-counts", default="1,2", help="worker processes per configuration")
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()

    schema, database_url = _schema()
    env = {**os.environ, "SUMMIT_RUNNER": "celery", "SUMMIT_BROKER_URL": REDIS_URL,
           "SUMMIT_DATABASE_URL": database_url, "SUMMIT_QUEUE": f"summit-bench-{uuid.uuid4().hex[:8]}",
           "SUMMIT_SOLVER_WORKERS": "1"}
    os.environ.update(env)  # the Celery app below is built from these
    from api.jobs.celery_app import RUN_JOB, app
    from api.store.db import make_engine, upgrade
    from api.store.repository import Repository
    from solver.generate import generate_scenario
    from solver.scenario import load_scenario

    def send(job_id: str) -> None:
        app.send_task(RUN_JOB, args=[job_id], queue=env["SUMMIT_QUEUE"], task_id=job_id)

    engine = make_engine(database_url)
    upgrade(engine)
    repo = Repository(engine)
    _, synthetic = repo.create_scenario(generate_scenario(60, 300, 2, seed=1), None)
    _, tiny = repo.create_scenario(load_scenario(ROOT / "scenarios" / "examples" / "tiny.yaml"), None)
    logs = ROOT / "benchmarks" / ".celery-logs"
    logs.mkdir(exist_ok=True)
    load_before = os.getloadavg()
    summary: dict[str, Any] = {"benchmark": "celery_scale", "date": datetime.now(UTC).isoformat(timespec="seconds"),
                               "machine": f"{platform.machine()} {os.cpu_count()} cores", "broker": "redis",
                               "time_limit_s": args.time_limit, "variants": args.variants,
                               "load_before": [round(x, 2) for x in load_before]}
    try:
        for count in (int(c) for c in args.worker_counts.split(",")):
            workers = _start_workers(count, env, logs)
            try:
                summary[f"comparison_{count}_workers"] = _comparison(repo, synthetic, args.variants,
                                                                     args.time_limit, send)
                if count == 1:
                    summary["overhead"] = _overhead(repo, tiny, args.overhead_jobs, send)
            finally:
                _stop(workers)
        summary["load_after"] = [round(x, 2) for x in os.getloadavg()]
    finally:
        engine.dispose()
        _drop(schema)
    report(summary, args.record)


if __name__ == "__main__":
    main()
