"""The comparison page (#28 item 7): variants built with the re-plan page's change forms (raw JSON only as an
advanced option), past comparisons listed, the KPI table, and the charts at their own size.

Screenshots: ``test-artifacts/web/compare-form.png``, ``compare.png``, ``compare-charts.png``,
``compare-past.png``."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.api.conftest import Server
from tests.web.test_web import scenario_doc, shot, sign_in

Ids = dict[str, str]
CLOSED = "Hall A closed on day one"


def test_variants_are_built_with_the_change_forms_and_the_charts_shown_at_full_size(
        new_page: Callable[[], Page], server: Server, keys: dict[str, str], artifacts: Path,
        hanoi_solved: Ids) -> None:
    with server.client(keys["planner"]) as client:
        day = scenario_doc(client, hanoi_solved["scenario"])["days"][0]
    page = new_page()
    sign_in(page, keys["planner"])
    page.goto("/#/compare")
    page.get_by_label("Scenario").select_option(hanoi_solved["scenario"])
    expect(page.get_by_label("Change", exact=True)).to_be_visible()  # the re-plan page's form, over this scenario
    expect(page.get_by_role("button", name="Run the comparison")).to_be_disabled()  # no variant yet
    expect(page.get_by_label("Variants (JSON: a list of {name, changes})")).to_be_hidden()  # advanced, folded

    # Two variants by name; a change added to the second through the room-closed form.
    for name in ("as planned", CLOSED):
        page.get_by_label("New variant's name").fill(name)
        page.get_by_role("button", name="Add a variant").click()
    expect(page.locator("#variants .variant")).to_have_count(2)
    page.get_by_label("Add to variant").select_option(label=CLOSED)
    page.get_by_label("Change", exact=True).select_option("room_closed")
    page.get_by_label("Room", exact=True).select_option("hall-a")
    page.get_by_label("From: day").select_option(day["date"])
    page.get_by_label("From: time (HH:MM, 24-hour)").fill("8am")
    page.get_by_role("button", name="Add this change to the variant").click()
    expect(page.locator("#change-error")).to_contain_text('From: "8am" is not a 24-hour time')  # checked in the form
    page.get_by_label("From: time (HH:MM, 24-hour)").fill(day["start"])
    page.get_by_label("Until: day").select_option(day["date"])
    page.get_by_label("Until: time (HH:MM, 24-hour)").fill(day["end"])
    page.get_by_label("Reason (optional)").fill("works")
    page.get_by_role("button", name="Add this change to the variant").click()
    closed = page.locator("#variants .variant").nth(1)
    expect(closed).to_contain_text("room_closed: room=hall-a")
    expect(page.locator("#variants .variant").first).to_contain_text("as the base")

    # The advanced JSON shows what the forms built, and can replace it.
    page.locator("#cmp-advanced summary").click()
    textarea = page.get_by_label("Variants (JSON: a list of {name, changes})")
    expect(textarea).to_have_value(re.compile("hall-a"))  # (filled as the details open)
    variants = json.loads(textarea.input_value())
    assert [v["name"] for v in variants] == ["as planned", CLOSED]
    assert variants[1]["changes"] == [{"op": "room_closed", "room": "hall-a", "reason": "works",
                                       "start": f"{day['date']}T{day['start']}", "end": f"{day['date']}T{day['end']}"}]
    textarea.fill('{"name": "not a list"}')
    page.get_by_role("button", name="Use this JSON").click()
    expect(page.locator("#json-error")).to_contain_text("not usable JSON")
    expect(page.locator("#variants .variant")).to_have_count(2)  # a bad JSON changes nothing
    page.locator("#cmp-advanced summary").click()
    shot(page, artifacts, "compare-form")

    page.get_by_label("Time limit per variant (s)").fill("3")
    page.get_by_role("button", name="Run the comparison").click()
    expect(page.locator("table.kpis")).to_be_visible(timeout=90_000)
    job_id = page.url.rsplit("/", 1)[-1]
    assert page.locator("table.kpis thead th").all_inner_texts()[1:] == ["base", "as planned", CLOSED]
    expect(page.locator("table.kpis tbody")).to_contain_text("objective")
    page.locator(".variant-changes summary").click()  # what was compared, as it was entered
    expect(page.locator(".variant-changes")).to_contain_text(f"{CLOSED}: room_closed: room=hall-a")
    shot(page, artifacts, "compare")

    # Each chart at its own size: 1200 px wide PNGs are not shrunk on a 1366 px screen.
    images = page.locator(".cmp-chart img")
    expect(images.first).to_be_visible(timeout=20_000)
    expect(images).to_have_count(page.locator(".cmp-chart").count(), timeout=90_000)  # rendered one at a time
    page.wait_for_function("() => [...document.querySelectorAll('.cmp-chart img')].every(i => i.complete"
                           " && i.naturalWidth > 0)")
    sizes = images.evaluate_all("els => els.map(i => [i.naturalWidth, Math.round(i.getBoundingClientRect().width)])")
    assert all(natural >= 1000 and shown == natural for natural, shown in sizes), sizes
    images.first.scroll_into_view_if_needed()
    shot(page, artifacts, "compare-charts")

    # The comparison is listed under the past ones, and opens from there.
    page.goto("/#/compare")
    row = page.locator(f'table.past-comparisons tr[data-id="{job_id}"]')
    expect(row).to_contain_text(f"as planned · {CLOSED}")
    expect(row).to_contain_text("done")
    expect(row).to_contain_text(re.compile(r"3(\.0)? s × 1 seed"))
    page.locator("#past-title").scroll_into_view_if_needed()
    shot(page, artifacts, "compare-past")
    row.get_by_role("link").click()
    expect(page).to_have_url(re.compile(f"#/compare/{job_id}$"))
    expect(page.locator("table.kpis")).to_be_visible()


def test_a_viewer_reads_past_comparisons_without_the_builder(new_page: Callable[[], Page], keys: dict[str, str],
                                                            hanoi_solved: Ids) -> None:
    page = new_page()
    sign_in(page, keys["viewer"])
    page.goto("/#/compare")
    expect(page.get_by_role("heading", name="Past comparisons")).to_be_visible()
    expect(page.get_by_role("button", name="Run the comparison")).to_have_count(0)
    expect(page.get_by_label("New variant's name")).to_have_count(0)
