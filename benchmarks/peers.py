"""Ours beside the peers: the same scenarios, the same time limit, one solver at a time.

The peers (../shared/peers: a time-indexed MIP in PuLP + HiGHS, and Timefold Solver on a JDK)
solve our scenario contract independently. Each timetable is checked twice: by our validator
(solver/validate.py) and by the peers' own checker (check_timetable.py); a markdown table with
the objectives, bounds, gaps and the ratios of ours to each peer is printed (for
benchmarks/RESULTS.md).

The peers need their own virtual environment (Timefold needs Java 17+ on the PATH):

    python3 -m venv benchmarks/.peers-venv
    benchmarks/.peers-venv/bin/pip install timefold==1.24.0b0 pulp highspy pyyaml

Usage:

    .venv/bin/python -m benchmarks.peers --generate 300:1,1000:1 --time-limit 60
    .venv/bin/python -m benchmarks.peers SCENARIO.json ... --peers ours,mip
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from solver.scenario import load_scenario
from solver.timetable import Timetable
from solver.validate import validate_timetable

ROOT = Path(__file__).resolve().parent.parent
PEER_SCRIPTS = {"mip": "mip_peer.py", "timefold": "timefold_peer.py"}


@dataclass
class Run:
    scenario: str
    solver: str
    status: str
    objective: int | None
    bound: int | None
    first_s: str
    wall_s: float
    peak_mb: float | None
    ours_valid: str
    checker: str


def shared_peers() -> Path:
    """../shared/peers beside the repository (CI), else the machine's /work/shared/peers."""
    for candidate in (ROOT.parent / "shared" / "peers", Path("/work/shared/peers")):
        if candidate.exists():
            return candidate
    raise SystemExit("no ../shared/peers next to the repository (see its README)")


def timed(cmd: list[str]) -> tuple[subprocess.CompletedProcess[str], float, float | None]:
    """Run ``cmd``; (process, wall seconds, peak resident MB via /usr/bin/time when present)."""
    wrapper = ["/usr/bin/time", "-f", "PEAK_KB=%M"] if Path("/usr/bin/time").exists() else []
    started = time.monotonic()
    process = subprocess.run(wrapper + cmd, capture_output=True, text=True)
    wall = time.monotonic() - started
    peak = re.findall(r"PEAK_KB=(\d+)", process.stderr)
    return process, wall, (int(peak[-1]) / 1024 if peak else None)


def check(scenario: Path, timetable: Path, peers: Path, python: str) -> tuple[str, str]:
    """(our validator's verdict, the peers' checker's verdict) on a timetable file."""
    model = load_scenario(scenario)
    document = json.loads(timetable.read_text())
    document["objective"] = document.get("objective") or 0  # a peer writes null when it has no timetable
    table = Timetable.model_validate(document)
    if not table.assignments:
        return "no timetable", "no timetable"
    broken = validate_timetable(model, table)
    ours = "valid" if not broken else f"BROKEN ({len(broken)}: {broken[0].code})"
    checked = subprocess.run([python, str(peers / "check_timetable.py"), str(scenario), str(timetable)],
                             capture_output=True, text=True)
    last = (checked.stdout.strip().splitlines() or ["?"])[-1]
    theirs = "accepted" if checked.returncode == 0 else f"REJECTED: {last}"
    return ours, theirs


def run_ours(scenario: Path, out: Path, limit: float, workers: int, peers: Path, python: str) -> Run:
    summit = Path(sys.executable).parent / "summit"
    process, wall, peak = timed([str(summit), "solve", str(scenario), "-t", str(limit), "-w", str(workers),
                                 "-o", str(out)])
    first = re.findall(r"first\s+timetable\s+after\s+([\d.]+)\s*s", process.stdout + process.stderr)
    if not out.exists():
        return Run(scenario.stem, "ours", f"failed rc={process.returncode}", None, None, "-", wall, peak, "-", "-")
    document = json.loads(out.read_text())
    ours, theirs = check(scenario, out, peers, python)
    return Run(scenario.stem, "ours", document["status"], document.get("objective"), document.get("bound"),
               first[-1] if first else "-", wall, peak, ours, theirs)


