"""The ``summit`` command line: check, solve, validate and generate scenarios."""

from __future__ import annotations

import csv
import io
import json
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from solver.scenario import Scenario, ScenarioError, dump_scenario, load_scenario
from solver.timetable import Timetable, dump_timetable, load_timetable

if TYPE_CHECKING:
    from solver.solve import SolveResult

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Schedule a diplomatic summit: every event in a room and a time slot.")
console = Console()
errors = Console(stderr=True)


def _bad_input(what: str, error: ScenarioError) -> typer.Exit:
    """Print every problem of a bad input file; the caller raises the returned exit (code 2)."""
    errors.print(f"[bold red]{what} has {len(error.problems)} problem(s)[/]")
    for problem in error.problems:
        errors.print(f"  - {problem}", markup=False, highlight=False)
    return typer.Exit(2)


def _load(path: Path) -> Scenario:
    try:
        return load_scenario(path)
    except ScenarioError as error:
        raise _bad_input(f"{path}: the scenario", error) from None


@app.command()
def check(scenario: Annotated[Path, typer.Argument(help="scenario file (.yaml or .json)")]) -> None:
    """Validate a scenario and report events that can be ruled out before solving."""
    from solver.compile import compile_scenario

    model = _load(scenario)
    instance = compile_scenario(model)
    kinds: dict[str, int] = defaultdict(int)
    for event in model.events:
        kinds[event.kind] += 1
    console.print(f"[bold]{model.name}[/]: {len(model.days)} day(s), {len(model.rooms)} rooms, "
                  f"{len(model.participants)} participants, {len(model.events)} events "
                  f"({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))})")
    console.print(f"{instance.n_items} candidate placements in {len(instance.pools)} room pools")
    blocking = 0
    for precheck in instance.prechecks:
        event = instance.events[precheck.event]
        required = "required" if event.required else "optional"
        blocking += event.required
        colour = "red" if event.required else "yellow"
        console.print(f"[{colour}]{required} {event.id}[/]: {precheck.message}", highlight=False)
    if blocking:
        console.print(f"[bold red]{blocking} required event(s) cannot be scheduled[/]")
        raise typer.Exit(1)
    console.print("[green]scenario is valid[/]")


def _progress_line(elapsed: float, objective: int | None, bound: int | None) -> Text:
    if objective is None:
        return Text(f"  {elapsed:6.1f} s  searching (no timetable yet)...")
    gap = "" if bound is None or bound == 0 else f"  gap {100 * (bound - objective) / max(bound, 1):.1f}%"
    return Text(f"  {elapsed:6.1f} s  incumbent {objective}  bound {bound}{gap}")


STOP_WORDS = {
    "optimal": "optimal: the bound proves no better timetable exists (gap 0)",
    "time limit": "stopped at the time limit (--time-limit)",
    "cancelled": "stopped on request",
    "infeasible": "infeasible: the solver proved no timetable keeps every required event",
}


def stop_words(stopped_by: str, stall: float | None) -> str:
    """Why the search ended, as the planner reads it: "optimal" at gap 0, the stall only when --stall was given."""
    if stopped_by == "stall":
        return (f"stopped after {stall:g} s without a better timetable (--stall)" if stall is not None
                else "stopped: no better timetable for a while")
    return STOP_WORDS.get(stopped_by, f"stopped: {stopped_by}" if stopped_by else "stopped")


class _Lines:
    """The progress written to a file or a pipe: one line per tick (a terminal gets the live line instead)."""

    def __init__(self) -> None:
        self.last = ""

    def update(self, line: Text) -> None:
        if line.plain != self.last:
            self.last = line.plain
            errors.print(line, highlight=False)


@contextmanager
def _progress_display(first: Text) -> Iterator[Live | _Lines]:
    if errors.is_terminal:
        with Live(first, console=errors, transient=False, refresh_per_second=4) as live:
            yield live
    else:
        lines = _Lines()
        lines.update(first)
        yield lines


