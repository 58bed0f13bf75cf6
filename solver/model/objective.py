"""What the solver maximises.

Primary (the contract): the total ``priority`` of the optional events scheduled.

Secondary, only to break ties between timetables of equal primary value: *fairness
across delegations*, i.e. the number of delegations that get at least one of their
optional meetings. Among equally valuable timetables we prefer the one where no
delegation leaves empty-handed.

The secondary term is at most the number of delegations ``D``, and the primary is
multiplied by ``D + 1``, so the secondary can never outweigh one unit of priority:
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


def objective_terms(instance: Instance) -> ObjectiveTerms:
    optional = ~instance.required[instance.item_event]
    item_value = np.where(optional, instance.priority[instance.item_event], 0).astype(np.int64)
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
    return ObjectiveTerms(len(delegation_items) + 1, item_value, delegation_items)


def primary_of(objective_value: float, weight: int) -> int:
    """The contract's objective from the solver's weighted one."""
    return int(round(objective_value)) // weight
