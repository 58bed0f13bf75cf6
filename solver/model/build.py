"""Compiled instance -> CP-SAT model.

One boolean per placement (event, room pool, start). Each event takes at most one
placement (exactly one if it is required, H1); the constraint families of
:mod:`solver.model.constraints` add their rows; :mod:`solver.model.objective` says what
to maximise. Rows go straight into the model's protobuf: building expressions in Python
costs far more per term.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from solver.compile import Instance
from solver.model.constraints import ALL_FAMILIES, Family, all_rows
from solver.model.objective import ObjectiveTerms, objective_terms
from solver.model.rows import IntArray, Rows


@dataclass
class BuiltModel:
    model: cp_model.CpModel
    n_placements: int  # the model's variables 0..n-1 are the placements, in the instance's order
    rows: Rows
    objective: ObjectiveTerms
    delegation_served: list[cp_model.IntVar]
    event_assumption: dict[int, cp_model.IntVar]  # only when built for explanations
    block_starts: list[cp_model.IntVar] = field(default_factory=list)


def add_linear(model: cp_model.CpModel, items: IntArray, coefs: IntArray, lower: int, upper: int,
               enforced_by: int | None = None) -> None:
    """lower <= sum(coefs * x[items]) <= upper, written straight into the model's protobuf."""
    constraint = model.proto.constraints.add()
    if enforced_by is not None:
        constraint.enforcement_literal.append(enforced_by)
    constraint.linear.vars.extend(items.tolist())
    constraint.linear.coeffs.extend(coefs.tolist())
    constraint.linear.domain.extend([lower, upper])


def each_event_is_placed_once(instance: Instance, built: BuiltModel) -> None:
    """H1/H2: a required event gets exactly one room and start; an optional one at most one."""
    for event, items in enumerate(instance.event_items):
        if items.size == 0:
            continue
        ones = np.ones(items.size, dtype=np.int64)
        if not instance.required[event]:
            add_linear(built.model, items, ones, 0, 1)
            continue
        assumption = built.event_assumption.get(event)
        if assumption is None:
            add_linear(built.model, items, ones, 1, 1)
        else:  # explanations switch the "must be placed" half on and off
            add_linear(built.model, items, ones, 0, 1)
            add_linear(built.model, items, ones, 1, 1, assumption.Index())


def build_model(instance: Instance, families: tuple[Family, ...] = ALL_FAMILIES,
                with_assumptions: bool = False, rows: Rows | None = None, with_objective: bool = True) -> BuiltModel:
    """The model of the instance; ``with_objective=False`` leaves out the summit objective and its helper
    variables (for callers that set their own, e.g. re-planning)."""
    model = cp_model.CpModel()
    new_booleans(model, instance.n_items)  # (the placements: variables 0..n-1)
    rows = rows if rows is not None else all_rows(instance, families)
    terms = objective_terms(instance)
    built = BuiltModel(model, instance.n_items, rows, terms, [], {})
    if with_assumptions:
        for event in range(len(instance.events)):
            if instance.required[event] and instance.event_items[event].size:
                built.event_assumption[event] = model.new_bool_var(f"keep_{instance.events[event].id}")
    each_event_is_placed_once(instance, built)
    for items, coefs, upper in zip(rows.items, rows.coefs, rows.upper, strict=True):
        lower = int(coefs[coefs < 0].sum())
        add_linear(model, items, coefs, lower, upper)
    if not with_objective:
        return built

    # Objective: weighted primary + delegations served (see objective.py).
    served = []
    for d, items in enumerate(terms.delegation_items):
        flag = model.new_bool_var(f"served{d}")
        # served -> at least one of the delegation's placements
        add_linear(model, np.concatenate([[flag.Index()], items]).astype(np.int64),
                    np.concatenate([[1], -np.ones(items.size, dtype=np.int64)]).astype(np.int64),
                    -int(items.size), 0)
        served.append(flag)
    built.delegation_served = served
    # Block starts of vvip leaders: start >= busy(t) - busy(t - 1); the objective rewards fewer.
    starts = []
    for now, before in terms.block_starts:
        flag = model.new_bool_var("")
        add_linear(model, np.concatenate([[flag.Index()], now, before]).astype(np.int64),
                    np.concatenate([[1], -np.ones(now.size), np.ones(before.size)]).astype(np.int64),
                    0, 1 + int(before.size))
        starts.append(flag)
    built.block_starts = starts
    valued = np.flatnonzero(terms.item_value)
    variables = valued.tolist() + [flag.Index() for flag in served] + [flag.Index() for flag in starts]
    weights = ((terms.item_value[valued] * terms.weight).tolist() + [terms.fairness_weight] * len(served)
               + [-1] * len(starts))
    if variables:
        # maximize, written as CP-SAT stores it: minimise the negation, scaled by -1
        objective = model.proto.objective
        objective.vars.extend(variables)
        objective.coeffs.extend([-w for w in weights])
        objective.scaling_factor = -1.0
        objective.offset = -float(terms.lowest_range)  # value = ... + (B - starts) >= 0
    return built


def new_booleans(model: cp_model.CpModel, count: int) -> IntArray:
    """``count`` new boolean variables of ``model`` (straight into the proto: 10x faster), their indices."""
    variables = model.proto.variables
    first = len(variables)
    for _ in range(count):
        variables.add().domain.extend([0, 1])
    return np.arange(first, first + count, dtype=np.int64)


def add_hint(built: BuiltModel, chosen: IntArray) -> None:
    """Hint a complete assignment: the chosen placement of each event, and every other off."""
    on = np.zeros(built.n_placements, dtype=np.int64)
    on[chosen[chosen >= 0]] = 1
    hint = built.model.proto.solution_hint
    hint.vars.extend(range(built.n_placements))
    hint.values.extend(on.tolist())
    for flag, items in zip(built.delegation_served, built.objective.delegation_items, strict=True):
        built.model.add_hint(flag, bool(on[items].any()))
    for flag, (now, before) in zip(built.block_starts, built.objective.block_starts, strict=True):
        built.model.add_hint(flag, bool(on[now].any() and not on[before].any()))


def cap_primary(built: BuiltModel, cap: int) -> None:
    """Primary objective <= cap (a proven bound): lets CP-SAT stop as soon as it reaches it."""
    valued = np.flatnonzero(built.objective.item_value)
    add_linear(built.model, valued.astype(np.int64), built.objective.item_value[valued], 0, cap)
