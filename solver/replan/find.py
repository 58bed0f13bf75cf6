"""Finding a repair: stage A (keep every previously scheduled event that can be kept, then the most value) over a
neighbourhood of the change that widens only when it must (the change's events, then their partners and
room-mates, then everything), with the shortcuts that settle most changes early:

- a displaced event that fits nowhere makes way (:func:`make_way`);
- when untouched events must move too, the relaxation around the change's events (:func:`relax_at_change`);
- an event that had to go may let in a request left out before (:func:`widen_for_freed`);
- a bound on what the left-out events' people can hold stops the widening (:func:`ceiling_reached`);
- required events that clash on their own are found at once (:func:`required_conflict`).

Each step takes the re-plan's :class:`Context` and :class:`Ledger`; :func:`find` runs them level by level.
"""

from __future__ import annotations

import time

import numpy as np

from solver.changes import AnyChange, EventUpdated, ParticipantDelayed
from solver.explain import conflicting_required_events
from solver.model.rows import IntArray
from solver.replan.budget import MIN_WHOLE_SEARCH, VALUE_CEILING_CAP
from solver.replan.context import Context
from solver.replan.displace import displacing_repair
from solver.replan.give_way import given_up, pushed_around, required_placed
from solver.replan.ledger import Ledger
from solver.replan.push import fixed_clash, push_forward, standing_holds
from solver.replan.relaxation import Relaxation, grown_relaxation
from solver.replan.search import (
    Stage,
    freed_by,
    greedy_repair,
    keep_most,
    neighbourhood,
    value_ceiling,
)

LEVELS = ("change", "partners", "everything")
ANSWER_SECONDS = 1.0  # writing the answer of a push's repair (rooms, reasons, diff): 0.3 s on Hanoi at load 8


def find(ctx: Context, ledger: Ledger) -> None:
    """Stage A level by level, until every wanted event is kept, a bound says no wider level keeps more, the
    required events are found to clash, or the time is up; then, with nothing found in time, a greedy repair."""
    levels = list(LEVELS)
    pushed_forward(ctx, ledger)
    while levels and ledger.conflict is None:
        level = levels[0]
        free = neighbourhood(ctx.instance, ctx.plan, ctx.named, level, ctx.candidates)
        if ctx.budget.stopped:
            ledger.timed_out = True
            break  # stopped: the repair in hand (if any) stands
        if not ctx.affords(free, margin=0.05):
            # no time to build and search a wider level: the repair found stands (else the greedy's, else the standing)
            ledger.timed_out = ledger.timed_out or ledger.best is None
            break
        stage, proven_empty = keep_most(
            ctx.instance, ctx.plan, free, level, max(0.05, ctx.search_seconds("keep_most", free)), ctx.searching(),
            ctx.config.seed, ctx.stop, start=ledger.best.chosen if ledger.best is not None else None,
            keep_all=None if level == "change" else ctx.keep_all, more_to_gain=bool(ctx.candidates), named=ctx.named,
            all_share=ctx.keep_all_share)
        ctx.phases.mark(f"keep_most_{level}")
        # (after a report the plan around gives way more widely than one displaced event's ejection chain: on Hanoi's
        # opening overrun the chain and its search took 14 s for nothing, the partners' level repairs it)
        if stage is None and proven_empty and level == "change" and ctx.budget.left() > 0.3 and not ctx.reported:
            stage = make_way(ctx, ledger)
        if ledger.conflict is not None:
            break  # (found while making way: the required events clash on their own)
        if stage is None:
            levels.pop(0)
            ledger.timed_out = ledger.timed_out or not proven_empty
            if proven_empty and level != "everything" and required_conflict(ctx, ledger, level):
                break
            continue
        if better(ctx, stage, ledger.best):
            ledger.best = stage
        missing = [e for e in ctx.wanted if stage.chosen[e] < 0]
        if not missing:
            break
        if level == "change" and relaxation_may_help(ctx, ledger, missing):
            settled = relax_at_change(ctx, ledger)
            if settled is not None:
                ledger.best = settled
                break
        if widen_for_freed(ctx, missing, free):
            continue
        levels.pop(0)
        if level == "partners" and ctx.budget.left() > 0.3 and ceiling_reached(ctx, stage, missing):
            ledger.best = stage
            break
    if ledger.best is None and ctx.beside is not None:
        # The relaxation beside the searches may have met a repair on its way (one where nothing had to step aside):
        # better than none; it goes on to bound it.
        found = ctx.beside.so_far(0.0)
        if found is not None and found.chosen is not None:
            ledger.best = Stage("conflicts", found.chosen, ctx.plan.kept(found.chosen),
                                ctx.plan.value_of(ctx.instance, found.chosen), False, 0)
            ledger.relaxation = found
        else:
            ctx.beside.cancel()
    _greedy_when_nothing_found(ctx, ledger)


