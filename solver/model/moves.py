"""A fast local search on a timetable, without CP-SAT: requests left out pushed in where the events in their way
can go elsewhere (or are worth less).

Large-neighbourhood search re-plans a part of the summit exactly with CP-SAT: a second of CPU per round at 1,000
requests and up. Most of what a planner would try first is simpler: a request left out could take a slot if one
of its participants' meetings moved an hour later, or if a lower-priority meeting in its way gave way to it. This
module tries exactly that on the occupancy arrays (:class:`solver.model.occupancy.Occupancy`, the same checks as
the greedy and the LP-rounded timetables, so every rule holds), one left-out request at a time, the most valuable
first:

* **insert**: the request takes a placement that fits as it is;
* **move-then-insert**: at one of its placements, the events in its way (its participants' events that day within
  rest and travel of it; the events of its pool of rooms over its time when the pool is full) are taken out, the
  request is placed, and each of them is put back, where it was if it still fits, else at another placement that
  fits: kept when everything came back (the timetable gains the request);
* **swap-out**: the same, some optional events not coming back, kept when the request is worth more than they are
  (a required event always comes back, else nothing changes).

A move is only kept when the timetable's value rises, so it never gets worse; each is checked by ``blocked`` before
it is made, so the timetable keeps every rule. Deterministic: the same timetable and weights give the same result.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from solver.compile import Instance
from solver.model.objective import placement_values
from solver.model.occupancy import Occupancy
from solver.model.rows import IntArray

FloatArray = npt.NDArray[np.float64]
# (units over at each slot of a window, the placed events holding units there, how many each holds, the first and
# last slot of the window each holds)
Holders = tuple[IntArray, IntArray, IntArray, IntArray, IntArray]


@dataclass
class MoveStats:
    """What the local search did: moves tried and kept of each kind, and the value gained."""

    tried: int = 0
    inserted: int = 0  # left-out requests that fit as they were
    moved_in: int = 0  # ... that came in by moving events in their way elsewhere
    swapped_in: int = 0  # ... that came in by leaving less valuable events out
    gained: int = 0
    passes: int = 0


@dataclass
class _Searcher:
    """The local search's state: the occupancy of the timetable so far, and what it looks up often."""

    instance: Instance
    state: Occupancy
    value: IntArray  # per event: its priority if optional (what it adds placed), else 0
    weight: FloatArray  # per placement: the preference among those that fit (the LP's weight, or 0)
    person_events: list[IntArray]
    pinned: npt.NDArray[np.bool_]  # events never taken out: those others must follow (their `after` rows)
    margin: IntArray  # per participant: slots around an event within which another of theirs may be in the way
    top: int  # placements tried per request with move-then-insert
    uses: IntArray  # resource x event: the units each event uses
    stats: MoveStats
    log: list[tuple[int, int]] = field(default_factory=list)  # (event, placement before: -1 out) per change

    @classmethod
    def of(cls, instance: Instance, chosen: IntArray, weight: FloatArray | None, top: int) -> _Searcher:
        state = Occupancy.of(instance)
        for event in np.flatnonzero(chosen >= 0).tolist():
            state.place(event, int(chosen[event]))
        people: list[list[int]] = [[] for _ in instance.scenario.participants]
        for event, members in enumerate(instance.event_participants):
            for person in members.tolist():
                people[person].append(event)
        pinned = np.zeros(len(instance.events), dtype=bool)
        for before in instance.predecessors:
            pinned[list(before)] = True
        travel = int(instance.travel_slots.max()) if instance.travel_slots.size else 0
        value = np.where(instance.required, 0, instance.priority).astype(np.int64)
        uses = np.zeros((len(state.capacity), len(instance.events)), dtype=np.int64)
        for event, amounts in enumerate(state.uses):
            for resource, amount in amounts:
                uses[resource, event] = amount
        return cls(instance, state, value,
                   np.zeros(instance.n_items) if weight is None else np.asarray(weight, dtype=np.float64),
                   [np.asarray(events, dtype=np.int64) for events in people], pinned,
                   state.rest + travel + 1, top, uses, MoveStats())

    def ranked(self, event: int, items: IntArray, near: int | None = None) -> IntArray:
        """These placements of ``event``, the most preferred first: most weight, then the nearest in time to
        placement ``near`` (an event moved stays close to where it was), then earliest."""
        instance = self.instance
        start = instance.item_start[items]
        distance = np.zeros(items.size, dtype=np.int64) if near is None else np.abs(start - instance.item_start[near])
        return items[np.lexsort((start, distance, -self.weight[items]))]

    def fit(self, event: int, first: int | None = None) -> int:
        """A placement of ``event`` that fits now (``first`` if it does, else the nearest to it), else -1."""
        if first is not None and not self.state.blocked(event, np.asarray([first], dtype=np.int64))[0]:
            return first
        items = self.ranked(event, self.instance.event_items[event], first)
        good = np.flatnonzero(~self.state.blocked(event, items))
        return int(items[good[0]]) if good.size else -1

    def in_the_way(self, event: int, item: int) -> list[int]:
        """The placed events that may keep ``event`` out of ``item``: its participants' events that day within
        rest and travel of it (all of a participant's that day when they are at their daily limit), and, when its
        pool of rooms is full somewhere over its time, the pool's events then. Events others must follow stay."""
        instance, state = self.instance, self.state
        chosen, grid = state.chosen, instance.grid
        start, end = int(instance.item_start[item]), int(instance.item_end[item])
        day = int(grid.slot_day[start])
        found: list[IntArray] = []
        for person in instance.event_participants[event].tolist():
            theirs = self.person_events[person]
            theirs = theirs[(chosen[theirs] >= 0) & (theirs != event)]
            at = chosen[theirs]
            same_day = grid.slot_day[instance.item_start[at]] == day
            if state.daily[person, day] + 1 <= state.limit[person]:
                margin = int(self.margin[person])
                same_day &= (instance.item_start[at] < end + margin) & (instance.item_end[at] + margin > start)
            found.append(theirs[same_day])
        events = np.unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)
        taken = events[~self.pinned[events]]
        for need in self._counted_rules(event, item):
            taken = np.concatenate([taken, self._cheapest_cover(*need, taken)])
        return [int(e) for e in taken]

    def _counted_rules(self, event: int, item: int) -> list[Holders]:
        """The rules that count what is in use at each slot (rooms of a pool, escorts of a zone, units of a shared
        resource) that ``event`` at ``item`` would break: for each, who holds what there (:meth:`_holders`)."""
        instance, state = self.instance, self.state
        chosen = state.chosen
        start, end = int(instance.item_start[item]), int(instance.item_end[item])
        placed = np.flatnonzero(chosen >= 0)
        at = chosen[placed]
        out = []
        pool, room_from = int(instance.item_pool[item]), int(instance.item_room_from[item])
        over = state.pool[pool, room_from:end] + 1 - instance.pool_size[pool]
        if (over > 0).any():
            holds = (instance.item_pool[at] == pool).astype(np.int64)
            out.append(self._holders(over, placed, at, holds, instance.item_room_from[at], room_from, end))
        if instance.has_vvip[event]:
            zone = int(instance.item_zone[item])
            over = state.escort[zone, start:end] + 1 - state.escort_cap[zone]
            if (over > 0).any():
                holds = (instance.has_vvip[instance.item_event[at]] & (instance.item_zone[at] == zone)).astype(np.int64)
                out.append(self._holders(over, placed, at, holds, instance.item_start[at], start, end))
        for resource, amount in state.uses[event]:
            over = state.resource[resource, start:end] + amount - state.capacity[resource]
            if (over > 0).any():
                holds = self.uses[resource, placed]
                out.append(self._holders(over, placed, at, holds, instance.item_start[at], start, end))
        return out

    def _holders(self, over: IntArray, placed: IntArray, at: IntArray, holds: IntArray, held_from: IntArray,
                 start: int, end: int) -> Holders:
        """(units over at each slot, the placed events holding units in [start, end) that may be taken out, how many
        each holds, the first and last slot (within the window) each holds)."""
        near = (holds > 0) & (held_from < end) & (self.instance.item_end[at] > start) & ~self.pinned[placed]
        first = np.maximum(held_from[near], start) - start
        last = np.minimum(self.instance.item_end[at[near]], end) - start
        return over.copy(), placed[near], holds[near], first, last

    def _cheapest_cover(self, over: IntArray, events: IntArray, holds: IntArray, first: IntArray, last: IntArray,
                        taken: IntArray) -> IntArray:
        """The least valuable of ``events`` to take out so that no slot is over (those ``taken`` out already
        count first)."""
        gone = np.isin(events, taken)
        for a, b, units in zip(first[gone].tolist(), last[gone].tolist(), holds[gone].tolist(), strict=True):
            over[a:b] -= units
        out: list[int] = []
        for k in np.lexsort((events, self.value[events])).tolist():
            if gone[k] or (over[first[k]:last[k]] <= 0).all():
                continue
            out.append(int(events[k]))
            over[first[k]:last[k]] -= holds[k]
        return np.asarray(out, dtype=np.int64)

    def costs(self, event: int, items: IntArray) -> FloatArray:
        """Per placement of ``event``: what its participants' events in the way are worth (a required one a
        little: it must find another place), infinite when one of them may not be taken out."""
        instance, chosen, grid = self.instance, self.state.chosen, self.instance.grid
        start, end = instance.item_start[items], instance.item_end[items]
        day = grid.slot_day[start]
        cost = np.zeros(items.size)
        for person in instance.event_participants[event].tolist():
            theirs = self.person_events[person]
            theirs = theirs[(chosen[theirs] >= 0) & (theirs != event)]
            if theirs.size == 0:
                continue
            at = chosen[theirs]
            margin = int(self.margin[person])
            hit = ((grid.slot_day[instance.item_start[at]][None, :] == day[:, None])
                   & (instance.item_start[at][None, :] < end[:, None] + margin)
                   & (instance.item_end[at][None, :] + margin > start[:, None]))
            price = np.where(self.pinned[theirs], np.inf, self.value[theirs] + 0.25)
            cost += np.where(hit, price[None, :], 0.0).sum(axis=1)
        return cost

    def push_in(self, event: int) -> bool:
        """Insert, else move-then-insert or swap-out at the ``top`` placements whose events in the way are worth
        least; True when the timetable gained."""
        items = self.instance.event_items[event]
        placed = self.fit(event)
        if placed >= 0:
            self._put(event, placed)
            self.stats.inserted += 1
            self.stats.gained += int(self.value[event])
            return True
        cost = self.costs(event, items)
        order = np.lexsort((self.instance.item_start[items], -self.weight[items], cost))
        for k in order[: self.top].tolist():
            if not np.isfinite(cost[k]):
                break
            self.stats.tried += 1
            mark = len(self.log)
            move = self._attempt(event, int(items[k]))
            if move is None:
                continue
            gain, all_back = move
            if gain <= 0:
                self._rollback(mark)
                continue
            self.stats.gained += gain
            if all_back:
                self.stats.moved_in += 1
            else:
                self.stats.swapped_in += 1
            return True
        return False

    def _attempt(self, event: int, item: int) -> tuple[int, bool] | None:
        """The move, made: the events in the way of ``item`` taken out, ``event`` placed there, each put back, the
        required first then the most valuable (where it was if it still fits, else where it fits); (the value
        gained, whether every event came back). None, and nothing changed, when ``event`` does not fit even so or
        a required event finds no place again."""
        state, value = self.state, self.value
        mark = len(self.log)
        out = self.in_the_way(event, item)
        was = {e: int(state.chosen[e]) for e in out}
        for e in out:
            self._take(e)
        if state.blocked(event, np.asarray([item], dtype=np.int64))[0]:
            self._rollback(mark)
            return None
        self._put(event, item)
        gain, all_back = int(value[event]), True
        for e in sorted(out, key=lambda e: (not self.instance.required[e], -int(value[e]), e)):
            spot = self.fit(e, was[e])
            if spot >= 0:
                self._put(e, spot)
            elif self.instance.required[e]:
                self._rollback(mark)
                return None
            else:
                gain, all_back = gain - int(value[e]), False
        return gain, all_back

    def _put(self, event: int, item: int) -> None:
        self.log.append((event, -1))
        self.state.place(event, item)

    def _take(self, event: int) -> None:
        self.log.append((event, int(self.state.chosen[event])))
        self.state.remove(event)

    def _rollback(self, mark: int) -> None:
        """Undo every placement and removal since the log was ``mark`` long."""
        while len(self.log) > mark:
            event, before = self.log.pop()
            if self.state.chosen[event] >= 0:
                self.state.remove(event)
            if before >= 0:
                self.state.place(event, before)


