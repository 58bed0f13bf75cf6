from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from api.deps import LimiterDep, Reader, RepoDep, RunnerDep, SettingsDep, Writer
from api.documents import read_body
from api.errors import ApiError, invalid
from api.jobs.params import SolveParams
from api.lookups import admit_by_memory, job_out, scenario_or_404, time_limit, version_or_404
from api.schemas import (
    MAX_OFFSET,
    MAX_VERSION,
    ErrorOut,
    JobOut,
    ScenarioCreated,
    ScenarioOut,
    ScenarioSummary,
    SolveRequest,
    TimetableSummary,
    VersionOut,
)
from api.settings import Settings
from api.store.models import ScenarioRow, ScenarioVersion
from api.store.repository import Repository
from solver.scenario import Problem, ScenarioError, parse_scenario

router = APIRouter(prefix="/scenarios", tags=["scenarios"])
log = logging.getLogger(__name__)
VersionQuery = Annotated[int | None, Query(ge=1, le=MAX_VERSION, description="default: the latest")]
MAX_NAME = 500  # the store's column
LIST_FIELDS = ("days", "zones", "travel_minutes", "rooms", "participants", "events", "resources")

_ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorOut} for code in (400, 401, 403, 404, 413, 415, 422)}
_SCENARIO_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "object", "description": "a scenario (see the format)"}},
            "application/yaml": {"schema": {"type": "string", "description": "a scenario in YAML"}},
        },
    }
}


@router.post("", status_code=201, response_model=ScenarioCreated, responses=_ERRORS, openapi_extra=_SCENARIO_BODY)
async def create_scenario(request: Request, response: Response, key: Writer, repo: RepoDep,
                          settings: SettingsDep) -> ScenarioCreated:
    """Submit a scenario as JSON or YAML; every problem is listed with its path."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    row, version = await run_in_threadpool(_store, repo, settings, await request.body(), media, key.id)
    response.headers["Location"] = f"/scenarios/{row.id}"
    return ScenarioCreated(id=row.id, version=version.version, name=version.name, fingerprint=version.fingerprint,
                           events=version.n_events)


def _store(repo: Repository, settings: Settings, raw: bytes, media: str,
           key_id: str) -> tuple[ScenarioRow, ScenarioVersion]:
    document = read_body(raw, media, settings.max_yaml_bytes)
    if isinstance(document, dict):
        wrong = [Problem(name, "must be a list", document[name]) for name in LIST_FIELDS
                 if name in document and document[name] is not None and not isinstance(document[name], list)]
        if wrong:
            raise invalid(ScenarioError(wrong))
        events = document.get("events")
        if isinstance(events, list) and len(events) > settings.max_events:
            raise ApiError(413, "scenario_too_large",
                           f"the scenario has {len(events)} events; at most {settings.max_events} are accepted")
    try:
        scenario = parse_scenario(document)
    except ScenarioError as error:
        raise invalid(error) from None
    except Exception as error:  # the reader should only raise ScenarioError; bad input never answers 500
        log.warning("scenario reader failed on bad input: %r", error)
        raise ApiError(422, "invalid_scenario", f"the scenario cannot be read ({type(error).__name__}: {error})",
                       [{"path": "", "message": str(error), "value": None}]) from None
    if len(scenario.name) > MAX_NAME:
        raise invalid(ScenarioError([Problem("name", f"at most {MAX_NAME} characters", scenario.name)]))
    return repo.create_scenario(scenario, key_id)


@router.get("", response_model=list[ScenarioSummary], responses=_ERRORS)
def list_scenarios(_: Reader, repo: RepoDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                   offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0) -> list[ScenarioSummary]:
    return [ScenarioSummary(id=r.id, name=r.name, latest_version=r.latest_version, created_at=r.created_at)
            for r in repo.list_scenarios(limit, offset)]


@router.get("/{scenario_id}", response_model=ScenarioOut, responses=_ERRORS)
def get_scenario(scenario_id: str, _: Reader, repo: RepoDep,
                 version: VersionQuery = None) -> ScenarioOut:
    row = scenario_or_404(repo, scenario_id)
    stored = version_or_404(repo, scenario_id, version or row.latest_version, with_document=True)
    return ScenarioOut(id=row.id, name=stored.name, version=stored.version, latest_version=row.latest_version,
                       fingerprint=stored.fingerprint, created_at=stored.created_at, scenario=stored.document)


@router.get("/{scenario_id}/versions", response_model=list[VersionOut], responses=_ERRORS)
def list_versions(scenario_id: str, _: Reader, repo: RepoDep) -> list[VersionOut]:
    scenario_or_404(repo, scenario_id)
    return [VersionOut(version=v.version, name=v.name, fingerprint=v.fingerprint, events=v.n_events,
                       parent_version=v.parent_version, changes=v.changes, created_at=v.created_at)
            for v in repo.list_versions(scenario_id)]


@router.get("/{scenario_id}/timetables", response_model=list[TimetableSummary], responses=_ERRORS)
def list_timetables(scenario_id: str, _: Reader, repo: RepoDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0) -> list[TimetableSummary]:
    """Every timetable of the scenario (any version), oldest first."""
    scenario_or_404(repo, scenario_id)
    numbers = {v.id: v.version for v in repo.list_versions(scenario_id)}
    return [TimetableSummary(id=t.id, scenario_version=numbers[t.scenario_version_id], status=t.status,
                             objective=t.objective, job_id=t.job_id, parent_timetable_id=t.parent_timetable_id,
                             created_at=t.created_at) for t in repo.list_timetables(scenario_id, limit, offset)]


@router.post("/{scenario_id}/solve", status_code=202, response_model=JobOut, responses={**_ERRORS, 429: {}})
def solve_scenario(scenario_id: str, key: Writer, repo: RepoDep, runner: RunnerDep, settings: SettingsDep,
                   limiter: LimiterDep, response: Response,
                   body: Annotated[SolveRequest | None, Body()] = None,
                   version: VersionQuery = None) -> JobOut:
    """Queue a solve of the scenario's latest (or given) version; poll the job or stream its events."""
    body = body or SolveRequest.model_validate({})
    limit = time_limit(settings, body.time_limit_s)
    limiter.check(key.id)
    row = scenario_or_404(repo, scenario_id)
    stored = version_or_404(repo, scenario_id, version or row.latest_version, with_document=True)
    plan = admit_by_memory(settings, repo.scenario_model(stored))  # 413 when it cannot fit even by LNS alone
    params = SolveParams(time_limit_s=limit, workers=body.workers or settings.solver_workers, seed=body.seed,
                         stall_s=body.stall_s, scenario_version=stored.version, lns_only=plan.lns_only,
                         robust=body.robust, buffer_value=body.buffer_value,
                         cascade_budget=body.cascade_budget)
    job = repo.create_job("solve", row.id, stored.id, params.stored(), key.id)
    runner.submit(job.id)
    response.headers["Location"] = f"/jobs/{job.id}"
    return job_out(repo, job)
