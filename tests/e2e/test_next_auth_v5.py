"""The real Auth.js v5 next-auth/react client against a Flask back end, in headless Chromium.

A page bundled by esbuild from ``tests/nextauth_v5`` (next-auth 5.0.0-beta.32, React 18) is
served by a Flask app whose Auth.js REST API is at ``/api/auth`` with
``JWTAUTH_AUTHJS_VERSION = 5``; the test calls the client's own functions as an app would
and reads ``useSession()`` from the DOM: a failed and a successful credentials sign-in with
``redirect: false`` (v5's client posts with ``X-Auth-Return-Redirect`` and reads ``error``
and ``code`` from the ``url`` it is told), the session, ``update``, sign-out.
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
from oidc_server import free_port
from support import SECRET, authorize, serving

from flask_jwtauth import CredentialsProvider, JWTAuth

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

CLIENT_DIR = Path(__file__).resolve().parents[1] / "nextauth_v5"
PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>next-auth v5 client</title>
<script>window.NEXTAUTH_BASE_PATH = "/api/auth";</script></head>
<body><div id="root"></div><script src="/bundle.js"></script></body></html>"""


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (required in CI)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The page's script, built once from the real v5 next-auth/react with esbuild."""
    esbuild = CLIENT_DIR / "node_modules" / ".bin" / "esbuild"
    if shutil.which("node") is None or not esbuild.exists():
        _unavailable("next-auth@5 is not installed: npm ci --prefix tests/nextauth_v5")
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
def base(bundle: bytes) -> Iterator[str]:
    """The Flask back end (v5's answers) on a loopback port, stopped afterwards."""
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    app = Flask(__name__)
    app.config.update(
        JWTAUTH_SECRET=SECRET,
        JWTAUTH_AUTHJS_API_URL="/api/auth",
        JWTAUTH_AUTHJS_VERSION=5,
        JWTAUTH_URL=origin,
    )
    auth = JWTAuth(app, providers=[CredentialsProvider(authorize=authorize)])

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

    with serving(app, port):
        yield origin


def status(page: Page, expected: str) -> None:
    from playwright.sync_api import expect

    expect(page.locator("#status")).to_have_text(expected)


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


def test_sign_out_with_a_stale_token_is_refused(page: Page, base: str) -> None:
    """As with v5's server: a sign-out whose token is not this browser's is told
    ``MissingCSRF`` on the sign-in route, and the user stays signed in."""
    page.goto(f"{base}/")
    page.evaluate(
        """() => window.nextAuth.signIn("credentials",
             {redirect: false, username: "ann", password: "pw-ann"})"""
    )
    status(page, "authenticated")
    page.route("**/api/auth/csrf", lambda route: route.fulfill(json={"csrfToken": "stale"}))
    out = page.evaluate("() => window.nextAuth.signOut({redirect: false})")
    page.unroute("**/api/auth/csrf")
    assert out == {"url": f"{base}/api/auth/signin?error=MissingCSRF"}
    session = page.request.get(f"{base}/api/auth/session").json()
    assert session["user"]["name"] == "Ann"
