"""Sized by memory (issue 27): the estimate decides between the whole model, large-neighbourhood search alone,
and a clear refusal; the same rule for the ``summit solve --memory`` option."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from solver.cli import app
from solver.scenario import load_scenario
from solver.size import TooLarge, estimate_memory, estimate_model_size, memory_plan, plan_within
from solver.solve import SolveConfig, solve
from solver.timetable import load_timetable
from solver.validate import validate_timetable

TINY = "scenarios/examples/tiny.yaml"
runner = CliRunner()


def test_the_whole_model_needs_more_than_lns_alone_and_both_grow_with_the_model() -> None:
    small = estimate_model_size(load_scenario(TINY))
    bigger = estimate_model_size(load_scenario("scenarios/hanoi-2025.yaml"))
    assert estimate_memory(small).lns_mb < estimate_memory(small).whole_mb
    assert estimate_memory(small).whole_mb < estimate_memory(bigger).whole_mb
    assert estimate_memory(small).lns_mb < estimate_memory(bigger).lns_mb


def test_above_a_million_placements_no_bound_child_is_counted_nor_started() -> None:
    """The whole LP's child runs beside the search from 45k to a million placements only (above, it doubled the
    memory for a weaker bound): the estimate counts it there and not above, as the solve starts it."""
    from dataclasses import replace

    from solver.size import BOUND_CHILD_UP_TO

    hanoi = estimate_model_size(load_scenario("scenarios/hanoi-2025.yaml"))
    assert estimate_memory(replace(hanoi, placements=BOUND_CHILD_UP_TO)).bound_child_mb > 1000
    assert estimate_memory(replace(hanoi, placements=BOUND_CHILD_UP_TO + 1)).bound_child_mb == 0
    assert SolveConfig(time_limit=1).bound_beside_below == BOUND_CHILD_UP_TO


def test_a_limit_between_the_two_estimates_runs_lns_alone_and_its_timetable_is_valid() -> None:
    scenario = load_scenario(TINY)
    estimate = estimate_memory(estimate_model_size(scenario))
    assert plan_within(estimate_model_size(scenario), estimate.whole_mb).lns_only is False
    plan = memory_plan(scenario, estimate.lns_mb)
    assert plan.fits and plan.lns_only
    result = solve(scenario, config=SolveConfig(time_limit=5, workers=1, memory_mb=estimate.lns_mb))
    assert result.stats.lns_alone and result.timetable.status in ("optimal", "feasible")
    assert validate_timetable(scenario, result.timetable) == []
    whole = solve(scenario, config=SolveConfig(time_limit=5, workers=1, memory_mb=estimate.whole_mb))
    assert not whole.stats.lns_alone


def test_a_summit_that_fits_neither_is_refused_with_the_memory_it_needs_and_the_setting() -> None:
    scenario = load_scenario(TINY)
    needed = estimate_memory(estimate_model_size(scenario)).lns_mb
    with pytest.raises(TooLarge) as refused:
        memory_plan(scenario, needed - 1)
    assert f"{needed:,} MB" in str(refused.value) and "SUMMIT_JOB_MEMORY_MB" in str(refused.value)


def test_cli_memory_option_runs_lns_alone_or_refuses(tmp_path: Path) -> None:
    lns_mb = estimate_memory(estimate_model_size(load_scenario(TINY))).lns_mb
    out = tmp_path / "timetable.json"
    result = runner.invoke(app, ["solve", TINY, "--time-limit", "3", "--workers", "1", "--memory", str(lns_mb),
                                 "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "large-neighbourhood search alone" in " ".join(result.output.split())  # (the console wraps lines)
    assert validate_timetable(load_scenario(TINY), load_timetable(out)) == []
    refused = runner.invoke(app, ["solve", TINY, "--memory", "1"])
    assert refused.exit_code == 2
    said = " ".join(refused.output.split())
    assert "--memory" in said and f"{lns_mb:,} MB" in said


def test_the_bound_childs_estimate_follows_its_solver() -> None:
    """Above a million placements the child solves the whole LP by our own PDHG (a fifth of PDLP's memory per entry):
    its estimate drops there, grows with the placements on each side, and the threshold is the solver's."""
    from dataclasses import replace

    from solver.model.bound import COMPACT_ABOVE
    from solver.size import BOUND_CHILD_COMPACT_ABOVE

    assert BOUND_CHILD_COMPACT_ABOVE == COMPACT_ABOVE
    hanoi = estimate_model_size(load_scenario("scenarios/hanoi-2025.yaml"))
    mb = [estimate_memory(replace(hanoi, placements=n)).bound_child_mb
          for n in (500_000, COMPACT_ABOVE, COMPACT_ABOVE + 1, 2_280_000)]
    assert mb[0] < mb[1] and mb[2] < mb[1] and mb[2] < mb[3] < 1500
