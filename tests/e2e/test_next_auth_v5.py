"""The real Auth.js v5 next-auth/react client against a Flask back end, in headless Chromium.

A page bundled by esbuild from ``tests/nextauth_v5`` (next-auth 5.0.0-beta.32, React 18) is
served by a Flask app whose Auth.js REST API is at ``/api/auth`` with
``JWTAUTH_AUTHJS_VERSION = 5``; the test calls the client's own functions as an app would
and reads ``useSession()`` from the DOM: a failed and a successful credentials sign-in with
``redirect: false`` (v5's client posts with ``X-Auth-Return-Redirect`` and reads ``error``
and ``code`` from the ``url`` it is told), the session, ``update``, sign-out, a sign-in
through the real OpenID provider (npm oidc-provider), a sign-in by email link, and a test
for each deliberate difference from v5's server (docs/guides/nextjs.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from .authjs_client import (
    SHORT_SESSION,
    Served,
    build_bundle,
    refused_consent_lands_on_our_sign_in_page,
    serve,
    session_rolls_while_read_and_ends_when_idle,
    sign_in_ann,
    signs_in_by_email,
    signs_in_with_the_provider,
    status,
    to_the_provider,
    unknown_provider_goes_to_the_sign_in_page,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The page's script, built once from the real v5 next-auth/react with esbuild."""
    return build_bundle("nextauth_v5", tmp_path_factory.mktemp("bundle") / "bundle.js")


@pytest.fixture
def served(bundle: bytes) -> Iterator[Served]:
    """The Flask back end (v5's answers) and the OpenID provider it knows as ``oidc``."""
    with serve(bundle, version=5) as found:
        yield found


@pytest.fixture
def with_email(bundle: bytes) -> Iterator[Served]:
    """The same with an email provider (its links kept), landing on the confirm page."""
    with serve(bundle, version=5, email=True) as found:
        yield found


@pytest.fixture
def short(bundle: bytes) -> Iterator[Served]:
    """The same with a 3-second session, re-issued after a second of activity."""
    with serve(bundle, version=5, **SHORT_SESSION) as found:
        yield found


@pytest.fixture
def base(served: Served) -> str:
    return served.base


def test_credentials_session_update_and_sign_out(page: Page, base: str) -> None:
    page.goto(f"{base}/")
    status(page, "unauthenticated")  # null for no session: v5's client reads {} as a session
    assert page.evaluate("() => window.nextAuth.getSession()") is None

    failed = page.evaluate(
        """() => window.nextAuth.signIn("credentials",
             {redirect: false, username: "ann", password: "wrong"})"""
    )
    # As against v5's own server: told with 200, the error and its code in the URL.
    assert failed == {
        "error": "CredentialsSignin",
        "code": "credentials",
        "status": 200,
        "ok": True,
        "url": None,
    }
    status(page, "unauthenticated")

    result = page.evaluate(
        """() => window.nextAuth.signIn("credentials",
             {redirect: false, username: "ann", password: "pw-ann", callbackUrl: "/after"})"""
    )
    assert result["ok"] is True and result.get("error") is None
    assert result["url"] == f"{base}/after"
    status(page, "authenticated")
    session = page.evaluate("() => window.nextAuth.getSession()")
    assert session["user"] == {"name": "Ann", "email": "ann@example.com"}
    assert isinstance(page.evaluate("() => window.nextAuth.getCsrfToken()"), str)
    providers = page.evaluate("() => window.nextAuth.getProviders()")
    assert providers["credentials"]["type"] == "credentials"

    updated = page.evaluate("() => window.nextAuthUpdate({name: 'Ann Updated'})")
    assert updated["user"]["name"] == "Ann Updated"
    assert "Ann Updated" in page.locator("#session").inner_text()

    out = page.evaluate("() => window.nextAuth.signOut({redirect: false, redirectTo: '/bye'})")
    assert out == {"url": f"{base}/bye"}
    status(page, "unauthenticated")
    page.reload()
    status(page, "unauthenticated")
    assert page.evaluate("() => window.nextAuth.getSession()") is None


def test_sign_in_by_email(page: Page, with_email: Served) -> None:
    """``signIn("email", {email, redirect: false})``, the link through our confirm page,
    signed in; an address that is not one is told ``Configuration`` with 200, as by v5's
    own server."""
    refused = {"error": "Configuration", "status": 200, "ok": True}
    signs_in_by_email(page, with_email, refused)


def test_sign_out_with_a_stale_token_is_refused(page: Page, base: str) -> None:
    """As with v5's server: a sign-out whose token is not this browser's is told
    ``MissingCSRF`` on the sign-in route, and the user stays signed in."""
    sign_in_ann(page, base)
    page.route("**/api/auth/csrf", lambda route: route.fulfill(json={"csrfToken": "stale"}))
    out = page.evaluate("() => window.nextAuth.signOut({redirect: false})")
    page.unroute("**/api/auth/csrf")
    assert out == {"url": f"{base}/api/auth/signin?error=MissingCSRF"}
    session = page.request.get(f"{base}/api/auth/session").json()
    assert session["user"]["name"] == "Ann"


def test_sign_in_with_an_openid_provider(page: Page, served: Served) -> None:
    """v5's ``signIn("oidc")`` posts with ``X-Auth-Return-Redirect``, is told the
    provider's authorization URL, and the user comes back signed in."""
    signs_in_with_the_provider(page, served)


# -- each deliberate difference from v5 (docs/guides/nextjs.md), as the client meets it ----


def test_session_rolls_while_read_and_ends_when_idle(page: Page, short: Served) -> None:
    session_rolls_while_read_and_ends_when_idle(page, short.base)


def test_sign_out_without_options_returns_to_the_page(page: Page, base: str) -> None:
    """No ``authjs.callback-url`` cookie: v5's signOut() sends ``redirectTo``, the page's
    own address by default, and lands there signed out."""
    sign_in_ann(page, base)
    page.goto(f"{base}/?here=1")
    status(page, "authenticated")
    page.evaluate("() => { window.nextAuth.signOut(); }")
    page.wait_for_url(f"{base}/?here=1")
    status(page, "unauthenticated")


def test_refused_consent_lands_on_our_sign_in_page(page: Page, served: Served) -> None:
    refused_consent_lands_on_our_sign_in_page(page, served)


def test_a_forged_callback_lands_on_the_configuration_error_page(
    page: Page, served: Served
) -> None:
    """A provider's redirect to ``/api/auth/callback/oidc`` with a state this browser was
    not given: as v5, ``/error?error=Configuration``; ours shows its error page with 200
    (v5: 500), with a way on. ``signIn()`` of an unknown provider does not go there: v5's
    client sends the browser to the sign-in page itself."""
    base = served.base
    to_the_provider(page, served)
    response = page.goto(f"{base}/api/auth/callback/oidc?code=forged&state=forged")
    assert page.url == f"{base}/api/auth/error?error=Configuration"
    assert response is not None and response.status == 200
    assert page.get_by_role("alert").inner_text().strip() == (
        "There is a problem with the server configuration."
    )
    page.get_by_role("link", name="Sign in").click()
    page.wait_for_url(f"{base}/auth/sign-in**")
    page.goto(f"{base}/")
    status(page, "unauthenticated")
    assert page.evaluate("() => window.nextAuth.getSession()") is None
    unknown_provider_goes_to_the_sign_in_page(page, base)
