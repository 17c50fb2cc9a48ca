"""The real next-auth/react (v4) client against a Flask back end, in headless Chromium.

A page bundled by esbuild from ``tests/nextauth_client`` (next-auth 4.24.15, React 18) is
served by a Flask app whose Auth.js REST API is at ``/api/auth``; the test calls the client's
own functions as an app would, and reads ``useSession()`` from the DOM: credentials sign-in
with ``redirect: false``, session read, ``update``, sign-out, and a sign-in through the real
OpenID provider (npm oidc-provider).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask, Response
from oidc_server import CLIENTS, OpenIDProvider, free_port, require_oidc_provider
from support import SECRET, authorize, serving

from flask_jwtauth import CredentialsProvider, JWTAuth, OIDCProvider

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

CLIENT_DIR = Path(__file__).resolve().parents[1] / "nextauth_client"
PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>next-auth client</title>
<script>window.NEXTAUTH_BASE_PATH = "/api/auth";</script></head>
<body><div id="root"></div><script src="/bundle.js"></script></body></html>"""


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (required in CI)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The page's script, built once from the real next-auth/react with esbuild."""
    esbuild = CLIENT_DIR / "node_modules" / ".bin" / "esbuild"
    if shutil.which("node") is None or not esbuild.exists():
        _unavailable("next-auth/react is not installed: npm ci --prefix tests/nextauth_client")
    out = tmp_path_factory.mktemp("bundle") / "bundle.js"
    subprocess.run(
        [
            str(esbuild),
            str(CLIENT_DIR / "page.jsx"),
            "--bundle",
            "--jsx=automatic",
            f"--outfile={out}",
            "--define:process.env.NODE_ENV=\"production\"",
            "--define:process.env={}",
            "--log-level=warning",
        ],
        check=True,
        timeout=60,
    )
    return out.read_bytes()


@pytest.fixture
def served(bundle: bytes) -> Iterator[tuple[str, OpenIDProvider]]:
    """The Flask back end on a loopback port, and an OpenID provider that knows its
    callback URL; both stopped afterwards."""
    require_oidc_provider()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    client = {**CLIENTS[0], "redirect_uris": [f"{base}/auth/callback/oidc"]}
    op = OpenIDProvider(free_port(), clients=[client])
    op.start()
    app = Flask(__name__)
    app.config.update(
        JWTAUTH_SECRET=SECRET, JWTAUTH_AUTHJS_API_URL="/api/auth", JWTAUTH_URL=base
    )
    oidc = OIDCProvider(
        "oidc",
        "Test OP",
        issuer=op.issuer,
        client_id=client["client_id"],
        client_secret=client["client_secret"],
    )
    auth = JWTAuth(app, providers=[CredentialsProvider(authorize=authorize), oidc])

    @auth.jwt_callback
    def jwt(token: dict[str, Any], trigger: str | None = None, session: Any = None) -> Any:
        if trigger == "update" and isinstance(session, dict) and "name" in session:
            token["name"] = str(session["name"])
        return token

    @app.get("/")
    def page() -> Response:
        return Response(PAGE, mimetype="text/html")

    @app.get("/bundle.js")
    def script() -> Response:
        return Response(bundle, mimetype="text/javascript")

    try:
        with serving(app, port):
            yield base, op
    finally:
        op.stop()


def status(page: Page, expected: str) -> None:
    from playwright.sync_api import expect

    expect(page.locator("#status")).to_have_text(expected)


def test_credentials_session_update_and_sign_out(
    page: Page, served: tuple[str, OpenIDProvider]
) -> None:
    base, _ = served
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


def test_sign_in_with_an_openid_provider(page: Page, served: tuple[str, OpenIDProvider]) -> None:
    base, op = served
    page.goto(f"{base}/")
    status(page, "unauthenticated")
    page.evaluate("""() => { window.nextAuth.signIn("oidc", {callbackUrl: "/"}); }""")
    # oidc-provider's development login and consent forms.
    page.wait_for_url(f"{op.issuer}/**")
    page.locator('input[name="login"]').fill("zoe")
    page.locator('input[name="password"]').fill("any-password")
    page.locator('button[type="submit"]').click()
    page.locator('button[type="submit"]').click()  # consent
    page.wait_for_url(f"{base}/")
    status(page, "authenticated")
    session = page.evaluate("() => window.nextAuth.getSession()")
    assert session["user"]["name"] == "User zoe"
    assert op.stats()["authorization_code"] == 1


def _sign_in_ann(page: Page, base: str) -> None:
    page.goto(f"{base}/")
    result = page.evaluate(
        """() => window.nextAuth.signIn("credentials",
             {redirect: false, username: "ann", password: "pw-ann"})"""
    )
    assert result["ok"] is True
    status(page, "authenticated")


def test_sign_out_with_a_stale_token_lands_on_the_confirmation(
    page: Page, served: tuple[str, OpenIDProvider]
) -> None:
    """As with v4's server: a sign-out post whose token is not this browser's is told
    ``/signout?csrf=true``, and signOut() takes the user to the sign-out confirmation (ours),
    still signed in; not to the sign-in page (issue 20)."""
    base, _ = served
    _sign_in_ann(page, base)
    page.route("**/api/auth/csrf", lambda route: route.fulfill(json={"csrfToken": "stale"}))
    page.evaluate("() => { window.nextAuth.signOut({callbackUrl: '/'}); }")
    page.wait_for_url(f"{base}/auth/sign-out**")
    page.unroute("**/api/auth/csrf")
    session = page.request.get(f"{base}/api/auth/session").json()
    assert session["user"] == {"name": "Ann", "email": "ann@example.com"}


def test_sign_out_without_options_returns_to_the_page(
    page: Page, served: tuple[str, OpenIDProvider]
) -> None:
    """Ours keeps no callback-url cookie (a deliberate difference, docs/guides/nextjs.md):
    signOut() always sends callbackUrl, the page's own address by default, and lands there
    signed out, as with v4's server."""
    base, _ = served
    _sign_in_ann(page, base)
    page.goto(f"{base}/?here=1")
    status(page, "authenticated")
    page.evaluate("() => { window.nextAuth.signOut(); }")
    page.wait_for_url(f"{base}/?here=1")
    status(page, "unauthenticated")
