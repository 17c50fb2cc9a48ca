"""What the next-auth/react browser tests share (v4: ``test_next_auth_react.py``, v5:
``test_next_auth_v5.py``): a page bundled by esbuild from the real client, a Flask app
serving it beside the Auth.js routes (with the credentials users, the real OpenID provider
as ``oidc`` and, when asked, an email provider whose links are kept), and the steps that
show each deliberate difference of docs/guides/nextjs.md is one ``next-auth/react`` does
not notice.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import pytest
from flask import Flask, Response
from oidc_server import CLIENTS, OpenIDProvider, require_oidc_provider
from processes import free_port
from support import SECRET, authorize, serving

from flask_jwtauth import CredentialsProvider, EmailProvider, JWTAuth, OIDCProvider
from flask_jwtauth.providers.base import Provider

if TYPE_CHECKING:
    from playwright.sync_api import Page, Request

TESTS = Path(__file__).resolve().parents[1]
PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>next-auth client</title>
<script>window.NEXTAUTH_BASE_PATH = "/api/auth";</script></head>
<body><div id="root"></div><script src="/bundle.js"></script></body></html>"""
#: A short session for the rolling-cookie tests: re-issued after a second of activity.
SHORT_SESSION = {"JWTAUTH_SESSION_MAX_AGE": 3, "JWTAUTH_SESSION_UPDATE_AGE": 1}


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (required in CI)", pytrace=False)
    pytest.skip(reason)


