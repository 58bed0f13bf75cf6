"""Small scenario builders shared by the solver tests."""

from __future__ import annotations

from typing import Any

from solver.scenario import Scenario, parse_scenario

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
