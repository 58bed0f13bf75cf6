"""Re-planning benchmark: for each kind of single change, N random changes applied to the
solved Hanoi timetable; repair latency (median, worst), share with disruption proven
minimal, and the time to explain an infeasible scenario.

    .venv/bin/python benchmarks/replan.py --changes 20 --workers 2

Prints a JSON summary per change kind (and appends it to benchmarks/results.jsonl with
--record). Seeds are fixed so that runs compare.

    .venv/bin/python benchmarks/replan.py --hard --time-limit 10 --base benchmarks/hanoi-base-timetable.json

runs the hard disruptions instead (benchmarks/hard_changes.py: visiting heads of state landing late, hosts
delayed or leaving early on either day, ceremony rooms closed, interpretation cut, ten bilaterals added at
once): each re-plan's verdict beside a fresh solve of the changed summit (the reference for feasibility, run
only when the re-plan gives no repair), its time, disruption and bound, and what it drops or notifies that the
change does not touch.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import report  # noqa: E402
from benchmarks.hard_changes import Disruption, hard_disruptions  # noqa: E402
from solver.changes import apply_changes, parse_changes  # noqa: E402
from solver.compile import compile_scenario  # noqa: E402
from solver.explain import explain_scenario  # noqa: E402
from solver.replan import ReplanResult, resolve  # noqa: E402
from solver.replan.change import freeze, from_now  # noqa: E402
from solver.scenario import Scenario, ScenarioError, load_scenario, parse_scenario  # noqa: E402
from solver.solve import solve  # noqa: E402
from solver.timetable import Timetable  # noqa: E402
from solver.validate import validate_timetable  # noqa: E402

KINDS = ("participant_availability", "participant_delayed", "room_closed", "room_reopened", "event_added",
         "event_cancelled", "event_updated", "pin", "unpin", "resource_capacity", "room_added", "day_added")


def random_change(kind: str, scenario: Scenario, timetable: Timetable, rng: random.Random,
                  serial: int) -> dict[str, Any]:
    """One plausible last-minute change of the given kind."""
    placed = [a for a in timetable.assignments]
    leaders = [p for p in scenario.participants if p.tier in ("vvip", "vip")]
    day = rng.choice(scenario.days)
    start, end = scenario.day_bounds(day)
    if kind == "participant_availability":
        person = rng.choice(leaders)
        cut = start + timedelta(hours=rng.randint(1, 4))
        return {"op": kind, "participant": person.id,
                "available": [{"start": start.isoformat(), "end": cut.isoformat()}]
                + [{"start": scenario.day_bounds(d)[0].isoformat(), "end": scenario.day_bounds(d)[1].isoformat()}
                   for d in scenario.days if d.date != day.date]}
    if kind == "participant_delayed":
        person = rng.choice(leaders)
        return {"op": kind, "participant": person.id,
                "arrival": (start + timedelta(hours=rng.choice([1, 2, 3]))).isoformat()}
    if kind == "room_closed":
        target = rng.choice(placed)
        return {"op": kind, "room": target.room, "start": target.start.isoformat(),
                "end": (target.start + timedelta(hours=1)).isoformat(), "reason": "security sweep"}
    if kind == "room_reopened":  # the scenario has closures (``with_closures``): reopen one of them
        closed = [r for r in scenario.rooms if r.unavailable]
        if not closed:
            room = rng.choice(scenario.rooms)
            return {"op": kind, "room": room.id, "start": start.isoformat(), "end": end.isoformat()}
        room = rng.choice(closed)
        window = room.unavailable[0]
        return {"op": kind, "room": room.id, "start": window.start.isoformat(), "end": window.end.isoformat()}
    if kind == "event_added":
        a, b = rng.sample(leaders, 2)
        bilateral_rooms = [r for r in scenario.rooms if "flags" in r.features]
        features = ["flags"] if bilateral_rooms else []
        return {"op": kind, "event": {"id": f"bench-new-{serial}", "title": f"{a.name} - {b.name}",
                                      "kind": "bilateral", "duration_minutes": 30,
                                      "participants": [a.id, b.id], "features": features,
                                      "priority": rng.randint(1, 10)}}
    if kind == "event_cancelled":
        return {"op": kind, "event": rng.choice(placed).event}
    if kind == "event_updated":
        optional = [e for e in scenario.events if not e.required] or scenario.events
        return {"op": kind, "event": rng.choice(optional).id, "set": {"priority": rng.randint(1, 10)}}
    if kind == "pin":
        target = rng.choice(placed)
        return {"op": kind, "event": target.event, "room": target.room, "start": target.start.isoformat()}
    if kind == "unpin":
        pinned = [e for e in scenario.events if e.pinned is not None]
        return {"op": kind, "event": (rng.choice(pinned) if pinned else rng.choice(scenario.events)).id}
    if kind == "resource_capacity":
        resource = rng.choice(scenario.resources)
        return {"op": kind, "resource": resource.id, "capacity": max(1, resource.capacity - 1)}
    if kind == "room_added":
        template = rng.choice([r for r in scenario.rooms if "flags" in r.features] or scenario.rooms)
        room = template.model_dump(mode="json", exclude_none=True)
        room.update(id=f"bench-room-{serial}", unavailable=[])
        return {"op": kind, "room": room}
    if kind == "day_added":
        last = max(d.date for d in scenario.days)
        return {"op": kind, "day": {"date": (last + timedelta(days=1)).isoformat(), "start": "08:00", "end": "18:00"}}
    raise ValueError(kind)


def with_closures(scenario: Scenario, rng: random.Random, rooms: int = 4) -> Scenario:
    """The scenario with a few rooms closed for two hours, so that reopening one gives something back."""
    closures = []
    for room in rng.sample(scenario.rooms, min(rooms, len(scenario.rooms))):
        start = scenario.day_bounds(rng.choice(scenario.days))[0] + timedelta(hours=rng.choice([2, 4, 6]))
        closures.append({"op": "room_closed", "room": room.id, "start": start.isoformat(),
                         "end": (start + timedelta(hours=2)).isoformat(), "reason": "works"})
    return apply_changes(scenario, parse_changes(closures))


def infeasible_variant(scenario: Scenario) -> Scenario:
    """The scenario with one event that must follow another squeezed to end before its
    predecessor can: the order rule and the window cannot both hold."""
    instance = compile_scenario(scenario)
    document = scenario.to_document()
    for e, before in enumerate(instance.predecessors):
        if not before or not instance.required[e]:
            continue
        first_end = min(int(instance.item_end[instance.event_items[b]].min()) for b in before)
        event = document["events"][e]
        end = instance.grid.time_of(first_end - 1) + timedelta(minutes=scenario.slot_minutes)
        event["latest_end"] = (end + timedelta(minutes=event["duration_minutes"] - scenario.slot_minutes)).isoformat()
        event.pop("earliest", None)
        return parse_scenario(document)
    raise ValueError("no required event with a predecessor")


def initial_timetable(scenario: Scenario, path: Path | None, solve_time: float, workers: int) -> Timetable:
    """The timetable the changes are applied to. A solve under a time limit on several workers need not give
    the same plan twice, and repairs depend on it: ``path`` keeps one."""
    if path is not None and path.exists():
        stored = Timetable.model_validate_json(path.read_text())
        if stored.scenario.fingerprint != scenario.fingerprint():
            raise SystemExit(f"{path}: a timetable of another scenario (fingerprint {stored.scenario.fingerprint})")
        return stored
    timetable = solve(scenario, time_limit=solve_time, workers=workers, seed=0).timetable
    if path is not None:
        path.write_text(timetable.model_dump_json())
    return timetable


def hard_case(scenario: Scenario, base: Timetable, case: Disruption, time_limit: float, workers: int,
              reference_limit: float) -> dict[str, Any]:
    """One hard disruption: the re-plan, and (when it gives no repair) a fresh solve of the same changed summit."""
    started = time.monotonic()
    result = resolve(scenario, base, case.changes, now=case.now, time_limit=time_limit, workers=workers)
    seconds = time.monotonic() - started
    status = result.timetable.status
    row: dict[str, Any] = {"family": case.family, "case": case.name, "seconds": round(seconds, 3), "verdict": status,
                           "disruption": result.disruption, "bound": result.disruption_bound,
                           "proven": result.proven_minimal, "phases": result.phases}
    row["untouched_dropped"] = len(_untouched(scenario, base, case, result))
    if status in ("optimal", "feasible"):
        row["invalid"] = len(validate_timetable(result.scenario, result.timetable))
        return row
    changes = [applied for _, applied in from_now(scenario, parse_changes(case.changes), case.now)]
    working, _ = freeze(apply_changes(scenario, changes), base, case.now, 60)
    reference = solve(working, time_limit=reference_limit, workers=workers, seed=0).timetable
    row["reference"] = reference.status
    row["false_verdict"] = status == "infeasible" and reference.status in ("optimal", "feasible")
    row["explained"] = status != "infeasible" or any("(change " in d.message for d in result.timetable.diagnostics)
    row["diagnostic"] = result.timetable.diagnostics[0].message if result.timetable.diagnostics else None
    return row


def _untouched(scenario: Scenario, base: Timetable, case: Disruption, result: ReplanResult) -> list[str]:
    """Events the diff drops or tells people about although the change neither names nor breaks them (when no
    repair is given, every told event must be one the change breaks)."""
    if result.timetable.status in ("optimal", "feasible"):
        cancelled = {c["event"] for c in case.changes if c["op"] == "event_cancelled"}
        return [a.event for a in result.diff.dropped if a.event not in cancelled
                and not _broken_alone(result.scenario, base, a.event)]
    # the standing timetable stays: nothing may be dropped or moved (the broken events are the validator's)
    return [a.event for a in result.diff.dropped] + [m.event for m in result.diff.moved]


def _broken_alone(changed: Scenario, base: Timetable, event: str) -> bool:
    """Does ``event``, where it stood, break a rule of the changed summit on its own?"""
    placed = base.assignment_of(event)
    if placed is None:
        return False
    alone = Timetable(scenario=base.scenario, status="feasible", assignments=[placed])
    return any(v.code not in ("H1",) for v in validate_timetable(changed, alone))


def run_hard(args: argparse.Namespace, scenario: Scenario, base: Timetable) -> None:
    cases = [c for c in hard_disruptions(scenario, base) if not args.families or c.family in args.families]
    rows = []
    for case in cases[: args.limit or None]:
        rows.append(hard_case(scenario, base, case, args.time_limit, args.workers, args.reference_limit))
        print(json.dumps(rows[-1]), flush=True)
    repaired = [r for r in rows if r["verdict"] in ("optimal", "feasible")]
    times = [r["seconds"] for r in repaired]
    summary = {"case": "replan_hard", "disruptions": len(rows), "repaired": len(repaired),
               "infeasible": sum(r["verdict"] == "infeasible" for r in rows),
               "unknown": sum(r["verdict"] == "unknown" for r in rows),
               "false_infeasible": sum(bool(r.get("false_verdict")) for r in rows),
               "untouched_dropped_or_told": sum(r["untouched_dropped"] > 0 for r in rows),
               "infeasible_unexplained": sum(not r.get("explained", True) for r in rows),
               "invalid": sum(r.get("invalid", 0) > 0 for r in repaired),
               "median_repair_s": round(statistics.median(times), 3) if times else None,
               "worst_repair_s": round(max(times), 3) if times else None,
               "worst_any_s": round(max(r["seconds"] for r in rows), 3) if rows else None,
               "proven_pct": round(100 * sum(r["proven"] for r in repaired) / len(repaired), 1) if repaired else None,
               "per_family": {f: {"n": sum(r["family"] == f for r in rows),
                                  "verdicts": statistics.multimode([r["verdict"] for r in rows if r["family"] == f])}
                              for f in sorted({r["family"] for r in rows})},
               "time_limit": args.time_limit, "workers": args.workers,
               "machine": f"{platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}",
               "date": datetime.now(UTC).strftime("%Y-%m-%d"),
               "command": " ".join(["python", "benchmarks/replan.py", *sys.argv[1:]])}
    report(summary, args.record)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--file", type=Path, default=ROOT / "scenarios" / "hanoi-2025.yaml")
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--kinds", nargs="*", default=list(KINDS))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--time-limit", type=float, default=3.0, help="per repair")
    parser.add_argument("--solve-time", type=float, default=20.0, help="for the initial timetable")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--record", action="store_true")
    parser.add_argument("--detail", action="store_true", help="print each change's outcome and time per step")
    parser.add_argument("--base", type=Path, help="the initial timetable: read from this file if it exists (else "
                        "solved and written there), so that runs of different code start from the same plan")
    parser.add_argument("--hard", action="store_true", help="the hard disruptions (see the module docstring)")
    parser.add_argument("--families", nargs="*", default=[], help="with --hard: only these families")
    parser.add_argument("--limit", type=int, default=0, help="with --hard: at most this many disruptions")
    parser.add_argument("--reference-limit", type=float, default=60.0,
                        help="with --hard: the fresh solve's limit, when the re-plan gives no repair")
    args = parser.parse_args()

    scenario = load_scenario(args.file)
    base = initial_timetable(scenario, args.base, args.solve_time, args.workers)
    if args.hard:
        run_hard(args, scenario, base)
        return
    rows = []
    closed: tuple[Scenario, Timetable] | None = None
    for kind in args.kinds:
        subject, before = scenario, base
        if kind == "room_reopened":  # reopening needs something closed first, with its own timetable
            if closed is None:
                shut = with_closures(scenario, random.Random(args.seed))
                closed = shut, solve(shut, time_limit=args.solve_time, workers=args.workers, seed=0).timetable
            subject, before = closed
        rng = random.Random(f"{args.seed}-{kind}")
        latencies, proven, invalid, failed, infeasible, unknown = [], 0, 0, 0, 0, 0
        for serial in range(args.changes):
            change = random_change(kind, subject, before, rng, serial)
            started = time.monotonic()
            try:
                result = resolve(subject, before, [change], time_limit=args.time_limit, workers=args.workers,
                                 seed=serial)
            except ScenarioError:
                failed += 1
                continue
            latencies.append(time.monotonic() - started)
            if args.detail:
                print(json.dumps({"kind": kind, "serial": serial, "seconds": round(latencies[-1], 3),
                                  "status": result.timetable.status, "level": result.neighbourhood,
                                  "proven": result.proven_minimal, "disruption": result.disruption,
                                  "bound": result.disruption_bound, "phases": result.phases}), flush=True)
            if result.timetable.status == "infeasible":  # e.g. a leader delayed past a required event
                infeasible += 1
                continue
            if result.timetable.status == "unknown":  # no repair in the time given: the standing plan stays
                unknown += 1
                continue
            proven += result.proven_minimal
            invalid += bool(validate_timetable(result.scenario, result.timetable))
        rows.append({"kind": kind, "changes": len(latencies), "rejected": failed,
                     "median_s": round(statistics.median(latencies), 3) if latencies else None,
                     "worst_s": round(max(latencies), 3) if latencies else None,
                     "infeasible": infeasible, "unknown": unknown,
                     "proven_minimal_pct": (round(100 * proven / (len(latencies) - infeasible - unknown), 1)
                                            if len(latencies) > infeasible + unknown else None),
                     "invalid": invalid})
        print(json.dumps(rows[-1]), flush=True)
    try:
        variant = infeasible_variant(scenario)
        started = time.monotonic()
        diagnostics = explain_scenario(variant, time_limit=10)
        explain_s: float | None = round(time.monotonic() - started, 3)
    except ValueError:
        diagnostics, explain_s = [], None
    summary = {"case": "replan", "scenario": str(args.file.name), "per_kind": rows, "explain_infeasible_s": explain_s,
               "explanation": diagnostics[0].message if diagnostics else None,
               "machine": f"{platform.machine()}, {os.cpu_count()} cores", "workers": args.workers,
               "date": datetime.now(UTC).strftime("%Y-%m-%d"),
               "command": " ".join(["python", "benchmarks/replan.py", *sys.argv[1:]])}
    report(summary, args.record)


if __name__ == "__main__":
    main()
