"""One Settings object, read from ``SUMMIT_*`` environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, Field


def _default_pool_size() -> int:
    return max(1, (os.cpu_count() or 2) // 2)


class Settings(BaseModel):
    database_url: str = "sqlite:///./summit.db"
    sqlite_synchronous: Literal["NORMAL", "FULL"] = "NORMAL"  # FULL: commits survive power loss too
    max_body_bytes: int = Field(5 * 1024 * 1024, gt=0)
    max_yaml_bytes: int = Field(1024 * 1024, gt=0)  # libyaml still builds Python objects: ~1.5 s per MB here
    max_events: int = Field(20_000, gt=0)
    # Sized by memory (issue 27): a scenario is stored whatever its model's size (up to the byte limits); a
    # solve, re-plan or comparison runs the whole model when its estimated memory (solver/size.py) fits the
    # job's memory, else large-neighbourhood search alone, and is refused (413) only when even that does not fit.
    job_memory_mb: int = Field(3072, ge=0)  # address space of each job's process; 0: no limit
    max_concurrent_explanations: int = Field(1, gt=0)  # explanation jobs run in processes of their own
    max_streams_per_key: int = Field(8, gt=0)  # open /jobs/{id}/events streams per key
    max_concurrent_jobs: int = Field(default_factory=_default_pool_size, gt=0)
    solver_workers: int = Field(2, gt=0)
    min_time_limit_s: float = Field(1.0, gt=0)
    max_time_limit_s: float = Field(600.0, gt=0)
    default_time_limit_s: float = Field(20.0, gt=0)
    jobs_per_minute: int = Field(30, gt=0)
    explain_time_limit_s: float = Field(10.0, gt=0)
    runner: Literal["process", "thread", "celery"] = "process"  # worker processes, threads, or Celery workers
    run_migrations: bool = True
    # The cluster (runner "celery"): a broker, one queue, and leases on running jobs in the database.
    broker_url: str | None = None  # redis://host:6379/0 or amqp://user:password@host:5672//
    redis_url: str | None = None  # rate limits shared by several API processes; default: a redis:// broker
    queue: str = Field("summit", min_length=1, max_length=200)
    visibility_timeout_s: float = Field(3600.0, gt=0)  # Redis: an unacknowledged task is delivered again after this
    restore_interval_s: float = Field(10.0, gt=0)  # Redis: how often a worker looks for such tasks
    job_lease_s: float = Field(30.0, gt=0)  # a running job whose worker has not said so for this long is lost
    max_attempts: int = Field(3, gt=0)  # tries of a job on the cluster before it ends failed
    # Slow clients (issue 27): a request's body must arrive whole within this many seconds, else 408.
    body_timeout_s: float = Field(30.0, gt=0)
    # A busy summit day (issue 27): slots that run nothing but re-plans (process runner), beside the shared ones.
    replan_slots: int = Field(1, ge=0)
    # Notices to delegations (api/notices/): the delivery loop's round, its lease on a delivery, each webhook
    # call's timeout, the back-off after a failure (base x 2^(attempt-1), capped) and the tries before giving up.
    notice_delivery: bool = True
    notice_poll_s: float = Field(1.0, gt=0)
    notice_lease_s: float = Field(30.0, gt=0)
    notice_timeout_s: float = Field(10.0, gt=0)
    notice_retry_base_s: float = Field(2.0, gt=0)
    notice_retry_max_s: float = Field(600.0, gt=0)
    notice_max_attempts: int = Field(12, gt=0)
    # The summit day (api/clock.py): every summit's clock for rehearsals and replays, unless set per summit by
    # PUT /summits/{id}/clock: a fixed time "2025-10-26T09:00+07:00" or accelerated "2025-10-26T09:00+07:00x60".
    clock: str | None = None
    report_time_limit_s: float = Field(5.0, gt=0)  # a report's re-plan: a proposal fast, improved by the next report

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """``SUMMIT_DATABASE_URL``, ``SUMMIT_MAX_BODY_BYTES``, ... (the field name in upper case)."""
        environ = os.environ if environ is None else environ
        values = {name: environ[f"SUMMIT_{name.upper()}"] for name in cls.model_fields
                  if f"SUMMIT_{name.upper()}" in environ}
        return cls.model_validate(values)

    @property
    def shared_redis_url(self) -> str | None:
        """Where several API processes keep what they must agree on (the rate limit): the Redis named
        by ``SUMMIT_REDIS_URL``, else a Redis broker's; None keeps it in this process."""
        if self.redis_url:
            return self.redis_url
        if self.broker_url and self.broker_url.startswith(("redis://", "rediss://")):
            return self.broker_url
        return None

    def cluster_problems(self) -> list[str]:
        """Why this configuration cannot run the celery runner (empty when it can, or when it is not used)."""
        if self.runner != "celery":
            return []
        problems = []
        if not self.broker_url:
            problems.append("SUMMIT_RUNNER=celery needs SUMMIT_BROKER_URL (redis://host:6379/0 or "
                            "amqp://user:password@host:5672//)")
        if self.database_url.startswith("sqlite"):
            problems.append("SUMMIT_RUNNER=celery cannot use SQLite: the service and workers on several machines "
                            "cannot share one SQLite file; set SUMMIT_DATABASE_URL to a PostgreSQL database "
                            "(postgresql+psycopg://user:password@host:5432/summit)")
        if self.visibility_timeout_s <= 2 * self.max_time_limit_s:
            problems.append(f"SUMMIT_VISIBILITY_TIMEOUT_S ({self.visibility_timeout_s:g}) must be more than twice "
                            f"SUMMIT_MAX_TIME_LIMIT_S ({self.max_time_limit_s:g}): a task still running when it "
                            "expires is delivered again")
        return problems
