"""Draft and published timetables: what delegations see is the summit's **published** plan only.

Solves and re-plans produce drafts. ``publish`` makes one the summit's plan, in one transaction:

1. the draft must be usable (optimal or feasible);
2. it must be based on the published plan (the published timetable is the draft itself or among the
   timetables it re-planned), or name it as its ``base``: a draft made from an older plan would silently undo
   what was published since (a lost update), so it is refused (409) naming the current one;
3. it must not move or drop an event that has started (or ended) by the summit's clock, unless the planner
   says so (``allow_past_changes``);
4. the summit's published timetable changes by a compare-and-set on the one read in 2: of two planners
   publishing on the same base, one wins and the other is refused (409);
5. each event's place and SEQUENCE are kept in ``published_events``: SEQUENCE never decreases; an event the
   new plan drops stays there cancelled (its cancellation goes out once, with the next SEQUENCE).

It returns what changed (moved, dropped, added per delegation) for the notices (``api/notices``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.clock import summit_now
from api.lineage import USABLE, chain
from api.notices.outbox import write_for_publish
from api.store.models import Publication, PublishedEvent, SummitState, TimetableRow, utcnow
from api.store.repository import Repository
from solver.compile import Waivers
from solver.diff import TimetableDiff, diff_timetables
from solver.scenario import Scenario
from solver.timetable import Assignment, Timetable
from solver.validate import validate_timetable


class PublishRefused(Exception):
    """Why a publish (or a re-plan on a stale base) is refused: status, code, message and the details."""

    def __init__(self, status: int, code: str, message: str, details: list[Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details or []


@dataclass
class PublishOutcome:
    """What one publish changed, for the answer and the notices."""

    scenario_id: str
    timetable_id: str
    previous_timetable_id: str | None
    published_at: datetime
    diff: TimetableDiff | None  # from the previous published plan; None for the first publish
    sequences: dict[str, int] = field(default_factory=dict)  # every event's SEQUENCE after this publish
    cancelled: list[str] = field(default_factory=list)  # events going out CANCELLED with this publish
    past_changes: list[str] = field(default_factory=list)  # started events moved, when the planner allowed it
    broken_rules: list[str] = field(default_factory=list)  # the validator's findings (expected: none)
    unchanged: bool = False  # the timetable was already the published one
    notices: dict[str, int] = field(default_factory=dict)  # delegation -> the notice written for it (api/notices)

    def to_dict(self) -> dict[str, Any]:
        return {"scenario_id": self.scenario_id, "timetable_id": self.timetable_id,
                "previous_timetable_id": self.previous_timetable_id, "published_at": self.published_at.isoformat(),
                "diff": self.diff.to_dict() if self.diff is not None else None, "cancelled": self.cancelled,
                "past_changes": self.past_changes, "broken_rules": self.broken_rules, "unchanged": self.unchanged,
                "notices": self.notices,
                "by_delegation": self.diff.by_delegation if self.diff is not None else {}}


# ------------------------------------------------------------------------------------------- reading


def published_timetable_id(repo: Repository, scenario_id: str) -> str | None:
    """The summit's published timetable (read each time: another planner may have just published)."""
    with repo.session() as s:
        state = s.get(SummitState, scenario_id)
        return state.published_timetable_id if state is not None else None


def stored_clock(repo: Repository, scenario_id: str) -> str | None:
    with repo.session() as s:
        state = s.get(SummitState, scenario_id)
        return state.clock if state is not None else None


def set_clock(repo: Repository, scenario_id: str, setting: str | None) -> None:
    with repo.session() as s:
        state = s.get(SummitState, scenario_id) or SummitState(scenario_id=scenario_id)
        state.clock = setting
        s.add(state)
        s.commit()


def publication_mark(repo: Repository, row: TimetableRow) -> str:
    """Tells a published timetable's exports apart from one publish to the next (their SEQUENCE differ)."""
    with repo.session() as s:
        state = s.get(SummitState, row.scenario_id)
        if state is None or state.published_timetable_id != row.id:
            return "draft"
        last = s.scalar(select(Publication.id).where(Publication.scenario_id == row.scenario_id)
                        .order_by(Publication.id.desc()).limit(1))
        return f"published-{last}"


def was_published(repo: Repository, row: TimetableRow) -> bool:
    with repo.session() as s:
        return s.scalar(select(Publication.id).where(Publication.timetable_id == row.id).limit(1)) is not None


def published_events(repo: Repository, scenario_id: str) -> dict[str, PublishedEvent]:
    with repo.session() as s:
        rows = s.scalars(select(PublishedEvent).where(PublishedEvent.scenario_id == scenario_id))
        return {row.event_id: row for row in rows}


def based_on(repo: Repository, row: TimetableRow, published: str | None) -> bool:
    """True when ``row`` includes the published plan: it is it, or it re-planned it (directly or not)."""
    return published is None or any(link.id == published for link in chain(repo, row))


