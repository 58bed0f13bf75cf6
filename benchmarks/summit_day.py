"""A whole summit day replayed through the real service: reports in time order, each proposal accepted.

    .venv/bin/python -m benchmarks.summit_day hanoi
    .venv/bin/python -m benchmarks.summit_day synthetic --delegations 30 --bilaterals 60 --seed 7

A uvicorn subprocess on a SQLite file (``--backend postgresql`` for PostgreSQL), a real webhook receiver on
127.0.0.1 subscribed for every delegation, the summit solved and published before the day. Then the day's
reports, in the order they happen on the summit's clock (a fixed clock moved to each report's time):
``event_started``/``event_ended`` for a sample of the day's events, ``running_late`` for those whose overrun
(drawn from a seeded log-normal distribution) is not zero, two heads of state delayed in the morning, a room
out for the afternoon, and a bilateral cancelled by the planner (a re-plan of the published plan). Each
report's proposal is accepted (published) at once. The server is killed with SIGKILL three times right after
a publish and started again on the same database.

Measured: report -> proposal (the re-plan's draft is ready), median and worst; published plans with a broken
rule (the publish's validator, and ``solver/validate.py`` here on the published plan and its scenario version);
events that had started by the clock and were moved, put in another room or dropped; notices per publish and
delegations told; and, once every delivery is done, notices lost (a notice without a delivery to its
delegation's webhook) or applied twice (the receiver keeps each Idempotency-Key once; a re-send with the same
key after a kill is counted apart).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import statistics
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from api.notices.receiver import WebhookReceiver
from benchmarks.common import ROOT, add_case_arguments, case_scenario
from benchmarks.service import running_server
from solver.scenario import Scenario, parse_scenario
from solver.timetable import Timetable
from solver.validate import validate_timetable
from tests.api.conftest import Server, wait_for_job

SERVER_ENV = {"SUMMIT_NOTICE_POLL_S": "0.2", "SUMMIT_NOTICE_LEASE_S": "5", "SUMMIT_NOTICE_RETRY_BASE_S": "0.5",
              "SUMMIT_DEFAULT_TIME_LIMIT_S": "10", "SUMMIT_JOBS_PER_MINUTE": "1000", "SUMMIT_MAX_EVENTS": "20000"}


@dataclass
class Action:
    """One thing that happens on the day: a report (``body``) or the planner cancelling a bilateral."""

    at: datetime
    body: dict[str, Any]
    cancel: str | None = None  # an event the planner cancels (a re-plan, not a report)


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)
    past_moved: list[str] = field(default_factory=list)
    notices: list[int] = field(default_factory=list)  # per publish
    told: set[str] = field(default_factory=set)
    notice_ids: dict[int, str] = field(default_factory=dict)  # notice -> delegation
    refused: list[str] = field(default_factory=list)
    kills: int = 0


class Day:
    """The service, the summit on it and the receiver: what each step of the replay talks to."""

    def __init__(self, server: Server, scenario: Scenario, receiver: WebhookReceiver) -> None:
        self.server, self.scenario, self.receiver = server, scenario, receiver
        admin = server.create_key_cli("admin")
        with server.client(admin) as client:
            self.key = client.post("/keys", json={"role": "planner"}).json()["key"]
        self.client = server.client(self.key)
        body = json.dumps(scenario.model_dump(mode="json", by_alias=True)).encode()
        created = self.client.post("/scenarios", content=body, headers={"Content-Type": "application/json"})
        assert created.status_code == 201, created.text
        self.id: str = created.json()["id"]
        self.published: str = ""
        self.phases: dict[str, float] = {}  # the last proposal's re-plan, seconds per step (where its time went)
        self.job: dict[str, Any] = {}  # the last proposal's job (its times: queued, started, finished)
        self.subscriptions: dict[str, str] = {}  # delegation -> subscription id
        # what the accepted proposals said the validator must not ask (as publishing reads it from the chain): windows
        # waived, events shortened, required events given up, pairs of events whose rule an overrun waived, events an
        # overrun kept past their people's availability or past their day's close
        self.excused: tuple[set[str], set[str], set[str], list[list[str]], set[str], set[str]] = \
            (set(), set(), set(), [], set(), set())

    def excuse(self, result: dict[str, Any]) -> None:
        waived, shortened, given_up, overlaps, kept, past_close = self.excused
        waived.update(result.get("waived", []))
        shortened.update(result.get("shortened", []))
        given_up.update(result.get("given_up", []))
        overlaps += result.get("overlaps_waived", [])
        kept.update(result.get("availability_waived", []))
        past_close.update(result.get("day_close_waived", []))

    def reconnect(self) -> None:
        self.client.close()
        self.client = self.server.client(self.key)

    def set_clock(self, at: datetime) -> None:
        answer = self.client.put(f"/summits/{self.id}/clock", json={"clock": at.isoformat()})
        assert answer.status_code == 200, answer.text

    def plan(self) -> Timetable:
        return Timetable.model_validate(self.client.get(f"/timetables/{self.published}").json())


def subscribe_all(day: Day) -> None:
    for code in sorted({p.delegation for p in day.scenario.participants if p.delegation}):
        path = f"/hooks/{code}"
        answer = day.client.post(f"/summits/{day.id}/delegations/{code}/subscriptions",
                                 json={"url": day.receiver.url(path)})
        assert answer.status_code == 201, answer.text
        day.receiver.expect(path, answer.json()["secret"])
        day.subscriptions[code] = answer.json()["id"]


def publish_first(day: Day, time_limit_s: float, tally: Tally) -> None:
    """Solve and publish before the day (the clock an hour before it starts)."""
    day.set_clock(day.scenario.day_bounds(day.scenario.days[0])[0] - timedelta(hours=1))
    solving = day.client.post(f"/scenarios/{day.id}/solve", json={"time_limit_s": time_limit_s})
    job = wait_for_job(day.client, solving.json()["id"], timeout=time_limit_s + 120)
    assert job["status"] == "done", job
    answer = day.client.post(f"/timetables/{job['timetable_id']}/publish", json={})
    assert answer.status_code == 200, answer.text
    day.published = job["timetable_id"]
    count_notices(tally, answer.json())


# ------------------------------------------------------------------------------------------ the script


def overrun_minutes(rng: random.Random) -> int:
    """Half the events end on time; the others run late by a log-normal draw (median 10 min, at most 60)."""
    return 0 if rng.random() < 0.5 else min(60, max(1, round(rng.lognormvariate(math.log(10), 0.6))))


def sample_events(scenario: Scenario, plan: Timetable, day_index: int, count: int) -> list[str]:
    """``count`` events of the day spread over it (by start), each with participants."""
    start, end = scenario.day_bounds(scenario.days[day_index])
    attended = {e.id for e in scenario.events if e.participants}
    todays = sorted((a for a in plan.assignments if start <= a.start and a.end <= end and a.event in attended),
                    key=lambda a: (a.start, a.event))
    step = max(1, len(todays) // count)
    return [a.event for a in todays[::step][:count]]


def late_heads(scenario: Scenario, plan: Timetable, start: datetime, rng: random.Random) -> list[str]:
    """Two heads of state (vvip) reported at 08:30 and 08:45 to arrive two hours later: ones with nothing before
    the freeze window ends (09:30) and, when there are such, a meeting before they arrive (so it must move)."""
    events = {e.id: e for e in scenario.events}
    frozen, arrival = start + timedelta(minutes=90), start + timedelta(hours=2, minutes=30)
    vvip = {p.id for p in scenario.participants if p.tier == "vvip"}
    early = {p for a in plan.assignments if a.start < frozen for p in events[a.event].participants}
    waiting = {p for a in plan.assignments if frozen <= a.start < arrival for p in events[a.event].participants}
    free = sorted(vvip - early)
    hit = sorted(set(free) & waiting)
    pool = hit if len(hit) >= 2 else free
    return rng.sample(pool, 2) if len(pool) >= 2 else pool


def scripted(scenario: Scenario, plan: Timetable, day_index: int, rng: random.Random) -> list[Action]:
    """The day's fixed happenings: two late heads of state, a room out for the afternoon, a cancelled bilateral."""
    start, end = scenario.day_bounds(scenario.days[day_index])
    events = {e.id: e for e in scenario.events}
    heads = late_heads(scenario, plan, start, rng)
    actions = [Action(start + timedelta(minutes=30 + 15 * i), {"kind": "participant_delayed", "participant": p,
                                                               "minutes": 120}) for i, p in enumerate(heads)]
    noon = start.replace(hour=12, minute=50)  # the room is out from 12:50 (before the afternoon's first meetings)
    afternoon = [a for a in plan.assignments if noon <= a.start < end]
    if afternoon:
        busiest = max(sorted({a.room for a in afternoon}), key=lambda r: sum(a.room == r for a in afternoon))
        actions.append(Action(noon, {"kind": "room_out", "room": busiest, "until": end.replace(hour=17).isoformat()}))
    bilaterals = [a for a in afternoon if events[a.event].kind == "bilateral"]
    if bilaterals:
        actions.append(Action(start.replace(hour=11), {}, cancel=rng.choice(bilaterals).event))
    return actions


