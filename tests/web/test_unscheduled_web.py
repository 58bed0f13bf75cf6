"""Unscheduled requests by cause in the web view (#28 item 2): Hanoi's 63 requests left out read as a few causes
("24 requests: ... has reached the limit of 12 events a day"), the largest first, each folded with its requests
under it, as the API's ``unscheduled_groups`` says (``solver/reasons.py``, the CLI's summary likewise).

Screenshot: ``test-artifacts/web/unscheduled-by-cause.png``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.api.conftest import Server
from tests.web.test_web import shot, sign_in

Ids = dict[str, str]


def test_unscheduled_requests_are_grouped_by_cause_with_the_requests_under_each(
        new_page: Callable[[], Page], server: Server, keys: dict[str, str], artifacts: Path,
        hanoi_solved: Ids) -> None:
    with server.client(keys["planner"]) as client:
        timetable = client.get(f"/timetables/{hanoi_solved['timetable']}").json()
    groups = timetable["unscheduled_groups"]
    unscheduled = [u["event"] for u in timetable["unscheduled"]]
    assert 0 < len(groups) < len(unscheduled)  # grouped: fewer causes than requests
    assert sorted(e for g in groups for e in g["events"]) == sorted(unscheduled)  # each request once
    page = new_page()
    sign_in(page, keys["planner"])
    page.goto(f"/#/timetables/{hanoi_solved['timetable']}")
    expect(page.locator("#unscheduled-title")).to_have_text(f"Unscheduled requests ({len(unscheduled)})")
    summaries = page.locator(".cause-group summary")
    expect(summaries).to_have_count(len(groups))
    assert summaries.all_inner_texts() == [
        f"{g['count']} request{'' if g['count'] == 1 else 's'}: {g['cause']}" for g in groups]
    # Folded: the requests show once their cause is opened.
    largest = page.locator(".cause-group").first
    expect(largest.locator(".unscheduled li").first).to_be_hidden()
    largest.locator("summary").click()
    expect(largest.locator(".unscheduled li")).to_have_count(groups[0]["count"])
    assert [li.get_attribute("data-event") for li in largest.locator(".unscheduled li").all()] == groups[0]["events"]
    expect(largest.locator(".unscheduled li").first).to_be_visible()
    page.locator("#unscheduled-title").scroll_into_view_if_needed()
    shot(page, artifacts, "unscheduled-by-cause")
