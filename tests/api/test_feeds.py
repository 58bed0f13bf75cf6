"""Calendar feeds of the published plan are built once per publication, stored and served as stored (issue 27
item 5), through a real server on a real database: the feed served after a publish is the one built afresh from
the published plan, a second publish replaces it (SEQUENCE up, a dropped event cancelled), a client holding the
feed's ETag gets 304, and a feed lost from the store is built again, byte for byte, by a server just started."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import httpx
import icalendar
import pytest
from sqlalchemy import delete, select

from api.feeds import build_feed, newest_publication
from api.store.db import make_engine
from api.store.models import CalendarFeed
from api.store.repository import Repository
from solver.scenario import load_scenario, parse_scenario
from solver.timetable import Timetable
from solver.validate import validate_timetable
from tests.api.conftest import TINY, Server, publish, solve, submit_scenario, wait_for_job


@pytest.fixture
def repo(server: Server) -> Iterator[Repository]:
    """The server's own database, read in this process (to build a feed afresh and look at the stored ones)."""
    engine = make_engine(server.database_url)
    yield Repository(engine)
    engine.dispose()


def _validated(planner: httpx.Client, timetable_id: str, replanned: bool = False) -> None:
    """The project's validator on the timetable, against its scenario (a re-plan's: the newest version)."""
    document = planner.get(f"/timetables/{timetable_id}").json()
    scenario = (parse_scenario(planner.get(f"/scenarios/{document['scenario_id']}").json()["scenario"])
                if replanned else load_scenario(TINY))
    assert validate_timetable(scenario, Timetable.model_validate(document)) == []


def _urls(server: Server, liaison_key: str, scenario_id: str) -> tuple[str, str]:
    with server.client(liaison_key) as liaison:
        feed = next(f for f in liaison.get("/feeds/me").json()["feeds"] if f["scenario_id"] == scenario_id)
    return feed["delegation"], feed["participants"][0]["url"]


def _stored(repo: Repository, scenario_id: str) -> dict[str, CalendarFeed]:
    with repo.session() as s:
        return {row.audience: row for row in s.scalars(select(CalendarFeed).where(
            CalendarFeed.scenario_id == scenario_id))}


def _events(body: bytes) -> dict[str, Any]:
    return {str(e["UID"]).split("@")[0]: e for e in icalendar.Calendar.from_ical(body).walk("VEVENT")}


def test_the_feed_after_a_publish_is_the_fresh_one_stored_and_a_second_publish_replaces_it(
        server: Server, planner: httpx.Client, keys: dict[str, str], repo: Repository) -> None:
    scenario_id = submit_scenario(planner)
    first = solve(planner, scenario_id)["timetable_id"]
    _validated(planner, first)
    placed = {a["event"]: a for a in planner.get(f"/timetables/{first}").json()["assignments"]}
    publish(planner, first)
    delegation_url, member_url = _urls(server, keys["liaison"], scenario_id)

    served = httpx.get(delegation_url)
    assert served.status_code == 200 and served.headers["content-type"].startswith("text/calendar")
    plan = newest_publication(repo, scenario_id)
    assert plan is not None and plan.timetable_id == first
    fresh = build_feed(repo, plan, "FRA")
    assert served.content == fresh.body and served.headers["etag"] == fresh.etag  # byte for byte
    member = httpx.get(member_url)
    assert member.content == build_feed(repo, plan, "FRA", member_url.rsplit("/", 1)[1][:-4]).body
    stored = _stored(repo, scenario_id)["delegation:FRA"]
    assert (stored.publication_id, stored.body, stored.etag) == (plan.publication_id, fresh.body, fresh.etag)

    # The client that has it is told so; one with another version (or none) gets the file.
    again = httpx.get(delegation_url, headers={"If-None-Match": fresh.etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == fresh.etag
    assert httpx.get(delegation_url, headers={"If-None-Match": '"old", W/' + fresh.etag}).status_code == 304
    assert httpx.get(delegation_url, headers={"If-None-Match": '"something-else"'}).status_code == 200

    # The second publish: France's meeting moved, the other cancelled. The same URL serves the new plan.
    old_start = datetime.fromisoformat(placed["bil-vnm-fra"]["start"])
    new_start = "2025-10-25T11:30" if old_start.hour < 11 else "2025-10-25T10:30"
    changes = [{"op": "pin", "event": "bil-vnm-fra", "start": new_start},
               {"op": "event_cancelled", "event": "bil-un-fra"}]
    accepted = planner.post(f"/timetables/{first}/changes", json={"changes": changes, "time_limit_s": 3})
    assert accepted.status_code == 202, accepted.text
    job = wait_for_job(planner, accepted.json()["id"])
    assert job["status"] == "done" and job["timetable_id"], job
    second = job["timetable_id"]
    _validated(planner, second, replanned=True)
    publish(planner, second)

    updated = httpx.get(delegation_url, headers={"If-None-Match": fresh.etag})
    assert updated.status_code == 200 and updated.headers["etag"] != fresh.etag
    newer = newest_publication(repo, scenario_id)
    assert newer is not None and newer.timetable_id == second and newer.publication_id > plan.publication_id
    assert updated.content == build_feed(repo, newer, "FRA").body
    events = _events(updated.content)
    assert int(events["bil-vnm-fra"]["SEQUENCE"]) == 1 and str(events["bil-vnm-fra"]["STATUS"]) == "CONFIRMED"
    assert int(events["bil-un-fra"]["SEQUENCE"]) == 1 and str(events["bil-un-fra"]["STATUS"]) == "CANCELLED"
    assert _stored(repo, scenario_id)["delegation:FRA"].publication_id == newer.publication_id
    # Another delegation's member is not FRA's to read, stored or not.
    assert httpx.get(member_url.rsplit("/", 1)[0] + "/vnm-pres.ics").status_code == 404


def test_a_feed_missing_from_the_store_is_built_again_the_same_by_a_new_server(
        server: Server, planner: httpx.Client, keys: dict[str, str], repo: Repository,
        make_server: Callable[..., Server]) -> None:
    scenario_id = submit_scenario(planner)
    timetable_id = solve(planner, scenario_id)["timetable_id"]
    _validated(planner, timetable_id)
    publish(planner, timetable_id)
    delegation_url, _ = _urls(server, keys["liaison"], scenario_id)
    before = httpx.get(delegation_url)
    assert before.status_code == 200
    with repo.session() as s:  # lost: as after a restore, or a build that never ran
        s.execute(delete(CalendarFeed).where(CalendarFeed.scenario_id == scenario_id))
        s.commit()
    other = make_server(server.database_url)  # nothing remembered
    try:
        rebuilt = httpx.get(delegation_url.replace(server.url, other.url))
    finally:
        other.stop()
    assert rebuilt.status_code == 200
    assert rebuilt.content == before.content and rebuilt.headers["etag"] == before.headers["etag"]
    assert _stored(repo, scenario_id)["delegation:FRA"].body == before.content
