"""The example's upstream token service, started for real: ``python -m example.upstream``.

A pytest plugin: a test module says ``pytest_plugins = ["upstream_server"]`` and asks for the
``upstream`` fixture. One process serves the whole test session (started on a free loopback
port, stopped at the end); each test gets it fully reset, with a small control API to move
its clock, inject failures and read its counters.
"""

from __future__ import annotations

import queue
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
READY = re.compile(r"ready on (http://127\.0\.0\.1:\d+)")
START_TIMEOUT = 20.0
TIMEOUT = 5.0


@dataclass(frozen=True)
class Upstream:
    """A running upstream: its ``url`` and the test controls (``POST /_control``)."""

    url: str

    def control(self, **changes: Any) -> dict[str, Any]:
        response = requests.post(f"{self.url}/_control", json=changes, timeout=TIMEOUT)
        assert response.status_code == 200, response.text
        settings: dict[str, Any] = response.json()
        return settings

    def advance(self, seconds: float) -> None:
        """Move the service's clock forward (its tokens age; nothing sleeps)."""
        self.control(advance=seconds)

    def freeze(self, frozen: bool = True) -> None:
        """Hold the service's clock still (the ``upstream`` fixture does), or let it run."""
        self.control(freeze=frozen)

    def set_ttls(self, *, access: int | None = None, refresh: int | None = None) -> None:
        changes = {"access_ttl": access, "refresh_ttl": refresh}
        self.control(**{k: v for k, v in changes.items() if v is not None})

    def fail_next(self, count: int) -> None:
        """The next ``count`` POST /token answer 503 without touching any token."""
        self.control(fail_next=count)

    def delay_next(self, count: int, ms: int, *, then: Literal["process", "fail"]) -> None:
        """The next ``count`` POST /token wait ``ms`` first, then are processed or answer 503.

        ``then="process"`` is the honest slow server: a refresh the client gave up on still
        rotates the token. ``then="fail"`` is a gateway timing out before the request got in.
        """
        self.control(delay_next=count, delay_ms=ms, delay_then=then)

    def revoke_user(self, username: str) -> None:
        """Revoke every family of this user (an admin logging them out; not a reuse)."""
        self.control(revoke_user=username)

    def reset(self) -> None:
        """Forget every token; restore TTLs, counters and the running real-time clock."""
        self.control(reset="all")

    def stats(self) -> dict[str, int]:
        response = requests.get(f"{self.url}/_stats", timeout=TIMEOUT)
        assert response.status_code == 200, response.text
        counts: dict[str, int] = response.json()
        return counts

    def wait_for_stats(
        self, condition: Callable[[dict[str, int]], bool], timeout: float = 5.0
    ) -> dict[str, int]:
        """Poll the counters (bounded) until ``condition`` holds: for work a delay left behind."""
        deadline = time.monotonic() + timeout
        while True:
            stats = self.stats()
            if condition(stats):
                return stats
            if time.monotonic() > deadline:
                pytest.fail(f"the upstream's counters never got there: {stats}")
            time.sleep(0.02)


@contextmanager
def run_upstream(*args: str) -> Iterator[str]:
    """Run ``python -m example.upstream --port 0 ARGS``; its base URL once it says it is ready."""
    command = [sys.executable, "-m", "example.upstream", "--port", "0", *args]
    with tempfile.TemporaryFile("w+") as stderr:
        process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True
        )
        assert process.stdout is not None
        lines: queue.Queue[str | None] = queue.Queue()
        # Reads stdout to the end, so the pipe never fills and the reader ends with the process.
        reader = threading.Thread(target=_drain, args=(process.stdout, lines), daemon=True)
        reader.start()
        try:
            yield _wait_ready(process, lines, stderr)
        finally:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
            reader.join(timeout=5)
            process.stdout.close()


def _drain(stream: Any, lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def _wait_ready(process: subprocess.Popen[str], lines: queue.Queue[str | None], stderr: Any) -> str:
    deadline = time.monotonic() + START_TIMEOUT
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            break
        if line is None:  # stdout closed: the process has ended
            process.wait(timeout=5)
            break
        if match := READY.search(line):
            return match.group(1)
    stderr.seek(0)
    pytest.fail(
        f"example.upstream did not start (exit code {process.poll()}):\n{stderr.read()[-2000:]}"
    )


@pytest.fixture(scope="session")
def upstream_url() -> Iterator[str]:
    """One upstream process for the test session, with its test controls on."""
    with run_upstream("--test-controls") as url:
        yield url


@pytest.fixture
def upstream(upstream_url: str) -> Upstream:
    """The session's upstream, reset: no tokens, default TTLs, zero counts, and its clock
    frozen at now, so a token lives exactly its TTL of ``advance()``."""
    service = Upstream(upstream_url)
    service.control(reset="all", freeze=True)
    return service
