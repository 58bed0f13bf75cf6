"""Large-neighbourhood search: improve a timetable one piece of the summit at a time.

At every size where CP-SAT cannot solve the whole model to the end (a few hundred requests
and up), the timetable improves fastest by freeing a part of it that a planner would
recognise, and letting CP-SAT re-plan that part exactly while the rest stays put:

* ``leader_day``: one leader's day, with the meetings they are still missing and their
  partners' events that day (a meeting needs both sides free);
* ``delegation_day``: the same for a whole delegation;
* ``pool_half_day``: one pool of rooms over a morning or an afternoon;
* ``time_window``: two hours or so across all rooms;
* ``long_window`` (within the whole LP's core only): twice as long, so that an event in a request's way may move to
  the window's other half;
* ``two_days_window`` (within the whole LP's core only): the same hours on two days, so that an event may change
  day, which none of the others allows;
* ``worst_requests``: the most valuable requests still out, and the events of their
  participants on one day;
* ``lp_requests`` (when the whole LP's solution comes from the bound beside the search): the
  requests the LP relaxation takes and the timetable leaves out, and their participants'
  events on the day the LP places them.

The loop is the ``alns`` package's: each neighbourhood is a destroy operator, the CP-SAT
solve of the sub-model (:mod:`solver.model.submodel`) the repair operator, a roulette wheel
learns which neighbourhoods pay, hill climbing keeps the best timetable. A sub-model's
solution is a timetable of the whole summit that keeps every rule, so the timetable only
ever improves. When a timetable rounded from the LP's solution (:mod:`solver.model.rounding`, built beside the
search) is worth more than the best, the search goes on from it (it keeps every rule: checked before it is taken).
Stops at the time limit, at the proven bound, when asked to, or (only if
asked) after ``stall_seconds`` without improvement.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model

from solver.compile import Instance
from solver.model.objective import placement_values
from solver.model.rows import BoolArray, IntArray, concat_ranges, flattened
from solver.model.submodel import RowMatrix, build_submodel, solve_submodel

# How each round's time is shared out: a round gets at most ``round`` of the LNS time
# (and at most LnsConfig.round_seconds), so that every neighbourhood is tried many times.
BUDGET_SHARES: dict[str, float] = {"round": 0.08}


@dataclass
class LnsConfig:
    time_limit: float  # seconds for the whole search
    workers: int = 2
    seed: int = 0
    round_seconds: float = 3.0  # most a round's CP-SAT solve may take
    max_free_placements: int = 6_000  # a neighbourhood's sub-model stays this small (measured: rounds of ~1 s)...
    # ...and smaller after a round its time cut short: a fifth less each time, down to ``min_free_placements``,
    # and back by a tenth after a round proven optimal in under half its time. On a loaded machine, or a summit
    # whose sub-models are hard, rounds stay short and many. Never above: measured on the same 12 neighbourhoods
    # of the 1,000-request summit (one worker), 6,000 gained 16 in 2.1 s of CPU, 12,000 the same 16 in 6.7 s,
    # 24,000 16 in 14 s, 3,000 6 in 1.0 s.
    min_free_placements: int = 800
    stall_seconds: float | None = None  # stop after this long without improvement (only if set)
    # a bound proven beside the search as it goes (solver/bound_beside.py), asked with the search's best value
    bound_of: Callable[[int], int] | None = None
    # the whole LP's latest solution from there, (placements, how much of each), None until it comes
    lp_solution: Callable[[], tuple[IntArray, npt.NDArray[np.float64]] | None] | None = None
    # a timetable rounded from the whole LP's solution beside the search, (value, placement per event), None until
    # one comes (solver/model/rounding.py): the search goes on from it when it is worth more than its best
    rounded: Callable[[], tuple[int, IntArray] | None] | None = None
    # the whole LP's core: the placements its latest solution gives more than a thousandth, and how much it gives each
    # (solver/bound_beside.py ``core_of``), None until one comes. Then each round re-plans its events within it (and
    # each event's own place), with ``core_cap_factor`` times the placements: its events have fewer placements each, so
    # a round frees several times as many of them (measured at 4,000 requests, seed 3, 100 deterministic rounds: +17
    # from the stalled 2,319 against +0-1 without, 2,310 from the greedy 2,025 against 2,264). Among re-plans of equal
    # value, the round takes the one the LP weighs most (``toward_lp``), and the search keeps it: the timetable drifts
    # toward the LP's solution while it cannot improve (300 rounds from the greedy: 2,344 and 2,352 against 2,328
    # without the drift; benchmarks/RESULTS.md core27)
    lp_core: Callable[[], tuple[IntArray, npt.NDArray[np.float64]] | None] | None = None
    core_cap_factor: float = 2.5
    core_round_seconds: float = 1.0  # most a round within the core may take (0.5 s and 1.5 s: alike, within noise)
    toward_lp: bool = True
    # the rounded timetable taken is first improved by the local search on the occupancy arrays (solver/model/moves.py:
    # requests left out pushed in where the events in their way move or are worth less), for at most ``moves_share``
    # of the search's time (measured at 4,000 requests: +41-75 in 4 s of CPU on the rounded timetables)
    moves: bool = True
    moves_share: float = 0.08
    # whether the whole LP's child runs beside the search (solver/bound_beside.py): it holds a core, and each round's
    # CP-SAT then has one worker fewer (measured at 4,000 requests from the rounded start, CPU seconds alike: one
    # worker's rounds cost half the CPU and gain as much each, 2,284 against 2,249 after 20 s of CPU; RESULTS.md s27c)
    beside_running: Callable[[], bool] | None = None
    # rounds at once, each on its own core, when the cores are free (``workers`` of them, less the child's): a round's
    # CP-SAT releases the interpreter while it searches, and one worker's rounds gain as much as two workers' at half
    # the CPU (above), so two rounds at once gain about twice as fast; a deterministic search has one (tests)
    lanes: int = 2
    max_rounds: int | None = None  # for tests: a fixed number of rounds...
    deterministic_round: float | None = None  # ...each with a deterministic limit
    stop: threading.Event | None = None


@dataclass
class LnsLedger:
    """What the search has: the best timetable, its value, the bound, and which neighbourhoods paid."""

    best: IntArray
    objective: int
    bound: int
    started: float
    history: list[tuple[float, int]] = field(default_factory=list)  # (seconds since start, objective)
    rounds: int = 0
    last_improvement: float = 0.0
    tried: dict[str, int] = field(default_factory=dict)
    improved: dict[str, int] = field(default_factory=dict)
    free_cap: int = 0  # the neighbourhoods' size now (LnsConfig.max_free_placements, adapted round by round)
    rounded_seen: int = -1  # the value of the last rounded timetable looked at (LnsConfig.rounded): each once
    version: int = 0  # how many times the best has changed: a round begun on an older best is merged onto the new one
    merged: int = 0  # rounds begun on an older best whose changes still paid on the new one...
    refused: int = 0  # ...and those whose changes broke a rule there or no longer paid
    drifted: int = 0  # rounds that kept the value and moved the timetable toward the LP (LnsConfig.toward_lp)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)  # the lanes take turns at the ledger

    @property
    def proven(self) -> bool:
        return self.objective >= self.bound

    def drift(self, chosen: IntArray) -> None:
        """``chosen``, worth as much as the best and closer to the LP's solution, becomes the best."""
        self.best = chosen
        self.version += 1
        self.drifted += 1

    def take(self, chosen: IntArray, value: int, name: str) -> None:
        """``chosen``, worth ``value`` (more than the best), becomes the best; ``name`` found it."""
        self.best, self.objective = chosen, value
        self.version += 1
        self.last_improvement = time.monotonic() - self.started
        self.history.append((round(self.last_improvement, 3), value))
        self.improved[name] = self.improved.get(name, 0) + 1


