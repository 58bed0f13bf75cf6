"""The cluster runner end to end: real `summit serve` and `summit worker` processes, the machine's Redis
(database 5, a queue of this run's own) and PostgreSQL (a fresh schema). Skipped, saying why, when
either does not answer."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from solver.compare import RunSettings, build_variants, run_comparison
from solver.generate import generate_scenario
from solver.scenario import Scenario, load_scenario, parse_scenario
from solver.timetable import Timetable
from solver.validate import validate_timetable
from tests.api.conftest import ROOT, TINY, Server, submit_scenario, wait_for_job

REDIS_URL = os.environ.get("SUMMIT_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
POSTGRES_URL = os.environ.get("SUMMIT_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
VARIANTS: list[dict[str, Any]] = [{"name": "guest house closed", "changes": [
    {"op": "room_closed", "room": "bil-h", "start": "2025-10-25T09:00", "end": "2025-10-25T12:00"}]},
    {"name": "second", "changes": []}, {"name": "third", "changes": []}, {"name": "fourth", "changes": []}]


def _redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def _postgres_answers(url: str) -> bool:
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        engine.dispose()
        return True
    except sa.exc.SQLAlchemyError:
        return False


@pytest.fixture(scope="module")
def services() -> None:
    if not POSTGRES_URL.startswith("postgresql"):
        pytest.skip(f"the cluster runner needs PostgreSQL; SUMMIT_TEST_DATABASE_URL is {POSTGRES_URL}")
    if not _redis_answers(REDIS_URL):
        pytest.skip(f"no Redis answers at {REDIS_URL}: the cluster tests need one (set SUMMIT_TEST_REDIS_URL)")
    if not _postgres_answers(POSTGRES_URL):
        pytest.skip(f"no PostgreSQL answers at {POSTGRES_URL}: the cluster tests need one")


class Worker:
    """``summit worker`` in its own process group, so that kill -9 takes its pool processes with it
    (a machine lost), as in a crash."""

    def __init__(self, name: str, env: dict[str, str], tmp: Path) -> None:
        self.name = name
        self.env = env
        self.log = tmp / f"worker-{name}-{uuid.uuid4().hex[:6]}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def launch(self) -> Worker:
        log = self.log.open("ab")
        self.process = subprocess.Popen([sys.executable, "-m", "api.cli", "worker", "--concurrency", "1",
                                         "--name", f"{self.name}@%h"], cwd=ROOT, env=self.env, stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def ready(self) -> Worker:
        assert self.process is not None
        deadline = time.monotonic() + 90
        while " ready." not in self.log.read_text(errors="replace"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker {self.name} did not start: {self.log.read_text()[-3000:]}")
            time.sleep(0.2)
        return self

    @property
    def hostname(self) -> str:
        return f"{self.name}@{socket.gethostname()}"

    def kill(self) -> None:
        """SIGKILL to the worker and its pool processes at once."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        self.kill()  # a warm shutdown would wait for running solves: these tests have nothing left to run


class Cluster:
    def __init__(self, env: dict[str, str], database_url: str, tmp: Path,
                 make_server: Callable[..., Server]) -> None:
        self.env = {**os.environ, **env, "SUMMIT_DATABASE_URL": database_url}
        self.env.pop("SUMMIT_TEST_DATABASE_URL", None)
        self.database_url, self.tmp, self.make_server = database_url, tmp, make_server
        self.workers: list[Worker] = []
        self.main: Server | None = None

    def start_workers(self, *names: str, meanwhile: Callable[[], Any] | None = None) -> list[Worker]:
        """Started together (each takes seconds to import the solver and Celery), ready when all are;
        ``meanwhile`` runs while they start."""
        started = [Worker(name, self.env, self.tmp).launch() for name in names]
        self.workers.extend(started)
        if meanwhile is not None:
            meanwhile()
        return [worker.ready() for worker in started]

    def server(self, **env: str) -> Server:
        return self.make_server(self.database_url, {**self.env, **env})


