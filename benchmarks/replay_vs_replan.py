"""The replay's fast propagation against the real re-plan, one overrun at a time (issue 29 item 2).

Draws ``--days`` seeded days of overruns for a standing timetable (the replay's own draws, ``summit replay``'s seed),
picks ``--sample`` of the single event overruns in them, and for each:

* the fast propagation (:func:`solver.replay.propagate`) of that overrun alone, its minutes rounded up to the
  slot grid as the re-plan rounds them, no arrival late: the events that must move (start later) and those lost;
* the re-plan (:func:`solver.replan.resolve`) of an ``event_running_late`` report for it, told ``--told`` minutes
  before its planned end (a duty officer's day: ``benchmarks/summit_day.py``): the events it moves (start or room
  changed) and drops, its timetable checked by the validator.

Prints one line per overrun and a markdown summary (for benchmarks/RESULTS.md): moved events counted by each, how
many both name, those only one names (with why, as far as the timetables say), lost by each.

    .venv/bin/python -m benchmarks.replay_vs_replan SCENARIO TIMETABLE [--days 20] [--sample 12] [--seed 0]
        [--time-limit 10] [--told 5]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import numpy as np

from solver.overruns import Draws, draw_days
from solver.replan import resolve
from solver.replay import Plan, plan_of, propagate
from solver.scenario import Scenario, load_scenario
from solver.timetable import Timetable
from solver.validate import validate_timetable


@dataclass
class Compared:
    """One overrun: what each side moves and loses, and why they differ."""

    event: str
    minutes: int
    fast_moved: set[str]
    fast_lost: set[str]
    first_hop: set[str]  # those of fast_moved that the late event itself holds up (no cascade)
    replan_moved: set[str] = field(default_factory=set)
    replan_lost: set[str] = field(default_factory=set)
    status: str = ""
    seconds: float = 0.0
    broken: int = 0
    why: Counter[str] = field(default_factory=Counter)


def sample_overruns(plan: Plan, draws: Draws, sample: int, seed: int) -> list[tuple[int, float]]:
    """``sample`` (event index, minutes late) drawn among every overrun of the drawn days."""
    runs, events = np.nonzero(draws.event_late > 0)
    pick = np.random.default_rng(seed).choice(runs.size, size=min(sample, runs.size), replace=False)
    return [(int(events[k]), float(draws.event_late[runs[k], events[k]])) for k in sorted(pick.tolist())]


def fast(plan: Plan, index: int, minutes: int) -> tuple[set[str], set[str], set[str]]:
    """The fast propagation of one overrun alone: events that must move, events lost (the late one excluded), and
    the first hop: the events the late event itself holds up."""
    late = np.zeros((1, len(plan.events)))
    late[0, index] = minutes
    outcome = propagate(plan, Draws(late, np.zeros((1, len(plan.arrival_tiers)))))
    ids = [e.id for e in plan.events]
    moved = {ids[i] for i in np.flatnonzero(outcome.moved[0])} - {ids[index]}
    end = plan.start[index] + plan.duration[index] + minutes
    first = {ids[i] for i in range(len(ids)) for j, gap in plan.before[i] if j == index and end + gap > plan.start[i]}
    return moved, {ids[i] for i in np.flatnonzero(outcome.lost[0])} - {ids[index]}, first


def replanned(scenario: Scenario, table: Timetable, compared: Compared, told: int, time_limit: float) -> None:
    """The re-plan of the report, told ``told`` minutes before the event's planned end."""
    planned = next(a for a in table.assignments if a.event == compared.event)
    began = time.monotonic()
    result = resolve(scenario, table, [{"op": "event_running_late", "event": compared.event,
                                        "minutes": compared.minutes}],
                     now=planned.end - timedelta(minutes=told), time_limit=time_limit)
    compared.seconds = time.monotonic() - began
    compared.status = result.timetable.status
    if compared.status not in ("optimal", "feasible"):
        return
    compared.replan_moved = ({m.event for m in result.diff.moved} | {m.event for m in result.diff.room_changes}) \
        - {compared.event}
    compared.replan_lost = {a.event for a in result.diff.dropped} - {compared.event}
    compared.broken = len(validate_timetable(result.scenario, result.timetable, result.waived, result.shortened,
                                             result.given_up, result.overlaps_waived, result.availability_waived,
                                             result.day_close_waived))
    compared.why = _why_differs(table, result.timetable, compared, set(result.shortened))


