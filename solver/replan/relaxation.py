"""A relaxation that grows: the change's events free, every other event kept in place or stepping aside at the
least price of a move, bounding the least disruption from below and, when no event steps aside, giving the
least disruptive repair; optionally with each event's own old room priced (what the pooled model cannot see)."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace

import numpy as np
from ortools.sat.python import cp_model

from solver.compile import BoolArray, Instance
from solver.cpsat import set_objective
from solver.extract import assign_rooms
from solver.model.build import add_linear, build_model, new_booleans
from solver.model.constraints import all_rows
from solver.model.rows import IntArray, RowIndex, Rows, slot_rows
from solver.replan.plan import PreviousPlan
from solver.replan.search import PLACEMENTS_PER_SECOND, chosen_of, hint_placements, run_search

log = logging.getLogger(__name__)


@dataclass
class Relaxation:
    """What a relaxation found (see :func:`grown_relaxation`)."""

    bound: int  # no repair that keeps the wanted events costs less
    chosen: IntArray | None  # the best repair found on the way (it costs ``bound`` when proven minimal)
    group: set[int]  # the events free in the last answer, and those that stepped aside in it
    answer: IntArray | None = None  # that answer, the events that stepped aside back in place (it may break rules)
    rooms: dict[int, int] | None = None  # with own rooms priced: the rooms ``chosen`` gives, where it says


def grown_relaxation(instance: Instance, plan: PreviousPlan, wanted: BoolArray, start: AbstractSet[int],
                      deadline: float, workers: int, seed: int, stop: threading.Event | None,
                      target: int | Callable[[], int | None] | None = None,
                      own_rooms: bool = False,
                      report: Callable[[Relaxation], None] | None = None) -> Relaxation | None:
    """The least disruption of a repair that keeps every ``wanted`` event, bounded by a relaxation that grows:
    the events of a group (first the ``start`` events, those the change displaced or names) may take any of
    their placements; every other event either stays where it was, or changes its room alone at the least
    price of that (it still holds its people, resources and time: :data:`_ROOM_FREE_FAMILIES`), or steps aside
    at the least price of a new time, taking no room, time or resource at all (:class:`LeastMoves`).

    Any repair of the whole summit is one of the relaxation's answers (an event of it that moved changes its
    room alone or steps aside, and pays no more than its move), so the relaxation's least cost bounds every
    repair's below. When no event moves, the answer is a repair, and the least disruptive one. Otherwise the
    events that moved, and the others their answer runs into, join the group and it is solved again. It stops
    then, when time runs out (``deadline``, ``time.monotonic()``) or when the bound reaches ``target`` (the cost
    of the repair in hand, then minimal; a function when the repair in hand may change meanwhile). None when the
    group cannot keep every wanted event (then no repair can). ``report`` is given a copy of what was found
    after each round.

    With ``own_rooms``, an event that stays in its old pool of rooms pays a room change unless it keeps its
    own old room (:func:`_claim_own_rooms`): the pooled model's blind spot, priced. An answer where no event
    moves is then a repair only if its rooms can be assigned as claimed (``rooms``): events that cannot
    change rooms during a meeting may not fit around the claims. If they do not, the rooms of the pools where
    they do not are named in the group's placements there, and the group solved again."""
    group = set(start)
    best = Relaxation(0, None, set(group))
    best_cost = 0
    hint = np.asarray(sorted(plan.keep_item.values()), dtype=np.int64)
    least = LeastMoves.of(instance, plan, own_rooms)
    apart: set[int] = set()  # pools whose rooms the group's placements name (see _claim_own_rooms)
    while stop is None or not stop.is_set():
        inside, others, keep = _group_of(instance, plan, wanted, group)
        if deadline - time.monotonic() < 0.05 + keep.sum() / PLACEMENTS_PER_SECOND:
            break
        built = _round_model(instance, plan, least, inside, keep, own_rooms, apart)
        hint_placements(built.model, built.to_full, hint)
        status, solver = run_search(built.model, max(0.01, deadline - time.monotonic()), workers, seed, stop)
        if status == cp_model.INFEASIBLE:
            return None
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            break
        best.bound, best.group = max(best.bound, built.bound_of(solver)), set(np.flatnonzero(inside).tolist())
        chosen, stepped_aside = _others_back(chosen_of(built.sub, built.to_full, solver, len(instance.events)), others)
        rooms, answer_cost, short = _answer_rooms(instance, plan, built.sub, built.claims, solver, chosen, others,
                                                  stepped_aside, own_rooms)
        log.debug("relaxation of %d events (own rooms: %s): bound %d, %d stepped aside, rooms short in %s (%s in "
                  "%.2f s)", len(best.group), own_rooms, best.bound, len(stepped_aside), sorted(short),
                  solver.status_name(status), solver.wall_time)
        repair = not stepped_aside and not short
        if repair and _cheaper(plan, chosen, answer_cost, best.chosen, best_cost):
            best.chosen, best.rooms, best_cost = chosen, rooms, answer_cost
        best.answer, best.group = chosen, best.group | stepped_aside
        if report is not None:
            report(replace(best, group=set(best.group)))
        # (short <= apart cannot happen: the rooms of the pools apart are the answer's own)
        if repair or status != cp_model.OPTIMAL or _reached(target, best.bound) or short and short <= apart:
            break
        apart, group, hint = _next_round(instance, chosen, others, stepped_aside, short, apart, group, hint)
    return best


