"""The proven bound of a large summit, computed beside the search in a process of its own.

On summits of tens of thousands of placements and more, the LPs that prove a bound take seconds to tens of
seconds (the whole LP by PDLP: 18 s at 1,000 requests, 30 s at 4,000); computed before the search they would
delay it by as much, and in the same process they would hold the interpreter the search's callbacks need.
So a child process (``python -m solver.bound_beside``) reads the scenario, compiles it itself, and prints each
bound it proves: the time-aggregated LP first (``solver/bound.py``, a second or two), then the whole LP's
rounds (:func:`solver.model.bound.whole_lp_bound`). The search reads the best so far whenever it looks
(:meth:`BoundBeside.best`); the child is stopped when the solve ends.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from solver.scenario import Scenario


@dataclass
class BoundBeside:
    """The parent's side: starts the child, collects its bounds as they come, stops it."""

    process: subprocess.Popen[str]
    started: float
    found: list[tuple[float, str, int]] = field(default_factory=list)  # (seconds since started, which LP, bound)
    reader: threading.Thread | None = None

    @classmethod
    def start(cls, scenario: Scenario, seconds: float) -> BoundBeside:
        process = subprocess.Popen([sys.executable, "-m", "solver.bound_beside", f"{seconds:.3f}"],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                   text=True)
        beside = cls(process, time.monotonic())
        beside.reader = threading.Thread(target=beside._read, args=(json.dumps(scenario.to_document(), default=str),),
                                         daemon=True)
        beside.reader.start()
        return beside

    def _read(self, document: str) -> None:
        assert self.process.stdin is not None and self.process.stdout is not None
        try:
            self.process.stdin.write(document)
            self.process.stdin.close()
            for line in self.process.stdout:
                which, _, value = line.strip().partition(" ")
                if which in ("aggregated", "whole") and value.lstrip("-").isdigit():
                    self.found.append((round(time.monotonic() - self.started, 3), which, int(value)))
        except (BrokenPipeError, ValueError, OSError):
            pass  # the child was stopped: the bounds found so far stand

    def best(self) -> int | None:
        """The least bound proven so far (None before the first)."""
        values = [value for _, _, value in list(self.found) if value >= 0]
        return min(values) if values else None

    def last_of(self, which: str) -> int | None:
        values = [value for _, kind, value in list(self.found) if kind == which]
        return min(values) if values else None

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        if self.reader is not None:
            self.reader.join(timeout=5)


def main() -> int:
    """The child: the scenario on stdin, the time it may take in argv; one line per bound proven."""
    from solver.bound import aggregated_bound
    from solver.compile import compile_scenario
    from solver.model.bound import whole_lp_bound
    from solver.model.constraints import all_rows
    from solver.scenario import parse_scenario

    deadline = time.monotonic() + float(sys.argv[1])
    instance = compile_scenario(parse_scenario(json.loads(sys.stdin.read())))
    aggregated = aggregated_bound(instance, max(0.5, (deadline - time.monotonic()) / 2))
    if aggregated.value is not None:
        print("aggregated", aggregated.value, flush=True)
    rows = all_rows(instance)
    value = np.where(instance.required[instance.item_event], 0, instance.priority[instance.item_event])
    left = deadline - time.monotonic()
    if left > 1.0:
        whole_lp_bound(instance, rows, value.astype(np.int64), left,
                       on_bound=lambda bound: print("whole", bound, flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
