"""What a liaison reads (#28 item 7): it lands on a page with one button, to its delegation's agenda in the
current (published) plan; a signing with dozens of counterparts reads by role (heads of state or government,
ministers, ...), not as a block of text.

Screenshots: ``test-artifacts/web/liaison-landing.png``, ``agenda-signing-by-role.png``."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.api.conftest import Server
from tests.web.test_web import shot, sign_in

Ids = dict[str, str]


def test_a_liaison_lands_on_one_button_to_the_current_agenda(new_page: Callable[[], Page], server: Server,
                                                             keys: dict[str, str], artifacts: Path,
                                                             hanoi_solved: Ids) -> None:
    with server.client(keys["liaison_vnm"]) as client:
        summits = [s for s in client.get("/summits").json() if s["current_timetable_id"]]
    newest = max(summits, key=lambda s: s["created_at"])
    page = new_page()
    sign_in(page, keys["liaison_vnm"])
    expect(page).to_have_url(re.compile(r"#/agenda$"))
    button = page.locator("main").get_by_role("link", name="Open the current agenda")
    expect(button).to_have_count(1)
    # One button on the page (the header's Sign out aside): no id to paste, no form to fill.
    expect(page.locator("main button, main .button, main input, main select")).to_have_count(1)
    expect(page.locator("#landing-title")).to_have_text(newest["name"])
    shot(page, artifacts, "liaison-landing")
    button.click()
    expect(page).to_have_url(re.compile(f"#/agenda/{newest['current_timetable_id']}/VNM$"))
    expect(page.get_by_role("heading", name=re.compile("^Agenda of VNM"))).to_be_visible()


def test_a_signing_with_many_counterparts_reads_by_role(new_page: Callable[[], Page], server: Server,
                                                        keys: dict[str, str], artifacts: Path,
                                                        hanoi_solved: Ids) -> None:
    timetable = hanoi_solved["replanned"]  # published: what the liaison reads
    with server.client(keys["liaison_vnm"]) as client:
        agenda = client.get(f"/timetables/{timetable}/delegations/VNM").json()
    signing = max(agenda["items"], key=lambda item: len(item["counterparts"]))
    counterparts = signing["counterparts"]
    assert len(counterparts) >= 40, signing  # Hanoi's signing: 62 participants
    page = new_page()
    sign_in(page, keys["liaison_vnm"])
    page.goto(f"/#/agenda/{timetable}/VNM")
    item = page.locator(f'.agenda-item[data-event="{signing["event"]}"]')
    summary = item.locator(".counterparts.by-role summary")
    expect(summary).to_contain_text(f"with {len(counterparts)} counterparts: ")
    expect(summary).to_contain_text("heads of state or government")
    expect(item.locator(".role-group").first).to_be_hidden()  # collapsed: one line until opened
    summary.click()
    groups = item.locator(".role-group")
    expect(groups.first).to_be_visible()
    names = groups.locator("dt").all_inner_texts()
    assert names[0].startswith("Heads of state or government (") and any(n.startswith("Ministers (") for n in names)
    counts = [int(re.search(r"\((\d+)\)$", name).group(1)) for name in names]  # type: ignore[union-attr]
    assert sum(counts) == len(counterparts)
    # Every counterpart is listed once, by delegation, under its role's group.
    listed = Counter(code.strip() for text in groups.locator("dd").all_inner_texts() for code in text.split(","))
    assert listed == Counter(c.split(": ", 1)[0] for c in counterparts)
    heads = {c.split(": ", 1)[0] for c in counterparts if "Head of State" in c}
    first = {code.strip() for code in groups.first.locator("dd").inner_text().split(",")}
    assert heads <= first
    ministers = groups.filter(has=page.locator("dt", has_text=re.compile("^Ministers")))
    assert {c.split(": ", 1)[0] for c in counterparts if c.endswith(": Minister")} <= {
        code.strip() for code in ministers.locator("dd").inner_text().split(",")}
    item.scroll_into_view_if_needed()
    shot(page, artifacts, "agenda-signing-by-role")
