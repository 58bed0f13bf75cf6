"""Protective buffers of the robust solve (``summit solve --robust``).

After an event likely to overrun (its overrun probability, from the scenario's overrun model, is at least
:data:`LIKELY`), each of its participants keeps the next few slots free before their next event: slack
that absorbs the usual overrun instead of moving the next meeting. A buffer lasts ``buffer_minutes`` of
the overrun model, or else the minutes within which 70 % of the event's overruns end (exponential spread,
cut at its maximum). Each buffer is worth its overrun probability times the number of that participant's
events (the later events a cascade would move), and the objective prices every buffer together below one
unit of priority (``solver/model/objective.py``): a request is never given up for a buffer.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from solver.compile import Instance
from solver.model.rows import IntArray

LIKELY = 0.2  # an event that overruns at least one time in five gets buffers
QUANTILE = 0.7  # a buffer absorbs this share of the event's overruns


@dataclass(frozen=True)
class Buffer:
    """One participant's buffer slot: broken when one of ``ends`` is chosen and one of ``busy`` too."""

    ends: IntArray  # the participant's placements of likely-to-overrun events ending just before the buffer
    busy: IntArray  # the participant's placements that would hold them during the buffer slot
    value: int


def buffer_minutes(instance: Instance, event: int) -> int:
    """How long a buffer after this event lasts; 0 when it is not likely to overrun."""
    model = instance.scenario.overrun_model
    overrun = model.for_event(instance.scenario.events[event])
    if overrun.probability < LIKELY:
        return 0
    if model.buffer_minutes is not None:
        return model.buffer_minutes
    return int(min(overrun.max_minutes, math.ceil(-math.log(1 - QUANTILE) * overrun.mean_minutes)))


def _covering(instance: Instance, events: list[int], rest: int) -> dict[int, list[int]]:
    """Per slot, the placements of ``events`` that keep a participant busy (rest included)."""
    grid = instance.grid
    covering: dict[int, list[int]] = defaultdict(list)
    for e in events:
        items = instance.event_items[e]
        if items.size == 0:
            continue
        ends = np.minimum(instance.item_end[items] + rest, grid.day_end_slot[instance.item_start[items]])
        for item, a, b in zip(items.tolist(), instance.item_start[items].tolist(), ends.tolist(), strict=True):
            for t in range(a, b):
                covering[t].append(item)
    return covering


def _participant_buffers(instance: Instance, person: int, events: list[int]) -> list[Buffer]:
    grid = instance.grid
    rest = grid.slots_for(instance.scenario.participants[person].min_break_minutes)
    covering = _covering(instance, events, rest)
    days = max(1, len(instance.scenario.days))
    ending: dict[tuple[int, int], list[int]] = defaultdict(list)  # (end slot, buffer slots) -> placements
    probability: dict[tuple[int, int], float] = defaultdict(float)
    model = instance.scenario.overrun_model
    for e in events:
        slots = grid.slots_for(buffer_minutes(instance, e))
        items = instance.event_items[e]
        if slots == 0 or items.size == 0:
            continue
        for item, end in zip(items.tolist(), instance.item_end[items].tolist(), strict=True):
            ending[end, slots].append(item)
            probability[end, slots] = max(probability[end, slots],
                                          model.for_event(instance.scenario.events[e]).probability)
    downstream = max(1, math.ceil(len(events) / days))
    out = []
    for (end, slots), placed in sorted(ending.items()):
        value = max(1, round(10 * probability[end, slots])) * downstream
        day_end = int(grid.day_end_slot[end - 1])
        for t in range(end + rest, min(end + rest + slots, day_end)):
            if covering.get(t):
                busy = np.asarray(covering[t], dtype=np.int64)
            out.append(Buffer(np.asarray(placed, dtype=np.int64), busy, value))
    return out


def protective_buffers(instance: Instance) -> tuple[Buffer, ...]:
    """Every buffer slot the robust solve tries to keep free, with its value."""
    attends: dict[int, list[int]] = defaultdict(list)
    for e, people in enumerate(instance.event_participants):
        for p in people.tolist():
            attends[p].append(e)
    buffers: list[Buffer] = []
    for person in sorted(attends):
        buffers += _participant_buffers(instance, person, attends[person])
    return tuple(buffers)
