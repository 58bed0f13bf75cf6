"""Planners' changes to the events that matter most on Hanoi's day 1 and 2 (not reports): each re-planned from the
stored base timetable, one line per change: the answer, its seconds, what moved or went, the disruption, whether it
is proven least, and the validator's count of broken rules (told the waivers explicitly).

    .venv/bin/python benchmarks/central_changes.py --time-limit 10
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from solver.replan import ReplanConfig, resolve  # noqa: E402
from solver.scenario import load_scenario  # noqa: E402
from solver.timetable import Timetable  # noqa: E402
from solver.validate import validate_timetable  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# (what, now, changes): the central ceremonies lengthened, their room closed, their leaders late or leaving early
CASES: list[tuple[str, str, list[dict[str, Any]]]] = [
    ("signing 60 -> 120 min", "2025-10-25T09:30",
     [{"op": "event_updated", "event": "signing", "set": {"duration_minutes": 120}}]),
    ("opening (pinned) 120 -> 150 min", "2025-10-25T07:30",
     [{"op": "event_updated", "event": "opening", "set": {"duration_minutes": 150}}]),
    ("closing 60 -> 90 min", "2025-10-26T12:00",
     [{"op": "event_updated", "event": "closing", "set": {"duration_minutes": 90}}]),
    ("hl-seminar-ict 90 -> 120 min", "2025-10-25T12:00",
     [{"op": "event_updated", "event": "hl-seminar-ict", "set": {"duration_minutes": 120}}]),
    ("plenary closed 11:00-13:00", "2025-10-25T10:30",
     [{"op": "room_closed", "room": "plenary", "start": "2025-10-25T11:00", "end": "2025-10-25T13:00"}]),
    ("un-sg arrives 12:00 day 1", "2025-10-25T08:00",
     [{"op": "participant_delayed", "participant": "un-sg", "arrival": "2025-10-25T12:00"}]),
    ("vnm-president leaves 11:45 day 1", "2025-10-25T09:30",
     [{"op": "participant_delayed", "participant": "vnm-president", "departure": "2025-10-25T11:45"}]),
    ("opening running late 90 min", "2025-10-25T10:45",
     [{"op": "event_running_late", "event": "opening", "minutes": 90}]),
    ("signing cancelled", "2025-10-25T10:00", [{"op": "event_cancelled", "event": "signing"}]),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    scenario = load_scenario(ROOT / "scenarios" / "hanoi-2025.yaml")
    base = Timetable.model_validate(json.loads((ROOT / "benchmarks" / "hanoi-base-timetable.json").read_text()))
    for what, now, changes in CASES:
        started = time.monotonic()
        r = resolve(scenario, base, changes, now=datetime.fromisoformat(now),
                    config=ReplanConfig(time_limit=args.time_limit, workers=args.workers))
        broken = validate_timetable(r.scenario, r.timetable, waived_windows=r.waived, shortened=r.shortened,
                                    given_up=r.given_up, overlaps_waived=r.overlaps_waived,
                                    availability_waived=r.availability_waived)
        print(f"{what:34} now {now[5:]}: {r.timetable.status:10} {time.monotonic() - started:5.1f} s, "
              f"moved {len(r.diff.moved)}, dropped {len(r.diff.dropped)}, disruption {r.disruption} "
              f"({'proven least' if r.proven_minimal else f'bound {r.disruption_bound}'}), "
              f"broken {len(broken) if r.timetable.status in ('optimal', 'feasible') else '-'}",
              flush=True)


if __name__ == "__main__":
    main()
