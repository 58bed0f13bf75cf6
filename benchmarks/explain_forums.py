"""Explanations of over-constrained meeting forums: how long until every infeasible verdict is explained.

A forum: one day of 30-minute slots, ``tables`` identical tables, ``meetings`` required one-slot
meetings between two of ``people`` participants, each participant unable to attend a few slots. Many
such forums are infeasible (a participant has more meetings than free slots, or the tables are too
few); each verdict must come with a small set of meetings that cannot all happen and the reason.

    .venv/bin/python benchmarks/explain_forums.py --forums 42 --time-limit 20

prints one line per forum (verdict, code, size of the conflict set, seconds) and a summary.
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from typing import Any

from solver.explain import explain_scenario
from solver.scenario import Scenario, parse_scenario


def forum(seed: int, tables: int = 14, meetings: int = 250, people: int = 60, busy: int = 3,
          hot: int = 4, rest: int = 0, travel: int = 0) -> Scenario:
    """A meeting forum whose participants each miss ``busy`` random slots (0-based, 16 slots of 30 minutes)."""
    rng = random.Random(seed)
    slots = 16
    ids = [f"p{n:03d}" for n in range(people)]
    participants: list[dict[str, Any]] = []
    for pid in ids:
        missing = set(rng.sample(range(slots), busy))
        windows = []
        for s in range(slots):
            if s in missing:
                continue
            start = f"2025-11-03T{9 + s // 2:02d}:{30 * (s % 2):02d}"
            if windows and windows[-1]["end"] == start:
                windows[-1]["end"] = f"2025-11-03T{9 + (s + 1) // 2:02d}:{30 * ((s + 1) % 2):02d}"
            else:
                windows.append({"start": start, "end": f"2025-11-03T{9 + (s + 1) // 2:02d}:{30 * ((s + 1) % 2):02d}"})
        participants.append({"id": pid, "name": f"Participant {pid[1:]}", "delegation": f"D{pid[1:]}",
                             "available": windows, "min_break_minutes": rest})
    events = []
    # A few participants are in demand: their meetings are more than their free slots now and then.
    weights = [6 if n < hot else 1 for n in range(people)]
    for n in range(meetings):
        a = rng.choices(ids, weights)[0]
        b = rng.choice([p for p in ids if p != a])
        events.append({"id": f"m{n:03d}", "title": f"{a} - {b}", "duration_minutes": 30, "participants": [a, b],
                       "required": True})
    return parse_scenario({
        "name": f"forum {seed}", "timezone": "Europe/Paris", "slot_minutes": 30,
        "days": [{"date": "2025-11-03", "start": "09:00", "end": "17:00"}],
        "zones": [{"id": "hall-a"}, {"id": "hall-b"}],
        "travel_minutes": [{"from": "hall-a", "to": "hall-b", "minutes": travel}],
        # Half the tables in each hall: with travel between them, a participant's day can break without any
        # count showing it.
        "rooms": [{"id": f"table-{t:02d}", "capacity": 2, "zone": "hall-a" if t % 2 else "hall-b"}
                  for t in range(tables)],
        "participants": participants, "events": events})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--forums", type=int, default=42)
    parser.add_argument("--time-limit", type=float, default=20.0)
    parser.add_argument("--first-seed", type=int, default=0)
    args = parser.parse_args()
    codes: Counter[str] = Counter()
    slowest = 0.0
    for seed in range(args.first_seed, args.first_seed + args.forums):
        # Five shapes in turn: a few participants in demand; everyone busy; the tables barely too few; 30
        # minutes' rest between meetings; 30 minutes' travel between the two halls (no count shows those
        # conflicts: a participant's core does).
        meetings = 200 + (seed * 7) % 101
        shape = seed % 5
        if shape == 0:
            model = forum(seed, meetings=meetings)
        elif shape == 1:
            model = forum(seed, meetings=meetings, people=45 + seed % 7, busy=5, hot=0)
        elif shape == 2:
            meetings = 14 * 16 - 8 + seed % 12
            model = forum(seed, meetings=meetings, people=80, busy=2, hot=0)
        elif shape == 3:
            meetings = 100 + seed % 30
            model = forum(seed, meetings=meetings, people=40, busy=3, hot=0, rest=30)
        else:
            meetings = 150 + seed % 40
            model = forum(seed, meetings=meetings, people=40, busy=3, hot=0, travel=30)
        started = time.perf_counter()
        diagnostics = explain_scenario(model, time_limit=args.time_limit)
        seconds = time.perf_counter() - started
        first = diagnostics[0]
        codes[first.code] += 1
        if first.code != "feasible":
            slowest = max(slowest, seconds)
        print(f"forum {seed:3d} ({meetings} meetings): {first.code:<28} {len(first.events):3d} events  "
              f"{seconds:6.2f} s  {first.message[:110]}")
    print(f"verdicts: {dict(codes)}; slowest explained infeasible verdict {slowest:.2f} s")


if __name__ == "__main__":
    main()
