"""A first repair when a displaced event fits nowhere with the rest in place: it makes way, as a planner does.

The displaced event takes the placement whose neighbours are the cheapest to move; they give way and are placed
again, each where it fits (the cheapest such placement) or, if nowhere, where what it meets is cheapest to move,
and so on (an ejection chain). This is how the signing ceremony moves when a signer lands late: the hour that
disturbs the fewest meetings of its signers, then those meetings elsewhere, then what they meet. It needs no
search (rows and sums), so a repair, or a start that misses a few events, is in hand at once for the searches
to complete and improve and for the relaxation to prove.
"""

from __future__ import annotations

import time
from collections.abc import Set as AbstractSet

import numpy as np

from solver.compile import Instance
from solver.model.eject import FloatArray, Pushes, ejection_chain
from solver.model.rows import IntArray, Rows
from solver.model.submodel import RowMatrix
from solver.replan.plan import PreviousPlan

# how many placements one chain may make before it gives up (each a few numpy sums)
CHAIN_STEPS = 400
# how often one event may be pushed aside in a chain (a bound on cycling; each time it costs more to push again)
TIMES_DISPLACED = 4
_NOWHERE = 10**9


def displacing_repair(instance: Instance, plan: PreviousPlan, rows: Rows, hit: AbstractSet[int],
                      wanted: AbstractSet[int], seconds: float | None = None) -> tuple[IntArray, bool]:
    """A start for the repair searches, and whether it is a whole repair (every ``wanted`` event placed, every
    row within its bound). Every wanted event stays where it was, but the ``hit`` ones, which make way for
    themselves (the largest first) by the ejection chain of :mod:`solver.model.eject` (and the events that must
    follow them, placed again once they are, each where it stood if it still fits): each takes its cheapest
    placement that fits, else the one whose events in the way are cheapest to move (the price of each its
    cheapest move, times one more than the times it was pushed already; never a ``hit`` event once placed, nor one
    pushed aside ``TIMES_DISPLACED`` times). The chain stops after ``seconds`` (counted once the rows are indexed)
    with what it has placed."""
    chosen = np.full(len(instance.events), -1, dtype=np.int64)
    for e, item in plan.keep_item.items():
        if e not in hit and e in wanted:
            chosen[e] = item
    matrix = RowMatrix.of(rows, instance.n_items)
    deadline = None if seconds is None else time.monotonic() + seconds
    waiting = sorted((e for e in hit & wanted if instance.event_items[e].size),
                     key=lambda e: -len(instance.events[e].participants))
    base = np.asarray([plan.cheapest_move(instance, e) or _NOWHERE for e in range(len(instance.events))],
                      dtype=np.float64)
    protected = np.zeros(len(instance.events), dtype=bool)
    protected[list(hit)] = True

    def weigh(pushes: Pushes) -> FloatArray:
        return np.where(protected | (pushes.times >= TIMES_DISPLACED), np.inf, base * (1 + pushes.times))

    placed, _ = ejection_chain(instance, matrix, chosen, waiting, weigh, np.ones(len(instance.events), dtype=bool),
                               plan.item_cost, max_steps=CHAIN_STEPS, deadline=deadline)
    whole = all(placed[e] >= 0 for e in wanted if instance.event_items[e].size)
    return placed, whole
