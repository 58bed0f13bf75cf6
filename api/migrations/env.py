"""Alembic environment: uses the connection handed over by api.store.db.upgrade, or the configured URL."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection, create_engine

from api.store.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = os.environ.get("SUMMIT_DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    assert url, "set sqlalchemy.url or SUMMIT_DATABASE_URL"
    engine = create_engine(url)
    with engine.begin() as conn:
        _run(conn)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
