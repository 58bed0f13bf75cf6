"""End to end in headless Chromium: sign in, upload, solve, the grid, details by keyboard, a change and its diff,
downloads, a liaison's agenda, validation errors by path, and the comparison view when the server has it.

Screenshots of each view go to ``test-artifacts/web/`` on every run."""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from playwright.sync_api import Page, expect

from tests.api.conftest import HANOI, TINY, Server

Ids = dict[str, str]  # the fixtures' scenario and timetable ids
BLOCKS = "#days button.ev:not(.diff-dropped)"


def sign_in(page: Page, key: str) -> None:
    page.goto("/")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#nav")).to_be_visible()


def scenario_doc(client: httpx.Client, scenario_id: str) -> dict[str, Any]:
    return client.get(f"/scenarios/{scenario_id}").json()["scenario"]  # type: ignore[no-any-return]


def shot(page: Page, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=False)


def test_the_page_and_its_modules_are_served_from_the_app(server: Server) -> None:
    index = httpx.get(f"{server.url}/")
    assert index.status_code == 200 and "text/html" in index.headers["content-type"]
    assert "default-src 'self'" in index.headers["content-security-policy"]
    for name in re.findall(r'(?:src|href)="(/static/[^"]+)"', index.text):
        assert httpx.get(f"{server.url}{name}").status_code == 200, name
    for module in ("app", "api", "util", "scenarios", "job", "chart", "grid", "changes", "agenda", "compare"):
        response = httpx.get(f"{server.url}/static/{module}.js")
        assert response.status_code == 200 and "javascript" in response.headers["content-type"], module
        assert "http://" not in response.text and "https://" not in response.text, f"{module}.js fetches elsewhere"


def test_keys_me_answers_the_callers_role(server: Server, keys: dict[str, str]) -> None:
    assert httpx.get(f"{server.url}/keys/me").status_code == 401
    me = httpx.get(f"{server.url}/keys/me", headers={"Authorization": f"Bearer {keys['liaison_vnm']}"}).json()
    assert me == {"role": "liaison", "delegation": "VNM", "label": None}
    me = httpx.get(f"{server.url}/keys/me", headers={"Authorization": f"Bearer {keys['viewer']}"}).json()
    assert me["role"] == "viewer" and me["delegation"] is None


def test_an_invalid_scenario_shows_each_problem_next_to_its_path(new_page: Callable[[], Page], keys: dict[str, str],
                                                                   artifacts: Path, tmp_path: Path) -> None:
    page = new_page()
    sign_in(page, keys["planner"])
    page.get_by_role("button", name="Sign out").wait_for()
    document = yaml.safe_load(TINY.read_text())
    document["events"][0]["participants"].append("nobody-at-all")
    document["events"][0]["duration_minutes"] = -30
    bad = tmp_path / "broken.yaml"
    bad.write_text(yaml.safe_dump(document))
    page.get_by_label("Scenario file (YAML or JSON)").set_input_files(str(bad))
    page.get_by_role("button", name="Upload").click()
    problems = page.locator("#upload-result .problem")
    expect(problems.first).to_be_visible()
    paths = problems.locator(".path").all_inner_texts()
    assert any(p.startswith("events[0].participants") for p in paths), paths
    assert any(p.startswith("events[0].duration_minutes") for p in paths), paths
    row = problems.filter(has=page.locator(".path", has_text=re.compile(r"^events\[0\]\.participants")))
    expect(row.locator(".message")).not_to_be_empty()
    expect(row).to_contain_text("nobody-at-all")
    shot(page, artifacts, "scenario-invalid-upload")


