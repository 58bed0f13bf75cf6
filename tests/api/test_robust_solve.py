"""The robust solve through the real server: ``robust: true`` on a solve job, the scenario's setting as the
default, and a value that is not a yes/no refused with its field."""

from __future__ import annotations

import httpx
import yaml

from solver.scenario import parse_scenario
from solver.timetable import Timetable
from solver.validate import validate_timetable
from tests.api.conftest import TINY, submit_scenario, wait_for_job


def _solve(client: httpx.Client, scenario_id: str, **body: object) -> dict[str, object]:
    response = client.post(f"/scenarios/{scenario_id}/solve", json={"time_limit_s": 3, **body})
    assert response.status_code == 202, response.text
    job = wait_for_job(client, response.json()["id"])
    assert job["status"] == "done", job
    return job  # type: ignore[no-any-return]


def _valid(client: httpx.Client, document: dict[str, object], job: dict[str, object]) -> Timetable:
    timetable = Timetable.model_validate(client.get(f"/timetables/{job['timetable_id']}").json())
    assert validate_timetable(parse_scenario(document), timetable) == []
    return timetable


def test_a_robust_solve_job_keeps_the_requests_and_every_rule(planner: httpx.Client) -> None:
    document = yaml.safe_load(TINY.read_text())
    scenario_id = submit_scenario(planner)
    plain = _solve(planner, scenario_id, robust=False)
    robust = _solve(planner, scenario_id, robust=True)
    assert plain["result"]["robust"] is None  # type: ignore[index]
    stage = robust["result"]["robust"]  # type: ignore[index]
    assert stage["replay_after"] <= stage["replay_before"] and stage["seconds"] >= 0
    assert _valid(planner, document, robust).objective == _valid(planner, document, plain).objective


def test_the_scenario_setting_is_the_default_of_a_solve_job(planner: httpx.Client) -> None:
    document = yaml.safe_load(TINY.read_text())
    document["overruns"] = {"robust": True}
    response = planner.post("/scenarios", content=yaml.safe_dump(document),
                            headers={"Content-Type": "application/yaml"})
    assert response.status_code == 201, response.text
    job = _solve(planner, response.json()["id"])
    assert job["result"]["robust"] is not None  # type: ignore[index]
    _valid(planner, document, job)


def test_a_robust_that_is_not_yes_or_no_is_422_naming_the_field(planner: httpx.Client) -> None:
    scenario_id = submit_scenario(planner)
    response = planner.post(f"/scenarios/{scenario_id}/solve", json={"robust": "sometimes"})
    assert response.status_code == 422
    assert "robust" in response.text and "sometimes" in response.text


def test_a_robust_replan_job_keeps_every_rule_and_says_its_disruption(planner: httpx.Client) -> None:
    scenario_id = submit_scenario(planner)
    table_id = _solve(planner, scenario_id, robust=True)["timetable_id"]
    table = planner.get(f"/timetables/{table_id}").json()
    bilateral = next(a for a in table["assignments"] if a["event"].startswith("bil-"))
    change = {"op": "room_closed", "room": bilateral["room"], "start": bilateral["start"], "end": bilateral["end"]}
    accepted = planner.post(f"/timetables/{table_id}/changes", json={"changes": [change], "time_limit_s": 3,
                                                                    "robust": True})
    assert accepted.status_code == 202, accepted.text
    job = wait_for_job(planner, accepted.json()["id"])
    assert job["status"] == "done", job
    replanned = Timetable.model_validate(planner.get(f"/timetables/{job['timetable_id']}").json())
    version = planner.get(f"/scenarios/{scenario_id}", params={"version": 2}).json()["scenario"]
    assert validate_timetable(parse_scenario(version), replanned) == []  # the closed room is respected too
    assert job["result"]["disruption"] >= 0
    refused = planner.post(f"/timetables/{table_id}/changes", json={"changes": [change], "robust": "often"})
    assert refused.status_code == 422 and "robust" in refused.text


def test_a_solve_job_takes_a_buffer_value_and_refuses_a_negative_one_naming_it(planner: httpx.Client) -> None:
    document = yaml.safe_load(TINY.read_text())
    scenario_id = submit_scenario(planner)
    job = _solve(planner, scenario_id, robust=True, buffer_value=1000)  # requests may be traded: every rule kept
    _valid(planner, document, job)
    refused = planner.post(f"/scenarios/{scenario_id}/solve", json={"robust": True, "buffer_value": -2})
    assert refused.status_code == 422
    assert "buffer_value" in refused.text and "-2" in refused.text and "greater than or equal to 0" in refused.text
