"""The time-aggregated LP bound (solver/bound.py) is a valid upper bound: never below an exact
optimum (brute force on tiny random scenarios), and
not the trivial one where a leader or a room is over-subscribed."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings

from solver.bound import aggregated_bound
from solver.compile import Instance, compile_scenario
from solver.model.rows import IntArray, Rows
from solver.scenario import Scenario
from solver.solve import solve
from tests.brute import brute_force_optimum
from tests.builders import event, scenario
from tests.test_properties import small_scenarios


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_scenarios(max_events=3, day_end="10:15"))
def test_never_below_the_brute_force_optimum(model: Scenario) -> None:
    best = brute_force_optimum(model)
    bound = aggregated_bound(compile_scenario(model)).value
    if best is None:  # no timetable at all: any answer is a bound (the LP may see it: -1)
        return
    assert bound is not None and bound >= best


def whole_lp_optimum(instance: Instance, rows: Rows, value: IntArray) -> float:
    """The whole LP's exact optimum, by GLOP."""
    from ortools.linear_solver import pywraplp

    from solver.model.bound import lp_proto

    glop = pywraplp.Solver.CreateSolver("GLOP")
    glop.LoadModelFromProto(lp_proto(instance, rows, value, True))
    assert glop.Solve() == pywraplp.Solver.OPTIMAL
    return float(glop.Objective().Value())


def pdlp_after(program: Any, iterations: int) -> Any:
    """PDLP's result on ``program`` after ``iterations`` iterations, one thread (deterministic)."""
    from ortools.pdlp import solvers_pb2
    from ortools.pdlp.python import pdlp

    params = solvers_pb2.PrimalDualHybridGradientParams()
    params.num_threads = 1
    params.termination_criteria.iteration_limit = iterations
    return pdlp.primal_dual_hybrid_gradient(program, params)


def busy_leader() -> Scenario:
    """Five 30-minute requests for one leader in a one-hour day: at most two fit."""
    return scenario(
        days=[{"date": "2025-10-25", "start": "09:00", "end": "10:00"}],
        rooms=[{"id": f"r{k}", "capacity": 10} for k in range(5)],
        participants=[{"id": "lead"}] + [{"id": f"guest{k}"} for k in range(5)],
        events=[event(f"meet{k}", people=("lead", f"guest{k}"), kind="bilateral", priority=k + 1)
                for k in range(5)])


def test_an_over_subscribed_leader_gives_a_tight_bound() -> None:
    model = busy_leader()
    bound = aggregated_bound(compile_scenario(model)).value
    assert bound == 9  # the two most valuable requests (5 and 4); the trivial bound would be 15
    timetable = solve(model, time_limit=10, workers=1).timetable
    assert timetable.status == "optimal" and timetable.objective == 9


def test_any_multipliers_give_a_bound_on_the_lp() -> None:
    """The Lagrangian bound that prices PDLP's multipliers is valid whatever they are."""
    import numpy as np
    from ortools.linear_solver import pywraplp

    from solver.bound import aggregated_lp, lagrangian_bound
    from solver.generate import generate_scenario

    proto = aggregated_lp(compile_scenario(generate_scenario(14, 30, 2, seed=3)))
    glop = pywraplp.Solver.CreateSolver("GLOP")
    glop.LoadModelFromProto(proto)
    assert glop.Solve() == pywraplp.Solver.OPTIMAL
    optimum = glop.Objective().Value()
    exact = np.asarray([c.dual_value() for c in glop.constraints()])
    assert lagrangian_bound(proto, exact) >= optimum - 1e-6
    assert abs(lagrangian_bound(proto, exact) - optimum) < 1e-3 * max(1.0, optimum)  # tight at the LP's duals
    rng = np.random.default_rng(0)
    for _ in range(5):
        assert lagrangian_bound(proto, rng.normal(size=len(proto.constraint))) >= optimum - 1e-6


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_scenarios(max_events=3, day_end="10:15"))
def test_the_whole_lp_by_pdlp_is_never_below_the_brute_force_optimum(model: Scenario) -> None:
    """Whatever PDLP's multipliers after a fixed, small number of iterations, their Lagrangian bound holds."""
    from solver.model.bound import whole_lp_bound
    from solver.model.objective import placement_values

    best = brute_force_optimum(model)
    instance = compile_scenario(model)
    bound = whole_lp_bound(instance, placement_values(instance), 60.0, iterations=50)
    if best is None:
        return
    assert bound is not None and bound >= best


