"""The delivery loop: started with the service, it sends every pending delivery until its subscriber answers 2xx.

Deliveries live in the database, so a server killed at any point resumes them when it (or another) starts.
Each round claims the due deliveries with a lease (a conditional update: one server wins each row); a server
that dies mid-send leaves a lease that expires, after which another takes the delivery over. A failed attempt
is tried again after an exponential back-off (base x 2^(attempt-1), capped), until ``notice_max_attempts``.
Every attempt is recorded (``delivery_attempts``).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from starlette.concurrency import run_in_threadpool

from api.notices.outbox import notice_body
from api.notices.webhooks import Answer, idempotency_key, post_notice
from api.store.models import DeliveryAttempt, Notice, NoticeDelivery, NoticeSubscription, new_id, utcnow
from api.store.repository import Repository

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryPolicy:
    poll_s: float = 1.0
    lease_s: float = 30.0
    timeout_s: float = 10.0
    retry_base_s: float = 2.0
    retry_max_s: float = 600.0
    max_attempts: int = 12
    batch: int = 20

    def back_off(self, attempts: int) -> timedelta:
        """How long to wait after the ``attempts``-th failed attempt."""
        return timedelta(seconds=min(self.retry_max_s, self.retry_base_s * 2 ** max(0, attempts - 1)))


def claim_due(repo: Repository, claim: str, policy: DeliveryPolicy, now: datetime | None = None) -> list[int]:
    """Deliveries due now that this server wins (pending, past their back-off, not leased by a live server)."""
    now = now or utcnow()
    free = or_(NoticeDelivery.lease_until.is_(None), NoticeDelivery.lease_until < now)
    with repo.session() as s:
        due = list(s.scalars(select(NoticeDelivery.id).where(
            NoticeDelivery.status == "pending", NoticeDelivery.next_attempt_at <= now, free)
            .order_by(NoticeDelivery.id).limit(policy.batch)))
        won = []
        for delivery_id in due:
            result = s.execute(update(NoticeDelivery).where(
                NoticeDelivery.id == delivery_id, NoticeDelivery.status == "pending", free)
                .values(claim=claim, lease_until=now + timedelta(seconds=policy.lease_s)))
            if result.rowcount == 1:  # type: ignore[attr-defined]
                won.append(delivery_id)
        s.commit()
    return won


def attempt_delivery(repo: Repository, delivery_id: int, claim: str, policy: DeliveryPolicy) -> Answer | None:
    """Send one claimed delivery and record the attempt and its outcome (None: nothing to send any more)."""
    with repo.session() as s:
        delivery = s.get(NoticeDelivery, delivery_id)
        if delivery is None or delivery.claim != claim or delivery.status != "pending":
            return None
        subscription = s.get(NoticeSubscription, delivery.subscription_id)
        notice = s.get(Notice, delivery.notice_id)
        assert subscription is not None and notice is not None
        if not subscription.active:
            delivery.status, delivery.claim, delivery.lease_until = "cancelled", None, None
            s.commit()
            return None
        attempt = delivery.attempts + 1
        url, secret, body = subscription.url, subscription.secret, notice_body(notice)
        key = idempotency_key(notice.id, subscription.id)
    answer = post_notice(url, secret, body, key=key, attempt=attempt, timeout_s=policy.timeout_s)
    record_attempt(repo, delivery_id, claim, attempt, answer, policy)
    return answer


def record_attempt(repo: Repository, delivery_id: int, claim: str, attempt: int, answer: Answer,
                   policy: DeliveryPolicy) -> None:
    """The attempt's row, and the delivery delivered, failed for good, or due again after its back-off."""
    now = utcnow()
    with repo.session() as s:
        s.add(DeliveryAttempt(delivery_id=delivery_id, attempt=attempt, at=now, status_code=answer.status_code,
                              error=answer.error, seconds=answer.seconds))
        values: dict[str, object] = {"attempts": attempt, "claim": None, "lease_until": None}
        if answer.delivered:
            values.update(status="delivered", delivered_at=now)
        elif attempt >= policy.max_attempts:
            values.update(status="failed")
        else:
            values.update(next_attempt_at=now + policy.back_off(attempt))
        s.execute(update(NoticeDelivery).where(NoticeDelivery.id == delivery_id, NoticeDelivery.claim == claim)
                  .values(**values))
        s.commit()


class DeliveryLoop:
    """The background task of one server: claim, send, record, sleep ``poll_s``; stops with the service."""

    def __init__(self, repo: Repository, policy: DeliveryPolicy) -> None:
        self.repo = repo
        self.policy = policy
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout=self.policy.timeout_s + 5)
            except TimeoutError:
                self._task.cancel()

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.round()
            except Exception:  # the database away for a moment: the next round tries again
                log.exception("notice delivery round failed")
            try:
                await asyncio.wait_for(self._stopping.wait(), timeout=self.policy.poll_s)
            except TimeoutError:
                pass

    async def round(self) -> int:
        """One round: every delivery due now that this server wins, sent concurrently. Returns how many."""
        claim = new_id()
        won = await run_in_threadpool(claim_due, self.repo, claim, self.policy)
        await asyncio.gather(*(run_in_threadpool(attempt_delivery, self.repo, delivery_id, claim, self.policy)
                               for delivery_id in won))
        return len(won)