@dataclass
class _Round:
    """One round's model of the relaxation: the group's sub-summit (``to_full``: its placements in the whole
    summit's numbering), the objective's ``scale`` and ``offset``, and the own-room claims."""

    sub: Instance
    to_full: IntArray
    model: cp_model.CpModel
    scale: int
    offset: int
    claims: _OwnRoomClaims

    def bound_of(self, solver: cp_model.CpSolver) -> int:
        """The least disruption the round's search proves (its objective unscaled)."""
        return int(math.floor(solver.best_objective_bound / self.scale + 1e-9)) + self.offset


def _round_model(instance: Instance, plan: PreviousPlan, least: LeastMoves, inside: BoolArray, keep: BoolArray,
                 own_rooms: bool, apart: set[int]) -> _Round:
    """The relaxation's model for the group ``inside`` (see :func:`grown_relaxation`): the group's events take any
    of their placements, every other kept event stays, changes its room alone or steps aside, each at its price."""
    sub, to_full = instance.restricted(keep), np.flatnonzero(keep)
    sub.required = sub.required & inside
    mine = inside[sub.item_event]
    # each other event: in place, or a change of room alone (a variable of its own), or a change of time
    other_items = np.flatnonzero(~mine)
    other_events = sub.item_event[other_items]
    room_cost, time_cost = least.room[other_events], least.time[other_events]
    room_change_of = np.full(sub.n_items, -1, dtype=np.int64)
    may_change_room = other_items[room_cost >= 0]
    room_change_of[may_change_room] = sub.n_items + np.arange(may_change_room.size)
    rows = _with_room_changes(_rows_of_the_group(sub, mine), room_change_of)
    model = build_model(sub, with_objective=False, rows=rows).model
    # (the rows above already name these variables: they come right after the placements')
    room_change_vars = new_booleans(model, may_change_room.size)
    assert (room_change_vars == room_change_of[may_change_room]).all()
    for e in np.flatnonzero(inside).tolist():
        items = sub.event_items[e]
        add_linear(model, items, np.ones(items.size, dtype=np.int64), 1, 1)
    # cost of an other event: 0 in place, its least room change, or its least time change (when neither)
    base = np.where(time_cost >= 0, time_cost, np.maximum(room_cost, 0))
    for i, v, moves in zip(other_items.tolist(), room_change_of[other_items].tolist(), (time_cost >= 0).tolist(),
                           strict=True):
        members = np.asarray([i] if v < 0 else [i, v], dtype=np.int64)
        add_linear(model, members, np.ones(members.size, dtype=np.int64), 0 if moves else 1, 1)
    cost = plan.item_cost[to_full]
    claims = _claim_own_rooms(instance, plan, sub, inside, model, apart) if own_rooms else _OwnRoomClaims.none()
    claim_change = plan.room_change[sub.item_event[claims.item]]  # what keeping the room claimed saves
    if own_rooms:
        cost = cost + np.bincount(claims.item, weights=claim_change, minlength=sub.n_items).astype(np.int64)
        extra = np.zeros(sub.n_items, dtype=np.int64)  # (the room changes are priced)
    else:
        extra = np.where(mine, plan.room_extra[to_full], 0)  # (a tie-break: the likely room changes)
    scale = 1 + sum(int(extra[sub.event_items[e]].max()) for e in np.flatnonzero(inside).tolist())
    # cost = the group's placements + each other event's base cost unless in place (then rewarded), corrected
    # for a change of room alone
    coefs = np.where(mine, cost * scale + extra, 0)
    coefs[other_items] = -base * scale
    offset = int(base.sum())
    used = np.flatnonzero(coefs)
    room_only = (room_cost - base)[room_cost >= 0] * scale
    variables = used.tolist() + room_change_of[may_change_room].tolist() + claims.variable.tolist()
    weights = (coefs[used].tolist() + room_only.tolist()
               + (-claim_change * scale).tolist())
    set_objective(model, variables, weights, maximize=False)
    return _Round(sub, to_full, model, scale, offset, claims)


