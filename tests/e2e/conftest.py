"""Real-browser fixtures: Debian's Chromium through Playwright, the example on a real server.

Without Chromium or Playwright the tests skip locally, but fail in CI (``CI=true``), where a
missing browser means the environment is broken, not that the tests do not apply.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from werkzeug.serving import make_server

import example

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

#: Short enough to wait out in a test, long enough for a few page loads in between.
SESSION_MAX_AGE = 3
#: Long enough for a session of SESSION_MAX_AGE to be over.
EXPIRED_WAIT = SESSION_MAX_AGE + 0.5


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (required in CI)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed: pip install playwright")
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"no browser at {CHROMIUM}: apt-get install chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass(frozen=True)
class LiveServer:
    url: str
    session_max_age: int


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The example (default scenario, 3-second session) on a loopback port, fresh database."""
    app = example.create_app(
        environ={
            "EXAMPLE_SCENARIO": "default",
            "EXAMPLE_DEMO_OIDC": "0",
            "EXAMPLE_DEMO_MAIL": "0",
            "EXAMPLE_SESSION_MAX_AGE": str(SESSION_MAX_AGE),
            "EXAMPLE_DATABASE": str(tmp_path / "users.sqlite3"),
        }
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="example-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", SESSION_MAX_AGE)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) per test."""
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


Shot = Callable[["Page", str], None]


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Shot:
    """``shot(page, "dashboard")`` saves test-artifacts/<test>-<n>-dashboard.png."""
    ARTIFACTS.mkdir(exist_ok=True)
    count = 0

    def save(page: Page, step: str) -> None:
        nonlocal count
        count += 1
        page.screenshot(
            path=ARTIFACTS / f"{request.node.name}-{count:02d}-{step}.png", full_page=True
        )

    return save