def _cluster_env(broker: str = REDIS_URL) -> dict[str, str]:
    return {"SUMMIT_RUNNER": "celery", "SUMMIT_BROKER_URL": broker,
            "SUMMIT_QUEUE": f"summit-test-{uuid.uuid4().hex[:8]}", "SUMMIT_SOLVER_WORKERS": "1",
            "SUMMIT_MAX_TIME_LIMIT_S": "6", "SUMMIT_VISIBILITY_TIMEOUT_S": "14",
            "SUMMIT_RESTORE_INTERVAL_S": "1", "SUMMIT_JOB_LEASE_S": "4"}


@pytest.fixture(scope="module")
def cluster(pg_schema: Callable[[], str], make_server: Callable[..., Server],
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Two workers (one pool process each) and one server on a fresh PostgreSQL schema."""
    database_url = pg_schema()
    cluster = Cluster(_cluster_env(), database_url, tmp_path_factory.mktemp("cluster"), make_server)
    servers: list[Server] = []
    cluster.start_workers("w1", "w2", meanwhile=lambda: servers.append(cluster.server()))
    cluster.main = servers[0]
    try:
        yield cluster
    finally:
        for worker in cluster.workers:
            worker.stop()
        _drop_queue(REDIS_URL, cluster.env["SUMMIT_QUEUE"])


@pytest.fixture(scope="module")
def pg_schema(services: None) -> Iterator[Callable[[], str]]:
    """Each call: a fresh PostgreSQL schema (all dropped at the end of the module)."""
    import sqlalchemy as sa

    schemas: list[str] = []
    engine = sa.create_engine(POSTGRES_URL)

    def make() -> str:
        schema = f"summit_test_{uuid.uuid4().hex[:10]}"
        with engine.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        schemas.append(schema)
        separator = "&" if "?" in POSTGRES_URL else "?"
        return f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"

    yield make
    with engine.begin() as connection:
        for schema in schemas:
            connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


def _drop_queue(url: str, queue: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    client.delete(queue, f"_kombu.binding.{queue}")


@pytest.fixture(scope="module")
def admin(cluster: Cluster) -> Iterator[httpx.Client]:
    server = cluster.main
    assert server is not None
    with server.client(server.create_key("admin")) as client:
        yield client


def _validated(client: httpx.Client, scenario: Scenario, timetable_id: str) -> Timetable:
    timetable = Timetable.model_validate(client.get(f"/timetables/{timetable_id}").json())
    assert validate_timetable(scenario, timetable) == []
    return timetable


@pytest.fixture(scope="module")
def slow() -> Scenario:
    """A synthetic summit (60 delegations, 300 requests, 2 days) whose solve finds a timetable at once and
    is far from proving it optimal after its time limit (a 35 % gap after 8 s here): a solve to stop."""
    return generate_scenario(60, 300, 2, seed=1)


def _submit_document(client: httpx.Client, scenario: Scenario) -> str:
    response = client.post("/scenarios", json=scenario.to_document())
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _running(client: httpx.Client, job_id: str, timeout: float = 120) -> dict[str, Any]:
    """The job once a worker is solving it and has found a timetable (so there is one to keep)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/jobs/{job_id}").json()
        if job["status"] == "running" and job["progress"]:
            return job  # type: ignore[no-any-return]
        assert job["status"] in ("queued", "running"), job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} not running with progress after {timeout} s")


