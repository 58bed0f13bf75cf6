"""Brute force over every timetable of a tiny scenario, checked by the independent validator."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta

from solver.compile import build_grid
from solver.scenario import Scenario
from solver.timetable import Assignment, ScenarioRef, Timetable
from solver.validate import objective_of, validate_timetable


def valid_timetables(model: Scenario) -> Iterator[Timetable]:
    """Every combination of (room, start) or nothing per event that breaks no hard rule."""
    grid = build_grid(model)
    ref = ScenarioRef(name=model.name, fingerprint=model.fingerprint())
    options: list[list[Assignment | None]] = []
    for event in model.events:
        choices: list[Assignment | None] = [] if event.required else [None]
        for room in model.rooms:
            for slot in range(grid.n_slots):
                start = grid.time_of(slot)
                single = Assignment(event=event.id, room=room.id, start=start,
                                    end=start + timedelta(minutes=event.duration_minutes))
                # Keep only options that break no rule on their own (H2-H6).
                alone = Timetable(scenario=ref, status="feasible", assignments=[single])
                codes = {v.code for v in validate_timetable(model, alone)}
                if not codes & {"H2", "H3", "H4", "H5", "H6"}:
                    choices.append(single)
        options.append(choices)
    for combination in itertools.product(*options):
        table = Timetable(scenario=ref, status="feasible", assignments=[a for a in combination if a is not None])
        table.objective = objective_of(model, table)
        if not validate_timetable(model, table):
            yield table


def brute_force_optimum(model: Scenario) -> int | None:
    """Best objective over every valid timetable; None if there is none."""
    return max((t.objective for t in valid_timetables(model)), default=None)
