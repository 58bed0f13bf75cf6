"""Comparisons through the service: POST /comparisons as a job, then the KPI table, the CSV and the charts."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
from PIL import Image

from tests.api.conftest import COMPARISON_VARIANTS, Server


def test_comparison_job_reports_kpis_per_variant(planner: httpx.Client, compared: dict[str, Any]) -> None:
    job, data = compared["job"], compared["comparison"]
    assert job["kind"] == "compare" and job["status"] == "done"
    assert [v["name"] for v in data["variants"]] == ["base", "guest house closed"]
    base, closed = data["variants"]
    for variant in data["variants"]:
        assert variant["status"] == "optimal" and variant["violations"] == []
        assert variant["kpis"]["bilaterals"]["requested"] == 2
        assert variant["kpis"]["robustness"]["expected_moved"] >= 0  # the replay of a usual day of overruns
    # closing the guest house salon takes a room away: never more bilaterals than the base
    assert closed["kpis"]["bilaterals"]["granted"] <= base["kpis"]["bilaterals"]["granted"]
    assert closed["changes"][0]["op"] == "room_closed" and closed["changes"][0]["room"] == "bil-h"
    assert compared["charts"] == ["kpis", "fairness", "occupancy-base", "occupancy-guest-house-closed"]
    assert len(job["progress"]) == 2  # one point per finished solve, named by its variant
    assert sorted(point["label"] for point in job["progress"]) == ["base (seed 0)", "guest house closed (seed 0)"]

    table = planner.get(f"/comparisons/{job['id']}", params={"format": "csv"})
    assert table.status_code == 200 and table.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert [r["variant"] for r in rows] == ["base", "guest house closed"]
    markdown = planner.get(f"/comparisons/{job['id']}", params={"format": "md"})
    assert "| guest house closed |" in markdown.text

    for chart in compared["charts"]:
        png = planner.get(f"/comparisons/{job['id']}/charts/{chart}.png")
        assert png.status_code == 200 and png.headers["content-type"] == "image/png"
        with Image.open(io.BytesIO(png.content)) as image:
            image.load()
            assert image.size[0] >= 1000


def test_bad_variants_are_refused_with_their_paths(planner: httpx.Client, solved: dict[str, str]) -> None:
    before = planner.get(f"/scenarios/{solved['scenario']}/versions").json()
    response = planner.post("/comparisons", json={"scenario_id": solved["scenario"], "time_limit_s": 1, "variants": [
        {"name": "ghost room", "changes": [{"op": "room_closed", "room": "ghost", "start": "2025-10-25T09:00",
                                           "end": "2025-10-25T10:00"}]},
        {"name": "bad op", "changes": [{"op": "teleport"}]}]})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_changes"
    assert [d["path"] for d in body["details"]] == ["variants[0].changes[0].room", "variants[1].changes[0]"]
    assert body["details"][0]["value"] == "ghost" and "unknown room" in body["details"][0]["message"]
    assert planner.get(f"/scenarios/{solved['scenario']}/versions").json() == before

    missing = planner.post("/comparisons", json={"scenario_id": "nope", "variants": COMPARISON_VARIANTS})
    assert missing.status_code == 404
    empty = planner.post("/comparisons", json={"scenario_id": solved["scenario"], "variants": []})
    assert empty.status_code == 422 and empty.json()["details"][0]["path"] == "body.variants"
    many = planner.post("/comparisons", json={"scenario_id": solved["scenario"], "seeds": 5,
                                              "variants": [{"name": f"v{i}"} for i in range(15)]})
    assert many.status_code == 422 and "at most 60" in many.json()["details"][0]["message"]


def test_unknown_comparisons_and_charts_are_404(planner: httpx.Client, solved: dict[str, str],
                                               compared: dict[str, Any]) -> None:
    assert planner.get(f"/comparisons/{solved['job']}").status_code == 404  # a solve job is not a comparison
    unknown = planner.get(f"/comparisons/{compared['job']['id']}/charts/pie.png")
    assert unknown.status_code == 404 and "kpis" in unknown.json()["details"][0]["message"]


def test_past_comparisons_are_listed_newest_first(server: Server, keys: dict[str, str], planner: httpx.Client,
                                                  compared: dict[str, Any]) -> None:
    listing = planner.get("/comparisons")
    assert listing.status_code == 200, listing.text
    past = listing.json()
    ours = next(c for c in past if c["id"] == compared["job"]["id"])
    assert ours["status"] == "done" and ours["variants"] == ["guest house closed"]
    assert ours["scenario_id"] == compared["job"]["scenario_id"] and ours["scenario_name"]
    assert ours["time_limit_s"] == 2 and ours["seeds"] == 1
    assert [c["created_at"] for c in past] == sorted((c["created_at"] for c in past), reverse=True)
    assert len(planner.get("/comparisons", params={"limit": 1}).json()) == 1
    with server.client(keys["liaison"]) as liaison:
        assert liaison.get("/comparisons").status_code == 403
