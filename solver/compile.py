"""Scenario -> compiled instance: the integer time grid, room pools and candidate placements.

Everything the CP-SAT model needs is prepared here, so that the model code only iterates:

* the **grid**: every working day cut into ``slot_minutes`` slots, numbered globally
  (day 0's slots first, then day 1's, ...);
* **room pools**: rooms that are interchangeable for every event (same zone, same
  changeover, same closures and the same set of events that fit them) are pooled, so the
  model only counts how many rooms of a pool are busy; concrete rooms are assigned after
  solving, which is exact for identical rooms (interval-graph colouring);
* **placements**: for each event, every (pool, start slot) at which it may run when only
  its own rules are considered (day hours, its window, pinning, its participants'
  availability, the pool's closures, room fit and security level). A placement is one
  boolean in the model.

Events that have no placement at all are found here, before solving, with a reason a
planner can act on (:class:`Precheck`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from functools import cached_property

import numpy as np
import numpy.typing as npt

from solver.scenario import Event, Room, Scenario

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def _minutes(moment: datetime) -> int:
    """Minutes since the Unix epoch: one integer time line for every comparison."""
    return int(moment.timestamp()) // 60


@dataclass(frozen=True)
class Grid:
    """The working time of the summit as consecutive integer slots."""

    slot_minutes: int
    day_starts: tuple[datetime, ...]
    day_offset: IntArray  # first global slot of each day
    day_slots: IntArray  # number of slots of each day
    slot_day: IntArray  # day index of each slot
    slot_start_minute: IntArray  # epoch minute at which each slot starts

    @property
    def n_slots(self) -> int:
        return int(self.slot_day.shape[0])

    @property
    def day_end_slot(self) -> IntArray:
        """For each slot, the first slot after its day (exclusive end)."""
        return (self.day_offset + self.day_slots)[self.slot_day]

    def time_of(self, slot: int) -> datetime:
        day = int(self.slot_day[slot])
        return self.day_starts[day] + timedelta(minutes=self.slot_minutes * (slot - int(self.day_offset[day])))

    def slot_of(self, moment: datetime) -> int | None:
        """The slot starting exactly at ``moment``, or None if it is off the grid or outside the days."""
        minute = _minutes(moment)
        index = int(np.searchsorted(self.slot_start_minute, minute))
        if index < self.n_slots and int(self.slot_start_minute[index]) == minute:
            return index
        return None

    def slots_inside(self, start: datetime, end: datetime) -> BoolArray:
        """Slots lying entirely inside [start, end)."""
        begin = self.slot_start_minute
        return (begin >= _minutes(start)) & (begin + self.slot_minutes <= _minutes(end))

    def slots_touching(self, start: datetime, end: datetime) -> BoolArray:
        """Slots that overlap [start, end) at all."""
        begin = self.slot_start_minute
        return (begin < _minutes(end)) & (begin + self.slot_minutes > _minutes(start))

    def slots_for(self, minutes: int) -> int:
        """Whole slots needed to cover ``minutes`` (rounded up: the model is never looser than the rule)."""
        return math.ceil(minutes / self.slot_minutes)

    def label(self, slot: int) -> str:
        return f"{self.time_of(slot):%H:%M on %d %b}"


def build_grid(scenario: Scenario) -> Grid:
    slot = scenario.slot_minutes
    starts, counts = [], []
    for day in sorted(scenario.days, key=lambda d: d.date):
        begin, end = scenario.day_bounds(day)
        starts.append(begin)
        counts.append(max(0, (_minutes(end) - _minutes(begin)) // slot))
    day_slots = np.asarray(counts, dtype=np.int64)
    day_offset = np.concatenate([[0], np.cumsum(day_slots)[:-1]]).astype(np.int64)
    slot_day = np.repeat(np.arange(len(counts), dtype=np.int64), day_slots)
    first_minute = np.asarray([_minutes(s) for s in starts], dtype=np.int64)
    local_index = np.arange(slot_day.shape[0], dtype=np.int64) - day_offset[slot_day]
    slot_start_minute = first_minute[slot_day] + local_index * slot
    return Grid(slot, tuple(starts), day_offset, day_slots, slot_day, slot_start_minute)


@dataclass(frozen=True)
class Pool:
    """Rooms that every event sees as interchangeable; the model counts them, not which one."""

    index: int
    rooms: tuple[int, ...]
    zone: int
    changeover_slots: int
    rooms_open: IntArray  # per slot: how many of the pool's rooms are open

    @property
    def size(self) -> int:
        return len(self.rooms)


@dataclass(frozen=True)
class Precheck:
    """An event ruled out before solving, and why, in a planner's words."""

    event: int
    code: str
    message: str
    participants: tuple[str, ...] = ()
    rooms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Waivers:
    """What a re-plan after a report waives, by event name, for every compile of its summit (the searches', the proof's
    with every room apart, the explanations'), so that each sees the same summit:

    - ``facts`` (the events that run or ran) keep their people past the end of their availability, for their run only
      (:func:`_people_ok`: a running event that overruns is not answered "infeasible" because its people's day ends),
      and may run past their day's close (:func:`_past_close`: nor because the day ends);
    - a rule that only a fact and what cannot move (``fixed``) break together is waived for the two
      (:mod:`solver.model.waive`); ``pairs=False`` says no such pair exists (the rows then need no second look)."""

    facts: frozenset[str] = frozenset()
    fixed: frozenset[str] = frozenset()
    pairs: bool = True


