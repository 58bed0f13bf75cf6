"""The `summit` command: the solver's commands (solver/cli.py) plus the service's (serve, worker, keys, and the
summit day's publish, clock and report), which need the `api` package; `solver/` never imports `api/`."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

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
                                                     "(default: SUMMIT_QUEUE, 'summit', and its re-plans' "
                                                     "SUMMIT_QUEUE.urgent)")] = None,
    name: Annotated[str, typer.Option("--name", "-n", help="this worker's name (%h: the host name)")] = "summit@%h",
    loglevel: Annotated[str, typer.Option("--loglevel", "-l", help="DEBUG, INFO, WARNING")] = "INFO",
) -> None:
    """Run a Celery worker that solves the service's jobs (SUMMIT_RUNNER=celery, SUMMIT_BROKER_URL and
    SUMMIT_DATABASE_URL as the service has them)."""
    import os

    os.environ["SUMMIT_RUNNER"] = "celery"  # a worker is the cluster's, whatever the machine's default
    _refuse_bad_service_settings()
    from api.jobs.celery_app import settings as service
    from api.jobs.celery_app import start_worker, urgent_queue

    per_job = max(1, service.solver_workers)
    start_worker(concurrency or max(1, (os.cpu_count() or 2) // per_job),
                 queues or [urgent_queue(service.queue), service.queue], name, loglevel)


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


# ------------------------------------------------------------------------- the summit day (HTTP client)

Url = Annotated[str, typer.Option("--url", envvar="SUMMIT_URL", help="the service (SUMMIT_URL)")]
Key = Annotated[str, typer.Option("--key", envvar="SUMMIT_KEY", help="a planner's API key (SUMMIT_KEY)")]
DEFAULT_URL = "http://127.0.0.1:8000"


def _call(method: str, url: str, key: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """One request to the service; prints its error (status, code, message, details) and exits 1 on refusal."""
    import httpx

    try:
        response = httpx.request(method, url.rstrip("/") + path, json=body, timeout=30,
                                 headers={"Authorization": f"Bearer {key}"})
    except httpx.HTTPError as error:
        errors.print(f"cannot reach {url}: {error}", markup=False)
        raise typer.Exit(1) from None
    if response.status_code >= 400:
        try:
            answer = response.json()
            errors.print(f"{response.status_code} {answer.get('error')}: {answer.get('message')}", markup=False)
        except ValueError:
            errors.print(f"{response.status_code}: {response.text[:500]}", markup=False)
        raise typer.Exit(1)
    data: dict[str, Any] = response.json()
    return data


def _print(data: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


@app.command()
def publish(
    timetable: Annotated[str, typer.Argument(help="the draft timetable's id")],
    allow_past_changes: Annotated[bool, typer.Option("--allow-past-changes",
                                                     help="publish even if it moves a started event")] = False,
    base: Annotated[str | None, typer.Option("--base", help="the published timetable it replaces")] = None,
    rebase: Annotated[bool, typer.Option("--rebase", help="if stale: re-plan its changes on the published plan")]
    = False,
    url: Url = DEFAULT_URL, key: Key = "",
) -> None:
    """Publish a draft timetable: delegations, agendas and calendar feeds show it from now on."""
    body: dict[str, Any] = {"allow_past_changes": allow_past_changes, "rebase": rebase}
    if base:
        body["base"] = base
    _print(_call("POST", url, key, f"/timetables/{timetable}/publish", body))


@app.command()
def clock(
    summit: Annotated[str, typer.Argument(help="the summit's (scenario's) id")],
    setting: Annotated[str | None, typer.Argument(help="fixed 2025-10-26T09:00+07:00 or accelerated "
                                                  "2025-10-26T09:00+07:00x60; omit to read the clock")] = None,
    reset: Annotated[bool, typer.Option("--reset", help="back to the service's clock")] = False,
    url: Url = DEFAULT_URL, key: Key = "",
) -> None:
    """Read or set the summit's clock (rehearsals: a fixed or accelerated clock)."""
    path = f"/summits/{summit}/clock"
    if setting is None and not reset:
        _print(_call("GET", url, key, path))
    else:
        _print(_call("PUT", url, key, path, {"clock": None if reset else setting}))


@app.command()
def report(
    summit: Annotated[str, typer.Argument(help="the summit's (scenario's) id")],
    kind: Annotated[str, typer.Argument(help="event_started, event_ended, running_late, participant_arrived, "
                                        "participant_delayed or room_out")],
    event: Annotated[str | None, typer.Option("--event")] = None,
    participant: Annotated[str | None, typer.Option("--participant")] = None,
    room: Annotated[str | None, typer.Option("--room")] = None,
    minutes: Annotated[int | None, typer.Option("--minutes", help="running late by / delayed by")] = None,
    at: Annotated[str | None, typer.Option("--at", help="when (default: the summit's clock)")] = None,
    until: Annotated[str | None, typer.Option("--until", help="arrival, or the room back in use")] = None,
    url: Url = DEFAULT_URL, key: Key = "",
) -> None:
    """Report what happens on the day: it becomes a change and a re-plan of the published plan (the proposal)."""
    fields = {"kind": kind, "event": event, "participant": participant, "room": room, "minutes": minutes,
              "at": at, "until": until}
    _print(_call("POST", url, key, f"/summits/{summit}/reports", {k: v for k, v in fields.items() if v is not None}))


@app.command()
def proposal(
    action: Annotated[str, typer.Argument(help="show, accept, discard or unfreeze")],
    proposal_id: Annotated[str, typer.Argument(help="the proposal's id")],
    events: Annotated[list[str] | None, typer.Option("--event", help="unfreeze: an event the proposal may move")]
    = None,
    allow_past_changes: Annotated[bool, typer.Option("--allow-past-changes")] = False,
    url: Url = DEFAULT_URL, key: Key = "",
) -> None:
    """A proposal: show it, accept it (publish its draft), discard it, or lift the freeze for some events."""
    path = f"/proposals/{proposal_id}"
    if action == "show":
        _print(_call("GET", url, key, path))
    elif action == "accept":
        _print(_call("POST", url, key, f"{path}/accept", {"allow_past_changes": allow_past_changes}))
    elif action == "discard":
        _print(_call("POST", url, key, f"{path}/discard"))
    elif action == "unfreeze":
        _print(_call("POST", url, key, f"{path}/unfreeze", {"events": events or []}))
    else:
        errors.print(f"ACTION: {action!r} is not one of show, accept, discard, unfreeze")
        raise typer.Exit(2)


def main() -> None:  # pragma: no cover - entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
