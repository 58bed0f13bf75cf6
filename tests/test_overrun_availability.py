"""A running event that overruns past the end of its people's availability is a fact: it keeps its place, their
availability waived for its run only (never "infeasible" because a delegate's day ends), said in the proposal with
whom it keeps and whom to tell; the validator passes it only when told; nothing else gets the waiver; and every
explanation of such a re-plan compiles with the same waivers, so it never names the waived availability."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from solver.changes import apply_changes, parse_changes
from solver.compile import Waivers, compile_scenario
from solver.explain import explain_scenario
from solver.replan import ReplanResult, resolve
from solver.scenario import Scenario
from solver.timetable import Assignment, ScenarioRef, Timetable
from solver.validate import validate_timetable
from tests.builders import at, by_hand, event, scenario
from tests.hunts import overrun_case

LATE = {"op": "event_running_late", "event": "talk", "minutes": 15}


def _day(*extra: dict[str, Any]) -> Scenario:
    """talk (a, b) at 09:30 in r1, where a leaves at 10:00; side (b, optional) at 10:30 in r1; c here until 11:00, d
    all day."""
    return scenario(
        rooms=[{"id": "r1", "capacity": 10}, {"id": "r2", "capacity": 10}],
        participants=[{"id": "a", "delegation": "AAA", "available": [{"start": at("09:00"), "end": at("10:00")}]},
                      {"id": "b", "delegation": "BBB"},
                      {"id": "c", "delegation": "CCC", "available": [{"start": at("09:00"), "end": at("11:00")}]},
                      {"id": "d", "delegation": "DDD"}],
        events=[event("talk", 30, ("a", "b"), rooms=["r1"]),
                event("side", 30, ("b",), rooms=["r1"], required=False, priority=2), *extra])


def _standing(model: Scenario, **more: tuple[str, str]) -> Timetable:
    return by_hand(model, {"talk": ("r1", at("09:30")), "side": ("r1", at("10:30")), **more}, objective=2)


def _replan(model: Scenario, changes: list[dict[str, Any]], now: str = "09:50", **more: tuple[str, str]
            ) -> ReplanResult:
    return resolve(model, _standing(model, **more), changes, now=datetime.fromisoformat(at(now)), freeze_minutes=0,
                   time_limit=10, workers=1)


def _checked(result: ReplanResult, **told: Any) -> list[str]:
    """The codes the validator finds in the result's timetable, told what the result waived but ``told``."""
    excused = {"waived_windows": result.waived, "shortened": result.shortened, "given_up": result.given_up,
               "overlaps_waived": result.overlaps_waived, "availability_waived": result.availability_waived, **told}
    return [v.code for v in validate_timetable(result.scenario, result.timetable, **excused)]


def test_a_running_event_that_overruns_past_its_peoples_availability_keeps_its_place_and_says_whom_to_tell() -> None:
    """talk runs 15 minutes late, until 10:15, and a leaves at 10:00: the proposal keeps talk where it runs (a report
    is a fact), waives a's availability for it, says so and whom to tell; side gives way. Before, this was answered
    "infeasible": talk "pinned at 09:30 when a and b are not all available"."""
    result = _replan(_day(), [LATE])
    assert result.timetable.status == "feasible", result.timetable.diagnostics
    placed = {a.event: a for a in result.timetable.assignments}
    assert (placed["talk"].start.strftime("%H:%M"), placed["talk"].end.strftime("%H:%M")) == ("09:30", "10:15")
    assert placed["side"].start >= placed["talk"].end  # the plan around it gives way
    assert result.availability_waived == ["talk"] and result.overlaps_waived == []
    assert ("talk now ends at 10:15, 15 min after a (AAA) leaves at 10:00: kept, their availability waived for its "
            "overrun only (a report is a fact); tell AAA") in result.notes
    assert _checked(result) == []
    assert _checked(result, availability_waived=()) == ["H5"]  # not told: a is not available for the whole of it


def test_the_validator_still_asks_that_the_people_are_there_when_the_event_starts() -> None:
    """Told that talk was kept past a's availability, the validator still refuses talk starting before a is there."""
    result = _replan(_day(), [LATE])
    moved = [a.model_copy(update={"start": a.start.replace(hour=8)}) if a.event == "talk" else a
             for a in result.timetable.assignments]
    early = result.timetable.model_copy(update={"assignments": moved})
    codes = [v.code for v in validate_timetable(result.scenario, early, result.waived, result.shortened,
                                                availability_waived=["talk"])]
    assert "H5" in codes


