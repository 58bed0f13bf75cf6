"""The aggregated LP (solver/bound.py) built a few entities at a time is the same LP as built at once."""

from __future__ import annotations

import pytest

from solver import bound
from solver.compile import compile_scenario
from solver.generate import generate_scenario


def test_the_lp_built_in_parts_is_the_lp_built_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    instance = compile_scenario(generate_scenario(14, 30, 2, seed=1))
    whole = bound.aggregated_lp(instance).SerializeToString(deterministic=True)
    monkeypatch.setattr(bound, "ENTRIES_PER_PART", 500)
    assert len(bound._parts(bound._usages(instance)[0][0])) > 3
    assert bound.aggregated_lp(instance).SerializeToString(deterministic=True) == whole
