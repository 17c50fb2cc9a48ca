"""The browser helper (``/auth/jwtauth.js``, issue 22 part 2) in Chromium: two tabs of one
browser stay in step, a page left open notices the session's end, refetch on focus,
``signIn`` and ``update``. Screenshots go to test-artifacts/."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask, render_template_string, request
from support import serving

from flask_jwtauth import CredentialsProvider, JWTAuth, login_required

from .conftest import Shot

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

pytestmark = pytest.mark.browser

EXPIRED = "Your session has expired, please sign in again."
#: A session short enough to wait out in a test.
SHORT = 3

PAGE = """<!doctype html>
<title>helper</title>
<p>Signed in as <span id="name">{{ current_user.name or "nobody" }}</span></p>
{{ jwtauth_script_tag(on_end=on_end) }}
<script>
  window.events = [];
  jwtauth.onSessionChange(function (s, d) {
    events.push(["session", d.reason, s && s.user ? s.user.name : null]);
    document.getElementById("name").textContent = s && s.user ? s.user.name : "nobody";
  });
  jwtauth.addEventListener("end", function (e) { events.push(["end", e.detail.reason]); });
</script>
"""

#: What the session callback adds, changed by the test between two refetches.
BANNER = {"text": "first"}


def _app(max_age: int) -> Flask:
    app = Flask(__name__)
    app.config.update(
        JWTAUTH_SECRET="e2e-helper-Qz8Lw2Nc5Vb7Xm1Kd4Rt6Hy9Jf3Gp0Sa",
        JWTAUTH_SESSION_MAX_AGE=max_age,
        JWTAUTH_SESSION_UPDATE_AGE=0,
    )

    def authorize(c: dict[str, str]) -> dict[str, Any] | None:
        ok = c.get("username") == "ann" and c.get("password") == "s3cret"
        return {"id": "1", "name": "Ann"} if ok else None

    auth = JWTAuth(app, providers=[CredentialsProvider(authorize=authorize)])

    @auth.jwt_callback
    def jwt(token: dict[str, Any], trigger: str | None = None, session: Any = None) -> Any:
        if trigger == "update" and isinstance(session, dict) and "name" in session:
            token["name"] = str(session["name"])
        return token

    @auth.session_callback
    def shaped(session: dict[str, Any], token: dict[str, Any]) -> dict[str, Any]:
        return {**session, "banner": BANNER["text"]}

    @app.get("/private")
    @login_required
    def private() -> str:
        return render_template_string(PAGE, on_end="redirect")

    @app.get("/public")
    def public() -> str:
        return render_template_string(PAGE, on_end=request.args.get("on_end", "event"))

    return app


@pytest.fixture
def helper_url() -> Iterator[str]:
    BANNER["text"] = "first"
    with serving(_app(600)) as url:
        yield url


@pytest.fixture
def short_url() -> Iterator[str]:
    with serving(_app(SHORT)) as url:
        yield url


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport={"width": 900, "height": 500})
    ctx.set_default_timeout(10_000)
    try:
        yield ctx
    finally:
        ctx.close()


def _sign_in(page: Page, url: str, to: str = "/private") -> None:
    page.goto(f"{url}/auth/sign-in?callbackUrl={to}")
    page.get_by_label("Username").fill("ann")
    page.get_by_label("Password").fill("s3cret")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(f"{url}{to}")


def _events(page: Page) -> list[list[Any]]:
    found: list[list[Any]] = page.evaluate("window.events")
    return found


@pytest.mark.parametrize("channel", ["broadcast", "storage"])
def test_sign_out_in_one_tab_reaches_the_other_within_a_second(
    context: BrowserContext, helper_url: str, shot: Shot, channel: str
) -> None:
    if channel == "storage":  # a browser without BroadcastChannel: the storage event
        context.add_init_script("delete window.BroadcastChannel")
    first = context.new_page()
    _sign_in(first, helper_url)
    second = context.new_page()
    second.goto(f"{helper_url}/private?tab=2")
    second.wait_for_function("jwtauth.session && jwtauth.session.expires")
    started = time.monotonic()
    result = first.evaluate("jwtauth.signOut({redirect: false})")
    assert result["ok"] is True
    second.wait_for_url(f"{helper_url}/auth/sign-in?*", timeout=1_000)
    assert time.monotonic() - started < 1.0
    query = parse_qs(urlsplit(second.url).query)
    assert query["callbackUrl"] == ["/private?tab=2"]
    # A sign-out says nothing about expiry; the tab that signed out stayed where it was.
    assert second.get_by_role("status").count() == 0
    assert first.url == f"{helper_url}/private"
    assert ["end", "signout-here"] in _events(first)
    shot(second, f"signed-out-elsewhere-{channel}")


def test_a_page_left_open_goes_to_sign_in_at_expiry_with_the_notice(
    context: BrowserContext, short_url: str, shot: Shot
) -> None:
    page = context.new_page()
    _sign_in(page, short_url)
    started = time.monotonic()  # the session began a little before this
    shot(page, "signed-in")
    # No click, no reload: the helper's check at the session's end sends the page away.
    page.wait_for_url(f"{short_url}/auth/sign-in?*", timeout=(SHORT + 3) * 1000)
    waited = time.monotonic() - started
    assert SHORT - 1 <= waited <= SHORT + 2.5, waited
    assert parse_qs(urlsplit(page.url).query)["callbackUrl"] == ["/private"]
    assert page.get_by_role("status").inner_text().strip() == EXPIRED
    shot(page, "expired")


def test_an_event_page_only_hears_of_the_end(context: BrowserContext, short_url: str) -> None:
    page = context.new_page()
    _sign_in(page, short_url, to="/public")
    page.wait_for_function(
        "events.some(e => e[0] === 'end')", timeout=(SHORT + 3) * 1000, polling=100
    )
    assert page.url == f"{short_url}/public"
    assert ["end", "expired"] in _events(page)
    assert page.locator("#name").inner_text() == "nobody"


def test_refetch_on_focus_sees_changes_made_elsewhere(
    context: BrowserContext, helper_url: str
) -> None:
    page = context.new_page()
    _sign_in(page, helper_url, to="/public")
    assert page.evaluate("jwtauth.getSession().then(s => s.banner)") == "first"
    BANNER["text"] = "second"
    time.sleep(0.3)
    assert page.evaluate("jwtauth.session.banner") == "first"  # nothing asked yet
    page.evaluate("window.dispatchEvent(new Event('focus'))")
    page.wait_for_function("jwtauth.session.banner === 'second'", timeout=2_000)

    # Signed out behind the helper's back (no message to the tabs): the next focus says so.
    token = context.request.get(f"{helper_url}/auth/csrf").json()["csrfToken"]
    signed_out = context.request.post(
        f"{helper_url}/auth/sign-out", data={"csrfToken": token, "json": "true"}
    )
    assert signed_out.json()["ok"] is True
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    page.wait_for_function("jwtauth.session === null", timeout=2_000)
    assert ["end", "revoked"] in _events(page)


def test_update_changes_the_session_in_every_tab(
    context: BrowserContext, helper_url: str, shot: Shot
) -> None:
    first = context.new_page()
    _sign_in(first, helper_url)
    second = context.new_page()
    second.goto(f"{helper_url}/public")
    second.wait_for_function("jwtauth.session")  # known from the page: no request yet
    updated = first.evaluate("jwtauth.update({name: 'Bea'})")
    assert updated["user"]["name"] == "Bea"
    assert first.locator("#name").inner_text() == "Bea"
    second.wait_for_function("document.getElementById('name').textContent === 'Bea'")
    assert ["session", "message", "Bea"] in _events(second)
    second.reload()
    assert second.locator("#name").inner_text() == "Bea"  # the server's session, not a copy
    shot(second, "updated")


def test_sign_in_without_leaving_the_page_reaches_the_other_tab(
    context: BrowserContext, helper_url: str
) -> None:
    first = context.new_page()
    first.goto(f"{helper_url}/public")
    second = context.new_page()
    second.goto(f"{helper_url}/public")
    for page in (first, second):
        page.wait_for_function("jwtauth.session === null")
    wrong = first.evaluate(
        "jwtauth.signIn('credentials', {username: 'ann', password: 'nope', redirect: false})"
    )
    assert wrong["ok"] is False and wrong["error"] == "CredentialsSignin"
    result = first.evaluate(
        "jwtauth.signIn('credentials', {username: 'ann', password: 's3cret', redirect: false})"
    )
    assert result["ok"] is True and result["url"].startswith(helper_url)
    assert first.evaluate("jwtauth.session.user.name") == "Ann"
    second.wait_for_function("document.getElementById('name').textContent === 'Ann'")