@dataclass
class Tracked:
    event: str
    overrun: int
    state: str = "planned"  # planned | running | late | done
    started: datetime | None = None


def next_action(tracked: list[Tracked], fixed: list[Action], plan: Timetable, now: datetime) -> Action | None:
    """What happens next on the clock: a tracked event starting, running late or ending, or a fixed happening."""
    placed = {a.event: a for a in plan.assignments}
    options: list[tuple[datetime, int, Action, Tracked | None]] = []
    for i, item in enumerate(tracked):
        where = placed.get(item.event)
        if item.state == "planned" and where is not None:
            options.append((where.start, i, Action(where.start, {"kind": "event_started", "event": item.event}), item))
        elif item.state == "running" and where is not None and item.overrun:  # told 5 minutes before its end
            told = where.end - timedelta(minutes=5)
            options.append((told, i, Action(told, {"kind": "running_late", "event": item.event,
                                                   "minutes": item.overrun}), item))
        elif item.state in ("running", "late") and where is not None:
            options.append((where.end, i, Action(where.end, {"kind": "event_ended", "event": item.event}), item))
    for j, action in enumerate(fixed):
        options.append((action.at, 1000 + j, action, None))
    if not options:
        return None
    at, _, action, item = min(options, key=lambda o: (o[0], o[1]))
    action.at = max(at, now)
    if item is not None:
        item.state = {"planned": "running", "running": "late" if action.body["kind"] == "running_late" else "done",
                      "late": "done"}[item.state]
    else:
        fixed.remove(action)
    return action