def test_nothing_but_the_running_event_gets_the_waiver_and_an_infeasible_answer_says_no_waiver() -> None:
    """With the report, the planner pins late (c) at 10:45, when c leaves at 11:00: late does not run, so it is
    refused ("infeasible", naming late and c); the answer waives nothing and says no waiver (its notes would
    describe a proposal that is not there)."""
    model = _day(event("late", 30, ("c",), rooms=["r2"]))
    pin = {"op": "pin", "event": "late", "room": "r2", "start": at("10:45")}
    result = _replan(model, [LATE, pin], late=("r2", at("10:00")))
    assert result.timetable.status == "infeasible"
    (diagnostic,) = [d for d in result.timetable.diagnostics if d.code != "broken_by_change"]
    assert diagnostic.events == ["late"] and diagnostic.participants == ["c"]
    assert "talk" not in diagnostic.message and "late's pin is freed" in diagnostic.message
    assert result.availability_waived == [] and result.overlaps_waived == []
    assert not any("kept" in note or "allowed because" in note for note in result.notes), result.notes


def test_only_a_fact_is_compiled_past_its_peoples_availability() -> None:
    """The compile: talk, pinned where it runs past a's availability, has its place only as a fact (the waiver names
    a and the slot a is gone from); late, pinned past c's availability and not running, has none either way."""
    model = apply_changes(_day(event("late", 30, ("c",), rooms=["r2"], pinned={"room": "r2", "start": at("10:45")})),
                          parse_changes([{**LATE, "start": at("09:30"), "room": "r1"}]))
    plain = compile_scenario(model)
    assert {plain.events[c.event].id: c.code for c in plain.prechecks} == \
        {"talk": "pinned_start_unavailable", "late": "pinned_start_unavailable"}
    waived = compile_scenario(model, waivers=Waivers(facts=frozenset({"talk"})))
    assert [waived.events[c.event].id for c in waived.prechecks] == ["late"]
    talk, a = waived.event_index["talk"], waived.participant_index["a"]
    assert waived.event_items[talk].size == 1
    (kept,) = waived.availability_waived[talk]
    assert kept[0] == a and waived.grid.time_of(kept[1]).strftime("%H:%M") == "10:00"


def test_a_started_event_kept_past_availability_stays_so_in_the_next_replan_said_once() -> None:
    """The proposal was published (talk until 10:15); at 10:05 b's side meeting is reported starting late. talk has
    started: it keeps its place and the waiver (named for the validator), without the note said before."""
    model = apply_changes(_day(), parse_changes([{**LATE, "start": at("09:30"), "room": "r1"}]))
    zone = model.localise(datetime.fromisoformat(at("09:30"))).tzinfo

    def placed(name: str, start: str, end: str) -> Assignment:
        return Assignment(event=name, room="r1", start=datetime.fromisoformat(at(start)).replace(tzinfo=zone),
                          end=datetime.fromisoformat(at(end)).replace(tzinfo=zone))

    before = Timetable(scenario=ScenarioRef(name=model.name, fingerprint=model.fingerprint()), status="feasible",
                       objective=2, assignments=[placed("talk", "09:30", "10:15"), placed("side", "10:30", "11:00")])
    result = resolve(model, before, [{"op": "event_started", "event": "side", "at": at("10:45")}],
                     now=datetime.fromisoformat(at("10:50")), freeze_minutes=0, time_limit=10, workers=1)
    assert result.timetable.status == "feasible", result.timetable.diagnostics
    assert result.availability_waived == ["talk"]
    assert not any("talk now ends" in note for note in result.notes), result.notes
    assert _checked(result) == []


def test_an_explanation_of_such_a_replan_compiles_with_its_waivers() -> None:
    """The report, and d delayed until 11:30 while next (d, required, after talk) must end by 11:30: next has no
    place, a proof at once. Its explanation checks each change on the summit the re-plan solved (talk kept past a's
    time): the delay is named as the cause and widening next's window as a lever. Compiled without the waiver,
    talk itself had no place in every check: nothing was blamed and no lever offered."""
    model = _day(event("next", 30, ("d",), rooms=["r2"], after=["talk"], latest_end=at("11:30")))
    delay = {"op": "participant_delayed", "participant": "d", "arrival": at("11:30")}
    result = _replan(model, [LATE, delay], next=("r2", at("10:30")))
    assert result.timetable.status == "infeasible"
    (diagnostic,) = [d for d in result.timetable.diagnostics if d.code != "broken_by_change"]
    assert diagnostic.events == ["next"]
    assert "(change 2)" in diagnostic.message and "next's window is widened to its whole day" in diagnostic.message
    assert "(change 1)" not in diagnostic.message and "a " not in diagnostic.participants


