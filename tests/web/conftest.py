"""The web view's end-to-end tests: a real server (the API suite's fixtures) and Debian's headless Chromium,
driven by Playwright (no browser download: ``executable_path``)."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import (  # noqa: F401
    HANOI,
    ROOT,
    TINY,
    Server,
    keys,
    make_database_url,
    make_server,
    publish,
    server,
    solve,
    submit_scenario,
    wait_for_job,
)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts" / "web"

try:
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError:  # pragma: no cover - the test extra installs it
    sync_playwright = None  # type: ignore[assignment]


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if sync_playwright is None:
        pytest.fail("playwright is not installed: make install-test")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no chromium at {CHROMIUM}: make install-test installs Debian's chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser: Browser, server: Server) -> Iterator[object]:  # noqa: F811
    """A factory of pages in fresh contexts (own sessionStorage) on a 1366x768 screen; each page's console
    errors and uncaught exceptions fail the test."""
    contexts = []
    errors: list[str] = []

    def make() -> Page:
        context = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True,
                                      base_url=server.url)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
        page.on("console", lambda message: errors.append(f"console: {message.text}")
                if message.type == "error" and "Failed to load resource" not in message.text else None)
        page.set_default_timeout(20_000)
        return page

    yield make
    for context in contexts:
        context.close()
    assert not errors, errors


# ------------------------------------------------------------------ the data the pages read (each test alone)
# Session fixtures made through the API, so that every web test runs alone and in any order: none reads
# what another test left behind.

WEB_HANOI_NAME = "Hanoi Convention (web tests)"  # its own name: the planner flow uploads Hanoi again by hand


def _replan(client: Any, timetable_id: str, changes: list[dict[str, Any]]) -> str:
    response = client.post(f"/timetables/{timetable_id}/changes", json={"changes": changes, "time_limit_s": 4})
    assert response.status_code == 202, response.text
    job = wait_for_job(client, response.json()["id"])
    assert job["status"] == "done", job
    return job["timetable_id"]  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def hanoi_solved(server: Server, keys: dict[str, str]) -> dict[str, str]:  # noqa: F811
    """Hanoi uploaded (under its own name), solved once with a short limit, then re-planned around the
    busiest bilateral room of day one closed all day, and that published: {"scenario", "timetable", "replanned"}."""
    text = re.sub(r"(?m)^name: .*$", f"name: {WEB_HANOI_NAME}", HANOI.read_text(), count=1)
    with server.client(keys["planner"]) as client:
        response = client.post("/scenarios", content=text.encode(), headers={"Content-Type": "application/yaml"})
        assert response.status_code == 201, response.text
        scenario_id = response.json()["id"]
        document = client.get(f"/scenarios/{scenario_id}").json()["scenario"]
        timetable_id = solve(client, scenario_id, time_limit_s=4)["timetable_id"]
        timetable = client.get(f"/timetables/{timetable_id}").json()
        day = document["days"][0]
        busy = Counter(a["room"] for a in timetable["assignments"]
                       if a["start"].startswith(day["date"]) and a["room"].startswith("bil"))
        offset = timetable["assignments"][0]["start"][19:]
        closed = {"op": "room_closed", "room": busy.most_common(1)[0][0], "reason": "security sweep",
                  "start": f"{day['date']}T{day['start']}{offset}", "end": f"{day['date']}T{day['end']}{offset}"}
        replanned = _replan(client, timetable_id, [closed])
        publish(client, replanned)  # what delegations see
    return {"scenario": scenario_id, "timetable": timetable_id, "replanned": replanned}


@pytest.fixture(scope="session")
def tiny_replanned(server: Server, keys: dict[str, str]) -> dict[str, str]:  # noqa: F811
    """The tiny summit solved and published, then re-planned with bil-un-fra cancelled and published again:
    {"scenario", "old", "new"}."""
    with server.client(keys["planner"]) as client:
        scenario_id = submit_scenario(client, TINY)
        old_id = solve(client, scenario_id)["timetable_id"]
        publish(client, old_id)
        new_id = _replan(client, old_id, [{"op": "event_cancelled", "event": "bil-un-fra"}])
        publish(client, new_id)
    return {"scenario": scenario_id, "old": old_id, "new": new_id}