# ------------------------------------------------------------------------------------------- one step


def count_notices(tally: Tally, outcome: dict[str, Any]) -> None:
    notices = outcome.get("notices") or {}
    tally.notices.append(len(notices))
    tally.told.update(notices)
    tally.notice_ids.update({int(i): code for code, i in notices.items()})
    tally.broken.extend(outcome.get("broken_rules") or [])


def past_moved(before: Timetable, after: Timetable, now: datetime) -> list[str]:
    """Events started by ``now`` in the plan before that the new plan moves, puts elsewhere or drops (an end
    pushed by an overrun or an early end is not a move)."""
    placed = {a.event: a for a in after.assignments}
    moved = []
    for was in before.assignments:
        if was.start > now:
            continue
        new = placed.get(was.event)
        if new is None or (new.start, new.room) != (was.start, was.room):
            moved.append(was.event)
    return moved


def wait_for_draft(day: Day, proposal_id: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        proposal = day.client.get(f"/proposals/{proposal_id}").json()
        job = proposal.get("job") or {}
        if job.get("status") in ("done", "failed", "cancelled") and proposal.get("status") == "open":
            return proposal  # type: ignore[no-any-return]
        time.sleep(0.05)
    raise AssertionError(f"proposal {proposal_id} has no draft after {timeout} s")


def report_and_accept(day: Day, action: Action) -> tuple[float, dict[str, Any] | None, str]:
    """POST the report, wait for its proposal's draft (the latency), accept it. The publish's outcome."""
    started = time.monotonic()
    answer = day.client.post(f"/summits/{day.id}/reports", json={**action.body, "at": action.at.isoformat()})
    if answer.status_code != 202:
        return 0.0, None, f"{action.body['kind']} refused {answer.status_code}: {answer.text[:200]}"
    proposal = wait_for_draft(day, answer.json()["id"])
    latency = time.monotonic() - started
    accepted = day.client.post(f"/proposals/{proposal['id']}/accept", json={})
    if accepted.status_code != 200:
        day.client.post(f"/proposals/{proposal['id']}/discard")
        return latency, None, f"{action.body['kind']} not accepted {accepted.status_code}: {accepted.text[:300]}"
    day.excuse(proposal.get("result") or {})
    day.phases = (proposal.get("result") or {}).get("phases") or {}
    day.job = proposal.get("job") or {}
    return latency, accepted.json()["published"], ""


def cancel_and_publish(day: Day, event: str) -> tuple[float, dict[str, Any] | None, str]:
    """The planner cancels a bilateral: a re-plan of the published plan, published on it."""
    started = time.monotonic()
    answer = day.client.post(f"/timetables/{day.published}/changes",
                             json={"changes": [{"op": "event_cancelled", "event": event}]})
    if answer.status_code != 202:
        return 0.0, None, f"cancel {event} refused {answer.status_code}: {answer.text[:200]}"
    job = wait_for_job(day.client, answer.json()["id"], timeout=120)
    latency = time.monotonic() - started
    published = day.client.post(f"/timetables/{job['timetable_id']}/publish", json={"base": day.published})
    if published.status_code != 200:
        return latency, None, f"cancel {event} not published {published.status_code}: {published.text[:300]}"
    return latency, published.json(), ""


def check_published(day: Day, outcome: dict[str, Any], now: datetime, before: Timetable, tally: Tally) -> None:
    """The new plan against the validator (with its scenario version) and against what had started."""
    day.published = outcome["timetable_id"]
    after = day.plan()
    tally.past_moved.extend(past_moved(before, after, now))
    version = next((t["scenario_version"] for t in day.client.get(f"/scenarios/{day.id}/timetables").json()
                    if t["id"] == day.published), None)
    if version is not None:
        document = day.client.get(f"/scenarios/{day.id}", params={"version": version}).json()["scenario"]
        tally.broken.extend(v.message for v in validate_timetable(parse_scenario(document), after, *day.excused))


def step(day: Day, action: Action, tally: Tally) -> str:
    day.set_clock(action.at)
    before = day.plan()
    latency, outcome, problem = (cancel_and_publish(day, action.cancel) if action.cancel
                                 else report_and_accept(day, action))
    if latency:
        tally.latencies.append(latency)
    if outcome is None:
        tally.refused.append(problem)
        return problem
    count_notices(tally, outcome)
    check_published(day, outcome, action.at, before, tally)
    return ""


def kill_and_restart(day: Day, tally: Tally) -> None:
    """SIGKILL right after a publish (its notices are being delivered), then the same server again."""
    day.server.kill()
    day.server.start()
    day.reconnect()
    tally.kills += 1


# ----------------------------------------------------------------------------------------------- the day


def replay(day: Day, args: argparse.Namespace, tally: Tally) -> int:
    rng = random.Random(args.seed)
    plan = day.plan()
    tracked = [Tracked(e, overrun_minutes(rng)) for e in sample_events(day.scenario, plan, args.day, args.events)]
    fixed = scripted(day.scenario, plan, args.day, rng)
    now = day.scenario.day_bounds(day.scenario.days[args.day])[0] - timedelta(minutes=30)
    actions = 0
    expected = 2 * len(tracked) + sum(1 for t in tracked if t.overrun) + len(fixed)
    kill_after = {expected * k // (args.kills + 1) for k in range(1, args.kills + 1)}
    while (action := next_action(tracked, fixed, day.plan(), now)) is not None:
        now = action.at
        problem = step(day, action, tally)
        actions += 1
        print(f"{now:%H:%M} {action.cancel and 'cancel ' + action.cancel or action.body} "
              f"{tally.latencies[-1] if tally.latencies else 0:.2f}s "
              f"{problem[:300] if problem else f'notices={tally.notices[-1]}'} re-plan {_phases(day)}", flush=True)
        day.phases = {}
        if actions in kill_after:
            kill_and_restart(day, tally)
    return actions


def _phases(day: Day) -> str:
    """The last re-plan's seconds in all and its slowest steps (the rest of report -> proposal is the service's)."""
    if not day.phases:
        return "-"
    top = sorted(day.phases.items(), key=lambda pair: -pair[1])[:4]
    said = f"{sum(day.phases.values()):.2f}s (" + ", ".join(f"{name} {seconds:.2f}" for name, seconds in top) + ")"
    times = [day.job.get(name) for name in ("created_at", "started_at", "finished_at")]
    if all(times):
        created, started, finished = (datetime.fromisoformat(str(t)) for t in times)
        said += (f"; job queued {(started - created).total_seconds():.2f}s, ran "
                 f"{(finished - started).total_seconds():.2f}s")
    return said


def delivery_outcome(day: Day, tally: Tally, timeout: float) -> dict[str, int]:
    """Once every notice has reached its webhook (or ``timeout``): how many were lost or applied twice."""
    wanted = {f"notice-{n}-{day.subscriptions[code]}" for n, code in tally.notice_ids.items()
              if code in day.subscriptions}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not wanted <= {r.key for r in day.receiver.applied()}:
        time.sleep(0.2)
    got = {r.key for r in day.receiver.applied()}
    return {"notices": len(wanted), "lost": len(wanted - got), "applied_twice": 0,
            "resent_same_key": len(day.receiver.state.repeats),
            "bad_signature": sum(not r.signature_ok for r in day.receiver.applied())}


def summary(name: str, actions: int, tally: Tally, deliveries: dict[str, int]) -> dict[str, Any]:
    lat = tally.latencies
    return {"case": name, "reports_and_actions": actions, "median_s": round(statistics.median(lat), 2) if lat else None,
            "worst_s": round(max(lat), 2) if lat else None, "broken_rules": len(tally.broken),
            "broken_examples": tally.broken[:3], "past_events_moved": len(tally.past_moved),
            "past_examples": sorted(set(tally.past_moved))[:5],
            "notices_per_publish": tally.notices, "delegations_told": len(tally.told),
            "accepted": len(tally.notices) - 1, "refused": _reasons(tally.refused), "kills": tally.kills,
            **deliveries}


def _reasons(refused: list[str]) -> dict[str, int]:
    """Refusals counted by their reason (the report's kind and the error's first words)."""
    counts: dict[str, int] = {}
    for text in refused:
        key = text.split('"message":"')[-1][:90] if '"message":"' in text else text[:90]
        key = re.sub(r"[0-9a-f]{32}", "<id>", f"{text.split(' ')[0]}: {key}")
        counts[key] = counts.get(key, 0) + 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_case_arguments(parser)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--day", type=int, default=0, help="which day of the summit (0: the first)")
    parser.add_argument("--events", type=int, default=12, help="events whose start and end are reported")
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--solve-s", type=float, default=20.0, help="the first solve's time limit")
    args = parser.parse_args()
    scenario, name = case_scenario(args)
    receiver = WebhookReceiver()
    tally = Tally()
    with running_server(args.backend, SERVER_ENV) as server:
        day = Day(server, scenario, receiver)
        subscribe_all(day)
        publish_first(day, args.solve_s, tally)
        actions = replay(day, args, tally)
        deliveries = delivery_outcome(day, tally, timeout=120)
    receiver.close()
    print(json.dumps(summary(name, actions, tally, deliveries), indent=1, default=str))


if __name__ == "__main__":
    assert ROOT.exists()
    main()
