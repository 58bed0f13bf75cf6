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


# ------------------------------------------------------------------------------------------- memory
# Peak memory of a solve in MB of address space (what the job's limit, setrlimit(RLIMIT_AS), caps), of the
# search's process, fitted on measured solves (benchmarks/memory.py; the table in benchmarks/RESULTS.md): a base
# for the interpreter, OR-Tools' threads and the compiled summit, then a cost per million row terms, larger for
# the whole CP-SAT model than for large-neighbourhood search alone. LNS alone holds no row of the summit (its
# first timetable comes from occupancy arrays, each round builds the rows of its own few thousand placements):
# what grows with the terms there is the aggregated LP's bound (solver/bound.py, built a few participants at a
# time) and the compiled summit, more slowly past ~4M terms (measured VmPeak 354-1,024 MB from 0.5 to 4M terms,
# 1,039 MB at 10.6M, 2026-12-06; an upper envelope, 22-98 % over the measures).
# Above 45k placements the whole LP's bound runs beside in a child process of its own (its own limit, the same
# setting): its resident peak grows with the placements (PDLP's program and its copies; measured 451 MB at 370k
# placements, 1,330-1,397 MB at 1.38M with travel and time budgets left out above a million, solver/model/bound.py;
# it was 3.2 GB at 1.38M when the LP went through a proto). Above a million placements the child solves it by our
# own PDHG (solver/model/pdhg.py, the matrix kept once in float32): VmPeak 1,001 MB at 1.38M placements and 1,219 MB
# at 2.28M (resident 652 and 913), against 1.5 and 2.2 GB resident with PDLP (benchmarks/RESULTS.md, m27).
WHOLE_BASE_MB = 480
WHOLE_MB_PER_MILLION_TERMS = 420
LNS_BASE_MB = 450
LNS_MB_PER_MILLION_TERMS = 270  # up to LNS_KNEE_TERMS...
LNS_KNEE_TERMS = 4_000_000
LNS_MB_PER_MILLION_TERMS_ABOVE = 80  # ...and past it
BOUND_CHILD_BASE_MB = 300
BOUND_CHILD_MB_PER_MILLION_PLACEMENTS = 850
BOUND_CHILD_COMPACT_ABOVE = 1_000_000  # placements: our own PDHG above (solver/model/bound.COMPACT_ABOVE)
BOUND_CHILD_COMPACT_BASE_MB = 750
BOUND_CHILD_COMPACT_MB_PER_MILLION_PLACEMENTS = 250
BOUND_CHILD_UP_TO = 3_000_000  # placements; above, no child (SolveConfig.bound_beside_below): the aggregated LP
SETTING = "SUMMIT_JOB_MEMORY_MB"


@dataclass(frozen=True)
class MemoryEstimate:
    whole_mb: int  # the whole CP-SAT model (large-neighbourhood search after it when it stalls)
    lns_mb: int  # large-neighbourhood search alone
    bound_child_mb: int  # the whole LP's bound beside the search (resident), in its own process

    def to_dict(self) -> dict[str, int]:
        return {"whole_mb": self.whole_mb, "lns_mb": self.lns_mb, "bound_child_mb": self.bound_child_mb}


@dataclass(frozen=True)
class MemoryPlan:
    """How a solve runs within ``limit_mb``: the whole model, LNS alone, or not at all (``fits`` False)."""

    estimate: MemoryEstimate
    limit_mb: int
    lns_only: bool
    fits: bool

    def refusal(self, setting: str = SETTING) -> str:
        return (f"the summit needs about {self.estimate.lns_mb:,} MB of memory to solve even by large-neighbourhood "
                f"search alone ({self.estimate.whole_mb:,} MB with the whole model); the limit is "
                f"{self.limit_mb:,} MB: raise {setting}, or split the summit / narrow events' windows and rooms")


class TooLarge(ValueError):
    """A summit that does not fit its memory limit even by large-neighbourhood search alone."""

    def __init__(self, plan: MemoryPlan, setting: str = SETTING) -> None:
        super().__init__(plan.refusal(setting))
        self.plan = plan


def estimate_memory(size: ModelSize) -> MemoryEstimate:
    """Peak memory in MB (address space, the job limit's unit) of a solve of a model of ``size``."""
    millions = size.terms / 1e6
    return MemoryEstimate(whole_mb=round(WHOLE_BASE_MB + WHOLE_MB_PER_MILLION_TERMS * millions),
                          lns_mb=round(LNS_BASE_MB + LNS_MB_PER_MILLION_TERMS * min(millions, LNS_KNEE_TERMS / 1e6)
                                       + LNS_MB_PER_MILLION_TERMS_ABOVE * max(0.0, millions - LNS_KNEE_TERMS / 1e6)),
                          bound_child_mb=_bound_child_mb(size.placements))


def _bound_child_mb(placements: int) -> int:
    """The whole LP's child: PDLP up to ``BOUND_CHILD_COMPACT_ABOVE`` placements, our own PDHG above, none above
    ``BOUND_CHILD_UP_TO``."""
    if placements > BOUND_CHILD_UP_TO:
        return 0
    if placements > BOUND_CHILD_COMPACT_ABOVE:
        return round(BOUND_CHILD_COMPACT_BASE_MB + BOUND_CHILD_COMPACT_MB_PER_MILLION_PLACEMENTS * placements / 1e6)
    return round(BOUND_CHILD_BASE_MB + BOUND_CHILD_MB_PER_MILLION_PLACEMENTS * placements / 1e6)


def plan_within(size: ModelSize, limit_mb: int | None) -> MemoryPlan:
    """The whole model when its estimate fits ``limit_mb`` (None or 0: no limit), else LNS alone when that fits."""
    estimate = estimate_memory(size)
    if not limit_mb:
        return MemoryPlan(estimate, 0, lns_only=False, fits=True)
    whole = estimate.whole_mb <= limit_mb
    return MemoryPlan(estimate, limit_mb, lns_only=not whole, fits=whole or estimate.lns_mb <= limit_mb)


def memory_plan(scenario: Scenario, limit_mb: int | None, workers: int = 2) -> MemoryPlan:
    """:func:`plan_within` of the scenario's estimated size; raises :class:`TooLarge` when nothing fits."""
    plan = plan_within(estimate_model_size(scenario), limit_mb)
    if not plan.fits:
        raise TooLarge(plan)
    return plan
