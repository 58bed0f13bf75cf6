"""Notices to delegations: one per affected delegation, with names, in the outbox; delivered to a real webhook
receiver on 127.0.0.1, signed, retried after a failure, never applied twice across a kill -9 and restart;
the live stream; who may subscribe. Real server, real database (SQLite, or PostgreSQL in the CI)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import select

from api.notices.outbox import write_for_publish
from api.notices.receiver import WebhookReceiver
from api.notices.webhooks import sign
from api.store.db import make_engine
from api.store.models import DeliveryAttempt, NoticeDelivery
from api.store.repository import Repository
from solver.scenario import load_scenario
from solver.timetable import Timetable
from solver.validate import validate_timetable
from tests.api.conftest import TINY, Server, publish, solve, submit_scenario, wait_for_job

BEFORE_THE_DAY = "2025-10-25T08:00+07:00"  # the summit's clock: nothing has started yet
FAST = {"SUMMIT_NOTICE_POLL_S": "0.1", "SUMMIT_NOTICE_RETRY_BASE_S": "0.1", "SUMMIT_NOTICE_LEASE_S": "2",
        "SUMMIT_NOTICE_TIMEOUT_S": "1"}


def wait_until(condition: Callable[[], Any], timeout: float = 30, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what} not met within {timeout} s")


class Summit:
    """The tiny summit solved on a notices server, with keys, and a way to write a publish's notices."""

    def __init__(self, server: Server) -> None:
        self.server = server
        admin = server.create_key("admin")
        with server.client(admin) as client:
            roles = {"planner": {"role": "planner"}, "viewer": {"role": "viewer"},
                     "fra": {"role": "liaison", "delegation": "FRA"}, "vnm": {"role": "liaison", "delegation": "VNM"}}
            self.keys = {name: client.post("/keys", json=body).json()["key"] for name, body in roles.items()}
        self.planner = server.client(self.keys["planner"])
        self.id = submit_scenario(self.planner)
        job = solve(self.planner, self.id)
        self.timetable = Timetable.model_validate(self.planner.get(f"/timetables/{job['timetable_id']}").json())
        self.scenario = load_scenario(TINY)
        assert validate_timetable(self.scenario, self.timetable) == []
        self.repo = Repository(make_engine(server.database_url))
        clock = self.planner.put(f"/summits/{self.id}/clock", json={"clock": BEFORE_THE_DAY})
        assert clock.status_code == 200, clock.text
        publish(self.planner, job["timetable_id"])  # the first publish: every delegation told its programme
        self.published = job["timetable_id"]

    def cancel_un_france(self) -> Timetable:
        """The solved plan without the UN - France bilateral (its people: UN and FRA; VNM is not affected)."""
        return self.timetable.model_copy(update={
            "assignments": [a for a in self.timetable.assignments if a.event != "bil-un-fra"]})

    def publish(self, after: Timetable, before: Timetable | None = None) -> list[int]:
        """What the publish route does in its transaction: the notices, committed with it."""
        with self.repo.session() as s:
            notices = write_for_publish(s, summit_id=self.id, before=before or self.timetable, after=after,
                                        scenario=self.scenario, publish_id=uuid.uuid4().hex)
            s.commit()
            return [n.id for n in notices]

    def subscribe(self, receiver: WebhookReceiver, delegation: str = "FRA", key: str = "fra") -> tuple[str, str]:
        """A new webhook of the delegation at the receiver: its id and path."""
        path = f"/hooks/{uuid.uuid4().hex[:8]}"
        with self.server.client(self.keys[key]) as client:
            response = client.post(f"/summits/{self.id}/delegations/{delegation}/subscriptions",
                                   json={"url": receiver.url(path)})
        assert response.status_code == 201, response.text
        receiver.expect(path, response.json()["secret"])
        return response.json()["id"], path

    def delivered(self, subscription_id: str) -> list[DeliveryAttempt]:
        """The subscription's attempts, once the last one recorded is a success (waits for it)."""
        return wait_until(lambda: [a for a in self.attempts(subscription_id) if a.status_code == 200]
                          and self.attempts(subscription_id), what="a recorded delivery")  # type: ignore[no-any-return]

    def attempts(self, subscription_id: str) -> list[DeliveryAttempt]:
        with self.repo.session() as s:
            return list(s.scalars(select(DeliveryAttempt).join(NoticeDelivery).where(
                NoticeDelivery.subscription_id == subscription_id).order_by(DeliveryAttempt.id)))


