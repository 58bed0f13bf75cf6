"""Which timetable of a summit is the current one, which re-plans led to a timetable, and what replaced it.

A summit (a scenario, with its versions) gathers timetables: solves, and re-plans whose parent is the
timetable they changed. They are drafts: the summit's **current** timetable is the one a planner published
(``api/publishing.py``), none before the first publish; an older one is **superseded** by it. Liaisons and
calendar subscriptions always follow the published one.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from api.store.models import ScenarioVersion, SummitState, TimetableRow
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
    """The events ``wanted`` as the newest scenario version of the timetable's line that had them: the
    timetable's own version first, then back along its re-plans (usable ones, as ``chain_models``) until every
    one is found. Only the line's ids and each version's changes are read; a version's document is read
    only when the changes made from it name a missing event (or are unknown): a feed after hundreds of
    re-plans parses the few versions that had its cancelled events, not the whole history."""
    links, versions = _line_index(repo, row.scenario_id)
    found: dict[str, Event] = {}
    link: tuple[str | None, str, str] | None = (row.parent_timetable_id, row.scenario_version_id, row.status)
    newer: tuple[int, int | None, list[Any] | None] | None = None  # the version read before, newer
    seen: set[str] = {row.id}
    first = True
    while link is not None and len(found) < len(wanted) and len(seen) < _MAX_CHAIN:
        parent, version_id, status = link
        info = versions.get(version_id)
        if info is not None and (first or status in USABLE) and _may_have(info, newer, wanted - set(found)):
            found.update(_events_of(repo, version_id, wanted - set(found)))
            newer = info
        elif info is not None and (first or status in USABLE):
            newer = info
        first = False
        if parent is None or parent in seen or parent not in links:
            break
        seen.add(parent)
        link = links[parent]
    return found


def _line_index(repo: Repository, scenario_id: str) -> tuple[dict[str, tuple[str | None, str, str]],
                                                              dict[str, tuple[int, int | None, list[Any] | None]]]:
    """The summit's timetables (parent, version, status) and versions (number, parent number, changes), without
    their documents."""
    with repo.session() as s:
        links = {t.id: (t.parent_timetable_id, t.scenario_version_id, t.status) for t in s.execute(
            select(TimetableRow.id, TimetableRow.parent_timetable_id, TimetableRow.scenario_version_id,
                   TimetableRow.status).where(TimetableRow.scenario_id == scenario_id))}
        versions = {v.id: (v.version, v.parent_version, v.changes) for v in s.execute(
            select(ScenarioVersion.id, ScenarioVersion.version, ScenarioVersion.parent_version,
                   ScenarioVersion.changes).where(ScenarioVersion.scenario_id == scenario_id))}
    return links, versions


def _may_have(older: tuple[int, int | None, list[Any] | None], newer: tuple[int, int | None, list[Any] | None] | None,
              missing: set[str]) -> bool:
    """Whether version ``older`` may define an event of ``missing`` that version ``newer`` (made from it by its
    changes; None: none read yet) lacks. Only a change naming an event takes one away (``event_cancelled``)."""
    if newer is None:
        return True
    if newer[0] == older[0]:
        return False  # the same version: read already
    if newer[1] != older[0] or newer[2] is None:
        return True  # not made from it by known changes: read it
    named = json.dumps(newer[2])
    return any(json.dumps(event) in named for event in missing)


def _events_of(repo: Repository, version_id: str, missing: set[str]) -> dict[str, Event]:
    """The ``missing`` events the version defines (only those parsed: a stored version is valid already)."""
    version = repo.version_by_id(version_id)
    events = version.document.get("events") if version is not None and isinstance(version.document, dict) else None
    return {e["id"]: Event.model_validate(e) for e in events or []
            if isinstance(e, dict) and e.get("id") in missing}