def test_solve_jobs_run_on_the_workers_and_health_counts_them(cluster: Cluster, admin: httpx.Client) -> None:
    deadline = time.monotonic() + 30  # the server asks the workers at most every 5 s
    while (health := admin.get("/health").json())["workers"] != 2 and time.monotonic() < deadline:
        time.sleep(0.5)
    jobs = health.pop("jobs")
    assert health == {"status": "ok", "database": "ok", "runner": "celery", "broker": "ok", "workers": 2}
    assert jobs["waiting_over_minute"] == 0 and jobs["running_without_lease"] == 0
    scenario_id = submit_scenario(admin)
    submitted = [admin.post(f"/scenarios/{scenario_id}/solve", json={"time_limit_s": 2, "seed": seed}).json()["id"]
                 for seed in range(4)]
    names = {w.hostname for w in cluster.workers}
    for job_id in submitted:
        job = wait_for_job(admin, job_id)
        assert job["status"] == "done" and job["attempts"] == 1 and job["worker"] in names, job
        _validated(admin, load_scenario(TINY), job["timetable_id"])
    with admin.stream("GET", f"/jobs/{submitted[0]}/events") as events:  # progress streams from the database
        text = "".join(events.iter_text())
    first = wait_for_job(admin, submitted[0])
    assert "event: progress" in text and f'"timetable_id": "{first["timetable_id"]}"' in text.split("event: end")[1]
    logs = "".join(w.log.read_text() for w in cluster.workers)
    assert all(f"took job {job_id} (solve, attempt 1 of 3)" in logs for job_id in submitted)


def test_a_comparison_fans_out_over_both_workers(cluster: Cluster, admin: httpx.Client) -> None:
    scenario_id = submit_scenario(admin)
    response = admin.post("/comparisons", json={"scenario_id": scenario_id, "variants": VARIANTS,
                                                "time_limit_s": 2})
    assert response.status_code == 202, response.text
    job = wait_for_job(admin, response.json()["id"])
    assert job["status"] == "done", job
    names = ["base", *(str(v["name"]) for v in VARIANTS)]
    assert sorted(p["label"] for p in job["progress"]) == sorted(f"{n} (seed 0)" for n in names)
    data = admin.get(f"/comparisons/{job['id']}").json()["comparison"]
    assert [v["name"] for v in data["variants"]] == names
    ran_on = {run["worker"] for v in data["variants"] for run in v["runs"]}
    assert ran_on == {w.hostname for w in cluster.workers}  # each result names the worker that ran it
    assert all(v["violations"] == [] for v in data["variants"])
    # the same shape as the comparison solved in one place (solver.compare), plus the worker of each run
    base = parse_scenario(load_scenario(TINY).to_document())
    local = run_comparison(build_variants(base, []), RunSettings(time_limit=1, workers=1)).data
    assert set(data) == set(local) and set(data["variants"][0]) == set(local["variants"][0])
    assert set(data["variants"][0]["runs"][0]) == set(local["variants"][0]["runs"][0]) | {"worker"}


def test_cancel_reaches_a_solve_running_on_a_worker(cluster: Cluster, admin: httpx.Client, slow: Scenario) -> None:
    scenario_id = _submit_document(admin, slow)
    job_id = admin.post(f"/scenarios/{scenario_id}/solve", json={"time_limit_s": 6}).json()["id"]
    running = _running(admin, job_id)
    assert admin.delete(f"/jobs/{job_id}").status_code == 200
    job = wait_for_job(admin, job_id)
    assert job["status"] == "cancelled" and job["worker"] == running["worker"] and job["attempts"] == 1, job
    assert job["timetable_id"] is not None  # its best timetable is kept
    _validated(admin, slow, job["timetable_id"])


