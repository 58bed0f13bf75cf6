"""Solver benchmarks: build time, first timetable, objective and bound over time, peak memory.

Run one case per process so that peak RSS belongs to that case alone:

    .venv/bin/python benchmarks/run.py hanoi --time-limit 60
    .venv/bin/python benchmarks/run.py synthetic --delegations 200 --bilaterals 1000 --days 2 --time-limit 60
    .venv/bin/python benchmarks/run.py synthetic --delegations 300 --bilaterals 3000 --days 3 --time-limit 60

Each run prints one JSON line (and appends it to ``benchmarks/results.jsonl`` with --record);
``benchmarks/RESULTS.md`` holds the numbers we report, with the command, machine and date.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import TreePeak, add_case_arguments, case_scenario, report  # noqa: E402
from solver.scenario import Scenario  # noqa: E402
from solver.solve import Progress, SolveConfig, solve  # noqa: E402
from solver.validate import validate_timetable  # noqa: E402

CHECKPOINTS = (2, 10, 20, 30, 60, 120, 300, 600)


def at(history: list[tuple[float, int]], seconds: float) -> int | None:
    """The last value reported by ``seconds``."""
    value = None
    for moment, item in history:
        if moment <= seconds:
            value = item
    return value


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def run_case(name: str, scenario: Scenario, time_limit: float, workers: int, seed: int,
             stall: float | None, presolve: int | None, lp_guided: bool = False,
             lp_rounded: bool = True, moves: bool = True, lanes: int = 2,
             lp_core: bool = True) -> dict[str, object]:
    incumbents: list[Progress] = []
    config = SolveConfig(time_limit=time_limit, workers=workers, seed=seed, stall_seconds=stall,
                         max_presolve_iterations=presolve, lp_guided=lp_guided, lp_rounded=lp_rounded,
                         moves=moves, lns_lanes=lanes, lp_core=lp_core)
    started = time.monotonic()
    tree = TreePeak(os.getpid())  # this process and the bound's child
    result = solve(scenario, on_progress=incumbents.append, config=config)
    wall = time.monotonic() - started
    tree_mb = tree.stop().together()
    timetable = result.timetable
    violations = validate_timetable(scenario, timetable)
    objectives = [(p.seconds, p.objective) for p in incumbents]
    bounds = result.bounds or [(p.seconds, p.bound) for p in incumbents]
    stats = result.stats
    required = [e.id for e in scenario.events if e.required]
    placed = {a.event for a in timetable.assignments}
    return {
        "case": name,
        "events": len(scenario.events),
        "participants": len(scenario.participants),
        "rooms": len(scenario.rooms),
        "placements": stats.placements,
        "rows": stats.rows,
        "build_s": round(stats.compile_seconds + stats.build_seconds, 3),
        "first_feasible_s": stats.first_solution_seconds,
        "greedy_objective": stats.greedy_objective,
        "lp_bound": stats.lp_bound,
        "aggregated_bound": stats.aggregated_bound,
        "lp_s": round(stats.lp_seconds, 3),
        "lns_s": stats.lns_seconds,
        "lns_rounds": stats.lns_rounds,
        "lns_improved": stats.lns_improved,
        "lns_merged": stats.lns_merged,
        "optimal_proven_s": stats.optimal_proven_seconds,
        "status": timetable.status,
        "objective": timetable.objective,
        "bound": timetable.bound,
        "gap_pct": (None if not timetable.bound else round(100 * (timetable.bound - timetable.objective)
                                                          / timetable.bound, 2)),
        "incumbents": objectives,
        "bounds": bounds,
        "checkpoints": {f"{t}s": {"objective": at(objectives, t), "bound": at(bounds, t)}
                        for t in CHECKPOINTS if t <= time_limit},
        "required_placed": f"{sum(r in placed for r in required)}/{len(required)}",
        "violations": len(violations),
        "stopped_by": stats.stopped_by,
        "wall_s": round(wall, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        # the bound's process beside the search (solver/bound_beside.py), counted apart
        "peak_rss_beside_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        "peak_rss_together_mb": tree_mb,  # both at once, sampled (TreePeak)
        # CPU seconds the solve really got (on a loaded machine a 60 s solve may get a tenth of 120), the search's
        # process and the bound's child apart
        "cpu_s": round(_cpu(resource.RUSAGE_SELF), 1),
        "cpu_beside_s": round(_cpu(resource.RUSAGE_CHILDREN), 1),
        "time_limit": time_limit,
        "workers": workers,
        "seed": seed,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "command": " ".join(["python", "benchmarks/run.py", *sys.argv[1:]]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_case_arguments(parser)
    parser.add_argument("--time-limit", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--stall", type=float, default=None, help="stop after this many seconds without progress")
    parser.add_argument("--presolve-iterations", type=int, default=1, help="-1 for CP-SAT's default")
    parser.add_argument("--curve", action="store_true", help="include every incumbent and bound (anytime curve)")
    parser.add_argument("--lp-guided", action="store_true", help="with the LP-guided neighbourhood (A/B)")
    parser.add_argument("--lanes", type=int, default=2, help="LNS rounds at once when the cores are free (A/B)")
    parser.add_argument("--no-lp-rounded", action="store_true",
                        help="without the timetables rounded from the whole LP's solutions (A/B)")
    parser.add_argument("--no-moves", action="store_true",
                        help="without the local search on the rounded timetables (solver/model/moves.py, A/B)")
    parser.add_argument("--no-lp-core", action="store_true",
                        help="without the rounds re-planned within the LP's core (solver/lns.py lp_core, A/B)")
    args = parser.parse_args()

    scenario, name = case_scenario(args)
    presolve = None if args.presolve_iterations < 0 else args.presolve_iterations
    row = run_case(name, scenario, args.time_limit, args.workers, args.seed, args.stall, presolve,
                   args.lp_guided, not args.no_lp_rounded, not args.no_moves, args.lanes,
                   not args.no_lp_core)
    if not args.curve:
        row.pop("incumbents")
        row.pop("bounds")
    report(row, args.record)


if __name__ == "__main__":
    main()
