"""The whole LP's bound of a large summit, computed beside the search in a process of its own.

When the time-aggregated LP (``solver/bound.py``, about a second, before the search) leaves a gap on a summit
of tens of thousands of placements or more, the whole LP relaxation is what closes it, and it takes seconds to
tens of seconds (by PDLP: 18 s at 1,000 requests, 30 s at 4,000). Before the search it would delay it by as
much, and in the same process it would hold the interpreter the search's callbacks need. So a child process
(``python -m solver.bound_beside``) reads the scenario, compiles it itself, and prints the bound of each of
the whole LP's rounds (:func:`solver.model.bound.whole_lp_bound`), and the LP's solution of each round (the
placements it takes, some in part) as one JSON line when asked. When asked too, the child rounds each round's
solution into a timetable (:func:`solver.model.rounding.lp_rounded`: the requests the LP takes, where it puts them,
every rule kept) and sends it when it is worth more than the last it sent: one placement per event, a few kilobytes.
The child reads the scenario as the first line of its input; each later line is the value of the search's best
timetable (:meth:`BoundBeside.search_reached`): once the search has passed every timetable the child rounded, the
child stops rounding and gives its whole CPU to the bound.
The search reads the best bound so far whenever it looks (:meth:`BoundBeside.best`), the LP's latest solution
(:meth:`BoundBeside.solution`) to steer its neighbourhoods, and the best rounded timetable
(:meth:`BoundBeside.rounded`) to go on from when it beats its own, and the LP's core, the placements its latest
solution gives more than a thousandth (:meth:`BoundBeside.core`), within which the search's rounds re-plan; the child
is stopped when the solve ends.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from solver.model.rows import IntArray
from solver.scenario import Scenario

if TYPE_CHECKING:
    from solver.compile import Instance

FloatArray = npt.NDArray[np.float64]


@dataclass
class BoundBeside:
    """The parent's side: starts the child (once, when asked), collects its bounds as they come, stops it."""

    process: subprocess.Popen[str] | None = None
    started: float = 0.0
    found: list[tuple[float, int]] = field(default_factory=list)  # (seconds since started, bound)
    reader: threading.Thread | None = None
    lp: tuple[IntArray, FloatArray] | None = None  # the LP's latest solution: (placements, how much of each)
    timetable: tuple[int, IntArray] | None = None  # the best timetable rounded from it: (value, placement per event)
    core_items: tuple[IntArray, FloatArray] | None = None  # the LP's latest core: (placements, how much of each)
    told: int = -1  # the search's best value last written to the child (search_reached)
    writing: threading.Lock = field(default_factory=threading.Lock, repr=False)  # one writer at a time to the child
    document_sent: bool = False  # the scenario has been written: later lines may follow

    def start(self, scenario: Scenario, seconds: float, solutions: bool = False, rounded: bool = False,
              core: bool = False) -> None:
        """Start the child; if it cannot be started, the search goes on with the bounds it has. ``solutions``: it
        sends the LP's solution of each round as well (a JSON line each: it slows the child's rounds);
        ``rounded``: the timetable rounded from each round's solution, when it is worth more than the last sent;
        ``core``: the placements each round's solution weighs (:func:`core_of`)."""
        try:
            self.process = subprocess.Popen([sys.executable, "-m", "solver.bound_beside", f"{seconds:.3f}",
                                             *(["solutions"] if solutions else []),
                                             *(["rounded"] if rounded else []),
                                             *(["core"] if core else [])],
                                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            stderr=subprocess.DEVNULL, text=True)
        except OSError:
            return
        self.started = time.monotonic()
        self.reader = threading.Thread(target=self._read, args=(json.dumps(scenario.to_document(), default=str),),
                                       daemon=True)
        self.reader.start()

    def _read(self, document: str) -> None:
        assert self.process is not None and self.process.stdin is not None and self.process.stdout is not None
        try:
            self.document_sent = self._write(document + "\n", wait=True)
            for line in self.process.stdout:
                if line.strip().lstrip("-").isdigit():
                    self.found.append((round(time.monotonic() - self.started, 3), int(line)))
                elif line.startswith("{"):
                    self._take(json.loads(line))
        except (BrokenPipeError, ValueError, OSError):
            pass  # the child was stopped: the bounds found so far stand

    def _take(self, message: dict[str, Any]) -> None:
        if "lp" in message:
            self.lp = _placements_read(message["lp"])
        if "core" in message:
            self.core_items = _placements_read(message["core"])
        if "rounded" in message:
            value = int(message["value"])
            if self.timetable is None or value > self.timetable[0]:
                self.timetable = (value, np.asarray(message["rounded"], dtype=np.int64))

    def search_reached(self, value: int) -> None:
        """The search's best timetable is now worth ``value``: the child hears it when that passes the best timetable it
        rounded (it then stops rounding: :class:`_Rounding`). Never waits on the child: a line of a few bytes, and
        nothing when the child has ended or has not read the scenario yet."""
        if self.timetable is None or value <= max(self.timetable[0], self.told) or not self.document_sent:
            return
        if self._write(f"{value}\n", wait=False):
            self.told = value

    def _write(self, text: str, wait: bool) -> bool:
        """Write ``text`` to the child's input, one writer at a time (``wait``: for the other's turn, else give up at
        once); whether it was written (not once the child has ended)."""
        stdin = self.process.stdin if self.process is not None else None
        if stdin is None or not self.writing.acquire(blocking=wait):
            return False
        try:
            stdin.write(text)
            stdin.flush()
            return True
        except (ValueError, OSError):  # (a broken pipe, or the input closed: the child has ended)
            return False
        finally:
            self.writing.release()

    def rounded(self) -> tuple[int, IntArray] | None:
        """The best timetable rounded from the whole LP's solutions so far: (its value, placement per event)."""
        return self.timetable

    def best(self) -> int | None:
        """The least bound proven so far (None before the first, or when never started)."""
        values = [value for _, value in list(self.found) if value >= 0]
        return min(values) if values else None

    def running(self) -> bool:
        """Whether the child runs now (started and not ended)."""
        return self.process is not None and self.process.poll() is None

    def failed(self) -> bool:
        """Whether the child was started and has ended without proving a bound (killed by a memory limit, say)."""
        return self.process is not None and self.process.poll() is not None and self.best() is None

    def core(self) -> tuple[IntArray, FloatArray] | None:
        """The whole LP's core: the placements its latest solution gives more than a thousandth, and how much it gives
        each (None before one)."""
        return self.core_items

    def solution(self) -> tuple[IntArray, FloatArray] | None:
        """The whole LP's latest solution (placements, how much of each), None before the first."""
        return self.lp

    def close(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        with self.writing:
            try:
                if self.process.stdin is not None:
                    self.process.stdin.close()
            except (BrokenPipeError, ValueError, OSError):
                pass  # (its input was already closed by the child's end)
        if self.reader is not None:
            self.reader.join(timeout=5)


def _print_placements(key: str, items: IntArray, values: FloatArray) -> None:
    """One JSON line ``{key: [placements, how much of each]}`` (read back by :func:`_placements_read`)."""
    print(json.dumps({key: [items.tolist(), np.round(values, 4).tolist()]}), flush=True)


def _placements_read(pair: list[list[Any]]) -> tuple[IntArray, FloatArray]:
    """(placements, how much of each) from a line of :func:`_print_placements`."""
    items, values = pair
    return np.asarray(items, dtype=np.int64), np.asarray(values, dtype=np.float64)


def _print_solution(items: IntArray, values: FloatArray) -> None:
    _print_placements("lp", items, values)


# a placement is in the LP's core when the LP's solution gives it more than this: PDLP's solutions spread thin (at
# 4,000 requests, seed 3: 53k of 365k placements above a thousandth, 20k above a hundredth, 92 above a tenth), and
# the thousandth gave the search the most (benchmarks/RESULTS.md core27)
CORE_WEIGHT = 0.001


def core_of(weight: FloatArray) -> IntArray:
    """The placements the LP's solution gives more than ``CORE_WEIGHT``: where the LP would put each event. The
    search's rounds re-plan within them (:mod:`solver.lns`), so each round can free several times as many events."""
    return np.flatnonzero(weight > CORE_WEIGHT)


def _print_core(weight: FloatArray) -> None:
    items = core_of(weight)
    _print_placements("core", items, weight[items])


def _both(first: Callable[[FloatArray], None] | None,
          second: Callable[[FloatArray], None] | None) -> Callable[[FloatArray], None] | None:
    """One listener to each round's weights that calls both (either may be None)."""
    if first is None or second is None:
        return first or second

    def heard(weight: FloatArray) -> None:
        first(weight)
        second(weight)
    return heard


class _Rounding:
    """The child's side of the rounded timetables: the first round's solution rounded (:func:`lp_rounded`) at once;
    after it, only once the bound has settled (it moved by less than half a percent in the last round), the
    round's solution rounded again, then perturbed roundings for as long as the round took, so that the rounds
    the bound still needs are not held up (measured at 2,000 requests, load 11-13: a quarter of each round's time
    spent rounding brought the whole LP's bound after the answer). The best is sent when it is worth more than
    the last one sent (and only when it places every required event). Once the search's best (``search_at``, heard
    from the parent) is worth more than every timetable sent, no more rounding: the search has left them behind, and
    a better LP rounds to about as much (4,000 requests, seed 3: 2,080-2,154, the LP's first round or its last,
    against the search's 2,300 and more by then), so the child's CPU goes to the bound (RESULTS.md "child rounding")."""

    def __init__(self, instance: Instance) -> None:
        from solver.model.objective import placement_values

        self.instance, self.value, self.sent = instance, placement_values(instance), -1
        self.rng = np.random.default_rng(0)
        self.last = time.monotonic()
        self.bound_now: int | None = None  # the best bound so far, and at the round before
        self.bound_before: int | None = None
        self.rounds = 0
        self.search_at = -1  # the search's best value, as the parent last said (:func:`_listen`)

    def passed(self) -> bool:
        """Whether the search's best is worth more than every timetable sent (and one was)."""
        return self.sent >= 0 and self.search_at > self.sent

    def bound(self, bound: int) -> None:
        self.bound_now = bound
        print(bound, flush=True)

    def __call__(self, weight: FloatArray) -> None:
        from solver.model.rounding import lp_rounded

        began = time.monotonic()
        now, before = self.bound_now, self.bound_before
        settled = now is not None and before is not None and now >= 0.995 * before
        self.rounds, self.bound_before = self.rounds + 1, now
        if self.passed() or self.rounds > 1 and not settled:
            self.last = time.monotonic()
            return
        budget = began - self.last if settled else 0.0
        best = self._valued(lp_rounded(self.instance, weight))
        while time.monotonic() - began < budget:
            best = max(best, self._valued(lp_rounded(self.instance, weight, self.rng)), key=lambda found: found[0])
        value, chosen = best
        if value > self.sent:
            self.sent = value
            print(json.dumps({"rounded": chosen.tolist(), "value": value}), flush=True)
        self.last = time.monotonic()

    def _valued(self, chosen: IntArray) -> tuple[int, IntArray]:
        """(its value, the timetable); -1 when it leaves a required event out."""
        instance = self.instance
        complete = all(chosen[e] >= 0 for e in range(len(instance.events))
                       if instance.required[e] and instance.event_items[e].size)
        return (int(self.value[chosen[chosen >= 0]].sum()) if complete else -1), chosen


def _listen(rounding: _Rounding) -> None:
    """The child's ear: each line after the scenario is the search's best value (BoundBeside.search_reached)."""
    for line in sys.stdin:
        if line.strip().isdigit():
            rounding.search_at = max(rounding.search_at, int(line))


def main() -> int:
    """The child: the scenario as the first line on stdin (then the search's best values, one a line), the time it may
    take in argv (then "solutions", "rounded" and "core" if asked); one line per better bound proven, one JSON line
    per round's solution, per round's core and per better rounded timetable if asked. It ends before its time once
    the bound's floor is as low as the LP can take it (measured at 1,000 requests, seed 3: after 12 s of its CPU,
    instead of going on for 45 s beside a 60 s search), or has stalled within a point of it
    (:func:`solver.bound.floor_stalled`; at 4,000 requests, seeds 1 and 2, after 24 and 34 s of PDLP's CPU, where the
    exact rule never held); the search's rounds then take every worker again."""
    from solver.compile import compile_scenario
    from solver.model.bound import whole_lp_bound
    from solver.model.objective import placement_values
    from solver.scenario import parse_scenario

    deadline = time.monotonic() + float(sys.argv[1])
    instance = compile_scenario(parse_scenario(json.loads(sys.stdin.readline())))
    rounding = _Rounding(instance) if "rounded" in sys.argv[2:] else None
    if rounding is not None:
        threading.Thread(target=_listen, args=(rounding,), daemon=True).start()
    left = deadline - time.monotonic()
    if left > 0.5:
        whole_lp_bound(instance, placement_values(instance), left,
                       on_bound=rounding.bound if rounding is not None else lambda bound: print(bound, flush=True),
                       on_solution=_print_solution if "solutions" in sys.argv[2:] else None,
                       on_weights=_both(_print_core if "core" in sys.argv[2:] else None, rounding),
                       until_floor_settled=True)  # settled or stalled, the child ends: its CPU goes to the search
    return 0


if __name__ == "__main__":
    sys.exit(main())
