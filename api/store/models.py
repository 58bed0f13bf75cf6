"""Tables. Scenarios are versioned (a change adds a version, never edits one); documents are JSON."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def new_id() -> str:
    return uuid.uuid4().hex


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite drops the offset; this puts it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    pass


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    role: Mapped[str] = mapped_column(String(16))
    delegation: Mapped[str | None] = mapped_column(String(64))
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(32))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class ScenarioRow(Base):
    __tablename__ = "scenarios"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(500))
    latest_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(32))


class ScenarioVersion(Base):
    __tablename__ = "scenario_versions"
    __table_args__ = (UniqueConstraint("scenario_id", "version", name="uq_scenario_version"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    scenario_id: Mapped[str] = mapped_column(ForeignKey("scenarios.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(500))
    fingerprint: Mapped[str] = mapped_column(String(80))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    n_events: Mapped[int] = mapped_column(Integer, default=0)
    parent_version: Mapped[int | None] = mapped_column(Integer)
    changes: Mapped[list[Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(32))


class TimetableRow(Base):
    __tablename__ = "timetables"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    scenario_id: Mapped[str] = mapped_column(ForeignKey("scenarios.id"), index=True)
    scenario_version_id: Mapped[str] = mapped_column(ForeignKey("scenario_versions.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    objective: Mapped[int] = mapped_column(Integer, default=0)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    job_id: Mapped[str | None] = mapped_column(String(32))
    parent_timetable_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(16))  # solve | replan
    status: Mapped[str] = mapped_column(String(16), index=True, default="queued")
    scenario_id: Mapped[str] = mapped_column(ForeignKey("scenarios.id"), index=True)
    scenario_version_id: Mapped[str] = mapped_column(ForeignKey("scenario_versions.id"))
    source_timetable_id: Mapped[str | None] = mapped_column(ForeignKey("timetables.id"))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    timetable_id: Mapped[str | None] = mapped_column(String(32))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # On a cluster: the worker running it, its claim on this attempt and when it last said it was alive.
    worker: Mapped[str | None] = mapped_column(String(200))
    claim: Mapped[str | None] = mapped_column(String(32))
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class JobSolve(Base):
    """One (variant, seed) solve of a comparison run on a cluster: its own task, gathered when all are in."""

    __tablename__ = "job_solves"
    __table_args__ = (UniqueConstraint("job_id", "variant", "seed", name="uq_job_solve"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"), index=True)
    variant: Mapped[str] = mapped_column(String(80))
    seed: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued | running | done | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(200))
    claim: Mapped[str | None] = mapped_column(String(32))
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    timetable: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class JobProgress(Base):
    __tablename__ = "job_progress"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"), index=True)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    seconds: Mapped[float] = mapped_column(Float)
    objective: Mapped[int] = mapped_column(Integer)
    bound: Mapped[int | None] = mapped_column(Integer)
    label: Mapped[str | None] = mapped_column(String(200))  # a comparison's variant, a re-plan's step


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)
    key_id: Mapped[str | None] = mapped_column(String(32))
    role: Mapped[str | None] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    status_code: Mapped[int] = mapped_column(Integer)


# ------------------------------------------------------------------ the summit day (migration 0004)


class SummitState(Base):
    """A summit's published plan and its clock. ``published_timetable_id`` changes only by a compare-and-set
    (``api/publishing.py``): two planners publishing on the same base can never both win."""

    __tablename__ = "summit_states"

    scenario_id: Mapped[str] = mapped_column(ForeignKey("scenarios.id"), primary_key=True)
    published_timetable_id: Mapped[str | None] = mapped_column(String(32))
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    clock: Mapped[str | None] = mapped_column(String(80))  # a rehearsal's clock (api/clock.py), None: real time


class Publication(Base):
    """One publish: which timetable became the summit's plan, replacing which one, by whom."""

    __tablename__ = "publications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scenario_id: Mapped[str] = mapped_column(ForeignKey("scenarios.id"), index=True)
    timetable_id: Mapped[str] = mapped_column(String(32))
    previous_timetable_id: Mapped[str | None] = mapped_column(String(32))
    published_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    published_by: Mapped[str | None] = mapped_column(String(32))
    past_changes: Mapped[list[Any] | None] = mapped_column(JSON)  # events moved after they started, when allowed


