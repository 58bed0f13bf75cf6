"""A job target for the runner tests: dies like a segfaulting solver when the job asks for it."""

from __future__ import annotations

import os

from api.jobs.process import _repository, run_job


def run_or_crash(database_url: str, sqlite_synchronous: str, job_id: str, parent: int) -> None:
    job = _repository(database_url, sqlite_synchronous).get_job(job_id)
    if job is not None and job.params.get("crash"):
        job = _repository(database_url, sqlite_synchronous).start_job(job_id)
        os._exit(11)
    run_job(database_url, sqlite_synchronous, job_id, parent)
