"""``resolve``: re-planning after last-minute changes (see :mod:`solver.replan`). It reads top-down:

    prepare -> (infeasible at once?) -> find -> improve and prove (improve.STEPS) -> answer (answer.ANSWER_STEPS)

The settings are one :class:`ReplanConfig`, the time one :class:`Budget` whose shares are named in
``budget.SHARES``, and what has been found one :class:`Ledger` that every step reads and writes.
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from datetime import datetime
from typing import Any

from solver.changes import AnyChange, parse_changes
from solver.replan.answer import (
    ANSWER_STEPS,
    ReplanResult,
    in_freeze_window,
    in_words,
    no_repair,
    repaired,
    without_repair,
)
from solver.replan.budget import ReplanConfig
from solver.replan.context import Context, prepare
from solver.replan.find import find
from solver.replan.improve import STEPS
from solver.replan.ledger import Ledger
from solver.replan.plan import DisruptionWeights
from solver.replan.reports import frozen_reason
from solver.scenario import Scenario
from solver.timetable import Diagnostic, Timetable

__all__ = ["ReplanConfig", "ReplanResult", "resolve"]


def resolve(scenario: Scenario, previous: Timetable, changes: list[AnyChange] | list[dict[str, Any]],
            now: datetime | None = None, freeze_minutes: int = 60, weights: DisruptionWeights | None = None,
            time_limit: float = 10.0, workers: int = 2, seed: int = 0, proof_seconds: float = 1.5,
            stop: threading.Event | None = None, config: ReplanConfig | None = None,
            unfreeze: Collection[str] = (), robust: bool | None = None) -> ReplanResult:
    """Re-plan after ``changes``, which apply from ``now`` on (the past stays as it was), moving as little as
    possible; within ``time_limit`` seconds, or until ``stop`` is set (the best repair found so far is answered).
    ``config`` replaces the keyword settings when given. Answers a repair (with its disruption and proven bound),
    or, with none, the standing timetable: ``unknown`` when none was found in time, ``infeasible`` with a proof."""
    config = config or ReplanConfig(time_limit, workers, seed, freeze_minutes, weights or DisruptionWeights(),
                                    proof_seconds, frozenset(unfreeze), robust)
    parsed = parse_changes(list(changes))  # (changes already parsed pass through as they are)
    ctx = prepare(scenario, previous, parsed, now, config, stop)
    impossible = _required_events_without_a_place(ctx)
    if impossible:
        return without_repair(ctx, "infeasible", in_words(ctx, impossible))
    if ctx.over_capacity:
        # After a resource cut the relaxation is nearly always needed (no placement broke: the first search is
        # rarely the least disruptive); it starts now and goes on beside the searches.
        ctx.start_beside()
    ledger = Ledger()
    find(ctx, ledger)
    if ledger.best is None:
        return no_repair(ctx, ledger)
    for step in STEPS + ANSWER_STEPS:
        step(ctx, ledger)
    return repaired(ctx, ledger)


def _required_events_without_a_place(ctx: Context) -> list[Diagnostic]:
    """Required events with no possible placement at all (the compiler's checks): a proof at once."""
    instance = ctx.instance
    kept = in_freeze_window(ctx)
    said = []
    for check in instance.prechecks:
        if instance.required[check.event]:
            name = instance.events[check.event].id
            message = check.message
            if name in kept and ctx.now is not None:
                message = frozen_reason(ctx.changed, ctx.previous, ctx.now, ctx.config.freeze_minutes, name, message)
            said.append(Diagnostic(code="frozen" if name in kept else check.code, message=message, events=[name],
                                   participants=list(check.participants)))
    return said
