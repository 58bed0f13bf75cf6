"""The performance record: run the fixed benchmark set and write benchmarks/RESULTS.md.

Each case runs in its own process (so peak RSS is the case's own) through
``benchmarks/run.py``; re-planning through ``benchmarks/replan.py``; baselines through
``benchmarks/baseline.py``. Raw results go to ``benchmarks/results/<date>/*.json`` and the
plots (anytime curve, time to first feasible vs size) next to them.

    .venv/bin/python benchmarks/record.py                 # everything (about 25 minutes)
    .venv/bin/python benchmarks/record.py --quick         # 20 s limits, smaller series
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

CASES: list[tuple[str, list[str]]] = [
    ("hanoi", ["hanoi"]),
    ("synthetic-200-1000-2", ["synthetic", "--delegations", "200", "--bilaterals", "1000", "--days", "2"]),
    ("synthetic-300-3000-3", ["synthetic", "--delegations", "300", "--bilaterals", "3000", "--days", "3"]),
]
SERIES = [250, 500, 1000, 2000, 4000]


def run(script: str, args: list[str]) -> dict[str, Any]:
    out = subprocess.run([PYTHON, str(ROOT / "benchmarks" / script), *args], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def plot(results: dict[str, Any], folder: Path) -> list[str]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # plots are a bonus; the tables are the record
        return []
    files = []
    fig, axes = plt.subplots(1, len(CASES), figsize=(5 * len(CASES), 3.6))
    for ax, (name, _) in zip(axes, CASES, strict=True):
        row = results.get(name)
        if not row:
            continue
        curve = row.get("incumbents", [])
        bounds = row.get("bounds", [])
        if curve:
            ax.step([c[0] for c in curve], [c[1] for c in curve], where="post", label="objective")
        if bounds:
            ax.step([b[0] for b in bounds], [b[1] for b in bounds], where="post", label="bound", linestyle="--")
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("seconds")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(folder / "anytime.png", dpi=100)
    files.append("anytime.png")
    series = [results[f"series-{n}"] for n in SERIES if f"series-{n}" in results]
    if series:
        fig, ax = plt.subplots(figsize=(5, 3.6))
        ax.plot([s["requests"] for s in series], [s["first_feasible_s"] or 0 for s in series], marker="o",
                label="first feasible")
        ax.plot([s["requests"] for s in series], [s["build_s"] for s in series], marker="s", label="model build")
        ax.set_xlabel("bilateral requests")
        ax.set_ylabel("seconds")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(folder / "first-feasible-vs-size.png", dpi=100)
        files.append("first-feasible-vs-size.png")
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--time-limit", type=float, default=60)
    args = parser.parse_args()
    limit = 20.0 if args.quick else args.time_limit
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    folder = ROOT / "benchmarks" / "results" / stamp
    folder.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}
    for name, case in CASES:
        results[name] = run("run.py", [*case, "--time-limit", str(limit), "--curve"])
        print(name, json.dumps({k: results[name][k] for k in ("build_s", "first_feasible_s", "objective", "bound")}),
              flush=True)
    for requests in SERIES[:3] if args.quick else SERIES:
        delegations = max(60, requests // 5)
        row = run("run.py", ["synthetic", "--delegations", str(delegations), "--bilaterals", str(requests),
                             "--days", "3", "--time-limit", str(min(limit, 30))])
        row["requests"] = requests
        results[f"series-{requests}"] = row
        print("series", requests, row["first_feasible_s"], flush=True)
    (folder / "results.json").write_text(json.dumps(results, indent=1))
    print("plots:", plot(results, folder))


if __name__ == "__main__":
    main()
