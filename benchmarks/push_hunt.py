"""A seeded random hunt for broken rules in the push-forward repair (solver/replan/push.py).

Each case (its seed alone decides it): a one-day summit of 2-5 events, 1-3 participants, 1-2 rooms, optional
events and ``after`` chains; the standing plan solved (one worker, seed 0); then an ``event_running_late`` on a
placed event at its start (or 15 minutes in), or a ``participant_delayed`` (arrival 09:15-10:00). The push runs on
the re-plan's context, and its placements are checked against every model row and, as a timetable, by
solver/validate.py against the re-plan's working summit (a push that is not a whole repair, a required event left
out, only for the other rules). Prints the broken cases and a tally: ok (a whole repair, valid), partial (a start
for the searches, valid otherwise), refused (the report does not apply, e.g. the event ended), unsolved (no standing
plan), BROKEN. The cases are tests/hunts.py's (the tests run them on fewer seeds).

    .venv/bin/python benchmarks/push_hunt.py --first 0 --cases 1000
    .venv/bin/python benchmarks/push_hunt.py --first 0 --cases 300 --shorten   # events with minimum durations
    .venv/bin/python benchmarks/push_hunt.py --first 0 --cases 300 --leaving   # participants leave during the day
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.hunts import push_case  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--shorten", action="store_true", help="give events minimum durations (shortened placements)")
    parser.add_argument("--leaving", action="store_true", help="each participant leaves during the day")
    args = parser.parse_args()
    started, tally = time.perf_counter(), dict.fromkeys(("ok", "partial", "refused", "unsolved", "BROKEN"), 0)
    shortened = 0
    for seed in range(args.first, args.first + args.cases):
        verdict, detail = push_case(seed, args.shorten, args.leaving)
        tally[verdict] += 1
        if detail.startswith("shortened"):
            shortened += 1
        elif detail:
            print(f"seed {seed}: {verdict} {detail}", flush=True)
    with_short = f"{shortened} valid pushes with a shortened event, " if args.shorten else ""
    print(f"{args.cases} cases (seeds {args.first}..{args.first + args.cases - 1}): {tally}, {with_short}"
          f"{time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
