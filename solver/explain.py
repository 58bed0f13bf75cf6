"""Explaining an infeasible scenario: a small set of required events that cannot all happen.

Each required event's "must be placed" constraint is switched by an assumption literal;
CP-SAT on one worker (with more, every assumption comes back: or-tools #3102) returns a
sufficient set, which is then shrunk by deletion until removing any one event from it
makes the rest feasible.
"""

from __future__ import annotations

import logging

from ortools.sat.python import cp_model

from solver.compile import Instance
from solver.model.build import build_model
from solver.timetable import Diagnostic

log = logging.getLogger(__name__)


def _infeasible_with(built_model: cp_model.CpModel, assumptions: list[cp_model.IntVar],
                     time_limit: float) -> bool | None:
    """True if the model is infeasible under these assumptions, False if feasible, None if unknown."""
    built_model.clear_assumptions()
    built_model.add_assumptions(assumptions)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = time_limit
    status = solver.solve(built_model)
    if status == cp_model.INFEASIBLE:
        return True
    if status in (cp_model.FEASIBLE, cp_model.OPTIMAL):
        return False
    return None


def conflicting_required_events(instance: Instance, time_limit: float = 10.0) -> list[int] | None:
    """A minimal set of required events that cannot all be placed, or None if none is found."""
    built = build_model(instance, with_assumptions=True)
    model = built.model
    model.clear_objective()
    literals = dict(built.event_assumption)
    by_index = {lit.Index(): event for event, lit in literals.items()}
    model.add_assumptions(list(literals.values()))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = time_limit
    if solver.solve(model) != cp_model.INFEASIBLE:
        return None
    core = [by_index[i] for i in solver.sufficient_assumptions_for_infeasibility() if i in by_index]
    if not core:
        return [] if _infeasible_with(model, [], time_limit) else None
    # Shrink by deletion: drop each event in turn and keep it out if the rest is still infeasible.
    kept = list(core)
    for event in list(core):
        trial = [e for e in kept if e != event]
        if _infeasible_with(model, [literals[e] for e in trial], time_limit / 4):
            kept = trial
    return kept


def explain_infeasible(instance: Instance, time_limit: float = 10.0) -> list[Diagnostic]:
    events = conflicting_required_events(instance, time_limit)
    if events is None:
        return [Diagnostic(code="infeasible_unexplained",
                           message="the required events cannot all be scheduled, and no small conflicting "
                                   "set was found in time")]
    if not events:
        return [Diagnostic(code="infeasible_structure",
                           message="the scenario's rules contradict each other even before any required "
                                   "event is demanded")]
    names = [instance.events[e] for e in events]
    people = sorted({p for e in names for p in e.participants
                     if sum(p in other.participants for other in names) > 1})
    listing = ", ".join(f"{e.id} ({e.duration_minutes} min)" for e in names)
    shared = f"; they share {', '.join(people)}" if people else ""
    return [Diagnostic(code="required_events_conflict",
                       message=f"these required events cannot all be scheduled together: {listing}{shared}. "
                               f"Removing or relaxing any one of them makes the rest possible.",
                       events=[e.id for e in names], participants=people)]