def test_planner_uploads_solves_reads_the_grid_changes_and_downloads(
        new_page: Callable[[], Page], server: Server, keys: dict[str, str], artifacts: Path) -> None:
    page = new_page()
    api = server.client(keys["planner"])
    sign_in(page, keys["planner"])
    expect(page.get_by_role("heading", name="Scenarios", level=1)).to_be_visible()

    # Upload Hanoi through the file input.
    page.get_by_label("Scenario file (YAML or JSON)").set_input_files(str(HANOI))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("heading", name="Solve")).to_be_visible()
    scenario_id = page.url.rsplit("/", 1)[-1]
    page.goto("/#/scenarios")
    expect(page.locator("table.data")).to_contain_text("Hanoi Convention")
    shot(page, artifacts, "scenarios")
    page.goto(f"/#/scenarios/{scenario_id}")

    # Solve with a short limit and watch the live chart.
    page.get_by_label("Time limit (seconds)").fill("4")
    page.get_by_role("button", name="Start solving").click()
    expect(page.locator("#job-status")).to_have_attribute("data-status", re.compile("running|done"), timeout=30_000)
    expect(page.locator("svg.chart circle.dot").first).to_be_attached(timeout=30_000)
    expect(page.get_by_role("link", name="Open the timetable")).to_be_visible(timeout=60_000)
    expect(page.locator("#job-status")).to_have_attribute("data-status", "done")
    assert page.locator("svg.chart path.objective").get_attribute("d")
    shot(page, artifacts, "solve-chart")
    job_id = page.url.rsplit("/", 1)[-1]
    job = api.get(f"/jobs/{job_id}").json()
    assert job["status"] == "done" and job["progress"]

    # The grid: one block per assignment. Its build time is recorded (test-artifacts/web/timings.json), not asserted:
    # a wall clock under a busy CI machine's load (19-119 ms measured at load 10-13, benchmarks/RESULTS.md).
    started = time.monotonic()
    page.get_by_role("link", name="Open the timetable").click()
    blocks = page.locator(BLOCKS)
    expect(blocks.first).to_be_visible()
    timetable_id = job["timetable_id"]
    timetable = api.get(f"/timetables/{timetable_id}").json()
    assert blocks.count() == len(timetable["assignments"]) > 250
    render_ms = int(page.locator("main").get_attribute("data-render-ms") or -1)
    assert render_ms >= 0  # (measured by the page)
    open_ms = int((time.monotonic() - started) * 1000)
    (artifacts / "timings.json").write_text(json.dumps(
        {"blocks": blocks.count(), "grid_render_ms": render_ms, "click_to_grid_ms": open_ms}, indent=2))
    expect(page.locator(".ev.vvip .vvip-mark").first).to_be_attached()
    expect(page.locator("#unscheduled-title")).to_contain_text(f"({len(timetable['unscheduled'])})")
    assert page.locator(".unscheduled li").count() == len(timetable["unscheduled"])
    shot(page, artifacts, "grid")

    # Filters: one kind, then one delegation; rows left empty are hidden.
    page.get_by_label("Kind").select_option("round_table")
    round_tables = page.locator(".ev.kind-round_table").count()
    total = len(timetable["assignments"])
    expect(page.locator("#filter-count")).to_have_text(f"{round_tables} of {total} events shown")
    assert page.locator(f"{BLOCKS}:not(.filtered-out)").count() == round_tables
    page.get_by_label("Kind").select_option("")
    page.get_by_label("Delegation", exact=True).select_option("VNM")
    vnm = {p["id"] for p in scenario_doc(api, scenario_id)["participants"] if p["delegation"] == "VNM"}
    events = {e["id"]: e for e in scenario_doc(api, scenario_id)["events"]}
    expected = sum(1 for a in timetable["assignments"] if vnm & set(events[a["event"]]["participants"]))
    expect(page.locator("#filter-count")).to_have_text(f"{expected} of {total} events shown")
    page.get_by_role("button", name="Clear filters").click()
    expect(page.locator("#filter-count")).to_have_text(f"{len(timetable['assignments'])} events")

    # Details by keyboard: focus a block, Enter opens, Escape closes and gives the focus back.
    first = blocks.first
    first.focus()
    page.keyboard.press("ArrowRight")
    focused_event = page.evaluate("document.activeElement.dataset.event")
    assert focused_event
    page.keyboard.press("Enter")
    dialog = page.locator("dialog#event-details")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Participants")
    expect(dialog).to_contain_text(focused_event)
    shot(page, artifacts, "grid-details")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert page.evaluate("document.activeElement.dataset.event") == focused_event

    # Downloads with the Bearer header: the timetable CSV and the whole .ics.
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    csv_text = Path(download.value.path()).read_text()
    assert len(csv_text.strip().splitlines()) == len(timetable["assignments"]) + 1

    # A change that forces moves: close the busiest movable room on day one.
    scenario = api.get(f"/scenarios/{scenario_id}").json()["scenario"]
    pinned = {e["id"] for e in scenario["events"] if e.get("pinned")}
    day = scenario["days"][0]
    busy = Counter(a["room"] for a in timetable["assignments"]
                   if a["event"] not in pinned and a["start"].startswith(day["date"]) and a["room"].startswith("bil"))
    room = busy.most_common(1)[0][0]
    page.get_by_role("link", name="Enter a change and re-plan").click()
    page.get_by_label("Change", exact=True).select_option("room_closed")
    page.get_by_label("Room", exact=True).select_option(room)
    page.get_by_label("From: day").select_option(day["date"])
    page.get_by_label("From: time (HH:MM, 24-hour)").fill(day["start"])
    page.get_by_label("Until: day").select_option(day["date"])
    page.get_by_label("Until: time (HH:MM, 24-hour)").fill(day["end"])
    page.get_by_label("Reason (optional)").fill("security sweep")
    page.get_by_role("button", name="Add this change").click()
    expect(page.locator("#pending")).to_contain_text(f"room_closed: room={room}")
    page.get_by_label("Time limit (seconds)").fill("4")
    page.get_by_role("button", name=re.compile("Re-plan with 1 change")).click()
    expect(page.locator("#diff-text")).to_be_visible(timeout=60_000)
    # The web's diff route has the API's order: the old timetable, then the new one.
    assert page.url.split("#/timetables/")[1].split("/diff/")[0] == timetable_id
    new_id = page.url.rsplit("/", 1)[-1]
    diff = api.get(f"/timetables/{timetable_id}/diff/{new_id}").json()
    changed = len(diff["moved"]) + len(diff["room_changes"]) + len(diff["added"]) + len(diff["dropped"])
    assert changed > 0, diff
    marked = page.locator(".ev.diff-moved, .ev.diff-room, .ev.diff-added, .ev.diff-dropped")
    assert marked.count() == changed
    expect(page.locator("#diff-text")).to_contain_text(f"{len(diff['moved'])} moved")
    expect(page.locator(".legend.diffs")).to_contain_text("Dropped")
    expect(page.locator("h1")).to_contain_text(new_id)
    expect(page.locator("#diff-title a")).to_have_text(timetable_id)
    for move in diff["moved"] + diff["room_changes"]:  # marked at the new place
        assert page.locator(f'.ev:not(.diff-dropped)[data-event="{move["event"]}"]').get_attribute(
            "data-room") == move["new_room"]
    for gone in diff["dropped"]:  # shown at the old place
        ghost = page.locator(f'.ev.diff-dropped[data-event="{gone["event"]}"]')
        assert ghost.get_attribute("data-room") == gone["room"]
    expect(marked.first.locator(".diff-tag")).not_to_be_empty()
    # The closed room is drawn; the badge sits beside the times, under the label, and leaves it readable.
    expect(page.locator(f'.grid-row[data-room="{room}"] .closed').first).to_contain_text("security sweep")
    clear = marked.first.evaluate("""el => {
        const title = el.querySelector('.ev-title').getBoundingClientRect();
        const badge = el.querySelector('.diff-tag').getBoundingClientRect();
        return badge.top >= title.bottom - 1 || badge.right <= title.left || badge.left >= title.right; }""")
    assert clear, "the change badge covers the block's label"
    moved_colour = page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--moved').trim()")
    vvip_colour = page.locator(".ev.vvip").first.evaluate("el => getComputedStyle(el).borderTopColor")
    assert moved_colour.lower() not in ("#ffd75e", "#b35c00") and vvip_colour == "rgb(255, 215, 94)"
    assert page.locator(BLOCKS).count() == len(api.get(f"/timetables/{new_id}").json()["assignments"])
    notify = page.locator(".notify-item")
    assert notify.count() == len(diff["by_delegation"]) > 0
    page.get_by_label("Changed only").check()
    expect(page.locator("#filter-count")).to_have_text(f"{changed - len(diff['dropped'])} of "
                                                       f"{len(api.get(f'/timetables/{new_id}').json()['assignments'])}"
                                                       " events shown")
    shot(page, artifacts, "diff")
    marked.first.scroll_into_view_if_needed()
    shot(page, artifacts, "diff-grid")
    page.get_by_label("Changed only").uncheck()

    # The personal agenda .ics of a notified delegation.
    code = next(iter(diff["by_delegation"]))
    page.locator("details.notify").evaluate("d => d.open = true")
    with page.expect_download() as download:
        notify.filter(has=page.get_by_role("heading", name=re.compile(f"^{code}"))).get_by_role(
            "button", name="Agenda .ics").click()
    ics = Path(download.value.path()).read_text()
    assert ics.startswith("BEGIN:VCALENDAR"), ics[:100]
    assert download.value.suggested_filename == f"agenda-{code}.ics"
    # The re-plan is a draft until the planner publishes it: then delegations see it.
    page.goto(f"/#/timetables/{new_id}")
    expect(page.locator("#publication-state")).to_contain_text("Draft")
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.locator("#publication-state")).to_contain_text("Published")
    assert api.get(f"/summits/{scenario_id}").json()["published_timetable_id"] == new_id
    api.close()