def _pool_processes(worker: Worker) -> list[int]:
    assert worker.process is not None
    found = subprocess.run(["pgrep", "-P", str(worker.process.pid)], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


def test_a_pool_process_killed_mid_solve_loses_nothing(cluster: Cluster, admin: httpx.Client,
                                                       slow: Scenario) -> None:
    """kill -9 of the process solving a job (as the OOM killer would): its task goes back to the queue at
    once (reject on worker lost), is claimed again once the lost claim's lease lapses, and the job ends
    done once, with one timetable, after two attempts."""
    scenario_id = _submit_document(admin, slow)
    job_id = admin.post(f"/scenarios/{scenario_id}/solve", json={"time_limit_s": 6}).json()["id"]
    running = _running(admin, job_id)
    worker = next(w for w in cluster.workers if w.hostname == running["worker"])
    for pid in _pool_processes(worker):
        os.kill(pid, signal.SIGKILL)
    job = wait_for_job(admin, job_id, timeout=180)
    assert job["status"] == "done" and job["attempts"] == 2, job
    timetables = admin.get(f"/scenarios/{scenario_id}/timetables").json()
    assert [t["id"] for t in timetables if t["job_id"] == job_id] == [job["timetable_id"]]
    _validated(admin, slow, job["timetable_id"])
    assert "WorkerLostError" in worker.log.read_text()


def test_a_comparison_survives_losing_a_worker_machine_mid_solve(cluster: Cluster, admin: httpx.Client,
                                                                  slow: Scenario) -> None:
    """Two solves, one on each worker; one worker is killed with its pool (a machine lost): the survivor
    finishes its own solve, takes the lost one's when the broker delivers it again (after the visibility
    timeout), and the last one in gathers the comparison, once."""
    import sqlalchemy as sa

    scenario_id = _submit_document(admin, slow)
    response = admin.post("/comparisons", json={"scenario_id": scenario_id, "time_limit_s": 6,
                                                "variants": [{"name": "same again", "changes": []}]})
    job_id = response.json()["id"]
    engine = sa.create_engine(cluster.database_url)
    query = sa.text("SELECT worker FROM job_solves WHERE job_id = :j AND status = 'running'")
    deadline = time.monotonic() + 120
    with engine.connect() as connection:
        while len(running := connection.execute(query, {"j": job_id}).scalars().all()) < 2:
            assert time.monotonic() < deadline, "the two solves did not run at once"
            time.sleep(0.1)
    lost = next(w for w in cluster.workers if w.hostname == running[0])
    lost.kill()
    job = wait_for_job(admin, job_id, timeout=180)
    assert job["status"] == "done", job
    with engine.connect() as connection:
        solves = connection.execute(sa.text("SELECT variant, attempts, worker FROM job_solves WHERE job_id = :j"),
                                    {"j": job_id}).all()
    engine.dispose()
    survivor = next(w.hostname for w in cluster.workers if w.hostname in running and w is not lost)
    assert sorted((attempts, worker) for _, attempts, worker in solves) == [(1, survivor), (2, survivor)]
    runs = [run for v in admin.get(f"/comparisons/{job_id}").json()["comparison"]["variants"] for run in v["runs"]]
    assert [run["worker"] for run in runs] == [survivor, survivor] and len(job["progress"]) == 2


def test_a_worker_killed_with_its_pool_has_its_job_sent_again_by_the_servers_sweep(
        cluster: Cluster, admin: httpx.Client, slow: Scenario) -> None:
    """kill -9 of a whole worker (its machine lost) while it solves: the broker keeps the task unacknowledged
    until its visibility timeout, but the server's sweep sees the lapsed lease and sends the job again; the
    other worker runs it to the end, once (benchmarks/cluster_recovery.py measures the delay)."""
    _replace_dead_workers(cluster)
    scenario_id = _submit_document(admin, slow)
    job_id = admin.post(f"/scenarios/{scenario_id}/solve", json={"time_limit_s": 6}).json()["id"]
    running = _running(admin, job_id)
    lost = next(w for w in cluster.workers if w.hostname == running["worker"])
    lost.kill()
    try:
        job = wait_for_job(admin, job_id, timeout=180)
        assert job["status"] == "done" and job["attempts"] == 2 and job["worker"] != lost.hostname, job
        _validated(admin, slow, job["timetable_id"])
        assert cluster.main is not None and "sweep: sent again 1 lost job(s)" in cluster.main.log.read_text()
    finally:  # the cluster keeps two workers for the tests after this one
        _replace_dead_workers(cluster)


def _replace_dead_workers(cluster: Cluster) -> None:
    """Workers killed by an earlier test are started again under their names."""
    dead = [w for w in cluster.workers if w.process is None or w.process.poll() is not None]
    for worker in dead:
        cluster.workers.remove(worker)
    if dead:
        cluster.start_workers(*(w.name for w in dead))


def test_a_replan_goes_through_the_urgent_queue(cluster: Cluster, admin: httpx.Client) -> None:
    """Re-plans are sent to `<queue>.urgent`, which every worker takes from by default (a worker started with
    `-Q <queue>.urgent` alone keeps a slot for them)."""
    _replace_dead_workers(cluster)
    scenario_id = submit_scenario(admin)
    solved = wait_for_job(admin, admin.post(f"/scenarios/{scenario_id}/solve", json={"time_limit_s": 2}).json()["id"])
    change = {"op": "room_closed", "room": "bil-h", "start": "2025-10-25T09:00", "end": "2025-10-25T12:00"}
    response = admin.post(f"/timetables/{solved['timetable_id']}/changes", json={"changes": [change],
                                                                                  "time_limit_s": 2})
    assert response.status_code == 202, response.text
    job = wait_for_job(admin, response.json()["id"])
    assert job["status"] == "done", job
    logs = "".join(w.log.read_text() for w in cluster.workers)
    assert f"summit.run_job[{job['id']}] received" in logs and f"{cluster.env['SUMMIT_QUEUE']}.urgent" in logs


class Service:
    """What `summit serve` does with the celery runner, in this process: the store, the runner that sends
    jobs, the health probe (no HTTP server to start: these tests are about the broker)."""

    def __init__(self, env: dict[str, str], database_url: str) -> None:
        from api.jobs.celery_app import CeleryRunner, ClusterProbe, make_celery
        from api.settings import Settings
        from api.store.db import make_engine, upgrade
        from api.store.repository import Repository

        self.settings = Settings.from_env({k: v for k, v in env.items() if k.startswith("SUMMIT_")})
        self.engine = make_engine(database_url)
        upgrade(self.engine)
        self.repo = Repository(self.engine)
        self.celery = make_celery(self.settings)
        self.runner = CeleryRunner(self.repo, self.celery)
        self.probe = ClusterProbe(self.celery, ttl=0)
        _, self.version = self.repo.create_scenario(load_scenario(TINY), None)

    def job(self, params: dict[str, Any] | None = None) -> str:
        return self.repo.create_job("solve", self.version.scenario_id, self.version.id,
                                    params or {"time_limit_s": 2, "workers": 1, "seed": 0}, None).id

    def wait(self, job_id: str, timeout: float = 120) -> Any:
        deadline = time.monotonic() + timeout
        while (job := self.repo.get_job(job_id)) is not None and job.status not in ("done", "failed", "cancelled"):
            assert time.monotonic() < deadline, f"job {job_id} still {job.status}"
            time.sleep(0.1)
        return job

    def close(self) -> None:
        self.engine.dispose()


def test_a_job_failing_three_times_ends_failed_with_the_reason(cluster: Cluster) -> None:
    """A job whose every try raises (here: stored with a time limit that is not a number) is tried three
    times, then failed."""
    service = Service(cluster.env, cluster.database_url)
    try:
        job_id = service.job({"time_limit_s": "soon", "workers": 1, "seed": 0})
        service.runner.submit(job_id)
        failed = service.wait(job_id)
        assert failed.status == "failed" and failed.attempts == 3, failed.error
        assert (failed.error or "").startswith("failed 3 times; last: ValidationError:"), failed.error
    finally:
        service.close()


def test_rabbitmq_works_by_its_url_alone(pg_schema: Callable[[], str], make_server: Callable[..., Server],
                                        tmp_path: Path) -> None:
    """The same cluster with a RabbitMQ broker: nothing but the URL changes."""
    from urllib.parse import urlsplit

    url = os.environ.get("SUMMIT_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
    where = urlsplit(url)
    try:
        socket.create_connection((where.hostname or "127.0.0.1", where.port or 5672), 3).close()
    except OSError:
        pytest.skip(f"no RabbitMQ answers at {where.hostname}:{where.port or 5672}")
    cluster = Cluster(_cluster_env(url), pg_schema(), tmp_path, make_server)
    service = Service(cluster.env, cluster.database_url)
    try:
        (worker,) = cluster.start_workers("rabbit")
        assert service.probe() == ("ok", 1)
        job_id = service.job()
        service.runner.submit(job_id)
        job = service.wait(job_id)
        assert job.status == "done" and job.worker == worker.hostname, job.error
    finally:
        for started in cluster.workers:
            started.stop()
        service.close()


def test_the_broker_restarting_keeps_queued_jobs(pg_schema: Callable[[], str], make_server: Callable[..., Server],
                                                 tmp_path: Path) -> None:
    """A Redis of its own that keeps its data (appendonly): a job queued while no worker runs is still
    there after the broker restarts, and a worker started then runs it."""
    port = _free_port()
    redis_dir = tmp_path / "redis"
    redis_dir.mkdir()
    broker = _start_redis(port, redis_dir)
    cluster = Cluster(_cluster_env(f"redis://127.0.0.1:{port}/0"), pg_schema(), tmp_path, make_server)
    service = Service(cluster.env, cluster.database_url)
    try:
        job_id = service.job()
        service.runner.submit(job_id)
        subprocess.run(["redis-cli", "-p", str(port), "shutdown"], check=True, timeout=30)
        broker.wait(30)
        assert service.probe() == ("unreachable", 0)
        broker = _start_redis(port, redis_dir)
        cluster.start_workers("after-restart")
        job = service.wait(job_id)
        assert job.status == "done" and job.attempts == 1, job.error
    finally:
        for worker in cluster.workers:
            worker.stop()
        service.close()
        broker.terminate()
        broker.wait(30)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_redis(port: int, directory: Path) -> subprocess.Popen[bytes]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed: the broker restart test starts a Redis of its own")
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory),
                                "--appendonly", "yes", "--appendfsync", "always", "--save", ""],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not _redis_answers(f"redis://127.0.0.1:{port}/0"):
        assert time.monotonic() < deadline and process.poll() is None, "redis-server did not start"
        time.sleep(0.1)
    return process


