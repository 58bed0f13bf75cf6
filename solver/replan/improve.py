"""Moving least, and proving it: once stage A has found what can be kept, the steps that bound the disruption from
below and look for cheaper repairs, in order (:data:`STEPS`), each taking the re-plan's :class:`Context` and
:class:`Ledger`:

1. stage B: stage A's value at the least disruption its neighbourhood allows;
2. the quick bounds: each displaced event's cheapest alternative, a resource cut's cheapest set of time moves,
   a change-level optimum;
3. the relaxation around the change's events (any repair is one of its answers);
4. the budget ladder ("is there a repair costing at most B?", B growing), first with part of the time;
5. the search around the change (the events beside it may give way), or around the relaxation's answer;
6. the last word of the relaxation running beside the searches;
7. the budget ladder with the rest of the time;
8. the LP relaxation of the least disruption, then a search over the whole summit from the repair in hand.
"""

from __future__ import annotations

from collections.abc import Callable

from solver.compile import BoolArray
from solver.replan.change import cut_users, resource_cut_bound
from solver.replan.context import Context
from solver.replan.find import relax
from solver.replan.ledger import Ledger
from solver.replan.proof import BudgetLadder, disruption_lp
from solver.replan.relaxation import Relaxation
from solver.replan.search import (
    build_neighbourhood,
    move_least,
    neighbourhood,
    swappers,
)
from solver.solve.config import LP_MAX_PLACEMENTS


def least_moves(ctx: Context, ledger: Ledger) -> None:
    """Stage B: keep stage A's value, move as little as its neighbourhood allows (done already when stage A's search
    proved its own repair the least disruptive)."""
    best = ledger.best
    assert best is not None
    ledger.least = best.least_moves or (best if best.frame is None else move_least(
        ctx.instance, ctx.plan, best, max(0.025, ctx.budget.share("move_least")), ctx.searching(), ctx.config.seed,
        stop=ctx.stop))
    ctx.phases.mark("move_least")
    ledger.hold(ledger.least.chosen, ctx.plan)
    ledger.keeps_wanted = bool((ledger.least.chosen[ctx.wanted] >= 0).all())


def quick_bounds(ctx: Context, ledger: Ledger) -> None:
    """Each displaced event costs at least its cheapest alternative; a resource cut forces its cheapest set of time
    moves; a change-level optimum either moves no untouched event (the least possible) or one, at least at the
    cheapest single move of another."""
    best, least, plan = ledger.best, ledger.least, ctx.plan
    assert best is not None and least is not None and ledger.chosen is not None
    ledger.raise_bound(plan.lower_bound(ctx.instance, ledger.chosen))
    if best.kept == plan.alive:
        ledger.raise_bound(resource_cut_bound(ctx.instance, plan, ctx.changed, ctx.previous, ctx.applied))
    if best.level == "change" and least.optimal:
        ledger.raise_bound(min(ledger.disruption, ledger.lower + plan.cheapest_other_move(ctx.instance)))


def relaxation_bound(ctx: Context, ledger: Ledger) -> None:
    """Bound (or find) the least disruption with the relaxation around the change's events, when the repair in hand
    keeps every wanted event and is not proven yet."""
    assert ledger.best is not None
    if (ledger.keeps_wanted and not ledger.settled and not ledger.relaxed and ledger.best.level != "everything"
            and ctx.affords(ctx.hit)):
        ledger.relaxed = True
        ledger.relaxation = relax(ctx, ctx.budget.share("relaxation"), target=ledger.disruption)
        ctx.phases.mark("relaxation")
    take(ctx, ledger, ledger.relaxation)
    if ctx.beside is not None and (not ledger.keeps_wanted or ledger.settled or not ledger.relaxed):
        ctx.beside.cancel()  # (not needed: the repair in hand is proven, or the relaxation cannot bound it)


def take(ctx: Context, ledger: Ledger, found: Relaxation | None) -> None:
    """The relaxation's bound, and its repair when it is better than the one in hand (only for repairs that keep
    every wanted event: that is what it bounds)."""
    if found is None or not ledger.keeps_wanted:
        return
    ledger.raise_bound(found.bound)
    ledger.offer(found.chosen, ctx.plan, ctx.instance)


def plan_the_proof(ctx: Context, ledger: Ledger) -> None:
    """The budget ladder (when the repair is not proven and its neighbourhood can be searched), and where the search
    around the change looks: the relaxation's group from its answer, else the change's partners and the users of a
    cut resource."""
    best = ledger.best
    assert best is not None and ledger.chosen is not None
    ledger.must_keep = _must_keep(ctx, ledger)
    if ledger.settled or best.frame is None:
        return
    if best.level != "everything" and ctx.budget.left() > 0:
        ledger.ladder = BudgetLadder(ctx.instance, ctx.plan, ledger.chosen, ledger.lower, best.value,
                                     ctx.candidates | ctx.named, ledger.must_keep)
    if best.level in ("change", "conflicts", "partners"):
        found = ledger.relaxation
        if found is not None and found.answer is not None and ledger.keeps_wanted:
            ledger.around, ledger.around_hint = found.group, found.answer
        else:
            ledger.around = (neighbourhood(ctx.instance, ctx.plan, ctx.named, "partners", ctx.candidates)
                             | cut_users(ctx.instance, ctx.applied))