class _Ticker:
    """Moves the progress line every second (elapsed time, the latest incumbent and bound), so that a long
    search between two timetables is not a silent one. Only the command line's clock: the solver's progress
    callback still reports incumbents alone."""

    def __init__(self, live: Live | _Lines, latest: list[Any], every: float = 1.0) -> None:
        self.live, self.latest, self.every = live, latest, every
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="progress-ticker", daemon=True)
        self.started = time.monotonic()

    def _run(self) -> None:
        while not self.stop.wait(self.every):
            last = self.latest[-1] if self.latest else None
            self.live.update(_progress_line(time.monotonic() - self.started, last.objective if last else None,
                                            last.bound if last else None))

    def __enter__(self) -> _Ticker:
        self.thread.start()
        return self

    def close(self) -> None:
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join()

    def __exit__(self, *_: object) -> None:
        self.close()


# the robust solve's price of a buffer (solver/buffers.py)
BufferValue = Annotated[float | None, typer.Option("--buffer-value", min=0.0, max=100_000.0,
                                                   help="the robust solve: what one buffer (a slot a vvip is left "
                                                        "free right after an event of theirs) is worth in priority "
                                                        "points; 0: no request is given up for one (default: the "
                                                        "scenario's overruns.buffer_value)")]


# the share of the value the robust solve may give up where most cascades run (solver/cascades.py)
CascadeBudget = Annotated[float | None, typer.Option("--cascade-budget", min=0.0, max=1.0,
                                                     help="the robust solve: the share of the requests' value it may "
                                                          "give up where most replayed cascades run (0.02: at most "
                                                          "2 percent); default: the scenario's "
                                                          "overruns.cascade_budget (0)")]


@app.command()
def solve(
    scenario: Annotated[Path, typer.Argument(help="scenario file (.yaml or .json)")],
    time_limit: Annotated[float, typer.Option("--time-limit", "-t", min=0.1, help="seconds")] = 20.0,
    workers: Annotated[int, typer.Option("--workers", "-w", min=1, max=64)] = 2,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write the timetable here")] = None,
    format: Annotated[str, typer.Option("--format", "-f", help="json, csv or table")] = "table",
    stall: Annotated[float | None, typer.Option("--stall", min=0.1,
                                                help="stop after SECONDS without improvement (default: never "
                                                     "while a gap remains)")] = None,
    robust: Annotated[bool | None, typer.Option("--robust/--plain",
                                                help="after the plain solve, move events to where overruns "
                                                     "cascade less, every request kept (default: the "
                                                     "scenario's overruns.robust)")] = None,
    buffer_value: BufferValue = None,
    cascade_budget: CascadeBudget = None,
    memory: Annotated[int | None, typer.Option("--memory", min=1, help="MB this solve may use: the whole model when "
                                               "its estimate fits, else large-neighbourhood search alone; a summit "
                                               "that fits neither is refused (default: no limit)")] = None,
) -> None:
    """Solve a scenario and print or write the timetable."""
    from solver.solve import Progress, SolveConfig
    from solver.solve import solve as run_solve
    from solver.validate import validate_timetable

    if format not in ("json", "csv", "table"):
        errors.print(f"--format: {format!r} is not allowed; use json, csv or table")
        raise typer.Exit(2)
    model = _load(scenario)
    lns_only = _lns_only_within(model, memory, workers) if memory is not None else False
    latest: list[Progress] = []
    with _progress_display(_progress_line(0, None, None)) as live, _Ticker(live, latest) as ticker:
        def on_progress(progress: Progress) -> None:
            latest.append(progress)
            live.update(_progress_line(progress.seconds, progress.objective, progress.bound))

        config = SolveConfig(time_limit=time_limit, workers=workers, seed=seed, stall_seconds=stall,
                             lns_only=lns_only, robust=robust, buffer_value=buffer_value,
                             cascade_budget=cascade_budget)
        result = run_solve(model, on_progress=on_progress, config=config)
        timetable = result.timetable
        ticker.close()  # the final line is the solver's own
        live.update(_progress_line(timetable.solve_seconds, timetable.objective, timetable.bound))
    violations = validate_timetable(model, timetable)
    _print_slack(result.stats.slack_replay, result.stats.slack_seconds)
    _advise_budget(result.stats.fullest_rooms, result.stats.cascade_budget)
    if output is not None:
        dump_timetable(timetable, output)
        errors.print(f"timetable written to {output}")
    _print_solved(model, result, format, stall)
    _exit_on_broken_rules(violations)
    if timetable.status in ("infeasible", "unknown"):
        raise typer.Exit(1)