def _reached(target: int | Callable[[], int | None] | None, bound: int) -> bool:
    """Whether the bound reaches ``target`` (the cost of the repair in hand: then minimal)."""
    goal = target() if callable(target) else target
    return goal is not None and bound >= goal


def _others_back(chosen: IntArray, others: dict[int, int]) -> tuple[IntArray, set[int]]:
    """A round's answer with the other events that stepped aside back in their old placements, and those events."""
    stepped_aside = {e for e in others if chosen[e] < 0}
    for e in stepped_aside:
        chosen[e] = others[e]
    return chosen, stepped_aside


def _next_round(instance: Instance, chosen: IntArray, others: dict[int, int], stepped_aside: set[int],
                short: set[int], apart: set[int], group: set[int],
                hint: IntArray) -> tuple[set[int], set[int], IntArray]:
    """The next round's pools apart, group and hint: the same group with the rooms of the pools ``short`` named;
    else the group grown by the events that stepped aside and every other event their answer (the others back in
    place) runs into (the group grows faster), from this answer."""
    if short:
        return apart | short, group, hint
    return apart, group | stepped_aside | (_clashing_events(instance, chosen) & set(others)), chosen[chosen >= 0]


def _group_of(instance: Instance, plan: PreviousPlan, wanted: BoolArray,
              group: set[int]) -> tuple[BoolArray, dict[int, int], BoolArray]:
    """A round's events: the group with its predecessors (the wanted ones), the other wanted events with their old
    placements, and the placements the round's model holds."""
    inside = np.zeros(len(instance.events), dtype=bool)
    inside[instance.with_predecessors(group)] = True
    inside &= wanted  # (an unwanted predecessor stays out in the whole summit too: so does its follower)
    others = {e: item for e, item in plan.keep_item.items() if wanted[e] and not inside[e]}
    keep = inside[instance.item_event]
    keep[list(others.values())] = True
    return inside, others, keep


def _cheaper(plan: PreviousPlan, chosen: IntArray, cost: int, best: IntArray | None, best_cost: int) -> bool:
    """Whether a repair is better than the best in hand: cheaper, or as cheap and first in the plan's order."""
    return best is None or cost < best_cost or (cost == best_cost and plan.rank_of(chosen) < plan.rank_of(best))


def _answer_rooms(instance: Instance, plan: PreviousPlan, sub: Instance, claims: _OwnRoomClaims,
                  solver: cp_model.CpSolver, chosen: IntArray, others: dict[int, int], stepped_aside: set[int],
                  own_rooms: bool) -> tuple[dict[int, int] | None, int, set[int]]:
    """A round's answer: its rooms (with own rooms priced: the group's events that keep their own room as claimed,
    the others in theirs), its cost, and the pools where its rooms cannot be assigned as it says."""
    rooms = None
    answer_cost = plan.cost_of(chosen)
    short: set[int] = set()
    if own_rooms:
        values = np.asarray(solver.response_proto.solution, dtype=np.int64)
        rooms = {e: plan.old_room[e] for e in others} | claims.rooms_taken(sub, plan, values)
        kept_own = sub.item_event[claims.item[values[claims.variable] > 0]]
        on_own_pool = claims.item[values[claims.item] > 0]
        answer_cost += int(plan.room_change[sub.item_event[on_own_pool]].sum() - plan.room_change[kept_own].sum())
        if not stepped_aside:
            short = _rooms_short(instance, chosen, rooms)
    return rooms, answer_cost, short