class PublishedEvent(Base):
    """An event as delegations were last told: its place and SEQUENCE (never decreasing across publishes); a
    dropped event is kept, cancelled, so its cancellation goes out once with the next SEQUENCE."""

    __tablename__ = "published_events"

    scenario_id: Mapped[str] = mapped_column(ForeignKey("scenarios.id"), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    room: Mapped[str] = mapped_column(String(200))
    start: Mapped[datetime] = mapped_column(UtcDateTime())
    end: Mapped[datetime] = mapped_column(UtcDateTime())
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)


class CalendarFeed(Base):
    """A calendar feed of a summit's published plan as served (``api/feeds.py``): built once per publication
    (right after it, else at the first request) for one audience, a delegation (``delegation:<code>``) or one of
    its members (``participant:<id>``); served from here with its ETag until the next publication."""

    __tablename__ = "calendar_feeds"

    scenario_id: Mapped[str] = mapped_column(ForeignKey("scenarios.id"), primary_key=True)
    audience: Mapped[str] = mapped_column(String(300), primary_key=True)
    publication_id: Mapped[int] = mapped_column(Integer)
    delegation: Mapped[str] = mapped_column(String(64))  # whose liaisons may read it
    etag: Mapped[str] = mapped_column(String(80))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    built_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Proposal(Base):
    """What the operators reported since the published plan, and the re-plan answering it: open until the
    planner accepts (publishes) or discards it. A report arriving while it is open is folded into it."""

    __tablename__ = "proposals"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    scenario_id: Mapped[str] = mapped_column(ForeignKey("scenarios.id"), index=True)
    base_timetable_id: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | accepted | discarded
    reports: Mapped[list[Any]] = mapped_column(JSON)
    changes: Mapped[list[Any]] = mapped_column(JSON)
    unfreeze: Mapped[list[Any] | None] = mapped_column(JSON)
    job_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

# ------------------------------------------------------------------------------------------------ notices
# What delegations are told when a plan is published (api/notices/): one notice per affected delegation in an
# outbox, one delivery per (notice, subscription) and every attempt of a delivery.


class NoticeSubscription(Base):
    """Where a delegation's notices go: a webhook URL, signed with this subscription's secret."""

    __tablename__ = "notice_subscriptions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    summit_id: Mapped[str] = mapped_column(ForeignKey("scenarios.id"), index=True)
    delegation: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(200))  # the HMAC key; never logged, shown once at creation
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(32))


class Notice(Base):
    """What one publish changed for one delegation, in its words (``document``: subject, lines, changes)."""

    __tablename__ = "notices"
    __table_args__ = (UniqueConstraint("publish_id", "delegation", name="uq_notice_publish_delegation"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    summit_id: Mapped[str] = mapped_column(ForeignKey("scenarios.id"), index=True)
    publish_id: Mapped[str] = mapped_column(String(64), index=True)
    delegation: Mapped[str] = mapped_column(String(64))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class NoticeDelivery(Base):
    """One notice to one subscription: pending until a 2xx answer, claimed by one server at a time (a lease)."""

    __tablename__ = "notice_deliveries"
    __table_args__ = (UniqueConstraint("notice_id", "subscription_id", name="uq_delivery_notice_subscription"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), index=True)
    subscription_id: Mapped[str] = mapped_column(ForeignKey("notice_subscriptions.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True, default="pending")  # pending|delivered|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    claim: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class DeliveryAttempt(Base):
    """Each try of a delivery: when, the answer's status code or the error, how long it took."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("notice_deliveries.id"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
