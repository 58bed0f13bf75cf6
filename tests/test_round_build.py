"""A large-neighbourhood round's build, made cheaper, builds exactly what it built before: the same rows (travel,
daily limits, time budgets, against the per-participant loops they replaced), the same placements freed, the same
sub-model (variables, rows, objective and hint, compared as protos), and the same search (a fixed number of rounds
with CP-SAT's deterministic limit and one worker finds the same timetables)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from ortools.sat.python import cp_model

from solver import lns
from solver.compile import Instance, compile_scenario
from solver.generate import generate_scenario
from solver.model import constraints
from solver.model.constraints import all_rows
from solver.model.greedy import greedy_placements
from solver.model.rows import Rows, slot_rows
from solver.model.submodel import RowMatrix, build_submodel
from solver.scenario import load_scenario


@pytest.fixture(scope="module")
def summit():
    instance = compile_scenario(generate_scenario(30, 160, 2, seed=4))
    rows = all_rows(instance)
    matrix = RowMatrix.of(rows, instance.n_items)
    return instance, rows, matrix, greedy_placements(instance, rows, index=matrix.by_item)


def same_rows(found: Rows, expected: Rows) -> int:
    assert len(found) == len(expected)
    assert found.upper == expected.upper and found.family == expected.family
    for got, wanted in zip(found.items + found.coefs, expected.items + expected.coefs, strict=True):
        assert got.dtype == wanted.dtype and np.array_equal(got, wanted)
    return len(found)


# --------------------------------------------------------------------------------------
# The rows, against the loops they replaced
# --------------------------------------------------------------------------------------


def travel_rows_one_group_at_a_time(instance: Instance) -> Rows:
    """The travel rows as they were built: one ``slot_rows`` call per (participant, from, to)."""
    rows = Rows()
    items, people = constraints._participant_entries(instance)
    zone = instance.item_zone[items]
    rest = constraints.rest_slots(instance)
    order = np.argsort(people, kind="stable")
    bounds = np.searchsorted(people[order], np.arange(len(instance.scenario.participants) + 1))
    for person in range(len(instance.scenario.participants)):
        mine = order[bounds[person]: bounds[person + 1]]
        present = np.unique(zone[mine])
        for z_from in present if present.size > 1 else []:
            for z_to in present:
                hop = int(instance.travel_slots[z_from, z_to])
                if z_from != z_to and hop:
                    leaving, arriving = items[mine][zone[mine] == z_from], items[mine][zone[mine] == z_to]
                    rows.extend(one_travel_group(instance, leaving, arriving, int(rest[person]) + hop))
    return rows


def one_travel_group(instance: Instance, leaving: np.ndarray, arriving: np.ndarray, gap: int) -> Rows:
    end, start = instance.item_end, instance.item_start
    entries = np.concatenate([leaving, arriving])
    if (instance.item_length[leaving] >= gap).all():
        first = np.concatenate([end[leaving], start[arriving]])
        day_end = instance.grid.day_end_slot[np.maximum(end[leaving] - 1, 0)]
        last = np.concatenate([np.minimum(end[leaving] + gap, day_end), end[arriving]])
        weights, upper = np.ones(entries.size, dtype=np.int64), np.ones(1, dtype=np.int64)
    else:
        day_start = instance.grid.day_offset[instance.grid.slot_day[start[arriving]]]
        first = np.concatenate([start[leaving], np.maximum(start[arriving] - gap, day_start)])
        last = np.concatenate([end[leaving], end[arriving] - 1])
        weights = np.concatenate([np.full(leaving.size, gap), np.ones(arriving.size)]).astype(np.int64)
        upper = np.full(1, gap, dtype=np.int64)
    return slot_rows(entries, np.zeros(entries.size, dtype=np.int64), first, last, weights, upper,
                     instance.grid.n_slots, "travel_time")


def daily_limits_one_day_at_a_time(instance: Instance) -> Rows:
    """The daily limits as they were built: a loop over (participant, day)."""
    rows = Rows()
    items, people = constraints._participant_entries(instance)
    n_days = len(instance.grid.day_starts)
    limits = [p.max_events_per_day for p in instance.scenario.participants]
    key = people * n_days + instance.grid.slot_day[instance.item_start[items]]
    order = np.argsort(key, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(key, minlength=len(limits) * n_days))])
    for group in np.flatnonzero(bounds[1:] > bounds[:-1]):
        chosen = items[order[bounds[group]:bounds[group + 1]]]
        limit = limits[group // n_days]
        if limit is not None and np.unique(instance.item_event[chosen]).size > limit:
            rows.add(chosen, np.ones(chosen.size, dtype=np.int64), limit, "daily_event_limit")
    return rows


def budgets_one_participant_at_a_time(instance: Instance) -> Rows:
    """The time budgets as they were built: a loop over participants, then one over pools."""
    rows = Rows()
    items, people = constraints._participant_entries(instance)
    order = np.argsort(people, kind="stable")
    bounds = np.searchsorted(people[order], np.arange(len(instance.scenario.participants) + 1))
    free_slots = constraints.person_free_slots(instance)
    for person in range(free_slots.size):
        mine = items[order[bounds[person]: bounds[person + 1]]]
        if mine.size and int(instance.duration[np.unique(instance.item_event[mine])].sum()) > int(free_slots[person]):
            rows.add(mine, instance.item_length[mine], int(free_slots[person]), "time_budget")
    for pool in instance.pools:
        mine = np.flatnonzero(instance.item_pool == pool.index)
        if int(instance.duration[np.unique(instance.item_event[mine])].sum()) > int(pool.rooms_open.sum()):
            rows.add(mine, instance.item_length[mine], int(pool.rooms_open.sum()), "time_budget")
    return rows


def restrictions(instance: Instance, chosen: np.ndarray) -> list[Instance]:
    """The summit, and the summit restricted to a few neighbourhoods' placements (what a round builds rows over)."""
    ctx = lns.Context.of(instance, None)
    found = [instance]
    for k, neighbourhood in enumerate(lns.NEIGHBOURHOODS):
        hood = neighbourhood(ctx, chosen, np.random.default_rng(k))
        events, free = lns.free_placements(ctx, chosen, hood, 1_500, np.random.default_rng(k))
        keep = np.zeros(instance.n_items, dtype=bool)
        keep[free] = True
        keep[chosen[chosen >= 0]] = True
        found.append(instance.restricted(keep))
    return found