@dataclass
class Neighbourhood:
    name: str
    events: IntArray  # events whose placement is freed (placed ones and requests still out)
    region: BoolArray | None  # placements they may take (None: any of theirs)
    cored: bool = False  # the region is within the LP's core (LnsConfig.lp_core)


@dataclass
class Context:
    """What the neighbourhoods look at, computed once."""

    instance: Instance
    matrix: RowMatrix | None  # None: each round builds the rows of its own placements (a summit too big for them)
    item_value: IntArray
    item_day: IntArray
    item_half: IntArray  # half day: 2 * day + (afternoon)
    person_events: list[IntArray]
    delegation_people: list[IntArray]
    event_first: IntArray  # the placements of event e are event_item[event_first[e]:event_first[e + 1]]
    event_item: IntArray
    has_items: BoolArray  # per event: has it a placement at all
    lp: Callable[[], tuple[IntArray, npt.NDArray[np.float64]] | None] | None = None  # LnsConfig.lp_solution
    core: Callable[[], tuple[IntArray, npt.NDArray[np.float64]] | None] | None = None  # LnsConfig.lp_core
    _core_seen: tuple[object, BoolArray, npt.NDArray[np.float64]] | None = None  # (the core, its mask, its weights)

    @classmethod
    def of(cls, instance: Instance, matrix: RowMatrix | None,
           lp: Callable[[], tuple[IntArray, npt.NDArray[np.float64]] | None] | None = None,
           core: Callable[[], tuple[IntArray, npt.NDArray[np.float64]] | None] | None = None) -> Context:
        grid = instance.grid
        day = grid.slot_day[instance.item_start]
        local = instance.item_start - grid.day_offset[day]
        half = 2 * day + (local >= grid.day_slots[day] // 2)
        value = placement_values(instance)
        people: list[list[int]] = [[] for _ in instance.scenario.participants]
        for event, members in enumerate(instance.event_participants):
            for person in members.tolist():
                people[person].append(event)
        delegations: dict[str, list[int]] = {}
        for p, person in enumerate(instance.scenario.participants):
            delegations.setdefault(person.delegation or person.id, []).append(p)
        event_first, event_item = flattened(instance.event_items)
        return cls(instance, matrix, value, day.astype(np.int64), half.astype(np.int64),
                   [np.asarray(e, dtype=np.int64) for e in people],
                   [np.asarray(p, dtype=np.int64) for p in delegations.values()],
                   event_first, event_item, np.diff(event_first) > 0, lp, core)

    def core_of_lp(self) -> tuple[BoolArray, npt.NDArray[np.float64]] | None:
        """(per placement: is it in the LP's latest core, how much the LP gives it), None while no core has come;
        built once per core."""
        core = self.core() if self.core is not None else None
        if core is None:
            return None
        seen = self._core_seen
        if seen is None or seen[0] is not core:
            items, amount = core
            mask = np.zeros(self.instance.n_items, dtype=bool)
            weight = np.zeros(self.instance.n_items, dtype=np.float64)
            mask[items], weight[items] = True, amount
            seen = self._core_seen = (core, mask, weight)
        return seen[1], seen[2]

    def core_mask(self) -> BoolArray | None:
        """Per placement: is it in the LP's latest core (None while none has come)."""
        core = self.core_of_lp()
        return None if core is None else core[0]

    def within_core(self, hood: Neighbourhood) -> Neighbourhood:
        """The neighbourhood with its region cut to the LP's core (as it is when none has come)."""
        core = self.core_mask()
        if core is None:
            return hood
        return Neighbourhood(hood.name, hood.events, core if hood.region is None else hood.region & core, cored=True)

    def items_of(self, events: IntArray) -> tuple[IntArray, IntArray]:
        """(the placements of these events, one event after the other; for each, its event's position in ``events``)."""
        counts = self.event_first[events + 1] - self.event_first[events]
        return (self.event_item[concat_ranges(self.event_first[events], counts)],
                np.repeat(np.arange(events.size), counts))

    def day_of(self, chosen: IntArray) -> IntArray:
        """Day of each event's placement (-1 if out)."""
        out = np.full(chosen.size, -1, dtype=np.int64)
        out[chosen >= 0] = self.item_day[chosen[chosen >= 0]]
        return out

    def missing_value(self, chosen: IntArray) -> npt.NDArray[np.float64]:
        """Per event: its priority if it is an optional request still out, else 0."""
        out = np.where((chosen < 0) & ~self.instance.required, self.instance.priority, 0).astype(np.float64)
        return out * self.has_items


# --------------------------------------------------------------------------------------
# Neighbourhoods (destroy operators)
# --------------------------------------------------------------------------------------


def _people_day(ctx: Context, chosen: IntArray, people: IntArray, day: int, name: str) -> Neighbourhood:
    """These people's events on ``day``, their requests still out, and the partners' events that day."""
    events = np.unique(np.concatenate([ctx.person_events[p] for p in people] + [np.zeros(0, dtype=np.int64)]))
    day_of = ctx.day_of(chosen)
    missing = events[(chosen[events] < 0) & (ctx.missing_value(chosen)[events] > 0)]
    partners = np.unique(np.concatenate([ctx.instance.event_participants[e] for e in missing]
                                        + [people.astype(np.int64)]))
    around = np.concatenate([ctx.person_events[p] for p in partners] + [np.zeros(0, dtype=np.int64)])
    placed_that_day = np.unique(around[day_of[around] == day])
    return Neighbourhood(name, np.union1d(placed_that_day, missing), ctx.item_day == day)


def _weighted_pick(rng: np.random.Generator, weights: npt.NDArray[np.float64]) -> int:
    weights = weights + 1e-9
    return int(rng.choice(weights.size, p=weights / weights.sum()))


def leader_day(ctx: Context, chosen: IntArray, rng: np.random.Generator) -> Neighbourhood:
    """One leader's day, picked by the value of the meetings they are still missing."""
    missing = ctx.missing_value(chosen)
    weights = np.asarray([missing[events].sum() + 0.1 for events in ctx.person_events])
    person = _weighted_pick(rng, weights)
    day = int(rng.integers(len(ctx.instance.grid.day_starts)))
    return _people_day(ctx, chosen, np.asarray([person]), day, "leader_day")


def delegation_day(ctx: Context, chosen: IntArray, rng: np.random.Generator) -> Neighbourhood:
    """One delegation's day, picked by the value of its requests still out."""
    missing = ctx.missing_value(chosen)
    weights = np.asarray([sum(missing[ctx.person_events[p]].sum() for p in people) + 0.1
                          for people in ctx.delegation_people])
    delegation = _weighted_pick(rng, weights)
    day = int(rng.integers(len(ctx.instance.grid.day_starts)))
    return _people_day(ctx, chosen, ctx.delegation_people[delegation], day, "delegation_day")


def pool_half_day(ctx: Context, chosen: IntArray, rng: np.random.Generator) -> Neighbourhood:
    """One pool of rooms over a morning or an afternoon, and the requests that could use it then."""
    instance = ctx.instance
    pool = _weighted_pick(rng, instance.pool_size.astype(np.float64))
    half = int(rng.integers(2 * len(instance.grid.day_starts)))
    region = (instance.item_pool == pool) & (ctx.item_half == half)
    return _region_neighbourhood(ctx, chosen, region, "pool_half_day")


def time_window(ctx: Context, chosen: IntArray, rng: np.random.Generator) -> Neighbourhood:
    """About an hour and a half (an eighth of a day, at least an hour) across all rooms."""
    return _region_neighbourhood(ctx, chosen, _window(ctx, rng, 1), "time_window")


def long_window(ctx: Context, chosen: IntArray, rng: np.random.Generator) -> Neighbourhood:
    """About three hours (a quarter of a day, at least two hours) across all rooms: an event in the way of a request
    may move to the window's other half, where a round of ``time_window`` would keep it in place. Only in a search whose
    rounds re-plan within the LP's core (``LnsConfig.lp_core``; until the first core comes, the window as it is): there
    its events have few placements each. At 4,000 requests the requests the LP takes and a stalled timetable leaves out
    all wait on a full pool of rooms and busy partners (benchmarks/RESULTS.md lp27)."""
    return _region_neighbourhood(ctx, chosen, _window(ctx, rng, 2), "long_window")


def two_days_window(ctx: Context, chosen: IntArray, rng: np.random.Generator) -> Neighbourhood:
    """About three hours at the same time of day on two different days, across all rooms: an event placed in one
    may move to the other day, which no other neighbourhood allows (each keeps its placed events within one day).
    Where the LP spreads the requests over the days otherwise than the timetable, the search can then follow it: at
    4,000 requests, seed 3, of the weight the LP gives the placed requests (426) it put 189 on their other day
    (benchmarks/RESULTS.md, "two days"). Only beside ``long_window``, in a search within the LP's core; with one
    day, a long window."""
    grid = ctx.instance.grid
    if len(grid.day_starts) < 2:
        return long_window(ctx, chosen, rng)
    days = rng.choice(len(grid.day_starts), size=2, replace=False)
    local, width = _span(ctx, rng, 2, int(grid.day_slots[days].min()))
    region = np.zeros(ctx.instance.n_items, dtype=bool)
    for day in days.tolist():
        region |= _window_at(ctx, int(grid.day_offset[day]) + local, width)
    return _region_neighbourhood(ctx, chosen, region, "two_days_window")


def _window(ctx: Context, rng: np.random.Generator, eighths: int) -> BoolArray:
    """The placements within a window of ``eighths`` eighths of a day (at least ``eighths`` hours), at random."""
    grid = ctx.instance.grid
    day = int(rng.integers(len(grid.day_starts)))
    local, width = _span(ctx, rng, eighths, int(grid.day_slots[day]))
    return _window_at(ctx, int(grid.day_offset[day]) + local, width)


def _span(ctx: Context, rng: np.random.Generator, eighths: int, day_slots: int) -> tuple[int, int]:
    """(a window's first slot within a day of ``day_slots`` slots, at random; its width: ``eighths`` eighths of the
    day, at least ``eighths`` hours)."""
    width = eighths * max(ctx.instance.grid.slots_for(60), day_slots // 8)
    return int(rng.integers(max(1, day_slots - width + 1))), width


def _window_at(ctx: Context, first: int, width: int) -> BoolArray:
    """The placements that start at slot ``first`` or later and end by ``first + width``."""
    return (ctx.instance.item_start >= first) & (ctx.instance.item_end <= first + width)  # type: ignore[no-any-return]


def worst_requests(ctx: Context, chosen: IntArray, rng: np.random.Generator) -> Neighbourhood:
    """A few of the most valuable requests still out, and their participants' events on one day."""
    missing = ctx.missing_value(chosen)
    out = np.flatnonzero(missing > 0)
    day = int(rng.integers(len(ctx.instance.grid.day_starts)))
    if out.size == 0:
        return time_window(ctx, chosen, rng)
    top = out[np.argsort(-missing[out] + rng.random(out.size), kind="stable")][: max(3, out.size // 10)]
    picked = rng.choice(top, size=min(3, top.size), replace=False)
    people = np.unique(np.concatenate([ctx.instance.event_participants[e] for e in picked]))
    around = _people_day(ctx, chosen, people, day, "worst_requests")
    return Neighbourhood("worst_requests", np.union1d(around.events, picked), around.region)


def lp_requests(ctx: Context, chosen: IntArray, rng: np.random.Generator) -> Neighbourhood:
    """A few requests the whole LP relaxation takes and the timetable leaves out, picked by the value the LP gives
    them, and their participants' events on the day the LP places the first: where the bound says the timetable
    loses most (``worst_requests`` while the LP's solution has not come)."""
    solution = ctx.lp() if ctx.lp is not None else None
    if solution is None:
        return worst_requests(ctx, chosen, rng)
    items, amount = solution
    taken_by = ctx.instance.item_event[items]
    wanted = ctx.missing_value(chosen) * np.minimum(np.bincount(taken_by, weights=amount, minlength=chosen.size), 1)
    out = np.flatnonzero(wanted > 0)
    if out.size == 0:
        return worst_requests(ctx, chosen, rng)
    picked = rng.choice(out, size=min(3, out.size), replace=False, p=wanted[out] / wanted[out].sum())
    first = taken_by == picked[0]
    day = int(ctx.item_day[items[first][np.argmax(amount[first])]])
    people = np.unique(np.concatenate([ctx.instance.event_participants[e] for e in picked]))
    around = _people_day(ctx, chosen, people, day, "lp_requests")
    return Neighbourhood("lp_requests", np.union1d(around.events, picked), around.region)


def _region_neighbourhood(ctx: Context, chosen: IntArray, region: BoolArray, name: str) -> Neighbourhood:
    """Events placed in the region, and requests still out that have a placement in it."""
    placed = chosen[chosen >= 0]
    inside = ctx.instance.item_event[placed[region[placed]]]
    missing = ctx.missing_value(chosen)
    candidates = np.unique(ctx.instance.item_event[region])
    return Neighbourhood(name, np.union1d(inside, candidates[missing[candidates] > 0]), region)


NEIGHBOURHOODS: tuple[Callable[[Context, IntArray, np.random.Generator], Neighbourhood], ...] = (
    leader_day, delegation_day, pool_half_day, time_window, worst_requests,
)


# --------------------------------------------------------------------------------------
# Repair: CP-SAT on the freed part
# --------------------------------------------------------------------------------------


def free_placements(ctx: Context, chosen: IntArray, hood: Neighbourhood, cap: int,
                    rng: np.random.Generator) -> tuple[IntArray, IntArray]:
    """(the freed events, their placements in the sub-model), at most ``cap`` placements: the placed
    events first (each keeps at least its own placement), then requests still out at random."""
    placed = hood.events[chosen[hood.events] >= 0]
    out = rng.permutation(hood.events[chosen[hood.events] < 0])
    order = np.concatenate([placed, out]).astype(np.int64)
    items, owner = ctx.items_of(order)
    own = chosen[order]
    if hood.region is not None:
        inside = hood.region[items]
        items, owner = items[inside], owner[inside]
    sizes = np.bincount(owner, minlength=order.size)
    if hood.region is not None:  # a placed event may also stay where it is, outside the region
        sizes += (own >= 0) & ~hood.region[np.maximum(own, 0)]
    taken = np.asarray(_taken(sizes.tolist(), (own >= 0).tolist(), cap), dtype=np.int64)
    if not (taken > 0).any():
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    stays = own[(taken > 0) & (own >= 0)]
    return order[taken > 0], np.unique(np.concatenate([items[taken[owner] == ALL_OF_THEM], stays]))


ALL_OF_THEM, ITS_OWN = 2, 1  # what free_placements takes of an event: all its placements, or the one it has


def _taken(sizes: list[int], placed: list[bool], cap: int) -> list[int]:
    """Per event in turn, with ``sizes`` placements each: ALL_OF_THEM while they fit under ``cap`` (the first
    always), else ITS_OWN for a placed event (it may still stay where it is), else 0 (a request left out)."""
    taken: list[int] = []
    total, anything = 0, False
    for size, on in zip(sizes, placed, strict=True):
        if anything and total + size > cap and (not on or total > 0):
            taken.append(ITS_OWN if on else 0)
            total += 1 if on else 0
            continue
        taken.append(ALL_OF_THEM)
        total, anything = total + size, True
    return taken


def improve(ctx: Context, chosen: IntArray, hood: Neighbourhood, config: LnsConfig, seconds: float,
            rng: np.random.Generator, cap: int | None = None, workers: int | None = None,
            ) -> tuple[IntArray | None, bool]:
    """(the timetable with the neighbourhood re-planned by CP-SAT, or None if it found nothing better; whether
    the round ended before its time: proven optimal or infeasible, not cut short). ``cap``: the most
    placements freed (default ``config.max_free_placements``); ``workers``: CP-SAT's (default
    :func:`round_workers`)."""
    events, free = free_placements(ctx, chosen, hood, cap or config.max_free_placements, rng)
    if free.size == 0:
        return None, True
    freed = np.zeros(chosen.size, dtype=bool)
    freed[events] = True
    held = chosen[(chosen >= 0) & ~freed]
    now = chosen[events][chosen[events] >= 0]
    toward = _toward_lp(ctx, config, hood, free, events.size)
    sub = build_submodel(ctx.instance, ctx.matrix, free, held, ctx.item_value if toward is None else toward,
                         hint_on=now)
    if sub is None:
        return None, True
    status, placed = solve_submodel(sub, workers or round_workers(config), int(rng.integers(2**31)), seconds,
                                    config.deterministic_round, presolve=False)
    ended = status in (cp_model.OPTIMAL, cp_model.INFEASIBLE)
    if placed is None:
        return None, ended
    before, after = int(ctx.item_value[now].sum()), int(ctx.item_value[placed].sum())
    if after < before or after == before and (toward is None or np.array_equal(np.sort(placed), np.sort(now))):
        return None, ended  # ties keep the timetable as it is, unless toward the LP (its tie-breakers were the full
        # model's)
    candidate = chosen.copy()
    candidate[events] = -1
    candidate[ctx.instance.item_event[placed]] = placed
    return candidate, ended


# a round toward the LP maximises value x TOWARD_LP_SCALE plus, per placement, its LP weight x TOWARD_LP_SCALE / (the
# events freed + 1): the weights of one timetable's placements sum to less than one point of value, so value comes
# first and the weights only choose among re-plans of equal value
TOWARD_LP_SCALE = 100_000


def _toward_lp(ctx: Context, config: LnsConfig, hood: Neighbourhood, free: IntArray,
               events: int) -> IntArray | None:
    """The objective of a round within the LP's core that also prefers the placements the LP weighs most
    (``LnsConfig.toward_lp``); None for the plain value."""
    core = ctx.core_of_lp() if hood.cored and config.toward_lp else None
    if core is None:
        return None
    values = ctx.item_value * TOWARD_LP_SCALE
    values[free] += np.floor(core[1][free] * TOWARD_LP_SCALE / (events + 1)).astype(values.dtype)
    return values


def free_cores(config: LnsConfig) -> int:
    """The cores the search has: its workers, one fewer while the whole LP's child holds a core beside it."""
    if config.beside_running is not None and config.beside_running():
        return max(1, config.workers - 1)
    return config.workers


def lanes_of(config: LnsConfig) -> int:
    """How many rounds may run at once (``LnsConfig.lanes``, at most one per worker); one for a deterministic search
    (a fixed count of rounds or CP-SAT's deterministic limit: the same answer on any machine)."""
    if config.deterministic_round is not None or config.max_rounds is not None:
        return 1
    return max(1, min(config.lanes, config.workers))


def round_workers(config: LnsConfig, lanes: int = 1) -> int:
    """CP-SAT's workers in a round: the free cores shared by the rounds that run at once (a lane waits while
    there is no core for it: :func:`lane_at_work`)."""
    cores = free_cores(config)
    return max(1, cores // max(1, min(lanes, cores)))


def lane_at_work(config: LnsConfig, lane: int) -> bool:
    """Whether lane ``lane`` (0, 1, ...) has a core: the first always, the others once the child has ended."""
    return lane == 0 or lane < free_cores(config)


def adapt_cap(config: LnsConfig, cap: int, ended: bool, took: float, seconds: float) -> int:
    """The next round's neighbourhood size (see ``LnsConfig.min_free_placements``)."""
    if not ended:
        return max(config.min_free_placements, int(cap * 0.8))
    if took < seconds / 2:
        return min(config.max_free_placements, int(cap * 1.1) + 1)
    return cap


# --------------------------------------------------------------------------------------
# The loop (alns)
# --------------------------------------------------------------------------------------


class _State:
    """A timetable as the alns loop sees it (it minimises, so the objective is negated). ``value`` is what the loop
    compares; a round's neighbourhood is cut from the ledger's best as it was at ``version``."""

    def __init__(self, chosen: IntArray, value: int, hood: Neighbourhood | None = None, version: int = 0) -> None:
        self.chosen = chosen
        self.value = value
        self.hood = hood
        self.version = version

    def objective(self) -> float:
        return -float(self.value)


class _Stop:
    """Stops at the time limit, at the bound, when asked, after the rounds (tests) or on a stall if set."""

    def __init__(self, config: LnsConfig, ledger: LnsLedger) -> None:
        self.config, self.ledger = config, ledger

    def __call__(self, rng: np.random.Generator, best: _State, current: _State) -> bool:
        config, ledger = self.config, self.ledger
        if config.bound_of is not None:
            with ledger.lock:
                ledger.bound = min(ledger.bound, config.bound_of(ledger.objective))
        now = time.monotonic() - ledger.started
        stalled = config.stall_seconds is not None and now - ledger.last_improvement > config.stall_seconds
        return (ledger.proven or stalled or (config.stop is not None and config.stop.is_set())
                or (config.max_rounds is not None and ledger.rounds >= config.max_rounds)
                or (config.max_rounds is None and now >= config.time_limit - 0.2))


@dataclass
class _Lane:
    """What one lane's loop shares with the others: the summit, the settings, the ledger and the improvements' ear."""

    ctx: Context
    config: LnsConfig
    ledger: LnsLedger
    on_improvement: Callable[[int], None] | None
    lanes: int  # how many lanes the search has
    done: threading.Event = field(default_factory=threading.Event)  # the first lane's loop has ended
    errors: list[BaseException] = field(default_factory=list)  # raised in the other lanes' threads


def large_neighbourhood_search(instance: Instance, matrix: RowMatrix | None, chosen: IntArray, bound: int,
                               config: LnsConfig,
                               on_improvement: Callable[[int], None] | None = None) -> LnsLedger:
    """Improve ``chosen`` (every required event placed) until the time limit; returns the ledger. The first lane's
    loop runs here, the others' in threads of their own, each starting once it has a core (:func:`lane_at_work`)."""
    ctx = Context.of(instance, matrix, config.lp_solution, config.lp_core)
    value = int(ctx.item_value[chosen[chosen >= 0]].sum())
    ledger = LnsLedger(chosen.copy(), value, bound, time.monotonic(), free_cap=config.max_free_placements)
    ledger.history.append((0.0, value))
    if ledger.proven or config.time_limit <= 0.5 and config.max_rounds is None:
        return ledger
    shared = _Lane(ctx, config, ledger, on_improvement, lanes_of(config))
    others = [threading.Thread(target=_lane_in_thread, args=(shared, lane), daemon=True)
              for lane in range(1, shared.lanes)]
    for thread in others:
        thread.start()
    try:
        _run_lane(shared, 0)
    finally:
        shared.done.set()
        for thread in others:
            thread.join(timeout=config.round_seconds + 5.0)  # a round ends within its own limit
    if shared.errors:
        raise shared.errors[0]
    return ledger


def _lane_in_thread(shared: _Lane, lane: int) -> None:
    """A lane other than the first: waits for a core, then loops like the first; an error is handed to it."""
    try:
        while not lane_at_work(shared.config, lane):
            if shared.done.wait(0.1):
                return
        _run_lane(shared, lane)
    except BaseException as error:  # noqa: BLE001 (re-raised by the first lane's thread)
        shared.errors.append(error)


def _run_lane(shared: _Lane, lane: int) -> None:
    """One lane's alns loop: destroy a neighbourhood of the best, repair it by CP-SAT, until the search stops."""
    # (imported here: alns imports matplotlib's pyplot, ~0.5 s CPU of every process that imports the solver, a server
    # and each `summit` command included; the job processes' fork server and the Celery worker preload it)
    from alns import ALNS
    from alns.accept import HillClimbing
    from alns.select import RouletteWheel

    config, ledger = shared.config, shared.ledger
    rng = np.random.default_rng(config.seed if lane == 0 else [config.seed, lane])
    search = ALNS(rng)
    neighbourhoods = (NEIGHBOURHOODS + ((lp_requests,) if config.lp_solution is not None else ())
                      + ((long_window, two_days_window) if config.lp_core is not None else ()))
    for neighbourhood in neighbourhoods:
        search.add_destroy_operator(_destroy(shared, neighbourhood), name=neighbourhood.__name__)
    search.add_repair_operator(_repair(shared), name="cp_sat")
    select = RouletteWheel([25, 5, 1, 0.5], 0.8, len(neighbourhoods), 1)
    with ledger.lock:
        start = _State(ledger.best, ledger.objective, version=ledger.version)
    search.iterate(start, select, HillClimbing(), _Stop(config, ledger))


def _destroy(shared: _Lane, neighbourhood: Callable[[Context, IntArray, np.random.Generator], Neighbourhood],
             ) -> Callable[[_State, np.random.Generator], _State]:
    def destroy(state: _State, rng: np.random.Generator) -> _State:
        with shared.ledger.lock:  # the best as it is now (another lane may have improved it)
            best, version = shared.ledger.best, shared.ledger.version
        return _State(best, state.value, shared.ctx.within_core(neighbourhood(shared.ctx, best, rng)), version)
    return destroy


def _repair(shared: _Lane) -> Callable[[_State, np.random.Generator], _State]:
    def repair(state: _State, rng: np.random.Generator) -> _State:
        assert state.hood is not None
        ctx, config, ledger = shared.ctx, shared.config, shared.ledger
        with ledger.lock:
            taken = _rounded_start(ctx, config, ledger)
            if taken is not None:
                _heard(shared, taken.value)
                return taken
            ledger.rounds += 1
            ledger.tried[state.hood.name] = ledger.tried.get(state.hood.name, 0) + 1
            seconds, cap = _round_seconds(config, ledger), ledger.free_cap
        if state.hood.cored:
            cap, seconds = int(cap * config.core_cap_factor), min(seconds, config.core_round_seconds)
        began = time.monotonic()
        better, ended = improve(ctx, state.chosen, state.hood, config, seconds, rng, cap,
                                round_workers(config, shared.lanes))
        with ledger.lock:
            ledger.free_cap = adapt_cap(config, ledger.free_cap, ended, time.monotonic() - began, seconds)
            worth = ledger.objective
            if better is None or not _commit(ctx, ledger, state, better, state.hood.name):
                return _State(state.chosen, state.value)
            if ledger.objective > worth:
                _heard(shared, ledger.objective)
            return _State(ledger.best, ledger.objective, version=ledger.version)
    return repair


def _round_seconds(config: LnsConfig, ledger: LnsLedger) -> float:
    """A round's time limit: its share of the search (``BUDGET_SHARES``), within what is left."""
    remaining = config.time_limit - (time.monotonic() - ledger.started)
    return max(0.05, min(config.round_seconds, BUDGET_SHARES["round"] * config.time_limit, remaining - 0.1))


def _heard(shared: _Lane, value: int) -> None:
    """The search's best is now worth ``value``: whoever listens hears it (under the ledger's lock: one at a time)."""
    if shared.on_improvement is not None:
        shared.on_improvement(value)


def _commit(ctx: Context, ledger: LnsLedger, state: _State, candidate: IntArray, name: str) -> bool:
    """Whether a round's timetable (``candidate``, re-planned from ``state``) became the best: worth more, or as much
    and closer to the LP (``LnsConfig.toward_lp``) when the best has not changed since the round began. When the best
    changed while the round ran (another lane's round), the round's changes are applied onto the new best, and kept
    only if they still pay there and every rule still holds."""
    if state.version != ledger.version:
        changed = np.flatnonzero(candidate != state.chosen)  # the events the round moved, took in or left out
        merged = ledger.best.copy()
        merged[changed] = candidate[changed]
        candidate = merged
    value = int(ctx.item_value[candidate[candidate >= 0]].sum())
    if value == ledger.objective and state.version == ledger.version:
        ledger.drift(candidate)  # a round toward the LP of equal value (only those return a tie: ``improve``)
        return True
    if value <= ledger.objective:
        return False
    if state.version != ledger.version:
        if not keeps_the_rows(ctx, candidate):
            ledger.refused += 1
            return False
        ledger.merged += 1
    ledger.take(candidate, value, name)
    return True


def keeps_the_rows(ctx: Context, chosen: IntArray) -> bool:
    """Whether the timetable ``chosen`` keeps every row of the summit: each row's load of the placements on within
    its bound (read from the placements' side of the summit's rows; without them, the rows over these placements)."""
    if ctx.matrix is None:
        from solver.model.greedy import keeps_every_rule

        return keeps_every_rule(ctx.instance, chosen)
    return bool((ctx.matrix.load_of(chosen[chosen >= 0]) <= ctx.matrix.upper).all())


ROUNDED = "lp_rounded"  # the name the rounded timetable's improvements are counted under (LnsLedger.improved)
MOVES = "moves"  # ... and the local search's on it, when it gained
# the local search's pass ends after this many requests in a row tried in vain: its gains come from the most
# valuable requests left out (measured on the rounded timetables: all of them within the first 100-900 of 1,500 at
# 2,000 requests, 400 of 3,400 at 4,000, the rest of the pass 2-8 s of CPU for nothing)
MOVES_STALL = 300


def _moved(ctx: Context, config: LnsConfig, chosen: IntArray) -> IntArray | None:
    """``chosen`` improved by the local search on the occupancy arrays (:mod:`solver.model.moves`), one pass over
    the requests left out until ``MOVES_STALL`` of them in a row gain nothing, within ``moves_share`` of the
    search's time (no time limit with ``deterministic_round``); None when it gained nothing or is off."""
    if not config.moves:
        return None
    from solver.model.moves import improved_by_moves

    seconds = None if config.deterministic_round is not None else config.moves_share * config.time_limit
    better, stats = improved_by_moves(ctx.instance, chosen, max_passes=1, seconds=seconds, top=2, stall=MOVES_STALL)
    return better if stats.gained > 0 else None


def _rounded_start(ctx: Context, config: LnsConfig, ledger: LnsLedger) -> _State | None:
    """The timetable rounded from the LP beside the search, when one has come that is worth more than the best and
    keeps every rule (checked here: it was built in another process); it becomes the best, first improved by the
    local search on the occupancy arrays (:func:`_moved`)."""
    found = config.rounded() if config.rounded is not None else None
    if found is None or found[0] <= max(ledger.objective, ledger.rounded_seen):
        return None
    ledger.rounded_seen = found[0]
    from solver.model.greedy import keeps_every_rule

    instance, chosen = ctx.instance, found[1]
    value = int(ctx.item_value[chosen[chosen >= 0]].sum()) if chosen.size == len(instance.events) else -1
    complete = value >= 0 and all(chosen[e] >= 0 for e in range(len(instance.events))
                                  if instance.required[e] and instance.event_items[e].size)
    if value <= ledger.objective or not complete or not keeps_every_rule(instance, chosen):
        return None
    polished = _moved(ctx, config, chosen)
    if polished is not None and keeps_every_rule(instance, polished):  # (kept by construction: checked all the same)
        chosen, value = polished, int(ctx.item_value[polished[polished >= 0]].sum())
        ledger.improved[MOVES] = ledger.improved.get(MOVES, 0) + 1
    ledger.take(chosen.copy(), value, ROUNDED)
    return _State(ledger.best, value, version=ledger.version)