def _print_solved(model: Scenario, result: SolveResult, format: str, stall: float | None) -> None:
    """The timetable on stdout as JSON or CSV, or as the planner's table with a line on the model and the search."""
    timetable = result.timetable
    if format == "json":
        sys.stdout.write(json.dumps(timetable.to_document(), indent=2, ensure_ascii=False) + "\n")
    elif format == "csv":
        sys.stdout.write(timetable_csv(model, timetable))
    else:
        print_summary(model, timetable)
        stats = result.stats
        first = "-" if stats.first_solution_seconds is None else f"{stats.first_solution_seconds:.2f} s"
        console.print(f"model: {stats.placements} placements, {stats.rows} rows, built in "
                      f"{stats.compile_seconds + stats.build_seconds:.2f} s; first timetable after {first}; "
                      f"{stop_words(stats.stopped_by, stall)}")


def _print_slack(replay: tuple[float, float] | None, seconds: float) -> None:
    """The robust solve's second stage, in one line on stderr."""
    if replay is not None:
        errors.print(f"robust: expected events moved + requests lost per summit {replay[0]:.1f} -> {replay[1]:.1f} "
                     f"(the search's own replay draws), {seconds:.1f} s; `summit replay` measures it")


def _advise_budget(fullest: tuple[float, str] | None, budget: float) -> None:
    """On full rooms without a cascade budget, say that moves alone cut little and what a budget would do."""
    from solver.cascades import FULL_ROOMS  # (lazy: the CLI starts without numpy's solver modules)

    if fullest is not None and budget <= 0 and fullest[0] >= FULL_ROOMS:
        errors.print(f"robust: the fullest rooms ({fullest[1]}) are {fullest[0]:.0%} full: moving events alone "
                     "leaves little slack there; --cascade-budget 0.02 lets the robust solve leave out the requests "
                     "most cascades run through, at most 2 % of the value (benchmarks/RESULTS.md, issue 29)")


def _exit_on_broken_rules(violations: list[Any]) -> None:
    """The validator's findings on stderr, and exit 1, when it found any."""
    if violations:
        errors.print(f"[bold red]the validator found {len(violations)} broken rule(s):[/]")
        for violation in violations:
            errors.print(f"  {violation}", markup=False)
        raise typer.Exit(1)


def _lns_only_within(model: Scenario, memory: int, workers: int) -> bool:
    """Whether a solve within ``memory`` MB runs large-neighbourhood search alone (said on stderr); a summit that
    fits neither way is refused (exit 2)."""
    from solver.size import TooLarge, memory_plan

    try:
        lns_only = memory_plan(model, memory, workers).lns_only
    except TooLarge as refused:
        errors.print(f"--memory: {refused.plan.refusal('--memory')}")
        raise typer.Exit(2) from None
    if lns_only:
        errors.print(f"the whole model needs about {memory_plan(model, None).estimate.whole_mb:,} MB, over "
                     f"--memory {memory}: large-neighbourhood search alone")
    return lns_only