def test_stop_ends_a_running_solve_and_keeps_its_best_timetable(new_page: Callable[[], Page], keys: dict[str, str],
                                                                  artifacts: Path, hanoi_solved: Ids) -> None:
    page = new_page()
    sign_in(page, keys["planner"])
    page.goto(f"/#/scenarios/{hanoi_solved['scenario']}")
    page.get_by_label("Time limit (seconds)").fill("60")
    page.get_by_role("button", name="Start solving").click()
    expect(page.locator("svg.chart circle.dot").first).to_be_attached(timeout=30_000)
    stop = page.get_by_role("button", name="Stop")
    expect(stop).to_be_enabled()
    stop.click()
    status = page.locator("#job-status")
    expect(status).to_have_attribute("data-status", re.compile("cancelled|done"), timeout=15_000)
    if status.get_attribute("data-status") == "done":  # proven optimal between the first incumbent and the click
        pytest.skip("the solve finished before Stop reached it")
    expect(page.get_by_role("link", name="Open the timetable")).to_be_visible()
    expect(stop).to_be_disabled()
    shot(page, artifacts, "solve-stopped")


def test_a_liaison_sees_only_its_delegations_agenda(new_page: Callable[[], Page], server: Server,
                                                     keys: dict[str, str], artifacts: Path,
                                                     hanoi_solved: Ids) -> None:
    page = new_page()
    sign_in(page, keys["liaison_vnm"])
    nav = page.locator("#nav a")
    assert nav.all_inner_texts() == ["Agenda"]
    expect(page.get_by_role("link", name="Scenarios")).to_have_count(0)
    # The summit's current timetable is offered by name: no id to paste.
    with server.client(keys["liaison_vnm"]) as client:
        summit = next(s for s in client.get("/summits").json() if s["scenario_id"] == hanoi_solved["scenario"])
    timetable_id = summit["current_timetable_id"]
    # (the landing's one button when this summit is the newest; else a link by its name under it)
    link = page.locator(f'main a[href$="/{timetable_id}/VNM"]')
    expect(link).to_contain_text(re.compile("Open the current agenda|" + re.escape(f"{summit['name']}: the current")))
    link.click()
    expect(page.get_by_role("heading", name=re.compile("^Agenda of VNM"))).to_be_visible()
    expect(page.locator("#refused-title")).to_be_visible()
    with server.client(keys["liaison_vnm"]) as client:
        agenda = client.get(f"/timetables/{timetable_id}/delegations/VNM").json()
    items = page.locator(".agenda-item")
    assert len(agenda["items"]) > 0
    # (waits for the items: the heading can show before they are drawn)
    expect(items).to_have_count(len(agenda["items"]))
    expect(items.first).to_contain_text(agenda["items"][0]["title"])
    shot(page, artifacts, "agenda-liaison")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the delegation's agenda (.ics)").click()
    assert Path(download.value.path()).read_text().startswith("BEGIN:VCALENDAR")
    # Other views are not reachable: the router sends a liaison back to its agenda.
    page.goto("/#/scenarios")
    expect(page).to_have_url(re.compile(r"#/agenda$"))
    expect(page.locator("table.data")).to_have_count(0)
    page.goto(f"/#/timetables/{timetable_id}")
    expect(page).to_have_url(re.compile(r"#/agenda$"))


