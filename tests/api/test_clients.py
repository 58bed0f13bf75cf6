"""Slow and vanished clients, and secrets in logs, against a real uvicorn server: a body sent a byte at a
time is answered 408 and let go; a client that drops its connection mid-body leaves no traceback; feed
tokens and keys never reach a log line (uvicorn's access log included) nor the audit log."""

from __future__ import annotations

import logging
import select
import socket
from collections.abc import Callable

import pytest
from uvicorn.logging import AccessFormatter

from api.logs import install_redaction, redact
from tests.api.conftest import Server


@pytest.fixture(scope="module")
def impatient(make_server: Callable[..., Server]) -> Server:
    """A server that waits 2 s for a request's body."""
    return make_server(env={"SUMMIT_BODY_TIMEOUT_S": "2"})


def _connect(server: Server, length: int) -> socket.socket:
    connection = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    connection.sendall(f"POST /comparisons HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       f"Content-Length: {length}\r\n\r\n".encode())
    return connection


def test_a_body_sent_a_byte_at_a_time_is_answered_408(impatient: Server) -> None:
    connection = _connect(impatient, 200)
    answer = b""
    for _ in range(200):  # a byte every 0.2 s: the whole body would take 40 s
        try:
            connection.sendall(b" ")
        except OSError:  # the server answered and closed
            break
        if select.select([connection], [], [], 0.2)[0]:
            break
    connection.settimeout(30)
    while chunk := connection.recv(4096):
        answer += chunk
        if b"}" in answer:
            break
    connection.close()
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert b'"request_timeout"' in answer and b"SUMMIT_BODY_TIMEOUT_S" in answer


def test_a_client_gone_mid_body_leaves_no_traceback(impatient: Server) -> None:
    for _ in range(20):
        connection = _connect(impatient, 1000)
        connection.sendall(b'{"scenario_id": "')
        connection.close()
    import httpx

    assert httpx.get(f"{impatient.url}/health", timeout=30).status_code == 200
    log = impatient.log.read_text()
    assert "Traceback" not in log and "Exception in ASGI application" not in log, log[-3000:]


def test_uvicorn_access_lines_show_no_feed_token_nor_key() -> None:
    install_redaction()
    token = "Xy7_feedtoken_abcdef"
    record = logging.getLogger("uvicorn.access").makeRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/feeds/{token}/sc/delegation.ics?key=sk_secretsecret", "1.1", 200), None)
    line = AccessFormatter(fmt="%(client_addr)s - %(request_line)s %(status_code)s").format(record)
    assert token not in line and "sk_secretsecret" not in line and "/feeds/***/sc/delegation.ics" in line


@pytest.mark.parametrize("text, secret", [
    ("Authorization: Bearer sk_AbCdEf123456", "sk_AbCdEf123456"),
    ('{"url": "https://x.example/hook", "secret": "whs-12345"}', "whs-12345"),
    ("amqp://summit:hunter2@rabbit:5672//", "hunter2"),
    ("GET /x?token=t0k3n&page=2", "t0k3n"),
])
def test_secrets_are_redacted_from_any_text(text: str, secret: str) -> None:
    assert secret not in redact(text) and "***" in redact(text)


def test_our_own_log_records_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    install_redaction()
    with caplog.at_level(logging.INFO):
        logging.getLogger("api.test").info("serving %s to %r", "/feeds/tok123/s/delegation.ics",
                                           ValueError("bad key sk_1234567890"))
    assert "tok123" not in caplog.text and "sk_1234567890" not in caplog.text
