"""Alternatives side by side: a base scenario and named variants (change lists), each solved the same way.

A comparison file (contract section Comparisons) names a base scenario, by a path relative to the file,
and its variants. The base is always compared too, as the first variant ("base"). Every variant is checked
before anything is solved, so a typo in the last variant does not cost the planner the first solves.

``run_comparison`` solves every (variant, seed) pair, in parallel processes when asked, and returns the
data the reports and charts are made from (``solver.report``, ``solver.charts``): per variant its runs,
the KPIs of its best run (``solver.kpi``), and the room occupancy of that run.
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from solver.changes import AnyChange, apply_changes, parse_changes
from solver.kpi import kpis, occupancy
from solver.scenario import Problem, Scenario, ScenarioError, format_path, load_scenario, read_document_file
from solver.timetable import Timetable
from solver.validate import validate_timetable

BASE = "base"


class VariantSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=80)
    changes: list[Any] = Field(default_factory=list)


class ComparisonSpec(BaseModel):
    """The comparison file: ``base`` (a scenario path, relative to the file) and its ``variants``."""

    model_config = ConfigDict(extra="forbid")

    base: str = Field(min_length=1)
    variants: list[VariantSpec] = Field(default_factory=list, max_length=50)


@dataclass(frozen=True)
class Variant:
    name: str
    scenario: Scenario
    changes: list[AnyChange] = field(default_factory=list)


@dataclass(frozen=True)
class RunSettings:
    time_limit: float = 20.0
    seeds: int = 1
    parallel: int = 1  # processes solving at once; 1 solves in this process
    workers: int = 2  # CP-SAT workers per solve
    memory_mb: int | None = None  # each solve's memory: the whole model if it fits, else LNS alone (solver/size.py)


@dataclass(frozen=True)
class RunEvent:
    """A step of a comparison run, for progress displays: ``kind`` is started, progress or done."""

    kind: str
    variant: str
    seed: int
    seconds: float = 0.0
    objective: int | None = None
    bound: int | None = None


@dataclass
class ComparisonResult:
    data: dict[str, Any]
    timetables: dict[str, Timetable]  # the best timetable of each variant


def _spec_problems(error: ValidationError) -> list[Problem]:
    problems = []
    for item in error.errors():
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            allowed = "name, changes" if "variants" in item["loc"] else "base, variants"
            message = f"unknown field; allowed: {allowed}"
        problems.append(Problem(format_path(list(item["loc"])), message, item.get("input")))
    return problems


def build_variants(base: Scenario, specs: list[VariantSpec]) -> list[Variant]:
    """The base and each variant's scenario. Every problem of every variant is reported, with its path
    (``variants[1].changes[0].room``)."""
    variants = [Variant(BASE, base)]
    problems: list[Problem] = []
    seen = {BASE}
    for index, spec in enumerate(specs):
        where = f"variants[{index}]"
        if spec.name in seen:
            problems.append(Problem(f"{where}.name", "each variant needs its own name (and 'base' is the base)",
                                    spec.name))
            continue
        seen.add(spec.name)
        try:
            changes = parse_changes(spec.changes)
            variants.append(Variant(spec.name, apply_changes(base, changes), changes))
        except ScenarioError as error:
            problems.extend(Problem(f"{where}.{p.path}" if p.path.startswith("changes") else f"{where}: {p.path}",
                                    p.message, p.value) for p in error.problems)
    if problems:
        raise ScenarioError(problems)
    return variants


def parse_comparison(data: Any, base_dir: Path) -> list[Variant]:
    """Read a comparison document whose base path is relative to ``base_dir``."""
    try:
        spec = ComparisonSpec.model_validate(data)
    except ValidationError as error:
        raise ScenarioError(_spec_problems(error)) from None
    base_path = (base_dir / spec.base).resolve()
    try:
        base = load_scenario(base_path)
    except ScenarioError as error:
        raise ScenarioError([Problem(f"base ({spec.base}): {p.path}".rstrip(": "), p.message, p.value)
                             for p in error.problems]) from None
    return build_variants(base, spec.variants)


def load_comparison(path: str | Path) -> list[Variant]:
    """Read a comparison file (.yaml or .json) and check every variant."""
    return parse_comparison(read_document_file(path, "comparison"), Path(path).parent)


# -- solving ------------------------------------------------------------------------------------

EventHandler = Callable[[RunEvent], None]


def _solve_one(document: dict[str, Any], name: str, seed: int, settings: RunSettings,
               tell: EventHandler, stop: threading.Event | None = None) -> dict[str, Any]:
    """Solve one variant with one seed; in a worker process when run in parallel (hence plain data)."""
    from solver.scenario import parse_scenario
    from solver.solve import Progress, SolveConfig, solve

    def on_progress(progress: Progress) -> None:
        tell(RunEvent("progress", name, seed, progress.seconds, progress.objective, progress.bound))

    tell(RunEvent("started", name, seed))
    config = SolveConfig(time_limit=settings.time_limit, workers=settings.workers, seed=seed, stop=stop,
                         memory_mb=settings.memory_mb)
    result = solve(parse_scenario(document), on_progress=on_progress, config=config)
    timetable = result.timetable
    tell(RunEvent("done", name, seed, timetable.solve_seconds, timetable.objective, timetable.bound))
    return timetable.model_dump(mode="json")


def _ignore(_: RunEvent) -> None:
    pass


def _drain(events: Any, on_event: EventHandler, finished: threading.Event) -> None:
    while not finished.is_set() or not events.empty():
        try:
            on_event(events.get(timeout=0.1))
        except queue.Empty:
            continue
        except (EOFError, OSError):  # the manager has gone
            return


def _solve_all(variants: list[Variant], settings: RunSettings, on_event: EventHandler | None,
               stop: threading.Event | None) -> dict[tuple[str, int], Timetable]:
    tasks = [(v, seed) for v in variants for seed in range(settings.seeds)]
    if settings.parallel <= 1:
        return {(v.name, seed): Timetable.model_validate(
                    _solve_one(v.scenario.to_document(), v.name, seed, settings, on_event or _ignore, stop))
                for v, seed in tasks}
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, ProcessPoolExecutor(settings.parallel, mp_context=context) as pool:
        events = manager.Queue()
        finished = threading.Event()
        drainer = threading.Thread(target=_drain, args=(events, on_event or _ignore, finished), daemon=True)
        drainer.start()
        futures: dict[tuple[str, int], Future[dict[str, Any]]] = {
            (v.name, seed): pool.submit(_solve_one, v.scenario.to_document(), v.name, seed, settings, events.put)
            for v, seed in tasks
        }
        try:
            timetables = {key: Timetable.model_validate(future.result()) for key, future in futures.items()}
        finally:
            finished.set()
            drainer.join(timeout=5)
    return timetables


def run_comparison(variants: list[Variant], settings: RunSettings, on_event: EventHandler | None = None,
                   stop: threading.Event | None = None) -> ComparisonResult:
    """Solve every variant ``settings.seeds`` times; report each variant's best run and its KPIs."""
    started = time.monotonic()
    timetables = _solve_all(variants, settings, on_event, stop)
    rows: list[dict[str, Any]] = []
    best: dict[str, Timetable] = {}
    for variant in variants:
        runs = [(seed, timetables[variant.name, seed]) for seed in range(settings.seeds)]
        seed, chosen = max(runs, key=lambda run: (run[1].objective, -run[0]))
        best[variant.name] = chosen
        measured = kpis(variant.scenario, chosen)
        objectives = [t.objective for _, t in runs]
        rows.append({
            "name": variant.name,
            "changes": [c.model_dump(mode="json", exclude_none=True) for c in variant.changes],
            "status": chosen.status, "objective": chosen.objective, "bound": chosen.bound,
            "gap": measured.gap, "solve_seconds": chosen.solve_seconds, "best_seed": seed,
            "objective_range": [min(objectives), max(objectives)],
            "runs": [{"seed": s, "status": t.status, "objective": t.objective, "bound": t.bound,
                      "solve_seconds": t.solve_seconds} for s, t in runs],
            "violations": [str(v) for v in validate_timetable(variant.scenario, chosen)],
            "kpis": measured.to_dict(),
            "occupancy": occupancy(variant.scenario, chosen),
        })
    data = {"base": variants[0].scenario.name, "time_limit_s": settings.time_limit, "seeds": settings.seeds,
            "workers": settings.workers, "parallel": settings.parallel,
            "wall_seconds": round(time.monotonic() - started, 2), "variants": rows}
    return ComparisonResult(data=data, timetables=best)