def test_a_viewer_reads_but_gets_no_write_controls(new_page: Callable[[], Page], keys: dict[str, str],
                                                   hanoi_solved: Ids) -> None:
    page = new_page()
    sign_in(page, keys["viewer"])
    assert page.locator("#nav a").all_inner_texts() == ["Scenarios", "Compare", "Agendas"]
    expect(page.get_by_role("heading", name="All scenarios")).to_be_visible()
    expect(page.get_by_label("Scenario file (YAML or JSON)")).to_have_count(0)
    page.goto(f"/#/scenarios/{hanoi_solved['scenario']}")
    expect(page.get_by_role("heading", name="Timetables")).to_be_visible()
    expect(page.get_by_role("button", name="Start solving")).to_have_count(0)
    page.goto(f"/#/timetables/{hanoi_solved['timetable']}")
    expect(page.locator(BLOCKS).first).to_be_visible()
    expect(page.get_by_role("link", name="Enter a change and re-plan")).to_have_count(0)


def test_the_grid_names_bilaterals_by_delegation_and_day_totals_follow_filters(
        new_page: Callable[[], Page], server: Server, keys: dict[str, str], artifacts: Path,
        hanoi_solved: Ids) -> None:
    page = new_page()
    sign_in(page, keys["planner"])
    page.goto(f"/#/timetables/{hanoi_solved['timetable']}")
    with server.client(keys["planner"]) as client:
        timetable = client.get(f"/timetables/{hanoi_solved['timetable']}").json()
        document = scenario_doc(client, hanoi_solved["scenario"])
    events = {e["id"]: e for e in document["events"]}
    delegation = {p["id"]: p["delegation"] for p in document["participants"]}
    bilateral = next(a["event"] for a in timetable["assignments"] if events[a["event"]]["kind"] == "bilateral")
    block = page.locator(f'#days button.ev[data-event="{bilateral}"]')
    codes = "-".join(dict.fromkeys(delegation[p] for p in events[bilateral]["participants"]))
    expect(block.locator(".ev-title")).to_have_text(re.compile(f"^★?{codes}$"))  # "VNM-TLS", not "Bilate..."
    assert events[bilateral]["title"] in (block.get_attribute("title") or "")  # the full title on hover
    block.hover()
    shot(page, artifacts, "grid-bilateral-hover")
    # Each day's total follows the filters.
    days = page.locator("section.day")
    page.get_by_label("Kind").select_option("round_table")
    for n in range(days.count()):
        day = days.nth(n)
        shown = day.locator("button.ev:not(.filtered-out)").count()
        total = day.locator("button.ev").count()
        expect(day.locator(".day-count")).to_have_text(f"{shown} of {total} events shown")
    page.get_by_label("Kind").select_option("")
    expect(days.first.locator(".day-count")).to_have_text(re.compile(r"^\d+ events$"))


