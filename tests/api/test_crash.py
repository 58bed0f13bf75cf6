"""Crash safety: kill -9 during a solve; after a restart on the same database, what was acknowledged is there
and the job left running is re-queued and completes."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.api.conftest import HANOI, TINY, Server, submit_scenario, wait_for_job


@pytest.mark.skipif(not HANOI.exists(), reason="needs a scenario that takes a few seconds to solve")
@pytest.mark.parametrize("how", ["kill", "terminate"])
def test_stopped_server_requeues_jobs_after_restart(make_server: Callable[..., Server], how: str) -> None:
    """kill -9 (a crash) or SIGTERM (a graceful stop): either way the running job is run again after a restart."""
    first = make_server(env={"SUMMIT_MAX_CONCURRENT_JOBS": "1"})
    admin = first.create_key("admin")
    with first.client(admin) as client:
        tiny_id = submit_scenario(client, TINY)
        hanoi_id = submit_scenario(client, HANOI)
        running = client.post(f"/scenarios/{hanoi_id}/solve", json={"time_limit_s": 4}).json()
        queued = client.post(f"/scenarios/{tiny_id}/solve", json={"time_limit_s": 1}).json()
        wait_for_job(client, running["id"], timeout=30, until=("running", "done", "failed", "cancelled"))
        assert client.get(f"/jobs/{running['id']}").json()["status"] == "running"
        assert client.get(f"/jobs/{queued['id']}").json()["status"] == "queued"
    if how == "kill":
        first.kill()
    else:
        first.stop()

    second = make_server(database_url=first.database_url)
    with second.client(admin) as client:  # the key, the scenarios and the jobs survived
        assert client.get(f"/scenarios/{tiny_id}").status_code == 200
        assert client.get(f"/scenarios/{hanoi_id}").json()["name"]
        done = wait_for_job(client, running["id"], timeout=60)  # (a timeout, not a verdict on how fast)
        assert done["status"] == "done" and done["timetable_id"], done
        assert done["attempts"] == 2  # run once before the crash, once after
        assert client.get(f"/timetables/{done['timetable_id']}").json()["assignments"]
        other = wait_for_job(client, queued["id"], timeout=30)
        assert other["status"] == "done" and other["attempts"] == 1
