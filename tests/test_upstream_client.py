"""The example's upstream client sorts every answer into refused or unavailable.

A canned HTTP server (stdlib, a thread, a free loopback port) plays an upstream that
misbehaves in each way; the well-behaved upstream is covered by test_upstream.py.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from example.upstream_client import (
    UpstreamRefused,
    UpstreamUnavailable,
    get_resource,
    password_grant,
    refresh_grant,
)

GOOD = {
    "access_token": "at",
    "refresh_token": "rt",
    "expires_in": 30,
    "refresh_expires_in": 600,
    "token_type": "Bearer",
    "user": {"id": "1"},
}

# First path segment -> (status, body): the client calls <base>/token or <base>/resource.
CANNED: dict[str, tuple[int, str]] = {
    "good": (200, json.dumps(GOOD)),
    "refused": (400, '{"error": "invalid_grant"}'),
    "unauthorized-html": (401, "<h1>no</h1>"),
    "forbidden-list": (403, "[1, 2]"),
    "throttled": (429, '{"error": "slow_down"}'),
    "timeout-408": (408, ""),
    "broken": (500, "oops"),
    "bad-gateway": (502, '{"error": "bad_gateway"}'),
    "moved": (302, ""),
    "no-content": (204, ""),
    "not-json": (200, "<html></html>"),
    "a-list": (200, "[]"),
    "missing-field": (200, json.dumps({k: v for k, v in GOOD.items() if k != "user"})),
    "bool-expiry": (200, json.dumps({**GOOD, "expires_in": True})),
    "negative-expiry": (200, json.dumps({**GOOD, "refresh_expires_in": -1})),
    "empty-token": (200, json.dumps({**GOOD, "access_token": ""})),
}


class Canned(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        status, body = CANNED[self.path.strip("/").split("/")[0]]
        self.send_response(status)
        if status == 302:
            self.send_header("Location", "/good/token")
        self.send_header("Content-Length", str(len(body.encode())) if status != 204 else "0")
        self.end_headers()
        if status != 204:
            self.wfile.write(body.encode())

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test output is no place for request lines."""


@pytest.fixture(scope="module")
def canned() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Canned)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_a_good_answer_becomes_a_grant(canned: str) -> None:
    grant = refresh_grant(f"{canned}/good/", "rt", timeout=(1, 2), clock=lambda: 10.0)
    assert (grant.access_token, grant.expires_at, grant.refresh_expires_at) == ("at", 40, 610)


@pytest.mark.parametrize(
    ("case", "status", "error"),
    [
        ("refused", 400, "invalid_grant"),
        ("unauthorized-html", 401, "http_401"),
        ("forbidden-list", 403, "http_403"),
    ],
)
def test_client_errors_are_refusals(canned: str, case: str, status: int, error: str) -> None:
    with pytest.raises(UpstreamRefused) as info:
        password_grant(f"{canned}/{case}", "alice", "alice-password")
    assert (info.value.status, info.value.error) == (status, error)
    with pytest.raises(UpstreamRefused):
        get_resource(f"{canned}/{case}", "at")


@pytest.mark.parametrize(
    "case",
    [
        "throttled",
        "timeout-408",
        "broken",
        "bad-gateway",
        "moved",
        "no-content",
        "not-json",
        "a-list",
        "missing-field",
        "bool-expiry",
        "negative-expiry",
        "empty-token",
    ],
)
def test_anything_else_is_unavailable(canned: str, case: str) -> None:
    with pytest.raises(UpstreamUnavailable):
        refresh_grant(f"{canned}/{case}", "rt")


def test_a_non_object_resource_is_unavailable(canned: str) -> None:
    with pytest.raises(UpstreamUnavailable, match="malformed"):
        get_resource(f"{canned}/a-list", "at")


def test_nothing_listening_is_unavailable() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(UpstreamUnavailable, match="unreachable: ConnectionError"):
        password_grant(f"http://127.0.0.1:{port}", "alice", "alice-password", timeout=2)
