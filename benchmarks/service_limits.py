"""The time bounds of a job on a scenario far past the size limit (the limits raised for it): a solve whose
model building alone outlasts its time limit, and a stop asked while the model is being built.

    .venv/bin/python benchmarks/service_limits.py [--backend sqlite|postgresql] [--bilaterals 8000]

The server stores the scenario only because the body size is raised here, and solves it only because the
job memory limit is lifted (SUMMIT_JOB_MEMORY_MB=0); with the defaults its solve is refused (413
``model_too_large``). Prints how long each job ran and how it ended.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from benchmarks.service import running_server  # noqa: E402
from tests.api.conftest import wait_for_job  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--bilaterals", type=int, default=8000)
    args = parser.parse_args()
    from solver.generate import generate_scenario
    from solver.size import estimate_model_size

    scenario = generate_scenario(delegations=300, bilaterals=args.bilaterals, days=3, seed=2)
    print(f"{len(scenario.events)} events, {estimate_model_size(scenario)}")
    raised = {"SUMMIT_JOB_MEMORY_MB": "0", "SUMMIT_MAX_EVENTS": "20000", "SUMMIT_MAX_BODY_BYTES": "100000000",
              "SUMMIT_MAX_CONCURRENT_JOBS": "1"}
    with running_server(args.backend, raised) as server, server.client(server.create_key_cli("admin")) as client:
        client.timeout = httpx.Timeout(300)
        created = client.post("/scenarios", content=json.dumps(scenario.to_document()),
                              headers={"Content-Type": "application/json"})
        scenario_id = created.json()["id"]
        started = time.monotonic()
        job = client.post(f"/scenarios/{scenario_id}/solve", json={"time_limit_s": 1}).json()
        done = wait_for_job(client, job["id"], timeout=600)
        print(f"solve with a 1 s limit: {done['status']} after {time.monotonic() - started:.1f} s "
              f"(timetable {done['timetable_id']}): {done['error']}")
        job = client.post(f"/scenarios/{scenario_id}/solve", json={"time_limit_s": 60}).json()
        wait_for_job(client, job["id"], until=("running",))
        time.sleep(2)
        asked = time.monotonic()
        stopped = client.delete(f"/jobs/{job['id']}").json()
        print(f"stop 2 s into a solve: DELETE answered after {time.monotonic() - asked:.1f} s with "
              f"{stopped['status']} ({stopped['error']})")
        final = wait_for_job(client, job["id"], timeout=120)
        print(f"  the job ended {final['status']} {time.monotonic() - asked:.1f} s after the stop: {final['error']}")


if __name__ == "__main__":
    main()
