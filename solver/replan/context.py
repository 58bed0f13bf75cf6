"""Everything a re-plan's steps read: the summit before and after the change, the previous plan seen from the changed
summit, the events the change displaced or names, the settings and the time; and the relaxation that may run
beside the searches (:class:`Context`, made by :func:`prepare`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from solver.changes import (
    REPORTS_ON_EVENTS,
    AnyChange,
    ParticipantArrived,
    ParticipantDelayed,
    PinEvent,
    apply_changes,
)
from solver.compile import BoolArray, Instance, Waivers, compile_scenario
from solver.model.constraints import all_rows
from solver.model.rows import Rows
from solver.model.waive import fixed_overlaps
from solver.replan.budget import SHARES, Budget, Phases, ReplanConfig, slowdown_since
from solver.replan.change import (
    following_the_pushed,
    freeze,
    from_now,
    in_the_way_of_reports,
    lifted,
    named_events,
    opens_capacity,
    over_capacity,
    placed_reports,
    started_outside_windows,
)
from solver.replan.hold import held_by_freeze
from solver.replan.plan import PreviousPlan
from solver.replan.relaxation import RelaxationBeside
from solver.replan.reports import availability_notes, close_notes, overlap_notes, report_notes, reported_events
from solver.replan.search import PLACEMENTS_PER_SECOND
from solver.scenario import Scenario
from solver.timetable import ScenarioRef, Timetable
from solver.validate import runs_shorter

# the summit day's reports: facts the plan gives way to, shortening an event with a minimum duration if it must
REPORTS = (*REPORTS_ON_EVENTS, ParticipantDelayed, ParticipantArrived)


@dataclass
class Context:
    scenario: Scenario  # as it was
    previous: Timetable  # the standing timetable
    now: datetime | None
    changes: list[tuple[AnyChange, AnyChange]]  # each change as written, and as it applies from now on
    changed: Scenario  # the new scenario version (no freezing pins)
    working: Scenario  # what the searches solve: changed, with the past and the freeze window pinned
    frozen: list[str]
    unfrozen: set[str]  # events within the freeze window that may move (lifted by the planner, or in a fact's way)
    reported: set[str]  # events a report pins where they run (their own time window waived)
    notes: list[str]  # what the re-plan says about the reports (rounding to the grid, waived windows, lifted freezes)
    instance: Instance
    ref: ScenarioRef
    plan: PreviousPlan
    named: set[int]  # the events the change names (or leaves over a cut resource's capacity)
    hit: set[int]  # those and the ones it displaced: where the searches start
    over_capacity: set[str]
    opened: bool  # the change gives time, rooms or capacity: requests left out before may come in
    candidates: set[int]  # those requests (grows when an event has to go)
    wanted: list[int]  # what a repair must try to keep: every previously scheduled event, every named one
    wanted_mask: BoolArray
    config: ReplanConfig
    budget: Budget
    stop: threading.Event | None
    phases: Phases = field(default_factory=Phases)
    beside: RelaxationBeside | None = None  # the relaxation on a worker of its own, while it runs
    _rows: Rows | None = None
    # events whose own time window is waived: the reported ones, and those that started outside it (facts)
    waived: set[str] = field(default_factory=set)
    # a re-plan after a report: an event with a minimum duration may run shorter (its compile has such placements)
    shorten: bool = False
    short_before: set[str] = field(default_factory=set)  # events a former re-plan shortened: they may stay so
    # the rules waived between a fact and what cannot move: (the running event, the other, the rule)
    overlaps: list[tuple[str, str, str]] = field(default_factory=list)
    # events the freeze window keeps where they are in every search (required there: solver.replan.hold)
    held: set[str] = field(default_factory=set)
    # what the re-plan waives after a report, for every compile of its summit (the proof's, the explanations')
    waivers: Waivers = field(default_factory=Waivers)
    # what the re-plan says of those waivers (a pair let overlap, people kept past their availability): said only with
    # a repair, where they apply
    waiver_notes: list[str] = field(default_factory=list)

    def placements(self, events: AbstractSet[int] | list[int] | None = None) -> int:
        """The placements of these events (None: the whole summit)."""
        return (self.instance.n_items if events is None
                else sum(int(self.instance.event_items[e].size) for e in events))

    def build_seconds(self, events: AbstractSet[int] | list[int] | None = None, passes: float = 2.0) -> float:
        """About how long building a model over these events (None: the whole summit) takes here and now."""
        return self.budget.build_seconds(self.placements(events), passes)

    def affords(self, events: AbstractSet[int] | list[int] | None = None, margin: float = 0.3,
                passes: float = 2.0) -> bool:
        """Whether the search time left covers a model over these events (None: the whole summit) and ``margin``
        seconds of search (:meth:`solver.budget.Budget.affords`)."""
        return self.budget.affords(self.placements(events), margin, passes)

    def search_seconds(self, step: str, events: AbstractSet[int] | list[int] | None = None) -> float:
        """The time a step's search may take: its share of the time left, but no more than what is left once its
        model over these events is built (the search's clock starts after the build)."""
        return min(self.budget.share(step), self.budget.left() - self.build_seconds(events))

    def rows(self) -> Rows:
        """The whole summit's rows (built once, when a step first needs them)."""
        if self._rows is None:
            self._rows = all_rows(self.instance)
        return self._rows

    @property
    def keep_all(self) -> list[int]:
        """What a wider search first tries to keep as a rule (not only a weight): every wanted event."""
        return self.wanted

    @property
    def keep_all_share(self) -> float:
        """The share of a wider search's time that keeping every wanted event as a rule may take: all of it, but half
        after a report (a fact the plan gives way to: an overrun may leave no room for all, and the weight keeps what
        it can in the other half). Without that first look, a search from a narrower level's repair that traded an
        untouched request for a displaced one (gen1: bil-0216 dropped for bil-0077) rarely finds the repair that
        keeps both in its time."""
        return 0.5 if self.reported else 1.0

    @property
    def availability_waived(self) -> list[str]:
        """The events that run past the end of their people's availability, kept there (a fact: :class:`Waivers`)."""
        return sorted(self.instance.events[e].id for e in self.instance.availability_waived)

    @property
    def day_close_waived(self) -> list[str]:
        """The events that run past their day's close, kept there (a fact: :class:`Waivers`)."""
        return sorted(self.instance.events[e].id for e in self.instance.past_close)

    @property
    def applied(self) -> list[AnyChange]:
        return [change for _, change in self.changes]

    def searching(self) -> int:
        """The workers of the repair searches: all but the relaxation's while it runs beside them."""
        return self.config.workers - 1 if self.beside is not None and self.beside.running else self.config.workers

    def interrupted(self) -> threading.Event | None:
        """What stops a search: the caller's signal, or, while the relaxation runs beside it, the relaxation
        stopping (its bound then proves the repair in hand, or its answer is the least disruptive repair, or the
        time is up: the search would only delay its word)."""
        return self.beside.settled if self.beside is not None and self.beside.running else self.stop

    def start_beside(self) -> None:
        """Start the relaxation around the change's events on a worker of its own (with two workers or more)."""
        if self.beside is None and self.config.workers >= 2:
            self.beside = RelaxationBeside(self.instance, self.plan, self.wanted_mask, self.hit,
                                           self.budget.search_end, self.config.seed, self.stop)

    def working_of(self, applied: list[AnyChange]) -> Scenario:
        """The summit a re-plan would solve with these changes (applied, the past and the freeze window pinned)."""
        return freeze(apply_changes(self.scenario, applied), self.previous, self.now, self.config.freeze_minutes,
                      self.unfrozen, self.reported, self.held)[0]


def _indices(instance: Instance, names: set[str]) -> set[int]:
    return {instance.event_index[name] for name in names if name in instance.event_index}


def prepare(scenario: Scenario, previous: Timetable, as_written: list[AnyChange], now: datetime | None,
            config: ReplanConfig, stop: threading.Event | None) -> Context:
    """Apply the changes (from ``now`` on), pin the past and the freeze window, compile, and see the previous plan
    from the changed summit."""
    started, cpu_started = time.monotonic(), time.thread_time()
    phases = Phases()
    # (reports a bad change at its place in the list as written; a report runs where the standing timetable has it)
    changed = apply_changes(scenario, placed_reports(scenario, as_written, previous))
    changes = from_now(scenario, as_written, now, previous)
    applied = [change for _, change in changes]
    if applied != as_written:
        changed = apply_changes(scenario, applied)
    reported = reported_events(applied)
    in_the_way = in_the_way_of_reports(changed, previous, reported, now)
    following = following_the_pushed(changed, previous, in_the_way, reported, now)
    # (a planner who pins an event within the freeze window places it: its freeze is lifted for that pin)
    repinned = {change.event for change in applied if isinstance(change, PinEvent)}
    unfrozen = lifted(changed, previous, now, config.unfreeze | repinned) | in_the_way | following
    working, frozen = freeze(changed, previous, now, config.freeze_minutes, unfrozen, reported)
    notes = report_notes(scenario, changed, applied, previous, now, config.freeze_minutes, in_the_way, following)
    shorten = any(isinstance(change, REPORTS) for change in applied)
    short_before = set(runs_shorter(changed, previous)) - reported
    instance = _compiled(working, previous, now, frozen, reported, shorten, short_before)
    overlaps = [(instance.events[o.running].id, instance.events[o.other].id, o.rule) for o in fixed_overlaps(instance)]
    waivers = Waivers(frozenset(instance.events[e].id for e in instance.facts),
                      frozenset(instance.events[e].id for e in instance.fixed), pairs=bool(overlaps))
    if not overlaps:
        instance.facts = frozenset()  # (nothing to waive: the rows need no second look, 0.2-0.4 s on Hanoi's)
    waiver_notes = (overlap_notes(changed, instance, overlaps) + availability_notes(changed, instance, reported)
                    + close_notes(changed, instance, reported))
    budget = Budget.of(started, config.time_limit, 0.6 + instance.n_items / PLACEMENTS_PER_SECOND, stop,
                       slowdown_since(started, cpu_started), SHARES)
    phases.mark("prepare")
    plan = PreviousPlan.of(instance, previous, config.weights)
    cut = over_capacity(changed, previous, applied)
    # (what a report's event runs into is named too: the fact leaves it no room where it stands)
    named = _indices(instance, named_events(applied) | cut | in_the_way | following)
    # Requests left out before stay out unless the change concerns them (they are then named) or opens time,
    # rooms or capacity they could use: a change that only takes something away cannot make room for them, and
    # looking anyway would re-open the whole summit's optimisation. A fresh solve is the way to look for more.
    opened = any(opens_capacity(scenario, changed, c) for c in applied)
    held = _held(instance, previous, now, frozen, set(plan.broken()) | named)
    if held:
        working = freeze(changed, previous, now, config.freeze_minutes, unfrozen, reported, held)[0]
        _require(instance, working, held)
    candidates = set(range(len(instance.events))) - set(plan.scheduled.tolist()) if opened else set()
    wanted = [e for e in sorted(set(plan.scheduled.tolist()) | named) if instance.event_items[e].size]
    wanted_mask = np.zeros(len(instance.events), dtype=bool)
    wanted_mask[wanted] = True
    phases.mark("previous_plan")
    return Context(scenario, previous, now, changes, changed, working, frozen, unfrozen, reported, notes, instance,
                   ScenarioRef(name=changed.name, fingerprint=changed.fingerprint()), plan, named,
                   set(plan.broken()) | named, cut, opened, candidates, wanted, wanted_mask, config, budget, stop,
                   phases, waived=reported | started_outside_windows(changed, previous, now), shorten=shorten,
                   short_before=short_before, overlaps=overlaps, held=held, waivers=waivers, waiver_notes=waiver_notes)


def _compiled(working: Scenario, previous: Timetable, now: datetime | None, frozen: list[str], reported: set[str],
              shorten: bool, short_before: set[str]) -> Instance:
    """The summit the searches solve, compiled, with its facts (what a report says runs, and what has started by
    ``now``) and the required events that cannot move (one placement), with what they must follow:
    :mod:`solver.model.waive`."""
    moment = None if now is None else working.localise(now)
    started = set() if moment is None else {a.event for a in previous.assignments
                                            if a.event in frozen and working.localise(a.start) < moment}
    instance = compile_scenario(working, shorten=shorten, short_before=short_before,
                                waivers=Waivers(facts=frozenset(reported | started)))
    # (and what such an event must follow: it must take place too)
    needed = instance.with_predecessors(np.flatnonzero(instance.required).tolist())
    instance.fixed = frozenset(e for e in needed if instance.event_items[e].size == 1)
    return instance


def _held(instance: Instance, previous: Timetable, now: datetime | None, frozen: list[str],
          moving: set[int]) -> set[str]:
    """The events within the freeze window (not started) that every search keeps where they are: those with room to
    stay, given the events the change moves (:func:`solver.replan.hold.held_by_freeze`)."""
    if now is None or not frozen:
        return set()
    moment = instance.scenario.localise(now)
    old = {a.event: instance.scenario.localise(a.start) for a in previous.assignments}
    waiting = {instance.event_index[name] for name in frozen
               if name in instance.event_index and name in old and old[name] >= moment}
    return {instance.events[e].id for e in held_by_freeze(instance, waiting, moving)}


def _require(instance: Instance, working: Scenario, held: set[str]) -> None:
    """The compiled summit with the held events required (the same placements: only their flag changes)."""
    instance.scenario, instance.events = working, list(working.events)
    instance.required[[instance.event_index[name] for name in held]] = True