def timetable_csv(model: Scenario, timetable: Timetable) -> str:
    titles = {e.id: e.title for e in model.events}
    people = {e.id: ";".join(e.participants) for e in model.events}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["event", "title", "room", "start", "end", "participants"])
    for a in sorted(timetable.assignments, key=lambda a: (a.start, a.room)):
        writer.writerow([a.event, titles.get(a.event, ""), a.room, a.start.isoformat(), a.end.isoformat(),
                         people.get(a.event, "")])
    return buffer.getvalue()


def print_summary(model: Scenario, timetable: Timetable) -> None:
    """Per day and room: what happens when; then the unscheduled events and diagnostics."""
    required = sum(e.required for e in model.events)
    placed = {a.event for a in timetable.assignments}
    placed_required = sum(e.required and e.id in placed for e in model.events)
    optional = [e for e in model.events if not e.required]
    bound = "-" if timetable.bound is None else str(timetable.bound)
    console.print(f"[bold]{model.name}[/] — status [bold]{timetable.status}[/], objective {timetable.objective} "
                  f"(bound {bound}), {timetable.solve_seconds:.1f} s")
    console.print(f"required events placed: {placed_required}/{required}; optional events placed: "
                  f"{sum(e.id in placed for e in optional)}/{len(optional)}")
    events = {e.id: e for e in model.events}
    rooms = {r.id: r for r in model.rooms}
    by_day: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for a in sorted(timetable.assignments, key=lambda a: a.start):
        start = model.localise(a.start)
        end = model.localise(a.end)
        by_day[f"{start:%a %d %b %Y}"][a.room].append(f"{start:%H:%M}-{end:%H:%M} {events[a.event].title or a.event}")
    for day, per_room in by_day.items():
        table = Table(title=day, show_lines=False, expand=False)
        table.add_column("room", style="bold")
        table.add_column("events", overflow="fold")
        table.add_column("n", justify="right")
        for room_id in sorted(per_room, key=lambda r: list(rooms).index(r) if r in rooms else 0):
            lines = per_room[room_id]
            shown = lines[:4] + ([f"... {len(lines) - 4} more"] if len(lines) > 4 else [])
            table.add_row(rooms[room_id].name or room_id, "\n".join(shown), str(len(lines)))
        console.print(table)
    if timetable.unscheduled:
        console.print(f"[yellow]{len(timetable.unscheduled)} event(s) not scheduled[/], by cause:")
        for cause, items in unscheduled_by_cause(timetable):
            console.print(f"  {len(items)} request(s): {cause}", highlight=False, markup=False)
            console.print("    " + ", ".join(item.event for item in items), highlight=False, markup=False)
    for diagnostic in timetable.diagnostics:
        console.print(f"[red]{diagnostic.code}[/]: {diagnostic.message}", highlight=False)


def unscheduled_by_cause(timetable: Timetable) -> list[tuple[str, list[Any]]]:
    """The unscheduled requests grouped by what keeps them out, the largest group first (``reasons.by_cause``)."""
    from solver.reasons import by_cause

    return by_cause(timetable.unscheduled)


