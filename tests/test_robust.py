"""The robust solve: protective buffers after events likely to overrun, priced below every request."""

from __future__ import annotations

from solver.scenario import Scenario
from solver.solve import SolveConfig, solve
from solver.validate import validate_timetable
from tests.builders import event, scenario


def _summit(**fields: object) -> Scenario:
    return scenario(days=[{"date": "2025-10-25", "start": "09:00", "end": "11:00"}],
                    events=[event("open", 30, ("a",), kind="high_level"),
                            event("bil", 30, ("a", "b"), kind="bilateral", required=False, priority=3),
                            event("x", 30, ("b",))], **fields)


def _start(model: Scenario, robust: bool | None) -> dict[str, str]:
    timetable = solve(model, config=SolveConfig(time_limit=10, robust=robust, lp_bound=False)).timetable
    assert validate_timetable(model, timetable) == []
    return {a.event: f"{a.start:%H:%M}" for a in timetable.assignments}


def test_the_robust_solve_keeps_a_buffer_after_the_ceremony_and_breaks_no_rule() -> None:
    model = _summit()
    plain, robust = _start(model, False), _start(model, True)
    assert set(plain) == set(robust) == {"open", "bil", "x"}  # the buffer costs no request
    # a's meeting does not follow straight after the opening ceremony, which overruns one time in two:
    # 30 minutes of buffer (70 % of its overruns end within 18 minutes, rounded up to whole slots)
    assert robust["bil"] < robust["open"] or _minutes(robust["bil"]) - _minutes(robust["open"]) >= 60
    assert robust == _start(model.model_copy(update={"overruns": model.overrun_model.model_copy(
        update={"robust": True})}), None)  # the scenario's setting is the default


def _minutes(hhmm: str) -> int:
    return int(hhmm[:2]) * 60 + int(hhmm[3:])


def _table(model: Scenario, robust: bool):  # type: ignore[no-untyped-def]
    return solve(model, config=SolveConfig(time_limit=10, robust=robust, lp_bound=False)).timetable


def test_a_request_is_never_given_up_for_a_buffer() -> None:
    # two hours, four half-hour events for a: no room for any buffer without dropping the bilateral
    model = scenario(days=[{"date": "2025-10-25", "start": "09:00", "end": "11:00"}],
                     events=[event("open", 30, ("a",), kind="high_level"), event("round", 30, ("a",),
                                                                                 kind="round_table"),
                             event("bil", 30, ("a", "b"), kind="bilateral", required=False, priority=1),
                             event("brief", 30, ("a",))])
    timetable = _table(model, True)
    assert validate_timetable(model, timetable) == []
    assert timetable.objective == 1 and len(timetable.assignments) == 4
