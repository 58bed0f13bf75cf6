"""A re-plan job that cannot repair: through a real server, the standing timetable stays in force and nothing
untouched is cancelled or notified."""

from __future__ import annotations

import httpx

from tests.api.conftest import wait_for_job


def test_an_infeasible_replan_names_the_change_and_cancels_nothing(planner: httpx.Client,
                                                                   solved: dict[str, str]) -> None:
    # The opening (vnm-pres, un-sg) must end by 10:30; the Secretary-General now lands at 10:00: no place for it.
    body = {"changes": [{"op": "participant_delayed", "participant": "un-sg", "arrival": "2025-10-25T10:00"}],
            "time_limit_s": 5}
    accepted = planner.post(f"/timetables/{solved['timetable']}/changes", json=body)
    assert accepted.status_code == 202, accepted.text
    job = wait_for_job(planner, accepted.json()["id"])
    assert job["status"] == "done", job
    result = job["result"]
    assert result["status"] == "infeasible"
    assert result["diff"]["dropped"] == [] and result["diff"]["moved"] == []
    assert [b["event"] for b in result["diff"]["broken"]][:1] == ["opening"]
    assert set(result["diff"]["by_participant"]) <= {"vnm-pres", "un-sg", "fra-hod"}
    table = planner.get(f"/timetables/{job['timetable_id']}").json()
    assert "un-sg arrives at 10:00 on 25 Oct (change 1)" in table["diagnostics"][0]["message"]
    # the API's own diff of the two timetables agrees: nothing is cancelled
    diff = planner.get(f"/timetables/{solved['timetable']}/diff/{job['timetable_id']}").json()
    assert diff["dropped"] == []