def test_the_bound_beside_the_search_is_proven_in_its_own_process() -> None:
    """The child reads the scenario and prints the bound of each round of the whole LP; each holds."""
    from solver.bound_beside import BoundBeside

    beside = BoundBeside()
    assert beside.best() is None
    beside.close()  # (nothing to stop when it never started)
    beside.start(busy_leader(), 60.0, solutions=True)
    assert beside.process is not None
    beside.process.wait(timeout=120)  # the LP is tiny: its first round ends on optimality, far before 60 s
    beside.close()
    assert beside.found and all(bound >= 9 for _, bound in beside.found)  # 9: the exact optimum
    solution = beside.solution()  # the LP's solution comes too (the LP-guided neighbourhood follows it)
    assert solution is not None
    placements, amount = solution
    n_items = compile_scenario(busy_leader()).n_items
    assert placements.size and (placements < n_items).all() and ((amount >= 0.1) & (amount <= 1 + 1e-6)).all()


def _child_ended(rounded: bool = False, core: bool = False):
    """The bound's child on the busy leader's summit, run to its end (its LP is tiny: the first round is optimal)."""
    from solver.bound_beside import BoundBeside

    beside = BoundBeside()
    beside.start(busy_leader(), 60.0, rounded=rounded, core=core)
    assert beside.process is not None
    beside.process.wait(timeout=120)
    beside.close()
    return beside


def test_the_child_sends_the_timetable_it_rounds_from_the_lp() -> None:
    """Asked, the child rounds the LP's solution into a timetable (solver/model/rounding.py) and sends it: one
    placement per event, every rule kept; here the LP's optimum, the two most valuable requests (9)."""
    from solver.model.greedy import keeps_every_rule

    rounded = _child_ended(rounded=True).rounded()
    assert rounded is not None
    value, chosen = rounded
    instance = compile_scenario(busy_leader())
    assert chosen.size == len(instance.events) and keeps_every_rule(instance, chosen)
    assert value == 9 and sorted(e for e in range(5) if chosen[e] >= 0) == [3, 4]


def test_the_child_stops_rounding_once_the_search_has_passed_what_it_rounded(capsys) -> None:
    """The child's rounding (``_Rounding``) rounds a settled round's solution and sends it while the search is behind;
    once the parent has said the search's best is worth more than every timetable sent, it rounds no more."""
    from solver.bound_beside import _Rounding

    instance = compile_scenario(busy_leader())
    weight = np.full(instance.n_items, 0.5)

    def settled_round(search_at: int, sent: int) -> str:
        """What one settled round (its bound unmoved) of a child in that state prints."""
        rounding = _Rounding(instance)
        rounding.rounds, rounding.sent, rounding.search_at = 1, sent, search_at
        rounding.bound(9)
        rounding.bound_before = 9
        capsys.readouterr()
        rounding(weight)
        return str(capsys.readouterr().out)

    assert '"rounded"' in settled_round(search_at=-1, sent=-1)  # nothing sent yet: it rounds and sends
    assert '"rounded"' in settled_round(search_at=10**6, sent=-1)  # ... whatever the search has
    assert '"rounded"' in settled_round(search_at=0, sent=0)  # the search not past what was sent: it rounds
    assert settled_round(search_at=1, sent=0) == ""  # past it: no more rounding