@dataclass
class Instance:
    """The scenario fully prepared for the optimisation: integers and index arrays only."""

    scenario: Scenario
    grid: Grid
    events: list[Event]
    rooms: list[Room]
    zone_ids: list[str]
    pools: list[Pool]
    travel_slots: IntArray  # zone x zone, travel time in slots
    # per event
    duration: IntArray
    required: BoolArray
    priority: IntArray
    has_vvip: BoolArray
    exclusive: BoolArray
    event_participants: list[IntArray]
    predecessors: list[list[int]]
    # placements: one per (event, pool, start)
    item_event: IntArray
    item_pool: IntArray
    item_start: IntArray
    item_lead: IntArray  # slots the room must be held before the start (changeover or sweep)
    # per placement, the slots it runs short of the event's duration (0 but in a re-plan after a report, for an event
    # with a minimum duration: see ``compile_scenario(shorten=True)``)
    item_cut: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    event_items: list[IntArray] = field(default_factory=list)
    prechecks: list[Precheck] = field(default_factory=list)
    event_index: dict[str, int] = field(default_factory=dict)
    participant_index: dict[str, int] = field(default_factory=dict)
    room_index: dict[str, int] = field(default_factory=dict)
    # after a summit-day report: the events that run or ran (facts) and every required event that cannot move (one
    # placement); a rule that only a fact and what cannot move break together is waived for them
    # (:mod:`solver.model.waive`)
    facts: frozenset[int] = frozenset()
    fixed: frozenset[int] = frozenset()
    # the facts that run past the end of their people's availability, the availability waived for their run
    # (:func:`_people_ok`): per event, each participant it keeps, the first slot of the run they are not available and
    # how many slots of the run they are not
    availability_waived: dict[int, list[tuple[int, int, int]]] = field(default_factory=dict)
    # the facts whose run goes past their day's close, and by how many slots (:func:`_past_close`): the model holds
    # each to the close (``duration`` is cut there), the timetable says its true end (its scenario duration)
    past_close: dict[int, int] = field(default_factory=dict)

    @property
    def n_items(self) -> int:
        return int(self.item_event.shape[0])

    def restricted(self, keep: BoolArray | IntArray) -> Instance:
        """The same instance with only the placements where ``keep`` is true (e.g. fixed events
        reduced to the one placement they keep), or only the placements ``keep`` lists (sorted, unique)."""
        clone = Instance(**{f.name: getattr(self, f.name) for f in fields(self)})
        clone.item_event = self.item_event[keep]
        clone.item_pool = self.item_pool[keep]
        clone.item_start = self.item_start[keep]
        clone.item_lead = self.item_lead[keep]
        clone.item_cut = self.item_cut[keep]
        clone.event_items = _group_items(clone.item_event, len(self.events))
        clone.__dict__["event_people"] = self.event_people  # (the same events: computed once for every restriction)
        return clone

    def with_predecessors(self, events: list[int] | set[int]) -> list[int]:
        """These events and every event they must follow (H10), directly or not."""
        keep = set(events)
        stack = list(keep)
        while stack:
            for before in self.predecessors[stack.pop()]:
                if before not in keep:
                    keep.add(before)
                    stack.append(before)
        return sorted(keep)

    @cached_property
    def event_people(self) -> tuple[IntArray, IntArray]:
        """Every event's participants, one event after the other (``flat``), and where each event's begin there
        (``first``, one more for the end): (first, flat)."""
        from solver.model.rows import flattened

        return flattened(self.event_participants)

    @cached_property
    def room_pool(self) -> IntArray:
        """The pool of each room (-1 for a room no event can use)."""
        pool_of = np.full(len(self.rooms), -1, dtype=np.int64)
        for pool in self.pools:
            pool_of[list(pool.rooms)] = pool.index
        return pool_of

    @cached_property
    def item_length(self) -> IntArray:
        """Per placement, the slots it runs: its event's duration, less what a shortened placement cuts."""
        return self.duration[self.item_event] - self.item_cut

    @cached_property
    def item_end(self) -> IntArray:
        return self.item_start + self.item_length

    @cached_property
    def item_room_from(self) -> IntArray:
        """Per placement, the first slot it holds its room: the changeover or sweep before it, within its day."""
        return np.maximum(self.item_start - self.item_lead, self.grid.day_offset[self.grid.slot_day[self.item_start]])

    @cached_property
    def pool_size(self) -> IntArray:
        """Per pool, its number of rooms."""
        return np.asarray([pool.size for pool in self.pools], dtype=np.int64)

    @cached_property
    def item_zone(self) -> IntArray:
        zones = np.asarray([p.zone for p in self.pools], dtype=np.int64)
        return zones[self.item_pool] if self.pools else np.zeros(0, dtype=np.int64)


