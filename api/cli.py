"""The `summit` command: the solver's commands (solver/cli.py) plus the service's (serve, worker, keys, and the
summit day's publish, clock and report), which need the `api` package; `solver/` never imports `api/`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console

from solver.cli import app as solver_app

app = typer.Typer(add_completion=False, no_args_is_help=True, help=solver_app.info.help)
app.registered_commands.extend(solver_app.registered_commands)
app.registered_groups.extend(solver_app.registered_groups)
errors = Console(stderr=True)


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port")] = 8000,
) -> None:
    """Run the HTTP service (database: SUMMIT_DATABASE_URL, default sqlite:///./summit.db; with
    SUMMIT_RUNNER=celery it only enqueues jobs and `summit worker` runs them)."""
    import uvicorn

    _refuse_bad_service_settings()
    uvicorn.run("api.main:create_app", factory=True, host=host, port=port)


def _refuse_bad_service_settings() -> None:
    """Exit 2 with every reason when the settings cannot run (SQLite with the celery runner, no broker)."""
    from pydantic import ValidationError

    from api.settings import Settings

    try:
        problems = Settings.from_env().cluster_problems()
    except ValidationError as error:
        problems = [f"SUMMIT_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in error.errors()]
    for problem in problems:
        errors.print(problem, markup=False, highlight=False, soft_wrap=True)
    if problems:
        raise typer.Exit(2)


@app.command()
def worker(
    concurrency: Annotated[int | None, typer.Option("--concurrency", "-c", min=1, max=256,
                                                    help="jobs at once (default: cores / SUMMIT_SOLVER_WORKERS)")]
    = None,
    queues: Annotated[list[str] | None, typer.Option("--queues", "-Q", help="queues to take jobs from "
                                                     "(default: SUMMIT_QUEUE, 'summit')")] = None,
    name: Annotated[str, typer.Option("--name", "-n", help="this worker's name (%h: the host name)")] = "summit@%h",
    loglevel: Annotated[str, typer.Option("--loglevel", "-l", help="DEBUG, INFO, WARNING")] = "INFO",
) -> None:
    """Run a Celery worker that solves the service's jobs (SUMMIT_RUNNER=celery, SUMMIT_BROKER_URL and
    SUMMIT_DATABASE_URL as the service has them)."""
    import os

    os.environ["SUMMIT_RUNNER"] = "celery"  # a worker is the cluster's, whatever the machine's default
    _refuse_bad_service_settings()
    from api.jobs.celery_app import settings as service
    from api.jobs.celery_app import start_worker

    per_job = max(1, service.solver_workers)
    start_worker(concurrency or max(1, (os.cpu_count() or 2) // per_job), queues or [service.queue], name, loglevel)


keys_app = typer.Typer(no_args_is_help=True, help="API keys of the HTTP service (database: SUMMIT_DATABASE_URL).")
app.add_typer(keys_app, name="keys")


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option("--role", help="admin, planner, viewer or liaison")],
    delegation: Annotated[str | None, typer.Option("--delegation", help="the liaison's delegation code")] = None,
    label: Annotated[str | None, typer.Option("--label", help="who holds the key")] = None,
) -> None:
    """Create an API key and print it (last line); only its sha256 is stored."""
    from api.settings import Settings
    from api.store.db import make_engine, upgrade
    from api.store.repository import ROLES, Repository

    if role not in ROLES:
        errors.print(f"--role: must be one of {', '.join(ROLES)}")
        raise typer.Exit(2)
    if (role == "liaison") != (delegation is not None):
        errors.print("--delegation: required for a liaison key, and only for one")
        raise typer.Exit(2)
    engine = make_engine(Settings.from_env().database_url)
    upgrade(engine)
    key, secret = Repository(engine).create_key(role, delegation, label)
    engine.dispose()
    errors.print(f"created {role} key {key.id}" + (f" for delegation {delegation}" if delegation else ""))
    sys.stdout.write(secret + "\n")


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="the key's id (from GET /keys or `keys create`)")]) -> None:
    """Revoke an API key: refused from then on (running servers forget it at once when they share a Redis,
    SUMMIT_REDIS_URL; otherwise within their key cache's 30 s; DELETE /keys/{id} is at once either way)."""
    from api.revocations import KeyRevocations
    from api.settings import Settings
    from api.store.db import make_engine, upgrade
    from api.store.repository import Repository

    settings = Settings.from_env()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    repo = Repository(engine)
    key = repo.revoke_key(key_id)
    if key is not None:
        KeyRevocations(repo, settings.shared_redis_url).revoked(key_id)
    engine.dispose()
    if key is None:
        errors.print(f"no API key with id {key_id!r}")
        raise typer.Exit(2)
    errors.print(f"revoked {key.role} key {key.id}")


def main() -> None:  # pragma: no cover - entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
