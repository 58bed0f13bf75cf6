"""Proving a repair minimal (or finding a cheaper one): the budget ladder over the moves a chain from the
change can reach, the budget search with every room apart, and the LP bound."""

from __future__ import annotations

import heapq
import logging
import math
import threading
import time
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from solver.compile import BoolArray, Instance, Waivers, compile_scenario
from solver.extract import assignments_of
from solver.model.bound import lp_optimum
from solver.model.build import add_linear
from solver.model.constraints import all_rows
from solver.model.rows import IntArray, RowIndex
from solver.replan.plan import DisruptionWeights, PreviousPlan, placements_of
from solver.replan.search import PLACEMENTS_PER_SECOND, chosen_of, frame_of, least_moves_at_value, run_search
from solver.scenario import Scenario
from solver.timetable import Assignment, Timetable

log = logging.getLogger(__name__)


def concrete_repair(working: Scenario, previous: Timetable, weights: DisruptionWeights, table: Timetable,
                     measured: int, newcomers: set[int], must_keep: set[str] | None, time_limit: float, workers: int,
                     seed: int, stop: threading.Event | None, shorten: bool = False,
                     short_before: AbstractSet[str] = frozenset(), waivers: Waivers = Waivers()
                     ) -> tuple[list[Assignment] | None, int, bool]:
    """With every room apart (no pools), search for a repair of the same value that costs less than
    ``measured``, among the placements that fit in the budget the displaced events leave (and, with
    ``must_keep``, among those events only, as :class:`BudgetLadder` does). Returns a cheaper repair's
    assignments and cost if one is found, and whether ``measured`` (or that repair's cost) is proven minimal.
    ``waivers``: what the re-plan waives after a report (:class:`solver.compile.Waivers`), the same here."""
    deadline = time.monotonic() + time_limit
    concrete = compile_scenario(working, pool_rooms=False, shorten=shorten, short_before=short_before,
                                waivers=waivers)
    if must_keep is not None:  # left-out requests are left out of the search (see below)
        newcomers = {e for e in newcomers if concrete.events[e].id in must_keep}
    plan = PreviousPlan.of(concrete, previous, weights)
    chosen = placements_of(concrete, table.assignments)
    placed = {a.event for a in table.assignments}
    if any(concrete.events[e].id in placed for e in np.flatnonzero(chosen < 0).tolist()):
        return None, measured, False  # a placement of the repair does not exist with rooms apart (should not happen)
    budget = budget_of(concrete, plan, chosen, measured, newcomers)
    if budget is None:
        return None, measured, True
    if deadline - time.monotonic() < 0.1 + 3 * budget.allowed.sum() / PLACEMENTS_PER_SECOND:
        return None, measured, False  # no time to prune the budget's placements, build and search them
    value = plan.value_of(concrete, chosen)
    adoptable = True
    if must_keep is not None:  # (the other events have no placement in the budget: newcomers were narrowed)
        counted = np.asarray([event.id in must_keep for event in concrete.events], dtype=bool)
        value = plan.value_of(concrete, chosen, counted)
        adoptable = not (chosen >= 0)[~counted].any()
    answer, minimal = cheaper_repair(concrete, plan, budget.within_reach(concrete, plan), measured, value, deadline,
                                      workers, seed, stop)
    if answer is None or not adoptable:
        return None, measured, minimal and answer is None
    # (every room is its own pool here: assigning rooms keeps the one found)
    return assignments_of(concrete, answer), plan.cost_of(answer), minimal


def disruption_lp(instance: Instance, plan: PreviousPlan, value: int, time_limit: float) -> int | None:
    """ceil of the LP optimum of the weighted disruption over the whole summit, keeping ``value``."""
    coef = plan.event_value(instance)[instance.item_event]
    used = np.flatnonzero(coef)
    optimum = lp_optimum(instance, all_rows(instance), plan.item_cost, False, time_limit,
                         floor=(used.astype(np.int64), coef[used].astype(np.int64), value))
    if optimum is None or optimum < 0:
        return None
    return int(math.ceil(optimum - 1e-6))