@pytest.fixture(scope="module")
def receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


@pytest.fixture(scope="module")
def summit(make_server: Callable[..., Server]) -> Iterator[Summit]:
    summit = Summit(make_server(env=FAST))
    yield summit
    summit.planner.close()
    summit.repo.engine.dispose()


def test_one_notice_per_affected_delegation_with_names(summit: Summit) -> None:
    ids = summit.publish(summit.cancel_un_france())
    with summit.server.client(summit.keys["fra"]) as fra:
        notices = fra.get(f"/summits/{summit.id}/delegations/FRA/notices").json()
        assert fra.get(f"/summits/{summit.id}/delegations/VNM/notices").status_code == 403
    with summit.server.client(summit.keys["vnm"]) as vnm:  # VNM is not affected: told nothing
        assert not {n["id"] for n in vnm.get(f"/summits/{summit.id}/delegations/VNM/notices").json()} & set(ids)
    [notice] = [n for n in notices if n["id"] in ids]
    assert notice["timezone"] == "Asia/Ho_Chi_Minh" and [c["kind"] for c in notice["changes"]] == ["cancelled"]
    was = notice["changes"][0]["before"]
    assert was["room"] in {"Bilateral room 1", "Guest house salon"} and was["zone"] in {"Convention centre",
                                                                                       "Guest house"}
    assert was["start"].endswith("+07:00")
    assert "UN - France: cancelled (was Sat 25 Oct" in notice["lines"][0] and "bil-un-fra" not in notice["lines"][0]
    with summit.server.client(summit.keys["planner"]) as planner:
        un = planner.get(f"/summits/{summit.id}/delegations/UN/notices").json()
    assert un[-1]["publish_id"] == notice["publish_id"]  # one publish: one notice to each of UN and FRA


def test_publishing_a_replan_tells_the_delegations_it_affects(summit: Summit, receiver: WebhookReceiver) -> None:
    subscription, _ = summit.subscribe(receiver)
    accepted = summit.planner.post(f"/timetables/{summit.published}/changes", json={
        "changes": [{"op": "event_cancelled", "event": "bil-un-fra"}], "time_limit_s": 3})
    assert accepted.status_code == 202, accepted.text
    draft = wait_for_job(summit.planner, accepted.json()["id"])["timetable_id"]
    outcome = publish(summit.planner, draft, base=summit.published)
    summit.published = draft
    assert {"FRA", "UN"} <= set(outcome["notices"]), outcome  # the bilateral's two delegations, one notice each
    received = wait_until(lambda: [r for r in receiver.applied() if r.key.endswith(subscription)],
                          what="FRA's notice at its webhook")
    [notice] = received
    assert notice.signature_ok and notice.body["id"] == outcome["notices"]["FRA"]
    assert {"kind": "cancelled", "event": "bil-un-fra"}.items() <= notice.body["changes"][0].items()
    for delegation, notice_id in outcome["notices"].items():  # each told only of what changed for its people
        listed = summit.planner.get(f"/summits/{summit.id}/delegations/{delegation}/notices").json()
        assert [n for n in listed if n["id"] == notice_id][0]["changes"]


def test_webhook_is_signed_and_each_attempt_recorded(summit: Summit, receiver: WebhookReceiver) -> None:
    subscription, _ = summit.subscribe(receiver)
    summit.publish(summit.cancel_un_france())
    key = wait_until(lambda: [r for r in receiver.applied() if r.body["delegation"] == "FRA"
                              and r.key.endswith(subscription)], what="the notice at the receiver")[0]
    assert key.signature_ok and key.key == f"notice-{key.body['id']}-{subscription}"
    assert key.body["changes"][0]["event"] == "bil-un-fra"
    assert sign("another secret", b"{}") != sign("secret", b"{}")
    assert [(a.attempt, a.status_code) for a in summit.delivered(subscription)] == [(1, 200)]