def test_two_api_processes_behave_as_one(pg_schema: Callable[[], str], make_server: Callable[..., Server]) -> None:
    """Two `summit serve` on one database and one Redis: one key's job submissions are counted together, and
    a key revoked (the database says so, and the revocation is published, as revoking a key does) is refused
    by both at once, though both had it in their caches."""
    import sqlalchemy as sa

    from api.revocations import KeyRevocations
    from api.store.db import make_engine, upgrade
    from api.store.repository import Repository, hash_key

    database_url = pg_schema()
    engine = make_engine(database_url)
    upgrade(engine)  # here, so that the two servers may start together
    key = Repository(engine).create_key("planner")[1]
    env = {"SUMMIT_JOBS_PER_MINUTE": "3", "SUMMIT_REDIS_URL": REDIS_URL, "SUMMIT_RUNNER": "thread"}
    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(lambda _: make_server(database_url, env), range(2))
    with first.client(key) as a, second.client(key) as b:
        scenario_id = submit_scenario(a)
        answers = [client.post(f"/scenarios/{scenario_id}/solve", json={"time_limit_s": 1}) for client in (a, b, a, b)]
        assert [r.status_code for r in answers] == [202, 202, 202, 429]
        assert answers[-1].json()["error"] == "rate_limited" and int(answers[-1].headers["Retry-After"]) >= 1
        for response in answers[:3]:
            wait_for_job(a, response.json()["id"])

        assert a.get("/keys/me").status_code == 200 and b.get("/keys/me").status_code == 200  # both cache it
        with engine.begin() as connection:
            key_id = connection.execute(sa.text("UPDATE api_keys SET revoked = true WHERE key_hash = :h RETURNING id"),
                                        {"h": hash_key(key)}).scalar_one()
        KeyRevocations(Repository(engine), REDIS_URL).revoked(key_id)
        engine.dispose()
        deadline = time.monotonic() + 10  # a published message takes a moment; without it, 30 s of cache
        while time.monotonic() < deadline and (a.get("/keys/me").status_code, b.get("/keys/me").status_code) != (
                401, 401):
            time.sleep(0.05)
        assert (a.get("/keys/me").status_code, b.get("/keys/me").status_code) == (401, 401)


