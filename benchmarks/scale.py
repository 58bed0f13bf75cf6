"""The scale series with several seeds: summits from the peers' generator, 250 to 4,000 requests.

Each (size, seed) is solved in its own process (``benchmarks/run.py file``), one at a time, so that
peak memory belongs to that case alone; every timetable is checked by our validator (run.py counts
the broken rules). Prints a markdown table for ``benchmarks/RESULTS.md``:

    .venv/bin/python benchmarks/scale.py --sizes 250,500,1000,2000,4000 --seeds 1,2,3 --time-limit 60
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.peers import generated_summit, shared_peers  # noqa: E402


def solve_case(path: Path, time_limit: float, workers: int, extra: list[str]) -> dict[str, object]:
    process = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "file", "--file", str(path),
                              "--time-limit", str(time_limit), "--workers", str(workers), *extra],
                             capture_output=True, text=True, cwd=ROOT)
    lines = [line for line in process.stdout.splitlines() if line.startswith("{")]
    if process.returncode or not lines:
        return {"case": str(path), "status": f"failed rc={process.returncode}: {process.stderr[-300:]}"}
    return dict(json.loads(lines[-1]))


def row(requests: int, seed: int, result: dict[str, object], load: float) -> str:
    def cell(key: str) -> str:
        value = result.get(key)
        return "-" if value is None else str(value)

    gap = result.get("gap_pct")
    improved = result.get("lns_improved")
    taken = improved.get("lp_rounded") if isinstance(improved, dict) else None  # rounded timetables taken by LNS
    moved = improved.get("moves") if isinstance(improved, dict) else None  # ... improved by the local search
    rounded = f" ({taken} rounded{f', {moved} moved' if moved else ''})" if taken else ""
    return (f"| {requests} | {seed} | {cell('placements')} | {cell('first_feasible_s')} | {cell('status')} | "
            f"{cell('objective')} | {cell('bound')} | {'-' if gap is None else f'{gap} %'} | "
            f"{cell('aggregated_bound')} / {cell('lp_bound')} ({cell('lp_s')} s) | {cell('lns_rounds')}"
            f"{rounded} | "
            f"{cell('violations')} | "
            f"{cell('peak_rss_mb')} + {cell('peak_rss_beside_mb')}; {cell('peak_rss_together_mb')} | "
            f"{cell('cpu_s')} + {cell('cpu_beside_s')} | "
            f"{load:.1f} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="250,500,1000,2000,4000")
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out-dir", type=Path, default=ROOT / "benchmarks" / ".peers-out")
    parser.add_argument("--lp-guided", action="store_true", help="with the LP-guided neighbourhood (A/B)")
    parser.add_argument("--no-lp-rounded", action="store_true",
                        help="without the timetables rounded from the whole LP's solutions (A/B)")
    parser.add_argument("--no-lp-core", action="store_true",
                        help="without the rounds re-planned within the LP's core (solver/lns.py lp_core, A/B)")
    parser.add_argument("--no-moves", action="store_true",
                        help="without the local search on the rounded timetables (solver/model/moves.py, A/B)")
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    print("| requests | seed | placements | first (s) | status | objective | bound | gap "
          "| aggregated / whole LP bound (at s) | LNS rounds (rounded timetables taken) | broken rules "
          "| peak MB (search + bound; together) | CPU s (search + bound) | load |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|", flush=True)
    for requests in (int(s) for s in args.sizes.split(",")):
        for seed in (int(s) for s in args.seeds.split(",")):
            path = generated_summit(requests, seed, args.out_dir, shared_peers(), sys.executable)
            extra = ((["--lp-guided"] if args.lp_guided else []) + (["--no-lp-rounded"] if args.no_lp_rounded else [])
                     + (["--no-moves"] if args.no_moves else []) + (["--no-lp-core"] if args.no_lp_core else []))
            result = solve_case(path, args.time_limit, args.workers, extra)
            print(row(requests, seed, result, os.getloadavg()[0]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
