"""The built-in pages in Chromium at 1280 and 390 px, light and dark (issue 21, items 7 to
10): nothing wraps that should not, the brand leads home, a failed sign-in outlines the
password only, notices are not error red, the 503 page's way on, and the way on for a user
signed in already. Screenshots of each go to test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from support import serving

import example
from flask_jwtauth import CredentialsProvider, JWTAuth, login_required
from flask_jwtauth.errors import SessionUnavailable

from .conftest import Shot

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

SIZES = {"desktop": 1280, "phone": 390}
SCHEMES = ("light", "dark")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The example with its demo provider's button (the provider itself is not needed to
    show the page) and a 503 view."""
    folder = tmp_path_factory.mktemp("pages")
    app = example.create_app(
        environ={
            "EXAMPLE_SCENARIO": "default",
            "EXAMPLE_DEMO_OIDC_URL": "http://127.0.0.1:9",
            "EXAMPLE_DATABASE": str(folder / "users.sqlite3"),
        }
    )

    @app.get("/reports")
    @login_required
    def reports() -> str:
        raise SessionUnavailable()  # as when the upstream cannot renew the session

    with serving(app) as url:
        yield url


def _context(browser: Browser, size: str, scheme: str) -> Page:
    context = browser.new_context(
        viewport={"width": SIZES[size], "height": 900},
        color_scheme=scheme,  # type: ignore[arg-type]
    )
    context.set_default_timeout(10_000)
    return context.new_page()


def _lines(page: Page, selector: str) -> float:
    return float(
        page.eval_on_selector(
            selector,
            "e => { const s = getComputedStyle(e); const r = document.createRange();"
            " r.selectNodeContents(e); const rects = [...r.getClientRects()];"
            " const tops = new Set(rects.map(x => Math.round(x.top))); return tops.size; }",
        )
    )


def _colour(page: Page, selector: str, prop: str) -> str:
    return str(page.eval_on_selector(selector, f"e => getComputedStyle(e).{prop}"))


def _sign_in(page: Page, base: str, password: str = "alice-password") -> None:
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Sign in", exact=True).click()


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("size", list(SIZES))
def test_the_sign_in_page(browser: Browser, site: str, shot: Shot, size: str, scheme: str) -> None:
    from playwright.sync_api import expect

    page = _context(browser, size, scheme)
    try:
        page.goto(f"{site}/auth/sign-in?callbackUrl=%2Fdashboard")
        expect(page.locator("h1")).to_have_text("Sign in")
        assert _lines(page, "h1") == 1
        openid = page.get_by_role("button", name="Sign in with Demo OpenID provider")
        assert _lines(page, "button.btn-provider") == 1, openid.bounding_box()
        expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
        assert page.locator("main").inner_text().count("JWTAuth Example") == 0
        assert page.get_by_role("link", name="JWTAuth Example").get_attribute("href") == "/"
        assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]
        shot(page, f"sign-in-{size}-{scheme}")

        # A failed attempt: the error in red, only the password outlined.
        _sign_in(page, site, "wrong")
        page.wait_for_url("**error=CredentialsSignin**")
        danger = _colour(page, "#jwtauth-error", "borderTopColor")
        assert _colour(page, "input[name=password]", "borderTopColor") != _colour(
            page, "input[name=username]", "borderTopColor"
        )
        assert page.get_attribute("input[name=username]", "aria-invalid") is None
        shot(page, f"failed-{size}-{scheme}")

        # A notice (here the cancelled sign-in; the expiry notice is the same): not red.
        page.goto(f"{site}/auth/sign-in?error=SessionExpired")
        notice = page.get_by_role("status")
        expect(notice).to_contain_text("Your session has expired")
        assert _colour(page, "#jwtauth-error", "borderTopColor") != danger
        assert _colour(page, "#jwtauth-error", "backgroundColor") != _colour(
            page, ".card", "backgroundColor"
        )
        shot(page, f"expired-{size}-{scheme}")

        # Signed in already: the way on, to the page asked for.
        page.goto(f"{site}/auth/sign-in?callbackUrl=%2Fdashboard")
        _sign_in(page, site)
        page.wait_for_url(f"{site}/dashboard")
        page.goto(f"{site}/auth/sign-in?callbackUrl=%2Fdashboard")
        link = page.locator("#jwtauth-continue")
        expect(link).to_have_text("Continue to /dashboard")
        shot(page, f"signed-in-{size}-{scheme}")
        link.click()
        page.wait_for_url(f"{site}/dashboard")

        # The 503 page: "Try again", the raw code in small print.
        response = page.goto(f"{site}/reports")
        assert response is not None and response.status == 503
        expect(page.locator(".actions a").first).to_have_text("Try again")
        expect(page.locator(".actions")).not_to_contain_text("Sign in")
        size_of = "e => parseFloat(getComputedStyle(e).fontSize)"
        small = float(page.eval_on_selector(".error-ref", size_of))
        body = float(page.eval_on_selector(".alert", size_of))
        assert small < body
        shot(page, f"503-{size}-{scheme}")
    finally:
        page.context.close()


def test_a_custom_app_without_a_name_has_no_empty_brand_link(
    browser: Browser, tmp_path: Path
) -> None:
    app = Flask(__name__)
    app.config.update(JWTAUTH_SECRET="e2e-pages-Lp3Kd9Wq2Zm6Xv8Bc4Nr7Ts1Hy5Gf0Ja")
    JWTAuth(app, providers=[CredentialsProvider(authorize=lambda c: None)])
    page = _context(browser, "phone", "light")
    try:
        with serving(app) as url:
            page.goto(f"{url}/auth/sign-in")
            assert page.locator("header.brand a").count() == 0
            assert page.locator("header.brand").is_hidden()
    finally:
        page.context.close()
