"""Small scenario builders shared by the solver tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from solver.scenario import Scenario, parse_scenario
from solver.timetable import Assignment, ScenarioRef, Timetable
from solver.validate import validate_timetable

DAY = "2025-10-25"


def at(hhmm: str, day: str = DAY) -> str:
    return f"{day}T{hhmm}"


def scenario(**fields: Any) -> Scenario:
    """A one-day (09:00-12:00, 15-minute slots) scenario; any field can be overridden."""
    data: dict[str, Any] = {
        "name": "test",
        "timezone": "Asia/Ho_Chi_Minh",
        "slot_minutes": 15,
        "days": [{"date": DAY, "start": "09:00", "end": "12:00"}],
        "rooms": [{"id": "r1", "capacity": 10}],
        "participants": [{"id": "a", "delegation": "AAA"}, {"id": "b", "delegation": "BBB"}],
        "events": [],
    }
    data.update(fields)
    return parse_scenario(data)


def event(id: str, minutes: int = 30, people: tuple[str, ...] = ("a",), **fields: Any) -> dict[str, Any]:
    return {"id": id, "title": id, "duration_minutes": minutes, "participants": list(people), **fields}


def by_hand(model: Scenario, placed: dict[str, tuple[str, str]], objective: int = 0) -> Timetable:
    """A timetable written by hand ({event: (room, ISO start)}, each event its own duration), checked valid."""
    durations = {e.id: e.duration_minutes for e in model.events}
    assignments = []
    for name, (room, start) in placed.items():
        begin = model.localise(datetime.fromisoformat(start))
        assignments.append(Assignment(event=name, room=room, start=begin,
                                      end=begin + timedelta(minutes=durations[name])))
    table = Timetable(scenario=ScenarioRef(name=model.name, fingerprint=model.fingerprint()), status="feasible",
                      objective=objective, assignments=assignments)
    assert validate_timetable(model, table) == []
    return table
