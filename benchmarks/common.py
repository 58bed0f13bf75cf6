"""What the benchmark scripts share: the scenario a case names, and the results log."""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
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


def tree_rss_kb(root: int) -> dict[int, int]:
    """Resident kB of ``root`` and of each of its descendants (by their parent in /proc), ``root`` first."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        children.setdefault(int(fields.get("PPid", "0").strip()), []).append(int(entry))
        rss[int(entry)] = int(fields.get("VmRSS", "0 kB").split()[0])
    tree, stack = {root: rss.get(root, 0)}, list(children.get(root, []))
    while stack:
        pid = stack.pop()
        tree[pid] = rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return tree


class TreePeak:
    """The peak resident memory of a process tree, summed at each sample (every ``every`` seconds, in a thread):
    what the machine must hold at once (the sum of each process's own peak counts moments apart). With
    ``with_root`` False, the root's descendants only (a server's job processes, not the server)."""

    def __init__(self, root: int, every: float = 0.25, with_root: bool = True) -> None:
        self.root, self.every, self.with_root = root, every, with_root
        self.peak_kb = 0
        self.split_kb: list[int] = []  # at the peak: the root's (if counted), then each descendant's
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        while not self.stop_event.wait(self.every):
            tree = tree_rss_kb(self.root)
            split = list(tree.values()) if self.with_root else [kb for pid, kb in tree.items() if pid != self.root]
            if sum(split) > self.peak_kb:
                self.peak_kb, self.split_kb = sum(split), split

    def stop(self) -> TreePeak:
        self.stop_event.set()
        self.thread.join(timeout=5)
        return self

    def together(self) -> str:
        """'together (each process)' in MB."""
        return f"{self.peak_kb / 1024:.1f} ({' + '.join(f'{kb / 1024:.0f}' for kb in self.split_kb)})"