def test_the_travel_rows_are_those_one_group_at_a_time(summit) -> None:
    instance, _, _, chosen = summit
    compared = [same_rows(constraints.participants_have_time_to_travel(restricted),
                          travel_rows_one_group_at_a_time(restricted)) for restricted in restrictions(instance, chosen)]
    assert min(compared[1:]) < max(compared[1:]) and compared[0] > 1_000  # (rows compared, the summit's many)


def test_the_travel_rows_found_a_few_participants_at_a_time_are_the_same(summit, monkeypatch) -> None:
    instance, rows, _, _ = summit
    monkeypatch.setattr(constraints, "TRAVEL_ENTRIES_AT_ONCE", 500)  # (the summit: 76,000 entries)
    same_rows(constraints.participants_have_time_to_travel(instance), travel_rows_one_group_at_a_time(instance))


def test_placements_in_one_zone_have_no_travel_rows() -> None:
    """(Zones a journey apart, but no participant with events in both, or no placement at all: a round's rows can be
    so.)"""
    instance = compile_scenario(load_scenario(Path(__file__).resolve().parents[1] / "scenarios/examples/tiny.yaml"))
    assert same_rows(constraints.participants_have_time_to_travel(instance),
                     travel_rows_one_group_at_a_time(instance)) > 0
    one_zone = instance.restricted(instance.item_zone == 0)
    assert one_zone.travel_slots.any() and one_zone.n_items > 0
    assert same_rows(constraints.participants_have_time_to_travel(one_zone),
                     travel_rows_one_group_at_a_time(one_zone)) == 0
    assert len(constraints.participants_have_time_to_travel(instance.restricted(instance.item_zone < 0))) == 0


def test_the_daily_limits_and_time_budgets_are_those_one_participant_at_a_time(summit) -> None:
    instance, _, _, chosen = summit
    compared = [(same_rows(constraints.daily_event_limits(restricted), daily_limits_one_day_at_a_time(restricted)),
                 same_rows(constraints.time_budgets(restricted), budgets_one_participant_at_a_time(restricted)))
                for restricted in restrictions(instance, chosen)]
    assert all(daily and budgets for daily, budgets in compared[:1])  # (rows compared on the summit)


# --------------------------------------------------------------------------------------
# The placements freed and the sub-model
# --------------------------------------------------------------------------------------


