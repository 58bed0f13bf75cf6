"""The order of a service's waiting jobs (api/jobs/slots.py): a re-plan never waits behind comparisons,
and keys share the slots fairly."""

from __future__ import annotations

import threading
from collections import Counter

from api.jobs.slots import SlotQueue, Waiting, next_job


def test_a_waiting_replan_goes_before_older_comparisons() -> None:
    waiting = [Waiting("c1", "compare", "a", 0), Waiting("c2", "compare", "a", 1), Waiting("r", "replan", "b", 2)]
    assert next_job(waiting, Counter(), reserved=False) == waiting[2]


def test_a_reserved_slot_takes_only_replans() -> None:
    waiting = [Waiting("c1", "compare", "a", 0), Waiting("s", "solve", "b", 1)]
    assert next_job(waiting, Counter(), reserved=True) is None
    assert next_job([*waiting, Waiting("r", "replan", "a", 2)], Counter(), reserved=True) == Waiting("r", "replan",
                                                                                                    "a", 2)


def test_the_key_running_fewest_jobs_goes_next_then_the_oldest() -> None:
    waiting = [Waiting(f"a{i}", "compare", "busy", i) for i in range(5)] + [Waiting("b", "solve", "quiet", 5)]
    assert next_job(waiting, Counter({"busy": 1}), reserved=False) == waiting[5]
    assert next_job(waiting, Counter(), reserved=False) == waiting[0]


def test_a_replan_runs_while_comparisons_hold_every_shared_slot() -> None:
    release = threading.Event()
    started: list[str] = []
    replanned = threading.Event()

    def run(job_id: str) -> None:
        started.append(job_id)
        if job_id == "replan":
            replanned.set()
            return
        release.wait(30)

    queue = SlotQueue(run, shared=1, reserved=1)
    try:
        for index in range(3):
            queue.put(f"compare-{index}", "compare", "planner")
        queue.put("replan", "replan", "planner")
        assert replanned.wait(30)  # the comparison holding the shared slot has not ended
        assert "compare-1" not in started and "compare-2" not in started
    finally:
        release.set()
        queue.close()
