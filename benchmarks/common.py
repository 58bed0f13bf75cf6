"""What the benchmark scripts share: the scenario a case names, and the results log."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from solver.scenario import Scenario, load_scenario  # noqa: E402


def add_case_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("case", choices=["hanoi", "synthetic", "file"])
    parser.add_argument("--file", type=Path, help="scenario file for the 'file' case")
    parser.add_argument("--delegations", type=int, default=200)
    parser.add_argument("--bilaterals", type=int, default=1000)
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--record", action="store_true", help="append the result to benchmarks/results.jsonl")


def case_scenario(args: argparse.Namespace) -> tuple[Scenario, str]:
    """The scenario a case names (generated ones are seeded, so runs compare)."""
    if args.case == "hanoi":
        return load_scenario(ROOT / "scenarios" / "hanoi-2025.yaml"), "hanoi-2025"
    if args.case == "file":
        return load_scenario(args.file), str(args.file)
    from solver.generate import generate_scenario

    scenario = generate_scenario(delegations=args.delegations, bilaterals=args.bilaterals, days=args.days,
                                 seed=args.seed)
    return scenario, f"synthetic-{args.delegations}d-{args.bilaterals}b-{args.days}days"


def report(summary: dict[str, Any], record: bool) -> None:
    """Print one JSON line; with ``record``, append it to benchmarks/results.jsonl."""
    line = json.dumps(summary)
    print(line)
    if record:
        with (ROOT / "benchmarks" / "results.jsonl").open("a") as out:
            out.write(line + "\n")