def _greedy_when_nothing_found(ctx: Context, ledger: Ledger) -> None:
    """Not settled in time (or only narrower neighbourhoods proved empty): keep every untouched event and place the
    others greedily, a repair that moves only what the change broke."""
    if ledger.best is None and ledger.conflict is None and ledger.timed_out:
        ledger.best = greedy_repair(ctx.instance, ctx.plan, ctx.named, ctx.rows())
        ctx.phases.mark("greedy_repair")


def settled_by(ctx: Context, found: Relaxation | None) -> Stage | None:
    """The relaxation's repair as a stage, when it is proven the least disruptive (no event had to step aside)."""
    if found is None or found.chosen is None or ctx.plan.cost_of(found.chosen) > found.bound:
        return None
    settled = Stage("conflicts", found.chosen, ctx.plan.kept(found.chosen),
                    ctx.plan.value_of(ctx.instance, found.chosen), True, found.bound)
    settled.least_moves = settled
    return settled


def make_way(ctx: Context, ledger: Ledger) -> Stage | None:
    """A displaced event fits nowhere with every other event in place (the signing, when a signer lands late): it
    must move, and what it then meets must give way. The ejection chain (:func:`displacing_repair`) is searched
    from: around what it moved, when it placed everything; else (once the required events near the change are
    seen not to clash on their own) around what it moved and every event of the people it left without a place.
    Beside it (with two workers), the relaxation grows from
    the displaced events: it bounds the least disruption, and its own repair is taken when it proves it."""
    rows = ctx.rows()
    start, whole = displacing_repair(ctx.instance, ctx.plan, rows, ctx.hit, set(ctx.wanted),
                                     ctx.budget.share("make_way_chain"))
    ctx.phases.mark("displacing_repair")
    if not whole and required_conflict(ctx, ledger, "change"):
        return None
    ctx.start_beside()
    moved = {e for e in ctx.wanted if start[e] != ctx.plan.keep_item.get(e, -1)}
    if whole:
        free, level, seconds = moved | ctx.named, "conflicts", ctx.budget.share("make_way_around")
    else:
        # what the chain moved, and every event of the people it could not place yet (the whole summit when
        # that is most of it)
        unplaced = {p for e in ctx.wanted if start[e] < 0 for p in ctx.instance.events[e].participants}
        theirs = {e for e in ctx.wanted if unplaced & set(ctx.instance.events[e].participants)}
        free, level = moved | theirs | ctx.named, "conflicts"
        seconds = ctx.search_seconds("make_way_whole", free)
        if seconds < MIN_WHOLE_SEARCH * ctx.budget.slowdown:
            return None  # no time to build its model and search in it
    stage, _ = keep_most(ctx.instance, ctx.plan, free, level, seconds, ctx.searching(), ctx.config.seed,
                         ctx.interrupted(), start=start, keep_all=ctx.keep_all, more_to_gain=False, named=ctx.named,
                         all_share=ctx.keep_all_share)
    ctx.phases.mark(f"keep_most_{level}")
    settled = settled_by(ctx, ctx.beside.so_far(0.0)) if ctx.beside is not None else None
    if settled is not None:  # the relaxation beside proved its own repair the least disruptive
        return settled
    if stage is None and whole:
        stage = Stage("conflicts", start, ctx.plan.kept(start), ctx.plan.value_of(ctx.instance, start), False, 0)
    return stage


def relax(ctx: Context, seconds: float, target: int | None = None) -> Relaxation | None:
    """The relaxation around the change's events, given ``seconds`` more (see :func:`grown_relaxation`); when it
    runs beside the searches, what it found so far (it goes on)."""
    if ctx.beside is not None:
        return ctx.beside.so_far(seconds, target)
    return grown_relaxation(ctx.instance, ctx.plan, ctx.wanted_mask, ctx.hit, time.monotonic() + seconds,
                            ctx.config.workers, ctx.config.seed, ctx.stop, target=target)


