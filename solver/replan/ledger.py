"""What a re-plan has found so far (:class:`Ledger`): the most it can keep (stage A), the repair in hand with its
disruption, the proven lower bound on every repair's, and every repair met on the way (the searches see pooled
rooms, so the one that costs least once rooms are assigned is picked at the end)."""

from __future__ import annotations

from dataclasses import dataclass, field

from solver.compile import BoolArray, Instance
from solver.model.rows import IntArray
from solver.replan.plan import PreviousPlan
from solver.replan.proof import BudgetLadder
from solver.replan.relaxation import Relaxation
from solver.replan.search import Stage
from solver.timetable import Timetable


@dataclass
class Ledger:
    best: Stage | None = None  # stage A: the most kept, then the most value (its level and model)
    least: Stage | None = None  # stage B: stage A's value at the least disruption the searches found
    chosen: IntArray | None = None  # the repair in hand
    disruption: int = 0
    lower: int = 0  # no repair of this value costs less
    repairs: list[IntArray] = field(default_factory=list)
    # the finding's by-products
    timed_out: bool = False  # a level ended for lack of time (not proven empty)
    conflict: list[int] | None = None  # required events that cannot all happen, once found
    conflict_checked: set[str] = field(default_factory=set)  # the levels after which that was looked for
    relaxation: Relaxation | None = None  # the relaxation around the change's events, once tried
    relaxed: bool = False
    required_clash: bool = False  # after a report: the required events cannot all take place (proven; give_way.py)
    # the proof's
    keeps_wanted: bool = False  # the repair in hand keeps every wanted event (the relaxation's bounds hold then)
    must_keep: BoolArray | None = None  # what the proof's searches must keep (None: every wanted event)
    ladder: BudgetLadder | None = None
    around: set[int] = field(default_factory=set)  # the events the search around the change frees
    around_hint: IntArray | None = None
    tried_lp: bool = False
    whole_bound: int = 0
    proven: bool = False
    bound: int = 0
    # the answer's
    table: Timetable | None = None

    def hold(self, chosen: IntArray, plan: PreviousPlan) -> None:
        """Take ``chosen`` as the repair in hand (at its disruption)."""
        self.chosen, self.disruption = chosen, plan.cost_of(chosen)
        self.repairs.append(chosen)

    def offer(self, chosen: IntArray | None, plan: PreviousPlan, instance: Instance) -> None:
        """A repair that claims stage A's value (the relaxation's): kept for the end, and held if it has that value
        and ranks before the repair in hand."""
        if not self._keep(chosen):
            return
        assert chosen is not None and self.best is not None
        if plan.value_of(instance, chosen) == self.best.value:
            self._hold_if_before(chosen, plan, ties_win=False)

    def offer_search(self, chosen: IntArray | None, plan: PreviousPlan) -> None:
        """A repair a search found on the way (its value counts in its rank): kept for the end, and held if it ranks
        before the repair in hand."""
        if self._keep(chosen):
            self._hold_if_before(chosen, plan, ties_win=False)

    def offer_proof(self, chosen: IntArray | None, plan: PreviousPlan) -> None:
        """The whole model's repair: kept for the end, and held if it ranks before or level with the repair in hand
        (what the proof holds is proven; the one in hand, not)."""
        if self._keep(chosen):
            self._hold_if_before(chosen, plan, ties_win=True)

    def _keep(self, chosen: IntArray | None) -> bool:
        if chosen is None or self.best is None or self.chosen is None:
            return False
        self.repairs.append(chosen)
        return True

    def _hold_if_before(self, chosen: IntArray | None, plan: PreviousPlan, ties_win: bool) -> None:
        assert chosen is not None and self.chosen is not None
        rank, current = plan.rank_of(chosen), plan.rank_of(self.chosen)
        if rank < current or (ties_win and rank == current):
            self.chosen, self.disruption = chosen, plan.cost_of(chosen)

    def raise_bound(self, bound: int) -> None:
        self.lower = max(self.lower, bound)

    @property
    def settled(self) -> bool:
        """The repair in hand costs no more than the bound: it is the least disruptive."""
        return self.disruption <= self.lower