class RelaxationBeside:
    """:func:`grown_relaxation` run on a worker of its own while the repair searches run on the others.

    Its rounds are as fast on one worker as on two (measured on Hanoi's capacity cuts: 1.05 s and 3.3 s either
    way), so starting it with the change rather than after the first repairs gives it their time too, and it
    can go on beside the searches that start from its answers. The searches tell it the cost of the repair in
    hand (``target``): it stops once its bound reaches it, and when the caller's ``stop`` is set. ``settled`` is
    set once it has stopped, for any reason: a search beside it may then stop too (its word is in)."""

    def __init__(self, instance: Instance, plan: PreviousPlan, wanted: BoolArray, start: AbstractSet[int],
                 deadline: float, seed: int, stop: threading.Event | None = None) -> None:
        self.target: int | None = None
        self._stop = _AnyOf(stop)  # set by cancel(), or the caller's stop
        self.settled = threading.Event()
        self._latest: Relaxation | None = None  # after the last round, while it runs
        self._outcome: Relaxation | None = None
        self._error: BaseException | None = None

        def keep(latest: Relaxation) -> None:
            self._latest = latest

        def run() -> None:
            try:
                self._outcome = grown_relaxation(instance, plan, wanted, start, deadline, 1, seed, self._stop,
                                                  target=lambda: self.target, report=keep)
            except BaseException as error:  # (raised again in the caller's thread, by result())
                self._error = error
            finally:
                self.settled.set()

        self._thread = threading.Thread(target=run, name="relaxation-beside", daemon=True)
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def so_far(self, seconds: float, target: int | None = None) -> Relaxation | None:
        """What it found, waiting at most ``seconds`` for it to finish; it goes on if it has not (then its
        last round's findings). ``target``: the repair in hand's cost, when known."""
        self._wait(seconds, target)
        if self._error is not None:
            raise self._error
        return self._latest if self.running else self._outcome

    def first(self, seconds: float) -> Relaxation | None:
        """Its first round's findings (or its outcome, if it has already finished), waiting at most ``seconds``
        for them; it goes on."""
        end = time.monotonic() + seconds
        while self.running and self._latest is None and time.monotonic() < end and not self._stop.is_set():
            self._thread.join(min(0.02, max(0.0, end - time.monotonic())))
        return self.so_far(0.0)

    def result(self, seconds: float, target: int | None = None) -> Relaxation | None:
        """What it found, waiting at most ``seconds`` for it to finish (then it is stopped, and its best so far
        is returned); ``target``: the repair in hand's cost, when known."""
        self._wait(seconds, target)
        self.cancel()
        if self._error is not None:
            raise self._error
        return self._outcome

    def cancel(self) -> None:
        """Stop it (at once: its search is interrupted) and wait for its thread to end."""
        self._stop.set()
        self._thread.join()

    def _wait(self, seconds: float, target: int | None) -> None:
        """Until it finishes, ``seconds`` pass or the caller's stop is set."""
        if target is not None:
            self.target = target
        end = time.monotonic() + seconds
        while self.running and time.monotonic() < end and not self._stop.is_set():
            self._thread.join(min(0.05, max(0.0, end - time.monotonic())))


class _AnyOf(threading.Event):
    """An event set when it is, or when any of ``events`` is (seen by polling ``is_set``, as the searches' stop
    watchers do)."""

    def __init__(self, *events: threading.Event | None) -> None:
        super().__init__()
        self._events = [e for e in events if e is not None]

    def is_set(self) -> bool:
        return super().is_set() or any(e.is_set() for e in self._events)


@dataclass
class LeastMoves:
    """Per event, the least a change of its room alone (same time) costs, and the least a change of its time
    costs (-1: no such placement)."""

    room: IntArray
    time: IntArray

    @classmethod
    def of(cls, instance: Instance, plan: PreviousPlan, own_rooms: bool) -> LeastMoves:
        """With ``own_rooms``, a change of room within the event's pool counts too."""
        room = np.full(len(instance.events), -1, dtype=np.int64)
        moved = np.full(len(instance.events), -1, dtype=np.int64)
        sizes = instance.pool_size
        for e, kept in plan.keep_item.items():
            items = instance.event_items[e]
            cost = plan.item_cost[items]
            same_time = instance.item_start[items] == instance.item_start[kept]
            other_pool = same_time & (instance.item_pool[items] != instance.item_pool[kept])
            if other_pool.any():
                room[e] = int(cost[other_pool].min())
            if own_rooms and sizes[instance.item_pool[kept]] >= 2:
                change = int(plan.room_change[e])
                room[e] = change if room[e] < 0 else min(int(room[e]), change)
            if (~same_time).any():
                moved[e] = int(cost[~same_time].min())
        return cls(room, moved)


