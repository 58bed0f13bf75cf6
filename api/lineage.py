"""Which timetable of a summit is the current one, which re-plans led to a timetable, and what replaced it.

A summit (a scenario, with its versions) gathers timetables: solves, and re-plans whose parent is the
timetable they changed. They are drafts: the summit's **current** timetable is the one a planner published
(``api/publishing.py``), none before the first publish; an older one is **superseded** by it. Liaisons and
calendar subscriptions always follow the published one.
"""

from __future__ import annotations

from api.store.models import SummitState, TimetableRow
from api.store.repository import Repository
from solver.scenario import Event, Scenario
from solver.timetable import Timetable

USABLE = ("optimal", "feasible")
_MAX_CHAIN = 500  # re-plans of one timetable line; a guard against a cycle in bad data


def current_timetable(repo: Repository, scenario_id: str) -> TimetableRow | None:
    """The summit's published timetable (read each time: a planner may have just published another)."""
    with repo.session() as s:
        state = s.get(SummitState, scenario_id)
        published = state.published_timetable_id if state is not None else None
    return repo.get_timetable(published) if published else None


def superseded_by(repo: Repository, row: TimetableRow) -> TimetableRow | None:
    """The current timetable when it is not ``row`` and newer than it, else None."""
    current = current_timetable(repo, row.scenario_id)
    if current is None or current.id == row.id or current.created_at < row.created_at:
        return None
    return current


def chain(repo: Repository, row: TimetableRow) -> list[TimetableRow]:
    """The timetable and the ones it re-planned, oldest first (a fresh solve starts a chain)."""
    rows = [row]
    seen = {row.id}
    while rows[-1].parent_timetable_id and len(rows) < _MAX_CHAIN:
        parent = repo.get_timetable(rows[-1].parent_timetable_id)
        if parent is None or parent.id in seen:
            break
        rows.append(parent)
        seen.add(parent.id)
    return rows[::-1]


def chain_models(repo: Repository, row: TimetableRow) -> tuple[list[Timetable], dict[str, Event]]:
    """The chain's timetables, and every event any of its scenario versions had (the newest version wins):
    a cancelled event is gone from the newest scenario, but its calendar entry must still be cancelled."""
    timetables: list[Timetable] = []
    events: dict[str, Event] = {}
    for link in chain(repo, row):
        if link.id != row.id and link.status not in USABLE:
            continue  # a re-plan without a repair left the timetable before it in force: it cancels nothing
        version = repo.version_by_id(link.scenario_version_id)
        assert version is not None
        scenario: Scenario = repo.scenario_model(version)
        events.update({e.id: e for e in scenario.events})
        timetables.append(repo.timetable_model(link))
    return timetables, events


def events_named(repo: Repository, row: TimetableRow, wanted: set[str]) -> dict[str, Event]:
    """The events ``wanted`` as the newest scenario version of the timetable's line that had them: read from
    the timetable's own version first, then back along its re-plans only until every one is found (a feed
    after hundreds of re-plans reads what it needs, not the whole history)."""
    found: dict[str, Event] = {}
    link: TimetableRow | None = row
    seen: set[str] = set()
    while link is not None and len(found) < len(wanted) and link.id not in seen and len(seen) < _MAX_CHAIN:
        seen.add(link.id)
        version = repo.version_by_id(link.scenario_version_id)
        if version is not None and (link.id == row.id or link.status in USABLE):  # as chain_models
            missing = wanted - set(found)
            document_events = version.document.get("events", []) if isinstance(version.document, dict) else []
            if any(isinstance(e, dict) and e.get("id") in missing for e in document_events):
                scenario: Scenario = repo.scenario_model(version)  # parsed only when it has what is missing
                found.update({e.id: e for e in scenario.events if e.id in missing})
        link = repo.get_timetable(link.parent_timetable_id) if link.parent_timetable_id else None
    return found
