"""Every read and write of the service. Each write commits before it returns."""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Engine, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer, sessionmaker

from api.store.models import (
    ApiKey,
    AuditEntry,
    Job,
    JobProgress,
    ScenarioRow,
    ScenarioVersion,
    TimetableRow,
    utcnow,
)
from solver.reasons import unscheduled_groups
from solver.scenario import Scenario, parse_scenario
from solver.timetable import Timetable

ROLES = ("admin", "planner", "viewer", "liaison")
KEY_CACHE_SECONDS = 30.0
ACTIVE = ("queued", "running")
FINISHED = ("done", "failed", "cancelled")

T = TypeVar("T")


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class _Lru:
    """A small thread-safe cache for immutable rows parsed into models (versions and timetables never change)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[str, Any] = OrderedDict()
        self.lock = threading.Lock()
        self._making: dict[str, threading.Lock] = {}  # one maker per key at a time

    def get(self, key: str, make: Callable[[], T]) -> T:
        """The remembered value, else ``make()``'s. Requests asking for the same missing value at once (69
        calendar feeds after a publish) wait for one of them to make it rather than each making it."""
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]  # type: ignore[no-any-return]
            making = self._making.setdefault(key, threading.Lock())
        with making:
            with self.lock:
                if key in self.items:
                    self.items.move_to_end(key)
                    return self.items[key]  # type: ignore[no-any-return]
            try:
                value = make()
                with self.lock:
                    self.items[key] = value
                    while len(self.items) > self.size:
                        self.items.popitem(last=False)
            finally:
                with self.lock:
                    self._making.pop(key, None)
        return value


class KeyCache:
    """Keys recently looked up, by the sha256 of their secret, for ``ttl`` seconds: the store stays the truth
    and this only saves a query per request. A revoke drops the key here at once (``forget``); another
    process's cache would hold it for at most ``ttl`` seconds, unless told through Redis
    (``api/revocations.py``: every process forgets a revoked key at once)."""

    def __init__(self, ttl: float = KEY_CACHE_SECONDS, size: int = 10_000) -> None:
        self.ttl = ttl
        self.size = size
        self._items: dict[str, tuple[float, ApiKey]] = {}
        self._forgotten: set[str] = set()  # revoked here: a lookup that raced the revoke must not cache them
        self._lock = threading.Lock()

    def get(self, digest: str) -> ApiKey | None:
        with self._lock:
            cached = self._items.get(digest)
        if cached is not None and time.monotonic() - cached[0] < self.ttl:
            return cached[1]
        return None

    def put(self, digest: str, key: ApiKey) -> None:
        with self._lock:
            if key.id in self._forgotten:
                return
            if len(self._items) >= self.size:
                self._items.clear()
            self._items[digest] = (time.monotonic(), key)

    def forget(self, key_id: str) -> None:
        with self._lock:
            self._forgotten.add(key_id)
            for digest in [d for d, (_, key) in self._items.items() if key.id == key_id]:
                del self._items[digest]

    def clear(self) -> None:
        """Forget every key (a revocation may have been missed): the next lookups read the database."""
        with self._lock:
            self._items.clear()


class Repository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self._scenarios = _Lru(32)
        self._timetables = _Lru(128)
        self._rows = _Lru(256)  # timetables and scenario versions by id: immutable once written
        self._derived = _Lru(256)
        self.keys = KeyCache()

    def session(self) -> Session:
        return self.sessions()

    # ---------------------------------------------------------------- keys

    def create_key(self, role: str, delegation: str | None = None, label: str | None = None,
                   created_by: str | None = None) -> tuple[ApiKey, str]:
        """A new key; the secret is returned once and only its sha256 is stored."""
        secret = "sk_" + secrets.token_urlsafe(32)
        key = ApiKey(key_hash=hash_key(secret), role=role, delegation=delegation, label=label, created_by=created_by)
        with self.session() as s:
            s.add(key)
            s.commit()
        return key, secret

    def known_key(self, secret: str) -> ApiKey | None:
        """A key looked up in the last KEY_CACHE_SECONDS and not revoked since, without touching the database."""
        return self.keys.get(hash_key(secret))

    def forget_keys(self, key_id: str | None = None) -> None:
        """Forget one remembered key (by its id; revoked, as another process says), or all: the next request
        with it reads the database."""
        if key_id is None:
            self.keys.clear()
        else:
            self.keys.forget(key_id)

    def key_by_secret(self, secret: str) -> ApiKey | None:
        """The key with this secret, unless revoked (remembered for KEY_CACHE_SECONDS)."""
        known = self.known_key(secret)
        if known is not None:
            return known
        digest = hash_key(secret)
        with self.session() as s:
            key = s.scalar(select(ApiKey).where(ApiKey.key_hash == digest, ApiKey.revoked.is_(False)))
        if key is not None:
            self.keys.put(digest, key)
        return key

    def list_keys(self) -> list[ApiKey]:
        with self.session() as s:
            return list(s.scalars(select(ApiKey).order_by(ApiKey.created_at)))

    def get_key(self, key_id: str) -> ApiKey | None:
        with self.session() as s:
            return s.get(ApiKey, key_id)

    def active_admins(self) -> int:
        with self.session() as s:
            return int(s.scalar(select(func.count()).select_from(ApiKey)
                                .where(ApiKey.role == "admin", ApiKey.revoked.is_(False))) or 0)

    def revoke_key(self, key_id: str) -> ApiKey | None:
        """Revoke a key (idempotent): refused from now on, here at once (the cache forgets it)."""
        with self.session() as s:
            key = s.get(ApiKey, key_id)
            if key is None:
                return None
            key.revoked = True
            s.commit()
        self.keys.forget(key_id)
        return key

    # ----------------------------------------------------------- scenarios

    def create_scenario(self, scenario: Scenario, created_by: str | None) -> tuple[ScenarioRow, ScenarioVersion]:
        row = ScenarioRow(name=scenario.name, latest_version=1, created_by=created_by)
        with self.session() as s:
            s.add(row)
            s.flush()
            version = _version_row(row.id, 1, scenario, created_by)
            s.add(version)
            s.commit()
        return row, version

    def add_version(self, scenario_id: str, scenario: Scenario, parent_version: int, changes: list[Any],
                    created_by: str | None, session: Session) -> ScenarioVersion:
        """A new version in the caller's transaction (the caller commits)."""
        row = session.get(ScenarioRow, scenario_id, with_for_update=True)
        assert row is not None
        number = (session.scalar(select(func.max(ScenarioVersion.version))
                                 .where(ScenarioVersion.scenario_id == scenario_id)) or 0) + 1
        version = _version_row(scenario_id, number, scenario, created_by)
        version.parent_version = parent_version
        version.changes = changes
        row.latest_version = number
        session.add(version)
        return version

    def list_scenarios(self, limit: int = 100, offset: int = 0) -> list[ScenarioRow]:
        with self.session() as s:
            query = select(ScenarioRow).order_by(ScenarioRow.created_at, ScenarioRow.id).limit(limit).offset(offset)
            return list(s.scalars(query))

    def get_scenario(self, scenario_id: str) -> ScenarioRow | None:
        with self.session() as s:
            return s.get(ScenarioRow, scenario_id)

    def get_version(self, scenario_id: str, version: int, with_document: bool = False) -> ScenarioVersion | None:
        """A version; its (large) document is loaded only when asked for."""
        query = select(ScenarioVersion).where(ScenarioVersion.scenario_id == scenario_id,
                                              ScenarioVersion.version == version)
        if not with_document:
            query = query.options(defer(ScenarioVersion.document, raiseload=True))
        with self.session() as s:
            return s.scalar(query)

    def version_by_id(self, version_id: str) -> ScenarioVersion | None:
        return self._immutable(ScenarioVersion, version_id)

    def _immutable(self, model: type[T], ident: str) -> T | None:
        """A row that never changes once written, remembered; misses are not remembered."""
        key = f"{model.__name__}:{ident}"
        with self._rows.lock:
            if key in self._rows.items:
                return self._rows.items[key]  # type: ignore[no-any-return]
        with self.session() as s:
            row = s.get(model, ident)
        if row is not None:
            self._rows.get(key, lambda: row)
        return row

    def list_versions(self, scenario_id: str) -> list[ScenarioVersion]:
        with self.session() as s:
            return list(s.scalars(select(ScenarioVersion).where(ScenarioVersion.scenario_id == scenario_id)
                                  .options(defer(ScenarioVersion.document, raiseload=True))
                                  .order_by(ScenarioVersion.version)))

    def scenario_model(self, version: ScenarioVersion) -> Scenario:
        """The parsed scenario of a stored version (cached: versions never change)."""
        return self._scenarios.get(version.id, lambda: parse_scenario(version.document))

    # ---------------------------------------------------------- timetables

    def get_timetable(self, timetable_id: str) -> TimetableRow | None:
        return self._immutable(TimetableRow, timetable_id)

    def list_timetables(self, scenario_id: str, limit: int = 100, offset: int = 0) -> list[TimetableRow]:
        with self.session() as s:
            return list(s.scalars(select(TimetableRow).where(TimetableRow.scenario_id == scenario_id)
                                  .options(defer(TimetableRow.document, raiseload=True))
                                  .order_by(TimetableRow.created_at, TimetableRow.id).limit(limit).offset(offset)))

    def timetable_model(self, row: TimetableRow) -> Timetable:
        return self._timetables.get(row.id, lambda: Timetable.model_validate(row.document))

    def derived(self, key: str, make: Callable[[], T]) -> T:
        """A view computed from immutable rows only (an agenda, an export), remembered."""
        return self._derived.get(key, make)

    def timetable_json(self, row: TimetableRow) -> bytes:
        """The contract's Timetable plus ``id``, ``scenario_id`` and ``unscheduled_groups`` (the unscheduled
        requests grouped by cause: cause, count, events), serialised once."""
        return self._timetables.get(f"json:{row.id}", lambda: json.dumps(
            {**row.document, "id": row.id, "scenario_id": row.scenario_id,
             "unscheduled_groups": unscheduled_groups(row.document.get("unscheduled") or [])}, ensure_ascii=False,
            separators=(",", ":")).encode("utf-8"))

    # ---------------------------------------------------------------- jobs

    def create_job(self, kind: str, scenario_id: str, version_id: str, params: dict[str, Any],
                   created_by: str | None, source_timetable_id: str | None = None) -> Job:
        job = Job(kind=kind, status="queued", scenario_id=scenario_id, scenario_version_id=version_id,
                  params=params, created_by=created_by, source_timetable_id=source_timetable_id)
        with self.session() as s:
            s.add(job)
            s.commit()
        return job

    def get_job(self, job_id: str) -> Job | None:
        with self.session() as s:
            return s.get(Job, job_id)

    def list_jobs(self, kind: str, limit: int = 50) -> list[Job]:
        """The newest jobs of one kind first (their results unread: a list shows what was asked)."""
        with self.session() as s:
            return list(s.scalars(select(Job).where(Job.kind == kind).order_by(Job.created_at.desc(), Job.id)
                                  .limit(limit).options(defer(Job.result))))

    def job_progress(self, job: Job, after: int = 0) -> list[JobProgress]:
        """Progress of the job's current attempt, oldest first (``after``: a JobProgress id)."""
        with self.session() as s:
            return list(s.scalars(select(JobProgress).where(JobProgress.job_id == job.id,
                                                            JobProgress.attempt == max(1, job.attempts),
                                                            JobProgress.id > after).order_by(JobProgress.id)))

    def job_states(self, job_ids: list[str]) -> dict[str, tuple[str, int, int]]:
        """Per job: status, attempts and newest progress id, in two queries for all (the event streams' poll)."""
        with self.session() as s:
            jobs = s.execute(select(Job.id, Job.status, Job.attempts).where(Job.id.in_(job_ids))).all()
            newest = dict(s.execute(select(JobProgress.job_id, func.max(JobProgress.id))
                                    .where(JobProgress.job_id.in_(job_ids)).group_by(JobProgress.job_id)).all())
        return {job_id: (status, attempts, newest.get(job_id) or 0) for job_id, status, attempts in jobs}

    def start_job(self, job_id: str) -> Job | None:
        """queued -> running (one more attempt); None if the job is no longer queued."""
        with self.session() as s:
            done = s.execute(update(Job).where(Job.id == job_id, Job.status == "queued")
                             .values(status="running", started_at=utcnow(), attempts=Job.attempts + 1))
            s.commit()
            if done.rowcount != 1:  # type: ignore[attr-defined]
                return None
            return s.get(Job, job_id)

    def add_progress(self, job_id: str, attempt: int, seconds: float, objective: int, bound: int | None,
                     label: str | None = None) -> None:
        with self.session() as s:
            s.add(JobProgress(job_id=job_id, attempt=attempt, seconds=seconds, objective=objective, bound=bound,
                              label=label))
            s.commit()

    def finish_job(self, job_id: str, status: str, timetable: Timetable | None = None,
                   new_version: tuple[Scenario, list[Any]] | None = None, result: dict[str, Any] | None = None,
                   error: str | None = None, claim: str | None = None) -> Job:
        """Store the outcome in one transaction: new scenario version (re-plans), timetable, job status.
        With ``claim`` (a cluster worker's), nothing is written unless the job is still running under it:
        a worker that lost its job to another never records a second outcome."""
        for attempt in range(3):
            try:
                return self._finish_job(job_id, status, timetable, new_version, result, error, claim)
            except IntegrityError:  # two re-plans took the same version number: try again
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _finish_job(self, job_id: str, status: str, timetable: Timetable | None,
                    new_version: tuple[Scenario, list[Any]] | None, result: dict[str, Any] | None,
                    error: str | None, claim: str | None) -> Job:
        with self.session() as s:
            job = s.get(Job, job_id, with_for_update=claim is not None)
            assert job is not None
            if claim is not None and (job.claim != claim or job.status != "running"):
                return job
            version_id = job.scenario_version_id
            if new_version is not None:
                scenario, changes = new_version
                base = s.get(ScenarioVersion, version_id)
                assert base is not None
                added = self.add_version(job.scenario_id, scenario, base.version, changes, job.created_by, s)
                s.flush()
                version_id = added.id
                result = {**(result or {}), "scenario_version": added.version}
            if timetable is not None:
                row = TimetableRow(scenario_id=job.scenario_id, scenario_version_id=version_id,
                                   status=timetable.status, objective=timetable.objective,
                                   document=timetable.to_document(), job_id=job.id,
                                   parent_timetable_id=job.source_timetable_id)
                s.add(row)
                s.flush()
                job.timetable_id = row.id
            job.status = status
            job.result = result
            job.error = error
            job.finished_at = utcnow()
            s.commit()
            return job

    def request_cancel(self, job_id: str) -> Job | None:
        """Queued jobs are cancelled at once; running ones are flagged (the runner stops them)."""
        with self.session() as s:
            s.execute(update(Job).where(Job.id == job_id, Job.status == "queued")
                      .values(status="cancelled", cancel_requested=True, finished_at=utcnow()))
            s.execute(update(Job).where(Job.id == job_id, Job.status == "running").values(cancel_requested=True))
            s.commit()
            return s.get(Job, job_id)

    def recover_jobs(self) -> list[str]:
        """After a crash: jobs left queued or running are queued again (or cancelled if that was asked)."""
        with self.session() as s:
            s.execute(update(Job).where(Job.status.in_(ACTIVE), Job.cancel_requested.is_(True))
                      .values(status="cancelled", finished_at=utcnow(), error="cancelled; the server restarted"))
            s.execute(update(Job).where(Job.status == "running").values(status="queued", started_at=None))
            s.commit()
            return list(s.scalars(select(Job.id).where(Job.status == "queued").order_by(Job.created_at)))

    # --------------------------------------------------------------- audit

    def audit(self, key_id: str | None, role: str | None, method: str, path: str, status_code: int) -> None:
        with self.session() as s:
            s.add(AuditEntry(key_id=key_id, role=role, method=method, path=path[:500], status_code=status_code))
            s.commit()

    def list_audit(self, limit: int = 100, offset: int = 0) -> list[AuditEntry]:
        with self.session() as s:
            query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit).offset(offset)
            return list(s.scalars(query))


def _version_row(scenario_id: str, number: int, scenario: Scenario, created_by: str | None) -> ScenarioVersion:
    return ScenarioVersion(scenario_id=scenario_id, version=number, name=scenario.name,
                           fingerprint=scenario.fingerprint(), document=scenario.to_document(),
                           n_events=len(scenario.events), created_by=created_by)
