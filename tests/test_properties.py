"""Property tests: on random small scenarios every timetable the solver returns passes the
independent validator, and on tiny ones its objective equals the brute-force optimum."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver.scenario import Scenario, parse_scenario
from solver.solve import solve
from solver.validate import validate_timetable
from tests.brute import brute_force_optimum

DAY = "2025-10-25"


@st.composite
def small_scenarios(draw: st.DrawFn, max_events: int = 3, day_end: str = "10:30") -> Scenario:
    n_people = draw(st.integers(2, 3))
    people: list[dict[str, Any]] = []
    for p in range(n_people):
        person: dict[str, Any] = {"id": f"p{p}", "delegation": f"D{p % 2}",
                                  "tier": draw(st.sampled_from(["vvip", "vip", "standard"])),
                                  "min_break_minutes": draw(st.sampled_from([0, 0, 15]))}
        if draw(st.booleans()):
            first = draw(st.integers(0, 3))
            person["available"] = [{"start": f"{DAY}T{9 + first * 15 // 60:02d}:{first * 15 % 60:02d}",
                                    "end": f"{DAY}T{day_end}"}]
        if draw(st.booleans()):
            person["max_events_per_day"] = draw(st.integers(1, 2))
        people.append(person)
    rooms = [{"id": f"r{r}", "capacity": draw(st.sampled_from([2, 3, 10])), "zone": draw(st.sampled_from(["a", "b"])),
              "security_level": draw(st.integers(0, 2)), "changeover_minutes": draw(st.sampled_from([0, 15]))}
             for r in range(2)]
    events: list[dict[str, Any]] = []
    n_events = draw(st.integers(1, max_events))
    for e in range(n_events):
        chosen = draw(st.lists(st.integers(0, n_people - 1), min_size=1, max_size=2, unique=True))
        event: dict[str, Any] = {"id": f"e{e}", "duration_minutes": draw(st.sampled_from([15, 30, 45])),
                                 "participants": [f"p{i}" for i in chosen],
                                 "kind": draw(st.sampled_from(["bilateral", "bilateral", "other"])),
                                 "priority": draw(st.integers(0, 5))}
        if event["kind"] == "other" and draw(st.booleans()):
            event["required"] = False
        if e > 0 and draw(st.integers(0, 3)) == 0:
            event["after"] = [f"e{e - 1}"]
        if draw(st.integers(0, 4)) == 0:
            event["exclusive"] = True
        if draw(st.booleans()):
            event["uses"] = {"team": 1}
        events.append(event)
    data = {
        "name": "random", "timezone": "Asia/Ho_Chi_Minh", "slot_minutes": 15,
        "days": [{"date": DAY, "start": "09:00", "end": day_end}],
        "zones": [{"id": "a"}, {"id": "b"}],
        "travel_minutes": [{"from": "a", "to": "b", "minutes": draw(st.sampled_from([0, 15, 30]))}],
        "rooms": rooms, "participants": people, "events": events,
        "resources": [{"id": "team", "capacity": 1}],
        "security": {"vvip_min_room_level": draw(st.integers(0, 2)), "sweep_minutes": draw(st.sampled_from([0, 15])),
                     "max_vvip_events_per_zone": {"a": 1}},
    }
    return parse_scenario(data)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_scenarios(max_events=4, day_end="11:00"))
def test_every_timetable_validates(model: Scenario) -> None:
    timetable = solve(model, time_limit=5, workers=2, seed=0).timetable
    if timetable.status in ("optimal", "feasible"):
        assert validate_timetable(model, timetable) == []
        assert timetable.bound is None or timetable.bound >= timetable.objective
    else:
        assert timetable.assignments == []
        assert timetable.diagnostics


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_scenarios(max_events=3, day_end="10:15"))
def test_objective_equals_brute_force(model: Scenario) -> None:
    timetable = solve(model, time_limit=5, workers=2, seed=0).timetable
    best = brute_force_optimum(model)
    if best is None:
        assert timetable.status == "infeasible"
    else:
        assert timetable.status == "optimal"
        assert timetable.objective == best