def test_the_parent_tells_the_child_the_searchs_best_once_past_its_roundings() -> None:
    """The parent writes the search's best to the child's input only when it passes the best rounded timetable come,
    once per value (here a process that echoes its input stands in for the child); a child that has ended hears
    nothing, and nothing fails."""
    import subprocess
    import sys

    from solver.bound_beside import BoundBeside

    ended = _child_ended(rounded=True)
    rounded = ended.rounded()
    assert rounded is not None and ended.found  # the child read the scenario from its first line
    ended.search_reached(rounded[0] + 5)
    assert ended.told == -1
    beside = BoundBeside()
    beside.process = subprocess.Popen([sys.executable, "-c", "import sys; print(sys.stdin.read(), end='')"],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    beside.document_sent = True
    beside.search_reached(7)  # no rounded timetable yet: nothing to pass
    beside.timetable = (5, np.zeros(0, dtype=np.int64))
    for value in (4, 5, 6, 6, 8):
        beside.search_reached(value)
    out, _ = beside.process.communicate(timeout=60)
    assert out == "6\n8\n" and beside.told == 8


def test_the_child_sends_the_lps_core_where_its_solution_puts_the_events() -> None:
    """Asked, the child sends the placements each round's solution gives more than a thousandth (the core the
    search's rounds re-plan within): placements of this summit, the LP's optimum among them (the two most valuable
    requests, 3 and 4)."""
    from solver.bound_beside import BoundBeside

    assert BoundBeside().core() is None
    sent = _child_ended(core=True).core()
    assert sent is not None
    core, weight = sent
    assert core.size == weight.size > 0 and (weight > 0.001).all() and (weight <= 1 + 1e-6).all()
    instance = compile_scenario(busy_leader())
    assert ((core >= 0) & (core < instance.n_items)).all()
    assert {3, 4} <= set(instance.item_event[core].tolist())


def test_the_core_is_the_placements_the_lp_gives_more_than_a_thousandth() -> None:
    from solver.bound_beside import CORE_WEIGHT, core_of

    weight = np.asarray([0.0, CORE_WEIGHT, 2 * CORE_WEIGHT, 0.5, 1.0])
    assert core_of(weight).tolist() == [2, 3, 4]


def test_a_solve_with_the_bound_beside_keeps_it_valid() -> None:
    from solver.solve import SolveConfig

    model = busy_leader()
    result = solve(model, config=SolveConfig(time_limit=20, workers=1, bound_beside_above=0))
    assert result.timetable.objective == 9
    assert result.timetable.bound is not None and result.timetable.bound >= 9


def test_pricing_with_the_events_kept_whole_is_a_bound_and_never_looser() -> None:
    """The pricing PDLP's multipliers go through (each event's own row kept whole): never below the LP's optimum
    whatever the multipliers, at most the plain Lagrangian bound of the same ones, exact at the LP's duals; read
    from the rows it is the same as read from the LP."""
    import numpy as np
    from ortools.linear_solver import pywraplp

    from solver.bound import Pricing, aggregated_lp, lagrangian_bound
    from solver.generate import generate_scenario
    from solver.model.bound import lp_proto
    from solver.model.constraints import all_rows
    from solver.model.objective import placement_values

    instance = compile_scenario(generate_scenario(8, 16, 1, seed=3))
    for proto in (aggregated_lp(instance), lp_proto(instance, all_rows(instance), placement_values(instance), True)):
        glop = pywraplp.Solver.CreateSolver("GLOP")
        glop.LoadModelFromProto(proto)
        assert glop.Solve() == pywraplp.Solver.OPTIMAL
        optimum = glop.Objective().Value()
        exact = np.asarray([c.dual_value() for c in glop.constraints()])
        pricing = Pricing.of_proto(proto)
        assert pricing.event_rows == sum(items.size > 0 for items in instance.event_items)
        assert optimum - 1e-6 <= pricing.of_duals(exact) < optimum + 1e-3 * max(1.0, optimum)
        rng = np.random.default_rng(0)
        for _ in range(5):
            multipliers = rng.normal(size=len(proto.constraint))
            priced = min(pricing.bound(multipliers[pricing.event_rows:]), lagrangian_bound(proto, multipliers))
            assert optimum - 1e-6 <= pricing.bound(multipliers[pricing.event_rows:]) <= priced + 1e-6
    rows = all_rows(instance)
    whole = lp_proto(instance, rows, placement_values(instance), True)
    multipliers = np.abs(np.random.default_rng(1).normal(size=len(whole.constraint)))
    from_rows = Pricing.of_rows(instance, rows, placement_values(instance))
    assert abs(from_rows.of_duals(multipliers) - Pricing.of_proto(whole).of_duals(multipliers)) < 1e-6


def test_the_whole_lp_built_by_columns_is_the_lp_of_every_row() -> None:
    """The whole LP as PDLP's program (built one family at a time, by columns) has the same optimum as the LP
    written row by row."""
    from ortools.linear_solver import pywraplp
    from ortools.pdlp.python import pdlp

    from solver.generate import generate_scenario
    from solver.model.bound import lp_proto, whole_lp
    from solver.model.constraints import all_rows
    from solver.model.objective import placement_values

    instance = compile_scenario(generate_scenario(8, 16, 1, seed=3))
    rows, value = all_rows(instance), placement_values(instance)
    optima = []
    for proto in (lp_proto(instance, rows, value, True), pdlp.qp_to_mpmodel_proto(whole_lp(instance, value).program)):
        glop = pywraplp.Solver.CreateSolver("GLOP")
        glop.LoadModelFromProto(proto)
        assert glop.Solve() == pywraplp.Solver.OPTIMAL
        optima.append(glop.Objective().Value())
    assert abs(optima[0] - optima[1]) < 1e-6


def test_pdlps_reduced_costs_price_its_multipliers_as_the_rows_do() -> None:
    """The whole LP keeps no entry beside PDLP: its multipliers are priced from PDLP's reduced costs, to the same
    bound as from the rows, and never below the LP's optimum; a multiplier of the wrong sign gives no bound."""
    import math

    import numpy as np

    from solver.bound import Pricing
    from solver.generate import generate_scenario
    from solver.model.bound import whole_lp
    from solver.model.constraints import all_rows
    from solver.model.objective import placement_values

    instance = compile_scenario(generate_scenario(14, 30, 2, seed=3))
    rows, value = all_rows(instance), placement_values(instance)
    optimum = whole_lp_optimum(instance, rows, value)
    lp = whole_lp(instance, value)
    assert lp.pricing.entry_var.size == 0 and lp.pricing.from_reduced_costs  # nothing kept
    from_rows = Pricing.of_rows(instance, rows, value)
    for iterations in (50, 300, 2_000):
        result = pdlp_after(lp.program, iterations)
        duals, reduced = np.asarray(result.dual_solution), np.asarray(result.reduced_costs)
        priced = lp.pricing.of_reduced_costs(duals, reduced)
        assert abs(priced - from_rows.bound(-duals[from_rows.event_rows:])) < 1e-6 * max(1.0, priced)
        assert priced >= optimum - 1e-6
    wrong = duals.copy()
    wrong[-1] = 1.0
    assert lp.pricing.of_reduced_costs(wrong, reduced) == math.inf


def test_a_program_of_some_placements_prices_the_others_to_the_whole_lps_bound() -> None:
    """The whole LP's program may hold the placements of the highest priorities only: its multipliers are priced over
    every placement (the left-out ones from their own entries), to the same bound as the rows price them, never below
    the whole LP's optimum; its solution weighs the left-out placements 0."""
    from solver.bound import Pricing
    from solver.generate import generate_scenario
    from solver.model.bound import whole_lp
    from solver.model.constraints import all_rows
    from solver.model.objective import placement_values

    instance = compile_scenario(generate_scenario(14, 60, 2, seed=3))
    rows, value = all_rows(instance), placement_values(instance)
    optimum = whole_lp_optimum(instance, rows, value)
    columns = np.flatnonzero((instance.required | (instance.priority >= 3))[instance.item_event])
    assert 0 < columns.size < instance.n_items
    lp = whole_lp(instance, value, columns=columns)
    assert lp.program.objective_vector.size == columns.size
    from_rows = Pricing.of_rows(instance, rows, value)
    for iterations in (50, 400, 3_000):
        result = pdlp_after(lp.program, iterations)
        duals = np.asarray(result.dual_solution)
        priced = lp.pricing.of_reduced_costs(duals, np.asarray(result.reduced_costs))
        assert abs(priced - from_rows.bound(-duals[from_rows.event_rows:])) < 1e-6 * max(1.0, priced)
        assert priced >= optimum - 1e-6
    weight = lp.weights(np.asarray(result.primal_solution), instance.n_items)
    left_out = np.ones(instance.n_items, dtype=bool)
    left_out[columns] = False
    assert weight.size == instance.n_items and not weight[left_out].any()
    assert np.array_equal(weight[columns], np.asarray(result.primal_solution))


def test_the_whole_lps_program_leaves_out_the_lowest_priorities_only_where_the_highest_ask_twice_the_rooms() -> None:
    """Where the requests of the highest priorities alone ask twice the summit's room-time, the whole LP's program
    holds them and every required event, and leaves the lowest priorities out; where they do not, it holds every
    placement."""
    from solver.generate import generate_scenario
    from solver.model.bound import program_placements
    from solver.model.objective import placement_values

    light = compile_scenario(generate_scenario(14, 60, 2, seed=3))
    assert program_placements(light, placement_values(light)) is None
    crowded = compile_scenario(generate_scenario(40, 800, 1, seed=5))
    held = program_placements(crowded, placement_values(crowded))
    assert held is not None
    event_held = np.zeros(len(crowded.events), dtype=bool)
    event_held[crowded.item_event[held]] = True
    with_placements = np.asarray([items.size > 0 for items in crowded.event_items])
    assert event_held[crowded.required & with_placements].all()
    optional = ~crowded.required & with_placements
    lowest = crowded.priority[optional & event_held].min()
    assert (crowded.priority[optional & ~event_held] < lowest).all()  # whole priorities, the lowest left out
    assert (~event_held & optional).any()
    held_mask = np.zeros(crowded.n_items, dtype=bool)
    held_mask[held] = True
    assert np.array_equal(held_mask, event_held[crowded.item_event])  # every placement of an event held


def test_the_largest_summits_whole_lp_leaves_out_travel_and_time_budgets() -> None:
    """Above LIGHT_ABOVE placements the whole LP leaves out the two families that cost the most memory and did not
    move its optimum; below, every family stays."""
    from solver.model import bound
    from solver.model.constraints import ALL_FAMILIES

    assert bound.whole_lp_families(bound.LIGHT_ABOVE) == ALL_FAMILIES
    names = {family.__name__ for family in bound.whole_lp_families(bound.LIGHT_ABOVE + 1)}
    assert names == {family.__name__ for family in ALL_FAMILIES} - bound.LIGHT_LEAVES_OUT
    assert len(names) == len(ALL_FAMILIES) - 2


def test_the_aggregated_lp_is_left_to_the_whole_lps_child_where_the_search_is_lns_alone() -> None:
    """Where large-neighbourhood search alone improves the greedy timetable (above ``decompose_above`` placements,
    or asked), the whole LP's child's first round proves less than the time-aggregated LP: the search does not spend
    its CPU on the aggregated LP first; where the whole model runs, it does (it may prove the greedy optimal)."""
    import time

    from solver.bound_beside import BoundBeside
    from solver.budget import Budget
    from solver.solve.config import SHARES, SolveConfig, SolveStats
    from solver.solve.steps import Run, aggregated_left_to_child
    from solver.timetable import ScenarioRef

    instance = compile_scenario(busy_leader())

    def run(config: SolveConfig) -> Run:
        return Run(instance, config, Budget.of(time.monotonic(), 5.0, 0.0, None, shares=SHARES), SolveStats(),
                   ScenarioRef(name="busy", fingerprint="-"), None, BoundBeside())

    assert not aggregated_left_to_child(run(SolveConfig(time_limit=5)))
    assert aggregated_left_to_child(run(SolveConfig(time_limit=5, lns_only=True)))
    assert aggregated_left_to_child(run(SolveConfig(time_limit=5, decompose_above=instance.n_items - 1)))


def test_when_the_whole_lps_child_lags_near_the_end_the_aggregated_lp_comes_after_all() -> None:
    """A child whose bound has not come within a fifth of the incumbent with a quarter of the time left (a loaded
    machine) has the aggregated LP computed once after all; with more time left, or no incumbent, it waits."""
    import time

    from solver.bound_beside import BoundBeside
    from solver.budget import Budget
    from solver.solve.config import SHARES, SolveConfig, SolveStats
    from solver.solve.steps import Run, bound_after_a_failed_or_lagging_child
    from solver.timetable import ScenarioRef

    model = busy_leader()
    instance = compile_scenario(model)

    def run(elapsed: float) -> Run:
        budget = Budget.of(time.monotonic() - elapsed, 10.0, 0.0, None, shares=SHARES)
        late = Run(instance, SolveConfig(time_limit=10), budget, SolveStats(),
                   ScenarioRef(name="busy", fingerprint="-"), None, BoundBeside())  # (a child with no bound: unstarted)
        late.aggregated_left_to_child = True
        return late

    assert bound_after_a_failed_or_lagging_child(run(2.0), incumbent=1) is None  # most of the time left
    assert bound_after_a_failed_or_lagging_child(run(9.5), incumbent=None) is None  # nothing to weigh it by
    late = run(9.5)
    assert bound_after_a_failed_or_lagging_child(late, incumbent=1) == aggregated_bound(instance).value
    assert bound_after_a_failed_or_lagging_child(late, incumbent=1) is None  # once


def test_when_the_whole_lps_child_ends_without_a_bound_the_aggregated_lp_comes_after_all() -> None:
    """Above a million placements the search leaves the bound to the whole LP's child; if the child ends without
    one (a job's memory limit kills it), the aggregated LP is computed once, so the answer still has its bound."""
    import time

    from solver.bound_beside import BoundBeside
    from solver.budget import Budget
    from solver.solve.config import SHARES, SolveConfig, SolveStats
    from solver.solve.steps import Run, bound_after_a_failed_or_lagging_child
    from solver.timetable import ScenarioRef

    model = busy_leader()
    instance = compile_scenario(model)
    beside = BoundBeside()
    beside.start(model, 60.0)
    assert beside.process is not None
    beside.process.kill()
    beside.process.wait(timeout=30)
    assert beside.failed()
    run = Run(instance, SolveConfig(time_limit=5), Budget.of(time.monotonic(), 5.0, 0.0, None, shares=SHARES),
              SolveStats(), ScenarioRef(name="busy", fingerprint="-"), None, beside)
    assert bound_after_a_failed_or_lagging_child(run) is None  # the aggregated LP ran before the search
    run.aggregated_left_to_child = True
    assert bound_after_a_failed_or_lagging_child(run) == aggregated_bound(instance).value
    assert bound_after_a_failed_or_lagging_child(run) is None  # once
    beside.close()


def _pdlp_log(primal_objective: float, residual: float) -> object:
    from ortools.pdlp import solve_log_pb2

    log = solve_log_pb2.SolveLog()
    log.solution_type = solve_log_pb2.POINT_TYPE_CURRENT_ITERATE
    point = log.solution_stats.convergence_information.add()
    point.candidate_type = solve_log_pb2.POINT_TYPE_CURRENT_ITERATE
    point.primal_objective, point.l_inf_primal_residual = primal_objective, residual
    other = log.solution_stats.convergence_information.add()  # another point than the one returned: not read
    other.candidate_type = solve_log_pb2.POINT_TYPE_AVERAGE_ITERATE
    other.primal_objective, other.l_inf_primal_residual = 2_000.0, 0.0
    return log


def test_the_bounds_floor_is_settled_only_when_the_lps_primal_is_worth_it_with_a_margin() -> None:
    """The whole LP's child stops once no later round can lower the bound's floor: PDLP's primal (the point it
    returned, its rows nearly kept) is worth the floor plus a margin; not when the primal is just above the floor,
    breaks its rows by more than the residual allowed, or there is no bound yet."""
    import math

    from solver.bound import floor_settled

    assert floor_settled(1_741.49, _pdlp_log(1_741.369, 0.003))  # the 1,000-request summit, seed 3
    assert not floor_settled(1_741.49, _pdlp_log(1_741.2, 0.003))  # within the margin of the floor
    assert not floor_settled(1_741.49, _pdlp_log(1_740.9, 0.003))  # the LP may well be below 1,741
    assert not floor_settled(1_741.49, _pdlp_log(1_741.369, 0.5))  # a primal breaking its rows says nothing
    assert not floor_settled(math.inf, _pdlp_log(1_741.369, 0.003))


def test_pdlps_rounds_stop_only_at_the_lps_own_floor() -> None:
    """On a generated summit, at every iteration count, whenever the stop rule holds the bound's floor is the LP
    optimum's floor (GLOP's): stopping there loses nothing."""
    import math

    from solver.bound import floor_settled
    from solver.generate import generate_scenario

    settled = 0
    for model in (generate_scenario(14, 30, 2, seed=3), three_leaders_in_one_slot()):
        optimum, rounds = glop_optimum_and_pdlp_rounds(model, (20, 50, 100, 300, 1_000, 3_000))
        best = math.inf
        for bound, log in rounds:
            best = min(best, bound)
            if floor_settled(best, log):
                settled += 1
                assert math.floor(best + 1e-6) == math.floor(optimum + 1e-6)
    assert settled  # (the generated summit's LP is integral: only a fractional LP's floor settles before PDLP ends)


def test_the_bounds_floor_is_stalled_only_when_left_unmoved_and_within_a_point_of_the_lps_primal() -> None:
    """The child also stops when the last two rounds left the floor where it was and PDLP's primal (rows kept to a
    twentieth) shows the LP within a point below it (the 4,000-request summits, whose LP lies just above a whole
    number); not when a round lowered the floor, the primal is further below, or breaks its rows by more."""
    import math

    from solver.bound import floor_stalled

    seed_1 = _pdlp_log(2_404.738, 0.0337)  # 4,000 requests, seed 1, after 24 s of PDLP's CPU
    assert floor_stalled(2_405.847, seed_1, [2_469, 2_417, 2_405, 2_405])
    assert not floor_stalled(2_405.847, seed_1, [2_469, 2_417, 2_405])  # one round only: it may still fall
    assert not floor_stalled(2_405.847, seed_1, [2_405, 2_417])  # the last round lowered it
    assert not floor_stalled(2_405.847, seed_1, [None, 2_405])
    assert not floor_stalled(2_405.847, seed_1, [])
    assert not floor_stalled(2_405.847, _pdlp_log(2_404.2, 0.0337), [2_405, 2_405])  # within the margin below
    assert not floor_stalled(2_392.088, _pdlp_log(2_386.837, 0.0122), [2_392, 2_392])  # seed 3: 5 points below
    assert not floor_stalled(2_405.847, _pdlp_log(2_404.738, 0.08), [2_405, 2_405])
    assert not floor_stalled(math.inf, seed_1, [2_405, 2_405])


def test_pdlps_rounds_stall_at_most_a_point_above_the_lps_own_floor() -> None:
    """On generated summits, at every iteration count, whenever the stall rule holds (the floor unmoved over the
    counts before) the bound's floor is at most ``STALL_POINTS`` above the LP optimum's floor (GLOP's)."""
    import math

    from solver.bound import STALL_POINTS, floor_stalled
    from solver.generate import generate_scenario

    stalled = 0
    for model in (generate_scenario(14, 30, 2, seed=3), generate_scenario(14, 30, 2, seed=1),
                  three_leaders_in_one_slot()):
        lp_optimum, rounds = glop_optimum_and_pdlp_rounds(model, (20, 50, 100, 200, 300, 600, 1_000, 3_000))
        optimum = math.floor(lp_optimum + 1e-6)
        best, floors = math.inf, []
        for bound, log in rounds:
            best = min(best, bound)
            if floor_stalled(best, log, floors):
                stalled += 1
                assert optimum <= math.floor(best + 1e-6) <= optimum + STALL_POINTS
            floors.append(math.floor(best + 1e-6) if math.isfinite(best) else None)
    assert stalled


def glop_optimum_and_pdlp_rounds(model: Scenario, counts: tuple[int, ...]) -> tuple[float, list[tuple[float, object]]]:
    """The whole LP's optimum by GLOP, and PDLP's bound (priced from its duals) and log after each count of
    iterations (one thread: the same on any machine)."""
    import numpy as np

    from solver.model.bound import whole_lp
    from solver.model.constraints import all_rows
    from solver.model.objective import placement_values

    instance = compile_scenario(model)
    value = placement_values(instance)
    optimum = whole_lp_optimum(instance, all_rows(instance), value)
    lp = whole_lp(instance, value)
    rounds = []
    for iterations in counts:
        result = pdlp_after(lp.program, iterations)
        rounds.append((lp.pricing.of_reduced_costs(np.asarray(result.dual_solution), np.asarray(result.reduced_costs)),
                       result.solve_log))
    return optimum, rounds


def three_leaders_in_one_slot() -> Scenario:
    """Three leaders who each want to meet the two others, in a day of one slot: the LP meets each pair half
    (3 x 1.5 = 4.5 of priority 3 each), the best timetable one meeting (3)."""
    return scenario(
        days=[{"date": "2025-10-25", "start": "09:00", "end": "09:30"}],
        rooms=[{"id": f"r{k}", "capacity": 10} for k in range(3)],
        participants=[{"id": name} for name in ("a", "b", "c")],
        events=[event(f"{x}{y}", people=(x, y), kind="bilateral", priority=3)
                for x, y in (("a", "b"), ("b", "c"), ("a", "c"))])
