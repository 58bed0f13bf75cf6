"""CPU per large-neighbourhood round, load-independently: a fixed number of rounds from the greedy timetable, each
with CP-SAT's deterministic limit and one worker, split into CP-SAT's own solve and everything else (choosing the
neighbourhood, freeing its placements, building the sub-model, taking the answer).

    PYTHONPATH=. .venv/bin/python benchmarks/lns_rounds.py benchmarks/.peers-out/summit-4000-s1.json --rounds 40

(``--matrix``: with the summit's rows built first, as a solve does below ``decompose_above`` placements.)

Prints one JSON line: rounds, objective, CPU seconds in CP-SAT and outside it, per round, and a digest of every
sub-model built (the same digest before and after a change that must not change the sub-models). ``--profile N``
prints the N costliest functions (cProfile, cumulative).
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import hashlib
import json
import pstats
import sys
import time
import types
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from solver import lns  # noqa: E402
from solver.compile import compile_scenario  # noqa: E402
from solver.model import submodel  # noqa: E402
from solver.model.constraints import all_rows  # noqa: E402
from solver.model.occupancy import occupancy_greedy  # noqa: E402
from solver.model.submodel import RowMatrix  # noqa: E402
from solver.scenario import load_scenario  # noqa: E402


class Meter:
    """CPU seconds spent in CP-SAT's solves, and a digest of every sub-model they were given."""

    def __init__(self, digest: bool) -> None:
        self.keep_digest = digest
        self.solve_cpu = 0.0
        self.solves = 0
        self.digest = hashlib.sha256()
        self.solve = submodel.solve_submodel

    def __call__(self, sub: submodel.SubModel, *args: object, **kwargs: object) -> object:
        if self.keep_digest:  # (the text form: ortools 9.15's proto has no binary serialisation in Python)
            self.digest.update(str(sub.model.proto).encode())
            self.digest.update(sub.items.tobytes())
        began = time.process_time()
        try:
            return self.solve(sub, *args, **kwargs)  # type: ignore[arg-type]
        finally:
            self.solve_cpu += time.process_time() - began
            self.solves += 1


class Phases:
    """CPU seconds per phase of a round: each named function wrapped with a CPU clock (nested phases count in both)."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = {}

    def wrap(self, owner: object, name: str, label: str | None = None) -> None:
        function = getattr(owner, name, None)
        if function is None:  # (a phase of another version of the code)
            return
        key = label or name

        @functools.wraps(function)
        def timed(*args: object, **kwargs: object) -> object:
            began = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                self.cpu[key] = self.cpu.get(key, 0.0) + time.process_time() - began
        setattr(owner, name, timed)


def timed_phases() -> Phases:
    """The phases of a round this script reports, their functions wrapped where the search calls them."""
    from solver.compile import Instance
    from solver.model import constraints

    phases = Phases()
    lns.NEIGHBOURHOODS = tuple(_timed_neighbourhood(phases, n) for n in lns.NEIGHBOURHOODS)
    phases.wrap(lns, "free_placements")
    phases.wrap(lns, "build_submodel")
    phases.wrap(constraints, "all_rows")
    for name in ("_add_rows", "_terms_from_rows", "_add_linear", "_add_events"):
        phases.wrap(submodel, name)
    phases.wrap(Instance, "restricted")
    return phases


def _timed_neighbourhood(phases: Phases, neighbourhood: Any) -> Any:
    holder = types.SimpleNamespace(neighbourhood=neighbourhood)
    phases.wrap(holder, "neighbourhood", "neighbourhood")
    return holder.neighbourhood


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--work", type=float, default=0.5, help="each round's CP-SAT deterministic limit")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profile", type=int, default=0)
    parser.add_argument("--digest", action="store_true", help="digest every sub-model (costs CPU outside CP-SAT)")
    parser.add_argument("--matrix", action="store_true",
                        help="with the summit's rows (as a solve below SolveConfig.decompose_above placements)")
    args = parser.parse_args()
    instance = compile_scenario(load_scenario(args.file))
    chosen = occupancy_greedy(instance)
    matrix = RowMatrix.of(all_rows(instance), instance.n_items) if args.matrix else None
    value = int(lns.placement_values(instance)[chosen[chosen >= 0]].sum())
    import alns  # noqa: F401  # (imported before the clock starts: the search imports it on its first call)

    meter = Meter(args.digest)
    phases = timed_phases()
    lns.solve_submodel = meter  # type: ignore[assignment]  # (the search calls it by this name)
    config = lns.LnsConfig(time_limit=10**6, workers=1, seed=args.seed, max_rounds=args.rounds,
                           deterministic_round=args.work)
    profile = cProfile.Profile() if args.profile else None
    began = time.process_time()
    if profile is not None:
        profile.enable()
    ledger = lns.large_neighbourhood_search(instance, matrix, chosen, 10**9, config)
    if profile is not None:
        profile.disable()
    cpu = time.process_time() - began
    print(json.dumps({"file": str(args.file), "rounds": ledger.rounds, "start": value, "objective": ledger.objective,
                      "cpu_s": round(cpu, 2), "cpsat_s": round(meter.solve_cpu, 2),
                      "outside_s": round(cpu - meter.solve_cpu, 2),
                      "outside_per_round_s": round((cpu - meter.solve_cpu) / max(1, ledger.rounds), 4),
                      "cpsat_per_round_s": round(meter.solve_cpu / max(1, meter.solves), 4),
                      "submodels": meter.solves,
                      "phases_s": {k: round(v, 3) for k, v in sorted(phases.cpu.items())},
                      "digest": meter.digest.hexdigest()[:16] if args.digest else None}), flush=True)
    if profile is not None:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(args.profile)


if __name__ == "__main__":
    main()