def relax_at_change(ctx: Context, ledger: Ledger) -> Stage | None:
    """Untouched events must move too: rather than free every partner, free the change's events and let the others
    step aside at a price. Its answer, when none does, is the least disruptive repair; else the events it found in
    the way are searched from its answer (closer to a repair than the partners' start). None if neither keeps
    every wanted event (its bound stays, and the wider levels go on)."""
    ledger.relaxed = True
    ledger.relaxation = relax(ctx, ctx.budget.share("relaxation"))
    ctx.phases.mark("relaxation")
    settled = settled_by(ctx, ledger.relaxation)
    if settled is not None:
        return settled
    found = ledger.relaxation
    if found is None or found.answer is None or not ctx.affords(found.group):
        return None
    around, _ = keep_most(ctx.instance, ctx.plan, found.group | ctx.named, "conflicts",
                          ctx.budget.share("around_relaxation"), ctx.searching(), ctx.config.seed, ctx.stop,
                          start=found.answer, keep_all=ctx.keep_all, more_to_gain=False, named=ctx.named,
                          all_share=ctx.keep_all_share)
    ctx.phases.mark("keep_most_conflicts")
    return around if around is not None and all(around.chosen[e] >= 0 for e in ctx.wanted) else None


def relaxation_may_help(ctx: Context, ledger: Ledger, missing: list[int]) -> bool:
    """Whether to try the relaxation around the change's events (:func:`relax_at_change`): not with requests left out
    before in play, not twice, and not after a report when the change's level kept every event the change touched
    and let an untouched one go in its place (gen1: bil-0077 into frozen bil-0216's room): what keeps both moves
    partners of the touched events, which the partners' level looks for first (``Context.keep_all_share``), and the
    relaxation (3.5-4 s of a 10-second re-plan at load 12) left it no time."""
    traded = bool(ctx.reported) and not set(missing) & ctx.hit
    return not ctx.candidates and not ledger.relaxed and ctx.budget.left() > 0.3 and not traded


def widen_for_freed(ctx: Context, missing: list[int], free: set[int]) -> bool:
    """An event had to go: what it held (its people's time, its room) may let in a request left out before that
    needs it. True (look again with those) when there are such requests and time to search them."""
    freed = freed_by(ctx.instance, ctx.plan, [e for e in missing if ctx.plan.scheduled_mask[e]]) \
        - ctx.candidates - ctx.named
    if freed and ctx.build_seconds(free | freed) < ctx.budget.share("widen_for_freed"):
        ctx.candidates |= freed
        return True
    return False


def ceiling_reached(ctx: Context, stage: Stage, missing: list[int]) -> bool:
    """Something is still left out after the partners' level: prove, on the left-out events' people alone, that no
    wider search keeps more (e.g. a leader's shortened day cannot hold all their meetings)."""
    seconds = min(VALUE_CEILING_CAP, ctx.budget.share("value_ceiling"))
    ceiling = value_ceiling(ctx.instance, ctx.plan, ctx.named, missing, seconds, ctx.budget.left(), ctx.searching(),
                            ctx.config.seed)
    ctx.phases.mark("value_ceiling")
    return ceiling is not None and ctx.plan.value_of(ctx.instance, stage.chosen, ctx.plan.counted(ctx.named)) >= ceiling


def required_conflict(ctx: Context, ledger: Ledger, level: str) -> bool:
    """If the required events clash on their own, no wider neighbourhood can help: find the clash at once. After the
    first level, only among the touched people's events (quick); after the second, on the whole summit."""
    if level not in ledger.conflict_checked:
        ledger.conflict_checked.add(level)
        ledger.conflict = conflicting_required_events(ctx.instance, max(0.5, ctx.budget.left()), focus=ctx.hit,
                                                      workers=ctx.searching(), focus_only=level == "change")
        ctx.phases.mark("required_events_conflict")
    return ledger.conflict is not None


