"""A real uvicorn server on a free local port, in a subprocess, on a temporary database.

SQLite by default; PostgreSQL when SUMMIT_TEST_DATABASE_URL is set (each server gets a fresh schema).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "scenarios" / "examples" / "tiny.yaml"
HANOI = ROOT / "scenarios" / "hanoi-2025.yaml"
SERVER_ENV = {
    "SUMMIT_MAX_CONCURRENT_JOBS": "2",
    "SUMMIT_SOLVER_WORKERS": "1",
    "SUMMIT_MAX_EVENTS": "2000",
    "SUMMIT_MAX_BODY_BYTES": str(5 * 1024 * 1024),
    "SUMMIT_EXPLAIN_TIME_LIMIT_S": "3",
    # the summit's clock before the examples' summits (2025-10): publishing moves no past event; the summit day's
    # tests set a summit's clock with PUT /summits/{id}/clock
    "SUMMIT_CLOCK": "2025-01-01T00:00+00:00",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``python -m uvicorn --factory api.main:create_app`` on a free port; start, stop, kill, restart."""

    def __init__(self, database_url: str, tmp: Path, env: dict[str, str] | None = None) -> None:
        self.database_url = database_url
        self.tmp = tmp
        self.env = {**os.environ, **SERVER_ENV, **(env or {}), "SUMMIT_DATABASE_URL": database_url}
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log = tmp / f"server-{uuid.uuid4().hex[:6]}.log"

    def start(self) -> Server:
        log = self.log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "api.main:create_app", "--host", "127.0.0.1",
             "--port", str(self.port), "--log-level", "warning"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError("server did not start in 60 s")

    def kill(self) -> None:
        """SIGKILL: no shutdown hook runs, as in a crash."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def create_key_cli(self, role: str, delegation: str | None = None) -> str:
        """``summit keys create``: the key is the last line printed."""
        args = [sys.executable, "-m", "api.cli", "keys", "create", "--role", role]
        if delegation:
            args += ["--delegation", delegation]
        done = subprocess.run(args, cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=60, check=True)
        return done.stdout.strip().splitlines()[-1]

    def create_key(self, role: str, delegation: str | None = None) -> str:
        """``summit keys create`` run in this process (the same command on the server's database, without the
        second or so a new Python process takes to import the CLI): the key is the last line printed.
        ``create_key_cli`` runs it as its own process."""
        from typer.testing import CliRunner

        from api.cli import app

        args = ["keys", "create", "--role", role] + (["--delegation", delegation] if delegation else [])
        done = CliRunner().invoke(app, args, env=self.env)
        assert done.exit_code == 0, (done.output, done.exception)
        return done.stdout.strip().splitlines()[-1]

    def client(self, key: str | None = None, **kwargs: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60, **kwargs)


@pytest.fixture(scope="session")
def make_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], str]]:
    """Each call: a new empty database (a SQLite file, or a fresh PostgreSQL schema)."""
    base = os.environ.get("SUMMIT_TEST_DATABASE_URL")
    schemas: list[str] = []

    def make() -> str:
        if not base:
            return f"sqlite:///{tmp_path_factory.mktemp('db') / 'summit.db'}"
        import sqlalchemy as sa

        schema = f"summit_test_{uuid.uuid4().hex[:10]}"
        engine = sa.create_engine(base)
        with engine.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        engine.dispose()
        schemas.append(schema)
        separator = "&" if "?" in base else "?"
        return f"{base}{separator}options=-csearch_path%3D{schema}"

    yield make
    if base and schemas:
        import sqlalchemy as sa

        engine = sa.create_engine(base)
        with engine.begin() as connection:
            for schema in schemas:
                connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture(scope="session")
def make_server(make_database_url: Callable[[], str],
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Server]]:
    servers: list[Server] = []

    def make(database_url: str | None = None, env: dict[str, str] | None = None) -> Server:
        server = Server(database_url or make_database_url(), tmp_path_factory.mktemp("server"), env)
        servers.append(server)
        return server.start()

    yield make
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def server(make_server: Callable[..., Server]) -> Server:
    """The shared server of the suite."""
    return make_server()


@pytest.fixture(scope="session")
def keys(server: Server) -> dict[str, str]:
    """One key per role: the admin's from the command line (``summit keys create``), the others from POST /keys."""
    admin = server.create_key("admin")
    out = {"admin": admin}
    with server.client(admin) as client:
        for name, body in {"planner": {"role": "planner"}, "viewer": {"role": "viewer"},
                           "liaison": {"role": "liaison", "delegation": "FRA"},
                           "liaison_vnm": {"role": "liaison", "delegation": "VNM"}}.items():
            response = client.post("/keys", json=body)
            assert response.status_code == 201, response.text
            out[name] = response.json()["key"]
    return out


