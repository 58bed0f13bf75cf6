"""What the service benchmarks share: a real server (as the API tests start it) on SQLite or on a fresh
PostgreSQL schema, and percentiles."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks.common import ROOT  # noqa: F401 - puts the repository on sys.path
from tests.api.conftest import Server

POSTGRES = os.environ.get("SUMMIT_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@contextmanager
def running_server(backend: str, env: dict[str, str] | None = None) -> Iterator[Server]:
    """A started server on a new SQLite file or a new PostgreSQL schema (dropped afterwards)."""
    tmp = Path(tempfile.mkdtemp(prefix="summit-bench-"))
    schema = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp}/bench.db"
    else:
        import sqlalchemy as sa

        schema = f"summit_bench_{uuid.uuid4().hex[:10]}"
        engine = sa.create_engine(POSTGRES)
        with engine.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        engine.dispose()
        url = f"{POSTGRES}{'&' if '?' in POSTGRES else '?'}options=-csearch_path%3D{schema}"
    server = Server(url, tmp, env)
    try:
        yield server.start()
    finally:
        server.stop()
        if schema is not None:
            import sqlalchemy as sa

            engine = sa.create_engine(POSTGRES)
            with engine.begin() as connection:
                connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            engine.dispose()


def percentile(values: list[float], share: float) -> float:
    """The value at ``share`` (0..1) of the sorted values, in milliseconds."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000 if ordered else float("nan")
