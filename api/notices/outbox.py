"""The outbox: notices written in the same transaction as the publish that caused them, and their deliveries.

A publish calls :func:`write_for_publish` inside its own transaction, so a plan is never published without
its notices, nor notices written for a plan that was not published. Each notice gets one delivery row per
active subscription of its delegation (unique per notice and subscription), which the delivery loop
(``api/notices/delivery.py``) sends until the subscriber answers 2xx.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.notices.wording import notices_by_delegation
from api.store.models import Notice, NoticeDelivery, NoticeSubscription
from solver.scenario import Scenario
from solver.timetable import Timetable


def write_for_publish(session: Session, *, summit_id: str, before: Timetable | None, after: Timetable,
                      scenario: Scenario, publish_id: str, before_scenario: Scenario | None = None) -> list[Notice]:
    """One notice per delegation this publish affects (``before``: the plan published until now, None at the
    first publish), with a pending delivery to each of the delegation's subscriptions. Flushes, does not
    commit: the caller's transaction publishes and writes the notices together. Called again for the same
    ``publish_id``, it returns the notices already written. ``before_scenario``: the scenario version of the plan
    before, which still knows the events a change removed (who attended a cancelled event)."""
    written = list(session.scalars(select(Notice).where(Notice.publish_id == publish_id).order_by(Notice.id)))
    if written:
        return written
    notices = []
    for delegation, document in notices_by_delegation(scenario, before, after, before_scenario).items():
        notice = Notice(summit_id=summit_id, publish_id=publish_id, delegation=delegation,
                        document={**document, "publish_id": publish_id, "summit_id": summit_id})
        session.add(notice)
        notices.append(notice)
    session.flush()
    for notice in notices:
        for subscription in subscriptions_of(session, summit_id, notice.delegation):
            session.add(NoticeDelivery(notice_id=notice.id, subscription_id=subscription.id))
    session.flush()
    return notices


def subscriptions_of(session: Session, summit_id: str, delegation: str) -> list[NoticeSubscription]:
    return list(session.scalars(select(NoticeSubscription).where(
        NoticeSubscription.summit_id == summit_id, NoticeSubscription.delegation == delegation,
        NoticeSubscription.active.is_(True)).order_by(NoticeSubscription.created_at)))


def notice_body(notice: Notice) -> dict[str, Any]:
    """What a subscriber receives (webhook body, stream event): the notice's document with its id and time."""
    return {"id": notice.id, "created_at": notice.created_at.isoformat(), **notice.document}


def notices_since(session: Session, summit_id: str, delegation: str | None, after_id: int = 0,
                  limit: int = 100) -> list[Notice]:
    """The summit's notices after ``after_id`` (oldest first), for one delegation or all."""
    query = select(Notice).where(Notice.summit_id == summit_id, Notice.id > after_id)
    if delegation is not None:
        query = query.where(Notice.delegation == delegation)
    return list(session.scalars(query.order_by(Notice.id).limit(limit)))
