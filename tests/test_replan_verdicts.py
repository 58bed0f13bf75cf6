"""What a re-plan answers when a change is hard: the past stays as it was, a central event makes way, "infeasible"
only with a proof (said with the change and the levers), and otherwise the standing timetable stays in force."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from solver.changes import apply_changes, parse_changes
from solver.replan import measure_disruption, resolve
from solver.replan.change import from_now
from solver.scenario import Scenario, parse_scenario
from solver.timetable import Timetable
from solver.validate import validate_timetable
from tests.brute import valid_timetables
from tests.builders import at, by_hand, event, scenario

DAY2 = "2025-10-26"


def _two_days() -> Scenario:
    return parse_scenario({
        "name": "two days", "timezone": "Asia/Ho_Chi_Minh", "slot_minutes": 15,
        "days": [{"date": "2025-10-25", "start": "09:00", "end": "12:00"},
                 {"date": DAY2, "start": "09:00", "end": "12:00"}],
        "rooms": [{"id": "r1", "capacity": 10}],
        "participants": [{"id": p, "delegation": p.upper() * 3} for p in "abc"],
        "events": [event("opening", 60, ("a", "b"), required=True, pinned={"room": "r1", "start": at("09:00")}),
                   event("talk", 60, ("a", "c"), required=True, earliest=at("09:00", DAY2))]})


def test_a_change_applies_from_now_on_and_leaves_the_past_as_it_was() -> None:
    model = _two_days()
    before = by_hand(model, {"opening": ("r1", at("09:00")), "talk": ("r1", at("09:00", DAY2))})
    delay = {"op": "participant_delayed", "participant": "a", "arrival": at("10:00", DAY2)}
    # Reported on day 2, with day 1 over: a attended the opening; the delay concerns day 2 only.
    result = resolve(model, before, [delay], now=model.localise(parse_changes([delay])[0].arrival).replace(hour=8),
                     time_limit=5)
    assert result.timetable.status in ("optimal", "feasible")
    assert validate_timetable(result.scenario, result.timetable) == []
    placed = {a.event: a for a in result.timetable.assignments}
    assert placed["opening"].start == before.assignment_of("opening").start  # type: ignore[union-attr]
    assert placed["talk"].start.hour >= 10
    # the new version says so: a was available on day 1
    person = next(p for p in result.scenario.participants if p.id == "a")
    assert person.available is not None and any(w.start.day == 25 for w in person.available)


def test_planning_ahead_a_delay_past_a_pinned_event_is_infeasible_and_says_why() -> None:
    model = _two_days()
    before = by_hand(model, {"opening": ("r1", at("09:00")), "talk": ("r1", at("09:00", DAY2))})
    delay = {"op": "participant_delayed", "participant": "a", "arrival": at("10:00", DAY2)}
    result = resolve(model, before, [delay], time_limit=5)  # no now: a misses day 1 altogether
    assert result.timetable.status == "infeasible" and result.timetable.assignments == []
    first = result.timetable.diagnostics[0]
    assert "a arrives at 10:00 on 26 Oct (change 1)" in first.message
    assert "opening's pin is freed" in first.message  # the lever that would let it happen
    # both of a's events are broken where they stand; nothing is cancelled
    assert result.diff.dropped == [] and [a.event for a in result.diff.broken] == ["opening", "talk"]


def test_from_now_keeps_each_participants_past_and_drops_a_closure_that_is_over() -> None:
    model = _two_days()
    now = model.localise(parse_changes([{"op": "room_closed", "room": "r1", "start": at("09:00"),
                                         "end": at("10:00")}])[0].start).replace(day=26, hour=8)
    changes = parse_changes([
        {"op": "participant_delayed", "participant": "a", "arrival": at("10:00", DAY2)},
        {"op": "room_closed", "room": "r1", "start": at("09:00"), "end": at("10:00")},  # over: left out
        {"op": "room_closed", "room": "r1", "start": at("07:00", DAY2), "end": at("09:30", DAY2)}])
    pairs = from_now(model, changes, now)
    assert [written.op for written, _ in pairs] == ["participant_delayed", "room_closed"]
    windows = pairs[0][1].available  # type: ignore[union-attr]
    assert [(w.start.day, w.start.hour, w.end.hour) for w in windows] == [(25, 9, 12), (26, 10, 12)]
    assert pairs[1][1].start == now  # type: ignore[union-attr]


def _meetings_in_one_room() -> tuple[Scenario, Timetable, dict[str, Any]]:
    """x (a, b) at 09:00 and y (c) at 11:00 share the only room; a now lands at 11:00: x must take y's hour."""
    model = scenario(participants=[{"id": p, "delegation": p.upper() * 3} for p in "abc"],
                     events=[event("x", 60, ("a", "b"), required=True), event("y", 60, ("c",), required=True)])
    before = by_hand(model, {"x": ("r1", at("09:00")), "y": ("r1", at("11:00"))})
    return model, before, {"op": "participant_delayed", "participant": "a", "arrival": at("11:00")}


