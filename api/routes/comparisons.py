"""Comparisons: a stored scenario and its variants solved the same way, as a job; then the KPI table
(JSON, CSV or Markdown) and the charts. The solving, the KPIs and the charts are ``solver``'s."""

from __future__ import annotations

import threading
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from api.deps import LimiterDep, Reader, RepoDep, RunnerDep, SettingsDep, Writer
from api.errors import ApiError, check_changes, not_found
from api.jobs.params import CompareParams
from api.lookups import admit_by_memory, job_or_404, job_out, scenario_or_404, time_limit, version_or_404
from api.schemas import ComparisonOut, ComparisonRequest, ComparisonSummary, ErrorOut, JobOut
from api.store.models import Job
from api.store.repository import FINISHED, Repository
from solver.compare import Variant, VariantSpec, build_variants

router = APIRouter(prefix="/comparisons", tags=["comparisons"])

_ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorOut} for code in (401, 403, 404, 409, 422)}
MAX_SOLVES = 60  # variants x seeds in one comparison
MAX_CACHED_CHARTS = 64
_charts: dict[tuple[str, str], bytes] = {}  # finished comparisons never change: render each chart once
_render_lock = threading.Lock()  # matplotlib's pyplot is not thread-safe


def _comparison_job(repo: Repository, job_id: str) -> Job:
    job = job_or_404(repo, job_id)
    if job.kind != "compare":
        raise not_found("comparison", job_id)
    return job


def _finished(job: Job) -> dict[str, Any] | None:
    """The comparison's data once its job has finished with one (a failed job has none)."""
    return job.result if job.status in FINISHED and job.result and job.result.get("variants") else None


@router.post("", status_code=202, response_model=JobOut, responses={**_ERRORS, 429: {}})
def create_comparison(body: ComparisonRequest, key: Writer, repo: RepoDep, runner: RunnerDep,
                      settings: SettingsDep, limiter: LimiterDep, response: Response) -> JobOut:
    """Queue a comparison: the base scenario and every variant, each solved ``seeds`` times for
    ``time_limit_s``. Every variant's changes are checked now; a bad one answers 422 with its path."""
    limit = time_limit(settings, body.time_limit_s)
    solves = (len(body.variants) + 1) * body.seeds
    if solves > MAX_SOLVES:
        raise ApiError(422, "validation_error", "too many solves",
                       [{"path": "variants", "value": solves,
                         "message": f"(variants + 1) x seeds must be at most {MAX_SOLVES}"}])
    limiter.check(key.id)
    row = scenario_or_404(repo, body.scenario_id)
    stored = version_or_404(repo, row.id, body.version or row.latest_version, with_document=True)
    base = repo.scenario_model(stored)
    variants = [v.model_dump() for v in body.variants]
    built: list[Variant] = []
    check_changes(lambda: built.extend(build_variants(base, [VariantSpec.model_validate(v) for v in variants])),
                  "variants")
    for variant in built:  # 413 if one cannot fit even by LNS alone; each solve picks its way (memory_mb)
        admit_by_memory(settings, variant.scenario)
    params = CompareParams(variants=variants, time_limit_s=limit, seeds=body.seeds,
                           workers=body.workers or settings.solver_workers, scenario_version=stored.version,
                           memory_mb=settings.job_memory_mb or None)
    job = repo.create_job("compare", row.id, stored.id, params.stored(), key.id)
    runner.submit(job.id)
    response.headers["Location"] = f"/comparisons/{job.id}"
    return job_out(repo, job)


@router.get("", response_model=list[ComparisonSummary], responses=_ERRORS)
def list_comparisons(_: Reader, repo: RepoDep,
                     limit: Annotated[int, Query(ge=1, le=200, description="at most this many, newest first")] = 50,
                     ) -> list[ComparisonSummary]:
    """Past comparisons, the newest first: the scenario, the variants' names, the time limit and the job's state
    (open one with ``GET /comparisons/{id}``)."""
    names = {row.id: row.name for row in repo.list_scenarios(limit=1000)}
    out = []
    for job in repo.list_jobs("compare", limit):
        params = job.params or {}
        out.append(ComparisonSummary(
            id=job.id, status=job.status, scenario_id=job.scenario_id,  # type: ignore[arg-type]
            scenario_name=names.get(job.scenario_id, job.scenario_id),
            scenario_version=params.get("scenario_version"),
            variants=[str(v.get("name", "?")) for v in params.get("variants") or [] if isinstance(v, dict)],
            time_limit_s=params.get("time_limit_s"), seeds=int(params.get("seeds") or 1),
            created_at=job.created_at, finished_at=job.finished_at))
    return out


@router.get("/{job_id}", response_model=ComparisonOut, responses={
    **_ERRORS, 200: {"content": {"application/json": {}, "text/csv": {"schema": {"type": "string"}},
                                 "text/markdown": {"schema": {"type": "string"}}}}})
def get_comparison(job_id: str, _: Reader, repo: RepoDep,
                   format: Annotated[Literal["json", "csv", "md"], Query(description="json (default), csv or md")]
                   = "json") -> Any:
    """The job and, once it has finished, the KPIs of every variant (``?format=csv|md`` for the tables)."""
    from solver.charts import chart_names
    from solver.report import to_csv, to_markdown

    job = _comparison_job(repo, job_id)
    data = _finished(job)
    if format != "json":
        if data is None:
            raise ApiError(409, "not_finished", f"comparison {job_id!r} is {job.status}: no table yet")
        if format == "csv":
            return Response(to_csv(data), media_type="text/csv; charset=utf-8")
        return Response(to_markdown(data), media_type="text/markdown; charset=utf-8")
    return ComparisonOut(job=job_out(repo, job), comparison=data, charts=chart_names(data) if data else [])


@router.get("/{job_id}/charts/{chart}.png", responses={**_ERRORS, 200: {"content": {"image/png": {}}}},
            response_class=Response)
def get_chart(job_id: str, chart: str, _: Reader, repo: RepoDep) -> Response:
    """A chart of a finished comparison: ``kpis``, ``fairness`` or ``occupancy-<variant>``."""
    from solver.charts import chart_names, render

    job = _comparison_job(repo, job_id)
    data = _finished(job)
    if data is None:
        raise ApiError(409, "not_finished", f"comparison {job_id!r} is {job.status}: no chart yet")
    if chart not in chart_names(data):
        raise ApiError(404, "not_found", f"comparison {job_id!r} has no chart {chart!r}",
                       [{"path": "chart", "value": chart, "message": f"one of: {', '.join(chart_names(data))}"}])
    png = _charts.get((job_id, chart))
    if png is None:
        with _render_lock:
            png = _charts[job_id, chart] = render(data, chart)
            while len(_charts) > MAX_CACHED_CHARTS:  # the oldest go first
                _charts.pop(next(iter(_charts)))
    return Response(png, media_type="image/png",
                    headers={"Cache-Control": "private, max-age=3600"})
