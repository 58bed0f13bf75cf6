"""The seeded hunts' small summits and reports, shared by the tests and the benchmarks that run them on many more seeds
(benchmarks/push_hunt.py, benchmarks/overrun_hunt.py).

Each case (its seed alone decides it): a one-day summit of 2-5 events, 1-3 participants, 1-2 rooms, optional
events and ``after`` chains; the standing plan solved (one worker, seed 0: a summit this small is solved to its
optimum in milliseconds); then an ``event_running_late`` on a placed event at its start (or 15 minutes in), or a
``participant_delayed`` (arrival 09:15-10:00).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from solver.changes import parse_changes
from solver.model.constraints import all_rows
from solver.model.rows import RowIndex
from solver.replan import resolve
from solver.replan.budget import ReplanConfig
from solver.replan.context import prepare
from solver.replan.push import push_forward
from solver.scenario import Scenario, ScenarioError, parse_scenario
from solver.solve import solve, timetable_from_placements
from solver.timetable import Timetable
from solver.validate import runs_shorter, validate_timetable
from tests.builders import DAY, at, event, scenario


def build(rng: random.Random, shorten: bool = False, leaving: bool = False) -> Scenario:
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
    if leaving:  # (--leaving: each participant leaves at 09:30-11:00, so that an overrun may run past it)
        for person in people:
            person["available"] = [{"start": at("09:00"), "end": at(rng.choice(["09:30", "09:45", "10:00", "10:30",
                                                                                 "11:00"]))}]
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


def push_case(seed: int, shorten: bool = False, leaving: bool = False) -> tuple[str, str]:
    """The push-forward repair of the seed's report checked: ok (a whole repair, valid), partial (a start for the
    searches, valid otherwise), refused (the report does not apply), unsolved (no standing plan) or BROKEN, and
    what was found (the broken rows and rules, or the events the push shortened)."""
    rng = random.Random(seed)
    model = build(rng, shorten, leaving)
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
    broken = [v.code for v in validate_timetable(ctx.working, table, ctx.waived, shortened, (), overlaps,
                                                 ctx.availability_waived, ctx.day_close_waived)
              if v.code != "H1" or whole and set(v.events) <= wanted]
    if over.size or broken:
        return "BROKEN", f"{changes} rows over: {over.size}, violations: {broken}"
    return ("ok" if whole else "partial"), f"shortened {', '.join(shortened)}" if shortened else ""


def overrun_case(seed: int, pin_others: bool = False, leaving: bool = False) -> tuple[str, list[str]]:
    """The answer to the seed's overrun report ("" when the seed draws no overrun), and its broken rules. With
    ``pin_others``, the planner has pinned every other event where the standing plan has it: an overrun into a
    required one is into what cannot move, the rule between the two waived (``overlaps_waived``). With ``leaving``,
    each participant leaves during the day: an overrun past it keeps them (``availability_waived``)."""
    rng = random.Random(seed)
    model = build(rng, leaving=leaving)
    before = solve(model, time_limit=2, workers=1, seed=0).timetable
    if before.status not in ("optimal", "feasible") or not before.assignments:
        return "", []
    changes, now = change(rng, model, before)
    if changes[0]["op"] != "event_running_late":
        return "", []
    if pin_others:
        model = _pinned(model, before, changes[0]["event"])
    try:
        result = resolve(model, before, changes, now=now, time_limit=3, workers=1)
    except ScenarioError:
        return "refused", []
    status = result.timetable.status
    if status not in ("optimal", "feasible"):
        return status, []
    if result.overlaps_waived:
        status += " waiving a rule for a pair"
    if result.availability_waived:
        status += " keeping people past their availability"
    if result.day_close_waived:
        status += " running past the day's close"
    if result.given_up:
        status += " naming required events not kept" + (" (proven)" if any("(proven)" in note for note in result.notes)
                                                        else " (none found in time)")
    return status, [v.code for v in validate_timetable(result.scenario, result.timetable, result.waived,
                                                       result.shortened, result.given_up,
                                                       result.overlaps_waived, result.availability_waived,
                                                       result.day_close_waived)]


def _pinned(model: Scenario, before: Timetable, reported: str) -> Scenario:
    """The summit with every placed event but ``reported`` pinned by the planner where ``before`` has it."""
    document = model.to_document()
    placed = {a.event: a for a in before.assignments}
    for entry in document["events"]:
        held = placed.get(entry["id"])
        if held is not None and entry["id"] != reported:
            entry["pinned"] = {"room": held.room, "start": model.localise(held.start).isoformat()}
    return parse_scenario(document)