def run_peer(peer: str, scenario: Path, out: Path, limit: float, peers: Path, python: str) -> Run:
    process, wall, peak = timed([python, str(peers / PEER_SCRIPTS[peer]), str(scenario), str(out),
                                 "--time-limit", str(limit)])
    line = (process.stdout.strip().splitlines() or [""])[-1]
    fields = dict(re.findall(r"(\w+)=(\S+)", line))
    if process.returncode or not out.exists():
        return Run(scenario.stem, peer, f"failed rc={process.returncode}", None, None, "-", wall, peak, "-", "-")
    ours, theirs = check(scenario, out, peers, python)

    def number(key: str) -> int | None:
        value = fields.get(key, "None")
        return None if value in ("None", "?", "") else int(float(value))

    return Run(scenario.stem, peer, fields.get("status", "?"), number("objective"), number("bound"),
               fields.get("first_feasible_s", "-"), wall, peak, ours, theirs)


def table(runs: list[Run]) -> str:
    lines = ["| instance | solver | status | objective | bound | gap | first (s) | wall (s) | peak MB | "
             "our validator | peers' checker | ours / this |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    ours = {r.scenario: r.objective for r in runs if r.solver == "ours"}
    for r in runs:
        gap = f"{(r.bound - r.objective) / r.bound:.1%}" if r.bound and r.objective is not None else "-"
        mine = ours.get(r.scenario)
        ratio = f"{mine / r.objective:.3f}" if mine is not None and r.objective else "-"
        peak = f"{r.peak_mb:.0f}" if r.peak_mb is not None else "-"
        lines.append(f"| {r.scenario} | {r.solver} | {r.status} | {r.objective if r.objective is not None else '-'} | "
                     f"{r.bound if r.bound is not None else '-'} | {gap} | {r.first_s} | {r.wall_s:.1f} | {peak} | "
                     f"{r.ours_valid} | {r.checker} | {ratio if r.solver != 'ours' else '-'} |")
    return "\n".join(lines)


def generated(specs: str, out_dir: Path, peers: Path, python: str) -> list[Path]:
    """Scenarios from the peers' generator: '300:1,1000:2' = 300 requests seed 1, 1,000 requests seed 2."""
    return [generated_summit(int(requests), int(seed), out_dir, peers, python)
            for requests, seed in (spec.split(":") for spec in specs.split(","))]


def generated_summit(requests: int, seed: int, out_dir: Path, peers: Path, python: str) -> Path:
    """The peers' generator's summit of this size and seed (generated once, then reused)."""
    path = out_dir / f"summit-{requests}-s{seed}.json"
    if not path.exists():
        subprocess.run([python, str(peers / "gen_summit.py"), str(path), "--bilaterals", str(requests),
                        "--seed", str(seed)], check=True, capture_output=True)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenarios", nargs="*", type=Path)
    parser.add_argument("--generate", default="", help="REQUESTS:SEED,... with the peers' generator")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--solvers", default="ours,mip,timefold")
    parser.add_argument("--peers-venv", type=Path, default=ROOT / "benchmarks" / ".peers-venv")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "benchmarks" / ".peers-out")
    args = parser.parse_args()
    peers = shared_peers()
    python = str(args.peers_venv / "bin" / "python")
    if not Path(python).exists():
        raise SystemExit(f"{python} is missing: create the peers' venv (see this script's docstring)")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    scenarios = list(args.scenarios) + (generated(args.generate, args.out_dir, peers, python) if args.generate else [])
    runs: list[Run] = []
    for scenario in scenarios:
        for solver in args.solvers.split(","):
            out = args.out_dir / f"{scenario.stem}.{solver}.json"
            out.unlink(missing_ok=True)
            run = (run_ours(scenario, out, args.time_limit, args.workers, peers, python) if solver == "ours"
                   else run_peer(solver, scenario, out, args.time_limit, peers, python))
            runs.append(run)
            print(f"{run.scenario} {run.solver}: {run.status} {run.objective} (bound {run.bound}), "
                  f"{run.wall_s:.1f} s, {run.ours_valid} / {run.checker}", file=sys.stderr, flush=True)
    print(table(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