# --------------------------------------------------------------------------------------
# Room fit (H3) as an event x room matrix
# --------------------------------------------------------------------------------------


def room_fit(scenario: Scenario) -> BoolArray:
    """fit[e, r]: room r is big enough, has the features, is allowed and secure enough for event e."""
    vvip = {p.id for p in scenario.participants if p.tier == "vvip"}
    level = scenario.vvip_min_room_level
    capacity = np.asarray([r.capacity for r in scenario.rooms], dtype=np.int64)
    security = np.asarray([r.security_level for r in scenario.rooms], dtype=np.int64)
    room_features = [set(r.features) for r in scenario.rooms]
    room_pos = {r.id: i for i, r in enumerate(scenario.rooms)}
    fit = np.zeros((len(scenario.events), len(scenario.rooms)), dtype=bool)
    for e, event in enumerate(scenario.events):
        ok = capacity >= event.attendance
        if event.features:
            needed = set(event.features)
            ok &= np.asarray([needed <= feats for feats in room_features], dtype=bool)
        if event.rooms is not None:
            allowed = np.zeros(len(scenario.rooms), dtype=bool)
            allowed[[room_pos[r] for r in event.rooms if r in room_pos]] = True
            ok &= allowed
        if event.pinned is not None and event.pinned.room is not None:
            pinned = np.zeros(len(scenario.rooms), dtype=bool)
            pinned[room_pos[event.pinned.room]] = True
            ok &= pinned
        if level and any(p in vvip for p in event.participants):
            ok &= security >= level
        fit[e] = ok
    return fit


