"""The robust solve against the plain one (issue 29): the same summit, the same time limit, both replayed by
`summit replay` with the same seed and 200 runs. Prints one markdown row per summit (for
benchmarks/RESULTS.md), with the load average before and after.

    .venv/bin/python -m benchmarks.robust SCENARIO ... --time-limit 60 [--runs 200] [--seed 0] [--out DIR]
        [--solve-seed K] [--cascade-budget 0.02] [--plain-from DIR]

``--cascade-budget`` is passed to the robust solve; ``--plain-from DIR`` takes the plain timetables solved before
(``DIR/NAME-plain.json``) instead of solving them again.

Each summit costs two solves of the time limit (they run one after the other, never beside each other).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

# `summit` of this checkout, run by this interpreter (so that a snapshot of the code on PYTHONPATH is what runs)
SUMMIT = [sys.executable, "-c", "import sys; sys.argv[0] = 'summit'; from api.cli import app; app()"]


def _run(command: list[str], timeout: float) -> str:
    print("$ summit", " ".join(command[len(SUMMIT):]), file=sys.stderr, flush=True)
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode not in (0,):
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout + done.stderr


def measure(scenario: Path, mode: str, time_limit: float, runs: int, seed: int, out: Path,
            extra: list[str] | None = None) -> dict[str, float]:
    """Solve in ``mode`` (plain or robust; ``extra`` options), then replay: objective and the replay's expected
    numbers (with ``time_limit`` 0: the timetable already in ``out``)."""
    table = out / f"{scenario.stem}-{mode}.json"
    if time_limit > 0:
        _run([*SUMMIT, "solve", str(scenario), "-t", f"{time_limit:g}", f"--{mode}", "-o", str(table), "-f", "json",
              *(extra or [])], timeout=time_limit * 3 + 120)
    objective = json.loads(table.read_text())["objective"]
    command = [*SUMMIT, "replay", str(scenario), str(table), "--runs", str(runs), "--seed", str(seed), "--json"]
    print("$ summit", " ".join(command[len(SUMMIT):]), file=sys.stderr, flush=True)
    replay = json.loads(subprocess.run(command, capture_output=True, text=True, timeout=600, check=True).stdout)
    return {"objective": objective, "moved_per_day": replay["expected_moved_per_day"],
            "moved": replay["expected_moved"], "lost": replay["expected_lost"],
            "notified": replay["expected_notified"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenarios", nargs="+", type=Path)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("/tmp/robust-bench"))
    parser.add_argument("--solve-seed", type=int, default=0, help="the solves' --seed")
    parser.add_argument("--cascade-budget", type=float, default=None, help="the robust solve's --cascade-budget")
    parser.add_argument("--plain-from", type=Path, default=None, help="plain timetables solved before")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    print("| summit | objective plain / robust (cost) | moved per day plain / robust (cut) "
          "| lost plain / robust | notified plain / robust |")
    print("|---|---|---|---|---|")
    for scenario in args.scenarios:
        extra = ["--seed", str(args.solve_seed)]
        if args.plain_from is not None:
            plain = measure(scenario, "plain", 0, args.runs, args.seed, args.plain_from)
        else:
            plain = measure(scenario, "plain", args.time_limit, args.runs, args.seed, args.out, extra)
        if args.cascade_budget is not None:
            extra += ["--cascade-budget", f"{args.cascade_budget:g}"]
        robust = measure(scenario, "robust", args.time_limit, args.runs, args.seed, args.out, extra)
        cost = 1 - robust["objective"] / plain["objective"] if plain["objective"] else 0.0
        cut = 1 - robust["moved_per_day"] / plain["moved_per_day"] if plain["moved_per_day"] else 0.0
        print(f"| {scenario.name} | {plain['objective']} / {robust['objective']} ({cost:.1%}) "
              f"| {plain['moved_per_day']:.1f} / {robust['moved_per_day']:.1f} (**-{cut:.0%}**) "
              f"| {plain['lost']:.1f} / {robust['lost']:.1f} | {plain['notified']:.1f} / {robust['notified']:.1f} |",
              flush=True)
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
