"""Summit-day reports on a central event: the opening ceremony running late while it runs.

Solves the scenario (or reads a timetable), then re-plans with ``event_running_late`` on the central event at a
``now`` during it, and prints one line: the answer's status, its seconds, what moved or went, the notes' count and
whether the validator (told the waived window and the shortened events explicitly) accepts the timetable. A report
is a fact: the answer must never be "infeasible".

    .venv/bin/python benchmarks/reports.py scenarios/hanoi-2025.yaml --event opening --minutes 40 \
        --now 2025-10-25T10:30 --time-limit 30
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from solver.replan import resolve  # noqa: E402
from solver.scenario import load_scenario  # noqa: E402
from solver.solve import solve  # noqa: E402
from solver.timetable import Timetable  # noqa: E402
from solver.validate import validate_timetable  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario")
    parser.add_argument("--timetable", help="the standing timetable (JSON); default: solve the scenario first")
    parser.add_argument("--event", default="opening")
    parser.add_argument("--minutes", type=int, default=40)
    parser.add_argument("--now", required=True)
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--solve-seconds", type=float, default=20.0)
    args = parser.parse_args()
    scenario = load_scenario(args.scenario)
    if args.timetable:
        standing = Timetable.model_validate(json.loads(Path(args.timetable).read_text(encoding="utf-8")))
    else:
        standing = solve(scenario, time_limit=args.solve_seconds)
    report = [{"op": "event_running_late", "event": args.event, "minutes": args.minutes}]
    started = time.monotonic()
    result = resolve(scenario, standing, report, now=datetime.fromisoformat(args.now), time_limit=args.time_limit)
    seconds = time.monotonic() - started
    table = result.timetable
    repaired = table.status in ("optimal", "feasible")
    broken = validate_timetable(result.scenario, table, result.waived, result.shortened,
                                result.given_up, result.overlaps_waived, result.availability_waived,
                                result.day_close_waived) if repaired else []
    print(f"{Path(args.scenario).name} {args.event} +{args.minutes} min at {args.now}: status={table.status} "
          f"seconds={seconds:.1f} moved={len(result.diff.moved)} room_changes={len(result.diff.room_changes)} "
          f"dropped={len(result.diff.dropped)} shortened={len(result.diff.shortened)} disruption={result.disruption} "
          f"notes={len(result.notes)} "
          f"waived={','.join(result.waived)} given_up={','.join(result.given_up) or '-'} "
          f"overlaps_waived={';'.join(','.join(pair) for pair in result.overlaps_waived) or '-'} "
          f"availability_waived={','.join(result.availability_waived) or '-'} "
          f"day_close_waived={','.join(result.day_close_waived) or '-'} "
          f"broken_rules={len(broken)}")


if __name__ == "__main__":
    main()