def _explain_no_room(scenario: Scenario, event: Event) -> str:
    vvip = {p.id for p in scenario.participants if p.tier == "vvip"}
    needs: list[tuple[str, list[Room]]] = [(f"{event.attendance} seats",
                                           [r for r in scenario.rooms if r.capacity >= event.attendance])]
    for feature in event.features:
        needs.append((f"'{feature}'", [r for r in scenario.rooms if feature in r.features]))
    if event.rooms is not None:
        needs.append(("one of its allowed rooms (" + ", ".join(event.rooms) + ")",
                      [r for r in scenario.rooms if r.id in event.rooms]))
    if event.pinned is not None and event.pinned.room is not None:
        needs.append((f"its pinned room {event.pinned.room}",
                      [r for r in scenario.rooms if r.id == event.pinned.room]))
    level = scenario.vvip_min_room_level
    if level and any(p in vvip for p in event.participants):
        needs.append((f"security level {level} (a vvip attends)",
                      [r for r in scenario.rooms if r.security_level >= level]))
    what = f"{event.kind.replace('_', ' ')} {event.id}"
    for label, rooms in needs:
        if not rooms:
            return f"{what} needs {label}: no room has it"
    # Each need is met by some room, but not all by one room.
    labels = [label for label, _ in needs]
    joined = " and ".join([", ".join(labels[:-1]), labels[-1]]) if len(labels) > 1 else labels[0]
    return f"{what} needs {joined}: no room has {'both' if len(labels) == 2 else 'all of them'}"


# --------------------------------------------------------------------------------------
# Pools
# --------------------------------------------------------------------------------------


def build_pools(scenario: Scenario, grid: Grid, fit: BoolArray, zone_pos: dict[str, int],
                pool_rooms: bool = True) -> tuple[list[Pool], IntArray]:
    """Group rooms that no event can tell apart (or, without ``pool_rooms``, give each room its own pool);
    returns the pools and each room's pool."""
    groups: dict[tuple[object, ...], list[int]] = defaultdict(list)
    open_masks: list[BoolArray] = []
    for r, room in enumerate(scenario.rooms):
        closed = np.zeros(grid.n_slots, dtype=bool)
        for window in room.unavailable:
            closed |= grid.slots_touching(window.start, window.end)
        open_masks.append(~closed)
        key = (room.zone, room.changeover_minutes, closed.tobytes(), fit[:, r].tobytes(), None if pool_rooms else r)
        groups[key].append(r)
    pools: list[Pool] = []
    room_pool = np.full(len(scenario.rooms), -1, dtype=np.int64)
    for members in groups.values():
        if not fit[:, members[0]].any():
            continue  # a room no event can use needs no pool
        index = len(pools)
        room = scenario.rooms[members[0]]
        opened = open_masks[members[0]].astype(np.int64) * len(members)
        pools.append(Pool(index, tuple(members), zone_pos[room.zone], grid.slots_for(room.changeover_minutes),
                          opened))
        room_pool[members] = index
    return pools, room_pool


# --------------------------------------------------------------------------------------
# Feasible starts
# --------------------------------------------------------------------------------------


def _runs_fit(ok: BoolArray, duration: int, day_end: IntArray) -> BoolArray:
    """start[t]: slots t .. t+duration-1 are all ok and within t's day."""
    n = ok.shape[0]
    prefix = np.concatenate([[0], np.cumsum(ok.astype(np.int64))])
    ends = np.arange(n) + duration
    inside = ends <= day_end
    clipped = np.minimum(ends, n)
    return inside & ((prefix[clipped] - prefix[: n]) == duration)


def participant_availability(scenario: Scenario, grid: Grid) -> BoolArray:
    """available[p, t]: participant p is available for the whole of slot t."""
    result = np.ones((len(scenario.participants), grid.n_slots), dtype=bool)
    for p, person in enumerate(scenario.participants):
        if person.available is None:
            continue
        mask = np.zeros(grid.n_slots, dtype=bool)
        for window in person.available:
            mask |= grid.slots_inside(window.start, window.end)
        result[p] = mask
    return result