def test_explain_scenario_with_the_replans_waivers_does_not_name_the_waived_availability() -> None:
    """The proposal's summit (talk pinned 09:30-10:15 by the report) explained as its re-plan solved it: feasible;
    without the waivers it would name talk and a's availability."""
    result = _replan(_day(), [LATE])
    plain = explain_scenario(result.scenario, time_limit=5)
    assert [(d.code, d.events) for d in plain] == [("pinned_start_unavailable", ["talk"])]
    told = explain_scenario(result.scenario, time_limit=5, waivers=Waivers(facts=frozenset(result.availability_waived)))
    assert [d.code for d in told] == ["feasible"]


def test_an_infeasible_answer_carries_no_note_of_a_pair_it_did_not_waive() -> None:
    """pre runs 10 minutes late into the opening the planner pinned (a pair a proposal would let overlap), while the
    planner pins talk at 10:45, when c leaves at 11:00: "infeasible" (talk has no place). The answer waives no pair
    (``overlaps_waived`` empty), so it says none: before, it said "allowed because pre is already running"."""
    model = scenario(
        rooms=[{"id": "r1", "capacity": 10}, {"id": "r2", "capacity": 10}],
        participants=[{"id": "a", "delegation": "AAA"}, {"id": "b", "delegation": "BBB"},
                      {"id": "c", "delegation": "CCC", "available": [{"start": at("09:00"), "end": at("11:00")}]}],
        events=[event("pre", 30, ("a",), rooms=["r2"]),
                event("opening", 60, ("b",), rooms=["r1"], exclusive=True, pinned={"room": "r1", "start": at("09:30")}),
                event("talk", 30, ("c",), rooms=["r2"])])
    before = by_hand(model, {"pre": ("r2", at("09:00")), "opening": ("r1", at("09:30")), "talk": ("r2", at("10:30"))})
    changes = [{"op": "event_running_late", "event": "pre", "minutes": 10},
               {"op": "pin", "event": "talk", "room": "r2", "start": at("10:45")}]
    result = resolve(model, before, changes, now=datetime.fromisoformat(at("09:25")), freeze_minutes=0, time_limit=10,
                     workers=1)
    assert result.timetable.status == "infeasible"
    assert result.overlaps_waived == [] and result.availability_waived == []
    assert not any("allowed because" in note or "runs 15 min into opening" in note for note in result.notes), \
        result.notes


def test_a_seeded_hunt_of_overruns_past_peoples_availability_never_answers_infeasible() -> None:
    """The hunts' small summits (tests/hunts.py) with each participant leaving during the day: every overrun report
    gets a proposal, some keeping people past their availability, and the validator, told what each waived, finds no
    broken rule (benchmarks/overrun_hunt.py --leaving runs more seeds)."""
    answers = {seed: overrun_case(seed, leaving=True) for seed in range(60)}
    assert {seed: answer for seed, answer in answers.items()
            if answer[1] or answer[0] in ("infeasible", "unknown")} == {}
    assert any("keeping people past their availability" in status for status, _ in answers.values())


def test_summit_validate_accepts_the_kept_availability_only_when_told(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from solver.cli import app
    from solver.scenario import dump_scenario

    result = _replan(_day(), [LATE])
    dump_scenario(result.scenario, tmp_path / "changed.yaml")
    (tmp_path / "new.json").write_text(result.timetable.model_dump_json(), encoding="utf-8")
    files = [str(tmp_path / "changed.yaml"), str(tmp_path / "new.json")]
    untold = CliRunner().invoke(app, ["validate", *files])
    assert "H5: a is not available for the whole of talk" in untold.output and untold.exit_code == 1
    told = CliRunner().invoke(app, ["validate", *files, "--availability-waived", "talk"])
    assert told.exit_code == 0, told.output
    unknown = CliRunner().invoke(app, ["validate", *files, "--availability-waived", "tlak"])
    assert unknown.exit_code == 2 and "--availability-waived 'tlak': not an event of" in unknown.output