def test_no_repair_in_the_time_given_keeps_the_standing_timetable() -> None:
    model, before, delay = _meetings_in_one_room()
    stop = threading.Event()
    stop.set()  # no time at all: a repair needs y to move, which keeping everything else cannot give
    result = resolve(model, before, [delay], time_limit=5, stop=stop)
    assert result.timetable.status == "unknown"
    assert result.timetable.assignments == before.assignments  # the standing timetable stays in force
    codes = [d.code for d in result.timetable.diagnostics]
    assert codes[0] == "no_repair_in_time" and "broken_by_change" in codes
    assert result.diff.dropped == [] and result.diff.moved == []
    assert [a.event for a in result.diff.broken] == ["x"]
    assert set(result.diff.by_participant) == {"a", "b"}  # y's people are not told anything


def test_the_same_change_with_time_is_repaired() -> None:
    model, before, delay = _meetings_in_one_room()
    # (a limit far beyond the proof's need, so that no load turns it into "best found": test_replan.PROOF_LIMIT)
    result = resolve(model, before, [delay], time_limit=120)
    assert result.timetable.status in ("optimal", "feasible")
    assert validate_timetable(result.scenario, result.timetable) == []
    assert {m.event for m in result.diff.moved} == {"x", "y"} and result.proven_minimal


def test_infeasible_names_the_change_the_limits_and_the_levers() -> None:
    model = scenario(participants=[{"id": p, "delegation": p.upper() * 3} for p in "abc"],
                     events=[event("signing", 60, ("a", "b", "c"), required=True, latest_end=at("10:30"))])
    before = by_hand(model, {"signing": ("r1", at("09:00"))})
    result = resolve(model, before, [{"op": "participant_delayed", "participant": "b", "arrival": at("10:00")}],
                     time_limit=5)
    assert result.timetable.status == "infeasible" and result.timetable.assignments == []
    message = result.timetable.diagnostics[0].message
    assert "b arrives at 10:00 on 25 Oct (change 1)" in message
    assert "signing must end by 10:30 on 25 Oct" in message
    assert "b leaves signing" in message and "signing's window is widened" in message
    assert "b" in result.timetable.diagnostics[0].participants
    assert result.diff.dropped == [] and [a.event for a in result.diff.broken] == ["signing"]


@pytest.mark.parametrize("late", ["a", "d"])
def test_a_central_event_moves_and_what_it_meets_gives_way_at_the_least_cost(late: str) -> None:
    # The ceremony (a, b, c, d) must end by 11:00; one of its people now lands at 10:00, so it must take the
    # 10:00 hour, where two of their meetings are. The repair moves it and them, and no more than it must.
    model, before, change = _central_case()
    change[0]["participant"] = late
    result = resolve(model, before, change, time_limit=10)
    changed = apply_changes(model, parse_changes(change))
    assert validate_timetable(changed, result.timetable) == []
    placed = {a.event: a for a in result.timetable.assignments}
    assert placed["ceremony"].start.hour == 10 and set(placed) == {"ceremony", "m1", "m2", "m3"}
    least = min(measure_disruption(changed, before, t) for t in valid_timetables(changed)
                if {a.event for a in t.assignments} == set(placed))
    assert result.disruption_bound <= least <= result.disruption
    if result.proven_minimal:
        assert result.disruption == least