def check_base(repo: Repository, row: TimetableRow, base: str | None) -> str | None:
    """Refuse (409) a draft or re-plan not based on the summit's published plan; return the published id.
    ``base`` (or If-Match) is the published timetable the caller saw: it must still be the published one."""
    published = published_timetable_id(repo, row.scenario_id)
    if base is not None and base != published:
        raise PublishRefused(409, "stale_base", f"the base {base} is no longer the summit's published plan: "
                             f"{published or 'nothing'} is; re-plan on it or ask to rebase",
                             [{"path": "base", "value": base, "message": f"the published plan is {published}"}])
    if base is None and not based_on(repo, row, published):
        raise PublishRefused(409, "stale_base", f"timetable {row.id} is not based on the summit's published plan "
                             f"{published}: publishing or re-planning it would undo what was published since; "
                             "re-plan on the published plan, ask to rebase, or name it as the base to replace it",
                             [{"path": "base", "value": None, "message": f"the published plan is {published}"}])
    return published


# ------------------------------------------------------------------------------------------ publishing


def publish(repo: Repository, timetable_id: str, *, allow_past_changes: bool = False, base: str | None = None,
            by: str | None = None, service_clock: str | None = None) -> PublishOutcome:
    """Make the draft ``timetable_id`` the summit's published plan (the module's docstring says the rules)."""
    row = repo.get_timetable(timetable_id)
    if row is None:
        raise PublishRefused(404, "not_found", f"no timetable with id {timetable_id!r}")
    refuse_cancelled(repo, row)
    if row.status not in USABLE:
        raise PublishRefused(409, "not_publishable", f"timetable {row.id} is {row.status}: only an optimal or "
                             "feasible timetable can be published")
    published = check_base(repo, row, base)
    scenario, timetable = _models(repo, row)
    now = summit_now(stored_clock(repo, row.scenario_id), service_clock)
    if published == row.id:
        return PublishOutcome(row.scenario_id, row.id, published, now, None, unchanged=True)
    known = published_events(repo, row.scenario_id)
    past = past_changes(known, timetable, now)
    if past and not allow_past_changes:
        raise PublishRefused(409, "past_events_changed", f"publishing {row.id} would change events that have "
                             f"started or ended by the summit's clock ({now.isoformat()}): {', '.join(past)}; "
                             "publish with allow_past_changes to do it anyway",
                             [{"path": "allow_past_changes", "value": e, "message": "started or ended"}
                              for e in past])
    earlier, before = _published_models(repo, published)
    outcome = _record(repo, row, published, (scenario, earlier, before, timetable), by, past)
    if before is not None:
        outcome.diff = diff_timetables(scenario, before, timetable, earlier)  # (cancelled events' people too)
    outcome.broken_rules = [v.message for v in validate_timetable(scenario, timetable, *excused(repo, row))]
    return outcome


def refuse_cancelled(repo: Repository, row: TimetableRow) -> None:
    """A timetable whose solve or re-plan was cancelled (``DELETE /jobs/{id}``; it kept its best timetable) is never
    published, by any path (publish, a proposal's accept, a rebase)."""
    job = repo.get_job(row.job_id) if row.job_id else None
    if job is not None and (job.status == "cancelled" or job.cancel_requested):
        raise PublishRefused(409, "cancelled", f"the re-plan {job.id} that made timetable {row.id} was cancelled: "
                             "a cancelled re-plan is never published")


def excused(repo: Repository, row: TimetableRow) -> tuple[set[str], set[str], set[str], list[list[str]], set[str],
                                                          set[str]]:
    """What the re-plans that led to ``row`` said the validator must not ask of their events, in one walk of the
    chain: the events whose own time window a report waived (they ran long), those run shorter than planned
    (within their minimum duration), the required events a report's proposal could not keep (each named in
    its notes: publishing one is the planner's decision), the pairs of events a running event's overrun into
    one that cannot move lets break a rule between them (each named in its notes), the running events an overrun
    keeps past the end of their people's availability, and those it keeps past their day's close (each named in its
    notes)."""
    waived: set[str] = set()
    shortened: set[str] = set()
    given_up: set[str] = set()
    overlaps: list[list[str]] = []
    kept: set[str] = set()
    past_close: set[str] = set()
    for link in chain(repo, row):
        job = repo.get_job(link.job_id) if link.job_id else None
        result = (job.result or {}) if job is not None else {}
        waived.update(result.get("waived", []))
        shortened.update(result.get("shortened", []))
        given_up.update(result.get("given_up", []))
        overlaps += result.get("overlaps_waived", [])
        kept.update(result.get("availability_waived", []))
        past_close.update(result.get("day_close_waived", []))
    return waived, shortened, given_up, overlaps, kept, past_close


def waivers_of(repo: Repository, row: TimetableRow) -> Waivers:
    """What the re-plans that led to ``row`` waived after reports, for a compile of its summit (an explanation of it
    sees the summit they solved): the running events (kept past their people's availability, or run into what cannot
    move) and what they ran into."""
    _, _, _, overlaps, kept, past_close = excused(repo, row)
    pairs = [pair for pair in overlaps if len(pair) == 2]
    return Waivers(frozenset(kept | past_close | {running for running, _ in pairs}),
                   frozenset(other for _, other in pairs))


