"""Sign in by email link in Chromium: a protected page sends the browser to sign in, it
asks for a link, the link comes through a real SMTP server (aiosmtpd, its own process), and
the confirm page's button lands the browser signed in on the page it first asked for.
Each step leaves a screenshot in test-artifacts/."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from processes import free_port
from smtp_server import SMTPServer
from werkzeug.serving import make_server

from flask_jwtauth import EmailProvider, JWTAuth, current_user, login_required

from .conftest import Shot

if TYPE_CHECKING:
    from playwright.sync_api import Page

SECRET = "e2e-email-Zq3vN8rT1wXk5Lp0Ys7Bd2Hm9Gc4Fj6A"


@pytest.fixture
def mail(tmp_path: Path) -> Iterator[SMTPServer]:
    server = SMTPServer(tmp_path / "mail")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def site(mail: SMTPServer) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = Flask(__name__)
    app.config.update(
        JWTAUTH_SECRET=SECRET,
        JWTAUTH_URL=url,
        JWTAUTH_STORE_URL="memory://",
        JWTAUTH_THEME_APP_NAME="Email demo",
    )
    JWTAuth(app, providers=[EmailProvider(mail.url)])

    @app.get("/dashboard")
    @login_required
    def dashboard() -> str:
        return f"<h1>Dashboard</h1><p id='who'>Signed in as {current_user['email']}</p>"

    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_sign_in_by_email_link(page: Page, site: str, mail: SMTPServer, shot: Shot) -> None:
    page.goto(f"{site}/dashboard")
    assert "/auth/sign-in" in page.url and "callbackUrl=%2Fdashboard" in page.url
    page.get_by_label("Email").fill("Ann@Example.com")
    shot(page, "sign-in")
    page.get_by_role("button", name="Sign in with Email").click()
    page.wait_for_url(re.compile(r".*/auth/verify-request.*"))
    assert page.get_by_role("heading", name="Check your email").is_visible()
    shot(page, "check-your-email")

    (message,) = mail.wait_for(1)
    body = message.get_body(("plain",))
    assert body is not None
    link = re.search(r"http://127\.0\.0\.1:\d+/\S+", body.get_content())
    assert link is not None
    page.goto(link.group(0))
    assert page.get_by_text("Continue as ann@example.com?").is_visible()
    shot(page, "confirm")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{site}/dashboard")
    assert page.locator("#who").inner_text() == "Signed in as ann@example.com"
    shot(page, "dashboard")

    # The link is spent: opening it again and confirming goes back to sign in.
    page.goto(link.group(0))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/auth/sign-in\?error=Verification.*"))
    assert page.get_by_role("alert").is_visible()
    shot(page, "spent-link")
