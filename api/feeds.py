"""Calendar feeds of a summit's published plan: built once per publication, stored, served with an ETag.

A delegation subscribes to its calendar and each member's; calendar applications poll them, and after a
publish they all ask at once. So a feed of the published plan is built once per publication: right after the
publish (``build_after_publish``: a thread builds the feeds of every delegation that has a liaison key, and the publish
answers when they are built, or after ``PUBLISH_WAITS_S`` while the thread goes on), else by the first
request that asks for it (others asking for the same feed meanwhile wait for that one). It is stored
(``calendar_feeds``: one row per summit and audience, the newest publication's), remembered in memory, and
served as it is: a request reads the summit's newest publication and the feed, and builds nothing. A client
that sends the feed's ETag back (``If-None-Match``) is answered 304 Not Modified.

A publication's feed is the same file however often and wherever it is built (its DTSTAMP is the publication's
time): two servers building it at once store the same bytes. SEQUENCE and cancellations are those of
``published_events`` (issue 25: SEQUENCE never decreases, a dropped event goes out cancelled once).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from api.calendars import agenda_ics, visible_items
from api.lookups import is_id, timetable_with_scenario
from api.store.models import ApiKey, CalendarFeed, Publication
from api.store.repository import Repository

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Feed:
    """A feed as served: whose liaisons may read it, the iCalendar file and its ETag."""

    delegation: str
    body: bytes
    etag: str


@dataclass(frozen=True)
class PublishedPlan:
    """The summit's newest publication: its number, the timetable it published and when."""

    publication_id: int
    timetable_id: str
    published_at: datetime


class NoFeed(Exception):
    """No such feed in the published plan: the delegation has no member there, or the participant is not its."""


def audience(delegation: str, participant_id: str | None = None) -> str:
    return f"participant:{participant_id}" if participant_id is not None else f"delegation:{delegation}"


def newest_publication(repo: Repository, scenario_id: str) -> PublishedPlan | None:
    """The summit's published plan as its newest publication says (None before the first publish)."""
    with repo.session() as s:
        row = s.execute(select(Publication.id, Publication.timetable_id, Publication.published_at)
                        .where(Publication.scenario_id == scenario_id)
                        .order_by(Publication.id.desc()).limit(1)).first()
    return PublishedPlan(row[0], row[1], row[2]) if row is not None else None


def published_feed(repo: Repository, scenario_id: str, delegation: str,
                   participant_id: str | None = None) -> Feed | None:
    """The delegation's feed (or its member ``participant_id``'s) of the summit's published plan: remembered,
    else as stored for this publication, else built and stored. None when there is no such feed (no summit, no
    publish yet, not a member of the delegation): the caller says why."""
    plan = newest_publication(repo, scenario_id) if is_id(scenario_id) else None
    if plan is None:
        return None
    who = audience(delegation, participant_id)
    try:
        feed = repo.derived(f"feed:{scenario_id}:{plan.publication_id}:{who}",
                            lambda: _stored_or_built(repo, scenario_id, plan, delegation, participant_id))
    except NoFeed:
        return None
    return feed if feed.delegation == delegation else None  # another delegation's member: not this liaison's


def _stored_or_built(repo: Repository, scenario_id: str, plan: PublishedPlan, delegation: str,
                     participant_id: str | None) -> Feed:
    with repo.session() as s:
        stored = s.get(CalendarFeed, (scenario_id, audience(delegation, participant_id)))
    if stored is not None and stored.publication_id == plan.publication_id:
        return Feed(stored.delegation, stored.body, stored.etag)
    feed = build_feed(repo, plan, delegation, participant_id)
    store_feeds(repo, scenario_id, plan.publication_id, {audience(delegation, participant_id): feed})
    return feed