def _published_models(repo: Repository, published: str | None) -> tuple[Scenario | None, Timetable | None]:
    """The plan published until now and its scenario version (which knows the events a change removed)."""
    if published is None:
        return None, None
    old_row = repo.get_timetable(published)
    assert old_row is not None
    return _models(repo, old_row)


def _models(repo: Repository, row: TimetableRow) -> tuple[Scenario, Timetable]:
    version = repo.version_by_id(row.scenario_version_id)
    assert version is not None
    return repo.scenario_model(version), repo.timetable_model(row)


def past_changes(known: dict[str, PublishedEvent], timetable: Timetable, now: datetime) -> list[str]:
    """Events published as started by ``now`` that ``timetable`` moves, puts in another room or drops. A new
    end is not a move: an event reported running late (or ended early) ends when it does."""
    placed = {a.event: a for a in timetable.assignments}
    changed = []
    for event_id, told in sorted(known.items()):
        if told.cancelled or told.start > now:
            continue
        new = placed.get(event_id)
        if new is None or (new.start, new.room) != (told.start, told.room):  # its end follows the reports
            changed.append(event_id)
    return changed


def _record(repo: Repository, row: TimetableRow, published: str | None,
            plans: tuple[Scenario, Scenario | None, Timetable | None, Timetable], by: str | None,
            past: list[str]) -> PublishOutcome:
    """The compare-and-set, the events' SEQUENCE, the publication and the delegations' notices (``plans``: the
    scenario, the plan published until now with its scenario, and the new one), in one transaction."""
    scenario, earlier, before, timetable = plans
    at = utcnow()
    try:
        with repo.session() as s:
            if not _swap(s, row, published, at):
                s.rollback()
                raise _lost(repo, row)
            sequences, cancelled = _tell_events(s, row.scenario_id, timetable)
            publication = Publication(scenario_id=row.scenario_id, timetable_id=row.id,
                                      previous_timetable_id=published, published_at=at, published_by=by,
                                      past_changes=past or None)
            s.add(publication)
            s.flush()
            notices = write_for_publish(s, summit_id=row.scenario_id, before=before, after=timetable,
                                        scenario=scenario, publish_id=f"publication-{publication.id}",
                                        before_scenario=earlier)
            told = {notice.delegation: notice.id for notice in notices}
            s.commit()
    except IntegrityError:  # another planner created the summit's state first: they won
        raise _lost(repo, row) from None
    return PublishOutcome(row.scenario_id, row.id, published, at, None, sequences, cancelled, past, notices=told)


def _swap(session: Session, row: TimetableRow, published: str | None, at: datetime) -> bool:
    """published := row.id, only if it is still ``published`` (False: someone published first)."""
    if published is None and session.get(SummitState, row.scenario_id) is None:
        session.add(SummitState(scenario_id=row.scenario_id, published_timetable_id=row.id, published_at=at))
        session.flush()
        return True
    condition = (SummitState.published_timetable_id.is_(None) if published is None
                 else SummitState.published_timetable_id == published)
    done = session.execute(update(SummitState).where(SummitState.scenario_id == row.scenario_id, condition)
                           .values(published_timetable_id=row.id, published_at=at))
    return done.rowcount == 1  # type: ignore[attr-defined]


def _lost(repo: Repository, row: TimetableRow) -> PublishRefused:
    current = published_timetable_id(repo, row.scenario_id)
    return PublishRefused(409, "stale_base", f"another planner published {current} first: timetable {row.id} "
                          "is no longer based on the summit's published plan; re-plan on it or ask to rebase",
                          [{"path": "base", "value": None, "message": f"the published plan is {current}"}])


def _tell_events(session: Session, scenario_id: str, timetable: Timetable) -> tuple[dict[str, int], list[str]]:
    """Each event's place as told now: SEQUENCE + 1 when it moved, came back or is newly cancelled."""
    rows = {r.event_id: r for r in session.scalars(select(PublishedEvent).where(
        PublishedEvent.scenario_id == scenario_id).with_for_update())}
    placed = {a.event: a for a in timetable.assignments}
    cancelled = []
    for event_id, assignment in placed.items():
        told = rows.get(event_id)
        if told is None:
            session.add(_told(scenario_id, assignment))
        elif told.cancelled or (told.start, told.end, told.room) != (assignment.start, assignment.end,
                                                                     assignment.room):
            told.sequence += 1
            told.cancelled = False
            told.room, told.start, told.end = assignment.room, assignment.start, assignment.end
    for event_id, told in rows.items():
        if event_id not in placed and not told.cancelled:
            told.sequence += 1
            told.cancelled = True
            cancelled.append(event_id)
    sequences = {e: r.sequence for e, r in rows.items()} | {e: 0 for e in placed if e not in rows}
    return sequences, sorted(cancelled)


def _told(scenario_id: str, assignment: Assignment) -> PublishedEvent:
    return PublishedEvent(scenario_id=scenario_id, event_id=assignment.event, sequence=0, room=assignment.room,
                          start=assignment.start, end=assignment.end, cancelled=False)
