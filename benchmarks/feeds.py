"""Calendar feeds after a long summit history (issue 27 item 5): the 69 feeds of 30 delegations of Hanoi fetched
at once, after ``--replans`` re-plans, each published.

    .venv/bin/python benchmarks/feeds.py [--replans 200] [--rounds 3] [--record]

Through the real service: one `summit serve` (uvicorn, process runner, a SQLite file), Hanoi uploaded, solved
and published; then ``--replans`` times a re-plan of the published plan (a bilateral room closed for half an hour,
every tenth re-plan a bilateral cancelled: the history the feeds' SEQUENCE and cancellations come from), each
published. Then 30 liaison keys (the 30 delegations with most members), each asks ``GET /feeds/me``; their 69
feeds (a delegation's calendar and each member's) are fetched all at once (one thread each) while ``GET /health``
is asked alongside; ``--rounds`` times (the first round, on a server just started, is cold: nothing
remembered). ``--keep DIR`` keeps the database, so that a later run measures the same history again. Measured per round:
median, p95 and worst seconds of a feed, the whole round, /health's time. ``--publish-again`` first re-plans and
publishes once more on the server just started, and the first round asks at once after the publish answers (while
the feeds of that publication are being built: every subscriber polling right after a publish); without it, the
first round on a kept history reads what an earlier run's server stored (as after a restart).

Prints one JSON line (``--record`` appends it to benchmarks/results.jsonl).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import yaml  # noqa: E402

from benchmarks.common import report  # noqa: E402
from tests.api.conftest import Server, submit_scenario, wait_for_job  # noqa: E402

HANOI = ROOT / "scenarios" / "hanoi-2025.yaml"
FEEDS = 69
DELEGATIONS = 30


def _delegations() -> list[str]:
    """The 30 delegations whose calendars number 69 (a delegation's and its members'), the largest first."""
    doc = yaml.safe_load(HANOI.read_text())
    members = Counter(p["delegation"] for p in doc["participants"] if p.get("delegation"))
    ranked = [code for code, _ in sorted(members.items(), key=lambda kv: (-kv[1], kv[0]))]
    chosen = ranked[:DELEGATIONS]
    while sum(1 + members[c] for c in chosen) > FEEDS and len(ranked) > DELEGATIONS:
        bigger = max(chosen, key=lambda c: (members[c], c))  # swap the largest for the next smaller one
        chosen.remove(bigger)
        ranked.remove(bigger)
        chosen = ranked[:DELEGATIONS]
    return chosen


def _changes(doc: dict[str, Any], index: int, cancelled: list[str]) -> list[dict[str, Any]]:
    """Re-plan ``index``: a bilateral room closed for half an hour; every tenth one, a bilateral cancelled."""
    if index % 10 == 9:
        bilaterals = [e["id"] for e in doc["events"] if e.get("kind") == "bilateral" and e["id"] not in cancelled]
        cancelled.append(bilaterals[index // 10])
        return [{"op": "event_cancelled", "event": cancelled[-1]}]
    rooms = [r["id"] for r in doc["rooms"] if r["id"].startswith("bil-")]
    day = doc["days"][index % len(doc["days"])]["date"]
    hour = 9 + index % 8
    return [{"op": "room_closed", "room": rooms[index % len(rooms)], "start": f"{day}T{hour:02d}:00",
             "end": f"{day}T{hour:02d}:30"}]


def _history(planner: httpx.Client, replans: int, time_limit: float) -> dict[str, Any]:
    """Upload, solve, publish Hanoi; then ``replans`` published re-plans. Returns ids and timings."""
    doc = yaml.safe_load(HANOI.read_text())
    started = time.monotonic()
    scenario = submit_scenario(planner, HANOI)
    job = planner.post(f"/scenarios/{scenario}/solve", json={"time_limit_s": 10}).json()
    current = wait_for_job(planner, job["id"], timeout=300)["timetable_id"]
    assert planner.post(f"/timetables/{current}/publish", json={}).status_code == 200
    cancelled: list[str] = []
    published = 0
    for index in range(replans):
        answer = planner.post(f"/timetables/{current}/changes", json={
            "changes": _changes(doc, index, cancelled), "time_limit_s": time_limit})
        assert answer.status_code == 202, answer.text
        done = wait_for_job(planner, answer.json()["id"], timeout=300)
        if done["status"] != "done" or done.get("timetable_id") is None:
            continue
        if planner.post(f"/timetables/{done['timetable_id']}/publish", json={}).status_code == 200:
            current = done["timetable_id"]
            published += 1
    return {"scenario": scenario, "timetable": current, "published_replans": published,
            "cancelled": len(cancelled), "history_s": round(time.monotonic() - started, 1)}


def _publish_again(admin: httpx.Client, history: dict[str, Any], time_limit: float) -> dict[str, Any]:
    """One more re-plan of the published plan (a bilateral room closed for half an hour), published."""
    doc = yaml.safe_load(HANOI.read_text())
    index = history.get("published_again", 0) * 10 + 3  # a room closure, another each time
    answer = admin.post(f"/timetables/{history['timetable']}/changes", json={
        "changes": _changes(doc, index, []), "time_limit_s": time_limit})
    assert answer.status_code == 202, answer.text
    done = wait_for_job(admin, answer.json()["id"], timeout=300)
    assert done["status"] == "done" and done.get("timetable_id"), done
    started = time.monotonic()
    published = admin.post(f"/timetables/{done['timetable_id']}/publish", json={})
    assert published.status_code == 200, published.text
    return {**history, "timetable": done["timetable_id"], "published_again": history.get("published_again", 0) + 1,
            "publish_s": round(time.monotonic() - started, 3)}


def _feed_urls(server: Server, admin: httpx.Client, scenario: str) -> list[str]:
    urls: list[str] = []
    for code in _delegations():
        key = admin.post("/keys", json={"role": "liaison", "delegation": code}).json()["key"]
        with server.client(key) as liaison:
            for feed in liaison.get("/feeds/me").json()["feeds"]:
                if feed["scenario_id"] == scenario:
                    urls += [feed["delegation"], *(p["url"] for p in feed["participants"])]
    return urls


def _round(server: Server, urls: list[str]) -> dict[str, Any]:
    """Every feed at once (one thread each) and /health alongside: seconds per request."""
    limits = httpx.Limits(max_connections=len(urls) + 1, max_keepalive_connections=0)
    with httpx.Client(timeout=120, limits=limits) as client:  # one client: no TLS setup per request here

        def fetch(url: str) -> tuple[float, int]:
            t0 = time.monotonic()
            status = client.get(url).status_code
            return time.monotonic() - t0, status

        t0 = time.monotonic()
        with ThreadPoolExecutor(len(urls) + 1) as pool:
            health = pool.submit(fetch, f"{server.url}/health")
            results = list(pool.map(fetch, urls))
    seconds = sorted(s for s, _ in results)
    return {"feeds": len(urls), "not_200": sum(1 for _, code in results if code != 200),
            "median_s": round(statistics.median(seconds), 3),
            "p95_s": round(seconds[max(0, int(0.95 * len(seconds)) - 1)], 3), "worst_s": round(seconds[-1], 3),
            "round_s": round(time.monotonic() - t0, 3), "health_s": round(health.result()[0], 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replans", type=int, default=200)
    parser.add_argument("--replan-s", type=float, default=1.0, help="each re-plan's time limit")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="a directory for the database: built once, measured again "
                        "on a later run (the history is not rebuilt when the directory has one)")
    parser.add_argument("--publish-again", action="store_true", help="one more published re-plan before the "
                        "rounds; the first round starts as the publish answers")
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rounds, history = _measure(args, args.keep or Path(tmp))
    report({"benchmark": "feeds", "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": f"{platform.machine()} {os.cpu_count()} cores", "load": os.getloadavg(), "replans": args.replans,
            **history, "rounds": rounds}, args.record)


def _measure(args: argparse.Namespace, where: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    where.mkdir(parents=True, exist_ok=True)
    env = {"SUMMIT_JOBS_PER_MINUTE": "100000", "SUMMIT_DEFAULT_TIME_LIMIT_S": "5"}
    server = Server(f"sqlite:///{where}/summit.db", where, env).start()
    saved = where / "history.json"
    try:
        admin_key = server.create_key_cli("admin")
        with server.client(admin_key) as admin:
            if saved.exists():
                history = json.loads(saved.read_text())
            else:
                planner = server.client(admin.post("/keys", json={"role": "planner"}).json()["key"])
                history = _history(planner, args.replans, args.replan_s)
                saved.write_text(json.dumps(history))
            urls = _feed_urls(server, admin, history["scenario"])
            if args.publish_again:
                history = _publish_again(admin, history, args.replan_s)
                saved.write_text(json.dumps(history))
            return [_round(server, urls) for _ in range(args.rounds)], history
    finally:
        server.stop()


if __name__ == "__main__":
    main()
