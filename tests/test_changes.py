"""Change operations: each applied and validated; bad references give clear errors; the
original scenario is never edited."""

from __future__ import annotations

from typing import Any

import pytest

from solver.changes import apply_changes, parse_changes
from solver.scenario import Scenario, ScenarioError, load_scenario

TINY = "scenarios/examples/tiny.yaml"


@pytest.fixture
def tiny() -> Scenario:
    return load_scenario(TINY)


def applied(scenario: Scenario, *changes: dict[str, Any]) -> Scenario:
    return apply_changes(scenario, parse_changes(list(changes)))


def local(scenario: Scenario, text: str) -> str:
    return scenario.localise(__import__("datetime").datetime.fromisoformat(text)).isoformat()


def test_participant_availability_replaces_windows(tiny: Scenario) -> None:
    new = applied(tiny, {"op": "participant_availability", "participant": "un-sg",
                         "available": [{"start": "2025-10-25T11:00", "end": "2025-10-25T12:00"}]})
    [window] = next(p for p in new.participants if p.id == "un-sg").available or []
    assert window.start.isoformat() == local(tiny, "2025-10-25T11:00")


def test_participant_delayed_cuts_windows(tiny: Scenario) -> None:
    new = applied(tiny, {"op": "participant_delayed", "participant": "un-sg", "arrival": "2025-10-25T10:30",
                         "departure": "2025-10-25T11:30"})
    [window] = next(p for p in new.participants if p.id == "un-sg").available or []
    assert (window.start.strftime("%H:%M"), window.end.strftime("%H:%M")) == ("10:30", "11:30")


def test_room_closed_and_reopened(tiny: Scenario) -> None:
    closed = applied(tiny, {"op": "room_closed", "room": "bil-1", "start": "2025-10-25T10:00",
                            "end": "2025-10-25T11:00", "reason": "sweep"})
    assert [w.reason for w in closed.rooms[1].unavailable] == ["sweep"]
    reopened = applied(closed, {"op": "room_reopened", "room": "bil-1", "start": "2025-10-25T10:15",
                                "end": "2025-10-25T10:45"})
    spans = [(w.start.strftime("%H:%M"), w.end.strftime("%H:%M")) for w in reopened.rooms[1].unavailable]
    assert spans == [("10:00", "10:15"), ("10:45", "11:00")]


def test_event_added_cancelled_updated(tiny: Scenario) -> None:
    new = applied(tiny,
                  {"op": "event_added", "event": {"id": "bil-x", "kind": "bilateral", "duration_minutes": 30,
                                                  "participants": ["un-sg", "vnm-pres"]}},
                  {"op": "event_cancelled", "event": "opening"},
                  {"op": "event_updated", "event": "bil-vnm-fra", "set": {"priority": 9}})
    ids = [e.id for e in new.events]
    assert "bil-x" in ids and "opening" not in ids
    assert all("opening" not in e.after for e in new.events)
    assert next(e for e in new.events if e.id == "bil-vnm-fra").priority == 9
    assert next(e for e in new.events if e.id == "bil-x").required is False


def test_pin_and_unpin(tiny: Scenario) -> None:
    pinned = applied(tiny, {"op": "pin", "event": "bil-un-fra", "room": "bil-h", "start": "2025-10-25T11:00"})
    event = next(e for e in pinned.events if e.id == "bil-un-fra")
    assert event.pinned is not None and event.pinned.room == "bil-h"
    free = applied(pinned, {"op": "unpin", "event": "bil-un-fra", "start": True})
    event = next(e for e in free.events if e.id == "bil-un-fra")
    assert event.pinned is not None and event.pinned.start is None and event.pinned.room == "bil-h"
    assert next(e for e in applied(free, {"op": "unpin", "event": "bil-un-fra"}).events
                if e.id == "bil-un-fra").pinned is None


def test_resource_room_and_day(tiny: Scenario) -> None:
    new = applied(tiny, {"op": "resource_capacity", "resource": "interp-fr", "capacity": 3},
                  {"op": "room_added", "room": {"id": "bil-2", "capacity": 8, "features": ["flags"]}},
                  {"op": "day_added", "day": {"date": "2025-10-26", "start": "09:00", "end": "12:00"}})
    assert new.resources[0].capacity == 3
    assert [r.id for r in new.rooms][-1] == "bil-2"
    assert len(new.days) == 2


def test_original_is_never_edited(tiny: Scenario) -> None:
    before = tiny.fingerprint()
    new = applied(tiny, {"op": "event_cancelled", "event": "opening"},
                  {"op": "room_closed", "room": "hall", "start": "2025-10-25T09:00", "end": "2025-10-25T10:00"})
    assert tiny.fingerprint() == before
    assert new.fingerprint() != before