def _why_differs(old: Timetable, new: Timetable, c: Compared, shortened: set[str]) -> Counter[str]:
    """Each event only one side names, by what the re-plan did with it."""
    before = {a.event: a for a in old.assignments}
    after = {a.event: a for a in new.assignments}
    why: Counter[str] = Counter()
    for name in c.replan_moved - c.fast_moved - c.fast_lost:
        a, b = before[name], after[name]
        if b.start < a.start:
            why["re-plan only: moved earlier"] += 1
        elif b.start == a.start:
            why["re-plan only: room changed, same time"] += 1
        else:
            why["re-plan only: moved later (a knock-on of its own choices)"] += 1
    for name in c.fast_moved - c.replan_moved - c.replan_lost:
        if name in shortened:
            why["fast only: kept, shortened"] += 1
        else:
            why["fast only: kept in place (what blocked it moved away)"] += 1
    why["fast moved, re-plan dropped"] += len(c.fast_moved & c.replan_lost)
    why["fast lost, re-plan moved"] += len(c.fast_lost & c.replan_moved)
    why["fast lost, re-plan kept"] += len(c.fast_lost - c.replan_moved - c.replan_lost)
    return why


def summary(rows: list[Compared]) -> list[str]:
    """The markdown summary: totals over the overruns re-planned."""
    done = [c for c in rows if c.status in ("optimal", "feasible")]
    both = sum(len(c.fast_moved & c.replan_moved) for c in done)
    fast_moved = sum(len(c.fast_moved) for c in done)
    replan_moved = sum(len(c.replan_moved) for c in done)
    hop = sum(len(c.first_hop) for c in done)
    hop_both = sum(len(c.first_hop & (c.replan_moved | c.replan_lost)) for c in done)
    exact = sum(1 for c in done if c.fast_moved == c.replan_moved and c.fast_lost == c.replan_lost)
    why: Counter[str] = Counter()
    for c in done:
        why.update(c.why)
    seconds = [c.seconds for c in rows]
    return [f"overruns: {len(rows)}, re-planned: {len(done)} (statuses {dict(Counter(c.status for c in rows))}), "
            f"broken rules: {sum(c.broken for c in done)}",
            f"moved: fast {fast_moved}, re-plan {replan_moved}, both {both}; "
            f"lost: fast {sum(len(c.fast_lost) for c in done)}, re-plan {sum(len(c.replan_lost) for c in done)}, "
            f"both {sum(len(c.fast_lost & c.replan_lost) for c in done)}; the same sets: {exact} of {len(done)}",
            f"first hop (the events the late one itself holds up): {hop}, of which the re-plan moves or drops "
            f"{hop_both}; the re-plan's moves and drops outside it: "
            f"{sum(len((c.replan_moved | c.replan_lost) - c.first_hop) for c in done)}",
            "differences: " + ", ".join(f"{k} {v}" for k, v in sorted(why.items()) if v) or "differences: none",
            f"re-plan seconds: median {np.median(seconds):.1f}, max {max(seconds):.1f}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", type=Path)
    parser.add_argument("timetable", type=Path)
    parser.add_argument("--days", type=int, default=20, help="seeded days of overruns to draw from")
    parser.add_argument("--sample", type=int, default=12, help="single overruns re-planned")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds per re-plan")
    parser.add_argument("--told", type=int, default=5, help="minutes before the planned end the report comes")
    args = parser.parse_args()
    scenario = load_scenario(args.scenario)
    table = Timetable.model_validate(json.loads(args.timetable.read_text(encoding="utf-8")))
    plan = plan_of(scenario, table)
    draws = draw_days(scenario, plan.events, plan.arrival_tiers, args.days, args.seed)
    slot = scenario.slot_minutes
    print(f"load average before: {os.getloadavg()[0]:.1f}", flush=True)
    rows = []
    for index, late in sample_overruns(plan, draws, args.sample, args.seed):
        minutes = int(-(-late // slot) * slot)  # rounded up to the grid, as the report is
        moved, lost, first = fast(plan, index, minutes)
        compared = Compared(plan.events[index].id, minutes, moved, lost, first)
        replanned(scenario, table, compared, args.told, args.time_limit)
        rows.append(compared)
        print(f"{compared.event} +{minutes} min: fast moves {len(moved)} loses {len(lost)}; re-plan "
              f"{compared.status} moves {len(compared.replan_moved)} (first hop {len(first)}, in it "
              f"{len(first & (compared.replan_moved | compared.replan_lost))}) drops {len(compared.replan_lost)} "
              f"(both move {len(moved & compared.replan_moved)}) in {compared.seconds:.1f} s, "
              f"broken {compared.broken}; {dict(compared.why)}", flush=True)
    print("\n".join(summary(rows)))
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
