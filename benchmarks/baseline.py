"""Baselines, measured side by side with the real model on the same scenario and time limit.

* ``greedy``: the warm-start construction alone (solver/model/greedy.py), no search.
* ``intervals``: a straightforward CP-SAT model, one optional interval per (event, room),
  no room pooling, no warm start: rooms and participants as no-overlap constraints (rest
  included), travel between zones as pairwise disjunctions, ``after`` as implications,
  exclusive ceremonies, escort capacity and resources as cumulatives. It does not model
  the per-day event limits (H9); the validator reports any timetable that breaks them.
* ``model``: our solver (solver/solve.py).

    .venv/bin/python benchmarks/baseline.py hanoi --time-limit 60
    .venv/bin/python benchmarks/baseline.py synthetic --delegations 200 --bilaterals 1000 --days 2 --time-limit 60
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta
from pathlib import Path

from ortools.sat.python import cp_model

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import add_case_arguments, case_scenario, report  # noqa: E402
from solver.compile import Instance, compile_scenario  # noqa: E402
from solver.model.constraints import all_rows  # noqa: E402
from solver.model.greedy import greedy_placements  # noqa: E402
from solver.scenario import Scenario  # noqa: E402
from solver.solve import SolveConfig, solve  # noqa: E402
from solver.timetable import Assignment, ScenarioRef, Timetable  # noqa: E402
from solver.validate import objective_of, validate_timetable  # noqa: E402


def greedy_only(scenario: Scenario) -> dict[str, object]:
    started = time.monotonic()
    instance = compile_scenario(scenario)
    chosen = greedy_placements(instance, all_rows(instance))
    seconds = time.monotonic() - started
    value = int(sum(int(instance.priority[e]) for e in range(len(instance.events))
                    if chosen[e] >= 0 and not instance.required[e]))
    missing = int(sum(1 for e in range(len(instance.events)) if instance.required[e] and chosen[e] < 0))
    return {"method": "greedy", "objective": value, "seconds": round(seconds, 3), "required_missing": missing}


def interval_model(scenario: Scenario, time_limit: float, workers: int) -> dict[str, object]:
    started = time.monotonic()
    instance = compile_scenario(scenario)
    model = cp_model.CpModel()
    grid = instance.grid
    presence: dict[tuple[int, int], cp_model.IntVar] = {}
    start_of: dict[tuple[int, int], cp_model.IntVar] = {}
    body: dict[tuple[int, int], cp_model.IntervalVar] = {}
    by_event: dict[int, list[tuple[int, int]]] = {}
    for e in range(len(instance.events)):
        items = instance.event_items[e]
        for pool_index in sorted({int(p) for p in instance.item_pool[items]}):
            starts = sorted({int(s) for s in instance.item_start[items[instance.item_pool[items] == pool_index]]})
            for room in instance.pools[pool_index].rooms:
                key = (e, room)
                present = model.new_bool_var(f"p{e}_{room}")
                start = model.new_int_var_from_domain(cp_model.Domain.from_values(starts), f"s{e}_{room}")
                duration = int(instance.duration[e])
                presence[key], start_of[key] = present, start
                body[key] = model.new_optional_fixed_size_interval_var(start, duration, present, f"i{e}_{room}")
                by_event.setdefault(e, []).append(key)
    for e, keys in by_event.items():
        total = sum(presence[k] for k in keys)
        model.add(total == 1) if instance.required[e] else model.add(total <= 1)
    for e in range(len(instance.events)):
        if instance.required[e] and e not in by_event:
            model.add_bool_or([])  # impossible required event: infeasible, as the contract says
    sweep = grid.slots_for(scenario.sweep_minutes)
    for room_index, room in enumerate(instance.rooms):
        occupancy = []
        for (e, r), present in presence.items():
            if r == room_index:
                lead = max(grid.slots_for(room.changeover_minutes), sweep if instance.has_vvip[e] else 0)
                occupancy.append(model.new_optional_fixed_size_interval_var(
                    start_of[(e, r)] - lead, int(instance.duration[e]) + lead, present, f"o{e}_{r}"))
        model.add_no_overlap(occupancy)
    zone_of_room = {r: instance.pools[p].zone for p in range(len(instance.pools)) for r in instance.pools[p].rooms}
    for person_index, person in enumerate(scenario.participants):
        rest = grid.slots_for(person.min_break_minutes)
        mine = [k for k in presence if person_index in set(instance.event_participants[k[0]].tolist())]
        model.add_no_overlap([model.new_optional_fixed_size_interval_var(
            start_of[k], int(instance.duration[k[0]]) + rest, presence[k], f"pp{person_index}_{k}") for k in mine])
        for a in range(len(mine)):
            for b in range(a + 1, len(mine)):
                ka, kb = mine[a], mine[b]
                hop = int(instance.travel_slots[zone_of_room[ka[1]], zone_of_room[kb[1]]])
                if ka[0] == kb[0] or hop == 0:
                    continue
                first = model.new_bool_var("")
                gap = rest + hop
                model.add(start_of[ka] + int(instance.duration[ka[0]]) + gap <= start_of[kb]).only_enforce_if(
                    [presence[ka], presence[kb], first])
                model.add(start_of[kb] + int(instance.duration[kb[0]]) + gap <= start_of[ka]).only_enforce_if(
                    [presence[ka], presence[kb], first.Not()])
    for e, before in enumerate(instance.predecessors):
        for f in before:
            for ke in by_event.get(e, []):
                model.add(sum(presence[k] for k in by_event.get(f, [])) >= 1).only_enforce_if(presence[ke])
                for kf in by_event.get(f, []):
                    model.add(start_of[kf] + int(instance.duration[f]) <= start_of[ke]).only_enforce_if(
                        [presence[ke], presence[kf]])
    big = max(1, len(instance.rooms))
    if instance.exclusive.any():
        model.add_cumulative([body[k] for k in body], [big if instance.exclusive[k[0]] else 1 for k in body], big)
    security = scenario.security
    if security is not None:
        for zone, cap in security.max_vvip_events_per_zone.items():
            z = instance.zone_ids.index(zone)
            chosen = [body[k] for k in body if instance.has_vvip[k[0]] and zone_of_room[k[1]] == z]
            if chosen:
                model.add_cumulative(chosen, [1] * len(chosen), cap)
    for resource in scenario.resources:
        users = [k for k in body if resource.id in instance.events[k[0]].uses]
        if users:
            model.add_cumulative([body[k] for k in users],
                                 [instance.events[k[0]].uses[resource.id] for k in users], resource.capacity)
    model.maximize(sum(int(instance.priority[k[0]]) * presence[k] for k in presence if not instance.required[k[0]]))
    build = time.monotonic() - started

    first: list[float] = []

    class First(cp_model.CpSolverSolutionCallback):
        def on_solution_callback(self) -> None:
            if not first:
                first.append(time.monotonic() - started)

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = workers
    status = solver.solve(model, First())
    result: dict[str, object] = {"method": "intervals", "variables": len(model.proto.variables),
                                 "build_s": round(build, 2), "first_feasible_s": round(first[0], 2) if first else None,
                                 "status": solver.status_name(status)}
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        timetable = _timetable(instance, presence, start_of, solver)
        result["objective"] = objective_of(scenario, timetable)
        result["bound"] = int(solver.best_objective_bound)
        result["violations"] = len(validate_timetable(scenario, timetable))
    return result


def _timetable(instance: Instance, presence: dict[tuple[int, int], cp_model.IntVar],
               start_of: dict[tuple[int, int], cp_model.IntVar], solver: cp_model.CpSolver) -> Timetable:
    assignments = []
    for (e, room), present in presence.items():
        if solver.boolean_value(present):
            start = instance.grid.time_of(int(solver.value(start_of[(e, room)])))
            assignments.append(Assignment(event=instance.events[e].id, room=instance.rooms[room].id, start=start,
                                          end=start + timedelta(minutes=instance.events[e].duration_minutes)))
    scenario = instance.scenario
    table = Timetable(scenario=ScenarioRef(name=scenario.name, fingerprint=scenario.fingerprint()),
                      status="feasible", assignments=assignments)
    table.objective = objective_of(scenario, table)
    return table


def ours(scenario: Scenario, time_limit: float, workers: int) -> dict[str, object]:
    result = solve(scenario, config=SolveConfig(time_limit=time_limit, workers=workers, stall_seconds=time_limit))
    return {"method": "model", "objective": result.timetable.objective, "bound": result.timetable.bound,
            "first_feasible_s": result.stats.first_solution_seconds,
            "build_s": round(result.stats.compile_seconds + result.stats.build_seconds, 2),
            "violations": len(validate_timetable(scenario, result.timetable)), "status": result.timetable.status}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_case_arguments(parser)
    parser.add_argument("--time-limit", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    scenario, name = case_scenario(args)
    rows = [greedy_only(scenario), interval_model(scenario, args.time_limit, args.workers),
            ours(scenario, args.time_limit, args.workers)]
    summary = {"case": "baselines", "scenario": name, "time_limit": args.time_limit, "workers": args.workers,
               "rows": rows, "command": " ".join(["python", "benchmarks/baseline.py", *sys.argv[1:]])}
    report(summary, args.record)


if __name__ == "__main__":
    main()
