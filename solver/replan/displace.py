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
from collections import deque
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

import numpy as np

from solver.compile import Instance
from solver.model.rows import IntArray, RowIndex, Rows
from solver.replan.plan import PreviousPlan

# how many placements one chain may make before it gives up (each a few numpy sums)
CHAIN_STEPS = 400
# how often one event may be pushed aside in a chain (a bound on cycling; each time it costs more to push again)
TIMES_DISPLACED = 4
_NOWHERE = 10**9


@dataclass
class _Board:
    """Placements on the rows as the chain goes: each row's load, and which event holds each placement."""

    instance: Instance
    rows: Rows
    index: RowIndex
    load: IntArray
    owner: IntArray  # per placement: the event holding it (-1: none)
    chosen: IntArray  # per event: its placement (-1: none)

    @classmethod
    def of(cls, instance: Instance, rows: Rows, placed: dict[int, int]) -> _Board:
        index = RowIndex.of(rows, instance.n_items)
        board = cls(instance, rows, index, np.zeros(index.upper.shape[0], dtype=np.int64),
                    np.full(instance.n_items, -1, dtype=np.int64), np.full(len(instance.events), -1, dtype=np.int64))
        for event, item in placed.items():
            board.put(event, item)
        return board

    def put(self, event: int, item: int) -> None:
        span = self.index.entries(item)
        np.add.at(self.load, self.index.entry_row[span], self.index.entry_coef[span])
        self.owner[item] = event
        self.chosen[event] = item

    def lift(self, event: int) -> None:
        item = int(self.chosen[event])
        span = self.index.entries(item)
        np.subtract.at(self.load, self.index.entry_row[span], self.index.entry_coef[span])
        self.owner[item] = -1
        self.chosen[event] = -1

    def in_the_way(self, item: int) -> set[int]:
        """The events holding placements in the rows that ``item`` would push over their bound."""
        span = self.index.entries(item)
        rows = self.index.entry_row[span]
        over = rows[self.load[rows] + self.index.entry_coef[span] > self.index.upper[rows]]
        owners: set[int] = set()
        for row in over.tolist():
            found = self.owner[self.rows.items[row]]
            owners.update(int(e) for e in found[found >= 0])
        return owners


def displacing_repair(instance: Instance, plan: PreviousPlan, rows: Rows, hit: AbstractSet[int],
                      wanted: AbstractSet[int], seconds: float | None = None) -> tuple[IntArray, bool]:
    """A start for the repair searches, and whether it is a whole repair (every ``wanted`` event placed, every
    row within its bound). Every wanted event stays where it was, but the ``hit`` ones, which make way for
    themselves (the largest first): see the module's docstring. The chain stops after ``seconds`` (counted once
    the rows are indexed) with what it has placed."""
    placed = {e: item for e, item in plan.keep_item.items() if e not in hit and e in wanted}
    board = _Board.of(instance, rows, placed)
    deadline = None if seconds is None else time.monotonic() + seconds
    waiting = deque(sorted((e for e in hit & wanted if instance.event_items[e].size),
                           key=lambda e: -len(instance.events[e].participants)))
    pushed: dict[int, int] = {}
    steps = 0
    while waiting and steps < CHAIN_STEPS and (deadline is None or time.monotonic() < deadline):
        steps += 1
        event = waiting.popleft()
        item, in_the_way = _cheapest_way(board, plan, event, pushed, protected=hit)
        if item < 0:
            waiting.append(event)  # nowhere now: perhaps once others have moved
            continue
        for other in in_the_way:
            board.lift(other)
            pushed[other] = pushed.get(other, 0) + 1
            waiting.append(other)
        board.put(event, item)
    whole = not waiting and all(board.chosen[e] >= 0 for e in wanted if instance.event_items[e].size)
    return board.chosen, whole


def _cheapest_way(board: _Board, plan: PreviousPlan, event: int, pushed: dict[int, int],
                  protected: AbstractSet[int]) -> tuple[int, set[int]]:
    """The placement of ``event`` that fits, the cheapest first; else the one whose events in the way are cheapest
    to move (never a ``protected`` event once placed, nor one pushed aside too often). (-1, ...) if none."""
    instance = board.instance
    best: tuple[int, int, set[int]] = (_NOWHERE, -1, set())
    for item in sorted(instance.event_items[event].tolist(), key=lambda i: (int(plan.item_cost[i]), i)):
        in_the_way = board.in_the_way(item)
        if not in_the_way:
            return item, set()
        if any(e in protected or pushed.get(e, 0) >= TIMES_DISPLACED for e in in_the_way):
            continue
        price = int(plan.item_cost[item]) + sum((plan.cheapest_move(instance, e) or _NOWHERE) * (1 + pushed.get(e, 0))
                                                for e in in_the_way)
        if price < best[0]:
            best = (price, item, in_the_way)
    return best[1], best[2]
