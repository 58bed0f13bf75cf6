"""The LP's solution as a construction, measured offline (issue 27 item 3, c27c): the greedy timetable against
timetables rounded from the LP relaxation's solution (:mod:`solver.model.rounding`), with the CPU seconds of each.

For a summit file (the peers' generator's, as benchmarks/scale.py makes them): the greedy start; the
time-aggregated LP (hourly groups) by PDLP and the timetable rounded from its solution; the whole LP by PDLP round
by round (its bound, the CPU seconds so far) and the timetable rounded from each round's solution. Every rounded
timetable is checked against the model's rows (``keeps_every_rule``) and for its required events. One JSON line per
measurement, then a markdown table:

    PYTHONPATH=. .venv/bin/python benchmarks/lp_construction.py benchmarks/.peers-out/summit-1000-s1.json --seconds 60
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
from ortools.pdlp.python import pdlp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from solver.bound import Pricing, aggregated_lp, pdlp_rounds, placement_groups  # noqa: E402
from solver.compile import Instance, compile_scenario  # noqa: E402
from solver.model.bound import whole_lp_bound  # noqa: E402
from solver.model.greedy import keeps_every_rule  # noqa: E402
from solver.model.objective import placement_values  # noqa: E402
from solver.model.occupancy import occupancy_greedy  # noqa: E402
from solver.model.rounding import lp_rounded  # noqa: E402
from solver.scenario import load_scenario  # noqa: E402
from solver.solve.steps import places_every_required, value_of  # noqa: E402


def cpu() -> float:
    return time.process_time()


def rounded(instance: Instance, weight: np.ndarray, label: str, lp_cpu: float, bound: float | None) -> dict:
    began = cpu()
    chosen = lp_rounded(instance, weight)
    took = cpu() - began
    return {"what": label, "lp_bound": None if bound is None or math.isinf(bound) else math.floor(bound + 1e-6),
            "lp_cpu_s": round(lp_cpu, 2), "objective": value_of(instance, chosen), "cpu_s": round(took, 2),
            "complete": places_every_required(instance, chosen), "keeps_rules": keeps_every_rule(instance, chosen),
            "lp_share_total": round(float(np.minimum(np.bincount(instance.item_event, weights=weight,
                                                                 minlength=len(instance.events)), 1).sum()), 1)}


def aggregated(instance: Instance, seconds: float) -> list[dict]:
    """The aggregated LP's solution spread over its groups' placements (each member the group's weight)."""
    began = cpu()
    proto = aggregated_lp(instance)
    _, group_of, _, _ = placement_groups(instance)
    primal: list[np.ndarray] = []
    found = pdlp_rounds(pdlp.qp_from_mpmodel_proto(proto, True), Pricing.of_proto(proto), seconds,
                        on_primal=primal.append)
    lp_cpu = cpu() - began
    group_weight = np.clip(primal[-1], 0, 1) if primal else np.zeros(group_of.max() + 1)
    return [rounded(instance, group_weight[group_of], "aggregated LP", lp_cpu, found)]


def whole(instance: Instance, seconds: float, every: bool) -> list[dict]:
    """The whole LP's rounds (as the bound's child runs them), and the timetable rounded from each."""
    began = cpu()
    rounds: list[tuple[float, np.ndarray, float]] = []
    best = [math.inf]

    def heard(weight: np.ndarray) -> None:
        # each round's bound is heard before its weights: the bound below is this round's or better
        rounds.append((cpu() - began, weight, best[0]))

    def bound(found: int) -> None:
        best[0] = min(best[0], found)

    whole_lp_bound(instance, placement_values(instance), seconds, on_bound=bound, on_weights=heard)
    picked = rounds if every else rounds[-1:]
    return [rounded(instance, weight, f"whole LP round {k + 1}", lp_cpu, found)
            for k, (lp_cpu, weight, found) in enumerate(picked)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("summit", type=Path)
    parser.add_argument("--seconds", type=float, default=60.0, help="wall seconds for each LP")
    parser.add_argument("--no-whole", action="store_true", help="the aggregated LP only (4,000 requests)")
    parser.add_argument("--last-round-only", action="store_true")
    args = parser.parse_args()
    instance = compile_scenario(load_scenario(args.summit))
    began = cpu()
    greedy = occupancy_greedy(instance)
    lines = [{"what": "greedy", "objective": value_of(instance, greedy), "cpu_s": round(cpu() - began, 2),
              "complete": places_every_required(instance, greedy)}]
    print(json.dumps(lines[-1]), flush=True)
    for found in aggregated(instance, args.seconds):
        lines.append(found)
        print(json.dumps(found), flush=True)
    if not args.no_whole:
        for found in whole(instance, args.seconds, not args.last_round_only):
            lines.append(found)
            print(json.dumps(found), flush=True)
    print(f"\n{args.summit.name}: {instance.n_items} placements\n")
    print("| start | LP bound | LP CPU s | objective | rounding CPU s | every rule | LP's shares summed |")
    print("|---|---|---|---|---|---|---|")
    for line in lines:
        print(f"| {line['what']} | {line.get('lp_bound', '-')} | {line.get('lp_cpu_s', '-')} | {line['objective']} | "
              f"{line['cpu_s']} | {line.get('keeps_rules', '-')} | {line.get('lp_share_total', '-')} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