def test_a_pool_process_holds_the_job_memory_limit_and_says_so(pg_schema: Callable[[], str],
                                                               make_server: Callable[..., Server],
                                                               tmp_path: Path, slow: Scenario) -> None:
    """A `summit worker` whose SUMMIT_JOB_MEMORY_MB is far below what a solve of a 300-request summit needs
    (set on the worker, not on the service that admitted the job): its pool process stops at the limit and
    the job ends failed once, naming the limit and the setting, as on the process runner; the worker goes
    on and runs the next job."""
    memory_mb = 700
    cluster = Cluster({**_cluster_env(), "SUMMIT_JOB_MEMORY_MB": str(memory_mb)}, pg_schema(), tmp_path, make_server)
    service = Service({k: v for k, v in cluster.env.items() if k != "SUMMIT_JOB_MEMORY_MB"}, cluster.database_url)
    try:
        (worker,) = cluster.start_workers("small")
        _, version = service.repo.create_scenario(slow, None)
        # (the job fails as soon as it passes the limit; the long time limit only lets a loaded machine's solve
        # grow that far: at 6 s, at load 8-11, it once ended `done` under the limit)
        big = service.repo.create_job("solve", version.scenario_id, version.id,
                                      {"time_limit_s": 90, "workers": 1, "seed": 0}, None).id
        service.runner.submit(big)
        job = service.wait(big, timeout=300)
        assert job.status == "failed" and job.attempts == 1, (job.status, job.attempts, job.error)
        assert f"{memory_mb} MB" in (job.error or "") and "SUMMIT_JOB_MEMORY_MB" in (job.error or ""), job.error
        small = service.job()
        service.runner.submit(small)
        assert service.wait(small).status == "done"
    finally:
        for started in cluster.workers:
            started.stop()
        service.close()