def build_bundle(package: str, out: Path) -> bytes:
    """``tests/<package>/page.jsx`` and the real next-auth/react it imports, as one script."""
    client_dir = TESTS / package
    esbuild = client_dir / "node_modules" / ".bin" / "esbuild"
    if shutil.which("node") is None or not esbuild.exists():
        _unavailable(f"next-auth/react is not installed: npm ci --prefix tests/{package}")
    subprocess.run(
        [
            str(esbuild),
            str(client_dir / "page.jsx"),
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


@dataclass(frozen=True)
class Served:
    base: str
    #: The real OpenID provider the app knows as ``oidc``.
    op: OpenIDProvider
    #: The sign-in links the email provider sent (``serve(email=True)``), in order.
    links: list[str] = field(default_factory=list)


@contextmanager
def serve(
    bundle: bytes, version: int = 4, *, email: bool = False, **config: Any
) -> Iterator[Served]:
    """The Flask back end (Auth.js ``version``'s answers at ``/api/auth``, the page at
    ``/``) on a loopback port, and an OpenID provider that knows its callback URL; both
    stopped afterwards. ``email``: an email provider too (its links kept, not mailed;
    the link lands on the confirm page, the default). ``config``: more of the app's
    settings."""
    require_oidc_provider()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    client = {**CLIENTS[0], "redirect_uris": [f"{base}/auth/callback/oidc"]}
    op = OpenIDProvider(free_port(), clients=[client])
    op.start()
    app = Flask(__name__)
    app.config.update(
        JWTAUTH_SECRET=SECRET, JWTAUTH_AUTHJS_API_URL="/api/auth", JWTAUTH_URL=base, **config
    )
    if version == 5:
        app.config.update(JWTAUTH_AUTHJS_VERSION=5)
    oidc = OIDCProvider(
        "oidc",
        "Test OP",
        issuer=op.issuer,
        client_id=client["client_id"],
        client_secret=client["client_secret"],
    )
    links: list[str] = []
    providers: list[Provider] = [CredentialsProvider(authorize=authorize), oidc]
    if email:

        def send(to: str, subject: str, text: str, html: str | None) -> None:
            links.append(next(w for w in text.split() if w.startswith(f"{base}/")))

        providers.append(EmailProvider(send=send))
        app.config.setdefault("JWTAUTH_STORE_URL", "memory://")
    auth = JWTAuth(app, providers=providers)

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
            yield Served(base, op, links)
    finally:
        op.stop()


def status(page: Page, expected: str) -> None:
    from playwright.sync_api import expect

    expect(page.locator("#status")).to_have_text(expected)


def sign_in_ann(page: Page, base: str) -> None:
    page.goto(f"{base}/")
    result = page.evaluate(
        """() => window.nextAuth.signIn("credentials",
             {redirect: false, username: "ann", password: "pw-ann"})"""
    )
    assert result["ok"] is True
    status(page, "authenticated")


def to_the_provider(page: Page, served: Served, login: str = "zoe") -> None:
    """``signIn("oidc")`` from the page, and the provider's login form filled in: the
    browser is left on its consent form."""
    page.goto(f"{served.base}/")
    status(page, "unauthenticated")
    page.evaluate("""() => { window.nextAuth.signIn("oidc", {callbackUrl: "/"}); }""")
    page.wait_for_url(f"{served.op.issuer}/**")
    page.locator('input[name="login"]').fill(login)
    page.locator('input[name="password"]').fill("any-password")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").wait_for()  # oidc-provider's consent form


def signs_in_with_the_provider(page: Page, served: Served) -> None:
    """The whole OpenID sign-in from ``signIn("oidc")``: signed in as the provider's user,
    back through our ``/auth/callback/oidc``."""
    to_the_provider(page, served)
    with page.expect_request(f"{served.base}/auth/callback/oidc?**"):
        page.get_by_role("button", name="Continue").click()  # consent
    page.wait_for_url(f"{served.base}/")
    status(page, "authenticated")
    session = page.evaluate("() => window.nextAuth.getSession()")
    assert session["user"] == {"name": "User zoe", "email": "zoe@example.test"}
    assert served.op.stats()["authorization_code"] == 1


def refused_consent_lands_on_our_sign_in_page(page: Page, served: Served) -> None:
    """The provider sends the user back to our own callback, whose failures go to our
    sign-in page (a deliberate difference: next-auth's go to its own error route): the
    page says so, and the client finds no session."""
    from playwright.sync_api import expect

    to_the_provider(page, served)
    page.locator('a[href*="abort"]').click()
    page.wait_for_url(f"{served.base}/auth/sign-in?**")
    assert "error=SignInCancelled" in page.url
    expect(page.get_by_role("status")).to_contain_text("Sign-in was cancelled")
    page.goto(f"{served.base}/")
    status(page, "unauthenticated")
    assert page.evaluate("() => window.nextAuth.getSession()") is None


def signs_in_by_email(page: Page, served: Served, refused: dict[str, Any]) -> None:
    """``signIn("email", {email, redirect: false})``: told "check your email" (the Auth.js
    routes' ``/verify-request``), the link leads back to them and lands on our confirm page
    (a mail scanner's GET spends nothing), whose button signs in. An address that is not
    one is ``refused`` as by the version's own server, and sends nothing."""
    base = served.base
    page.goto(f"{base}/")
    status(page, "unauthenticated")
    sent = page.evaluate(
        """() => window.nextAuth.signIn("email",
             {redirect: false, email: "Ann@Example.com", callbackUrl: "/?signed=in"})"""
    )
    verify = f"{base}/api/auth/verify-request?provider=email&type=email"
    assert {k: v for k, v in sent.items() if v is not None} == {
        "status": 200,
        "ok": True,
        "url": verify,
    }
    assert len(served.links) == 1 and served.links[0].startswith(f"{base}/api/auth/callback/")
    not_one = page.evaluate(
        """() => window.nextAuth.signIn("email", {redirect: false, email: "not an address"})"""
    )
    assert {k: v for k, v in not_one.items() if v is not None} == refused
    assert len(served.links) == 1
    page.goto(verify)
    assert "Check your email" in page.content()
    page.goto(served.links[0])  # the confirm page: still signed out
    assert page.evaluate("fetch('/api/auth/session').then(r => r.json())") in ({}, None)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/?signed=in")
    status(page, "authenticated")
    session = page.evaluate("() => window.nextAuth.getSession()")
    assert session["user"] == {"email": "ann@example.com"}


def unknown_provider_goes_to_the_sign_in_page(page: Page, base: str) -> None:
    """``signIn()`` of a provider the server does not list: the client itself sends the
    browser to the sign-in route (v4 and v5 alike), never to ``/error?error=Configuration``;
    ours leads on to our sign-in page, with the page to come back to."""
    page.goto(f"{base}/?here=1")
    page.evaluate("""() => { window.nextAuth.signIn("nope", {callbackUrl: "/?here=1"}); }""")
    page.wait_for_url(f"{base}/auth/sign-in?**")
    assert "callbackUrl=%2F%3Fhere%3D1" in page.url
    assert page.get_by_role("button", name="Sign in with Test OP").is_visible()


def poll_session(page: Page, seconds: float, every: float = 0.5) -> list[str | None]:
    """``getSession()`` every ``every`` seconds for ``seconds``, as a page polling the
    session does: the user's name from each read (None: no session)."""
    names: list[str | None] = page.evaluate(
        """async ([seconds, every]) => {
             const names = [];
             const end = Date.now() + seconds * 1000;
             while (Date.now() < end) {
               const session = await window.nextAuth.getSession();
               names.push(session?.user?.name ?? null);
               await new Promise((done) => setTimeout(done, every * 1000));
             }
             return names;
           }""",
        [seconds, every],
    )
    return names


def session_rolls_while_read_and_ends_when_idle(page: Page, base: str) -> None:
    """The cookie is re-issued once JWTAUTH_SESSION_UPDATE_AGE has passed, not on every
    ``/session`` read (a deliberate difference): a page reading the session keeps its user
    signed in past the session's maximum age, and an idle page's session ends."""
    max_age = SHORT_SESSION["JWTAUTH_SESSION_MAX_AGE"]
    sign_in_ann(page, base)
    names = poll_session(page, seconds=max_age + 2)
    assert len(names) >= 6 and set(names) == {"Ann"}
    page.wait_for_timeout((max_age + 0.5) * 1000)  # idle past the maximum age
    assert page.evaluate("() => window.nextAuth.getSession()") is None
    page.reload()
    status(page, "unauthenticated")


def record_posts(page: Page) -> list[Request]:
    """Every request the page sends to the Auth.js routes with a body, from now on."""
    sent: list[Request] = []

    def keep(request: Request) -> None:
        if "/api/auth/" in request.url and request.method == "POST":
            sent.append(request)

    page.on("request", keep)
    return sent


def parsed_body(request: Request) -> dict[str, Any]:
    """A request body as the server reads it: a JSON object or a form, else a failure."""
    kind = (request.headers.get("content-type") or "").split(";")[0]
    text = request.post_data or ""
    if kind == "application/json":
        body = json.loads(text)
        assert isinstance(body, dict), text
        return body
    assert kind == "application/x-www-form-urlencoded", kind
    fields = parse_qs(text, keep_blank_values=True, strict_parsing=True)
    return {name: values[-1] for name, values in fields.items()}


def text_answer(page: Page, url: str, method: str = "GET") -> tuple[int, str]:
    """The browser navigates to ``url`` (a form post for POST); (the status, the text it
    shows), after checking the document is text, not rendered HTML."""
    if method == "GET":
        response = page.goto(url)
    else:
        with page.expect_navigation() as navigation:
            page.evaluate(
                """(url) => {
                     const form = Object.assign(document.createElement("form"),
                                                {method: "post", action: url});
                     document.body.append(form);
                     form.submit();
                   }""",
                url,
            )
        response = navigation.value
    assert response is not None
    assert page.evaluate("() => document.contentType") == "text/plain"
    assert page.locator("body *:not(pre)").count() == 0  # Chromium shows text in one <pre>
    return response.status, page.locator("body").inner_text()
