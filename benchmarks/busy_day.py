"""A busy summit day on one service (issue 27 item 5): what a planner's urgent re-plan waits behind, how a
slow or vanished client is handled, and whether a secret reaches the logs.

    .venv/bin/python benchmarks/busy_day.py [--comparison-s 60] [--dropped 1000]

One `summit serve` (process runner, SQLite, the default settings: SUMMIT_MAX_CONCURRENT_JOBS = cores // 2 = 1
here, SUMMIT_REPLAN_SLOTS = 1), uvicorn's access log on. Measured:

1. *re-plan behind comparisons*: an 11-variant comparison of a generated summit (60 delegations, 300
   requests: far from proven, so each solve takes its whole ``--comparison-s``) holds the only shared
   slot; a re-plan (a room closed for an hour) is then submitted: seconds from its submission to its start
   and to its end;
2. *a body at 1 byte/s*: seconds until the server answers (408) and lets the connection go;
3. *dropped slow connections*: ``--dropped`` clients send half a JSON body and close; the lines the server
   logged meanwhile, and whether any is a traceback;
4. *secrets in logs*: feed and agenda requests with a liaison's feed token and key; whether the token or
   the key appears anywhere in the server's log (uvicorn's access log included).

Prints one JSON line (``--record`` appends it to benchmarks/results.jsonl).
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from benchmarks.common import report  # noqa: E402
from tests.api.conftest import Server, submit_scenario, wait_for_job  # noqa: E402


class LoggingServer(Server):
    """The suite's server with uvicorn's access log on (``--log-level info``)."""

    def start(self) -> LoggingServer:
        log = self.log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "api.main:create_app", "--host", "127.0.0.1",
             "--port", str(self.port), "--log-level", "info"], cwd=ROOT, env=self.env, stdout=log,
            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.2)
        raise RuntimeError("server did not start")


def _replan_behind_comparison(client: httpx.Client, seconds: float) -> dict[str, Any]:
    scenario_id = submit_scenario(client)
    solved = wait_for_job(client, client.post(f"/scenarios/{scenario_id}/solve", json={"time_limit_s": 2}).json()["id"])
    variants = [{"name": f"variant {i}", "changes": []} for i in range(10)]
    from solver.generate import generate_scenario  # far from proven in a minute: each solve uses its limit

    busy = client.post("/scenarios", json=generate_scenario(60, 300, 2, seed=1).to_document()).json()["id"]
    comparison = client.post("/comparisons", json={"scenario_id": busy, "variants": variants,
                                                   "time_limit_s": seconds}).json()["id"]
    deadline = time.monotonic() + 120
    while client.get(f"/jobs/{comparison}").json()["status"] != "running" and time.monotonic() < deadline:
        time.sleep(0.2)
    scenario = client.get(f"/scenarios/{scenario_id}").json()
    room = scenario["document"]["rooms"][0]["id"] if "document" in scenario else "bil-h"
    change = {"op": "room_closed", "room": room, "start": "2025-10-25T09:00", "end": "2025-10-25T10:00"}
    sent = time.monotonic()
    replan = client.post(f"/timetables/{solved['timetable_id']}/changes",
                         json={"changes": [change], "time_limit_s": 5}).json()
    started = None
    while (job := client.get(f"/jobs/{replan['id']}").json())["status"] in ("queued", "running"):
        if started is None and job["status"] == "running":
            started = time.monotonic() - sent
        time.sleep(0.1)
    comparison_state = client.get(f"/jobs/{comparison}").json()["status"]
    client.delete(f"/jobs/{comparison}")
    return {"comparison_solves": 11, "comparison_s_per_solve": seconds, "replan_status": job["status"],
            "replan_submitted_to_started_s": round(started or 0.0, 1),
            "replan_submitted_to_done_s": round(time.monotonic() - sent, 1),
            "comparison_still": comparison_state}


def _slow_body(server: Server) -> dict[str, Any]:
    connection = socket.create_connection(("127.0.0.1", server.port), timeout=120)
    connection.sendall(b"POST /comparisons HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       b"Content-Length: 1000\r\n\r\n")
    began = time.monotonic()
    connection.settimeout(1.0)
    answer = b""
    while time.monotonic() - began < 120:
        try:
            connection.sendall(b" ")
            answer += connection.recv(4096)
            if answer:
                break
        except TimeoutError:
            continue
        except OSError:
            break
    connection.close()
    return {"answered_after_s": round(time.monotonic() - began, 1), "status_line": answer.split(b"\r\n")[0].decode()}


def _dropped(server: Server, count: int) -> dict[str, Any]:
    before = server.log.read_text(errors="replace").count("\n")
    for _ in range(count):
        connection = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        connection.sendall(b"POST /comparisons HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                           b"Content-Length: 1000\r\n\r\n{\"scenario_id\": \"")
        connection.close()
    time.sleep(2)
    lines = server.log.read_text(errors="replace").splitlines()[before:]
    return {"connections": count, "log_lines": len(lines), "tracebacks": sum("Traceback" in line for line in lines),
            "error_lines": sum("ERROR" in line for line in lines)}


def _secrets(server: Server, admin: httpx.Client) -> dict[str, Any]:
    scenario_id = submit_scenario(admin)
    solved = wait_for_job(admin, admin.post(f"/scenarios/{scenario_id}/solve", json={"time_limit_s": 2}).json()["id"])
    admin.post(f"/timetables/{solved['timetable_id']}/publish", json={})
    liaison = admin.post("/keys", json={"role": "liaison", "delegation": "VNM"}).json()
    secret = liaison.get("secret") or liaison.get("key")
    with server.client(secret) as client:
        feeds = client.get("/feeds/me").json()
        urls = [f["delegation"] for f in feeds.get("feeds", [])]
        for url in urls:
            httpx.get(url, timeout=30)
        client.get(f"/scenarios/{scenario_id}?key={secret}")
    token = urls[0].split("/feeds/")[1].split("/")[0] if urls else None
    log = server.log.read_text(errors="replace")
    return {"feed_requests": len(urls), "token_in_log": bool(token and token in log),
            "key_in_log": bool(secret and secret in log), "access_lines_with_feeds": log.count("/feeds/***/")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--comparison-s", type=float, default=60.0)
    parser.add_argument("--dropped", type=int, default=1000)
    parser.add_argument("--only", choices=["replan"], help="measure the re-plan alone")
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="busy-day-"))
    server = LoggingServer(f"sqlite:///{tmp}/busy.db", tmp, {"SUMMIT_BODY_TIMEOUT_S": "30"}).start()
    summary: dict[str, Any] = {"benchmark": "busy_day", "date": datetime.now(UTC).isoformat(timespec="seconds"),
                               "machine": f"{platform.machine()} {os.cpu_count()} cores",
                               "load_before": [round(x, 2) for x in os.getloadavg()]}
    try:
        with server.client(server.create_key_cli("admin")) as admin:
            if args.only is None:
                summary["secrets"] = _secrets(server, admin)
                summary["slow_body_1_byte_per_s"] = _slow_body(server)
                summary["dropped_connections"] = _dropped(server, args.dropped)
            summary["replan_behind_comparison"] = _replan_behind_comparison(admin, args.comparison_s)
        summary["load_after"] = [round(x, 2) for x in os.getloadavg()]
    finally:
        server.stop()
    report(summary, args.record)


if __name__ == "__main__":
    main()