# The rules a change of room alone leaves as they were: the event still runs then, with its people and
# resources (its rooms, zone and so its travel and escorts may change).
_ROOM_FREE_FAMILIES = frozenset({"participant_one_event_at_a_time", "daily_event_limit", "after", "exclusive",
                                 "resource_capacity"})


def _with_room_changes(rows: Rows, room_change_of: IntArray) -> Rows:
    """``rows``, where each placement with a room change (``room_change_of``, its variable, or -1) also counts,
    as that variable, in the rules a change of room alone leaves as they were."""
    changed = Rows()
    for items, coefs, upper, family in zip(rows.items, rows.coefs, rows.upper, rows.family, strict=True):
        variables = room_change_of[items]
        moving = variables >= 0
        if family in _ROOM_FREE_FAMILIES and moving.any():
            items, coefs = np.concatenate([items, variables[moving]]), np.concatenate([coefs, coefs[moving]])
        changed.add(items, coefs, upper, family)
    return changed


def _rows_of_the_group(sub: Instance, mine: BoolArray) -> Rows:
    """The rules of ``sub`` that a group's answer can break, with every other event in place or stepping aside:
    those with a placement of the group (``mine``) and those the others already break in place (e.g. a cut
    resource). An 'after' rule whose earlier event may step aside (it then takes no time) is dropped too: its
    later event may then stay where it was."""
    rows = all_rows(sub)
    kept = Rows()
    for items, coefs, upper, family in zip(rows.items, rows.coefs, rows.upper, rows.family, strict=True):
        theirs = ~mine[items]
        if family == "after" and (theirs & (coefs < 0)).any():
            continue
        if theirs.all() and int(coefs.sum()) <= upper:
            continue  # (each other event has one placement here, its old one: in place, they all hold it)
        kept.add(items, coefs, upper, family)
    return kept


@dataclass
class _OwnRoomClaims:
    """Variables saying "this placement keeps its event's own old room" (see :func:`_claim_own_rooms`), and, in
    the pools whose rooms are told apart, "this placement takes that room"."""

    variable: IntArray  # the claim's variable in the model
    item: IntArray  # the placement (in the restricted instance) it claims the room for
    uncontested: IntArray  # placements that keep their event's room whatever the others do (no claim needed)
    other_room: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # variables: another room
    other_item: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # their placements
    other_room_id: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # and rooms

    @classmethod
    def none(cls) -> _OwnRoomClaims:
        return cls(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))

    def rooms_taken(self, sub: Instance, plan: PreviousPlan, values: IntArray) -> dict[int, int]:
        """The group's events with the room the answer (``values``) gives them, where it says."""
        rooms = {int(e): plan.old_room[int(e)] for e in sub.item_event[self.item[values[self.variable] > 0]]}
        rooms |= {int(e): plan.old_room[int(e)] for e in sub.item_event[self.uncontested[values[self.uncontested] > 0]]}
        taken = values[self.other_room] > 0
        rooms |= dict(zip(sub.item_event[self.other_item[taken]].tolist(), self.other_room_id[taken].tolist(),
                          strict=True))
        return rooms


def _other_rooms_of(instance: Instance, sub: Instance, spread: IntArray, room: IntArray) -> tuple[IntArray, IntArray]:
    """For each of these placements, every room of its pool but its own old room: (placement, room) pairs."""
    other_item, other_room_id = [], []
    for i in spread.tolist():
        for r in instance.pools[int(sub.item_pool[i])].rooms:
            if r != room[i]:
                other_item.append(i)
                other_room_id.append(r)
    return np.asarray(other_item, dtype=np.int64), np.asarray(other_room_id, dtype=np.int64)


