"""The real next-auth/react (v4) client against a Flask back end, in headless Chromium.

A page bundled by esbuild from ``tests/nextauth_client`` (next-auth 4.24.15, React 18) is
served by a Flask app whose Auth.js REST API is at ``/api/auth``; the test calls the client's
own functions as an app would, and reads ``useSession()`` from the DOM: credentials sign-in
with ``redirect: false``, session read, ``update``, sign-out, a sign-in through the real
OpenID provider (npm oidc-provider), a sign-in by email link, and a test for each deliberate
difference from v4's server (docs/guides/nextjs.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from .authjs_client import (
    SHORT_SESSION,
    Served,
    build_bundle,
    parsed_body,
    record_posts,
    refused_consent_lands_on_our_sign_in_page,
    serve,
    session_rolls_while_read_and_ends_when_idle,
    sign_in_ann,
    signs_in_by_email,
    signs_in_with_the_provider,
    status,
    text_answer,
    unknown_provider_goes_to_the_sign_in_page,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The page's script, built once from the real next-auth/react (v4) with esbuild."""
    return build_bundle("nextauth_client", tmp_path_factory.mktemp("bundle") / "bundle.js")


@pytest.fixture
def served(bundle: bytes) -> Iterator[Served]:
    """The Flask back end and the OpenID provider it knows as ``oidc``."""
    with serve(bundle) as found:
        yield found


@pytest.fixture
def with_email(bundle: bytes) -> Iterator[Served]:
    """The same with an email provider (its links kept), landing on the confirm page."""
    with serve(bundle, email=True) as found:
        yield found


@pytest.fixture
def short(bundle: bytes) -> Iterator[Served]:
    """The same with a 3-second session, re-issued after a second of activity."""
    with serve(bundle, **SHORT_SESSION) as found:
        yield found


def test_credentials_session_update_and_sign_out(page: Page, served: Served) -> None:
    base = served.base
    page.goto(f"{base}/")
    status(page, "unauthenticated")
    failed = page.evaluate(
        """() => window.nextAuth.signIn("credentials",
             {redirect: false, username: "ann", password: "wrong"})"""
    )
    assert failed["ok"] is False and failed["error"] == "CredentialsSignin"
    assert failed["status"] == 401
    status(page, "unauthenticated")

    result = page.evaluate(
        """() => window.nextAuth.signIn("credentials",
             {redirect: false, username: "ann", password: "pw-ann"})"""
    )
    assert result["ok"] is True and result["error"] is None
    status(page, "authenticated")
    session = page.evaluate("() => window.nextAuth.getSession()")
    assert session["user"]["name"] == "Ann"
    assert isinstance(page.evaluate("() => window.nextAuth.getCsrfToken()"), str)
    providers = page.evaluate("() => window.nextAuth.getProviders()")
    assert set(providers) == {"credentials", "oidc"}

    updated = page.evaluate("() => window.nextAuthUpdate({name: 'Ann Updated'})")
    assert updated["user"]["name"] == "Ann Updated"
    assert "Ann Updated" in page.locator("#session").inner_text()

    out = page.evaluate("() => window.nextAuth.signOut({redirect: false})")
    assert out["url"].startswith(base)
    page.reload()
    status(page, "unauthenticated")
    assert page.evaluate("() => window.nextAuth.getSession()") is None


def test_sign_in_with_an_openid_provider(page: Page, served: Served) -> None:
    signs_in_with_the_provider(page, served)


def test_sign_in_by_email(page: Page, with_email: Served) -> None:
    """``signIn("email", {email, redirect: false})``, the link through our confirm page,
    signed in; an address that is not one is told ``EmailSignin`` with 200, as by v4's
    own server."""
    refused = {"error": "EmailSignin", "status": 200, "ok": True}
    signs_in_by_email(page, with_email, refused)


def test_sign_out_with_a_stale_token_lands_on_the_confirmation(
    page: Page, served: Served
) -> None:
    """As with v4's server: a sign-out post whose token is not this browser's is told
    ``/signout?csrf=true``, and signOut() takes the user to the sign-out confirmation (ours),
    still signed in; not to the sign-in page (issue 20)."""
    base = served.base
    sign_in_ann(page, base)
    page.route("**/api/auth/csrf", lambda route: route.fulfill(json={"csrfToken": "stale"}))
    page.evaluate("() => { window.nextAuth.signOut({callbackUrl: '/'}); }")
    page.wait_for_url(f"{base}/auth/sign-out**")
    page.unroute("**/api/auth/csrf")
    session = page.request.get(f"{base}/api/auth/session").json()
    assert session["user"] == {"name": "Ann", "email": "ann@example.com"}