def _explain_no_start(scenario: Scenario, grid: Grid, event: Event, duration: int, window_ok: BoolArray,
                      start_ok: BoolArray, people_ok: BoolArray, people: list[int],
                      rooms: list[Room]) -> tuple[str, str, tuple[str, ...]]:
    """Why no start works: the event's own window or pin, its participants' common time, or room closures
    (named, with their reasons)."""
    what = f"{event.kind.replace('_', ' ')} {event.id}"
    minutes = event.duration_minutes
    day_end = grid.day_end_slot
    if not (_runs_fit(window_ok, duration, day_end) & start_ok).any():
        close = _close_passed(grid, event, duration)
        if close is not None:
            return ("pinned_start_impossible", f"{what} is pinned at {grid.time_of(close[0]):%H:%M on %d %b} for "
                    f"{minutes} minutes, past the day's close at {close[1]:%H:%M}: only an event that runs (a "
                    f"summit-day report) may end after the close", ())
        if event.pinned is not None and event.pinned.start is not None:
            return ("pinned_start_impossible",
                    f"{what} is pinned at {event.pinned.start:%H:%M on %d %b}, which is outside its allowed "
                    f"window or the day's hours", ())
        return ("window_too_short", f"{what} needs {minutes} minutes but its window "
                f"({_when(event.earliest, 'the first day')} to {_when(event.latest_end, 'the last day')}) "
                f"does not hold that within a day's hours", ())
    ids = tuple(scenario.participants[p].id for p in people)
    together = window_ok & people_ok
    if not (_runs_fit(together, duration, day_end) & start_ok).any():
        longest = _longest_run(together, day_end) * grid.slot_minutes
        names = " and ".join(ids) if len(ids) <= 3 else ", ".join(ids[:3]) + f" and {len(ids) - 3} more"
        if event.pinned is not None and event.pinned.start is not None:
            return ("pinned_start_unavailable", f"{what} is pinned at {event.pinned.start:%H:%M on %d %b}, "
                    f"when {names} {'is' if len(ids) == 1 else 'are'} not all available", ids)
        if longest == 0:
            return ("no_common_time", f"{names} are never available at the same time within "
                    f"{event.id}'s window; the event needs {minutes} minutes", ids)
        return ("common_window_too_short", f"the only common window of {names} is {longest} minutes, "
                f"the event needs {minutes}", ids)
    pinned = f" pinned at {event.pinned.start:%H:%M on %d %b}" if event.pinned and event.pinned.start else ""
    return ("rooms_closed", f"{what}{pinned}: every room that fits it is closed whenever its participants "
            f"are all available ({_closures(scenario, rooms)})", ids)


def _close_passed(grid: Grid, event: Event, duration: int) -> tuple[int, datetime] | None:
    """A pinned event's start slot and the day's close its run goes past (None when it is not pinned so)."""
    start = None if event.pinned is None or event.pinned.start is None else grid.slot_of(event.pinned.start)
    if start is None or start + duration <= int(grid.day_end_slot[start]):
        return None
    last = int(grid.day_end_slot[start]) - 1
    return start, grid.time_of(last) + timedelta(minutes=grid.slot_minutes)


def _closures(scenario: Scenario, rooms: list[Room]) -> str:
    """The fitting rooms' closures, each with its time and reason (a room closed by a change says why)."""
    said = []
    for room in rooms[:4]:
        spans = [f"{scenario.localise(w.start):%H:%M %d %b}-{scenario.localise(w.end):%H:%M %d %b}"
                 + (f" ({w.reason})" if w.reason else "") for w in room.unavailable]
        said.append(f"{room.id} closed " + ", ".join(spans) if spans else f"{room.id} has no closure")
    more = f"; and {len(rooms) - 4} more room(s)" if len(rooms) > 4 else ""
    return "; ".join(said) + more


def _when(moment: datetime | None, default: str) -> str:
    return f"{moment:%H:%M on %d %b}" if moment is not None else default


def _longest_run(ok: BoolArray, day_end: IntArray) -> int:
    best = run = 0
    for t in range(ok.shape[0]):
        run = run + 1 if ok[t] and (t == 0 or day_end[t] == day_end[t - 1]) else (1 if ok[t] else 0)
        best = max(best, run)
    return best


