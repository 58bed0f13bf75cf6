"""Overruns past a participant's availability: every placed event that ends when one of its people leaves (the end of
their availability that holds its start, within ``--within`` minutes) is reported running late by ``--minutes`` five
minutes before its end, one re-plan each; one line per case (status, seconds, what moved or went, what was waived,
the validator's verdict told what the re-plan waived and untold of the kept availability and the day's close) and a
tally. A report is a fact: none may be answered "infeasible", nor refused. ``--at-close`` takes instead every placed
event that ends at its day's close, or within ``--within`` minutes before it (an overrun of more minutes runs past the
end of the day).

    .venv/bin/python /work/shared/peers/gen_summit.py /tmp/gen1.json --bilaterals 300 --seed 1
    .venv/bin/python benchmarks/leaving.py /tmp/gen1.json --timetable /tmp/gen1-plain.json --minutes 15
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from solver.replan import resolve  # noqa: E402
from solver.scenario import Scenario, ScenarioError, load_scenario  # noqa: E402
from solver.solve import solve  # noqa: E402
from solver.timetable import Assignment, Timetable  # noqa: E402
from solver.validate import validate_timetable  # noqa: E402


def leaving_at_the_end(scenario: Scenario, table: Timetable, within: int) -> list[tuple[Assignment, str]]:
    """The placed events that end within ``within`` minutes before one of their people leaves, with that person."""
    people = {p.id: p for p in scenario.participants}
    events = {e.id: e for e in scenario.events}
    found = []
    for placed in sorted(table.assignments, key=lambda a: a.start):
        for pid in events[placed.event].participants:
            windows = people[pid].available or []
            ends = [w.end for w in windows if w.start <= placed.start < w.end]
            if ends and timedelta(0) <= ends[0] - placed.end <= timedelta(minutes=within):
                found.append((placed, pid))
                break
    return found


def ending_at_the_close(scenario: Scenario, table: Timetable, within: int) -> list[tuple[Assignment, str]]:
    """The placed events that end within ``within`` minutes before their day's close (with "close" for the person)."""
    closes = [scenario.day_bounds(day)[1] for day in scenario.days]
    return [(placed, "close") for placed in sorted(table.assignments, key=lambda a: a.start)
            if any(timedelta(0) <= close - scenario.localise(placed.end) <= timedelta(minutes=within)
                   and scenario.localise(placed.start) < close for close in closes)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario")
    parser.add_argument("--timetable", help="the standing timetable (JSON); default: solve the scenario first")
    parser.add_argument("--minutes", type=int, default=15)
    parser.add_argument("--within", type=int, default=0,
                        help="minutes before the person leaves (the day's close, with --at-close) the event may end")
    parser.add_argument("--cases", type=int, default=20, help="at most this many cases, the earliest first")
    parser.add_argument("--at-close", action="store_true", help="every event that ends at its day's close instead")
    parser.add_argument("--time-limit", type=float, default=5.0)
    parser.add_argument("--solve-seconds", type=float, default=20.0)
    args = parser.parse_args()
    scenario = load_scenario(args.scenario)
    if args.timetable:
        standing = Timetable.model_validate(json.loads(Path(args.timetable).read_text(encoding="utf-8")))
    else:
        standing = solve(scenario, time_limit=args.solve_seconds).timetable
    tally: Counter[str] = Counter()
    cases = ending_at_the_close(scenario, standing, args.within) if args.at_close else \
        leaving_at_the_end(scenario, standing, args.within)
    started_all = time.monotonic()
    for placed, person in cases[:args.cases]:
        now = placed.end - timedelta(minutes=5)
        report = [{"op": "event_running_late", "event": placed.event, "minutes": args.minutes}]
        started = time.monotonic()
        try:
            result = resolve(scenario, standing, report, now=now, time_limit=args.time_limit)
        except ScenarioError as error:  # (e.g. the overrun runs past the day's hours: the report is refused)
            tally["refused"] += 1
            print(f"{placed.event} +{args.minutes} min: refused: {error.problems[0].message}", flush=True)
            continue
        seconds = time.monotonic() - started
        table = result.timetable
        repaired = table.status in ("optimal", "feasible")
        excused = (result.waived, result.shortened, result.given_up, result.overlaps_waived)
        # (getattr: the same script measures a tree without the waivers, the numbers before)
        kept = getattr(result, "availability_waived", [])
        past = getattr(result, "day_close_waived", [])
        told = {**({"availability_waived": kept} if kept else {}), **({"day_close_waived": past} if past else {})}
        broken = validate_timetable(result.scenario, table, *excused, **told) if repaired else []
        untold = validate_timetable(result.scenario, table, *excused) if repaired else []
        tally[table.status] += 1
        tally["broken"] += bool(broken)
        tally["availability waived"] += bool(kept)
        tally["day's close waived"] += bool(past)
        why = "" if repaired else " why=" + "; ".join(d.message for d in table.diagnostics[:1])
        print(f"{placed.event} ({scenario.localise(placed.start):%d %b %H:%M}-{scenario.localise(placed.end):%H:%M}, "
              f"{person} leaves) +{args.minutes} min: status={table.status} seconds={seconds:.1f} "
              f"moved={len(result.diff.moved)} dropped={len(result.diff.dropped)} disruption={result.disruption} "
              f"availability_waived={','.join(kept) or '-'} day_close_waived={','.join(past) or '-'} "
              f"broken_rules={len(broken)} "
              f"untold={sorted({v.code for v in untold})}{why}", flush=True)
    print(f"{min(len(cases), args.cases)} of {len(cases)} cases: {dict(tally)}, "
          f"{time.monotonic() - started_all:.1f} s")


if __name__ == "__main__":
    main()