def test_an_explanation_whose_askers_have_all_left_is_stopped(pg_schema: Callable[[], str],
                                                               make_server: Callable[..., Server],
                                                               tmp_path: Path) -> None:
    """Two askers of the same explanation while no worker runs (the job stays queued, whatever the machine's
    speed): the first leaving leaves the job to the other; the second leaving stops it (cancelled: nobody
    wants it), and its task is never run."""
    from api.store.models import Job

    cluster = Cluster(_cluster_env(), pg_schema(), tmp_path, make_server)
    server = cluster.server()
    service = Service(cluster.env, cluster.database_url)
    try:
        with server.client(server.create_key("admin")) as admin:
            timetable = solve_in_place(service)

            def ask(seconds: float) -> str:
                try:
                    return str(admin.get(f"/timetables/{timetable}/explain", timeout=seconds).status_code)
                except httpx.TimeoutException:
                    return "left"

            with ThreadPoolExecutor(2) as pool:
                first, second = pool.submit(ask, 1.5), pool.submit(ask, 6)
                assert first.result(timeout=30) == "left"
                time.sleep(1)
                with service.repo.session() as s:
                    (job,) = s.query(Job).filter(Job.kind == "explain").all()
                assert job.status == "queued" and not job.cancel_requested  # the second asker still waits
                assert second.result(timeout=30) == "left"
            deadline = time.monotonic() + 15
            while (state := service.repo.get_job(job.id)) is not None and state.status != "cancelled":
                assert time.monotonic() < deadline, state.status
                time.sleep(0.2)
    finally:
        service.close()


def solve_in_place(service: Service) -> str:
    """The tiny summit solved here (no worker runs in the test that needs it): a stored timetable's id."""
    from solver.solve import solve

    job = service.repo.get_job(service.job())
    assert job is not None and service.repo.start_job(job.id) is not None
    timetable = solve(load_scenario(TINY), time_limit=2, workers=1).timetable
    assert validate_timetable(load_scenario(TINY), timetable) == []
    done = service.repo.finish_job(job.id, "done", timetable=timetable)
    assert done.timetable_id is not None
    return str(done.timetable_id)