def pushed_forward(ctx: Context, ledger: Ledger) -> None:
    """After a report (an overrun, a late start) or a late arrival, the push-forward repair (:func:`push_forward`) is
    the repair in hand at once, and the searches start from it: they replace it only with one that keeps more, or as
    much for less."""
    if ctx.budget.stopped or not ctx.reported and not any(_pushes(change) for change, _ in ctx.changes):
        return  # (stopped already; or not a summit day's change: the searches find their first repair quickly)
    standing = standing_holds(ctx.instance, ctx.plan, ctx.wanted)
    if standing is not None:  # (nothing has to move: the push would keep every place)
        ledger.best = Stage("push", standing, ctx.plan.kept(standing), ctx.plan.value_of(ctx.instance, standing),
                            False, 0)
        ctx.phases.mark("push_forward")
        return
    # (a required event that fits nowhere may take an optional one's place after a report, a fact, and after an event
    # made longer: the searches then look for a repair that keeps more)
    giving = bool(ctx.reported) or any(_lengthens(change) for change, _ in ctx.changes)
    chosen, moved, whole = push_forward(ctx.instance, ctx.plan, ctx.wanted, ctx.hit, giving=giving)
    ctx.phases.mark("push_forward")
    if whole:
        ledger.best = Stage("push", chosen, ctx.plan.kept(chosen), ctx.plan.value_of(ctx.instance, chosen), False, 0)
        return
    ledger.conflict = fixed_clash(ctx.instance, ctx.wanted)  # (what cannot move clashes: a proof, said at once)
    if ledger.conflict is not None:
        return
    if ctx.reported:
        chosen, moved, whole = gave_way(ctx, ledger, chosen, moved)
        if whole:
            return
    # (a required event found no place: the events the push moved are searched, from where it put them)
    free = moved | ctx.named
    if ctx.affords(free, margin=0.5):
        stage, _ = keep_most(ctx.instance, ctx.plan, free, "push", ctx.search_seconds("keep_most", free),
                             ctx.searching(), ctx.config.seed, ctx.stop, start=chosen, more_to_gain=False,
                             named=ctx.named)
        ctx.phases.mark("keep_most_push")
        if stage is not None:
            ledger.best = stage


def _pushes(change: AnyChange) -> bool:
    """A change whose first repair is a push: a late arrival, or an event made longer."""
    return isinstance(change, ParticipantDelayed) or _lengthens(change)


def _lengthens(change: AnyChange) -> bool:
    """An event given a new duration: a ceremony given another hour pushes what follows it like an overrun (the
    searches alone found no first repair in 10 s of Hanoi's signing made an hour longer, at load 7)."""
    return isinstance(change, EventUpdated) and "duration_minutes" in change.set


def gave_way(ctx: Context, ledger: Ledger, chosen: IntArray, moved: set[int]) -> tuple[IntArray, set[int], bool]:
    """After a report the push left a required event out (:mod:`solver.replan.give_way`): the required events are
    placed first, alone, and the push flows the optional ones around them; else the push stands, the required events
    it could not keep named. Either is the repair in hand (a proposal always comes); the searches may replace it."""
    # (the last resort: it may take what the answer's proofs would have had, all but the time to write the answer)
    seconds = 0.0 if ctx.budget.stopped else max(ctx.budget.share("required_placed"),
                                                 ctx.budget.remaining() - ANSWER_SECONDS * ctx.budget.slowdown)
    held, ledger.required_clash = required_placed(ctx.instance, ctx.plan, ctx.wanted, seconds, ctx.searching(),
                                                  ctx.config.seed, ctx.stop, chosen) if seconds > 0.2 else (None, False)
    ctx.phases.mark("required_placed")
    whole = False
    if held is not None:
        around, around_moved, whole = pushed_around(ctx.instance, ctx.previous, ctx.config.weights, ctx.wanted,
                                                    ctx.hit, np.where(ctx.instance.required, held, -1))
        ctx.phases.mark("push_forward")
        if len(given_up(ctx.instance, ctx.wanted, around)) < len(given_up(ctx.instance, ctx.wanted, chosen)):
            chosen, moved = around, around_moved
    ledger.best = Stage("push", chosen, ctx.plan.kept(chosen), ctx.plan.value_of(ctx.instance, chosen), False, 0)
    return chosen, moved, whole


def _required_kept(ctx: Context, stage: Stage) -> int:
    return int((stage.chosen[ctx.instance.required] >= 0).sum())


def better(ctx: Context, stage: Stage, best: Stage | None) -> bool:
    """Whether a search's ``stage`` replaces the repair in hand: it keeps more required events (after a report the
    repair in hand may have given one up), more value (or, over the push-forward repair, as much for less
    disruption, or as much as cheaply with the proof that no repair keeps more)."""
    if best is None or _required_kept(ctx, stage) != _required_kept(ctx, best):
        return best is None or _required_kept(ctx, stage) > _required_kept(ctx, best)
    if stage.value > best.value:
        return True
    if best.level != "push" or stage.value != best.value:
        return False
    # (as much for less; or as much, as cheap, and proven the most that can be kept: the answer says "optimal")
    rank, held = ctx.plan.rank_of(stage.chosen), ctx.plan.rank_of(best.chosen)
    return rank < held or (stage.optimal and rank == held)