@dataclass
class _Budget:
    """What a repair cheaper than a given disruption may spend: every displaced event costs at least its
    cheapest alternative (``floor_cost``), which leaves ``spare`` for everything else."""

    floor_cost: dict[int, int]
    spare: int
    allowed_cost: IntArray  # per event, the most one of its placements may cost (-1: none of them)
    allowed: BoolArray  # the placements within the budget
    newcomers: AbstractSet[int]

    def within_reach(self, instance: Instance, plan: PreviousPlan) -> BoolArray:
        """The placements within the budget whose event a chain of moves from the change can reach
        (:func:`_movable_events`): no cheapest repair uses the others."""
        # a displaced event left out of the repair would come back at its full cost: it starts chains too
        sources = {e: 0 for e in plan.broken()} | self.floor_cost | {e: 0 for e in self.newcomers}
        spent = _movable_events(instance, plan, self.allowed, sources, self.spare)
        allowed_cost = self.allowed_cost.copy()
        for e in np.flatnonzero(plan.scheduled_mask).tolist():
            if e not in sources:
                allowed_cost[e] = self.spare - spent[e] if e in spent else 0  # 0: its old placement only
        return plan.item_cost <= allowed_cost[instance.item_event]


def budget_of(instance: Instance, plan: PreviousPlan, chosen: IntArray, disruption: int,
            newcomers: AbstractSet[int]) -> _Budget | None:
    """The budget of a repair cheaper than ``disruption`` (keeping the events ``chosen`` keeps, and letting the
    ``newcomers`` in anywhere). None when even the displaced events' cheapest alternatives overrun it."""
    floor_cost = plan.floor_costs(instance, chosen)
    spare = disruption - 1 - sum(floor_cost.values())
    if spare < 0:
        return None
    scheduled = plan.scheduled_mask
    allowed_cost = np.full(len(instance.events), -1, dtype=np.int64)
    allowed_cost[scheduled] = spare
    for e, least in floor_cost.items():
        allowed_cost[e] = spare + least
    newcomer = [e for e in newcomers if not scheduled[e]]
    if newcomer:
        allowed_cost[newcomer] = 2**40
    return _Budget(floor_cost, spare, allowed_cost, plan.item_cost <= allowed_cost[instance.item_event], newcomers)


def _spans(bounds: IntArray, keys: IntArray) -> tuple[IntArray, IntArray]:
    """The positions ``bounds[k]:bounds[k + 1]`` of every ``k`` in ``keys``, and which of ``keys`` each came from."""
    lengths = bounds[keys + 1] - bounds[keys]
    owner = np.repeat(np.arange(keys.size), lengths)
    return np.repeat(bounds[keys], lengths) + np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths,
                                                                                       lengths), owner


