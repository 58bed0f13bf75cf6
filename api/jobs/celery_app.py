"""The Celery side of the cluster runner (``SUMMIT_RUNNER=celery``): the app, its two tasks, the runner the
API uses to enqueue, and ``summit worker``.

The app is built at import from ``SUMMIT_*`` settings, so Flower and the ``celery`` command find it as
``celery -A api.jobs.celery_app ...``. Tasks carry only ids: a worker reads everything else from the
database (``api.jobs.cluster``). Delivery is at least once: late acknowledgement, a task rejected back to
the queue when its worker process dies, a Redis visibility timeout longer than the longest solve; the
claims in the database make every repeat harmless.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from celery import Celery, Task
from celery.signals import worker_process_init
from kombu import Queue

from api.jobs import cluster
from api.jobs.process import _repository
from api.jobs.work import out_of_memory
from api.settings import Settings
from api.store.repository import Repository

log = logging.getLogger("summit.worker")
RUN_JOB = "summit.run_job"
SOLVE = "summit.solve_variant"


def urgent_queue(queue: str) -> str:
    """Where re-plans go (``<queue>.urgent``): every worker takes from it by default, and a worker started with
    ``summit worker -Q <queue>.urgent`` runs nothing else, so a re-plan never waits behind comparisons."""
    return f"{queue}.urgent"


def make_celery(settings: Settings) -> Celery:
    app = Celery("summit", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,  # acknowledged when finished: a lost worker's task is delivered again
        task_reject_on_worker_lost=True,  # a killed pool process puts its task back at once
        task_acks_on_failure_or_timeout=True,
        worker_prefetch_multiplier=1,  # a worker holds no more tasks than it runs: the rest stay for others
        task_ignore_result=True,  # outcomes live in the database; no result backend
        task_serializer="json", accept_content=["json"],
        task_default_queue=settings.queue,
        task_queues=[Queue(settings.queue, durable=True),  # RabbitMQ: survives a restart (messages persistent)
                     Queue(urgent_queue(settings.queue), durable=True)],
        task_default_delivery_mode="persistent",
        broker_transport_options={"visibility_timeout": settings.visibility_timeout_s,
                                  "unacked_restore_interval": settings.restore_interval_s,
                                  "unacked_restore_throttle": 1},
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=3,
        task_publish_retry_policy={"max_retries": 3, "interval_start": 0, "interval_step": 0.5,
                                   "interval_max": 1},
        worker_cancel_long_running_tasks_on_connection_loss=False,  # the lease and the claim guard a repeat
        worker_send_task_events=True, task_send_sent_event=True,  # Flower sees tasks as they go
        worker_hijack_root_logger=False,
    )
    app.conf.summit_settings = settings
    return app


settings = Settings.from_env()
app = make_celery(settings)


def _lease() -> cluster.Lease:
    return cluster.Lease(settings.job_lease_s, settings.max_attempts)


def _repo() -> Repository:
    return _repository(settings.database_url, settings.sqlite_synchronous)


def _send_solve(job_id: str, variant: str, seed: int) -> None:
    app.send_task(SOLVE, args=[job_id, variant, seed], queue=settings.queue, task_id=f"{job_id}:{variant}:{seed}")


@app.task(name=RUN_JOB, bind=True, max_retries=None)
def run_job(self: Task, job_id: str) -> None:
    """A solve, re-plan or comparison job: claim it and run it (a comparison: send its solves)."""
    repo, lease, worker = _repo(), _lease(), str(self.request.hostname)
    outcome, job = cluster.claim_job(repo, job_id, worker, lease)
    if outcome == "held":  # another worker is alive with it; should it die, the servers' sweep sends it again
        log.info("job %s: held by %s, nothing to do", job_id, job.worker if job else "?")
        return
    if outcome == "dispatched" and job is not None:  # sent again (a server's start-up): its open solves too
        log.info("comparison %s: sent %d open solve(s) again", job_id, cluster.dispatch_comparison(repo, job,
                                                                                                  _send_solve))
        return
    if outcome != "claimed" or job is None:
        log.info("job %s: %s, nothing to do", job_id, outcome if job is None else f"{outcome} ({job.status})")
        return
    log.info("took job %s (%s, attempt %d of %d)", job_id, job.kind, job.attempts, lease.max_attempts)
    if job.kind == "compare":
        sent = cluster.dispatch_comparison(repo, job, _send_solve)
        log.info("comparison %s: sent %d solve(s)", job_id, sent)
        return
    try:
        cluster.run_claimed(repo, job, lease, memory_mb=settings.job_memory_mb)
    except MemoryError:  # past SUMMIT_JOB_MEMORY_MB: trying again would only fail again
        log.error("job %s ran out of memory", job_id)
        repo.finish_job(job_id, "failed", claim=job.claim, error=out_of_memory(settings.job_memory_mb))
        return
    except Exception as error:
        log.exception("job %s failed on attempt %d", job_id, job.attempts)
        if job.attempts < lease.max_attempts:
            cluster.release_job(repo, job)
            raise self.retry(countdown=min(30, 2 ** job.attempts)) from error
        repo.finish_job(job_id, "failed", claim=job.claim,
                        error=f"failed {job.attempts} times; last: {type(error).__name__}: {error}")
        return
    done = repo.get_job(job_id)
    log.info("job %s ended %s", job_id, done.status if done else "?")


@app.task(name=SOLVE, bind=True, max_retries=None)
def solve_variant(self: Task, job_id: str, variant: str, seed: int) -> None:
    """One (variant, seed) solve of a comparison; the last one in gathers the result."""
    lease = _lease()
    try:
        outcome = cluster.run_solve(_repo(), job_id, variant, seed, str(self.request.hostname), lease)
    except Exception as error:  # the row went back to queued: try again (the row counts the attempts)
        raise self.retry(countdown=2) from error
    if outcome == "held":  # as for jobs: the sweep sends it again should its worker die
        log.info("solve %s (seed %d) of comparison %s: held by another worker", variant, seed, job_id)


@worker_process_init.connect
def _fresh_pool_process(**_: Any) -> None:
    """A forked pool process opens its own database connections (never the parent's), and caps its address
    space at SUMMIT_JOB_MEMORY_MB as the process runner's job processes do."""
    from api.jobs.process import JobLimits, _repos, apply_limits

    _repos.clear()
    apply_limits(JobLimits(memory_mb=settings.job_memory_mb, explain_time_limit_s=settings.explain_time_limit_s))


class CeleryRunner:
    """The API side: ``submit`` sends a task and returns; workers anywhere run it. ``cancel`` revokes a
    queued job's task (the database flag, which running jobs watch, is set by the route)."""

    def __init__(self, repo: Repository, celery: Celery = app) -> None:
        self.repo = repo
        self.app = celery
        self.queue = celery.conf.task_default_queue

    def _queue_of(self, job_id: str) -> str:
        job = self.repo.get_job(job_id)
        return urgent_queue(self.queue) if job is not None and job.kind == "replan" else self.queue

    def submit(self, job_id: str) -> None:
        from api.errors import ApiError

        try:
            self.app.send_task(RUN_JOB, args=[job_id], queue=self._queue_of(job_id), task_id=job_id)
        except Exception as error:  # the broker is away: say so rather than leave the job queued for ever
            log.error("could not queue job %s: %r", job_id, error)
            self.repo.finish_job(job_id, "failed", error=f"the job could not be queued: broker unreachable ({error})")
            raise ApiError(503, "broker_unavailable", "the job queue cannot be reached; try again later") from None

    def cancel(self, job_id: str) -> bool:
        job = self.repo.get_job(job_id)
        if job is not None and job.kind == "compare" and job.started_at is not None:  # its queued solves
            self._revoke(cluster.cancel_queued_solves(self.repo, job_id))
            return True
        if job is None or job.started_at is not None:
            return True  # a running job watches its flag; its task must stay deliverable should its worker die
        self._revoke([job_id])  # a worker holding it (or receiving it later) drops it
        return True

    def _revoke(self, task_ids: list[str]) -> None:
        if not task_ids:
            return
        try:
            self.app.control.revoke(task_ids)
        except Exception as error:
            log.warning("could not revoke %s: %r (their claims refuse them anyway)", task_ids, error)

    def send_solve(self, job_id: str, variant: str, seed: int) -> None:
        """One comparison solve's task (again: the sweep's)."""
        self.app.send_task(SOLVE, args=[job_id, variant, seed], queue=self.queue, task_id=f"{job_id}:{variant}:{seed}")

    def send_job(self, job_id: str) -> None:
        """A job's task again (the sweep's): a broker away leaves the job queued, to be swept again."""
        self.app.send_task(RUN_JOB, args=[job_id], queue=self._queue_of(job_id), task_id=job_id)

    def shutdown(self) -> None:
        """Nothing runs here: the workers keep going."""


class ClusterProbe:
    """Broker reachability and the workers consuming the service's queue, for ``GET /health``; remembered
    for a few seconds (asking every worker costs up to ``timeout``)."""

    def __init__(self, celery: Celery = app, ttl: float = 5.0, timeout: float = 1.0) -> None:
        self.app, self.ttl, self.timeout = celery, ttl, timeout
        self._seen: tuple[float, str, int] | None = None

    def __call__(self) -> tuple[str, int]:
        if self._seen is not None and time.monotonic() - self._seen[0] < self.ttl:
            return self._seen[1], self._seen[2]
        broker, workers = "ok", 0
        try:
            with self.app.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, timeout=self.timeout)
            queues = self.app.control.inspect(timeout=self.timeout).active_queues() or {}
            queue = self.app.conf.task_default_queue
            workers = sum(1 for consumed in queues.values() if any(q.get("name") == queue for q in consumed))
        except Exception:
            broker = "unreachable"
        self._seen = (time.monotonic(), broker, workers)
        return broker, workers


def start_worker(concurrency: int, queues: list[str], name: str, loglevel: str) -> None:
    """``summit worker``: a Celery worker (prefork pool of ``concurrency`` processes) on ``queues``."""
    import alns  # noqa: F401  (solver/lns.py imports it when it runs)

    import solver.replan  # noqa: F401  imported once here, shared by the forked pool processes
    import solver.solve  # noqa: F401
    from api.logs import install_redaction

    install_redaction()
    logging.basicConfig(level=loglevel.upper(), format="[%(asctime)s: %(levelname)s/%(processName)s] %(message)s")
    app.worker_main(["worker", f"--concurrency={concurrency}", f"--queues={','.join(queues)}",
                     f"--hostname={name}", f"--loglevel={loglevel}", "--prefetch-multiplier=1", "-O", "fair"])