def test_the_four_change_forms_end_to_end(new_page: Callable[[], Page], server: Server, keys: dict[str, str],
                                         artifacts: Path) -> None:
    """Room closed, participant delayed, event added and event cancelled, each entered through its form with
    24-hour times in the summit's zone, then one re-plan and its diff (old, then new, as the API)."""
    with server.client(keys["planner"]) as client:
        response = client.post("/scenarios", content=TINY.read_bytes(), headers={"Content-Type": "application/yaml"})
        scenario_id = response.json()["id"]
        job = client.post(f"/scenarios/{scenario_id}/solve", json={"time_limit_s": 2}).json()
        old_id = ""
        for _ in range(200):
            job = client.get(f"/jobs/{job['id']}").json()
            if job["status"] == "done":
                old_id = job["timetable_id"]
                break
            time.sleep(0.1)
        assert old_id
        assert client.post(f"/timetables/{old_id}/publish").status_code == 200  # what the liaison reads first
    page = new_page()
    sign_in(page, keys["planner"])
    page.goto(f"/#/timetables/{old_id}/changes")
    expect(page.get_by_role("heading", name=re.compile("^Re-plan timetable"))).to_be_visible()
    expect(page.locator(".when .label").first).to_contain_text("24-hour, Asia/Ho_Chi_Minh")
    # A time that is not 24-hour HH:MM is refused in the form, naming the field.
    page.get_by_label("Change", exact=True).select_option("room_closed")
    page.get_by_label("Room", exact=True).select_option("bil-1")
    page.get_by_label("From: time (HH:MM, 24-hour)").fill("1pm")
    page.get_by_role("button", name="Add this change").click()
    expect(page.locator("#change-error")).to_contain_text('From: "1pm" is not a 24-hour time')
    page.get_by_label("From: time (HH:MM, 24-hour)").fill("11:00")
    page.get_by_label("Until: time (HH:MM, 24-hour)").fill("12:00")
    page.get_by_label("Reason (optional)").fill("cleaning")
    page.get_by_role("button", name="Add this change").click()
    expect(page.locator("#pending")).to_contain_text("room_closed: room=bil-1")

    page.get_by_label("Change", exact=True).select_option("participant_delayed")
    page.get_by_label("Participant", exact=True).select_option("fra-hod")
    page.get_by_label("Arrives at (optional): time (HH:MM, 24-hour)").fill("10:30")
    page.get_by_role("button", name="Add this change").click()
    expect(page.locator("#pending")).to_contain_text("participant_delayed")

    page.get_by_label("Change", exact=True).select_option("event_added")
    page.get_by_label("Event id").fill("bil-vnm-un")
    page.get_by_label("Title").fill("Viet Nam - UN")
    page.get_by_label("Participants (Ctrl/Shift for several)").select_option(["vnm-pres", "un-sg"])
    page.get_by_role("button", name="Add this change").click()
    expect(page.locator("#pending")).to_contain_text("event_added")

    page.get_by_label("Change", exact=True).select_option("event_cancelled")
    page.get_by_label("Event", exact=True).select_option("bil-un-fra")
    page.get_by_role("button", name="Add this change").click()
    expect(page.locator("#pending li")).to_have_count(4)
    shot(page, artifacts, "changes-four-forms")

    page.get_by_label("Time limit (seconds)").fill("4")
    page.get_by_role("button", name=re.compile("Re-plan with 4 change")).click()
    expect(page.locator("#diff-text")).to_be_visible(timeout=60_000)
    assert page.url.split("#/timetables/")[1].split("/diff/")[0] == old_id
    new_id = page.url.rsplit("/", 1)[-1]
    with server.client(keys["planner"]) as client:
        version = client.get(f"/scenarios/{scenario_id}/versions").json()[-1]
        diff = client.get(f"/timetables/{old_id}/diff/{new_id}").json()
    assert [c["op"] for c in version["changes"]] == ["room_closed", "participant_delayed", "event_added",
                                                      "event_cancelled"]
    assert version["changes"][0]["start"].startswith("2025-10-25T11:00")
    assert version["changes"][1]["arrival"].startswith("2025-10-25T10:30")
    assert {d["event"] for d in diff["dropped"]} == {"bil-un-fra"}
    expect(page.locator('.ev.diff-dropped[data-event="bil-un-fra"]')).to_have_count(1)
    expect(page.locator('.grid-row[data-room="bil-1"] .closed')).to_contain_text("Closed 11:00–12:00 (cleaning)")
    shot(page, artifacts, "changes-four-forms-diff")
    with server.client(keys["planner"]) as client:  # the re-plan reaches the liaison once published
        assert client.post(f"/timetables/{new_id}/publish").status_code == 200


