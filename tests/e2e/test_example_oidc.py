"""The example's provider sign-in in headless Chromium, against the real demo OpenID
provider (oidc-provider-mock) started beside it: click the button, answer the provider's
form, land back signed in on the page asked for."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from support import serving

import example

from .conftest import Shot

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser


@pytest.fixture
def example_with_demo_provider(tmp_path: Path) -> Iterator[str]:
    app = example.create_app(
        environ={"EXAMPLE_SCENARIO": "default", "EXAMPLE_DATABASE": str(tmp_path / "u.sqlite3")}
    )
    demo = app.extensions["example_demo_oidc"]
    try:
        with serving(app) as url:
            yield url
    finally:
        demo.stop()


def test_sign_in_with_the_demo_provider_lands_on_the_page_asked_for(
    page: Page, example_with_demo_provider: str, shot: Shot
) -> None:
    from playwright.sync_api import expect

    base = example_with_demo_provider
    page.goto(f"{base}/dashboard")
    expect(page).to_have_url(f"{base}/auth/sign-in?callbackUrl=%2Fdashboard")
    shot(page, "sign-in-page")
    page.get_by_role("button", name="Sign in with Demo OpenID provider").click()
    # The provider's own authorization form.
    page.locator('input[name="sub"]').fill("demo")
    shot(page, "provider-form")
    page.get_by_role("button", name="Authorize").click()
    expect(page).to_have_url(f"{base}/dashboard")
    expect(page.locator("body")).to_contain_text("Demo User")
    shot(page, "signed-in")


def test_a_typed_user_name_is_greeted_and_a_denial_is_a_cancelled_sign_in(
    page: Page, example_with_demo_provider: str, shot: Shot
) -> None:
    """Issue 21, items 1 and 2: a user name typed at the provider (a profile without a name)
    is what the pages say; "Deny" at the provider lands on the sign-in page, not a 403."""
    from playwright.sync_api import expect

    base = example_with_demo_provider
    page.goto(f"{base}/auth/sign-in")
    page.get_by_role("button", name="Sign in with Demo OpenID provider").click()
    page.locator('input[name="sub"]').fill("demo")
    page.get_by_role("button", name="Deny").click()
    expect(page).to_have_url(f"{base}/auth/sign-in?error=SignInCancelled")
    expect(page.locator(".alert")).to_contain_text("Sign-in was cancelled")
    shot(page, "cancelled")

    page.get_by_role("button", name="Sign in with Demo OpenID provider").click()
    page.locator('input[name="sub"]').fill("bob")
    page.get_by_role("button", name="Authorize").click()
    expect(page).to_have_url(f"{base}/")
    page.goto(f"{base}/dashboard")
    expect(page.locator("h1")).to_have_text("Hello, bob")
    expect(page.locator("#who")).to_contain_text("Signed in as bob")
    # Written a few milliseconds after the sign-in: not yet a re-issue (30-day session).
    expect(page.locator("#reissued")).to_contain_text("not yet")
    assert "None" not in page.locator("main h1").inner_text()
    shot(page, "typed-name")