def _movable_events(instance: Instance, plan: PreviousPlan, allowed: BoolArray, sources: dict[int, int],
                    spare: int) -> dict[int, int]:
    """The events a repair within ``spare`` may move, each with the least disruption spent before it moves.

    A cheapest repair moves an untouched event only if an event that moves (or comes in) takes a row its old
    placement is in: otherwise putting it back costs less and breaks no rule (every such row only loses load,
    and the old placements held together under the old plan). Following that back, each moved event ends a
    chain that starts at a displaced, named or incoming event (``sources``, each with the cost already counted
    for it), and every move of the chain counts in the repair's cost. So an event can move only if the
    cheapest chain to it plus its own cheapest move fits in ``spare``. Only the ``allowed`` placements (those
    within the budget) are looked at; an 'after' partner of a moving event is reached at once (its row holds
    both events' placements)."""
    to_full = np.flatnonzero(allowed)
    sub = instance.restricted(allowed)
    rows = all_rows(sub)
    # Time budgets restate the per-slot rules in aggregate: they would tie every event of a person or a pool
    # together without adding a rule.
    aggregate = np.asarray([family == "time_budget" for family in rows.family], dtype=bool)
    index = RowIndex.of(rows, sub.n_items)
    kept_full = np.asarray(sorted(plan.keep_item.values()), dtype=np.int64)
    at = np.minimum(np.searchsorted(to_full, kept_full), max(to_full.size - 1, 0))
    kept = at[to_full[at] == kept_full] if to_full.size else at[:0]
    entries, owner = _spans(index.item_bounds, kept)
    holder_row = index.entry_row[entries]
    order = np.argsort(holder_row, kind="stable")
    holder_event = sub.item_event[kept][owner][order]  # per row, the events whose old placement is in it
    holder_bounds = np.searchsorted(holder_row[order], np.arange(len(rows) + 1))
    spent = dict.fromkeys(sources, 0)
    # rows the old plan overflows under the new rules (e.g. a cut resource) start chains at each of their events
    for r in np.flatnonzero(index.load_of(kept) > index.upper).tolist():
        for e in holder_event[holder_bounds[r]: holder_bounds[r + 1]].tolist():
            spent.setdefault(e, 0)
    partners = _after_partners(instance)
    queue = [(0, e) for e in spent]
    heapq.heapify(queue)
    done: set[int] = set()
    cheapest: dict[int, int | None] = {}
    while queue:
        before_it, v = heapq.heappop(queue)
        if v in done:
            continue
        done.add(v)
        items = sub.event_items[v]
        extra = plan.item_cost[to_full[items]] - sources.get(v, 0) + before_it
        moving = (to_full[items] != plan.keep_item.get(v, -1)) & (extra <= spare)
        if not moving.any():
            continue
        reach = dict.fromkeys(partners.get(v, ()), before_it if v in sources else int(extra[moving].min()))
        _reach_through_rows(reach, index, aggregate, items[moving], extra[moving], holder_event, holder_bounds, spare)
        for u, c in reach.items():
            if u in done or c >= spent.get(u, spare + 1):
                continue
            if u not in cheapest:
                cheapest[u] = plan.cheapest_move(instance, u)
            move = cheapest[u]
            if move is None or c + move > spare:
                continue
            spent[u] = c
            heapq.heappush(queue, (c, u))
    return spent


def _after_partners(instance: Instance) -> dict[int, set[int]]:
    """Each event's 'after' partners, both ways."""
    partners: dict[int, set[int]] = {}
    for e, before in enumerate(instance.predecessors):
        for b in before:
            partners.setdefault(e, set()).add(b)
            partners.setdefault(b, set()).add(e)
    return partners


def _reach_through_rows(reach: dict[int, int], index: RowIndex, aggregate: BoolArray, items: IntArray,
                        extra: IntArray, holder_event: IntArray, holder_bounds: IntArray, spare: int) -> None:
    """The events whose old placement is in a row these moving ``items`` take (``extra``: the disruption spent once
    each item is taken), each at the cheapest way into the row, into ``reach`` when cheaper than what it holds."""
    entries, owner = _spans(index.item_bounds, items)
    row, cost = index.entry_row[entries], extra[owner]
    row, cost = row[~aggregate[row]], cost[~aggregate[row]]
    order = np.lexsort((cost, row))
    row, cost = row[order], cost[order]
    first = np.ones(row.size, dtype=bool)
    first[1:] = row[1:] != row[:-1]  # the cheapest way into each row
    row, cost = row[first], cost[first]
    entries, owner = _spans(holder_bounds, row)
    for u, c in zip(holder_event[entries].tolist(), cost[owner].tolist(), strict=True):
        if c < reach.get(u, spare + 1):
            reach[u] = c