# --------------------------------------------------------------------------------------
# The whole compilation
# --------------------------------------------------------------------------------------


def compile_scenario(scenario: Scenario, pool_rooms: bool = True, shorten: bool = False,
                     short_before: AbstractSet[str] = frozenset(), waivers: Waivers = Waivers()) -> Instance:
    """The scenario as integer slots and placements. Identical rooms share a pool (the model counts them);
    ``pool_rooms=False`` keeps every room apart, for models that must know the concrete room (many more
    placements). With ``shorten`` (a re-plan after a report), an event with a minimum duration that is not pinned
    also gets shortened placements: every length on the grid from its minimum up, at every start it fits then.
    ``short_before`` names events a former re-plan shortened: they get them too, pinned or not (a frozen one may
    stay as short as it stands). ``waivers``: what a re-plan after a report waives (:class:`Waivers`)."""
    grid = build_grid(scenario)
    zone_ids = [z.id for z in scenario.zones]
    zone_pos = {z: i for i, z in enumerate(zone_ids)}
    participant_index = {p.id: i for i, p in enumerate(scenario.participants)}
    event_index = {e.id: i for i, e in enumerate(scenario.events)}
    vvip = np.asarray([p.tier == "vvip" for p in scenario.participants], dtype=bool)
    events = list(scenario.events)

    fit = room_fit(scenario)
    pools, room_pool = build_pools(scenario, grid, fit, zone_pos, pool_rooms)
    duration = np.asarray([grid.slots_for(e.duration_minutes) for e in events], dtype=np.int64)
    past_close = _past_close(grid, events, duration, waivers.facts)
    for e, over in past_close.items():
        duration[e] -= over
    event_people = [np.asarray([participant_index[p] for p in e.participants], dtype=np.int64) for e in events]
    has_vvip = np.asarray([bool(vvip[ps].any()) if ps.size else False for ps in event_people], dtype=bool)
    context = _PlacementContext(scenario, grid, fit, pools, room_pool, participant_availability(scenario, grid),
                                grid.slots_for(scenario.sweep_minutes))
    found = _Placements()
    for e, event in enumerate(events):
        shortest = _shortest(scenario, event, int(duration[e]), event.id in short_before) \
            if shorten or event.id in short_before else int(duration[e])
        _place_event(context, found, e, event, event_people[e], int(duration[e]), bool(has_vvip[e]), shortest,
                     event.id in waivers.facts)

    instance = Instance(
        scenario=scenario, grid=grid, events=events, rooms=list(scenario.rooms), zone_ids=zone_ids,
        pools=pools, travel_slots=_travel_slots(scenario, grid, zone_pos), duration=duration,
        required=np.asarray([e.required for e in events], dtype=bool),
        priority=np.asarray([e.priority for e in events], dtype=np.int64),
        has_vvip=has_vvip, exclusive=np.asarray([e.exclusive for e in events], dtype=bool),
        event_participants=event_people,
        predecessors=[[event_index[a] for a in e.after] for e in events],
        item_event=_cat(found.event), item_pool=_cat(found.pool), item_start=_cat(found.start),
        item_lead=_cat(found.lead), item_cut=_cat(found.cut), prechecks=found.prechecks, event_index=event_index,
        participant_index=participant_index, room_index={r.id: i for i, r in enumerate(scenario.rooms)},
    )
    _drop_orphans_of_impossible_predecessors(instance)
    instance.event_items = _group_items(instance.item_event, len(events))
    if waivers.pairs:
        instance.facts = frozenset(event_index[name] for name in waivers.facts if name in event_index)
        instance.fixed = frozenset(event_index[name] for name in waivers.fixed if name in event_index)
    instance.availability_waived = found.availability_waived
    instance.past_close = {e: over for e, over in past_close.items() if instance.event_items[e].size}
    return instance