def test_a_liaison_reads_counterparts_refusals_feeds_and_is_told_of_a_replan(
        new_page: Callable[[], Page], server: Server, keys: dict[str, str], artifacts: Path,
        tiny_replanned: Ids) -> None:
    tiny = tiny_replanned
    page = new_page()
    sign_in(page, keys["liaison"])  # FRA
    page.goto(f"/#/agenda/{tiny['old']}/FRA")
    expect(page.get_by_role("heading", name=re.compile("^Agenda of FRA"))).to_be_visible()
    notice = page.locator("#superseded")
    expect(notice).to_contain_text("superseded")
    expect(page.locator(".counterparts").first).to_contain_text("with VNM: vvip")
    shot(page, artifacts, "agenda-superseded")
    notice.get_by_role("link").click()
    expect(page).to_have_url(re.compile(f"#/agenda/{tiny['new']}/FRA$"))
    expect(page.locator("#superseded")).to_have_count(0)
    page.locator("details.feeds summary").click()
    feed = page.locator('.feed-url[data-feed="delegation"]').inner_text()
    assert feed.endswith(f"/{tiny['scenario']}/delegation.ics")
    calendar = httpx.get(feed).text
    assert "STATUS:CANCELLED" in calendar and "BEGIN:VTIMEZONE" in calendar
    shot(page, artifacts, "agenda-feeds")


def test_the_documentation_is_linked_from_the_page(new_page: Callable[[], Page], keys: dict[str, str],
                                                   artifacts: Path) -> None:
    page = new_page()
    sign_in(page, keys["planner"])
    page.get_by_role("link", name="Rules H1-H13").click()
    expect(page.get_by_role("heading", name=re.compile("H1-H13"))).to_be_visible()
    page.get_by_role("link", name="changes").first.click()
    expect(page.locator("main")).to_contain_text("room_closed")
    shot(page, artifacts, "guide-changes")


def test_a_block_keeps_its_colour_under_the_pointer(new_page: Callable[[], Page], keys: dict[str, str],
                                                    hanoi_solved: Ids) -> None:
    page = new_page()
    sign_in(page, keys["planner"])
    page.goto(f"/#/timetables/{hanoi_solved['timetable']}")
    block = page.locator("#days button.ev.kind-bilateral").first
    before = block.evaluate("el => getComputedStyle(el).backgroundColor")
    block.hover()
    assert block.evaluate("el => getComputedStyle(el).backgroundColor") == before