class BudgetLadder:
    """Proves (or improves) a repair by climbing from its lower bound: is there a repair of the same value that
    costs at most ``step``? Small steps allow few moves, so their searches are small and quick; each one
    proven empty raises the lower bound past it, and the first one that holds a repair gives the least
    disruption (when its search is exhaustive). The last step (one below the repair's cost) is the plain
    budget search."""

    def __init__(self, instance: Instance, plan: PreviousPlan, chosen: IntArray, lower: int, value: int,
                 newcomers: AbstractSet[int], counted: BoolArray | None) -> None:
        self.instance, self.plan = instance, plan
        self.chosen, self.disruption, self.lower = chosen, plan.cost_of(chosen), lower
        # With ``counted``, the searches look at those events only (the ones a repair must keep; the others then
        # have no placement in a budget): when every one of them is kept, left-out requests coming in only add
        # value, so leaving them out loosens the search and its bound still holds. Its repairs are taken only if
        # the repair in hand brought no request in either.
        self.newcomers = newcomers if counted is None else {e for e in newcomers if counted[e]}
        self.value = value if counted is None else plan.value_of(instance, chosen, counted)
        self.adoptable = counted is None or not (chosen >= 0)[~counted].any()
        self.floor = sum(plan.floor_costs(instance, chosen).values())
        untouched = plan.scheduled_mask.copy()
        untouched[plan.broken()] = False
        costs = np.unique(plan.item_cost[untouched[instance.item_event]])
        self.move_costs = costs[costs > 0]  # the budgets at which another kind of move becomes affordable
        self.widen = 2
        self.tried = False
        self.step_seconds = 0.0  # how long the last step took

    @property
    def proven(self) -> bool:
        return self.lower >= self.disruption

    def improve(self, chosen: IntArray) -> None:
        if self.plan.rank_of(chosen) < self.plan.rank_of(self.chosen):
            self.chosen, self.disruption = chosen, self.plan.cost_of(chosen)

    def next_step(self) -> int:
        """The next budget to try: up to the next kind of move, and not far above the lower bound."""
        above = self.move_costs[self.move_costs > self.lower - self.floor]
        step = self.floor + int(above[0]) - 1 if above.size else self.disruption - 1
        return max(self.lower, min(step, self.lower + self.widen, self.disruption - 1))

    def climb(self, seconds: float, proof_seconds: float, workers: int, seed: int, stop: threading.Event | None,
              last: bool = True) -> None:
        """Climb for ``seconds``. Unless it is the ``last`` climb, a step is not started when it would likely not
        finish (each step has taken about twice the time of the one before): a later climb takes it whole."""
        deadline = time.monotonic() + seconds
        while not self.proven and (stop is None or not stop.is_set()):
            step = self.next_step()
            budget = budget_of(self.instance, self.plan, self.chosen, step + 1, self.newcomers)
            if budget is None:  # not even the displaced events' cheapest moves fit
                self.lower = step + 1
                continue
            if deadline - time.monotonic() < 0.1 + 2 * budget.allowed.sum() / PLACEMENTS_PER_SECOND:
                return
            if not last and deadline - time.monotonic() < 2 * self.step_seconds:
                return
            started = time.monotonic()
            keep = budget.within_reach(self.instance, self.plan)
            self.tried = True
            answer, minimal = cheaper_repair(self.instance, self.plan, keep, step + 1, self.value,
                                              min(time.monotonic() + proof_seconds, deadline), workers, seed, stop)
            log.debug("budget %d (repair %d, floor %d): %d of %d placements, %s%s", step, self.disruption, self.floor,
                      keep.sum(), budget.allowed.sum(), "none" if answer is None else self.plan.cost_of(answer),
                      " (exhaustive)" if minimal else "")
            self.step_seconds = time.monotonic() - started
            if answer is not None:
                if self.adoptable:
                    self.improve(answer)
                if minimal:  # the least any repair can cost
                    self.lower = max(self.lower, self.plan.cost_of(answer))
                if minimal or not self.adoptable:
                    return  # (a relaxed search's repair only bounds: searching on would find it again)
            elif minimal:
                self.lower = step + 1
                self.widen *= 2
            else:
                return  # out of time on this step


def cheaper_repair(instance: Instance, plan: PreviousPlan, keep: BoolArray, disruption: int, value: int,
                    deadline: float, workers: int, seed: int,
                    stop: threading.Event | None, work: float | None = None) -> tuple[IntArray | None, bool]:
    """Search the whole summit, on the ``keep`` placements only, for a repair of the same value that costs
    less than ``disruption``, until ``deadline`` (``time.monotonic()``) or ``work`` (CP-SAT's deterministic time).
    Returns the cheaper repair if one is found (else None) and whether the result is proven minimal (none cheaper
    exists)."""
    sub = instance.restricted(keep)
    frame = frame_of(instance, plan, sub, np.flatnonzero(keep))
    used, cost = least_moves_at_value(frame, plan, value)
    add_linear(frame.model, used, cost, 0, disruption - 1)
    status, solver = run_search(frame.model, max(0.01, deadline - time.monotonic()), workers, seed, stop, work=work)
    if status == cp_model.INFEASIBLE:
        return None, True
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return chosen_of(frame.sub, frame.to_full, solver, len(instance.events)), status == cp_model.OPTIMAL
    return None, False
