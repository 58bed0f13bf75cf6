"""Load on the service: 50 clients reading timetables, agendas, .ics and /health; then three explanations and
three maximum-size solves at once, with the API process's memory and /health's latency meanwhile.

    .venv/bin/python benchmarks/service_load.py --backend sqlite|postgresql [--clients 50] [--seconds 20]

Starts a server with the default settings (SQLite file, or a fresh schema of SUMMIT_BENCH_POSTGRES), solves the
Hanoi scenario, then:

1. ``--clients`` concurrent clients (one asyncio loop, so the client shares the 2 cores with the server) each
   cycle over GET /timetables/{id}, the VNM delegation agenda, a participant's agenda as .ics and /health for
   ``--seconds``: requests per second and p50/p95/p99 per endpoint;
2. ``--streams`` event streams are held open on a running solve (8 per key) while /health is asked 50 times;
3. a generated scenario just under the model size limit (``--bilaterals``) is stored, then three solves of it
   and three explanations of the Hanoi timetable are submitted at once; until all six are finished /health is
   asked every 0.2 s and the API process's resident memory read from /proc: p50/p95 of /health, the API's peak.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from benchmarks.service import percentile, running_server  # noqa: E402
from tests.api.conftest import HANOI, Server, submit_scenario, wait_for_job  # noqa: E402


async def _read_load(server: Server, key: str, paths: dict[str, str], clients: int,
                     seconds: float) -> dict[str, list[float]]:
    latencies: dict[str, list[float]] = defaultdict(list)
    failures: list[str] = []
    stop_at = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=30,
                                 limits=limits) as client:

        async def one_client(offset: int) -> None:
            names = list(paths)
            turn = offset
            while time.monotonic() < stop_at:
                name = names[turn % len(names)]
                turn += 1
                started = time.perf_counter()
                response = await client.get(paths[name])
                latencies[name].append(time.perf_counter() - started)
                if response.status_code != 200:
                    failures.append(f"{name}: {response.status_code}")

        await asyncio.gather(*(one_client(i) for i in range(clients)))
    if failures:
        print(f"  {len(failures)} answers were not 200, e.g. {failures[:3]}")
    return latencies


def _rss_mb(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _heavy_work(server: Server, key: str, timetable_id: str, bilaterals: int, time_limit: float) -> None:
    from solver.generate import generate_scenario

    assert server.process is not None
    pid = server.process.pid
    big = generate_scenario(delegations=200, bilaterals=bilaterals, days=3, seed=3)
    with server.client(key) as client:
        client.timeout = httpx.Timeout(120)
        created = client.post("/scenarios", content=json.dumps(big.to_document()),
                              headers={"Content-Type": "application/json"})
        print(f"  scenario of {len(big.events)} events: {created.status_code} {created.text[:300]}")
        if created.status_code != 201:
            return
        unscheduled = [u["event"] for u in client.get(f"/timetables/{timetable_id}").json()["unscheduled"]][:2]
        health: list[float] = []
        rss: list[float] = []
        done = threading.Event()

        def watch() -> None:
            with httpx.Client(base_url=server.url, timeout=30) as probe:
                while not done.is_set():
                    started = time.perf_counter()
                    probe.get("/health")
                    health.append(time.perf_counter() - started)
                    rss.append(_rss_mb(pid))
                    time.sleep(0.2)

        watcher = threading.Thread(target=watch)
        watcher.start()
        started = time.monotonic()
        jobs = [client.post(f"/scenarios/{created.json()['id']}/solve", json={"time_limit_s": time_limit}).json()
                for _ in range(3)]
        explained: list[int] = []

        def explain(event: str | None) -> None:
            with server.client(key) as own:
                own.timeout = httpx.Timeout(300)
                params = {"event": event} if event else {}
                explained.append(own.get(f"/timetables/{timetable_id}/explain", params=params).status_code)

        explainers = [threading.Thread(target=explain, args=(event,)) for event in [None, *unscheduled]]
        for thread in explainers:
            thread.start()
        statuses = [wait_for_job(client, job["id"], timeout=900)["status"] for job in jobs]
        for thread in explainers:
            thread.join()
        done.set()
        watcher.join()
    print(f"  3 solves ({time_limit:g} s each) and {len(explainers)} explanations at once: solves {statuses}, "
          f"explanations {explained}, all finished in {time.monotonic() - started:.0f} s")
    print(f"  /health meanwhile ({len(health)} probes): p50 {percentile(health, 0.5):.1f} ms, "
          f"p95 {percentile(health, 0.95):.1f} ms, max {max(health) * 1000:.1f} ms")
    print(f"  API process resident memory: at most {max(rss):.0f} MB while it ran "
          f"(peak since start VmHWM {_rss_mb(pid, 'VmHWM'):.0f} MB)")


async def _streams_phase(server: Server, admin: str, timetable_scenario: str, streams: int) -> None:
    """``streams`` open event streams (over as many keys as the per-key cap needs) on a running solve, and /health
    meanwhile."""
    with server.client(admin) as client:
        keys = [client.post("/keys", json={"role": "viewer", "label": f"stream {i}"}).json()["key"]
                for i in range(streams // 8 + 1)]
        job = client.post(f"/scenarios/{timetable_scenario}/solve", json={"time_limit_s": 120}).json()
        wait_for_job(client, job["id"], until=("running",))
    opened: list[int] = []

    async def hold(key: str, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient(base_url=server.url, headers={"Authorization": f"Bearer {key}"},
                                     timeout=60) as client:
            async with client.stream("GET", f"/jobs/{job['id']}/events") as response:
                opened.append(response.status_code)
                await stop.wait()

    stop = asyncio.Event()
    holders = [asyncio.create_task(hold(keys[i // 8], stop)) for i in range(streams)]
    while len(opened) < streams:
        await asyncio.sleep(0.2)
    health: list[float] = []
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as probe:
        for _ in range(50):
            started = time.perf_counter()
            await probe.get("/health")
            health.append(time.perf_counter() - started)
            await asyncio.sleep(0.1)
    stop.set()
    await asyncio.gather(*holders, return_exceptions=True)
    with server.client(admin) as client:
        client.delete(f"/jobs/{job['id']}")
    print(f"  {opened.count(200)} event streams open on a running solve: /health p50 {percentile(health, 0.5):.1f} ms, "
          f"p95 {percentile(health, 0.95):.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--bilaterals", type=int, default=1400, help="size of the big scenario (1400: 290k "
                                                                      "placements, under the 300k limit)")
    parser.add_argument("--time-limit", type=float, default=10.0, help="of each big solve")
    parser.add_argument("--streams", type=int, default=300, help="event streams held open at once")
    parser.add_argument("--phases", default="reads,streams,heavy", help="which of reads, streams, heavy to run")
    args = parser.parse_args()
    phases = set(args.phases.split(","))
    settings = {"SUMMIT_JOBS_PER_MINUTE": "1000", "SUMMIT_MAX_EVENTS": "20000",  # the rest: the defaults
                "SUMMIT_MAX_CONCURRENT_JOBS": "1", "SUMMIT_SOLVER_WORKERS": "2", "SUMMIT_EXPLAIN_TIME_LIMIT_S": "10"}
    with running_server(args.backend, settings) as server:
        key = server.create_key_cli("admin")
        with server.client(key) as client:
            scenario_id = submit_scenario(client, HANOI)
            job = client.post(f"/scenarios/{scenario_id}/solve", json={"time_limit_s": 5}).json()
            timetable_id = wait_for_job(client, job["id"], timeout=300)["timetable_id"]
            person = client.get(f"/timetables/{timetable_id}/delegations/VNM").json()["participants"][0]["id"]
        paths = {"timetable": f"/timetables/{timetable_id}", "delegation agenda": f"/timetables/{timetable_id}/"
                 "delegations/VNM", "participant .ics": f"/timetables/{timetable_id}/participants/{person}?format=ics",
                 "health": "/health"}
        print(f"backend {args.backend}")
        if "reads" in phases:
            asyncio.run(_read_load(server, key, paths, args.clients, 3))  # warm the caches
            latencies = asyncio.run(_read_load(server, key, paths, args.clients, args.seconds))
            total = sum(len(v) for v in latencies.values())
            print(f"  {args.clients} clients for {args.seconds:g} s: {total} requests, "
                  f"{total / args.seconds:.0f} requests/s")
            for name, values in latencies.items():
                print(f"  {name:18s} {len(values):6d} requests  p50 {percentile(values, 0.5):7.1f} ms  "
                      f"p95 {percentile(values, 0.95):7.1f} ms  p99 {percentile(values, 0.99):7.1f} ms")
        if "streams" in phases:
            asyncio.run(_streams_phase(server, key, scenario_id, args.streams))
        if "heavy" in phases:
            _heavy_work(server, key, timetable_id, args.bilaterals, args.time_limit)


if __name__ == "__main__":
    main()