def improved_by_moves(instance: Instance, chosen: IntArray, weight: FloatArray | None = None, max_passes: int = 1,
                      seconds: float | None = None, top: int = 2,
                      stall: int | None = None) -> tuple[IntArray, MoveStats]:
    """``chosen`` (placement per event, -1 = out; it keeps every rule) improved by the moves of this module: the
    optional requests left out, the most valuable first (then those the LP weighs most), each pushed in if it can
    be; again while a pass gained, at most ``max_passes`` passes, and (if given) a pass ends after ``stall``
    requests in a row tried in vain or at ``seconds`` of wall time. ``weight`` (per placement, e.g. the LP's)
    orders the placements tried; ``top``: placements tried per request with move-then-insert. Returns the
    timetable (never worth less) and what the search did."""
    started = time.monotonic()
    search = _Searcher.of(instance, chosen, weight, top)
    share = np.bincount(instance.item_event, weights=search.weight, minlength=len(instance.events))
    has_items = np.asarray([items.size > 0 for items in instance.event_items])
    while search.stats.passes < max_passes:
        search.stats.passes += 1
        gained, in_vain = search.stats.gained, 0
        out = np.flatnonzero((search.state.chosen < 0) & ~instance.required & has_items)
        for event in out[np.lexsort((out, -share[out], -search.value[out]))].tolist():
            if (seconds is not None and time.monotonic() - started > seconds) or (stall is not None
                                                                                  and in_vain >= stall):
                break
            ready = all(search.state.chosen[b] >= 0 for b in instance.predecessors[event])
            in_vain = 0 if search.state.chosen[event] < 0 and ready and search.push_in(event) else in_vain + 1
        if search.stats.gained == gained or (seconds is not None and time.monotonic() - started > seconds):
            break
    return search.state.chosen.copy(), search.stats


def value_of_placements(instance: Instance, chosen: IntArray) -> int:
    """The timetable's primary value: the priorities of the optional events placed."""
    return int(placement_values(instance)[chosen[chosen >= 0]].sum())
