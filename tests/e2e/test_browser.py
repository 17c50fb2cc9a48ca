"""The example as a person sees it: headless Chromium against a real WSGI server.

Each step leaves a screenshot in test-artifacts/.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import pytest

from .conftest import LiveServer, Shot

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture reports it: a skip locally, a failure in CI
    if not TYPE_CHECKING:
        expect = None

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

EXPIRED = "Your session has expired, please sign in again."


def sign_in(page: Page, username: str, password: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def api_result(page: Page, status: int) -> dict[str, object]:
    result = page.locator(f'#api-result[data-status="{status}"]')
    expect(result).to_be_visible()
    body: dict[str, object] = json.loads(result.inner_text())
    return body


def test_sign_in_session_expiry_and_sign_out(
    page: Page, live_server: LiveServer, shot: Shot
) -> None:
    url = live_server.url
    # A protected page sends us to the sign-in form, remembering where we were going.
    page.goto(f"{url}/dashboard")
    expect(page).to_have_url(f"{url}/auth/sign-in?callbackUrl=%2Fdashboard")
    expect(page.locator("#demo-hint")).to_contain_text("alice-password")
    shot(page, "sign-in")

    sign_in(page, "alice", "alice-password")
    expect(page).to_have_url(f"{url}/dashboard")
    expect(page.get_by_role("heading", name="Hello, Alice Example")).to_be_visible()
    expect(page.locator("#session-json")).to_contain_text('"username": "alice"')
    shot(page, "dashboard")

    # The page's script calls /api/me with fetch and shows the answer.
    api_page = page.context.new_page()
    api_page.goto(f"{url}/api-demo")
    me = api_result(api_page, 200)
    assert me["user"] == {
        "id": "1",
        "name": "Alice Example",
        "email": "alice@example.com",
        "image": None,
        "username": "alice",
    }
    shot(api_page, "fetch-ok")

    # Wait the session out without a request; a reload lands on sign-in, saying why.
    time.sleep(live_server.session_max_age + 1)
    page.reload()
    query = parse_qs(urlsplit(page.url).query)
    assert urlsplit(page.url).path == "/auth/sign-in"
    assert query["callbackUrl"] == ["/dashboard"]
    expect(page.locator("#jwtauth-error")).to_have_text(EXPIRED)
    shot(page, "expired")

    # The script's next call gets the JSON 401, not an HTML page.
    api_page.locator("#api-call").click()
    denied = api_result(api_page, 401)
    assert denied["error"] in ("SessionExpired", "SessionRequired")
    expect(api_page.locator("#api-status")).to_have_text("HTTP 401")
    shot(api_page, "fetch-401")
    api_page.close()

    # Signing in again returns to the page we were on.
    sign_in(page, "alice", "alice-password")
    expect(page).to_have_url(f"{url}/dashboard")
    shot(page, "back-on-dashboard")

    # Sign out through the confirmation page.
    page.get_by_role("link", name="Sign out").click()
    expect(page.get_by_text("Are you sure you want to sign out?")).to_be_visible()
    shot(page, "sign-out-confirm")
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("#status")).to_contain_text("Not signed in")
    shot(page, "signed-out")
    page.goto(f"{url}/dashboard")
    expect(page).to_have_url(f"{url}/auth/sign-in?callbackUrl=%2Fdashboard")


def test_admin_page_is_forbidden_for_a_plain_user(
    page: Page, live_server: LiveServer, shot: Shot
) -> None:
    url = live_server.url
    page.goto(f"{url}/auth/sign-in?callbackUrl=%2Fadmin")
    with page.expect_response(f"{url}/admin") as admin:
        sign_in(page, "alice", "alice-password")
    assert admin.value.status == 403
    expect(page.get_by_role("heading", name="Access denied")).to_be_visible()
    shot(page, "admin-403")
