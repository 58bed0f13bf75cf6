"""Time to the first timetable on summits the greedy alone cannot always do (issue 17's targets):
generated summits of up to 300 requests, every seed, with a 1 s limit, and Hanoi variants where
the signing ceremony must move (a signer lands after the planned signing), with a 2 s limit.

    .venv/bin/python benchmarks/first_timetable.py                 # seeds 1-10 and 5 random seeds
    .venv/bin/python benchmarks/first_timetable.py --random 20

Prints one line per case (status, first timetable, wall, valid) and a summary; the machine is
shared, so note the load (uptime) beside any number you record.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from solver.generate import generate_scenario  # noqa: E402
from solver.scenario import Scenario, parse_scenario  # noqa: E402
from solver.solve import SolveConfig, solve  # noqa: E402
from solver.validate import validate_timetable  # noqa: E402


def late_signer(arrival: str) -> Scenario:
    """Hanoi with the head of the Australian delegation (a signer) available only from ``arrival`` on day 1."""
    data = yaml.safe_load((ROOT / "scenarios" / "hanoi-2025.yaml").read_text())
    for person in data["participants"]:
        if person["id"] == "aus-hod":
            person["available"] = [{"start": f"2025-10-25T{arrival}:00+07:00", "end": "2025-10-25T18:00:00+07:00"},
                                   {"start": "2025-10-26T08:00:00+07:00", "end": "2025-10-26T18:00:00+07:00"}]
    return parse_scenario(data)


def measure(name: str, scenario: Scenario, limit: float) -> tuple[str, float | None, float, bool]:
    started = time.monotonic()
    result = solve(scenario, config=SolveConfig(time_limit=limit, workers=2))
    wall = time.monotonic() - started
    valid = bool(result.timetable.assignments) and validate_timetable(scenario, result.timetable) == []
    first = result.stats.first_solution_seconds
    print(f"{name}: {result.timetable.status}, first timetable {first if first is not None else '-'} s, "
          f"wall {wall:.2f} s, {'valid' if valid else 'NOT VALID'}", flush=True)
    return result.timetable.status, first, wall, valid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--random", type=int, default=5, help="random seeds (100-999) of the 16/40 size")
    args = parser.parse_args()
    cases: list[tuple[str, Scenario, float]] = []
    for seed in range(1, 11):
        cases.append((f"14 delegations, 30 bilaterals, 2 days, seed {seed}", generate_scenario(14, 30, 2, seed), 1.0))
    for seed in random.sample(range(100, 1000), args.random):
        cases.append((f"16 delegations, 40 bilaterals, 2 days, seed {seed}", generate_scenario(16, 40, 2, seed), 1.0))
    for arrival in ("12:45", "13:00"):
        cases.append((f"Hanoi, a signer lands at {arrival}", late_signer(arrival), 2.0))
    results = [measure(name, scenario, limit) for name, scenario, limit in cases]
    firsts = [first for _, first, _, _ in results if first is not None]
    print(f"{len(results)} cases: {sum(valid for *_, valid in results)} valid timetables; first timetable "
          f"max {max(firsts):.2f} s, median {sorted(firsts)[len(firsts) // 2]:.2f} s")


if __name__ == "__main__":
    main()