def _past_close(grid: Grid, events: list[Event], duration: IntArray, facts: AbstractSet[str]) -> dict[int, int]:
    """The facts (events that run or ran) pinned so that their run goes past their day's close, and by how many slots.

    A running event that overruns the end of the day is not refused: it ends when it ends. The model holds it to the
    close (nothing else can be placed after the close that day, so no rule within the day is lost, and the next day
    starts afresh), while the timetable says its true end (extraction reads the scenario's duration). Any other event
    pinned past the close gets no placement (its precheck says so)."""
    past: dict[int, int] = {}
    for e, event in enumerate(events):
        if event.id not in facts or event.pinned is None or event.pinned.start is None:
            continue
        start = grid.slot_of(event.pinned.start)
        if start is None:
            continue
        over = start + int(duration[e]) - int(grid.day_end_slot[start])
        if over > 0:
            past[e] = over
    return past


def _shortest(scenario: Scenario, event: Event, duration: int, short_before: bool) -> int:
    """The fewest slots an event may run when a re-plan shortens it (its duration when it is pinned, unless a former
    re-plan shortened it: what is pinned runs as planned, and what runs or is reported is pinned)."""
    if event.pinned is not None and event.pinned.start is not None and not short_before:
        return duration
    return min(duration, math.ceil(scenario.min_duration(event) / scenario.slot_minutes))


def _travel_slots(scenario: Scenario, grid: Grid, zone_pos: dict[str, int]) -> IntArray:
    """Slots of travel between each pair of zones (symmetric; none within a zone)."""
    travel = np.zeros((len(zone_pos), len(zone_pos)), dtype=np.int64)
    for hop in scenario.travel_minutes:
        a, b = zone_pos[hop.from_], zone_pos[hop.to]
        if a != b:
            travel[a, b] = travel[b, a] = grid.slots_for(hop.minutes)
    return travel


@dataclass
class _PlacementContext:
    """What every event's placements are computed from (built once per compile)."""

    scenario: Scenario
    grid: Grid
    fit: BoolArray
    pools: list[Pool]
    room_pool: IntArray
    available: BoolArray
    sweep: int


@dataclass
class _Placements:
    """The placements found so far (one array per event and pool) and the events that have none."""

    event: list[IntArray] = field(default_factory=list)
    pool: list[IntArray] = field(default_factory=list)
    start: list[IntArray] = field(default_factory=list)
    lead: list[IntArray] = field(default_factory=list)
    cut: list[IntArray] = field(default_factory=list)
    prechecks: list[Precheck] = field(default_factory=list)
    availability_waived: dict[int, list[tuple[int, int, int]]] = field(default_factory=dict)  # (Instance's)


def _cat(parts: list[IntArray]) -> IntArray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _event_slot_masks(grid: Grid, event: Event) -> tuple[BoolArray, BoolArray]:
    """Slots inside the event's own window, and slots it may start in (only its pinned start, if pinned)."""
    window_ok = np.ones(grid.n_slots, dtype=bool)
    if event.earliest is not None:
        window_ok &= grid.slot_start_minute >= _minutes(event.earliest)
    if event.latest_end is not None:
        window_ok &= grid.slot_start_minute + grid.slot_minutes <= _minutes(event.latest_end)
    start_ok = np.ones(grid.n_slots, dtype=bool)
    if event.pinned is not None and event.pinned.start is not None:
        start_ok[:] = False
        pinned = grid.slot_of(event.pinned.start)
        if pinned is not None:
            start_ok[pinned] = True
    return window_ok, start_ok


def _people_ok(context: _PlacementContext, people: IntArray, start_ok: BoolArray, duration: int,
               fact: bool) -> tuple[BoolArray, list[tuple[int, int, int]]]:
    """The slots where the event's participants are all available, and whom a fact keeps past their availability.

    An event that runs (a fact: reported running, or started) is pinned where it runs. When its participants were all
    there at its start but its run (longer now: it runs late) goes past the end of one's availability, the fact keeps
    them: their availability is waived for the rest of its run, for this event only (the re-plan says whom it keeps
    and whom to tell). Any other event is still refused where its people are away."""
    ok = np.ones(context.grid.n_slots, dtype=bool)
    if not people.size:
        return ok, []
    ok &= context.available[people].all(axis=0)
    starts = np.flatnonzero(start_ok)
    if not fact or starts.size != 1 or not ok[starts[0]]:
        return ok, []
    start = int(starts[0])
    end = min(start + duration, int(context.grid.day_end_slot[start]))
    run: BoolArray = context.available[people, start:end]
    away = np.asarray(~run.all(axis=1), dtype=bool)
    if not away.any():
        return ok, []
    ok[start:end] = True
    return ok, [(int(p), start + int(np.argmin(run[k])), int((~run[k]).sum())) for k, p in enumerate(people.tolist())
                if away[k]]