@app.command()
def validate(
    scenario: Annotated[Path, typer.Argument(help="scenario file")],
    timetable: Annotated[Path, typer.Argument(help="timetable file (JSON)")],
    shortened: Annotated[list[str] | None, typer.Option(
        "--shortened", help="an event a re-plan after a report ran shorter (its `shortened`; repeat for each): it may "
                            "last down to its minimum duration")] = None,
    overlap: Annotated[list[str] | None, typer.Option(
        "--overlap", help="two events a re-plan after a report let break a rule between them, as EVENT,EVENT (its "
                          "`overlaps_waived`: a running event and one that cannot move; repeat for each pair)")] = None,
    availability_waived: Annotated[list[str] | None, typer.Option(
        "--availability-waived", help="an event a re-plan after a report kept past the end of its participants' "
                                      "availability (its `availability_waived`: a running event that overran; repeat "
                                      "for each): they must be available when it starts")] = None,
    day_close_waived: Annotated[list[str] | None, typer.Option(
        "--day-close-waived", help="an event a re-plan after a report kept past its day's close (its "
                                   "`day_close_waived`: a running event that overran the end of the day; repeat for "
                                   "each): it must start inside the day, its room and people are judged to the close")]
    = None,
) -> None:
    """Check a timetable against a scenario: exit 1 and one line per broken rule."""
    from pydantic import ValidationError

    from solver.validate import validate_timetable

    model = _load(scenario)
    try:
        table = load_timetable(timetable)
    except (OSError, ValueError, ValidationError) as error:
        errors.print(f"{timetable}: not a readable timetable: {error}", markup=False)
        raise typer.Exit(2) from None
    known = {e.id for e in model.events}
    foreign = [a.event for a in table.assignments if a.event not in known]
    if table.scenario.name != model.name or table.assignments and len(foreign) == len(table.assignments):
        # as `summit diff`: a timetable of another summit is refused, not reported as hundreds of unknown events
        errors.print(f"{timetable} is a timetable of another scenario ({table.scenario.name!r}, not "
                     f"{model.name!r}; {len(foreign)} of its {len(table.assignments)} events are not in {scenario}); "
                     "validate a timetable against the scenario it was made for", markup=False)
        raise typer.Exit(2)
    pairs = [pair.split(",") for pair in overlap or ()]
    bad = [text for text, pair in zip(overlap or (), pairs, strict=True) if len(pair) != 2 or not all(pair)]
    if bad:
        errors.print(f"--overlap {bad[0]!r}: expected two event ids as EVENT,EVENT (e.g. --overlap bil-0267,opening)",
                     markup=False)
        raise typer.Exit(2)
    for option, names, what in (("--availability-waived", availability_waived, "past its participants' availability"),
                                ("--day-close-waived", day_close_waived, "past its day's close")):
        unknown = [name for name in names or () if name not in known]
        if unknown:
            errors.print(f"{option} {unknown[0]!r}: not an event of {scenario} (expected the id of an event the "
                         f"re-plan kept {what}, e.g. {option} bil-0253)", markup=False)
            raise typer.Exit(2)
    violations = validate_timetable(model, table, shortened=shortened or (), overlaps_waived=pairs,
                                    availability_waived=availability_waived or (),
                                    day_close_waived=day_close_waived or ())
    for violation in violations:
        console.print(str(violation), markup=False, highlight=False)
    if violations:
        raise typer.Exit(1)
    console.print(f"valid: {len(table.assignments)} assignments respect H1-H13", highlight=False)


