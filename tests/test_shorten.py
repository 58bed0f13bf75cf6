"""Shortened where allowed (issue 25 item 3): an event with a minimum duration gives way to an overrun by running
shorter, in a re-plan after a report, rather than being moved or dropped; the diff says by how much, the validator
accepts it only down to its minimum and only when the re-plan says so; a plain solve keeps the planned duration."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from solver.replan import ReplanResult, resolve
from solver.scenario import Scenario, ScenarioError
from solver.validate import validate_timetable
from tests.builders import at, by_hand, event, scenario
from tests.hunts import push_case

LATE = [{"op": "event_running_late", "event": "opening", "minutes": 15}]


def _day(talk: dict[str, Any] | None = None, **fields: Any) -> Scenario:
    """a opens (09:00-10:00), then holds an optional round table (10:00-11:00), then the closing (11:00-12:00, the
    day's end): an overrun of the opening leaves the round table no hour, only what is left before the closing."""
    return scenario(
        events=[event("opening", 60, ("a", "b"), rooms=["r1"]),
                event("talk", 60, ("a",), kind="round_table", required=False, priority=3, **(talk or {})),
                event("closing", 60, ("a", "b"), rooms=["r1"])],
        rooms=[{"id": "r1", "capacity": 10}, {"id": "r2", "capacity": 10}], **fields)


def _replan(model: Scenario, changes: list[dict[str, Any]] = LATE) -> ReplanResult:
    before = by_hand(model, {"opening": ("r1", at("09:00")), "talk": ("r2", at("10:00")),
                             "closing": ("r1", at("11:00"))}, objective=3)
    return resolve(model, before, changes, now=datetime.fromisoformat(at("09:30")), time_limit=5, workers=1)


def _valid(result: ReplanResult) -> None:
    assert result.timetable.status in ("optimal", "feasible"), result.timetable.diagnostics
    assert validate_timetable(result.scenario, result.timetable, result.waived, result.shortened) == []


def test_an_overrun_that_leaves_a_round_table_no_hour_shortens_it_to_its_minimum_rather_than_dropping_it() -> None:
    result = _replan(_day({"min_duration_minutes": 45}))
    _valid(result)
    talk = result.timetable.assignment_of("talk")
    assert talk is not None
    assert (talk.start.strftime("%H:%M"), talk.end.strftime("%H:%M")) == ("10:15", "11:00")
    assert result.shortened == ["talk"]
    assert [(s.event, s.minutes) for s in result.diff.shortened] == [("talk", 15)]
    assert result.diff.to_dict()["shortened"][0]["shortened_minutes"] == 15  # type: ignore[index]
    assert any("shortened by 15 min" in line for line in result.diff.by_participant["a"])
    assert any("1 shortened" in note for note in result.notes)
    # the validator accepts the shorter run only as a re-plan's (it names it), and never under the minimum
    assert [v.code for v in validate_timetable(result.scenario, result.timetable, result.waived)] == ["H2"]
    shorter = talk.model_copy(update={"end": talk.end - timedelta(minutes=15)})
    table = result.timetable.model_copy(update={"assignments": [shorter if a.event == "talk" else a
                                                                for a in result.timetable.assignments]})
    broken = validate_timetable(result.scenario, table, result.waived, ["talk"])
    assert [v.code for v in broken] == ["H2"] and "at least 45 minutes" in broken[0].message


def test_a_later_replan_after_another_change_keeps_the_shortened_event_as_it_stands() -> None:
    """The next re-plan (not after a report) sees the shortened round table as it was published: it stays shortened,
    at no cost, rather than growing back into the closing."""
    model = _day({"min_duration_minutes": 45})
    first = _replan(model)
    later = resolve(first.scenario, first.timetable, [{"op": "room_closed", "room": "r2", "start": at("11:00"),
                                                       "end": at("12:00")}],
                    now=datetime.fromisoformat(at("09:45")), time_limit=5, workers=1)
    _valid(later)
    talk = later.timetable.assignment_of("talk")
    assert talk is not None and (talk.start.strftime("%H:%M"), talk.end.strftime("%H:%M")) == ("10:15", "11:00")
    assert later.shortened == ["talk"] and later.diff.shortened == [] and later.disruption == 0


def test_a_shortened_event_given_its_time_back_is_said_in_the_diff() -> None:
    """A later plan gives the shortened round table its hour back: not free of words, its people are told."""
    from solver.diff import diff_text, diff_timetables

    result = _replan(_day({"min_duration_minutes": 45}))
    talk = result.timetable.assignment_of("talk")
    assert talk is not None
    longer = talk.model_copy(update={"end": talk.end + timedelta(minutes=15)})
    grown = result.timetable.model_copy(update={"assignments": [longer if a.event == "talk" else a
                                                                for a in result.timetable.assignments]})
    diff = diff_timetables(result.scenario, result.timetable, grown)
    assert [(g.event, g.minutes) for g in diff.lengthened] == [("talk", 15)] and diff.shortened == []
    assert diff.to_dict()["lengthened"][0]["lengthened_minutes"] == 15  # type: ignore[index]
    assert any("runs 15 min longer: it now ends at 11:15" in line for line in diff.by_participant["a"])
    assert diff.changed_events == 1 and "1 lengthened" in diff_text(diff, result.scenario)


def test_summit_validate_accepts_the_shortening_only_when_told(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from solver.cli import app
    from solver.scenario import dump_scenario

    result = _replan(_day({"min_duration_minutes": 45}))
    dump_scenario(result.scenario, tmp_path / "changed.yaml")
    (tmp_path / "new.json").write_text(result.timetable.model_dump_json(), encoding="utf-8")
    files = [str(tmp_path / "changed.yaml"), str(tmp_path / "new.json")]
    told = CliRunner().invoke(app, ["validate", *files, "--shortened", "talk"])
    untold = CliRunner().invoke(app, ["validate", *files])
    assert "H2: talk lasts 45 minutes" in untold.output and untold.exit_code == 1
    assert told.exit_code == 0, told.output


def test_a_kinds_allowance_in_the_settings_shortens_the_same_way() -> None:
    result = _replan(_day(shortening={"kinds": {"round_table": 15}}))
    _valid(result)
    talk = result.timetable.assignment_of("talk")
    assert talk is not None and talk.end - talk.start == timedelta(minutes=45)


def test_without_a_minimum_duration_the_round_table_is_moved_or_dropped_as_before() -> None:
    result = _replan(_day())
    _valid(result)
    assert result.shortened == [] and result.diff.shortened == []
    talk = result.timetable.assignment_of("talk")
    assert talk is None or talk.end - talk.start == timedelta(minutes=60)
    assert talk is None  # (no hour is left for it between the opening and the closing)


def test_a_change_that_is_not_a_report_never_shortens() -> None:
    result = _replan(_day({"min_duration_minutes": 45}),
                     [{"op": "participant_availability", "participant": "a",
                       "available": [{"start": at("09:00"), "end": at("10:00")},
                                     {"start": at("10:15"), "end": at("12:00")}]}])
    _valid(result)
    assert result.shortened == []


def test_a_plain_solve_keeps_the_planned_duration() -> None:
    from solver.solve import solve

    model = _day({"min_duration_minutes": 30})
    table = solve(model, time_limit=5, workers=1).timetable  # (a tiny instance: solved to optimality at once)
    assert table.assignments
    assert all(a.end - a.start == timedelta(minutes=60) for a in table.assignments)
    assert validate_timetable(model, table) == []


@pytest.mark.parametrize(("value", "words"), [
    (75, "must be at most the event's duration_minutes (60)"),
    (40, "must be a multiple of slot_minutes (15), e.g. 45"),
])
def test_a_bad_minimum_duration_is_refused_naming_the_field_value_and_what_is_allowed(value: int, words: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        _day({"min_duration_minutes": value})
    problem = caught.value.problems[0]
    assert (problem.path, problem.value) == ("events[1].min_duration_minutes", value)
    assert words in problem.message


def test_a_zero_minimum_or_an_off_grid_allowance_is_refused() -> None:
    with pytest.raises(ScenarioError) as caught:
        _day({"min_duration_minutes": 0})
    assert caught.value.problems[0].path == "events[1].min_duration_minutes"
    with pytest.raises(ScenarioError) as caught:
        _day(shortening={"kinds": {"round_table": 10}})
    problem = caught.value.problems[0]
    assert problem.path == "shortening.kinds.round_table" and "multiple of slot_minutes (15)" in problem.message


def test_a_seeded_hunt_with_minimum_durations_finds_no_broken_rule_in_the_push_forward_repair() -> None:
    """200 small summits whose events may run down to 15 or 30 minutes (tests/hunts.py, each decided by its seed
    alone; benchmarks/push_hunt.py --shorten runs more): after a report, every place the push gives, shortened ones
    included, keeps every rule the validator checks (told the shortened events); some pushes do shorten."""
    verdicts = {seed: push_case(seed, shorten=True) for seed in range(200)}
    assert {seed: detail for seed, (verdict, detail) in verdicts.items() if verdict == "BROKEN"} == {}
    assert sum(detail.startswith("shortened") for _, detail in verdicts.values()) >= 10


def test_a_shortened_event_grown_back_is_priced_like_a_shortening() -> None:
    """A later re-plan may give the shortened round table its time back, but not for free: each slot it grows back
    costs what a slot cut costs (its people's day changes as much), in the searches' prices and in the disruption
    the planner reads; the round table that stays as short as it stands costs nothing, and an event reported running
    late is longer by the fact, at no price."""
    from solver.changes import parse_changes
    from solver.replan.budget import ReplanConfig
    from solver.replan.context import prepare
    from solver.replan.plan import DisruptionWeights, measure_disruption

    first = _replan(_day({"min_duration_minutes": 45}))
    cancel = parse_changes([{"op": "event_cancelled", "event": "closing"}])
    ctx = prepare(first.scenario, first.timetable, cancel, datetime.fromisoformat(at("09:45")),
                  ReplanConfig(workers=1), None)
    instance, plan = ctx.instance, ctx.plan
    items = instance.event_items[instance.event_index["talk"]]
    start = instance.grid.slot_of(first.scenario.localise(datetime.fromisoformat(at("10:15"))))
    pool = instance.room_pool[plan.old_room[instance.event_index["talk"]]]
    here = items[(instance.item_start[items] == start) & (instance.item_pool[items] == pool)]
    prices = {int(instance.item_cut[i]): int(plan.item_cost[i]) for i in here}
    assert prices == {0: 3, 1: 0} and plan.regrowable == {"talk"}
    assert "opening" not in plan.regrowable  # (reported running late: longer by the fact)
    talk = first.timetable.assignment_of("talk")
    assert talk is not None
    longer = talk.model_copy(update={"end": talk.end + timedelta(minutes=15)})
    grown = first.timetable.model_copy(update={"assignments": [longer if a.event == "talk" else a
                                                               for a in first.timetable.assignments]})
    assert measure_disruption(ctx.changed, first.timetable, grown, DisruptionWeights(), plan.regrowable) == 3
    assert measure_disruption(ctx.changed, first.timetable, grown, DisruptionWeights()) == 0
