"""What the solver maximises.

Primary (the contract): the total ``priority`` of the optional events scheduled.

Secondary, only to break ties between timetables of equal primary value: *fairness
across delegations*, i.e. the number of delegations that get at least one of their
optional meetings. Among equally valuable timetables we prefer the one where no
delegation leaves empty-handed.

Tertiary, to break the remaining ties: *compact days for vvip leaders*. Each vvip's time
in events (rest included) is cut into blocks; every block that starts means an idle gap
before it (or the day's first event), so fewer block starts means fewer idle gaps.

Weights: with ``B`` possible block starts, the tertiary term ``B - starts`` lies in
``[0, B]``; fairness is multiplied by ``B + 1`` so it outweighs any compactness; the
primary is multiplied by ``(D + 1) * (B + 1)`` so nothing outweighs one unit of priority:
``primary = objective // weight`` exactly, and the proven bound on the primary is
``bound // weight``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solver.compile import Instance
from solver.model.rows import IntArray


@dataclass(frozen=True)
class ObjectiveTerms:
    weight: int  # multiplier of the primary objective
    item_value: IntArray  # primary value of each placement (priority of optional events, else 0)
    delegation_items: list[IntArray]  # per delegation with optional requests: its placements
    fairness_weight: int = 1  # multiplier of "delegations served"
    # per (vvip, slot) where a block could start: placements covering the slot, and covering the slot before
    block_starts: tuple[tuple[IntArray, IntArray], ...] = ()

    @property
    def lowest_range(self) -> int:
        """The largest value of the lowest term: compact days."""
        return len(self.block_starts)


def vvip_block_starts(instance: Instance) -> tuple[tuple[IntArray, IntArray], ...]:
    """For each vvip and slot, the placements that make them busy then and just before."""
    grid = instance.grid
    vvips = [p for p, person in enumerate(instance.scenario.participants) if person.tier == "vvip"]
    if not vvips or instance.n_items == 0:
        return ()
    day_start = grid.day_offset[grid.slot_day]
    day_end = grid.day_end_slot
    out: list[tuple[IntArray, IntArray]] = []
    attends = {p: [] for p in vvips}  # type: dict[int, list[int]]
    for e, people in enumerate(instance.event_participants):
        for p in people.tolist():
            if p in attends:
                attends[p].append(e)
    for p in vvips:
        if not attends[p]:
            continue
        items = np.concatenate([instance.event_items[e] for e in attends[p]])
        if items.size == 0:
            continue
        rest = grid.slots_for(instance.scenario.participants[p].min_break_minutes)
        first = instance.item_start[items]
        last = np.minimum(instance.item_end[items] + rest, day_end[first])
        covering: dict[int, list[int]] = {}
        for item, a, b in zip(items.tolist(), first.tolist(), last.tolist(), strict=True):
            for t in range(a, b):
                covering.setdefault(t, []).append(item)
        for t in sorted(covering):
            before = covering.get(t - 1, []) if t - 1 >= int(day_start[t]) else []
            out.append((np.asarray(covering[t], dtype=np.int64), np.asarray(before, dtype=np.int64)))
    return tuple(out)


def placement_values(instance: Instance) -> IntArray:
    """The primary value of each placement: its event's priority if the event is optional, else 0."""
    optional = ~instance.required[instance.item_event]
    return np.where(optional, instance.priority[instance.item_event], 0).astype(np.int64)


def objective_terms(instance: Instance) -> ObjectiveTerms:
    item_value = placement_values(instance)
    delegation_of = [p.delegation or p.id for p in instance.scenario.participants]
    per_delegation: dict[str, list[int]] = {}
    for e, people in enumerate(instance.event_participants):
        if instance.required[e] or instance.priority[e] == 0:
            continue
        for delegation in {delegation_of[p] for p in people}:
            per_delegation.setdefault(delegation, []).append(e)
    delegation_items = []
    for events in per_delegation.values():
        items = np.concatenate([instance.event_items[e] for e in events]) if events else np.zeros(0, np.int64)
        if items.size:
            delegation_items.append(items.astype(np.int64))
    blocks = vvip_block_starts(instance)
    fairness_weight = len(blocks) + 1
    weight = (len(delegation_items) + 1) * fairness_weight
    return ObjectiveTerms(weight, item_value, delegation_items, fairness_weight, blocks)


def primary_of(objective_value: float, weight: int) -> int:
    """The contract's objective from the solver's weighted one."""
    return int(round(objective_value)) // weight
