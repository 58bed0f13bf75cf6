"""Comparisons: variants from a comparison file, and a Hanoi comparison run end to end."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml
from PIL import Image
from typer.testing import CliRunner

from solver.cli import app
from solver.compare import load_comparison
from solver.scenario import ScenarioError, dump_scenario
from solver.timetable import load_timetable
from solver.validate import validate_timetable
from tests.builders import event
from tests.builders import scenario as summit

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
HANOI = SCENARIOS / "hanoi-2025.yaml"
BIL_ROOM = {"id": "bil-15", "name": "Bilateral Room 15", "zone": "ncc", "capacity": 12, "features": ["flags"],
            "security_level": 2, "type": "bilateral"}


def _write(tmp_path: Path, variants: list[dict[str, object]]) -> Path:
    path = tmp_path / "comparison.yaml"
    path.write_text(yaml.safe_dump({"base": str(HANOI), "variants": variants}))
    return path


def test_the_example_comparison_applies_every_variant() -> None:
    variants = load_comparison(SCENARIOS / "comparisons" / "hanoi-alternatives.yaml")
    assert [v.name for v in variants][:2] == ["base", "four more bilateral rooms"]
    base = variants[0].scenario
    by_name = {v.name: v.scenario for v in variants}
    assert len(by_name["four more bilateral rooms"].rooms) == len(base.rooms) + 4
    assert len(by_name["a third day"].days) == len(base.days) + 1
    interp = {r.id: r.capacity for r in by_name["two more interpretation teams"].resources}
    assert interp["interp-fr"] == 5 and interp["interp-es"] == 5
    assert len(base.rooms) == 27  # the base itself is untouched


def test_bad_variants_are_reported_with_their_paths(tmp_path: Path) -> None:
    path = _write(tmp_path, [
        {"name": "closed", "changes": [{"op": "room_closed", "room": "nope", "start": "2025-10-25T09:00",
                                        "end": "2025-10-25T10:00"}]},
        {"name": "closed"},
        {"name": "typo", "changes": [{"op": "room_shut"}]},
    ])
    with pytest.raises(ScenarioError) as caught:
        load_comparison(path)
    paths = [p.path for p in caught.value.problems]
    assert paths == ["variants[0].changes[0].room", "variants[1].name", "variants[2].changes[0]"]
    assert "unknown room" in caught.value.problems[0].message
    (tmp_path / "extra.yaml").write_text(yaml.safe_dump({"base": str(HANOI), "variant": []}))
    with pytest.raises(ScenarioError, match=r"variant: unknown field; allowed: base, variants"):
        load_comparison(tmp_path / "extra.yaml")


def test_cli_reports_a_bad_comparison_without_solving(tmp_path: Path) -> None:
    path = _write(tmp_path, [{"name": "x", "changes": [{"op": "resource_capacity", "resource": "nope",
                                                        "capacity": 3}]}])
    result = CliRunner().invoke(app, ["compare", str(path), "-o", str(tmp_path / "out"), "-t", "1"])
    assert result.exit_code == 2
    assert "variants[0].changes[0].resource" in result.output and not (tmp_path / "out").exists()


def test_hanoi_comparison_runs_end_to_end(tmp_path: Path) -> None:
    path = _write(tmp_path, [
        {"name": "one more bilateral room", "changes": [{"op": "room_added", "room": BIL_ROOM}]},
        {"name": "a third day", "changes": [{"op": "day_added",
                                             "day": {"date": "2025-10-27", "start": "08:00", "end": "18:00"}}]},
    ])
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["compare", str(path), "-o", str(out), "-t", "3", "--parallel", "2",
                                      "--workers", "1"])
    assert result.exit_code == 0, result.output

    data = json.loads((out / "comparison.json").read_text())
    names = [v["name"] for v in data["variants"]]
    assert names == ["base", "one more bilateral room", "a third day"]
    variants = {v["name"]: v for v in data["variants"]}
    for variant in data["variants"]:
        assert variant["status"] in ("optimal", "feasible") and variant["violations"] == []
        kpis = variant["kpis"]
        assert kpis["bilaterals"]["requested"] == 270
        assert 0 < kpis["bilaterals"]["share"] <= 1
        assert set(kpis["room_utilisation"]) >= {"plenary", "bilateral", "round_table"}
    # (that a day added never schedules less is checked on a summit solved to its optimum: below; here, three
    # seconds of search on each variant under any load make no such promise)
    assert variants["one more bilateral room"]["kpis"]["room_utilisation"]["bilateral"] > 0

    # the timetables behind the numbers are written and valid
    for variant, scenario in zip(data["variants"], load_comparison(path), strict=True):
        slug = variant["name"].replace(" ", "-")
        timetable = load_timetable(out / "timetables" / f"{slug}.json")
        assert validate_timetable(scenario.scenario, timetable) == []
        assert timetable.objective == variant["objective"]

    rows = list(csv.DictReader((out / "comparison.csv").open()))
    assert [r["variant"] for r in rows] == names
    assert rows[0]["bilaterals_requested"] == "270"
    markdown = (out / "comparison.md").read_text()
    assert all(f"| {name} |" in markdown for name in names)

    expected = {"kpis.png": (1200, 800), "fairness.png": (1000, 500)}
    for name, size in expected.items():
        with Image.open(out / name) as image:
            image.load()  # decodes the whole file
            assert image.size == size
    for slug in ("base", "one-more-bilateral-room", "a-third-day"):
        with Image.open(out / f"occupancy-{slug}.png") as image:
            image.load()
            width, height = image.size
            assert height > 500 and width >= 1200  # 27+ rooms down, a panel per day across
    with Image.open(out / "occupancy-a-third-day.png") as three, Image.open(out / "occupancy-base.png") as two:
        assert three.size[0] > two.size[0]


def test_a_day_added_schedules_at_least_what_the_base_does(tmp_path: Path) -> None:
    """A leader with five half-hour meetings in a one-hour day: the base places the two most valuable, a second day
    places more. Both are solved to their optimum (a summit this small is proven in milliseconds),
    so the comparison's verdict is the same under any load."""
    base = summit(days=[{"date": "2025-10-25", "start": "09:00", "end": "10:00"}],
                  rooms=[{"id": f"r{k}", "capacity": 10} for k in range(5)],
                  participants=[{"id": "lead"}] + [{"id": f"guest{k}"} for k in range(5)],
                  events=[event(f"meet{k}", people=("lead", f"guest{k}"), kind="bilateral", priority=k + 1)
                          for k in range(5)])
    dump_scenario(base, tmp_path / "busy.yaml")
    path = tmp_path / "comparison.yaml"
    path.write_text(yaml.safe_dump({"base": str(tmp_path / "busy.yaml"), "variants": [
        {"name": "a second day", "changes": [{"op": "day_added",
                                              "day": {"date": "2025-10-26", "start": "09:00", "end": "10:00"}}]}]}))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["compare", str(path), "-o", str(out), "-t", "30", "--workers", "1"])
    assert result.exit_code == 0, result.output
    variants = {v["name"]: v for v in json.loads((out / "comparison.json").read_text())["variants"]}
    assert [v["status"] for v in variants.values()] == ["optimal", "optimal"]
    # the two most valuable meetings (5 + 4) in the base; four of the five (14) over two days
    assert variants["base"]["objective"] == 9 and variants["a second day"]["objective"] == 14
    assert variants["base"]["kpis"]["bilaterals"]["granted"] == 2
    assert variants["a second day"]["kpis"]["bilaterals"]["granted"] == 4
