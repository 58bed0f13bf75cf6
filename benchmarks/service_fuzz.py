"""schemathesis over every operation of the service with an admin key: how many examples, how many server errors.

    .venv/bin/python benchmarks/service_fuzz.py --backend sqlite|postgresql [--examples 1500]

Starts a server (SQLite file, or a fresh schema of SUMMIT_BENCH_POSTGRES), stores and solves the tiny
scenario so that some ids exist, then asks hypothesis for ``--examples`` requests in all, spread evenly over
the operations (the event stream excepted), and checks each answer: no 5xx, and the answer matches the
OpenAPI document. Prints the counts by status and every failure.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import schemathesis  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import response_schema_conformance  # noqa: E402

from benchmarks.service import running_server  # noqa: E402
from tests.api.conftest import solve, submit_scenario  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--examples", type=int, default=1500,
                        help="examples asked in all (hypothesis stops early where inputs are few)")
    args = parser.parse_args()
    with running_server(args.backend, {"SUMMIT_EXPLAIN_TIME_LIMIT_S": "2"}) as server:
        admin = server.create_key_cli("admin")
        with server.client(admin) as client:
            solve(client, submit_scenario(client))
        schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
        operations = [r.ok() for r in schema.get_all_operations() if r.ok().path != "/jobs/{job_id}/events"]
        per_operation = math.ceil(args.examples / len(operations))
        statuses: Counter[int] = Counter()
        failures: list[str] = []
        started = time.monotonic()
        for operation in operations:

            @given(case=operation.as_strategy())
            @settings(max_examples=per_operation, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck))
            def check(case: schemathesis.Case) -> None:
                response = case.call(base_url=server.url, headers={"Authorization": f"Bearer {admin}"})
                statuses[response.status_code] += 1
                case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

            try:
                check()
            except Exception as error:  # every operation's failures are reported together
                failures.append(f"{operation.method.upper()} {operation.path}: {str(error)[:800]}")
        seconds = time.monotonic() - started
    total = sum(statuses.values())
    errors = sum(n for status, n in statuses.items() if status >= 500)
    print(f"backend {args.backend}: {len(operations)} operations, {per_operation} examples each asked, "
          f"{total} requests in {seconds:.0f} s; server errors (5xx): {errors}; failed checks: {len(failures)}")
    print("by status: " + ", ".join(f"{status}: {n}" for status, n in sorted(statuses.items())))
    for failure in failures:
        print("\n" + failure)
    sys.exit(1 if errors or failures else 0)


if __name__ == "__main__":
    main()