@app.command()
def replay(
    scenario: Annotated[Path, typer.Argument(help="scenario file")],
    timetable: Annotated[Path, typer.Argument(help="timetable file (JSON)")],
    runs: Annotated[int, typer.Option("--runs", min=1, max=100_000, help="summits of overruns to draw")] = 200,
    seed: Annotated[int, typer.Option("--seed", help="seed of the draws: same seed, same days")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Replay a timetable through seeded days of overruns: events to move, delegations to notify, requests
    lost (expected values with their spread) and the events that cause most cascades."""
    from solver.replay import replay as run_replay
    from solver.replay import replay_text

    model = _load(scenario)
    result = run_replay(model, _read_timetable(timetable), runs=runs, seed=seed)
    if as_json:
        print(json.dumps(result.to_dict()))
    else:
        console.print(replay_text(result), markup=False, highlight=False)


@app.command()
def generate(
    delegations: Annotated[int, typer.Option("--delegations", min=2, max=2000)] = 110,
    bilaterals: Annotated[int, typer.Option("--bilaterals", min=0, max=20000)] = 250,
    days: Annotated[int, typer.Option("--days", min=1, max=10)] = 2,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    output: Annotated[Path, typer.Option("--output", "-o", help="file to write (.yaml or .json)")] = Path(
        "scenario.yaml"),
) -> None:
    """Write a synthetic scenario shaped like the Hanoi one."""
    from solver.generate import generate_scenario

    scenario = generate_scenario(delegations=delegations, bilaterals=bilaterals, days=days, seed=seed)
    dump_scenario(scenario, output)
    console.print(f"wrote {output}: {len(scenario.participants)} participants, {len(scenario.events)} events, "
                  f"{len(scenario.rooms)} rooms, {len(scenario.days)} day(s)")


def _read_timetable(path: Path) -> Timetable:
    from pydantic import ValidationError

    try:
        return load_timetable(path)
    except (OSError, ValueError, ValidationError) as error:
        errors.print(f"{path}: not a readable timetable: {error}", markup=False)
        raise typer.Exit(2) from None


def now_of(now: str | None, model: Scenario) -> datetime | None:
    """``--now`` as a moment of the summit: a mistyped one names the option and the format, one outside the
    summit's days is refused as such (exit 2), not blamed on the changes."""
    if not now:
        return None
    example = f"{model.days[0].date}T10:00"
    try:
        moment = model.localise(datetime.fromisoformat(now))
    except ValueError:
        errors.print(f"--now: {now!r} is not a date and time; use YYYY-MM-DDTHH:MM in the summit's local time "
                     f"({model.timezone}, 24-hour), e.g. {example}", markup=False)
        raise typer.Exit(2) from None
    days = [str(day.date) for day in model.days]
    if str(moment.date()) not in days:
        errors.print(f"--now: {now} is outside the summit's days ({days[0]} to {days[-1]}, {model.timezone}); "
                     f"give a moment of the summit, e.g. {example}", markup=False)
        raise typer.Exit(2)
    return moment


def plan_stands_line(timetable: Timetable, time_limit: float) -> str:
    """The first line of a re-plan without a repair: the plan in force stays, and why."""
    broken = sorted({e for d in timetable.diagnostics if d.code == "broken_by_change" for e in d.events})
    what = f"; {len(broken)} event(s) the changes break stay where they are until a repair" if broken else ""
    if timetable.status == "infeasible":
        return f"the plan stands: no timetable can take these changes and keep every required event (proven){what}"
    return f"the plan stands: no repair found within {time_limit:g} s (--time-limit){what}"


@app.command()
def resolve(
    scenario: Annotated[Path, typer.Argument(help="the scenario the old timetable was made for")],
    timetable: Annotated[Path, typer.Option("--timetable", help="the previous timetable (JSON)")],
    changes: Annotated[Path, typer.Option("--changes", help="change list (YAML or JSON)")],
    output: Annotated[Path, typer.Option("--output", "-o", help="write the new timetable here")],
    now: Annotated[str | None, typer.Option("--now", help="current local time, e.g. 2025-10-25T10:00")] = None,
    freeze: Annotated[int, typer.Option("--freeze", min=0, help="minutes after --now that cannot move")] = 60,
    time_limit: Annotated[float, typer.Option("--time-limit", "-t", min=0.1)] = 10.0,
    workers: Annotated[int, typer.Option("--workers", "-w", min=1, max=64)] = 2,
    scenario_out: Annotated[Path | None, typer.Option("--scenario-out", help="write the changed scenario")] = None,
    unfreeze: Annotated[list[str] | None, typer.Option(
        "--unfreeze", help="an event whose freeze is lifted: it may move within the freeze window (repeatable)",
    )] = None,
) -> None:
    """Re-plan after changes, moving as little as possible; prints the diff and the disruption."""
    from solver.changes import load_changes
    from solver.diff import diff_text
    from solver.replan import resolve as run_resolve
    from solver.validate import validate_timetable

    model = _load(scenario)
    previous = _read_timetable(timetable)
    try:
        change_list = load_changes(changes.read_text(encoding="utf-8"), str(changes))
        moment = now_of(now, model)
        result = run_resolve(model, previous, change_list, now=moment, freeze_minutes=freeze,
                             time_limit=time_limit, workers=workers, unfreeze=unfreeze or ())
    except ScenarioError as error:
        raise _bad_input(str(changes), error) from None
    except (OSError, ValueError) as error:
        errors.print(f"cannot re-plan: {error}", markup=False)
        raise typer.Exit(2) from None
    dump_timetable(result.timetable, output)
    if scenario_out is not None:
        dump_scenario(result.scenario, scenario_out)
    if result.timetable.status not in ("optimal", "feasible"):
        console.print(plan_stands_line(result.timetable, time_limit), markup=False, highlight=False)
    console.print(diff_text(result.diff, result.scenario), markup=False, highlight=False, soft_wrap=True)
    proof = "proven minimal" if result.proven_minimal else f"lower bound {result.disruption_bound}"
    console.print(f"disruption {result.disruption} ({proof}); neighbourhood: {result.neighbourhood}; "
                  f"frozen: {len(result.frozen)}; {result.seconds:.2f} s; written to {output}", highlight=False)
    for note in result.notes:
        console.print(f"note: {note}", markup=False, highlight=False)
    for diagnostic in result.timetable.diagnostics:
        console.print(f"[red]{diagnostic.code}[/]: {diagnostic.message}", highlight=False)
    # (without a repair, the diagnostics above already name what the change breaks in the standing timetable)
    repaired = result.timetable.status in ("optimal", "feasible")
    violations = validate_timetable(result.scenario, result.timetable, result.waived, result.shortened,
                                    result.given_up, result.overlaps_waived,
                                    result.availability_waived, result.day_close_waived) if repaired else []
    for violation in violations:
        errors.print(f"  {violation}", markup=False)
    if violations or not repaired:
        raise typer.Exit(1)


@app.command()
def diff(
    old: Annotated[Path, typer.Argument(help="old timetable (JSON)")],
    new: Annotated[Path, typer.Argument(help="new timetable (JSON)")],
    scenario: Annotated[Path | None, typer.Option("--scenario", help="scenario, to name who is affected")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the diff as JSON")] = False,
) -> None:
    """What moved, changed room, was added or dropped between two timetables, and who to tell."""
    from solver.diff import diff_text, diff_timetables
    from solver.scenario import parse_scenario

    before, after = _read_timetable(old), _read_timetable(new)
    if before.scenario.name != after.scenario.name:  # as the API's different_scenarios: a re-plan keeps the name
        errors.print(f"{old} and {new} are timetables of different scenarios ({before.scenario.name!r} and "
                     f"{after.scenario.name!r}); a diff compares two timetables of one summit", markup=False)
        raise typer.Exit(2)
    if scenario is not None:
        model = _load(scenario)
    else:  # without the scenario, nobody can be named; times are shown in the timetables' own offset
        zone = zone_of_offsets(before, after)
        model = parse_scenario({"name": after.scenario.name, "timezone": zone,
                                "days": [{"date": "2000-01-01", "start": "00:00", "end": "01:00"}]})
        if not as_json:
            errors.print(f"no --scenario: times in {zone} (the timetables' own offset) and no participant or room "
                         "named; give the scenario for both")
    result = diff_timetables(model, before, after)
    if as_json:
        sys.stdout.write(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        console.print(diff_text(result, model), markup=False, highlight=False, soft_wrap=True)


def zone_of_offsets(*timetables: Timetable) -> str:
    """The zone the timetables' times were written in, from their UTC offsets ("Etc/GMT-7" for +07:00); UTC when
    they carry none, several, or one that no whole-hour zone has."""
    offsets = {a.start.utcoffset() for t in timetables for a in t.assignments}
    if len(offsets) != 1 or None in offsets:
        return "UTC"
    seconds = int(next(iter(offsets)).total_seconds())  # type: ignore[union-attr]
    if seconds == 0 or seconds % 3600:
        return "UTC"
    hours = seconds // 3600
    return f"Etc/GMT{-hours:+d}"  # the Etc zones' sign is POSIX's: east of Greenwich is minus


@app.command()
def explain(
    scenario: Annotated[Path, typer.Argument(help="scenario file")],
    timetable: Annotated[Path | None, typer.Option("--timetable", help="a timetable of this scenario")] = None,
    event: Annotated[str | None, typer.Option("--event", help="explain this unscheduled event")] = None,
    time_limit: Annotated[float | None, typer.Option(
        "--time-limit", "-t", min=0.1, help="seconds (default 10); with --event, a safety net over the whole answer "
        "(default 120: each check is bounded by deterministic work, not by the clock)")] = None,
) -> None:
    """Why a scenario is infeasible, or why an event is not scheduled and what would let it in."""
    from solver.explain import explain_scenario, what_would_it_take

    model = _load(scenario)
    if event is None:
        diagnostics = explain_scenario(model, time_limit=time_limit or 10.0)
        for diagnostic in diagnostics:
            colour = "green" if diagnostic.code == "feasible" else "red"
            console.print(f"[{colour}]{diagnostic.code}[/]: {diagnostic.message}", highlight=False)
        if any(d.code != "feasible" for d in diagnostics):  # like `check`: 1 when the scenario cannot be done
            raise typer.Exit(1)
        return
    if event not in {e.id for e in model.events}:
        errors.print(f"--event: unknown event {event!r}")
        raise typer.Exit(2)
    table = _read_timetable(timetable) if timetable is not None else None
    for line in what_would_it_take(model, event, table, time_limit=time_limit or 120.0):
        console.print(line, highlight=False, markup=False)


@app.command()
def compare(
    comparison: Annotated[Path, typer.Argument(help="comparison file: a base scenario and its variants")],
    output: Annotated[Path, typer.Option("--output", "-o", help="directory for the tables and charts")],
    time_limit: Annotated[float, typer.Option("--time-limit", "-t", min=0.1, help="seconds per solve")] = 20.0,
    seeds: Annotated[int, typer.Option("--seeds", min=1, max=20, help="solves per variant")] = 1,
    parallel: Annotated[int, typer.Option("--parallel", "-p", min=1, max=32, help="solves at once")] = 1,
    workers: Annotated[int | None, typer.Option("--workers", "-w", min=1, max=64,
                                                help="CP-SAT workers per solve (default: cores / parallel)")] = None,
) -> None:
    """Solve a base scenario and its variants the same way, and write comparison.md, .csv, .json and charts."""
    import os

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from solver.compare import RunEvent, RunSettings, load_comparison, run_comparison
    from solver.report import headline_markdown, write_report

    try:
        variants = load_comparison(comparison)
    except ScenarioError as error:
        raise _bad_input(f"{comparison}: the comparison", error) from None
    settings = RunSettings(time_limit=time_limit, seeds=seeds, parallel=parallel,
                           workers=workers or max(1, (os.cpu_count() or 2) // parallel))
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[state]}"), TimeElapsedColumn())
    with Progress(*columns, console=errors, refresh_per_second=4) as progress:
        rows = {(v.name, seed): progress.add_task(f"{v.name} (seed {seed})", total=time_limit, state="waiting")
                for v in variants for seed in range(seeds)}

        def on_event(event: RunEvent) -> None:
            task = rows[event.variant, event.seed]
            if event.kind == "started":
                progress.update(task, state="solving")
            elif event.kind == "progress":
                progress.update(task, completed=min(event.seconds, time_limit),
                                state=f"objective {event.objective}, bound {event.bound}")
            else:
                progress.update(task, completed=time_limit, state=f"done: {event.objective} (bound {event.bound})")

        result = run_comparison(variants, settings, on_event=on_event)
    written = write_report(result.data, output, result.timetables)
    console.print(headline_markdown(result.data), markup=False, highlight=False, soft_wrap=True)
    console.print(f"wrote {len(written)} files to {output}", highlight=False)


def main() -> None:  # pragma: no cover - entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    app()