def _central_case() -> tuple[Scenario, Timetable, list[dict[str, Any]]]:
    model = parse_scenario({
        "name": "central", "timezone": "Asia/Ho_Chi_Minh", "slot_minutes": 30,
        "days": [{"date": "2025-10-25", "start": "09:00", "end": "12:00"}],
        "rooms": [{"id": "hall", "capacity": 10}, {"id": "small", "capacity": 4}],
        "participants": [{"id": p, "delegation": p.upper() * 3} for p in "abcd"],
        "events": [event("ceremony", 60, ("a", "b", "c", "d"), required=True, latest_end=at("11:00")),
                   event("m1", 30, ("a", "b"), priority=3), event("m2", 30, ("c", "d"), priority=2),
                   event("m3", 30, ("b", "c"), priority=1)]})
    before = by_hand(model, {"ceremony": ("hall", at("09:00")), "m1": ("hall", at("10:00")),
                              "m2": ("small", at("10:30")), "m3": ("hall", at("11:00"))})
    return model, before, [{"op": "participant_delayed", "participant": "a", "arrival": at("10:00")}]


def test_each_step_runs_alone_the_ejection_chain_and_the_finding() -> None:
    # The steps of resolve take (context, ledger) and can be run one by one: the ejection chain alone places
    # every event validly, and the finding alone keeps every event.
    from solver.model.constraints import all_rows
    from solver.replan.budget import ReplanConfig
    from solver.replan.context import prepare
    from solver.replan.displace import displacing_repair
    from solver.replan.find import find
    from solver.replan.ledger import Ledger
    from solver.solve import timetable_from_placements

    model, before, change = _central_case()
    ctx = prepare(model, before, parse_changes(change), None, ReplanConfig(time_limit=10), None)
    chosen, whole = displacing_repair(ctx.instance, ctx.plan, all_rows(ctx.instance), ctx.hit, set(ctx.wanted))
    assert whole
    assert validate_timetable(ctx.changed, timetable_from_placements(ctx.instance, chosen, ctx.ref)) == []
    ledger = Ledger()
    find(ctx, ledger)
    assert ledger.best is not None and ledger.best.kept == ctx.plan.alive
    if ctx.beside is not None:
        ctx.beside.cancel()


def test_the_ejection_chain_never_pushes_out_what_the_displaced_event_must_follow() -> None:
    # b must follow a and end by 13:00; the room closes over b's hour, and every other hour before 13:00 is taken:
    # b makes way, but never by pushing out a (it would then start before a ends, or without a at all), though a is
    # the cheapest to move (c's and d's people are heads of state): it takes c's or d's hour, which moves to 13:00.
    from solver.model.constraints import all_rows
    from solver.replan.budget import ReplanConfig
    from solver.replan.context import prepare
    from solver.replan.displace import displacing_repair
    from solver.solve import timetable_from_placements

    model = scenario(days=[{"date": "2025-10-25", "start": "09:00", "end": "14:00"}],
                     participants=[{"id": p, "delegation": p.upper() * 3, "tier": "vvip" if p in "rs" else "standard"}
                                   for p in "pqrs"],
                     events=[event("a", 60, ("p",), required=True),
                             event("b", 60, ("q",), required=True, after=["a"], latest_end=at("13:00")),
                             event("c", 60, ("r",), required=True), event("d", 60, ("s",), required=True)])
    before = by_hand(model, {"a": ("r1", at("09:00")), "b": ("r1", at("10:00")), "c": ("r1", at("11:00")),
                             "d": ("r1", at("12:00"))})
    closed = {"op": "room_closed", "room": "r1", "start": at("10:00"), "end": at("11:00")}
    ctx = prepare(model, before, parse_changes([closed]), None, ReplanConfig(), None)
    chosen, whole = displacing_repair(ctx.instance, ctx.plan, all_rows(ctx.instance), ctx.hit, set(ctx.wanted))
    assert whole
    table = timetable_from_placements(ctx.instance, chosen, ctx.ref)
    assert validate_timetable(ctx.changed, table) == []
    placed = {a.event: a for a in table.assignments}
    assert placed["a"].start == before.assignment_of("a").start  # type: ignore[union-attr]
    assert placed["b"].start >= placed["a"].end
