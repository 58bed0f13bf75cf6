"""Large-neighbourhood search: each neighbourhood frees a recognisable part of the summit, each
round keeps every rule, and the timetable only improves. Deterministic: one worker, a fixed
number of rounds, each with CP-SAT's deterministic limit (the wall limit is far away)."""

from __future__ import annotations

import numpy as np
import pytest

from solver import lns
from solver.compile import compile_scenario
from solver.generate import generate_scenario
from solver.model.constraints import all_rows
from solver.model.greedy import greedy_placements, unplaced_required
from solver.model.submodel import RowMatrix
from solver.solve import timetable_from_placements
from solver.timetable import ScenarioRef
from solver.validate import validate_timetable


@pytest.fixture(scope="module")
def summit():
    scenario = generate_scenario(30, 160, 2, seed=4)
    instance = compile_scenario(scenario)
    rows = all_rows(instance)
    matrix = RowMatrix.of(rows, instance.n_items)
    chosen = greedy_placements(instance, rows, index=matrix.by_item)
    assert not unplaced_required(instance, chosen)
    return scenario, instance, rows, matrix, chosen


def value(instance, chosen) -> int:
    return int(sum(int(instance.priority[e]) for e in range(len(instance.events))
                   if chosen[e] >= 0 and not instance.required[e]))


@pytest.mark.parametrize("neighbourhood", lns.NEIGHBOURHOODS, ids=lambda n: n.__name__)
def test_each_neighbourhood_frees_events_and_keeps_their_own_places_open(summit, neighbourhood) -> None:
    _, instance, _, matrix, chosen = summit
    ctx = lns.Context.of(instance, matrix)
    hood = neighbourhood(ctx, chosen, np.random.default_rng(3))
    assert hood.events.size > 0
    events, free = lns.free_placements(ctx, chosen, hood, 2_000, np.random.default_rng(3))
    assert free.size <= 2_000 + (chosen[events] >= 0).sum()  # placed events may keep their own place
    assert set(instance.item_event[free].tolist()) <= set(events.tolist())
    placed = chosen[events][chosen[events] >= 0]
    assert np.isin(placed, free).all()  # the current timetable is one answer of the sub-model


def test_the_search_keeps_every_rule_and_only_improves(summit) -> None:
    scenario, instance, rows, matrix, chosen = summit
    start = value(instance, chosen)
    config = lns.LnsConfig(time_limit=1_000.0, workers=1, seed=2, max_rounds=6, deterministic_round=0.2)
    ledger = lns.large_neighbourhood_search(instance, matrix, chosen, 10**9, config)
    assert ledger.rounds == 6
    assert ledger.objective == value(instance, ledger.best) >= start
    assert [v for _, v in ledger.history] == sorted(v for _, v in ledger.history)
    ref = ScenarioRef(name=scenario.name, fingerprint=scenario.fingerprint())
    assert validate_timetable(scenario, timetable_from_placements(instance, ledger.best, ref, rows)) == []


def test_the_search_stops_at_once_when_the_bound_is_reached(summit) -> None:
    _, instance, _, matrix, chosen = summit
    config = lns.LnsConfig(time_limit=1_000.0, workers=1, max_rounds=5, deterministic_round=0.3)
    ledger = lns.large_neighbourhood_search(instance, matrix, chosen, value(instance, chosen), config)
    assert ledger.proven and ledger.rounds == 0


