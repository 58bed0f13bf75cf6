"""How big a scenario's model would be, estimated without compiling it.

Compiling a 19,000-event scenario takes about 15 s and 240 MB, and building its model minutes and
gigabytes; a service must know before that whether a scenario is too big for it. The estimate uses
what compiling uses first (the grid, room fit, room pools) and counts, for every event, the pools
that fit it times the starts its own window and the day's hours allow. It leaves out participants'
availability and room closures, so it is an upper bound on the placements (one boolean each).

``terms`` counts how often placements appear in the rows that tie events together per slot: each
placement once per slot it covers for each of its participants and for its room pool. It is what
the model's memory grows with (36 participants per event, not the number of events, is what makes
a model take gigabytes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solver.compile import _minutes, _runs_fit, build_grid, build_pools, room_fit
from solver.scenario import Scenario


@dataclass(frozen=True)
class ModelSize:
    events: int
    placements: int  # upper bound: pools that fit x starts allowed by the event's window and the day hours
    terms: int  # placements x slots covered x (participants + room pool)
    slots: int

    def to_dict(self) -> dict[str, int]:
        return {"events": self.events, "placements": self.placements, "terms": self.terms, "slots": self.slots}


def estimate_model_size(scenario: Scenario) -> ModelSize:
    """An upper bound on the placements and the row terms of the scenario's model (see the module)."""
    grid = build_grid(scenario)
    zone_pos = {z.id: i for i, z in enumerate(scenario.zones)}
    fit = room_fit(scenario)
    _, room_pool = build_pools(scenario, grid, fit, zone_pos)
    day_end = grid.day_end_slot
    starts_for: dict[tuple[object, ...], int] = {}  # most events share a window and a duration
    placements = terms = 0
    for e, event in enumerate(scenario.events):
        duration = grid.slots_for(event.duration_minutes)
        pinned = event.pinned.start if event.pinned is not None else None
        key = (event.earliest, event.latest_end, pinned, duration)
        if key not in starts_for:
            ok = np.ones(grid.n_slots, dtype=bool)
            if event.earliest is not None:
                ok &= grid.slot_start_minute >= _minutes(event.earliest)
            if event.latest_end is not None:
                ok &= grid.slot_start_minute + grid.slot_minutes <= _minutes(event.latest_end)
            starts = _runs_fit(ok, duration, day_end)
            starts_for[key] = 1 if pinned is not None and starts.any() else int(starts.sum())
        pools = np.unique(room_pool[fit[e] & (room_pool >= 0)]).size
        count = pools * starts_for[key]
        placements += count
        terms += count * duration * (len(event.participants) + 1)
    return ModelSize(events=len(scenario.events), placements=placements, terms=terms, slots=grid.n_slots)
