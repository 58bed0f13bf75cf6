"""Each test file run alone (its own pytest process), so that no test passes only thanks to another's leftovers.

    .venv/bin/python benchmarks/tests_alone.py                    # every tests/**/test_*.py, one after the other
    .venv/bin/python benchmarks/tests_alone.py tests/test_replay.py tests/api/test_celery.py
    .venv/bin/python benchmarks/tests_alone.py --each-test tests/test_replay.py   # every test of a file alone
    .venv/bin/python benchmarks/tests_alone.py --each-test --group-over 8 tests/api/test_roles.py
        # every test alone, but a test function with more than 8 parametrized cases runs its cases together

Prints one line per file (or test): passed/failed, seconds, and the load average when it started; then the failures
with the tail of their output. Exit status 1 if any failed. Every run has a timeout (``--timeout``, per file).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# the interpreter running this script (main's venv, from a worktree too), with the worktree's PYTHONPATH
PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x"]


def test_files(given: list[str]) -> list[str]:
    if given:
        return given
    return sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").rglob("test_*.py"))


def test_ids(path: str, timeout: float) -> list[str]:
    """The ids of a file's tests, as pytest collects them."""
    # (one -q, the project's addopts: the node ids one a line; a second -q would print counts per file)
    out = subprocess.run([*PYTEST[:3], "-p", "no:cacheprovider", "--collect-only", path], cwd=ROOT,
                         capture_output=True, text=True, timeout=timeout)
    return [line for line in out.stdout.splitlines() if "::" in line]


def grouped(ids: list[str], over: int) -> list[str]:
    """``ids``, but the cases of a test function parametrized more than ``over`` times as one target (the
    function's id: pytest runs its cases together); 0: no grouping."""
    cases: dict[str, int] = {}
    for test in ids:
        cases[test.split("[")[0]] = cases.get(test.split("[")[0], 0) + 1
    out: list[str] = []
    for test in ids:
        function = test.split("[")[0]
        target = function if over and cases[function] > over else test
        if target not in out:
            out.append(target)
    return out


def run_alone(target: str, timeout: float) -> tuple[bool, float, str]:
    """Whether ``target`` passes in a pytest process of its own, how long it took, and its output's tail."""
    started = time.monotonic()
    try:
        out = subprocess.run([*PYTEST, target], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
        passed, text = out.returncode in (0, 5), out.stdout + out.stderr  # 5: nothing collected (all skipped)
    except subprocess.TimeoutExpired as expired:
        passed, text = False, f"timed out after {timeout:.0f} s\n{expired.stdout or ''}"
    return passed, time.monotonic() - started, text[-3000:] if isinstance(text, str) else str(text)[-3000:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*", help="test files (default: every tests/**/test_*.py)")
    parser.add_argument("--each-test", action="store_true", help="run every test of the files alone, not the file")
    parser.add_argument("--group-over", type=int, default=0,
                        help="with --each-test: run the cases of a function parametrized more than N times together")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per pytest run (default 900)")
    args = parser.parse_args()
    targets = test_files(args.files)
    if args.each_test:
        targets = [test for path in targets for test in grouped(test_ids(path, args.timeout), args.group_over)]
    failures: list[tuple[str, str]] = []
    total = time.monotonic()
    for target in targets:
        load = os.getloadavg()[0]
        passed, seconds, tail = run_alone(target, args.timeout)
        print(f"{'passed' if passed else 'FAILED'} {seconds:7.1f} s  load {load:5.2f}  {target}", flush=True)
        if not passed:
            failures.append((target, tail))
    print(f"{len(targets) - len(failures)} of {len(targets)} passed alone in {time.monotonic() - total:.0f} s")
    for target, tail in failures:
        print(f"\n=== {target}\n{tail}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