def test_the_command_line_takes_a_stall_limit(tmp_path) -> None:
    from typer.testing import CliRunner

    from solver.cli import app
    from solver.scenario import load_scenario
    from solver.timetable import load_timetable

    out = tmp_path / "timetable.json"
    tiny = "scenarios/examples/tiny.yaml"
    result = CliRunner().invoke(app, ["solve", tiny, "--time-limit", "5", "--stall", "1", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert validate_timetable(load_scenario(tiny), load_timetable(out)) == []
    refused = CliRunner().invoke(app, ["solve", tiny, "--stall", "0"])
    assert refused.exit_code == 2


def test_the_neighbourhoods_shrink_when_rounds_are_cut_short_and_grow_when_they_end_early() -> None:
    from solver.lns import LnsConfig, adapt_cap

    config = LnsConfig(time_limit=60, max_free_placements=2_000, min_free_placements=800)
    assert adapt_cap(config, 1_000, ended=False, took=1.0, seconds=1.0) == 800  # cut short: a fifth less
    assert adapt_cap(config, 800, ended=False, took=1.0, seconds=1.0) == 800  # never below the floor
    assert adapt_cap(config, 1_000, ended=True, took=0.2, seconds=1.0) == 1_101  # proven fast: a tenth more
    assert adapt_cap(config, 1_000, ended=True, took=0.7, seconds=1.0) == 1_000  # proven, slowly: as it is
    assert adapt_cap(config, 1_990, ended=True, took=0.1, seconds=1.0) == 2_000  # never above the configured size


def test_a_round_leaves_a_core_to_the_whole_lps_child_while_it_runs() -> None:
    """While the whole LP's child runs beside the search it holds a core: each round's CP-SAT has one worker fewer
    (never none), and all of them again once the child has ended or when there is none."""
    from solver.lns import LnsConfig, round_workers

    running = [True]
    config = LnsConfig(time_limit=60, workers=2, beside_running=lambda: running[0])
    assert round_workers(config) == 1
    running[0] = False
    assert round_workers(config) == 2
    assert round_workers(LnsConfig(time_limit=60, workers=1, beside_running=lambda: True)) == 1
    assert round_workers(LnsConfig(time_limit=60, workers=4, beside_running=lambda: True)) == 3
    assert round_workers(LnsConfig(time_limit=60, workers=2)) == 2


def _lp_solution(instance, rows):
    """The whole LP's solution as the bound's child sends it (PDLP, a fixed count of iterations)."""
    from solver.model.bound import whole_lp_bound
    from solver.model.objective import placement_values

    sent: list = []
    whole_lp_bound(instance, placement_values(instance), 60.0, iterations=2_000,
                   on_solution=lambda items, amount: sent.append((items, amount)))
    assert sent and sent[-1][0].size > 0
    return sent[-1]


def test_the_lp_guided_neighbourhood_frees_requests_the_lp_takes_and_the_timetable_leaves_out(summit) -> None:
    _, instance, rows, matrix, chosen = summit
    items, amount = _lp_solution(instance, rows)
    ctx = lns.Context.of(instance, matrix, lambda: (items, amount))
    taken = set(instance.item_event[items].tolist())
    out = {e for e in range(len(instance.events)) if chosen[e] < 0 and not instance.required[e]}
    assert taken & out  # the greedy timetable leaves out requests the LP takes: there is something to follow
    for seed in range(5):
        hood = lns.lp_requests(ctx, chosen, np.random.default_rng(seed))
        assert hood.name == "lp_requests"
        assert set(hood.events.tolist()) & taken & out
    without = lns.Context.of(instance, matrix)  # before the LP's solution comes: the most valuable requests out
    assert lns.lp_requests(without, chosen, np.random.default_rng(0)).name == "worst_requests"


def test_the_lp_guided_search_keeps_every_rule_and_only_improves(summit) -> None:
    scenario, instance, rows, matrix, chosen = summit
    solution = _lp_solution(instance, rows)
    config = lns.LnsConfig(time_limit=1_000.0, workers=1, seed=2, max_rounds=8, deterministic_round=0.2,
                           lp_solution=lambda: solution)
    ledger = lns.large_neighbourhood_search(instance, matrix, chosen, 10**9, config)
    assert ledger.objective == value(instance, ledger.best) >= value(instance, chosen)
    ref = ScenarioRef(name=scenario.name, fingerprint=scenario.fingerprint())
    assert validate_timetable(scenario, timetable_from_placements(instance, ledger.best, ref, rows)) == []


def _lp_core(instance):
    """The whole LP's core as the bound's child sends it (PDLP, a fixed count of iterations)."""
    from solver.bound_beside import core_of
    from solver.model.bound import whole_lp_bound
    from solver.model.objective import placement_values

    weights: list = []
    whole_lp_bound(instance, placement_values(instance), 60.0, iterations=2_000, on_weights=weights.append)
    assert weights
    core = core_of(weights[-1])
    assert 0 < core.size < instance.n_items
    return core, weights[-1][core]


@pytest.mark.parametrize("neighbourhood", lns.NEIGHBOURHOODS, ids=lambda n: n.__name__)
def test_a_round_within_the_lps_core_frees_only_core_placements_and_the_events_own(summit, neighbourhood) -> None:
    _, instance, _, matrix, chosen = summit
    core, weight = _lp_core(instance)
    waiting = lns.Context.of(instance, matrix, core=lambda: None)  # before the core comes: the neighbourhood as it is
    hood = neighbourhood(waiting, chosen, np.random.default_rng(3))
    assert waiting.within_core(hood) is hood and not hood.cored
    ctx = lns.Context.of(instance, matrix, core=lambda: (core, weight))
    cored = ctx.within_core(neighbourhood(ctx, chosen, np.random.default_rng(3)))
    assert cored.cored and np.array_equal(cored.events, hood.events)
    events, free = lns.free_placements(ctx, chosen, cored, 20_000, np.random.default_rng(3))
    own = chosen[events][chosen[events] >= 0]
    assert np.isin(own, free).all()  # the current timetable is still one answer of the sub-model
    assert np.isin(free, np.union1d(core, own)).all()
    everywhere = lns.free_placements(waiting, chosen, hood, 20_000, np.random.default_rng(3))[1]
    assert free.size < everywhere.size


def test_the_search_within_the_lps_core_keeps_every_rule_and_only_improves(summit) -> None:
    scenario, instance, rows, matrix, chosen = summit
    core = _lp_core(instance)
    for toward_lp in (True, False):
        config = lns.LnsConfig(time_limit=1_000.0, workers=1, seed=2, max_rounds=8, deterministic_round=0.2,
                               lp_core=lambda: core, toward_lp=toward_lp)
        ledger = lns.large_neighbourhood_search(instance, matrix, chosen, 10**9, config)
        assert ledger.rounds == 8
        assert ledger.objective == value(instance, ledger.best) >= value(instance, chosen)
        assert [v for _, v in ledger.history] == sorted(v for _, v in ledger.history)
        ref = ScenarioRef(name=scenario.name, fingerprint=scenario.fingerprint())
        assert validate_timetable(scenario, timetable_from_placements(instance, ledger.best, ref, rows)) == []
        assert toward_lp or ledger.drifted == 0  # only rounds toward the LP take a timetable of equal value


def test_a_round_toward_the_lp_takes_among_equal_values_the_placements_the_lp_weighs_most(summit) -> None:
    """Within the core, a round's objective puts value first and the LP's weights second: re-planned from a
    timetable, it is worth as much or more, and when as much, it weighs at least as much in the LP."""
    _, instance, _, matrix, chosen = summit
    core, weight = _lp_core(instance)
    ctx = lns.Context.of(instance, matrix, core=lambda: (core, weight))
    config = lns.LnsConfig(time_limit=1_000.0, workers=1, deterministic_round=2.0)  # (the wall limit far away)
    lp_weight = np.zeros(instance.n_items)
    lp_weight[core] = weight
    drifted = 0
    for seed in range(6):
        hood = ctx.within_core(lns.time_window(ctx, chosen, np.random.default_rng(seed)))
        better, _ = lns.improve(ctx, chosen, hood, config, 600.0, np.random.default_rng(seed), 20_000)
        if better is None:
            continue
        assert value(instance, better) >= value(instance, chosen)
        if value(instance, better) == value(instance, chosen):
            drifted += 1
            assert lp_weight[better[better >= 0]].sum() > lp_weight[chosen[chosen >= 0]].sum()
    assert drifted  # the greedy timetable has equal-valued re-plans the LP weighs more


def test_the_search_goes_on_from_a_rounded_timetable_worth_more_and_refuses_one_that_breaks_a_rule(summit) -> None:
    """The timetable rounded from the LP beside the search (solver/model/rounding.py) is taken when it is worth
    more than the best and keeps every rule; one worth more that breaks a rule is refused."""
    scenario, instance, rows, matrix, chosen = summit
    weaker = chosen.copy()
    dropped = [e for e in range(len(instance.events)) if chosen[e] >= 0 and not instance.required[e]][:3]
    weaker[dropped] = -1  # the greedy timetable without three of its requests: the rounded one is worth more
    config = lns.LnsConfig(time_limit=1_000.0, workers=1, seed=2, max_rounds=1, deterministic_round=0.1,
                           rounded=lambda: (value(instance, chosen), chosen))
    ledger = lns.large_neighbourhood_search(instance, matrix, weaker, 10**9, config)
    assert ledger.improved.get(lns.ROUNDED) == 1 and ledger.objective >= value(instance, chosen)
    ref = ScenarioRef(name=scenario.name, fingerprint=scenario.fingerprint())
    assert validate_timetable(scenario, timetable_from_placements(instance, ledger.best, ref, rows)) == []

    out = next(e for e in range(len(instance.events)) if chosen[e] < 0 and instance.event_items[e].size)
    placed = next(e for e in range(len(instance.events)) if chosen[e] >= 0 and
                  set(instance.event_participants[e].tolist()) & set(instance.event_participants[out].tolist()))
    clash = chosen.copy()  # a request out put on top of an event of one of its participants, same start
    same_start = instance.event_items[out][instance.item_start[instance.event_items[out]]
                                           == instance.item_start[chosen[placed]]]
    assert same_start.size
    clash[out] = same_start[0]
    config.rounded = lambda: (value(instance, clash), clash)
    ledger = lns.large_neighbourhood_search(instance, matrix, chosen, 10**9, config)
    assert lns.ROUNDED not in ledger.improved and ledger.rounded_seen == value(instance, clash)


def test_a_rounded_timetable_taken_is_first_improved_by_the_moves_unless_they_are_off(summit) -> None:
    """The local search on the occupancy arrays (solver/model/moves.py) improves the rounded timetable as it is
    taken: the search goes on from what the moves made of it (every rule kept), or from it as it is when off."""
    from solver.model.moves import improved_by_moves

    scenario, instance, rows, matrix, chosen = summit
    weaker = chosen.copy()
    weaker[[e for e in range(len(instance.events)) if chosen[e] >= 0 and not instance.required[e]][:3]] = -1
    moved, stats = improved_by_moves(instance, chosen, stall=lns.MOVES_STALL)
    assert stats.gained > 0  # the greedy timetable leaves a request out that the moves bring in
    for moves in (True, False):
        config = lns.LnsConfig(time_limit=1_000.0, workers=1, seed=2, max_rounds=1, deterministic_round=0.1,
                               rounded=lambda: (value(instance, chosen), chosen), moves=moves)
        ledger = lns.large_neighbourhood_search(instance, matrix, weaker, 10**9, config)
        assert ledger.improved.get(lns.ROUNDED) == 1 and (lns.MOVES in ledger.improved) == moves
        assert ledger.best.tolist() == (moved if moves else chosen).tolist()
        ref = ScenarioRef(name=scenario.name, fingerprint=scenario.fingerprint())
        assert validate_timetable(scenario, timetable_from_placements(instance, ledger.best, ref, rows)) == []


def test_rounds_run_side_by_side_only_on_free_cores_and_never_in_a_deterministic_search() -> None:
    """Two rounds at once, one CP-SAT worker each, when the search has both cores; the second lane waits while the
    whole LP's child holds a core; a search with a fixed count of rounds or a deterministic limit has one lane."""
    from solver.lns import LnsConfig, lane_at_work, lanes_of, round_workers

    running = [True]
    config = LnsConfig(time_limit=60, workers=2, beside_running=lambda: running[0])
    assert lanes_of(config) == 2
    assert lane_at_work(config, 0) and not lane_at_work(config, 1)
    assert round_workers(config, lanes=2) == 1
    running[0] = False
    assert lane_at_work(config, 1) and round_workers(config, lanes=2) == 1
    assert round_workers(LnsConfig(time_limit=60, workers=4), lanes=2) == 2
    assert lanes_of(LnsConfig(time_limit=60, workers=1)) == 1
    assert lanes_of(LnsConfig(time_limit=60, workers=2, max_rounds=3)) == 1
    assert lanes_of(LnsConfig(time_limit=60, workers=2, deterministic_round=0.1)) == 1
    assert lanes_of(LnsConfig(time_limit=60, workers=2, lanes=1)) == 1


def _requests_taken_alone(instance, matrix, chosen, ctx):
    """(event, placement) of requests still out that the timetable can take in by themselves."""
    found = []
    for event in np.flatnonzero((chosen < 0) & ~instance.required).tolist():
        for item in instance.event_items[event][:40].tolist():
            trial = chosen.copy()
            trial[event] = item
            if lns.keeps_the_rows(ctx, trial):
                found.append((event, item))
                break
    return found


def test_a_round_begun_on_an_older_best_is_merged_onto_the_new_one_only_if_every_rule_holds(summit) -> None:
    """Two lanes re-plan from the same best; the first to finish improves it. The second's changes are applied onto
    the new best: kept when they still keep every row (both lanes' gains together), refused when they clash."""
    _, instance, _, matrix, greedy = summit
    ctx = lns.Context.of(instance, matrix)
    chosen = np.where(instance.required, greedy, -1)  # the required events alone: room for requests to come in
    taken = _requests_taken_alone(instance, matrix, chosen, ctx)
    together = clash = None
    for (e1, i1) in taken:
        for (e2, i2) in taken:
            if e1 >= e2:
                continue
            both = chosen.copy()
            both[[e1, e2]] = [i1, i2]
            key = "together" if lns.keeps_the_rows(ctx, both) else "clash"
            if key == "together" and together is None:
                together = ((e1, i1), (e2, i2))
            if key == "clash" and clash is None:
                clash = ((e1, i1), (e2, i2))
    assert together is not None and clash is not None
    for pair, merged in ((together, True), (clash, False)):
        (e1, i1), (e2, i2) = pair
        ledger = lns.LnsLedger(chosen.copy(), value(instance, chosen), 10**9, 0.0)
        base = lns._State(ledger.best, ledger.objective, version=ledger.version)
        first, second = chosen.copy(), chosen.copy()
        first[e1], second[e2] = i1, i2
        assert lns._commit(ctx, ledger, base, first, "time_window")  # the first lane's round: taken as it is
        assert lns._commit(ctx, ledger, base, second, "leader_day") is merged
        assert (ledger.merged, ledger.refused) == ((1, 0) if merged else (0, 1))
        assert ledger.best[e1] == i1 and bool(ledger.best[e2] == i2) is merged
        assert ledger.objective == value(instance, ledger.best)
        assert lns.keeps_the_rows(ctx, ledger.best)


def test_two_lanes_keep_every_rule_and_only_improve(summit) -> None:
    """Two rounds at once for a couple of seconds (whatever they find, on any machine): the best keeps every rule
    and the history only climbs."""
    scenario, instance, rows, matrix, chosen = summit
    config = lns.LnsConfig(time_limit=2.0, workers=2, seed=3, round_seconds=0.3)
    ledger = lns.large_neighbourhood_search(instance, matrix, chosen, 10**9, config)
    assert ledger.objective == value(instance, ledger.best) >= value(instance, chosen)
    assert [v for _, v in ledger.history] == sorted(v for _, v in ledger.history)
    ref = ScenarioRef(name=scenario.name, fingerprint=scenario.fingerprint())
    assert validate_timetable(scenario, timetable_from_placements(instance, ledger.best, ref, rows)) == []


def test_a_long_window_spans_twice_the_time_of_a_time_window_and_frees_what_is_placed_in_it(summit) -> None:
    _, instance, _, matrix, chosen = summit
    ctx = lns.Context.of(instance, matrix)
    grid = instance.grid
    for seed in range(4):
        short = lns.time_window(ctx, chosen, np.random.default_rng(seed))
        long = lns.long_window(ctx, chosen, np.random.default_rng(seed))
        assert long.name == "long_window" and long.region is not None and short.region is not None
        day = int(grid.slot_day[instance.item_start[np.flatnonzero(long.region)[0]]])
        width = 2 * max(grid.slots_for(60), int(grid.day_slots[day]) // 8)
        inside = np.flatnonzero(long.region)
        assert (grid.slot_day[instance.item_start[inside]] == day).all()
        assert instance.item_end[inside].max() - instance.item_start[inside].min() <= width
        placed = np.flatnonzero(chosen >= 0)
        assert set(placed[long.region[chosen[placed]]].tolist()) <= set(long.events.tolist())
        assert inside.size > np.flatnonzero(short.region).size  # (twice as wide: more placements)


def test_a_two_days_window_frees_the_same_hours_on_two_days_so_a_placed_event_may_change_day(summit) -> None:
    _, instance, _, matrix, chosen = summit
    ctx = lns.Context.of(instance, matrix)
    grid = instance.grid
    may_change_day = 0
    for seed in range(4):
        hood = lns.two_days_window(ctx, chosen, np.random.default_rng(seed))
        assert hood.name == "two_days_window" and hood.region is not None
        inside = np.flatnonzero(hood.region)
        days = np.unique(grid.slot_day[instance.item_start[inside]])
        assert days.size == 2
        local_start = instance.item_start[inside] - grid.day_offset[grid.slot_day[instance.item_start[inside]]]
        local_end = instance.item_end[inside] - grid.day_offset[grid.slot_day[instance.item_start[inside]]]
        width = 2 * max(grid.slots_for(60), int(grid.day_slots[days].min()) // 8)
        assert local_end.max() - local_start.min() <= width  # the same hours of the day on both
        placed = np.flatnonzero(chosen >= 0)
        in_window = placed[hood.region[chosen[placed]]]
        assert set(in_window.tolist()) <= set(hood.events.tolist())
        for event in in_window.tolist():
            day_now = grid.slot_day[instance.item_start[chosen[event]]]
            places = instance.event_items[event][hood.region[instance.event_items[event]]]
            may_change_day += bool((grid.slot_day[instance.item_start[places]] != day_now).any())
    assert may_change_day > 0


def test_a_two_days_window_of_a_one_day_summit_is_a_long_window() -> None:
    instance = compile_scenario(generate_scenario(8, 20, 1, seed=1))
    rows = all_rows(instance)
    matrix = RowMatrix.of(rows, instance.n_items)
    chosen = greedy_placements(instance, rows, index=matrix.by_item)
    ctx = lns.Context.of(instance, matrix)
    hood = lns.two_days_window(ctx, chosen, np.random.default_rng(0))
    assert hood.name == "long_window" and hood.region is not None and hood.region.any()


def test_long_windows_are_tried_only_within_the_lps_core(summit) -> None:
    _, instance, _, matrix, chosen = summit
    core = _lp_core(instance)
    for cored in (True, False):
        config = lns.LnsConfig(time_limit=1_000.0, workers=1, seed=2, max_rounds=30, deterministic_round=0.05,
                               lp_core=(lambda: core) if cored else None)
        ledger = lns.large_neighbourhood_search(instance, matrix, chosen, 10**9, config)
        assert ledger.rounds == 30
        assert ("long_window" in ledger.tried) is cored
        assert ("two_days_window" in ledger.tried) is cored
