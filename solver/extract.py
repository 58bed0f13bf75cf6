"""Extraction: a solution's placements -> concrete rooms within each pool -> a :class:`Timetable`.

The solve and the re-plan both end here: every timetable the project returns is built by
:func:`timetable_from_placements`.
"""

from __future__ import annotations

from datetime import timedelta

from solver.compile import Instance
from solver.model.rows import IntArray, Rows
from solver.timetable import Assignment, ScenarioRef, Timetable, Unscheduled


def assign_rooms(instance: Instance, chosen: IntArray, preferred: dict[int, int] | None = None,
                 slack: bool = False) -> dict[int, int]:
    """Concrete room per placed event. Within a pool, events sorted by the start of their
    room use (changeover or sweep included) take any room free by then: exact, since the
    model never lets more events than rooms hold the pool at once. An event keeps its
    ``preferred`` room (its room in the previous timetable) whenever that room is free.
    With ``slack`` (the robust solve), among equally wished rooms it takes the one free the longest, so that
    an overrun in a room does not reach the next event there when another room was idle."""
    preferred = preferred or {}
    room_of: dict[int, int] = {}
    on = chosen[chosen >= 0]
    for pool in instance.pools:
        placed = on[instance.item_pool[on] == pool.index].tolist()
        occupancy = sorted((int(instance.item_room_from[i]), int(instance.item_end[i]), i) for i in placed)
        free_from = {room: -1 for room in pool.rooms}
        # Later uses each room is wished for, so that an event without a usable wish takes the
        # free room wished for latest (or not at all) and leaves the others to their events.
        wished: dict[int, list[int]] = {room: [] for room in pool.rooms}
        for begin, _, item in occupancy:
            wish = preferred.get(int(instance.item_event[item]))
            if wish in wished:
                wished[wish].append(begin)
        for begin, end, item in occupancy:
            wish = preferred.get(int(instance.item_event[item]))
            free = [r for r in pool.rooms if free_from[r] <= begin]
            if wish is not None and free_from.get(wish, begin + 1) <= begin:
                room: int | None = wish
            elif slack and not preferred:  # (no wishes: the room free the longest, since the day's start)
                day_start = int(instance.grid.day_offset[instance.grid.slot_day[begin]])
                room = min(free, key=lambda r: max(free_from[r], day_start), default=None)
            else:
                day_start = int(instance.grid.day_offset[instance.grid.slot_day[begin]]) if slack else 0
                room = max(free, key=lambda r: (min((b for b in wished[r] if b >= begin), default=2**31),
                                                -max(free_from[r], day_start) if slack else 0), default=None)
            if room is None and int(instance.item_event[item]) in instance.fixed | instance.facts:
                # (a running event overran into one that cannot move, the room rule waived for the two:
                # solver.model.waive; it stays in its own room, still in use)
                room = wish if wish in free_from else min(pool.rooms, key=lambda r: free_from[r])
            if room is None:  # cannot happen for a solution of the model
                raise RuntimeError(f"pool {pool.index} over-subscribed at slot {begin}")
            free_from[room] = end
            room_of[int(instance.item_event[item])] = room
    return room_of


def assignments_of(instance: Instance, chosen: IntArray, preferred: dict[int, int] | None = None,
                   slack: bool = False) -> list[Assignment]:
    """The ``chosen`` placements as assignments, rooms assigned within pools (:func:`assign_rooms`)."""
    room_of = assign_rooms(instance, chosen, preferred, slack)
    grid = instance.grid
    assignments = []
    for event, item in enumerate(chosen):
        if item < 0:
            continue
        start = grid.time_of(int(instance.item_start[item]))
        cut = int(instance.item_cut[item]) * grid.slot_minutes  # (a shortened placement, in a re-plan)
        end = start + timedelta(minutes=instance.events[event].duration_minutes - cut)
        assignments.append(Assignment(event=instance.events[event].id, room=instance.rooms[room_of[event]].id,
                                      start=start, end=end))
    return assignments


def timetable_from_placements(instance: Instance, chosen: IntArray, ref: ScenarioRef,
                              rows: Rows | None = None, preferred: dict[int, int] | None = None,
                              known_reasons: dict[int, tuple[str, str]] | None = None,
                              slack: bool = False) -> Timetable:
    assignments = assignments_of(instance, chosen, preferred, slack)
    from solver.reasons import unscheduled_reasons  # keeps this module about extraction

    unscheduled = [Unscheduled(event=instance.events[e].id, reason=reason, code=code)
                   for e, (code, reason) in sorted(unscheduled_reasons(instance, chosen, rows, known_reasons).items())]
    objective = int(sum(int(instance.priority[e]) for e, item in enumerate(chosen)
                        if item >= 0 and not instance.required[e]))
    return Timetable(scenario=ref, status="feasible", objective=objective, assignments=assignments,
                     unscheduled=unscheduled)