@pytest.fixture(scope="session")
def planner(server: Server, keys: dict[str, str]) -> Iterator[httpx.Client]:
    with server.client(keys["planner"]) as client:
        yield client


def wait_for_job(client: httpx.Client, job_id: str, timeout: float = 90,
                 until: tuple[str, ...] = ("done", "failed", "cancelled")) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/jobs/{job_id}").json()
        if job["status"] in until:
            return job  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} still {job['status']} after {timeout} s")


def wait_for_progress(client: httpx.Client, job_id: str, timeout: float = 90) -> dict[str, Any]:
    """The job once it has reported a first incumbent (a deadline in seconds, not a count of polls: each poll takes
    longer on a busy machine)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/jobs/{job_id}").json()
        if job["progress"]:
            return job  # type: ignore[no-any-return]
        assert job["status"] in ("queued", "running"), job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} reported no incumbent in {timeout} s")


def submit_scenario(client: httpx.Client, path: Path = TINY) -> str:
    response = client.post("/scenarios", content=path.read_bytes(), headers={"Content-Type": "application/yaml"})
    assert response.status_code == 201, response.text
    return response.json()["id"]  # type: ignore[no-any-return]


def solve(client: httpx.Client, scenario_id: str, time_limit_s: float = 2) -> dict[str, Any]:
    response = client.post(f"/scenarios/{scenario_id}/solve", json={"time_limit_s": time_limit_s})
    assert response.status_code == 202, response.text
    job = wait_for_job(client, response.json()["id"])
    assert job["status"] == "done", job
    return job


@pytest.fixture(scope="session")
def solved(planner: httpx.Client) -> dict[str, str]:
    """The tiny scenario, submitted and solved once: ids for tests that only read."""
    scenario_id = submit_scenario(planner)
    job = solve(planner, scenario_id)
    publish(planner, job["timetable_id"])  # what liaisons and feeds see
    return {"scenario": scenario_id, "job": job["id"], "timetable": job["timetable_id"]}


def publish(client: httpx.Client, timetable_id: str, **body: Any) -> dict[str, Any]:
    """POST /timetables/{id}/publish, which must succeed: what it changed."""
    response = client.post(f"/timetables/{timetable_id}/publish", json=body)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


COMPARISON_VARIANTS = [{"name": "guest house closed", "changes": [
    {"op": "room_closed", "room": "bil-h", "start": "2025-10-25T09:00", "end": "2025-10-25T12:00"}]}]


@pytest.fixture(scope="session")
def compared(planner: httpx.Client, solved: dict[str, str]) -> dict[str, Any]:
    """A finished comparison of the tiny scenario with one variant: the job as GET /comparisons/{id} answers."""
    response = planner.post("/comparisons", json={"scenario_id": solved["scenario"], "variants": COMPARISON_VARIANTS,
                                                  "time_limit_s": 2})
    assert response.status_code == 202, response.text
    wait_for_job(planner, response.json()["id"])
    return planner.get(f"/comparisons/{response.json()['id']}").json()  # type: ignore[no-any-return]
