"""The UN high-level week through the service (issue 27 item 2): a generated week solved as a job of a real
`summit serve`, its memory watched from outside.

    .venv/bin/python benchmarks/un_week.py [--seed 2 | --file scenarios/un-week.json] [--time-limit 300]
        [--memory-mb 6000] [--record]

`summit generate --delegations 190 --bilaterals 5000 --days 5 --seed S` (in-process), uploaded as JSON to one
`summit serve` (process runner, SQLite file, ``SUMMIT_JOB_MEMORY_MB`` = ``--memory-mb``), solved with 2 workers.
Measured: seconds from the job's start to its first timetable and its progress; objective, bound and gap at the
end; the peak resident memory of the server's process tree (the job's process and any child it starts) sampled
every 0.5 s; the timetable checked by our validator.

Prints one JSON line (``--record`` appends it to benchmarks/results.jsonl).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import TreePeak, report  # noqa: E402
from solver.generate import generate_scenario  # noqa: E402
from solver.scenario import load_scenario  # noqa: E402
from solver.timetable import Timetable  # noqa: E402
from solver.validate import validate_timetable  # noqa: E402
from tests.api.conftest import Server  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--time-limit", type=float, default=300.0)
    parser.add_argument("--memory-mb", type=int, default=6000)
    parser.add_argument("--file", type=Path, help="a scenario file instead (scenarios/un-week.json: three venues)")
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    scenario = load_scenario(args.file) if args.file else generate_scenario(190, 5000, 5, seed=args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        env = {"SUMMIT_JOB_MEMORY_MB": str(args.memory_mb), "SUMMIT_MAX_TIME_LIMIT_S": str(args.time_limit),
               "SUMMIT_MAX_BODY_BYTES": str(20 * 1024 * 1024), "SUMMIT_MAX_EVENTS": "20000",
               "SUMMIT_SOLVER_WORKERS": "2", "SUMMIT_MAX_CONCURRENT_JOBS": "1"}  # (not the test suite's settings)
        server = Server(f"sqlite:///{tmp}/summit.db", Path(tmp), env).start()
        try:
            result = _solve(server, scenario, args.time_limit)
        finally:
            server.stop()
    report({"benchmark": "un_week_service", "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": f"{platform.machine()} {os.cpu_count()} cores", "load": os.getloadavg(), "seed": args.seed,
            "file": str(args.file) if args.file else None,
            "time_limit": args.time_limit, "memory_mb": args.memory_mb, **result}, args.record)


def _solve(server: Server, scenario: Any, time_limit: float) -> dict[str, Any]:
    assert server.process is not None
    with server.client(server.create_key_cli("admin")) as client:
        upload = client.post("/scenarios", json=scenario.to_document())
        assert upload.status_code == 201, upload.text[:500]
        peak = TreePeak(server.process.pid, every=0.5, with_root=False)  # the job's processes, not the server
        answer = client.post(f"/scenarios/{upload.json()['id']}/solve", json={"time_limit_s": time_limit,
                                                                               "workers": 2})
        if answer.status_code != 202:
            peak.stop()
            return {"refused": answer.status_code, "error": answer.text[:500]}
        deadline = time.monotonic() + time_limit + 600
        while (job := client.get(f"/jobs/{answer.json()['id']}").json())["status"] in ("queued", "running"):
            assert time.monotonic() < deadline, job["status"]
            time.sleep(1)
        peak.stop()
        progress = job.get("progress") or []
        out: dict[str, Any] = {"status": job["status"], "error": job.get("error"),
                               "first_timetable_s": progress[0]["seconds"] if progress else None,
                               "peak_rss_mb_job_tree": round(peak.peak_kb / 1024)}
        if job.get("timetable_id"):
            timetable = Timetable.model_validate(client.get(f"/timetables/{job['timetable_id']}").json())
            bound = timetable.bound
            out.update(objective=timetable.objective, bound=bound, timetable_status=timetable.status,
                       gap_pct=round(100 * (bound - timetable.objective) / bound, 2) if bound else None,
                       broken_rules=len(validate_timetable(scenario, timetable)))
        return out


if __name__ == "__main__":
    main()
