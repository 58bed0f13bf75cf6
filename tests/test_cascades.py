"""Thinning the cascades before the robust solve's slack stage (solver/cascades.py)."""

from __future__ import annotations

import numpy as np
import pytest

from solver.cascades import cut_cascades, fullest_rooms, held_through, spare_vvip_rooms
from solver.compile import compile_scenario
from solver.extract import assignments_of
from solver.model.constraints import all_rows
from solver.model.submodel import RowMatrix
from solver.replan.plan import placements_of
from solver.replay import plan_of, replay
from solver.scenario import Scenario
from solver.slack import Judge
from solver.timetable import ScenarioRef, Timetable
from solver.validate import validate_timetable
from tests.builders import at, by_hand, event, scenario

PEOPLE = [{"id": p, "delegation": p.upper()} for p in "abcd"]


def _chain() -> tuple[Scenario, Timetable]:
    # a: the ceremony, then two bilaterals back to back; b meets d right after the first bilateral
    model = scenario(participants=PEOPLE, rooms=[{"id": f"r{k}", "capacity": 10} for k in range(1, 4)],
                     events=[event("open", 30, ("a",), kind="high_level"),
                             event("bil-ab", 30, ("a", "b"), kind="bilateral", required=False, priority=1),
                             event("bil-ac", 30, ("a", "c"), kind="bilateral", required=False, priority=1),
                             event("bil-bd", 30, ("b", "d"), kind="bilateral", required=False, priority=1)])
    return model, by_hand(model, {"open": ("r1", at("09:00")), "bil-ab": ("r2", at("09:30")),
                                  "bil-ac": ("r2", at("10:00")), "bil-bd": ("r3", at("10:00"))}, objective=3)


def test_a_hand_made_cascade_runs_through_the_events_it_passes() -> None:
    # open runs 15 minutes late: bil-ab (a) starts late, and holds up bil-ac (a, its room) and bil-bd (b)
    model, table = _chain()
    plan = plan_of(model, table)
    ids = [e.id for e in plan.events]
    late = np.zeros((len(ids), 1))
    late[ids.index("open"), 0] = 15
    through = dict(zip(ids, held_through(plan, late, np.zeros((len(plan.arrival_tiers), 1))).tolist(), strict=True))
    assert through == {"open": 3.0, "bil-ab": 3.0, "bil-ac": 1.0, "bil-bd": 1.0}


def test_the_cut_leaves_out_the_request_most_cascades_run_through_within_its_budget() -> None:
    model, table = _chain()
    instance = compile_scenario(model)
    chosen = placements_of(instance, table.assignments)
    judge = Judge(instance, table.scenario, runs=200, seed=1)
    assert (cut_cascades(judge, chosen, budget=0) == chosen).all()
    cut = cut_cascades(judge, chosen, budget=1)
    assert [instance.events[e].id for e in np.flatnonzero(cut < 0)] == ["bil-ab"]
    after = Timetable(scenario=table.scenario, status="feasible", objective=2,
                      assignments=assignments_of(instance, cut))
    assert validate_timetable(model, after) == []
    assert replay(model, after, runs=200).moved.mean < replay(model, table, runs=200).moved.mean


def test_a_meeting_without_a_vvip_leaves_the_vvips_room_at_the_same_start() -> None:
    model = scenario(participants=[{"id": "a", "delegation": "AAA", "tier": "vvip"}, *PEOPLE[1:]],
                     rooms=[{"id": "secure", "capacity": 10, "security_level": 2},
                            {"id": "plain", "capacity": 10, "security_level": 1}],
                     security={"vvip_min_room_level": 2},
                     events=[event("bil-ab", 30, ("a", "b"), kind="bilateral"),
                             event("bil-cd", 30, ("c", "d"), kind="bilateral"),
                             event("bil-bc", 30, ("b", "c"), kind="bilateral")])
    table = by_hand(model, {"bil-ab": ("secure", at("09:30")), "bil-cd": ("secure", at("10:00")),
                            "bil-bc": ("plain", at("10:30"))}, objective=3)
    instance = compile_scenario(model)
    rows = all_rows(instance)
    chosen = placements_of(instance, table.assignments)
    spared = spare_vvip_rooms(instance, RowMatrix.of(rows, instance.n_items), chosen)
    after = Timetable(scenario=ScenarioRef(name=model.name, fingerprint=model.fingerprint()), status="feasible",
                      objective=3, assignments=assignments_of(instance, spared))
    assert validate_timetable(model, after) == []
    where = {a.event: (a.room, a.start) for a in after.assignments}
    before = {a.event: (a.room, a.start) for a in table.assignments}
    assert where["bil-cd"] == ("plain", before["bil-cd"][1])  # the same start, the plain room
    assert where["bil-ab"] == before["bil-ab"] and where["bil-bc"] == before["bil-bc"]


def test_how_full_the_rooms_are_counts_room_time_outside_exclusive_events() -> None:
    # two like rooms (one pool), 09:00-12:00: 24 room-slots of 15 minutes; the exclusive opening holds both for
    # two slots (20 left open), four half-hour meetings hold 8 of them
    model = scenario(participants=PEOPLE, rooms=[{"id": f"r{k}", "capacity": 10} for k in (1, 2)],
                     events=[event("open", 30, ("a",), exclusive=True),
                             *[event(f"m{k}", 30, (p,)) for k, p in enumerate("abcd")]])
    table = by_hand(model, {"open": ("r1", at("09:00")), "m0": ("r1", at("09:30")), "m1": ("r2", at("09:30")),
                            "m2": ("r1", at("10:00")), "m3": ("r2", at("10:00"))})
    instance = compile_scenario(model)
    share, where = fullest_rooms(instance, placements_of(instance, table.assignments))
    assert share == 8 / 20 and where == "2 room(s) r1, r2 on day 1"


def test_the_cli_advises_a_cascade_budget_only_on_full_rooms_without_one(capsys: pytest.CaptureFixture[str]) -> None:
    from solver.cli import _advise_budget

    _advise_budget((0.97, "12 room(s) bil-01, bil-02, bil-03 ... on day 2"), 0.0)
    said = " ".join(capsys.readouterr().err.split())
    assert "97% full" in said and "--cascade-budget 0.02" in said
    for fullest, budget in (((0.97, "rooms"), 0.02), ((0.94, "rooms"), 0.0), (None, 0.0)):
        _advise_budget(fullest, budget)
        assert capsys.readouterr().err == ""
