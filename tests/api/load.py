"""Load check of the service on loopback (the issue's performance targets), not part of pytest.

    .venv/bin/python -m tests.api.load [--clients 20] [--requests 40] [--time-limit 5]

Starts a server on a temporary SQLite file, solves the Hanoi scenario, then measures with
``--clients`` concurrent clients: GET /timetables/{id}, a delegation and a participant agenda
(p95 and median), and 10 solve jobs submitted at once (acceptance latency, all complete).
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from tests.api.conftest import HANOI, Server, submit_scenario, wait_for_job


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000


def _concurrently(clients: int, work: Callable[[list[float]], None]) -> list[float]:
    latencies: list[float] = []
    threads = [threading.Thread(target=work, args=(latencies,)) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=40, help="per client and endpoint")
    parser.add_argument("--time-limit", type=float, default=5.0)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    server = Server(f"sqlite:///{tmp}/load.db", tmp, {"SUMMIT_MAX_CONCURRENT_JOBS": "1"}).start()
    try:
        key = server.create_key("admin")
        with server.client(key) as client:
            scenario_id = submit_scenario(client, HANOI)
            job = client.post(f"/scenarios/{scenario_id}/solve", json={"time_limit_s": args.time_limit}).json()
            table_id = wait_for_job(client, job["id"], timeout=args.time_limit + 120)["timetable_id"]
            person = client.get(f"/timetables/{table_id}/delegations/VNM").json()["participants"][0]["id"]

        for name, path in (("timetable", f"/timetables/{table_id}"),
                           ("delegation agenda", f"/timetables/{table_id}/delegations/VNM"),
                           ("participant agenda", f"/timetables/{table_id}/participants/{person}")):
            def get(latencies: list[float], path: str = path) -> None:
                with server.client(key) as client:
                    for _ in range(args.requests):
                        started = time.perf_counter()
                        response = client.get(path)
                        latencies.append(time.perf_counter() - started)
                        assert response.status_code == 200, response.text

            _concurrently(args.clients, get)  # warm up
            latencies = _concurrently(args.clients, get)
            print(f"{name:20s} {args.clients} clients: p95 {_percentile(latencies, 0.95):6.1f} ms, "
                  f"median {_percentile(latencies, 0.5):6.1f} ms ({len(latencies)} requests)")

        jobs: list[str] = []

        def submit(latencies: list[float]) -> None:
            with server.client(key) as client:
                started = time.perf_counter()
                response = client.post(f"/scenarios/{scenario_id}/solve", json={"time_limit_s": 2})
                latencies.append(time.perf_counter() - started)
                assert response.status_code == 202, response.text
                jobs.append(response.json()["id"])

        latencies = _concurrently(10, submit)
        started = time.monotonic()
        with server.client(key) as client:
            statuses = [wait_for_job(client, job_id, timeout=600)["status"] for job_id in jobs]
        print(f"10 solve jobs at once: accepted in at most {max(latencies) * 1000:.1f} ms "
              f"(median {_percentile(latencies, 0.5):.1f} ms); all finished in {time.monotonic() - started:.1f} s: "
              f"{', '.join(sorted(set(statuses)))}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
