"""A seeded random hunt for broken rules in the push-forward repair (solver/replan/push.py).

Each case (its seed alone decides it): a one-day summit of 2-5 events, 1-3 participants, 1-2 rooms, optional
events and ``after`` chains; the standing plan solved (one worker, seed 0); then an ``event_running_late`` on a
placed event at its start (or 15 minutes in), or a ``participant_delayed`` (arrival 09:15-10:00). The push runs on
the re-plan's context, and its placements are checked against every model row and, as a timetable, by
solver/validate.py against the re-plan's working summit (a push that is not a whole repair, a required event left
out, only for the other rules). Prints
the broken cases and a tally: ok (a whole repair, valid), partial (a start for the searches, valid otherwise),
refused (the report does not apply, e.g. the event ended), unsolved (no standing plan), BROKEN.

    .venv/bin/python benchmarks/push_hunt.py --first 0 --cases 1000
    .venv/bin/python benchmarks/push_hunt.py --first 0 --cases 300 --shorten   # events with minimum durations
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from solver.changes import parse_changes  # noqa: E402
from solver.model.constraints import all_rows  # noqa: E402
from solver.model.rows import RowIndex  # noqa: E402
from solver.replan.budget import ReplanConfig  # noqa: E402
from solver.replan.context import prepare  # noqa: E402
from solver.replan.push import push_forward  # noqa: E402
from solver.scenario import Scenario, ScenarioError  # noqa: E402
from solver.solve import solve, timetable_from_placements  # noqa: E402
from solver.timetable import Timetable  # noqa: E402
from solver.validate import runs_shorter, validate_timetable  # noqa: E402
from tests.builders import DAY, at, event, scenario  # noqa: E402


def build(rng: random.Random, shorten: bool = False) -> Scenario:
    people = [{"id": f"p{i}", "delegation": f"D{i}"} for i in range(rng.randint(1, 3))]
    rooms = [{"id": f"r{i}", "capacity": 10} for i in range(rng.randint(1, 2))]
    events = []
    for e in range(rng.randint(2, 5)):
        who = tuple(rng.sample([p["id"] for p in people], rng.randint(1, min(2, len(people)))))
        extra: dict[str, Any] = {}
        if rng.random() < 0.4:
            extra.update(required=False, priority=rng.randint(1, 5))
        if e > 0 and rng.random() < 0.6:
            extra["after"] = [f"e{rng.randrange(e)}"]
        events.append(event(f"e{e}", rng.choice([15, 30, 45]), who, **extra))
    if shorten:  # (--shorten: half the events longer than a slot may run down to 15 or 30 minutes in a re-plan)
        for item in events:
            if item["duration_minutes"] > 15 and rng.random() < 0.5:
                item["min_duration_minutes"] = rng.choice([m for m in (15, 30) if m < item["duration_minutes"]])
    return scenario(participants=people, rooms=rooms, events=events,
                    days=[{"date": DAY, "start": "09:00", "end": rng.choice(["10:30", "11:00", "12:00"])}])


def change(rng: random.Random, model: Scenario, before: Timetable) -> tuple[list[dict[str, Any]], datetime | None]:
    if rng.random() < 0.5:
        placed = rng.choice(sorted(before.assignments, key=lambda a: a.start))
        now = placed.start + timedelta(minutes=rng.choice([0, 15]))
        return [{"op": "event_running_late", "event": placed.event, "minutes": rng.choice([15, 30, 45, 60])}], \
            now if now < placed.end else placed.start
    who = rng.choice(model.participants).id
    return [{"op": "participant_delayed", "participant": who,
             "arrival": at(rng.choice(["09:15", "09:30", "09:45", "10:00"]))}], None


def one(seed: int, shorten: bool = False) -> tuple[str, str]:
    rng = random.Random(seed)
    model = build(rng, shorten)
    before = solve(model, time_limit=2, workers=1, seed=0).timetable
    if before.status not in ("optimal", "feasible") or not before.assignments:
        return "unsolved", ""
    changes, now = change(rng, model, before)
    try:
        ctx = prepare(model, before, parse_changes(changes), now, ReplanConfig(workers=1), None)
    except ScenarioError:
        return "refused", ""
    chosen, _, whole = push_forward(ctx.instance, ctx.plan, ctx.wanted, ctx.hit, giving=bool(ctx.reported))
    index = RowIndex.of(all_rows(ctx.instance), ctx.instance.n_items)
    over = np.flatnonzero(index.load_of(chosen[chosen >= 0]) > index.upper)
    table = timetable_from_placements(ctx.instance, chosen, ctx.ref)
    wanted = {ctx.instance.events[e].id for e in ctx.wanted}  # (a required event the standing plan left out stays out)
    shortened = runs_shorter(ctx.working, table) if ctx.shorten else []  # (a re-plan after a report may shorten)
    overlaps = [(running, other) for running, other, _ in ctx.overlaps]  # (a fact ran into what cannot move)
    broken = [v.code for v in validate_timetable(ctx.working, table, ctx.waived, shortened, (), overlaps)
              if v.code != "H1" or whole and set(v.events) <= wanted]
    if over.size or broken:
        return "BROKEN", f"{changes} rows over: {over.size}, violations: {broken}"
    return ("ok" if whole else "partial"), f"shortened {', '.join(shortened)}" if shortened else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--shorten", action="store_true", help="give events minimum durations (shortened placements)")
    args = parser.parse_args()
    started, tally = time.perf_counter(), dict.fromkeys(("ok", "partial", "refused", "unsolved", "BROKEN"), 0)
    shortened = 0
    for seed in range(args.first, args.first + args.cases):
        verdict, detail = one(seed, args.shorten)
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