def test_retry_after_the_receiver_fails(summit: Summit, receiver: WebhookReceiver) -> None:
    subscription, path = summit.subscribe(receiver)
    receiver.fail(path, 2)
    summit.publish(summit.cancel_un_france())
    wait_until(lambda: [r for r in receiver.applied() if r.key.endswith(subscription)], what="the third attempt")
    codes = [(a.attempt, a.status_code) for a in summit.delivered(subscription)]
    assert codes == [(1, 503), (2, 503), (3, 200)]
    with summit.server.client(summit.keys["fra"]) as fra:
        [listed] = [s for s in fra.get(f"/summits/{summit.id}/delegations/FRA/subscriptions").json()
                    if s["id"] == subscription]
    assert listed["delivered"] == 1 and listed["secret"] is None


def test_who_may_subscribe(summit: Summit, receiver: WebhookReceiver) -> None:
    body = {"url": receiver.url("/x")}
    base = f"/summits/{summit.id}/delegations"
    with summit.server.client(summit.keys["fra"]) as fra:
        assert fra.post(f"{base}/VNM/subscriptions", json=body).status_code == 403
    with summit.server.client(summit.keys["viewer"]) as viewer:
        assert viewer.post(f"{base}/FRA/subscriptions", json=body).status_code == 403
    with summit.server.client(summit.keys["planner"]) as planner:
        assert planner.post(f"{base}/XXX/subscriptions", json=body).status_code == 404
        refused = planner.post(f"{base}/VNM/subscriptions", json={"url": "ftp://example.org/x"})
        assert refused.status_code == 422 and "ftp://example.org/x" in refused.text
        made = planner.post(f"{base}/VNM/subscriptions", json=body)
        assert made.status_code == 201
        assert planner.delete(f"{base}/VNM/subscriptions/{made.json()['id']}").status_code == 204
        assert made.json()["id"] not in [s["id"] for s in planner.get(f"{base}/VNM/subscriptions").json()]


def test_live_stream_sends_new_notices(summit: Summit) -> None:
    with summit.server.client(summit.keys["fra"]) as fra, fra.stream(
            "GET", f"/summits/{summit.id}/delegations/FRA/notices/stream", timeout=30) as stream:
        lines = (line for line in stream.iter_lines() if line)
        assert next(lines) == ": notices"
        [fra_notice, _] = summit.publish(summit.cancel_un_france())  # FRA's, then UN's (by delegation code)
        seen = [next(lines) for _ in range(3)]
    assert seen[:2] == [f"id: {fra_notice}", "event: notice"] and '"delegation": "FRA"' in seen[2]


def test_no_duplicate_after_kill_and_restart(summit: Summit, receiver: WebhookReceiver) -> None:
    subscription, path = summit.subscribe(receiver)
    receiver.fail(path, 1000)  # the subscriber is down: every attempt fails until the server is killed
    summit.publish(summit.cancel_un_france())
    wait_until(lambda: summit.attempts(subscription), what="a failed attempt")
    summit.server.kill()
    receiver.fail(path, 0)
    summit.server.start()  # same database: the new server resumes the delivery
    wait_until(lambda: [r for r in receiver.applied() if r.key.endswith(subscription)], what="the delivery")
    summit.delivered(subscription)
    summit.server.kill()
    summit.server.start()  # delivered already: nothing more is sent
    summit.publish(summit.cancel_un_france())  # a later publish is delivered, so the loop has run by then
    wait_until(lambda: len([r for r in receiver.applied() if r.key.endswith(subscription)]) == 2,
               what="the second publish's notice")
    assert not [r for r in receiver.state.repeats if r.key.endswith(subscription)]
