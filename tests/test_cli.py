"""The summit command line, run in-process with Typer's runner on real files."""

from __future__ import annotations

import io
import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from solver.cli import app
from solver.scenario import load_scenario
from solver.timetable import load_timetable
from solver.validate import validate_timetable

TINY = "scenarios/examples/tiny.yaml"
runner = CliRunner()


def test_check_reports_a_valid_scenario() -> None:
    result = runner.invoke(app, ["check", TINY])
    assert result.exit_code == 0, result.output
    assert "scenario is valid" in result.output


def test_check_lists_every_problem_with_its_path(tmp_path: Path) -> None:
    bad = yaml.safe_load(Path(TINY).read_text())
    bad["events"][1]["participants"][1] = "nobody"
    bad["rooms"][0]["capacity"] = 0
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 2
    assert "events[1].participants[1]: unknown participant id in event " in result.output
    assert "(got 'nobody')" in result.output
    assert "rooms[0].capacity" in result.output


def test_solve_writes_a_valid_timetable(tmp_path: Path) -> None:
    out = tmp_path / "timetable.json"
    result = runner.invoke(app, ["solve", TINY, "--time-limit", "5", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "status optimal" in result.output
    timetable = load_timetable(out)
    assert validate_timetable(load_scenario(TINY), timetable) == []
    csv_run = runner.invoke(app, ["solve", TINY, "--time-limit", "5", "--format", "csv"])
    assert csv_run.stdout.splitlines()[0] == "event,title,room,start,end,participants"
    json_run = runner.invoke(app, ["solve", TINY, "--time-limit", "5", "--format", "json"])
    assert json.loads(json_run.stdout)["status"] == "optimal"


def test_validate_flags_a_broken_timetable(tmp_path: Path) -> None:
    out = tmp_path / "timetable.json"
    runner.invoke(app, ["solve", TINY, "--time-limit", "5", "-o", str(out)])
    assert runner.invoke(app, ["validate", TINY, str(out)]).exit_code == 0
    data = json.loads(out.read_text())
    data["assignments"] = [a for a in data["assignments"] if a["event"] != "opening"]
    out.write_text(json.dumps(data))
    result = runner.invoke(app, ["validate", TINY, str(out)])
    assert result.exit_code == 1
    assert "H1" in result.output and "opening" in result.output


def test_resolve_diff_and_explain(tmp_path: Path) -> None:
    old = tmp_path / "old.json"
    runner.invoke(app, ["solve", TINY, "--time-limit", "5", "-o", str(old)])
    moved_room = load_timetable(old).assignment_of("bil-vnm-fra")
    assert moved_room is not None
    changes = tmp_path / "changes.yaml"
    changes.write_text(yaml.safe_dump([{"op": "room_closed", "room": moved_room.room,
                                        "start": moved_room.start.isoformat(), "end": moved_room.end.isoformat()}]))
    new, changed = tmp_path / "new.json", tmp_path / "changed.yaml"
    result = runner.invoke(app, ["resolve", TINY, "--timetable", str(old), "--changes", str(changes), "-o", str(new),
                                 "--scenario-out", str(changed)])
    assert result.exit_code == 0, result.output
    assert "disruption" in result.output and "bil-vnm-fra" in result.output
    assert validate_timetable(load_scenario(changed), load_timetable(new)) == []
    shown = runner.invoke(app, ["diff", str(old), str(new), "--scenario", str(changed)])
    assert shown.exit_code == 0 and "bil-vnm-fra" in shown.output
    assert "(times in Asia/Ho_Chi_Minh, 24-hour)" in shown.output
    as_json = runner.invoke(app, ["diff", str(old), str(new), "--json"])
    assert json.loads(as_json.stdout)["unchanged"] >= 1
    bare = runner.invoke(app, ["diff", str(old), str(new)])
    assert bare.exit_code == 0 and "(times in Etc/GMT-7, 24-hour)" in bare.output  # the timetables' +07:00
    # A timetable of another summit is refused, as the API's different_scenarios.
    other = tmp_path / "other.json"
    document = json.loads(new.read_text())
    document["scenario"]["name"] = "Another summit"
    other.write_text(json.dumps(document))
    refused = runner.invoke(app, ["diff", str(old), str(other)])
    assert refused.exit_code == 2 and "different scenarios" in refused.output
    explained = runner.invoke(app, ["explain", TINY])
    assert explained.exit_code == 0 and "feasible" in explained.output


def test_resolve_rejects_a_bad_change(tmp_path: Path) -> None:
    old = tmp_path / "old.json"
    runner.invoke(app, ["solve", TINY, "--time-limit", "5", "-o", str(old)])
    changes = tmp_path / "changes.yaml"
    changes.write_text(yaml.safe_dump([{"op": "room_closed", "room": "atlantis", "start": "2025-10-25T10:00",
                                        "end": "2025-10-25T11:00"}]))
    result = runner.invoke(app, ["resolve", TINY, "--timetable", str(old), "--changes", str(changes),
                                 "-o", str(tmp_path / "new.json")])
    assert result.exit_code == 2
    assert "changes[0].room" in result.output and "atlantis" in result.output


def test_explain_exits_1_on_an_infeasible_scenario(tmp_path: Path) -> None:
    """Like `check`: a scenario that cannot be done exits 1, with the conflict named."""
    document = yaml.safe_load(Path(TINY).read_text(encoding="utf-8"))
    document["participants"][2]["available"] = [{"start": "2025-10-25T10:00", "end": "2025-10-25T10:30"}]
    for bilateral in document["events"][1:]:
        bilateral["required"] = True
    path = tmp_path / "infeasible.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    explained = runner.invoke(app, ["explain", str(path), "-t", "10"])
    assert explained.exit_code == 1, explained.output
    assert "fra-hod" in explained.output


def test_the_progress_line_ticks_between_incumbents() -> None:
    """The line moves on its own (elapsed time, the last incumbent and bound) while no new timetable comes."""
    import threading
    from types import SimpleNamespace

    from rich.console import Console
    from rich.live import Live

    from solver.cli import _Ticker

    shown: list[str] = []
    ticked = threading.Event()

    class Recording(Live):
        def update(self, renderable: object, *, refresh: bool = False) -> None:
            shown.append(str(renderable))
            if len(shown) >= 3:
                ticked.set()

    live = Recording(console=Console(file=io.StringIO()), auto_refresh=False)
    latest = [SimpleNamespace(seconds=0.5, objective=40, bound=50)]
    with _Ticker(live, latest, every=0.01):
        assert ticked.wait(30)
    assert all("incumbent 40  bound 50  gap 20.0%" in line for line in shown)


def test_resolve_that_cannot_be_done_keeps_the_plan_and_names_the_change(tmp_path: Path) -> None:
    # A three-person signing that must end by 10:30; b now lands at 10:00: infeasible, proven at once. The command
    # says why (the change, the limit, the levers), cancels nothing and exits 1.
    scenario = {"name": "signing", "timezone": "Asia/Ho_Chi_Minh", "slot_minutes": 15,
                "days": [{"date": "2025-10-25", "start": "09:00", "end": "12:00"}],
                "rooms": [{"id": "r1", "capacity": 10}, {"id": "r2", "capacity": 10}],
                "participants": [{"id": p, "delegation": p.upper() * 3} for p in "abc"],
                "events": [{"id": "signing", "title": "Signing", "duration_minutes": 60,
                            "participants": ["a", "b", "c"], "required": True, "latest_end": "2025-10-25T10:30"},
                           {"id": "talk", "title": "Talk", "duration_minutes": 30, "participants": ["a", "c"],
                            "priority": 2}]}
    source = tmp_path / "signing.yaml"
    source.write_text(yaml.safe_dump(scenario))
    before = tmp_path / "before.json"
    assert runner.invoke(app, ["solve", str(source), "--time-limit", "5", "-o", str(before)]).exit_code == 0
    changes = tmp_path / "changes.yaml"
    changes.write_text(yaml.safe_dump([{"op": "participant_delayed", "participant": "b",
                                        "arrival": "2025-10-25T10:00"}]))
    result = runner.invoke(app, ["resolve", str(source), "--timetable", str(before), "--changes", str(changes),
                                 "-o", str(tmp_path / "after.json"), "--time-limit", "5"])
    assert result.exit_code == 1
    assert "0 dropped" in result.output and "cancelled" not in result.output
    assert "b arrives at 10:00 on 25 Oct (change 1)" in " ".join(result.output.split())
    assert "b leaves signing" in " ".join(result.output.split())


# ---------------------------------------------------------------- honest status lines, errors that point (#28)


def test_an_unknown_id_names_the_event_the_line_and_the_nearest_ids(tmp_path: Path) -> None:
    text = Path("scenarios/hanoi-2025.yaml").read_text()
    first_use = text.index("- brn-hod", text.index("\nevents:"))
    broken = text[:first_use] + "- brn-hdo" + text[first_use + len("- brn-hod"):]
    path = tmp_path / "typo.yaml"
    path.write_text(broken)
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 2
    line = broken[:first_use].count("\n") + 1
    output = " ".join(result.output.split())
    assert f"line {line}: events[" in output, output
    assert "did you mean 'brn-hod'" in output and "(got 'brn-hdo')" in output
    event_id = next(e.id for e in load_scenario("scenarios/hanoi-2025.yaml").events
                    if "brn-hod" in e.participants)
    assert f"in event {event_id};" in output


def test_validate_refuses_a_timetable_of_another_scenario(tmp_path: Path) -> None:
    out = tmp_path / "timetable.json"
    assert runner.invoke(app, ["solve", TINY, "--time-limit", "5", "-o", str(out)]).exit_code == 0
    result = runner.invoke(app, ["validate", "scenarios/hanoi-2025.yaml", str(out)])
    assert result.exit_code == 2
    assert "another scenario" in result.output and result.output.count("\n") < 6


def test_solve_says_optimal_and_writes_one_progress_line_per_tick_to_a_pipe() -> None:
    result = runner.invoke(app, ["solve", TINY, "--time-limit", "5"])
    assert result.exit_code == 0, result.output
    assert "optimal: the bound proves no better timetable exists (gap 0)" in " ".join(result.output.split())
    assert "stall" not in result.output
    progress = [line for line in result.output.splitlines() if "incumbent" in line or "searching" in line]
    assert progress and all(line.startswith("  ") and "Tiny" not in line for line in progress), progress


def test_resolve_refuses_a_mistyped_now_and_a_now_outside_the_summit(tmp_path: Path) -> None:
    old, changes = tmp_path / "old.json", tmp_path / "changes.yaml"
    runner.invoke(app, ["solve", TINY, "--time-limit", "5", "-o", str(old)])
    changes.write_text(yaml.safe_dump([{"op": "event_cancelled", "event": "bil-un-fra"}]))
    base = ["resolve", TINY, "--timetable", str(old), "--changes", str(changes), "-o", str(tmp_path / "new.json")]
    typo = runner.invoke(app, [*base, "--now", "25/10 10h"])
    assert typo.exit_code == 2
    assert "--now: '25/10 10h' is not a date and time; use YYYY-MM-DDTHH:MM" in " ".join(typo.output.split())
    outside = runner.invoke(app, [*base, "--now", "2025-11-02T10:00"])
    assert outside.exit_code == 2
    assert "outside the summit's days" in outside.output and "problem" not in outside.output


def test_diff_without_the_scenario_reads_times_in_the_timetables_own_offset(tmp_path: Path) -> None:
    old = tmp_path / "old.json"
    runner.invoke(app, ["solve", TINY, "--time-limit", "5", "-o", str(old)])
    shown = runner.invoke(app, ["diff", str(old), str(old)])
    assert shown.exit_code == 0
    assert "times in Etc/GMT-7" in shown.output  # Hanoi's +07:00, not UTC


def test_the_summary_groups_unscheduled_requests_by_cause() -> None:
    from solver.cli import unscheduled_by_cause
    from solver.timetable import ScenarioRef, Timetable, Unscheduled

    limit = ("not selected: at every possible time President (vnm-president) has reached the limit of 12 events a "
             "day on 25 Oct (bil-0002 08:00, opening 09:00 and 6 more) and on 26 Oct (bil-0034 0{}:00 and 6 more)")
    timetable = Timetable(scenario=ScenarioRef(name="x", fingerprint="y"), status="feasible", unscheduled=[
        Unscheduled(event=f"bil-{n}", reason=limit.format(n)) for n in range(3)
    ] + [Unscheduled(event="rt-1", reason="not selected: the suitable rooms have no time left")])
    groups = unscheduled_by_cause(timetable)
    assert [len(items) for _, items in groups] == [3, 1]
    assert groups[0][0] == ("not selected: at every possible time President (vnm-president) has reached the limit "
                            "of 12 events a day")


def test_solve_takes_a_cascade_budget_keeps_within_it_and_refuses_one_above_1(tmp_path: Path) -> None:
    out = tmp_path / "timetable.json"
    result = runner.invoke(app, ["solve", TINY, "--time-limit", "5", "--robust", "--cascade-budget", "0.5", "-o",
                                 str(out)])
    assert result.exit_code == 0, result.output
    table = load_timetable(out)
    assert validate_timetable(load_scenario(TINY), table) == []
    assert table.bound is not None and table.objective >= table.bound * 0.5
    refused = runner.invoke(app, ["solve", TINY, "--robust", "--cascade-budget", "2"])
    words = " ".join(refused.output.replace("│", " ").split())
    assert refused.exit_code == 2 and "'--cascade-budget'" in words and "less than or equal to 1" in words


def test_solve_takes_a_buffer_value_and_refuses_a_negative_one(tmp_path: Path) -> None:
    out = tmp_path / "timetable.json"
    result = runner.invoke(app, ["solve", TINY, "--time-limit", "5", "--robust", "--buffer-value", "1000", "-o",
                                 str(out)])
    assert result.exit_code == 0, result.output  # requests traded for buffers: every rule kept
    assert validate_timetable(load_scenario(TINY), load_timetable(out)) == []
    refused = runner.invoke(app, ["solve", TINY, "--robust", "--buffer-value", "-1"])
    words = " ".join(refused.output.replace("│", " ").split())
    assert refused.exit_code == 2 and "'--buffer-value'" in words and "greater than or equal to 0" in words
