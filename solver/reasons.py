"""Why an event is not in the timetable, in a planner's words.

Events ruled out before solving keep their pre-check reason. For an optional event the
solver left out, every placement it had is tried against the final timetable: the rules
that block it and the scheduled events that hold the contested time or room are named.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from solver.compile import Instance
from solver.model.constraints import all_rows
from solver.model.rows import IntArray, RowIndex, Rows

_FAMILY_WORDS = {
    "participant_one_event_at_a_time": "its participants are in other meetings (with their rest time)",
    "travel_time": "its participants would not have time to travel between zones",
    "room_one_event_at_a_time": "every suitable room is taken (changeover and security sweeps included)",
    "exclusive": "an exclusive ceremony is running",
    "escort_capacity": "the zone's escort capacity for vvip events is used up",
    "resource_capacity": "a shared resource (interpreters, press pool, escorts) is fully used",
    "daily_event_limit": "a participant has reached their maximum number of events that day",
    "after": "an event it must follow is not over",
}


def unscheduled_reasons(instance: Instance, chosen: IntArray, rows: Rows | None = None,
                        known: dict[int, tuple[str, str]] | None = None) -> dict[int, tuple[str, str]]:
    """(code, reason) for each event without a placement in ``chosen``; ``known`` reasons are kept."""
    reasons: dict[int, tuple[str, str]] = {}
    for check in instance.prechecks:
        reasons.setdefault(check.event, (check.code, check.message))
    for event, reason in (known or {}).items():
        if chosen[event] < 0:
            reasons.setdefault(event, reason)
    missing = [e for e in range(len(instance.events)) if chosen[e] < 0 and e not in reasons]
    if not missing:
        return reasons
    if rows is None:
        # Only the timetable's placements and the left-out events' own can block or be blocked: the rows over
        # those alone say the same as the whole summit's, and are far quicker to build.
        keep = np.zeros(instance.n_items, dtype=bool)
        keep[chosen[chosen >= 0]] = True
        for e in missing:
            keep[instance.event_items[e]] = True
        position = np.cumsum(keep) - 1
        chosen = np.where(chosen >= 0, position[np.maximum(chosen, 0)], -1)
        instance = instance.restricted(keep)
        rows = all_rows(instance)
    index = RowIndex.of(rows, instance.n_items)
    placed = chosen[chosen >= 0]
    load = index.load_of(placed)
    # For each row, the scheduled events in it: they are what blocks a placement there.
    placed_in_row: dict[int, list[int]] = {}
    for item in placed:
        for row in index.entry_row[index.entries(int(item))]:
            placed_in_row.setdefault(int(row), []).append(int(instance.item_event[item]))
    family = np.asarray(rows.family, dtype=object)
    for e in missing:
        reasons[e] = _why_left_out(instance, e, chosen, family, index, load, placed_in_row)
    return reasons


def _why_left_out(instance: Instance, event: int, chosen: IntArray, row_family: np.ndarray, index: RowIndex,
                  load: IntArray, placed_in_row: dict[int, list[int]]) -> tuple[str, str]:
    ids = instance.events
    unscheduled_before = [ids[b].id for b in instance.predecessors[event] if chosen[b] < 0]
    if unscheduled_before:
        return ("predecessor_unscheduled",
                f"not scheduled: it must follow {', '.join(unscheduled_before)}, which is not scheduled")
    if instance.priority[event] == 0 and not instance.required[event]:
        return ("no_value", "not selected: its priority is 0, so placing it adds nothing")
    items = instance.event_items[event]
    first, last = index.item_bounds[items], index.item_bounds[items + 1]
    counts = last - first
    entries = np.repeat(first - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts) + np.arange(counts.sum())
    rows = index.entry_row[entries]
    broken = load[rows] + index.entry_coef[entries] > index.upper[rows]
    owner = np.repeat(np.arange(items.size), counts)
    blocked = np.bincount(owner[broken], minlength=items.size) > 0
    if not blocked.all() and not instance.required[event]:
        free = int(items[np.flatnonzero(~blocked)[0]])
        return ("not_reached", "not selected: the search stopped before placing it, although it fits at "
                f"{instance.grid.label(int(instance.item_start[free]))}; a longer solve may include it")
    # Rank the rules by how many of the event's placements each one blocks.
    families: Counter[str] = Counter()
    blocked_by = {(str(row_family[row]), int(item)) for row, item in zip(rows[broken].tolist(),
                                                                         owner[broken].tolist(), strict=True)}
    for name, _ in blocked_by:
        families[name] += 1
    broken_rows, per_row = np.unique(rows[broken], return_counts=True)
    blockers: Counter[int] = Counter()
    for row, count in zip(broken_rows.tolist(), per_row.tolist(), strict=True):
        for other in placed_in_row.get(row, []):
            if other != event:
                blockers[other] += count
    main = [_FAMILY_WORDS.get(name, name) for name, _ in families.most_common(2)]
    named = [b for b, _ in blockers.most_common(4)]
    held = ""
    if named:
        listing = ", ".join(f"{ids[b].id} (priority {int(instance.priority[b])}"
                            f"{', required' if instance.required[b] else ''})" for b in named)
        held = f"; the contested time goes to {listing}"
    return ("not_selected", "not selected: at every possible time " + " or ".join(main) + held)
