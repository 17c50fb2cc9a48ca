"""What a person sees on the pages (issue 8): contrast, focus, narrow screens, dark mode,
the favicon, failed sign-in landing on the page, and the expiry notice after a public page.
Screenshots go to test-artifacts/."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from support import serving

from flask_jwtauth import CredentialsProvider, JWTAuth
from flask_jwtauth.theme import contrast

from .conftest import EXPIRED_WAIT, LiveServer, Shot

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

RGB_TO_HEX = (
    "c => '#' + c.match(/\\d+/g).slice(0, 3).map(n => (+n).toString(16).padStart(2, '0')).join('')"
)


def colours(page: Page, selector: str) -> tuple[str, str]:
    text = page.eval_on_selector(selector, f"e => ({RGB_TO_HEX})(getComputedStyle(e).color)")
    background = page.eval_on_selector(
        selector, f"e => ({RGB_TO_HEX})(getComputedStyle(e).backgroundColor)"
    )
    return str(text), str(background)


@pytest.fixture
def yellow_app() -> Iterator[str]:
    app = Flask(__name__)
    app.config.update(
        JWTAUTH_SECRET="e2e-pages-Lp3Kd9Wq2Zm6Xv8Bc4Nr7Ts1Hy5Gf0Ja",
        JWTAUTH_THEME_BRAND_COLOR="#facc15",
    )
    JWTAuth(app, providers=[CredentialsProvider(authorize=lambda c: None)])
    with serving(app) as url:
        yield url


def test_button_text_is_readable_on_light_and_dark_brands(
    page: Page, live_server: LiveServer, yellow_app: str, shot: Shot
) -> None:
    for url in (f"{live_server.url}/auth/sign-in", f"{yellow_app}/auth/sign-in"):
        page.goto(url)
        text, background = colours(page, "button[type=submit]")
        ratio = contrast(text, background)
        assert ratio is not None and ratio >= 4.5, (url, text, background, ratio)
        shot(page, "brand")


def test_focus_on_load_and_after_a_failed_sign_in(
    page: Page, live_server: LiveServer, shot: Shot
) -> None:
    url = live_server.url
    page.goto(f"{url}/auth/sign-in?callbackUrl=%2Fdashboard")
    page.wait_for_function("document.activeElement && document.activeElement.name === 'username'")
    page.keyboard.type("alice")
    page.keyboard.press("Tab")
    page.keyboard.type("wrong-password")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{url}/auth/sign-in?error=CredentialsSignin&callbackUrl=%2Fdashboard")
    # Post, redirect, get: the address bar shows the page; a reload does not re-post.
    page.wait_for_function("document.activeElement && document.activeElement.name === 'password'")
    assert page.input_value("input[name=username]") == "alice"
    assert page.get_attribute("input[name=password]", "aria-describedby") == "jwtauth-error"
    assert page.locator("[role=alert]").inner_text().startswith("Sign in failed")
    shot(page, "failed")
    page.reload()
    assert page.url.endswith("error=CredentialsSignin&callbackUrl=%2Fdashboard")
    page.goto(f"{url}/auth/sign-in/credentials")  # Enter in the address bar on the action URL
    assert "/auth/sign-in" in page.url and "405" not in page.content()


def _sign_in(page: Page, url: str) -> None:
    page.goto(f"{url}/auth/sign-in?callbackUrl=%2Fdashboard")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "alice-password")
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/dashboard")


def test_dashboard_on_a_narrow_screen(
    browser: Browser, live_server: LiveServer, shot: Shot
) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 800})
    try:
        page = context.new_page()
        _sign_in(page, live_server.url)
        line = float(
            page.eval_on_selector(
                "#signed-in-at", "e => parseFloat(getComputedStyle(e).lineHeight)"
            )
        )
        for dd in ("#signed-in-at", "#issued-at", "#session-expires"):
            height = float(page.eval_on_selector(dd, "e => e.getBoundingClientRect().height"))
            assert height <= 2 * line + 1, (dd, height, line)
        shot(page, "narrow")
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_dashboard_json_and_times_on_a_phone(
    browser: Browser, live_server: LiveServer, shot: Shot, scheme: str
) -> None:
    """Issue 21, items 4 and 6: at 390 px no short JSON string (a date, an id, an address)
    breaks inside, nothing overflows; the times are those of the cookie this page sent (a
    3-second session re-issued on every request: always "in 3 s")."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, color_scheme=scheme  # type: ignore[arg-type]
    )
    try:
        page = context.new_page()
        _sign_in(page, live_server.url)
        time.sleep(1.2)
        page.reload()
        assert "(in 3 s" in page.locator("#session-expires").inner_text()
        broken = page.eval_on_selector_all(
            "#session-json .json-short",
            "els => els.filter(e => e.getClientRects().length > 1).length",
        )
        assert broken == 0
        overflow = page.eval_on_selector("#session-json", "e => e.scrollWidth - e.clientWidth")
        assert overflow <= 0
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        shot(page, f"dashboard-phone-{scheme}")
    finally:
        context.close()


def test_api_demo_button_in_dark_mode(
    browser: Browser, live_server: LiveServer, shot: Shot
) -> None:
    context = browser.new_context(color_scheme="dark")
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/api-demo")
        text, background = colours(page, "#api-call")
        ratio = contrast(text, background)
        assert ratio is not None and ratio >= 4.5, (text, background, ratio)
        shot(page, "dark")
    finally:
        context.close()


def test_favicon(page: Page, live_server: LiveServer) -> None:
    page.goto(live_server.url)
    href = page.get_attribute("link[rel=icon]", "href")
    assert href
    response = page.request.get(f"{live_server.url}{href}")
    assert response.status == 200 and "svg" in response.headers["content-type"]


def test_expiry_notice_survives_a_public_page(
    page: Page, live_server: LiveServer, shot: Shot
) -> None:
    url = live_server.url
    _sign_in(page, url)
    time.sleep(EXPIRED_WAIT)  # a real browser, a real 3-second session
    page.goto(f"{url}/")  # a public page first: it clears the dead cookie
    page.goto(f"{url}/dashboard")
    # The browser dropped the cookie at its Max-Age (the session's own): the sign-in page
    # learns why from the marker scoped to it.
    assert "/auth/sign-in" in page.url
    assert "Your session has expired" in page.locator("[role=status]").inner_text()
    shot(page, "expired")