def test_sign_out_without_options_returns_to_the_page(page: Page, served: Served) -> None:
    """Ours keeps no callback-url cookie (a deliberate difference, docs/guides/nextjs.md):
    signOut() always sends callbackUrl, the page's own address by default, and lands there
    signed out, as with v4's server."""
    base = served.base
    sign_in_ann(page, base)
    page.goto(f"{base}/?here=1")
    status(page, "authenticated")
    page.evaluate("() => { window.nextAuth.signOut(); }")
    page.wait_for_url(f"{base}/?here=1")
    status(page, "unauthenticated")


# -- each deliberate difference from v4 (docs/guides/nextjs.md), as the client meets it ----


def test_session_rolls_while_read_and_ends_when_idle(page: Page, short: Served) -> None:
    session_rolls_while_read_and_ends_when_idle(page, short.base)


def test_refused_consent_lands_on_our_sign_in_page(page: Page, served: Served) -> None:
    refused_consent_lands_on_our_sign_in_page(page, served)


def test_requests_v4_does_not_serve_are_answered_in_text(page: Page, served: Served) -> None:
    """v4's 400 and line of text, as text/plain: the browser shows the text (no HTML is
    rendered from it), and the client works as before afterwards."""
    base = served.base
    page.goto(f"{base}/")
    for path in ("/nonsense", "/_log", "/callback/nope", "/callback/credentials"):
        shown = text_answer(page, f"{base}/api/auth{path}")
        assert shown == (400, "Error: This action with HTTP GET is not supported.")
    for path in ("/nonsense", "/providers", "/csrf", "/callback/nope"):
        shown = text_answer(page, f"{base}/api/auth{path}", method="POST")
        assert shown == (400, "Error: This action with HTTP POST is not supported.")
    deleted = page.evaluate(
        """async () => {
             const answer = await fetch("/api/auth/session", {method: "DELETE"});
             return [answer.status, answer.headers.get("content-type"), await answer.text()];
           }"""
    )
    assert deleted[0] == 400 and deleted[1].startswith("text/plain")
    sign_in_ann(page, base)
    assert page.evaluate("() => window.nextAuth.getSession()")["user"]["name"] == "Ann"
    assert set(page.evaluate("() => window.nextAuth.getProviders()")) == {"credentials", "oidc"}


def test_the_configuration_error_page(page: Page, served: Served) -> None:
    """``/error?error=Configuration`` is our error page with 200 (v4: 500), with a way on.
    v4's client never sends the browser there itself: ``signIn()`` of an unknown provider
    goes to the sign-in page."""
    base = served.base
    response = page.goto(f"{base}/api/auth/error?error=Configuration")
    assert response is not None and response.status == 200
    assert page.get_by_role("alert").inner_text().strip() == (
        "There is a problem with the server configuration."
    )
    page.get_by_role("link", name="Sign in").click()
    page.wait_for_url(f"{base}/auth/sign-in**")
    page.goto(f"{base}/")
    status(page, "unauthenticated")
    unknown_provider_goes_to_the_sign_in_page(page, base)


def test_the_client_sends_no_body_we_refuse(page: Page, served: Served) -> None:
    """Where Next.js's body parser answers a body that is not JSON before next-auth runs,
    ours answers in next-auth's shapes (a deliberate difference); next-auth/react never
    sends one: each of its posts is a JSON object or a form, with the CSRF token."""
    base = served.base
    page.goto(f"{base}/")
    sent = record_posts(page)
    page.evaluate(
        """() => window.nextAuth.signIn("credentials",
             {redirect: false, username: "ann", password: "wrong"})"""
    )
    sign_in_ann(page, base)
    assert page.evaluate("() => window.nextAuthUpdate({name: 'Ann 2'})")["user"]["name"] == "Ann 2"
    page.evaluate("() => window.nextAuth.signOut({redirect: false})")
    status(page, "unauthenticated")
    paths = [request.url.removeprefix(f"{base}/api/auth") for request in sent]
    assert paths == ["/callback/credentials"] * 2 + ["/session", "/signout"]
    for request in sent:
        assert isinstance(parsed_body(request)["csrfToken"], str)
        response = request.response()
        assert response is not None and response.status in (200, 401)
