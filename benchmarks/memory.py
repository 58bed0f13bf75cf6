"""Peak memory of solves by size: the whole model and large-neighbourhood search alone (issue 27).

Each (size, mode) is solved in its own process so that its peak belongs to it alone; prints one JSON line each
with the estimated size (solver/size.py), the peak resident memory of the search's process and of the bound's
child process, and the peak address space (VmPeak, what SUMMIT_JOB_MEMORY_MB caps):

    .venv/bin/python benchmarks/memory.py --cases 40:100:2,80:400:3,150:1500:3 --time-limit 20
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def one(delegations: int, bilaterals: int, days: int, lns_only: bool, time_limit: float) -> dict[str, object]:
    """In this process: solve one generated summit and measure it."""
    from solver.generate import generate_scenario
    from solver.size import estimate_memory, estimate_model_size
    from solver.solve import SolveConfig, solve
    from solver.validate import validate_timetable

    scenario = generate_scenario(delegations, bilaterals, days, seed=1)
    size = estimate_model_size(scenario)
    result = solve(scenario, config=SolveConfig(time_limit=time_limit, workers=2, lns_only=lns_only))
    peak = next(int(line.split()[1]) for line in Path("/proc/self/status").read_text().splitlines()
                if line.startswith("VmPeak"))
    return {"case": f"{delegations}:{bilaterals}:{days}", "mode": "lns" if lns_only else "whole",
            **size.to_dict(), **estimate_memory(size).to_dict(),
            "status": result.timetable.status, "objective": result.timetable.objective,
            "violations": len(validate_timetable(scenario, result.timetable)),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "peak_rss_child_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
            "vm_peak_mb": round(peak / 1024)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", default="40:100:2,80:400:3,150:1500:3")
    parser.add_argument("--time-limit", type=float, default=20.0)
    parser.add_argument("--one", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--lns-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        d, b, days = (int(x) for x in args.one.split(":"))
        print(json.dumps(one(d, b, days, args.lns_only, args.time_limit)), flush=True)
        return 0
    for case in args.cases.split(","):
        for lns in (False, True):
            command = [sys.executable, __file__, "--one", case, "--time-limit", str(args.time_limit)]
            done = subprocess.run(command + (["--lns-only"] if lns else []), capture_output=True, text=True,
                                  cwd=ROOT, timeout=args.time_limit * 10 + 300)
            print(done.stdout.strip() or f"{case} failed: {done.stderr[-300:]}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
