"""A timetable built from an LP relaxation's solution: the LP says which requests an optimum takes and roughly
where, the occupancy greedy places them there while every rule holds.

The greedy start (:mod:`solver.model.occupancy`) takes the requests by priority and each at its earliest place that
fits; large-neighbourhood search then climbs from it slowly at 1,000 requests and up. The LP relaxation (the whole
LP from the bound's child, :mod:`solver.bound_beside`, or the time-aggregated LP, :mod:`solver.bound`) knows more:
how much of each request it takes (its *share*: x summed over the request's placements) and on which placements it
puts weight. Here the events are placed in the LP's order (required ones first, then by the LP's value: share times
priority; those the LP leaves out last, as the greedy would), each at the placement of most LP weight that still
fits (the earliest among equals), by the same occupancy arrays as the greedy: the result keeps every rule, and
places every required event whenever the greedy does.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from solver.compile import Instance
from solver.model.objective import placement_values
from solver.model.occupancy import Occupancy, ordered_after
from solver.model.rows import IntArray

FloatArray = npt.NDArray[np.float64]

BOXED_RETRIES = 4  # roundings with the boxed-in required events first, at most (measured: one or two at 1,000-4,000)


def lp_weights(instance: Instance, items: IntArray, amount: FloatArray) -> FloatArray:
    """The LP's weight on each placement (0 where its solution does not take it)."""
    weight = np.zeros(instance.n_items, dtype=np.float64)
    np.add.at(weight, items, amount)
    return np.clip(weight, 0.0, 1.0)


def lp_shares(instance: Instance, weight: FloatArray) -> FloatArray:
    """How much of each request the LP takes (its placements' weights summed, at most 1)."""
    share = np.bincount(instance.item_event, weights=weight, minlength=len(instance.events))
    return np.minimum(share, 1.0)


def lp_order(instance: Instance, share: FloatArray, first: Sequence[int] = ()) -> list[int]:
    """The order the requests are placed in: ``first`` first (in their order), then required, then by the LP's
    value (share times priority; a twentieth of a share is noise), then by priority and the least flexible, each
    after those it must follow."""
    value = np.round(share * 20).astype(np.int64) * instance.priority
    flexibility = [items.size for items in instance.event_items]
    ahead = {event: k for k, event in enumerate(first)}
    return ordered_after(instance, lambda e: (ahead.get(e, len(ahead)), 0 if instance.required[e] else 1,
                                              -int(value[e]), -int(instance.priority[e]), flexibility[e], e))


def lp_rounded(instance: Instance, weight: FloatArray, rng: np.random.Generator | None = None) -> IntArray:
    """Chosen placement per event (-1 = not placed): the events in the LP's order (:func:`lp_order`), each at its
    placement of most LP weight that keeps every rule given those placed before it (the earliest among equals).

    The LP's placements of the required events need not fit together once rounded: when a required event is boxed
    in, the rounding starts again with the boxed-in events placed first (at most ``BOXED_RETRIES`` times, those of
    each try added), and also with the required events where the greedy puts them (the optional ones still follow
    the LP); the better of those that place every required event is kept (measured: +20-40 at 2,000 requests
    seed 3 against the greedy's places alone, where each of the LP's rounds boxed a required roundtable in).

    With ``rng``, a perturbed rounding: each placement's weight within 20 % of the LP's, each request's share
    within 30 % (measured at 2,000 requests: the best of 8 perturbed roundings 20-60 above the plain one; at
    1,000, as good as the plain one)."""
    noise = np.ones(len(instance.events))
    if rng is not None:
        weight = weight * rng.uniform(0.8, 1.2, weight.size)
        noise = rng.uniform(0.7, 1.3, noise.size)
    chosen = _placed_in_order(instance, weight, noise)
    boxed = _boxed_in(instance, chosen)
    if not boxed:
        return chosen
    complete: list[IntArray] = []
    first: list[int] = []
    for _ in range(BOXED_RETRIES):  # (each try places the required events alone: the optional ones come after)
        first += [event for event in boxed if event not in first]
        boxed = _boxed_in(instance, _placed_in_order(instance, weight, noise, first, required_only=True))
        if not boxed:
            complete.append(_placed_in_order(instance, weight, noise, first))
            break
    greedy_places = _placed_in_order(instance, np.where(instance.required[instance.item_event], 0.0, weight), noise)
    if not complete or not _boxed_in(instance, greedy_places):
        complete.append(greedy_places)
    value = placement_values(instance)
    return max(complete, key=lambda found: int(value[found[found >= 0]].sum()) - (10**9 if _boxed_in(instance, found)
                                                                                  else 0))


def _boxed_in(instance: Instance, chosen: IntArray) -> list[int]:
    """The required events with placements that ``chosen`` leaves out."""
    return [e for e in range(len(instance.events)) if instance.required[e] and instance.event_items[e].size
            and chosen[e] < 0]


def _placed_in_order(instance: Instance, weight: FloatArray, noise: FloatArray, first: Sequence[int] = (),
                     required_only: bool = False) -> IntArray:
    """The rounding itself (every event in :func:`lp_order`; with ``required_only``, only up to the last required
    one: the required events' placements, as the whole rounding would make them)."""
    state = Occupancy.of(instance)
    order = lp_order(instance, np.minimum(lp_shares(instance, weight) * noise, 1.0), first)
    if required_only:
        required = [k for k, event in enumerate(order) if instance.required[event]]
        order = order[: required[-1] + 1] if required else []
    for event in order:
        candidates = instance.event_items[event]
        if candidates.size == 0:
            continue
        candidates = candidates[np.lexsort((instance.item_start[candidates], -weight[candidates]))]
        good = np.flatnonzero(~state.blocked(event, candidates))
        if good.size:
            state.place(event, int(candidates[good[0]]))
    return state.chosen
