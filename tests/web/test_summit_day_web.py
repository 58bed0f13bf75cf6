"""The summit day in headless Chromium: a report in one action, its proposal, accepted and published."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.api.conftest import Server, publish, solve, submit_scenario, wait_for_job
from tests.web.test_web import shot, sign_in


def test_a_report_becomes_a_proposal_the_planner_accepts(new_page: Callable[[], Page], server: Server,
                                                         keys: dict[str, str], artifacts: Path) -> None:
    with server.client(keys["planner"]) as planner:
        _flow(new_page, keys, planner, artifacts)


def _flow(new_page: Callable[[], Page], keys: dict[str, str], planner: httpx.Client, artifacts: Path) -> None:
    scenario_id = submit_scenario(planner)
    first = solve(planner, scenario_id)["timetable_id"]
    publish(planner, first)
    planner.put(f"/summits/{scenario_id}/clock", json={"clock": "2025-10-25T09:05+07:00"})
    page = new_page()
    sign_in(page, keys["planner"])
    page.goto(f"/#/timetables/{first}")
    expect(page.locator("#publication-state")).to_contain_text("Published")
    page.get_by_role("link", name="Summit day: reports and proposals").click()
    expect(page.locator("#day-clock")).to_contain_text("fixed")
    page.get_by_label("What happened").select_option("room_out")
    page.get_by_label("Room", exact=True).select_option("bil-h")
    page.get_by_role("button", name="Report", exact=True).click()
    expect(page.locator("#proposal-state")).to_contain_text("open")
    accept = page.get_by_role("button", name="Accept and publish")
    expect(accept).to_be_enabled(timeout=60_000)
    expect(page.locator("#proposal-result")).to_contain_text("disruption")
    shot(page, artifacts, "summit-day-proposal")
    accept.click()
    expect(page.locator("#proposal-state")).to_contain_text("accepted")
    published = planner.get(f"/summits/{scenario_id}").json()["published_timetable_id"]
    assert published != first
    assert all(a["room"] != "bil-h" for a in planner.get(f"/timetables/{published}").json()["assignments"])
    # A cancellation published meanwhile (another planner's) tells UN and FRA: their notices appear live on the page.
    replan = planner.post(f"/timetables/{published}/changes", json={
        "changes": [{"op": "event_cancelled", "event": "bil-un-fra"}], "time_limit_s": 3})
    assert replan.status_code == 202, replan.text
    job = wait_for_job(planner, replan.json()["id"])
    publish(planner, job["timetable_id"])
    for delegation in ("UN", "FRA"):
        expect(page.locator("#live-notices")).to_contain_text(delegation, timeout=20_000)
    expect(page.locator("#live-notices")).to_contain_text("cancelled")
    shot(page, artifacts, "summit-day-live-notices")
