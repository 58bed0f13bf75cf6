"""The timetable contract: what the solver returns. Never imports ortools."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["optimal", "feasible", "infeasible", "unknown"]


class TimetableModel(BaseModel):
    # Timetables may carry fields added by later versions: keep them, do not fail.
    model_config = ConfigDict(extra="allow")


class ScenarioRef(TimetableModel):
    name: str
    fingerprint: str


class Assignment(TimetableModel):
    event: str
    room: str
    start: datetime
    end: datetime
    confirmed: bool = False


class Unscheduled(TimetableModel):
    event: str
    reason: str
    code: str = "not_selected"


class Diagnostic(TimetableModel):
    code: str
    message: str
    events: list[str] = Field(default_factory=list)
    participants: list[str] = Field(default_factory=list)
    rooms: list[str] = Field(default_factory=list)


class Timetable(TimetableModel):
    scenario: ScenarioRef
    status: Status
    objective: int = 0
    bound: int | None = None
    solve_seconds: float = 0.0
    assignments: list[Assignment] = Field(default_factory=list)
    unscheduled: list[Unscheduled] = Field(default_factory=list)
    diagnostics: list[Diagnostic] = Field(default_factory=list)

    def assignment_of(self, event_id: str) -> Assignment | None:
        for assignment in self.assignments:
            if assignment.event == event_id:
                return assignment
        return None

    def to_document(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def load_timetable(path: str | Path) -> Timetable:
    import yaml

    text = Path(path).read_text(encoding="utf-8")
    data = json.loads(text) if text.lstrip().startswith("{") else yaml.safe_load(text)
    return Timetable.model_validate(data)


def dump_timetable(timetable: Timetable, path: str | Path) -> None:
    Path(path).write_text(json.dumps(timetable.to_document(), indent=2, ensure_ascii=False) + "\n",
                          encoding="utf-8")
