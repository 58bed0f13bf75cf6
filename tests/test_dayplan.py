"""The slack stage's judgement on arrays (solver/dayplan.py) is `summit replay` on the same draws, exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from solver.compile import Instance, compile_scenario
from solver.dayplan import touched
from solver.extract import assignments_of
from solver.generate import generate_scenario
from solver.model.constraints import all_rows
from solver.model.rows import RowIndex
from solver.overruns import Draws, draw_days
from solver.replan.plan import placements_of
from solver.replay import Plan, plan_of, propagate, replay
from solver.scenario import Scenario, load_scenario
from solver.slack import Judge, Loads
from solver.solve import SolveConfig, solve
from solver.timetable import Timetable, load_timetable
from solver.validate import validate_timetable

ROOT = Path(__file__).resolve().parents[1]


def _judge_on(instance: Instance, table: Timetable, plan: Plan, draws: Draws) -> Judge:
    """A judge whose draws are the replay's: each event and each (participant, date) keeps the replay's draw."""
    scenario = instance.scenario
    runs = draws.event_late.shape[0]
    columns = {f"arrival of {p.id} on {d.date.isoformat()}": k
               for k, (d, p) in enumerate((d, p) for d in scenario.days for p in scenario.participants)}
    event_late = np.zeros((runs, len(instance.events)))
    event_late[:, [instance.event_index[e.id] for e in plan.events]] = draws.event_late
    arrival_late = np.zeros((runs, len(columns)))
    arrival_late[:, [columns[name] for name in plan.arrival_names]] = draws.arrival_late
    return Judge(instance, table.scenario, runs, seed=0, draws=(event_late, arrival_late))


def _same_as_replay(instance: Instance, table: Timetable, chosen: np.ndarray, runs: int = 50, seed: int = 3,
                    room_of: dict[int, int] | None = None) -> int:
    """Day by day, the judgement's plan is the replay's (its holds within the day) and each event moves or is lost
    in the same runs as `summit replay` has it; returns the events moved or lost over the runs."""
    scenario = instance.scenario
    plan = plan_of(scenario, table)
    draws = draw_days(scenario, plan.events, plan.arrival_tiers, runs, seed)
    outcome = propagate(plan, draws)
    expected = (outcome.moved | outcome.lost).T  # (events, runs)
    judge = _judge_on(instance, table, plan, draws)
    ids = [e.id for e in plan.events]
    total = 0
    for day in range(len(scenario.days)):
        fast = judge.plan(chosen, day, room_of)
        at = [ids.index(instance.events[e].id) for e in fast.events.tolist()]
        assert at == sorted(at) and (fast.start == plan.start[at]).all()
        assert (fast.duration == plan.duration[at]).all() and (fast.limit == plan.limit[at]).all()
        within = {j: k for k, j in enumerate(at)}
        assert fast.before == [[(within[j], gap) for j, gap in plan.before[i] if j in within] for i in at]
        assert fast.arrivals == [[judge.arrival_column[plan.arrival_names[k]] for k in plan.arrivals[i]] for i in at]
        moved = touched(fast, judge.event_rows[fast.events], judge.arrival_rows)
        assert (moved == expected[at]).all()
        if room_of is None:  # the judgement itself: the day's score and each event's chance
            score, chances = judge.day(chosen, day)
            assert score == moved.sum() / runs and (chances[fast.events] == moved.mean(axis=1)).all()
        total += int(moved.sum())
    assert total == int(expected.sum())  # (no event is left out of the days)
    return total


def _table(model: Scenario, instance: Instance, chosen: np.ndarray, like: Timetable) -> Timetable:
    table = like.model_copy(update={"assignments": assignments_of(instance, chosen, slack=True)})
    assert validate_timetable(model, table) == []
    return table


@pytest.mark.parametrize("seed", range(4))
def test_the_judgement_is_the_replay_on_small_generated_summits_and_after_moves(seed: int) -> None:
    # summits shaped like Hanoi (vvip sweeps, travel between zones, availability, latest ends, events in order):
    # the plain solve's placements, then random single moves the model's rows allow, each validated
    model = generate_scenario(delegations=10 + seed, bilaterals=16 + 2 * seed, days=2, seed=seed)
    base = solve(model, config=SolveConfig(time_limit=5, workers=1, lp_bound=False)).timetable
    instance = compile_scenario(model)
    chosen = placements_of(instance, base.assignments)
    _same_as_replay(instance, _table(model, instance, chosen, base), chosen)
    index = RowIndex.of(all_rows(instance), instance.n_items)
    loads = Loads(index, index.load_of(chosen[chosen >= 0]))
    rng = np.random.default_rng(seed)
    moves = 0
    for e in rng.permutation(np.flatnonzero(chosen >= 0)).tolist():
        fits = [int(i) for i in rng.permutation(instance.event_items[e])
                if i != chosen[e] and loads.fits(int(chosen[e]), int(i))]
        if moves == 6 or not fits:
            continue
        loads.move(int(chosen[e]), fits[0])
        chosen[e] = fits[0]
        moves += 1
        _same_as_replay(instance, _table(model, instance, chosen, base), chosen)
    assert moves > 0


def test_the_judgement_is_summit_replay_on_hanois_stored_timetable_in_its_own_rooms() -> None:
    model = load_scenario(ROOT / "scenarios" / "hanoi-2025.yaml")
    table = load_timetable(ROOT / "benchmarks" / "hanoi-base-timetable.json")
    assert validate_timetable(model, table) == []
    instance = compile_scenario(model)
    chosen = placements_of(instance, table.assignments)
    assert (chosen >= 0).sum() == len(table.assignments)
    room_of = {instance.event_index[a.event]: instance.room_index[a.room] for a in table.assignments}
    count = _same_as_replay(instance, table, chosen, runs=200, seed=0, room_of=room_of)
    result = replay(model, table, runs=200, seed=0)  # `summit replay --runs 200 --seed 0`
    assert count / 200 == pytest.approx(result.moved.mean + result.lost.mean, abs=1e-3)


def test_the_moves_allowed_at_once_are_the_moves_allowed_one_by_one() -> None:
    # every rule's row, "after" rows (negative coefficients) included: fits_many is fits for each place
    model = generate_scenario(delegations=12, bilaterals=20, days=2, seed=1)
    base = solve(model, config=SolveConfig(time_limit=5, workers=1, lp_bound=False)).timetable
    instance = compile_scenario(model)
    chosen = placements_of(instance, base.assignments)
    index = RowIndex.of(all_rows(instance), instance.n_items)
    loads = Loads(index, index.load_of(chosen[chosen >= 0]))
    assert loads.rows_once
    allowed = 0
    for e in np.flatnonzero(chosen >= 0).tolist():
        items = instance.event_items[e]
        items = items[items != chosen[e]]
        one_by_one = [loads.fits(int(chosen[e]), int(i)) for i in items.tolist()]
        assert loads.fits_many(int(chosen[e]), items).tolist() == one_by_one
        allowed += sum(one_by_one)
    assert allowed > 0