def _must_keep(ctx: Context, ledger: Ledger) -> BoolArray | None:
    """When the repair keeps every previously scheduled event and the change adds none, requests left out before
    only add value: the searches that bound the disruption may leave them out (looser, so their bounds hold)."""
    assert ledger.best is not None
    plan, named = ctx.plan, ctx.named
    if ledger.best.kept == plan.alive and (plan.scheduled_mask[list(named)].all() or not ctx.candidates - named):
        return plan.counted(named)
    return None


def first_climb(ctx: Context, ledger: Ledger) -> None:
    """The budget ladder with part of the time, when no relaxation answer says where to search around first."""
    if ledger.ladder is not None and ledger.around_hint is None:
        _climb(ctx, ledger, ctx.budget.share("first_climb"), ctx.searching(), last=False)


def search_around(ctx: Context, ledger: Ledger) -> None:
    """A cheaper repair often moves an event beside the change: it gives up its room to a displaced one and takes
    another at its time, or (after a resource cut) another user of the resource moves."""
    if ledger.settled or not ledger.around or not ctx.affords(ledger.around):
        return
    assert ledger.least is not None
    frame = build_neighbourhood(ctx.instance, ctx.plan, ledger.around, ctx.named,
                                swappers(ctx.instance, ctx.plan, ctx.hit))
    around = move_least(ctx.instance, ctx.plan, ledger.least, ctx.budget.share("around"), ctx.searching(),
                        ctx.config.seed, stop=ctx.interrupted(), frame=frame, hint=ledger.around_hint)
    ledger.offer_search(around.chosen, ctx.plan)
    ctx.phases.mark("move_least_around")


def relaxation_last_word(ctx: Context, ledger: Ledger) -> None:
    """After a resource cut, the relaxation beside the searches is what proves the repair (on Hanoi, one needing
    8 s) and often finds a cheaper one; it stops by the searches' end."""
    if ctx.beside is None:
        return
    if not ledger.settled:
        ledger.relaxation = ctx.beside.result(ctx.budget.left(), target=ledger.disruption) or ledger.relaxation
        take(ctx, ledger, ledger.relaxation)
        ctx.phases.mark("relaxation")
    ctx.beside.cancel()


def final_climb(ctx: Context, ledger: Ledger) -> None:
    """The budget ladder with the rest of the time, from the repair in hand and the bound proven so far."""
    if ledger.ladder is not None and not ledger.settled:
        assert ledger.chosen is not None
        ledger.ladder.lower = max(ledger.ladder.lower, ledger.lower)
        ledger.ladder.improve(ledger.chosen)
        _climb(ctx, ledger, ctx.budget.left(), ctx.config.workers, last=True)


def _climb(ctx: Context, ledger: Ledger, seconds: float, workers: int, last: bool) -> None:
    ladder = ledger.ladder
    assert ladder is not None
    ladder.climb(seconds, ctx.config.proof_seconds, workers, ctx.config.seed,
                 ctx.stop if last else ctx.interrupted(), last=last)
    ledger.chosen, ledger.disruption, ledger.lower = ladder.chosen, ladder.disruption, ladder.lower
    ledger.repairs.append(ladder.chosen)
    ctx.phases.mark("budget_ladder")


def lp_bound(ctx: Context, ledger: Ledger) -> None:
    """The LP relaxation of "least disruption at this value" on the whole summit bounds it below (weak: on Hanoi it
    proved none of the repairs the budget ladder left open)."""
    best, least, n = ledger.best, ledger.least, ctx.instance.n_items
    assert best is not None and least is not None
    ledger.proven = ledger.settled or (least.optimal and best.level == "everything")
    if (ledger.proven or not least.optimal or best.level == "everything" or n > LP_MAX_PLACEMENTS
            or not ctx.affords(passes=3)):
        return
    ledger.tried_lp = True
    relaxed_lower = disruption_lp(ctx.instance, ctx.plan, best.value, ctx.budget.left())
    if relaxed_lower is not None:
        ledger.raise_bound(relaxed_lower)
        ledger.proven = ledger.settled
    ctx.phases.mark("lp_proof")


def whole_summit_proof(ctx: Context, ledger: Ledger) -> None:
    """Improve (or prove) on the whole summit, from the repair just found, when nothing else tried to."""
    best, least = ledger.best, ledger.least
    assert best is not None and least is not None
    ledger.whole_bound = least.bound if best.level == "everything" else 0
    seconds = min(ctx.config.proof_seconds, ctx.budget.left())
    tried_budget = ledger.ladder is not None and ledger.ladder.tried
    if (not ledger.proven and not ledger.tried_lp and not tried_budget and best.level != "everything"
            and seconds > 0.2 + ctx.build_seconds()):
        everything = set(range(len(ctx.instance.events)))
        whole = move_least(ctx.instance, ctx.plan, least, seconds, ctx.config.workers, ctx.config.seed,
                           frame=build_neighbourhood(ctx.instance, ctx.plan, everything), stop=ctx.stop)
        ledger.whole_bound = whole.bound
        ledger.offer_proof(whole.chosen, ctx.plan)
        ledger.proven = whole.optimal
        ctx.phases.mark("whole_proof")
    ledger.bound = ledger.disruption if ledger.proven else max(ledger.lower, ledger.whole_bound)


Step = Callable[[Context, Ledger], None]
STEPS: tuple[Step, ...] = (least_moves, quick_bounds, relaxation_bound, plan_the_proof, first_climb, search_around,
                           relaxation_last_word, final_climb, lp_bound, whole_summit_proof)