def _place_event(context: _PlacementContext, found: _Placements, e: int, event: Event, people: IntArray,
                 duration: int, has_vvip: bool, shortest: int, fact: bool = False) -> None:
    """Every (pool, start) where the event fits its window, its people's availability (a fact's run waives it:
    :func:`_people_ok`) and an open room of the pool, for its duration and then for each shorter length down to
    ``shortest`` slots; an event with none gets a precheck saying why."""
    grid = context.grid
    window_ok, start_ok = _event_slot_masks(grid, event)
    people_ok, kept = _people_ok(context, people, start_ok, duration, fact)
    fitting_rooms = np.flatnonzero(context.fit[e])
    candidate_pools = sorted({int(context.room_pool[r]) for r in fitting_rooms if context.room_pool[r] >= 0})
    if not candidate_pools:
        found.prechecks.append(Precheck(e, "no_room_fits", _explain_no_room(context.scenario, event)))
        return
    own_ok = window_ok & people_ok
    placed = False
    for p in candidate_pools:
        pool = context.pools[p]
        ok = own_ok & (pool.rooms_open > 0)
        lead = max(pool.changeover_slots, context.sweep if has_vvip else 0)
        for length in range(duration, shortest - 1, -1):
            starts = np.flatnonzero(_runs_fit(ok, length, grid.day_end_slot) & start_ok)
            if starts.size == 0:
                continue
            placed = True
            found.event.append(np.full(starts.size, e, dtype=np.int64))
            found.pool.append(np.full(starts.size, p, dtype=np.int64))
            found.start.append(starts.astype(np.int64))
            found.lead.append(np.full(starts.size, lead, dtype=np.int64))
            found.cut.append(np.full(starts.size, duration - length, dtype=np.int64))
    if placed and kept:
        found.availability_waived[e] = kept
    if not placed:
        fitting = [context.scenario.rooms[r] for r in fitting_rooms]
        code, message, ids = _explain_no_start(context.scenario, grid, event, duration,
                                               window_ok, start_ok, people_ok, list(people), fitting)
        found.prechecks.append(Precheck(e, code, message, participants=ids))


def _drop_orphans_of_impossible_predecessors(instance: Instance) -> None:
    """An event that must follow an impossible event is impossible too (H10)."""
    impossible = {c.event for c in instance.prechecks}
    changed = True
    while changed:
        changed = False
        for e, before in enumerate(instance.predecessors):
            if e in impossible:
                continue
            blocked = [b for b in before if b in impossible]
            if blocked:
                impossible.add(e)
                changed = True
                names = ", ".join(instance.events[b].id for b in blocked)
                instance.prechecks.append(Precheck(e, "predecessor_impossible",
                                                   f"{instance.events[e].id} must follow {names}, "
                                                   f"which cannot be scheduled"))
    if impossible:
        keep = ~np.isin(instance.item_event, np.asarray(sorted(impossible), dtype=np.int64))
        instance.item_event = instance.item_event[keep]
        instance.item_pool = instance.item_pool[keep]
        instance.item_start = instance.item_start[keep]
        instance.item_lead = instance.item_lead[keep]
        instance.item_cut = instance.item_cut[keep]


def _group_items(item_event: IntArray, n_events: int) -> list[IntArray]:
    order = np.argsort(item_event, kind="stable")
    bounds = np.searchsorted(item_event[order], np.arange(n_events + 1))
    return [order[bounds[e]: bounds[e + 1]] for e in range(n_events)]
