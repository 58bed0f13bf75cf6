"""Test-wide settings: property tests explore new examples locally and replay fixed ones in CI; under pytest-xdist
(``make test`` runs two workers), which tests share a worker."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

# The files whose tests take longest, longest first (their sums in benchmarks/RESULTS.md "b26b"): handed out first,
# so that the two workers end together instead of one running a long file taken last while the other waits.
LONGEST_FIRST = ("tests/api/test_summit_day.py", "tests/api/test_celery.py", "tests/web", "tests/test_replan.py",
                 "tests/api/test_roles.py", "tests/api/test_hardening.py", "tests/test_compare.py",
                 "tests/api/test_crash.py")


def _group(item: pytest.Item) -> str:
    """A test's worker group: its file, so that module fixtures (a cluster, a server) are built once and the file
    runs in its order; the web tests' files as one, since they share the session's Hanoi solve and browser."""
    path = item.nodeid.split("::")[0]
    return "tests/web" if path.startswith("tests/web/") else path


def _rank(item: pytest.Item) -> int:
    group = _group(item)
    return LONGEST_FIRST.index(group) if group in LONGEST_FIRST else len(LONGEST_FIRST)


@pytest.hookimpl(tryfirst=True)  # (before xdist reads the groups)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist's ``--dist loadgroup``: each test in its group, the longest groups first (sorted stably:
    the order inside a file is kept). A run without workers is left as collected."""
    if not hasattr(config, "workerinput"):
        return
    for item in items:
        item.add_marker(pytest.mark.xdist_group(_group(item)))
    items.sort(key=_rank)
