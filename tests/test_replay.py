"""The replay of a timetable through days of overruns (solver/overruns.py, solver/replay.py)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from solver.overruns import Draws, draw_days, no_overruns
from solver.replay import plan_of, propagate, replay
from solver.scenario import Scenario, ScenarioError, parse_scenario
from solver.timetable import Assignment, ScenarioRef, Timetable
from solver.validate import validate_timetable
from tests.builders import DAY, at, by_hand, event, scenario


def _two_in_a_row() -> tuple[Scenario, Timetable]:
    model = scenario(events=[event("first", 30, ("a",)), event("second", 30, ("a", "b")),
                             event("third", 30, ("b",))],
                     rooms=[{"id": "r1", "capacity": 10}, {"id": "r2", "capacity": 10}])
    return model, by_hand(model, {"first": ("r1", at("09:00")), "second": ("r2", at("09:30")),
                            "third": ("r2", at("10:30"))})


def test_a_day_without_overruns_moves_nothing() -> None:
    model, table = _two_in_a_row()
    plan = plan_of(model, table)
    outcome = propagate(plan, no_overruns(len(plan.events), len(plan.arrival_tiers), runs=3))
    assert not outcome.moved.any() and not outcome.lost.any() and not outcome.notified.any()
    quiet = model.model_copy(update={"overruns": parse_scenario({**model.to_document(), "overruns": {
        "kinds": {k: {"probability": 0} for k in ("high_level", "round_table", "bilateral", "other")},
        "arrivals": {t: {"probability": 0} for t in ("vvip", "vip", "standard")}}}).overruns})
    assert replay(quiet, table, runs=20).to_dict()["expected_moved"] == 0


def test_a_hand_made_two_event_cascade_is_counted_exactly() -> None:
    # first overruns by 20 minutes: second (a is busy) starts 09:50 instead of 09:30 and ends 10:20, so
    # third (room r2 and b busy until 10:20) is on time at 10:30: one event moved, caused by first.
    model, table = _two_in_a_row()
    plan = plan_of(model, table)
    late = np.zeros((1, 3))
    late[0, 0] = 20
    outcome = propagate(plan, Draws(late, np.zeros((1, len(plan.arrival_tiers)))))
    assert outcome.moved.tolist() == [[False, True, False]]
    assert outcome.cause[0, 1] == 0
    assert outcome.notified.tolist() == [2]  # AAA and BBB attend the moved meeting
    # second also runs 30 minutes over: it ends 10:50 and pushes third too, both charged to first
    late[0, 0], late[0, 1] = 20, 30
    outcome = propagate(plan, Draws(late, np.zeros((1, len(plan.arrival_tiers)))))
    assert outcome.moved.tolist() == [[False, True, True]]
    assert outcome.cause[0].tolist() == [-1, 0, 0]


def test_an_event_pushed_past_the_end_of_the_day_is_lost() -> None:
    model = scenario(events=[event("first", 60, ("a",)), event("last", 60, ("a",))])
    table = by_hand(model, {"first": ("r1", at("10:00")), "last": ("r1", at("11:00"))})
    plan = plan_of(model, table)
    late = np.array([[15.0, 0.0]])
    outcome = propagate(plan, Draws(late, np.zeros((1, len(plan.arrival_tiers)))))
    assert outcome.lost.tolist() == [[False, True]] and not outcome.moved.any()


def test_the_same_seed_draws_the_same_days_and_the_model_is_checked() -> None:
    model, table = _two_in_a_row()
    assert replay(model, table, runs=50, seed=3) == replay(model, table, runs=50, seed=3)
    plan = plan_of(model, table)
    first = draw_days(model, plan.events, plan.arrival_tiers, 10, 1)
    assert np.array_equal(first.event_late, draw_days(model, plan.events, plan.arrival_tiers, 10, 1).event_late)
    with pytest.raises(ScenarioError, match=r"overruns.events.nope"):
        parse_scenario({**model.to_document(), "overruns": {"events": {"nope": {"probability": 0.5}}}})
    with pytest.raises(ScenarioError, match=r"overruns.kinds.first.probability"):
        parse_scenario({**model.to_document(), "overruns": {"kinds": {"first": {"probability": 2}}}})


def _replan_by_brute_force(model: Scenario, table: Timetable, late: dict[str, int],
                           arrival: dict[str, int]) -> tuple[set[str], set[str]]:
    """The re-plan that keeps each event's room and order and starts it at the first 5-minute step from
    its planned start that the validator accepts, events lengthened by their overrun and participants
    available from their late arrival; events that fit nowhere that day are lost."""
    documents = model.to_document()
    for item in documents["events"]:
        item["duration_minutes"] += late.get(item["id"], 0)
    first_start = {}
    for a in sorted(table.assignments, key=lambda a: a.start):
        for person in next(e for e in model.events if e.id == a.event).participants:
            first_start.setdefault(person, a.start)
    _, day_end = model.day_bounds(model.days[0])
    for person in documents["participants"]:
        if arrival.get(person["id"]) and person["id"] in first_start:
            ready = first_start[person["id"]] + timedelta(minutes=arrival[person["id"]])
            person["available"] = [{"start": ready.isoformat(), "end": day_end.isoformat()}]
    longer = parse_scenario(documents)
    placed: list[Assignment] = []
    moved, lost = set(), set()
    ref = ScenarioRef(name=longer.name, fingerprint=longer.fingerprint())
    for a in sorted(table.assignments, key=lambda a: (a.start, a.event)):
        minutes = next(e for e in longer.events if e.id == a.event).duration_minutes
        start = a.start
        while start + timedelta(minutes=minutes) <= day_end:
            trial = [*placed, Assignment(event=a.event, room=a.room, start=start,
                                         end=start + timedelta(minutes=minutes))]
            codes = {v.code for v in validate_timetable(longer, Timetable(scenario=ref, status="feasible",
                                                                         assignments=trial))
                     if a.event in v.events}
            if not codes - {"H10"} or codes <= {"H1"}:
                placed = trial
                if start != a.start:
                    moved.add(a.event)
                break
            start += timedelta(minutes=5)
        else:
            lost.add(a.event)
    return moved, lost


@pytest.mark.parametrize("seed", range(10))
def test_the_fast_propagation_agrees_with_a_brute_force_replan(seed: int) -> None:
    rng = np.random.default_rng(seed)
    people = [{"id": p, "delegation": p.upper(), "min_break_minutes": int(rng.choice([0, 5]))} for p in "abcd"]
    rooms = [{"id": "r1", "capacity": 10, "changeover_minutes": 5}, {"id": "r2", "capacity": 10}]
    events, placed = [], []
    free_at = {"r1": 0, "r2": 0, "a": 0, "b": 0, "c": 0, "d": 0}
    for k in range(6):
        who = tuple(sorted(rng.choice(list("abcd"), size=int(rng.integers(1, 3)), replace=False)))
        room = "r1" if rng.random() < 0.5 else "r2"
        begin = max(free_at[x] for x in (room, *who)) + 15 * int(rng.integers(0, 2))
        events.append(event(f"e{k}", 30, who))
        placed.append((f"e{k}", room, f"{9 + begin // 60:02d}:{begin % 60:02d}"))
        for x in (room, *who):
            free_at[x] = begin + 30 + 5
        free_at[room] = begin + 30 + 5 if room == "r1" else begin + 30
    model = scenario(slot_minutes=5, participants=people, rooms=rooms, events=events,
                     days=[{"date": DAY, "start": "09:00", "end": "14:00"}])
    table = by_hand(model, {name: (room, at(start)) for name, room, start in placed})
    plan = plan_of(model, table)
    late = {e.id: int(rng.choice([0, 0, 0, 10, 25, 60])) for e in plan.events}
    arrival = {p["id"]: int(rng.choice([0, 0, 0, 20])) for p in people}
    arrival_late = np.array([[arrival[name.split()[2]] for name in plan.arrival_names]], dtype=float)
    outcome = propagate(plan, Draws(np.array([[late[e.id] for e in plan.events]], dtype=float), arrival_late))
    moved, lost = _replan_by_brute_force(model, table, late, arrival)
    ids = [e.id for e in plan.events]
    assert {ids[i] for i in np.flatnonzero(outcome.moved[0])} == moved
    assert {ids[i] for i in np.flatnonzero(outcome.lost[0])} == lost


def test_summit_replay_prints_json_with_the_expected_values(tmp_path: Path) -> None:
    from solver.cli import app

    model, table = _two_in_a_row()
    (tmp_path / "s.json").write_text(json.dumps(model.to_document()), encoding="utf-8")
    (tmp_path / "t.json").write_text(json.dumps(table.to_document()), encoding="utf-8")
    result = CliRunner().invoke(app, ["replay", str(tmp_path / "s.json"), str(tmp_path / "t.json"),
                                      "--runs", "30", "--seed", "2", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["runs"] == 30 and {"expected_moved", "expected_notified", "expected_lost"} <= set(data)
    text = CliRunner().invoke(app, ["replay", str(tmp_path / "s.json"), str(tmp_path / "t.json"), "--runs", "30"])
    assert text.exit_code == 0 and "events to move" in text.output


def test_the_robustness_kpis_are_the_replay_numbers() -> None:
    from solver.kpi import kpis

    model, table = _two_in_a_row()
    measured = kpis(model, table, replay_runs=40).to_dict()["robustness"]
    replayed = replay(model, table, runs=40, seed=0).to_dict()
    assert measured["replay_runs"] == 40
    for name in ("expected_moved", "expected_notified", "expected_lost"):
        assert measured[name] == replayed[name]
    assert kpis(model, table, replay_runs=0).robustness == {}