def _claim_own_rooms(instance: Instance, plan: PreviousPlan, sub: Instance, inside: BoolArray,
                     model: cp_model.CpModel, apart: AbstractSet[int] = frozenset()) -> _OwnRoomClaims:
    """An event that keeps its pool of rooms keeps its own old room only if nothing else holds that room then.

    For each placement of a group event (``inside``) in its old room's pool (of several rooms), a claim that it
    keeps its own room (only if placed there); at no time do two claims on one room overlap (changeover or
    sweep included), counting the other events kept in place in their own rooms. Any repair with concrete rooms
    gives such claims (each event in its old room claims it), so the least cost with claims still bounds the
    true least disruption below, and an answer whose claims hold when rooms are assigned costs what it says.
    A placement no other claim can overlap needs no claim: it keeps its room (``uncontested``).

    In the pools ``apart``, a group event's placement also says which room it takes (claims are then its own
    room): an event that cannot keep a room all along is seen (it may not fit around the claims otherwise)."""
    old_room = plan.old_room_of
    room_pool = np.append(instance.room_pool, -1)  # (index -1: no old room)
    sizes = np.append(instance.pool_size, 0)
    room = old_room[sub.item_event]
    pool = room_pool[room]
    in_own_pool = (room >= 0) & (pool == sub.item_pool) & (sizes[pool] >= 2)
    begin, end = sub.item_room_from, sub.item_end
    # the other events (in the model, they only have their old placement): placed means in their own room
    held = np.flatnonzero(in_own_pool & ~inside[sub.item_event])
    mine = np.flatnonzero(in_own_pool & inside[sub.item_event])
    told_apart = np.isin(sub.item_pool, np.asarray(sorted(apart), dtype=np.int64))
    # A placement no other claim can overlap (no other group event had its room, no other event holds it then)
    # keeps its room for sure: no claim needed.
    cover = np.zeros((len(instance.rooms), sub.grid.n_slots + 1), dtype=np.int64)
    for i in held.tolist():
        cover[room[i], begin[i]: end[i]] = 1
    covered = np.concatenate([np.zeros((cover.shape[0], 1), dtype=np.int64), np.cumsum(cover, axis=1)], axis=1)
    rivals = np.bincount(old_room[np.unique(sub.item_event[mine])], minlength=len(instance.rooms))
    contested = ((rivals[room[mine]] > 1) | (covered[room[mine], end[mine]] > covered[room[mine], begin[mine]])
                 | told_apart[mine])
    items, kept = mine[contested], mine[~contested]
    variable = new_booleans(model, items.size)
    # in the pools told apart, every other room of the pool, for every placement of a group event there
    spread = np.flatnonzero(told_apart & inside[sub.item_event])
    other_items, other_rooms = _other_rooms_of(instance, sub, spread, room)
    other_room = new_booleans(model, other_items.size)
    # a claim (or a room) only for the placement chosen; in the pools apart, exactly one room for it
    exact = np.zeros(sub.n_items, dtype=bool)
    exact[spread] = True
    choices: dict[int, list[int]] = {}
    for v, i in zip(np.concatenate([variable, other_room]).tolist(), np.concatenate([items, other_items]).tolist(),
                    strict=True):
        choices.setdefault(i, []).append(v)
    for i, options in choices.items():
        members = np.asarray([*options, i], dtype=np.int64)
        coefs = np.asarray([1] * len(options) + [-1], dtype=np.int64)
        add_linear(model, members, coefs, 0 if exact[i] else -1, 0)
    entries = np.concatenate([variable, held, other_room])
    claimed = np.concatenate([items, held, other_items])
    rooms_of = np.concatenate([room[items], room[held], other_rooms])
    rows = slot_rows(entries, rooms_of, begin[claimed], end[claimed], np.ones(claimed.size, dtype=np.int64),
                     np.ones(len(instance.rooms), dtype=np.int64), sub.grid.n_slots, "own_room")
    for members, weights, upper in zip(rows.items, rows.coefs, rows.upper, strict=True):
        add_linear(model, members, weights, 0, upper)
    return _OwnRoomClaims(variable, items, kept, other_room, other_items, other_rooms)


def _rooms_short(instance: Instance, chosen: IntArray, rooms: dict[int, int]) -> set[int]:
    """The pools where the rooms of ``chosen`` cannot be assigned as ``rooms`` says."""
    assigned = assign_rooms(instance, chosen, rooms)
    return {int(instance.room_pool[r]) for e, r in rooms.items() if chosen[e] >= 0 and assigned.get(e) != r}


def _clashing_events(instance: Instance, chosen: IntArray) -> set[int]:
    """The events of the ``chosen`` placements that take part in a broken rule."""
    on = np.zeros(instance.n_items, dtype=bool)
    on[chosen[chosen >= 0]] = True
    sub = instance.restricted(on)
    rows = all_rows(sub)
    index = RowIndex.of(rows, sub.n_items)
    broken = np.flatnonzero(index.load_of(np.arange(sub.n_items)) > index.upper)
    return {int(e) for r in broken.tolist() for e in sub.item_event[rows.items[r]].tolist()}
