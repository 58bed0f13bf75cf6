"""The performance record: run the fixed benchmark set and write benchmarks/RESULTS.md.

Each case runs in its own process (so peak RSS is the case's own) through
``benchmarks/run.py``; re-planning through ``benchmarks/replan.py``; baselines through
``benchmarks/baseline.py``. Raw results go to ``benchmarks/results/<date>/*.json`` and the
plots (anytime curve, time to first feasible vs size) and ``record.md`` (the tables to paste into
``benchmarks/RESULTS.md``) next to them.

    .venv/bin/python benchmarks/record.py                 # everything (about 35 minutes)
    .venv/bin/python benchmarks/record.py --quick         # 20 s limits, smaller series
    .venv/bin/python benchmarks/record.py --series-only   # the scale series with re-plan latency per size

Each size of the scale series is a seeded synthetic summit over 3 days (``solver.generate``, seed 0),
solved once, then re-planned after 5 random changes of three kinds (a room closed, a leader delayed,
a meeting added; ``benchmarks/replan.py``).
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
REPLAN_KINDS = ["room_closed", "participant_delayed", "event_added"]


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


def series_table(results: dict[str, Any]) -> str:
    """The scale series as Markdown: solve figures and re-plan latency per size."""
    lines = ["| requests | delegations | events | placements | build | first feasible | objective | bound | gap "
             "| peak RSS | " + " | ".join(f"re-plan {k} (median / worst / proven)" for k in REPLAN_KINDS) + " |",
             "|---" * (10 + len(REPLAN_KINDS)) + "|"]
    for requests in SERIES:
        row = results.get(f"series-{requests}")
        if not row:
            continue
        kinds = {k["kind"]: k for k in row["replan"]["per_kind"]}
        cells = [f"{kinds[k]['median_s']} s / {kinds[k]['worst_s']} s / {kinds[k]['proven_minimal_pct']} %"
                 if k in kinds else "-" for k in REPLAN_KINDS]
        lines.append(f"| {requests} | {row['delegations']} | {row['events']} | {row['placements']} "
                     f"| {row['build_s']} s "
                     f"| {row['first_feasible_s']} s | {row['objective']} | {row['bound']} | {row['gap_pct']} % "
                     f"| {row['peak_rss_mb']} MB | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--time-limit", type=float, default=60)
    parser.add_argument("--series-only", action="store_true", help="skip the three fixed cases")
    args = parser.parse_args()
    limit = 20.0 if args.quick else args.time_limit
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    folder = ROOT / "benchmarks" / "results" / stamp
    folder.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}
    for name, case in [] if args.series_only else CASES:
        results[name] = run("run.py", [*case, "--time-limit", str(limit), "--curve"])
        print(name, json.dumps({k: results[name][k] for k in ("build_s", "first_feasible_s", "objective", "bound")}),
              flush=True)
    from solver.generate import generate_scenario
    from solver.scenario import dump_scenario

    for requests in SERIES[:3] if args.quick else SERIES:
        delegations = max(60, requests // 5)
        path = folder / f"series-{requests}.yaml"
        dump_scenario(generate_scenario(delegations=delegations, bilaterals=requests, days=3, seed=0), path)
        row = run("run.py", ["file", "--file", str(path), "--time-limit", str(min(limit, 30))])
        row["requests"], row["delegations"] = requests, delegations
        row["replan"] = run("replan.py", ["--file", str(path), "--changes", "5", "--kinds", *REPLAN_KINDS,
                                          "--time-limit", "3", "--solve-time", str(min(limit, 30))])
        results[f"series-{requests}"] = row
        print("series", requests, row["first_feasible_s"], json.dumps(row["replan"]["per_kind"]), flush=True)
        (folder / "results.json").write_text(json.dumps(results, indent=1))
    (folder / "results.json").write_text(json.dumps(results, indent=1))
    (folder / "record.md").write_text(series_table(results))
    print("plots:", plot(results, folder))


if __name__ == "__main__":
    main()