@pytest.mark.parametrize(("change", "path", "words"), [
    ({"op": "room_closed", "room": "nope", "start": "2025-10-25T10:00", "end": "2025-10-25T11:00"},
     "changes[0].room", "unknown room"),
    ({"op": "participant_delayed", "participant": "ghost", "arrival": "2025-10-25T10:00"},
     "changes[0].participant", "unknown participant"),
    ({"op": "event_cancelled", "event": "nothing"}, "changes[0].event", "unknown event"),
    ({"op": "resource_capacity", "resource": "gold", "capacity": 1}, "changes[0].resource", "unknown resource"),
    ({"op": "event_updated", "event": "opening", "set": {"colour": "red"}}, "changes[0].set.colour",
     "not a field"),
    ({"op": "event_added", "event": {"id": "opening", "duration_minutes": 30}}, "changes[0].event.id",
     "already exists"),
    ({"op": "day_added", "day": {"date": "2025-10-25", "start": "09:00", "end": "12:00"}},
     "changes[0].day.date", "already part"),
])
def test_bad_reference_names_field_and_value(tiny: Scenario, change: dict[str, Any], path: str,
                                            words: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        applied(tiny, change)
    [problem] = caught.value.problems
    assert problem.path == path and words in problem.message


def test_unknown_op_and_missing_fields_are_listed() -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_changes([{"op": "teleport"}, {"op": "room_closed", "room": "hall"}])
    paths = [p.path for p in caught.value.problems]
    assert "changes[0]" in paths
    assert "changes[1].start" in paths and "changes[1].end" in paths


def test_change_that_breaks_the_scenario_is_reported(tiny: Scenario) -> None:
    with pytest.raises(ScenarioError) as caught:
        applied(tiny, {"op": "event_updated", "event": "opening", "set": {"duration_minutes": 20}})
    assert any("duration_minutes" in p.path for p in caught.value.problems)


def test_an_explanations_levers_are_changes_applied_and_described_like_any_other(tiny: Scenario) -> None:
    """An earlier arrival adds to the participant's windows (merged with the one it touches); one more event a day
    sets the limit; both say themselves; an unknown participant is refused with its path."""
    from datetime import datetime

    from solver.changes import AvailableAlso, DailyLimitRaised

    start = datetime.fromisoformat("2025-10-25T09:00")
    earlier = AvailableAlso(participant="fra-hod", start=start, end=datetime.fromisoformat("2025-10-25T10:00"))
    limit = DailyLimitRaised(participant="un-sg", max_events_per_day=3)
    new = apply_changes(tiny, [earlier, limit])
    [window] = next(p for p in new.participants if p.id == "fra-hod").available or []
    assert (window.start.strftime("%H:%M"), window.end.strftime("%H:%M")) == ("09:00", "12:00")
    assert next(p for p in new.participants if p.id == "un-sg").max_events_per_day == 3
    assert earlier.describe(tiny) == "fra-hod is also available 09:00 on 25 Oct-10:00"
    assert limit.describe(tiny) == "un-sg may attend 3 events a day"
    with pytest.raises(ScenarioError) as error:
        apply_changes(tiny, [DailyLimitRaised(participant="nobody", max_events_per_day=1)])
    assert error.value.problems[0].path == "changes[0].participant"


def test_each_change_says_whether_it_may_open_capacity(tiny: Scenario) -> None:
    """The re-plan asks each change (no dispatch on types): a closure or a delay only takes, a reopened room or a
    higher capacity gives, a lower capacity or a new title does not."""
    from solver.replan.change import opens_capacity

    def opens(change: dict[str, Any]) -> bool:
        [parsed] = parse_changes([change])
        return opens_capacity(tiny, apply_changes(tiny, [parsed]), parsed)

    assert not opens({"op": "room_closed", "room": "bil-1", "start": "2025-10-25T10:00", "end": "2025-10-25T11:00"})
    assert not opens({"op": "participant_delayed", "participant": "un-sg", "arrival": "2025-10-25T10:00"})
    assert opens({"op": "resource_capacity", "resource": "interp-fr", "capacity": 2})
    assert not opens({"op": "resource_capacity", "resource": "interp-fr", "capacity": 0})
    assert not opens({"op": "event_updated", "event": "bil-vnm-fra", "set": {"title": "VNM - FRA"}})
    assert opens({"op": "event_cancelled", "event": "bil-vnm-fra"})