def free_placements_one_event_at_a_time(instance: Instance, chosen: np.ndarray, hood: lns.Neighbourhood, cap: int,
                                        rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The placements a round frees as it found them: a loop over the neighbourhood's events."""
    placed = hood.events[chosen[hood.events] >= 0]
    out = rng.permutation(hood.events[chosen[hood.events] < 0])
    kept, pieces, total = [], [], 0
    for event in np.concatenate([placed, out]).tolist():
        items = instance.event_items[event]
        if hood.region is not None:
            items = items[hood.region[items]]
        if chosen[event] >= 0:
            items = np.union1d(items, [chosen[event]])
        if total + items.size > cap and (chosen[event] < 0 or total > 0) and kept:
            if chosen[event] < 0:
                continue
            items = np.asarray([chosen[event]], dtype=np.int64)  # it may still stay where it is
        kept.append(event)
        pieces.append(items.astype(np.int64))
        total += items.size
    if not pieces:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.asarray(kept, dtype=np.int64), np.unique(np.concatenate(pieces))


def hoods(instance: Instance, chosen: np.ndarray) -> list[lns.Neighbourhood]:
    ctx = lns.Context.of(instance, None)
    found = [neighbourhood(ctx, chosen, np.random.default_rng(seed)) for seed in range(4)
             for neighbourhood in lns.NEIGHBOURHOODS]
    return found + [lns.Neighbourhood("whole", found[0].events, None)]


def test_the_placements_freed_are_those_one_event_at_a_time(summit) -> None:
    instance, _, _, chosen = summit
    ctx = lns.Context.of(instance, None)
    for k, hood in enumerate(hoods(instance, chosen)):
        for cap in (1, 300, 2_000, 10**6):
            found = lns.free_placements(ctx, chosen, hood, cap, np.random.default_rng(k))
            expected = free_placements_one_event_at_a_time(instance, chosen, hood, cap, np.random.default_rng(k))
            assert all(np.array_equal(f, e) and f.dtype == e.dtype for f, e in zip(found, expected, strict=True))


def submodel_written_out(instance: Instance, rows: Rows, free: np.ndarray, fixed_on: np.ndarray, value: np.ndarray,
                         hint_on: np.ndarray) -> cp_model.CpModel | None:
    """The sub-model as its docstring states it, one row at a time with the model's plain API: a boolean per free
    placement, at most one per event (exactly one if required), each row the free placements can break (their terms
    in the order of the placements, the bound less the fixed placements' load), the value, the hint."""
    model = cp_model.CpModel()
    proto = model.proto
    position = {item: k for k, item in enumerate(free.tolist())}
    for _ in position:
        proto.variables.add().domain.extend([0, 1])
    for event in np.unique(instance.item_event[free]).tolist():
        linear = proto.constraints.add().linear
        linear.vars.extend(np.flatnonzero(instance.item_event[free] == event).tolist())
        linear.coeffs.extend([1] * len(linear.vars))
        linear.domain.extend([int(instance.required[event]), 1])
    held = set(fixed_on.tolist())
    for items, coefs, upper in zip(rows.items, rows.coefs, rows.upper, strict=True):
        terms = sorted((position[i], c) for i, c in zip(items.tolist(), coefs.tolist(), strict=True) if i in position)
        bound = upper - sum(c for i, c in zip(items.tolist(), coefs.tolist(), strict=True) if i in held)
        if sum(min(c, 0) for _, c in terms) > bound:
            return None
        if terms and sum(max(c, 0) for _, c in terms) > bound:
            linear = proto.constraints.add().linear
            linear.vars.extend([v for v, _ in terms])
            linear.coeffs.extend([c for _, c in terms])
            linear.domain.extend([sum(min(c, 0) for _, c in terms), bound])
    valued = np.flatnonzero(value[free])
    if valued.size:  # (no objective when no free placement is worth anything)
        proto.objective.vars.extend(valued.tolist())
        proto.objective.coeffs.extend((-value[free][valued]).tolist())
        proto.objective.scaling_factor = -1.0
    proto.solution_hint.vars.extend(range(free.size))
    proto.solution_hint.values.extend(np.isin(free, hint_on).astype(int).tolist())
    return model


def test_each_round_builds_the_submodel_written_out_from_the_rows(summit) -> None:
    """With the summit's rows (``matrix``) and without (the rows of the placements a round frees and holds)."""
    instance, rows, matrix, chosen = summit
    ctx = lns.Context.of(instance, None)
    compared = 0
    for k, hood in enumerate(hoods(instance, chosen)[::3]):
        events, free = lns.free_placements(ctx, chosen, hood, 1_200, np.random.default_rng(k))
        freed = np.zeros(chosen.size, dtype=bool)
        freed[events] = True
        held, now = chosen[(chosen >= 0) & ~freed], chosen[events][chosen[events] >= 0]
        kept = np.union1d(free, held)
        local = instance.restricted(kept)
        expected = {
            "matrix": submodel_written_out(instance, rows, free, held, ctx.item_value, now),
            None: submodel_written_out(local, all_rows(local), np.searchsorted(kept, free),
                                       np.searchsorted(kept, held), ctx.item_value[kept], np.searchsorted(kept, now))}
        for which, written in expected.items():
            sub = build_submodel(instance, matrix if which else None, free, held, ctx.item_value, hint_on=now)
            assert sub is not None and written is not None
            assert str(sub.model.proto) == str(written.proto)
            assert np.array_equal(sub.items, free) and np.array_equal(sub.events, np.unique(events))
            compared += len(written.proto.constraints)
    assert compared > 1_000


def test_a_fixed_number_of_rounds_finds_the_timetables_it_found_before(summit) -> None:
    """One worker, CP-SAT's deterministic limit: the values and the best timetable the search found (ortools 9.15)
    before the rounds' build was made cheaper, with the summit's rows and without."""
    instance, _, matrix, chosen = summit
    for which, digest in (("matrix", "e76bc049f0b4287f"), (None, "16953ec1185f297b")):
        config = lns.LnsConfig(time_limit=1_000.0, workers=1, seed=2, max_rounds=10, deterministic_round=0.2)
        ledger = lns.large_neighbourhood_search(instance, matrix if which else None, chosen, 10**9, config)
        assert [v for _, v in ledger.history] == [666, 673, 674, 677, 678, 681]
        assert hashlib.sha256(ledger.best.tobytes()).hexdigest()[:16] == digest
