"""Abuses of the service (issue 18): bad input never answers 500, every request's work is bounded, keys can be
revoked at once. After each abuse the server still answers /health within 1 s. Runs on SQLite, and on PostgreSQL
when SUMMIT_TEST_DATABASE_URL is set."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.api.conftest import HANOI, ROOT, TINY, Server, submit_scenario, wait_for_job

TINY_DOCUMENT: dict[str, Any] = json.loads(json.dumps(yaml.safe_load(TINY.read_text()), default=str))


def healthy(server: Server) -> None:
    """The issue's requirement: /health still answers after the abuse. Its "within 1 s at p95" is measured
    (benchmarks/RESULTS.md); one request here is not timed: on a busy 2-core machine /health alone was measured at
    0.5-1.6 s when the load spiked (21 ms of CPU on a third of a core), so a 1-second limit would fail by load."""
    assert httpx.get(f"{server.url}/health", timeout=30).json()["status"] == "ok"


def error_of(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text[:500])
    body: dict[str, Any] = response.json()
    assert set(body) == {"error", "message", "details"}
    return body


def post_raw(client: httpx.Client, path: str, text: str | bytes, media: str = "application/json") -> httpx.Response:
    return client.post(path, content=text, headers={"Content-Type": media})


def tiny_with(**changes: Any) -> dict[str, Any]:
    document = json.loads(json.dumps(TINY_DOCUMENT))
    for path, value in changes.items():
        target = document
        parts = path.split("__")
        for part in parts[:-1]:
            target = target[int(part)] if part.isdigit() else target[part]
        target[parts[-1]] = value
    return document


@pytest.fixture(scope="module")
def admin(server: Server, keys: dict[str, str]) -> Iterator[httpx.Client]:
    with server.client(keys["admin"]) as client:
        fresh = client.post("/keys", json={"role": "admin", "label": "hardening"}).json()["key"]
    with server.client(fresh) as client:  # its own key: its job submissions count apart
        yield client


# ------------------------------------------------------------------ never a 500 for bad input


@pytest.mark.parametrize("body", ['{"time_limit_s": NaN}', '{"time_limit_s": Infinity}', '{"seed": -Infinity}',
                                  '{"time_limit_s": 1e999}'])
def test_nan_and_infinity_in_a_job_body_are_malformed_json(server: Server, admin: httpx.Client,
                                                           solved: dict[str, str], body: str) -> None:
    response = post_raw(admin, f"/scenarios/{solved['scenario']}/solve", body)
    assert "NaN" in error_of(response, 400)["message"] or "float" in response.json()["message"]
    assert response.json()["error"] == "malformed_json"
    error_of(post_raw(admin, "/keys", '{"role": "viewer", "label": NaN}'), 400)
    healthy(server)


@pytest.mark.parametrize("text", [
    json.dumps(tiny_with(events__0__duration_minutes=0)).replace('"duration_minutes": 0', '"duration_minutes": NaN'),
    json.dumps(tiny_with(rooms__0__capacity=0)).replace('"capacity": 0', '"capacity": 1e999'),
    json.dumps(tiny_with(name="x")).replace('"name": "x"', '"name": NaN'),
])
def test_nan_and_infinity_in_a_scenario_are_malformed(server: Server, admin: httpx.Client, text: str) -> None:
    assert error_of(post_raw(admin, "/scenarios", text), 400)["error"] == "malformed_document"
    yaml_text = TINY.read_text().replace("duration_minutes: 60", "duration_minutes: .nan")
    assert "finite" in error_of(post_raw(admin, "/scenarios", yaml_text, "application/yaml"), 400)["message"]
    healthy(server)


@pytest.mark.parametrize("levels", [100, 1000, 100_000])
def test_deep_nesting_is_refused(server: Server, admin: httpx.Client, solved: dict[str, str], levels: int) -> None:
    nested = "[" * levels + "]" * levels
    error_of(post_raw(admin, "/scenarios", '{"name": "deep", "days": ' + nested + "}"), 400)
    error_of(post_raw(admin, "/scenarios", "name: deep\ndays: " + nested + "\n", "application/yaml"), 400)
    error_of(post_raw(admin, "/scenarios", "days:\n" + "- " * levels + "x\n", "application/yaml"), 400)
    error_of(post_raw(admin, f"/timetables/{solved['timetable']}/changes", '{"changes": [' + nested + "]}"), 400)
    healthy(server)


def test_yaml_aliases_and_oversized_yaml_are_refused(server: Server, admin: httpx.Client) -> None:
    bomb = "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n"
    assert "aliases" in error_of(post_raw(admin, "/scenarios", bomb, "application/yaml"), 400)["message"]
    big = TINY.read_text() + "\n# " + "padding " * (2 * 1024 * 1024 // 8) + "\n"  # over the YAML limit, under JSON's
    assert "YAML" in error_of(post_raw(admin, "/scenarios", big, "application/yaml"), 413)["message"]
    healthy(server)


@pytest.mark.parametrize("query", ["/scenarios?offset=9223372036854775808", "/scenarios?offset=99999999999999999999",
                                   "/scenarios?limit=9223372036854775808", "/audit?offset=9223372036854775807",
                                   "/scenarios/{s}?version=9223372036854775808", "/scenarios/{s}?version=2147483648",
                                   "/scenarios/{s}/timetables?offset=18446744073709551616"])
def test_huge_integers_in_queries_are_422(server: Server, admin: httpx.Client, solved: dict[str, str],
                                          query: str) -> None:
    detail = error_of(admin.get(query.format(s=solved["scenario"])), 422)["details"][0]
    assert "less than or equal" in detail["message"]
    error_of(admin.post(f"/scenarios/{solved['scenario']}/solve?version=9223372036854775808"), 422)
    healthy(server)


def test_a_huge_last_event_id_starts_from_the_beginning(server: Server, admin: httpx.Client,
                                                       solved: dict[str, str]) -> None:
    for last in ("9" * 40, "²".encode(), "-1"):
        with admin.stream("GET", f"/jobs/{solved['job']}/events", headers={"Last-Event-ID": last}) as stream:
            assert stream.status_code == 200
            assert "event: end" in stream.read().decode()
    healthy(server)


def test_nul_and_unpaired_surrogates_in_strings_are_refused(server: Server, admin: httpx.Client) -> None:
    for name in ("x\ud800y", "x\x00y"):
        text = json.dumps(tiny_with(name=name))  # ensure_ascii: the surrogate travels as \\ud800
        assert "name" in error_of(post_raw(admin, "/scenarios", text), 400)["message"]
        error_of(post_raw(admin, "/keys", json.dumps({"role": "viewer", "label": name})), 400)
    events = json.dumps(tiny_with(events__1__title="\udfff"))
    assert "events[1].title" in error_of(post_raw(admin, "/scenarios", events), 400)["message"]
    healthy(server)


def test_a_name_longer_than_the_store_holds_is_422(server: Server, admin: httpx.Client) -> None:
    details = error_of(admin.post("/scenarios", json=tiny_with(name="n" * 501)), 422)["details"]
    assert details[0]["path"] == "name" and "500" in details[0]["message"]
    assert admin.post("/scenarios", json=tiny_with(name="n" * 500)).status_code == 201
    healthy(server)


@pytest.mark.parametrize(("path", "value", "field"), [
    ("events__1__priority", 3_000_000_000, "events[1].priority"),
    ("events__1__priority", 10**30, "events[1].priority"),
    ("rooms__0__capacity", 10**30, "rooms[0].capacity"),
    ("resources__0__capacity", 10**30, "resources[0].capacity"),
    ("events__0__duration_minutes", 10**6, "events[0].duration_minutes"),
    ("travel_minutes__0__minutes", 2**63, "travel_minutes[0].minutes"),
])
def test_numbers_beyond_the_contract_bounds_are_422_with_the_limit(server: Server, admin: httpx.Client, path: str,
                                                                    value: int, field: str) -> None:
    details = error_of(admin.post("/scenarios", json=tiny_with(**{path: value})), 422)["details"]
    problem = next(d for d in details if d["path"] == field)
    assert "less than or equal to" in problem["message"]
    uses = tiny_with()
    uses["events"][1]["uses"] = {"interp-fr": 10**30}
    assert error_of(admin.post("/scenarios", json=uses), 422)["details"][0]["path"] == "events[1].uses.interp-fr"
    healthy(server)


def test_priority_at_its_bound_solves_and_stores(server: Server, admin: httpx.Client) -> None:
    created = admin.post("/scenarios", json=tiny_with(events__1__priority=10_000, events__2__priority=10_000))
    assert created.status_code == 201, created.text
    job = admin.post(f"/scenarios/{created.json()['id']}/solve", json={"time_limit_s": 2}).json()
    done = wait_for_job(admin, job["id"])
    assert done["status"] == "done" and done["timetable_id"], done
    assert done["progress"][-1]["objective"] >= 10_000
    healthy(server)


def test_nul_in_a_path_is_404_and_the_write_is_audited(server: Server, admin: httpx.Client, keys: dict[str, str],
                                                       solved: dict[str, str]) -> None:
    for path in ("/scenarios/%00", f"/timetables/{solved['timetable']}%00", "/jobs/%00/events",
                 f"/timetables/{solved['timetable']}/participants/%00", "/comparisons/%00"):
        assert admin.get(path).status_code in (404, 422), path
    error_of(admin.delete("/jobs/ab%00cd"), 404)
    error_of(admin.post("/scenarios/%00/solve", json={}), 404)
    error_of(admin.delete("/keys/%00"), 404)
    with server.client(keys["viewer"]) as viewer:  # a denied write
        error_of(viewer.delete("/jobs/x%00y"), 403)
    with server.client(keys["admin"]) as first_admin:
        paths = [entry["path"] for entry in first_admin.get("/audit", params={"limit": 50}).json()]
    assert "/jobs/x\\x00y" in paths and "/jobs/ab\\x00cd" in paths
    healthy(server)


def test_head_answers_like_get(server: Server, admin: httpx.Client, solved: dict[str, str]) -> None:
    assert httpx.head(f"{server.url}/health").status_code == 200
    for path in ("/scenarios", f"/timetables/{solved['timetable']}", f"/jobs/{solved['job']}/events"):
        got, head = admin.get(path), admin.head(path)
        assert head.status_code == got.status_code == 200, path
        assert head.content == b"" and head.headers["content-type"] == got.headers["content-type"]
    assert admin.head("/scenarios/nope").status_code == 404
    healthy(server)


def test_the_openapi_document_lists_the_body_errors(server: Server) -> None:
    paths = httpx.get(f"{server.url}/openapi.json").json()["paths"]
    for path, method in (("/scenarios/{scenario_id}/solve", "post"), ("/scenarios", "post"), ("/keys", "post"),
                         ("/timetables/{timetable_id}/changes", "post")):
        assert {"400", "413", "415"} <= set(paths[path][method]["responses"]), path
    assert "delete" in paths["/keys/{key_id}"]


# ------------------------------------------------------------------------------------- keys


def test_a_revoked_key_is_refused_at_once(server: Server, keys: dict[str, str]) -> None:
    with server.client(keys["admin"]) as admin:
        created = admin.post("/keys", json={"role": "viewer", "label": "to revoke"}).json()
        with server.client(created["key"]) as holder:
            assert holder.get("/scenarios").status_code == 200  # now in the key cache
            revoked = admin.delete(f"/keys/{created['id']}")
            assert revoked.status_code == 200 and revoked.json()["revoked"] is True
            assert error_of(holder.get("/scenarios"), 401)["error"] == "unauthorized"
        listed = {k["id"]: k for k in admin.get("/keys").json()}
        assert listed[created["id"]]["revoked"] is True
        assert listed[next(iter(listed))]["revoked"] is False
        assert admin.delete(f"/keys/{created['id']}").status_code == 200  # twice is harmless
        error_of(admin.delete(f"/keys/{'0' * 32}"), 404)
    with server.client(keys["planner"]) as planner:
        error_of(planner.delete(f"/keys/{created['id']}"), 403)
    healthy(server)


def test_summit_keys_revoke(server: Server, keys: dict[str, str]) -> None:
    with server.client(keys["admin"]) as admin:
        created = admin.post("/keys", json={"role": "viewer"}).json()
    done = subprocess.run([sys.executable, "-m", "api.cli", "keys", "revoke", created["id"]], cwd=ROOT,
                          env=server.env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    with server.client(created["key"]) as holder:
        error_of(holder.get("/scenarios"), 401)
    unknown = subprocess.run([sys.executable, "-m", "api.cli", "keys", "revoke", "nope"], cwd=ROOT,
                             env=server.env, capture_output=True, text=True, timeout=60)
    assert unknown.returncode == 2


def test_a_liaison_of_a_delegation_named_none_sees_a_redacted_agenda(server: Server, keys: dict[str, str]) -> None:
    document = tiny_with()
    document["participants"][2]["delegation"] = "None"  # France is now the delegation "None"
    with server.client(keys["admin"]) as admin:
        created = admin.post("/scenarios", json=document).json()
        submitted = admin.post(f"/scenarios/{created['id']}/solve", json={"time_limit_s": 2}).json()
        job = wait_for_job(admin, submitted["id"])
        assert admin.post(f"/timetables/{job['timetable_id']}/publish").status_code == 200  # liaisons read it
        path = f"/timetables/{job['timetable_id']}/delegations/None"
        full = admin.get(path).json()  # cached first as the admin's
        liaison_key = admin.post("/keys", json={"role": "liaison", "delegation": "None"}).json()["key"]
    names = {p for item in full["items"] for p in item.get("participants", [])}
    assert "vnm-pres" in names or "un-sg" in names
    with server.client(liaison_key) as liaison:
        redacted = liaison.get(path).json()
    seen = {p for item in redacted["items"] for p in item.get("participants", [])}
    assert seen <= {"fra-hod"} and any(item.get("other_participants") for item in redacted["items"])


# ---------------------------------------------------------------------------------- bounded work

PROCESS_RUNNER = pytest.mark.skipif(os.environ.get("SUMMIT_RUNNER") == "thread",
                                    reason="limits of job processes: the thread runner has none")


@pytest.fixture(scope="module")
def limited(make_server: Callable[..., Server]) -> Server:
    """A server with small limits: job memory (600 MB: the tiny scenario's whole model fits it, a small 2-day
    summit's only by large-neighbourhood search alone, the Hanoi scenario's not even so: solver/size.py), job
    submissions per minute."""
    return make_server(env={"SUMMIT_JOB_MEMORY_MB": "600", "SUMMIT_JOBS_PER_MINUTE": "3",
                            "SUMMIT_MAX_CONCURRENT_JOBS": "1"})


@pytest.mark.skipif(not HANOI.exists(), reason="needs the Hanoi scenario")
def test_a_summit_over_the_job_memory_is_stored_and_its_solve_is_413_with_memory_and_setting(
        limited: Server) -> None:
    from solver.scenario import load_scenario
    from solver.size import estimate_memory, estimate_model_size

    needed = estimate_memory(estimate_model_size(load_scenario(HANOI))).lns_mb
    assert needed > 600
    with limited.client(limited.create_key("planner")) as planner:
        scenario_id = submit_scenario(planner, HANOI)  # stored whatever its size
        body = error_of(planner.post(f"/scenarios/{scenario_id}/solve", json={"time_limit_s": 2}), 413)
        assert body["error"] == "model_too_large" and f"{needed:,} MB" in body["message"]
        assert "SUMMIT_JOB_MEMORY_MB" in body["message"] and "600 MB" in body["message"]
        assert body["details"][0] == {"path": "memory_mb", "value": needed,
                                      "message": "at most 600 (SUMMIT_JOB_MEMORY_MB)"}
        compared = planner.post("/comparisons", json={"scenario_id": scenario_id, "variants": [{"name": "as is"}],
                                                         "time_limit_s": 2})
        assert error_of(compared, 413)["error"] == "model_too_large"
        assert planner.get(f"/scenarios/{scenario_id}").status_code == 200  # nothing stored is lost
    healthy(limited)


def test_explanations_are_jobs_under_the_rate_limit(limited: Server) -> None:
    with limited.client(limited.create_key("planner")) as planner:
        scenario_id = submit_scenario(planner)
        job = planner.post(f"/scenarios/{scenario_id}/solve", json={"time_limit_s": 2}).json()  # 1st submission
        timetable = wait_for_job(planner, job["id"])["timetable_id"]
        first = planner.get(f"/timetables/{timetable}/explain")  # 2nd
        assert first.status_code == 200 and first.json()["timetable_id"] == timetable
        assert planner.get(f"/timetables/{timetable}/explain").json() == first.json()  # remembered: not counted
        assert planner.get(f"/timetables/{timetable}/explain", params={"event": "bil-un-fra"}).status_code == 200
        error_of(planner.get(f"/timetables/{timetable}/explain", params={"event": "bil-vnm-fra"}), 429)
    healthy(limited)


def test_a_summit_whose_whole_model_does_not_fit_runs_lns_alone_and_its_timetable_is_valid(
        limited: Server) -> None:
    from solver.generate import generate_scenario
    from solver.size import estimate_memory, estimate_model_size
    from solver.timetable import Timetable
    from solver.validate import validate_timetable

    scenario = generate_scenario(delegations=6, bilaterals=6, days=2, seed=1)
    estimate = estimate_memory(estimate_model_size(scenario))
    assert estimate.lns_mb <= 600 < estimate.whole_mb
    with limited.client(limited.create_key("planner")) as planner:
        created = planner.post("/scenarios", content=json.dumps(scenario.to_document()),
                               headers={"Content-Type": "application/json"})
        assert created.status_code == 201, created.text
        job = planner.post(f"/scenarios/{created.json()['id']}/solve", json={"time_limit_s": 3}).json()
        assert job["params"]["lns_only"] is True
        done = wait_for_job(planner, job["id"], timeout=120)
        assert done["status"] == "done" and done["result"]["lns_alone"] is True, done
        timetable = Timetable.model_validate(planner.get(f"/timetables/{done['timetable_id']}").json())
    assert timetable.status in ("optimal", "feasible") and validate_timetable(scenario, timetable) == []
    healthy(limited)


@pytest.fixture(scope="module")
def own(make_server: Callable[..., Server]) -> Server:
    """A server for the tests that revoke its only admin key, hold its streams, and finally kill it."""
    return make_server(env={"SUMMIT_MAX_STREAMS_PER_KEY": "2"})


@pytest.mark.skipif(not HANOI.exists(), reason="needs a scenario that runs a while")
def test_event_streams_are_capped_per_key(own: Server) -> None:
    with own.client(own.create_key("planner")) as planner:
        scenario_id = submit_scenario(planner, HANOI)
        job = planner.post(f"/scenarios/{scenario_id}/solve", json={"time_limit_s": 60}).json()
        streams = [planner.stream("GET", f"/jobs/{job['id']}/events") for _ in range(2)]
        opened = [stream.__enter__() for stream in streams]
        try:
            assert [r.status_code for r in opened] == [200, 200]
            assert error_of(planner.get(f"/jobs/{job['id']}/events"), 429)["error"] == "too_many_streams"
            healthy(own)
        finally:
            for stream in streams:
                stream.__exit__(None, None, None)
        cancelled = planner.delete(f"/jobs/{job['id']}").json()
        assert cancelled["status"] in ("cancelled", "done")
        with planner.stream("GET", f"/jobs/{job['id']}/events") as again:  # closed streams are given back
            assert again.status_code == 200 and "event: end" in again.read().decode()
    healthy(own)


def test_the_last_admin_key_cannot_be_revoked_through_the_api(own: Server) -> None:
    alone = own
    key = alone.create_key("admin")
    with alone.client(key) as admin:
        me = next(k for k in admin.get("/keys").json() if k["role"] == "admin")
        assert error_of(admin.delete(f"/keys/{me['id']}"), 409)["error"] == "last_admin_key"
        second = admin.post("/keys", json={"role": "admin"}).json()
        assert admin.delete(f"/keys/{me['id']}").status_code == 200
        error_of(admin.get("/keys"), 401)
    with alone.client(second["key"]) as other:
        assert other.get("/keys").status_code == 200


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, stack = set(), [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.add(child)
            stack.append(child)
    return found


@PROCESS_RUNNER
@pytest.mark.skipif(not HANOI.exists() or not Path("/proc").exists(), reason="needs Hanoi and Linux")
def test_job_processes_exit_with_their_server(own: Server) -> None:
    doomed = own  # the last test of this server
    with doomed.client(doomed.create_key("planner")) as planner:
        scenario_id = submit_scenario(planner, HANOI)
        job = planner.post(f"/scenarios/{scenario_id}/solve", json={"time_limit_s": 60}).json()
        wait_for_job(planner, job["id"], until=("running",))
    assert doomed.process is not None
    processes = _descendants(doomed.process.pid)
    assert processes  # the fork server and the job's process
    doomed.kill()
    for _ in range(200):
        alive = {pid for pid in processes if Path(f"/proc/{pid}").exists()
                 and "Z" not in (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0:1] or ["Z"])}
        if not alive:
            break
        time.sleep(0.1)
    assert not alive, f"still running after their server was killed: {alive}"
    for pid in alive:  # pragma: no cover - only when the assertion above failed
        os.kill(pid, signal.SIGKILL)
