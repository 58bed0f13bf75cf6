"""One check for every "is it possible after this edit?" question.

An explanation asks it of each lever ("would one more room let this request in?"), a re-plan's verdict of each change
it blames and each lever it offers. The edits are changes (``solver.changes``), applied with their own ``apply`` as
every change is; the events that must happen are marked required; the greedy start (which keeps every rule) or
else CP-SAT answers whether the required events can all be placed. Asked of a part of the summit (``only``: some
events and what they must follow), a "no" holds for the whole summit too (fewer events compete for the same rooms,
people and time), a "yes" does not.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from solver import cpsat
from solver.changes import Change, apply_to_document
from solver.compile import Waivers, compile_scenario
from solver.model.build import build_model
from solver.model.constraints import all_rows
from solver.model.greedy import greedy_placements
from solver.scenario import Scenario, ScenarioError, parse_scenario
from solver.timetable import Assignment


def possible(scenario: Scenario, changes: Sequence[Change] = (), *, search: cpsat.Search,
             required: Collection[str] = (), only: Collection[str] | None = None, undecided: bool = False,
             waivers: Waivers = Waivers()) -> bool:
    """Can every required event of ``scenario`` and every event of ``required`` all happen once ``changes`` are
    made? ``undecided``: the answer when the search ends without a proof either way (see :func:`check`)."""
    answer = check(scenario, changes, search=search, required=required, only=only, waivers=waivers)
    return undecided if answer is None else answer


def check(scenario: Scenario, changes: Sequence[Change] = (), *, search: cpsat.Search,
          required: Collection[str] = (), only: Collection[str] | None = None,
          hint: Sequence[Assignment] = (), fixed: Sequence[Assignment] = (), waivers: Waivers = Waivers()
          ) -> bool | None:
    """Can every required event of ``scenario`` and every event of ``required`` all happen once ``changes`` are
    made? True: a timetable was found; False: proven impossible (or a change does not apply: an unknown id, an
    invalid summit after it); None: the search ended first. An event an edit removed is no longer asked for.
    ``only``: the summit reduced to these events and what they must follow (optional events are left out in any
    case: they can always stay out). ``hint``: a timetable to start from
    (the standing one: an edit that lets an event in usually moves little). ``fixed``: placements whose events keep
    their start (pinned to it; their rooms may be reassigned): the search moves only the other events, so a "no"
    then says nothing of the summit. ``waivers``: a re-plan's, when the question is asked of its summit (the same
    summit it solved: :class:`solver.compile.Waivers`)."""
    document, problems = apply_to_document(scenario, changes, "lever")
    if problems:
        return False
    where = {a.event: a for a in fixed}
    for event in document["events"]:
        if event["id"] in required:
            event["required"] = True
        if event["id"] in where:
            event["pinned"] = {"start": scenario.localise(where[event["id"]].start).isoformat()}
    # Optional events can always stay out: only the required ones (and what they follow) can make it impossible.
    asked = {e["id"] for e in document["events"] if e.get("required")}
    keep = with_predecessors(document, asked if only is None else asked & set(only))
    document["events"] = [dict(e, after=[a for a in e.get("after", []) if a in keep])
                          for e in document["events"] if e["id"] in keep]
    try:
        instance = compile_scenario(parse_scenario(document), waivers=waivers)
    except ScenarioError:
        return False
    if any(instance.required[c.event] for c in instance.prechecks):
        return False  # a required event fits nowhere at all: no search needed
    rows = all_rows(instance)
    if (greedy_placements(instance, rows)[np.flatnonzero(instance.required)] >= 0).all():
        return True  # the greedy start keeps every rule (it reads the same rows as the model): that is a timetable
    built = build_model(instance, with_objective=False, rows=rows)
    if hint:
        from solver.replan.plan import placements_of  # (the re-plan package imports this module)

        chosen = placements_of(instance, list(hint))
        on = np.zeros(instance.n_items, dtype=bool)
        on[chosen[chosen >= 0]] = True
        cpsat.hint_placements(built.model, on)
    status, _ = cpsat.run(built.model, search)
    if status == cp_model.INFEASIBLE:
        return False
    return True if cpsat.found(status) else None


def with_predecessors(document: dict[str, Any], events: set[str]) -> set[str]:
    """These events of the scenario document and every event they must follow ('after'), transitively."""
    after = {e["id"]: set(e.get("after", [])) for e in document["events"]}
    keep, stack = set(), list(events)
    while stack:
        event = stack.pop()
        if event in after and event not in keep:
            keep.add(event)
            stack.extend(after[event])
    return keep