def build_feed(repo: Repository, plan: PublishedPlan, delegation: str, participant_id: str | None = None) -> Feed:
    """The feed made afresh from the published timetable: the delegation's members' agenda (or one member's),
    other delegations' attendees shown by delegation and title, with SEQUENCE and cancellations as told."""
    row = repo.get_timetable(plan.timetable_id)
    if row is None:
        raise NoFeed(plan.timetable_id)
    scenario, timetable = timetable_with_scenario(repo, row)
    members = [p for p in scenario.participants if p.delegation == delegation]
    person = next((p for p in members if p.id == participant_id), None)
    if not members or (participant_id is not None and person is None):
        raise NoFeed(audience(delegation, participant_id))
    who = {person.id} if person is not None else {p.id for p in members}
    visible = {p.id for p in members}
    title = f"{scenario.name}: {person.name or person.id if person is not None else delegation}"
    body = agenda_ics(repo, row, scenario, visible_items(scenario, timetable, who, visible), who, visible, title,
                      stamp=plan.published_at, mark=f"published-{plan.publication_id}")
    return Feed(delegation, body, f'"{hashlib.sha256(body).hexdigest()[:32]}"')


def store_feeds(repo: Repository, scenario_id: str, publication_id: int, feeds: dict[str, Feed]) -> None:
    """Keep the feeds (by audience) of the summit, in one transaction, unless a newer publication's is stored."""
    if not feeds:
        return
    try:
        with repo.session() as s:
            stored = {row.audience: row for row in s.scalars(select(CalendarFeed).where(
                CalendarFeed.scenario_id == scenario_id, CalendarFeed.audience.in_(feeds)).with_for_update())}
            for who, feed in feeds.items():
                row = stored.get(who)
                if row is None:
                    s.add(CalendarFeed(scenario_id=scenario_id, audience=who, publication_id=publication_id,
                                       delegation=feed.delegation, etag=feed.etag, body=feed.body))
                elif row.publication_id < publication_id:
                    row.publication_id, row.delegation, row.etag, row.body = (publication_id, feed.delegation,
                                                                              feed.etag, feed.body)
            s.commit()
    except IntegrityError:  # another server stored one of them first: the same files; the next asker stores the rest
        pass


def build_published_feeds(repo: Repository, scenario_id: str) -> int:
    """Build and store the feeds of the summit's published plan for every delegation with a liaison key (its
    calendar and each member's; those stored already are left), a delegation's in one transaction; stops when a
    newer publish makes them out of date. Returns how many were built."""
    plan = newest_publication(repo, scenario_id)
    row = repo.get_timetable(plan.timetable_id) if plan is not None else None
    if plan is None or row is None:
        return 0
    scenario, _ = timetable_with_scenario(repo, row)
    with repo.session() as s:
        liaisons = set(s.scalars(select(ApiKey.delegation).where(ApiKey.role == "liaison",
                                                                  ApiKey.revoked.is_(False)).distinct()))
        stored = set(s.scalars(select(CalendarFeed.audience).where(
            CalendarFeed.scenario_id == scenario_id, CalendarFeed.publication_id == plan.publication_id)))
    built = 0
    for code in sorted({p.delegation for p in scenario.participants if p.delegation} & liaisons):
        newest = newest_publication(repo, scenario_id)
        if newest is None or newest.publication_id != plan.publication_id:
            break  # published again: that publish builds its own
        feeds = {}
        for member in [None, *(p.id for p in scenario.participants if p.delegation == code)]:
            who = audience(code, member)
            if who not in stored:
                feeds[who] = repo.derived(f"feed:{scenario_id}:{plan.publication_id}:{who}",
                                          partial(build_feed, repo, plan, code, member))
        store_feeds(repo, scenario_id, plan.publication_id, feeds)
        built += len(feeds)
    return built


PUBLISH_WAITS_S = 3.0  # the longest a publish waits for its feeds (~0.4 s of CPU for 30 delegations' 69 feeds)


def build_after_publish(repo: Repository, scenario_id: str, wait_s: float = PUBLISH_WAITS_S) -> threading.Thread:
    """Build the published plan's feeds in a thread of their own, right after a publish, and wait for them at most
    ``wait_s``: subscribers polling as the publish answers read stored feeds; a larger summit's publish does not
    wait longer (a feed asked for meanwhile is built by whoever comes first, once)."""

    def build() -> None:
        try:
            build_published_feeds(repo, scenario_id)
        except Exception:  # a feed left unbuilt is built by its first request
            log.exception("building the calendar feeds of summit %s", scenario_id)

    thread = threading.Thread(target=build, name=f"feeds-{scenario_id[:8]}", daemon=True)
    thread.start()
    thread.join(wait_s)
    return thread
