"""Overrun reports on small summits: each answer's status (an overrun must always end with a proposal), and every
proposal checked by the validator, told what it waived and the required events it could not keep.

The summits and reports are push_hunt.py's (tests/hunts.py: each decided by its seed alone), the
`event_running_late` ones only.

    .venv/bin/python benchmarks/overrun_hunt.py --first 0 --cases 200
    .venv/bin/python benchmarks/overrun_hunt.py --first 0 --cases 200 --pin-others   # into what cannot move
    .venv/bin/python benchmarks/overrun_hunt.py --first 0 --cases 200 --leaving      # past people's availability
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.hunts import overrun_case  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--pin-others", action="store_true",
                        help="the planner pinned every other event where it stands (overruns into what cannot move)")
    parser.add_argument("--leaving", action="store_true",
                        help="each participant leaves during the day (overruns past their availability)")
    args = parser.parse_args()
    started, tally, broken = time.perf_counter(), Counter[str](), 0
    for seed in range(args.first, args.first + args.cases):
        status, violations = overrun_case(seed, args.pin_others, args.leaving)
        if status:
            tally[status] += 1
        if violations or status in ("infeasible", "unknown"):
            broken += bool(violations)
            print(f"seed {seed}: {status} {violations}", flush=True)
    print(f"{args.cases} seeds ({args.first}..{args.first + args.cases - 1}): {dict(tally)}, {broken} with a broken "
          f"rule, {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
