"""Overrun reports on small summits: each answer's status (an overrun must always end with a proposal), and every
proposal checked by the validator, told what it waived and the required events it could not keep.

The summits and reports are push_hunt.py's (each decided by its seed alone), the `event_running_late` ones only.

    .venv/bin/python benchmarks/overrun_hunt.py --first 0 --cases 200
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.push_hunt import build, change  # noqa: E402
from solver.replan import resolve  # noqa: E402
from solver.scenario import ScenarioError  # noqa: E402
from solver.solve import solve  # noqa: E402
from solver.validate import validate_timetable  # noqa: E402


def one(seed: int) -> tuple[str, list[str]]:
    """The answer to the seed's overrun report ("" when the seed draws no overrun), and its broken rules."""
    rng = random.Random(seed)
    model = build(rng)
    before = solve(model, time_limit=2, workers=1, seed=0).timetable
    if before.status not in ("optimal", "feasible") or not before.assignments:
        return "", []
    changes, now = change(rng, model, before)
    if changes[0]["op"] != "event_running_late":
        return "", []
    try:
        result = resolve(model, before, changes, now=now, time_limit=3, workers=1)
    except ScenarioError:
        return "refused", []
    status = result.timetable.status
    if status not in ("optimal", "feasible"):
        return status, []
    if result.given_up:
        status += " naming required events not kept" + (" (proven)" if any("(proven)" in note for note in result.notes)
                                                        else " (none found in time)")
    return status, [v.code for v in validate_timetable(result.scenario, result.timetable, result.waived,
                                                       result.shortened, result.given_up,
                                                       result.overlaps_waived)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--cases", type=int, default=200)
    args = parser.parse_args()
    started, tally, broken = time.perf_counter(), Counter[str](), 0
    for seed in range(args.first, args.first + args.cases):
        status, violations = one(seed)
        if status:
            tally[status] += 1
        if violations or status in ("infeasible", "unknown"):
            broken += bool(violations)
            print(f"seed {seed}: {status} {violations}", flush=True)
    print(f"{args.cases} seeds ({args.first}..{args.first + args.cases - 1}): {dict(tally)}, {broken} with a broken "
          f"rule, {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
