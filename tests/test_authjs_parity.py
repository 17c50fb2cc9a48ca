"""Auth.js's REST API, answer for answer: the Flask adapter (``JWTAUTH_AUTHJS_API_URL``)
against npm next-auth@4.24.15's own handler, and against Auth.js v5's (npm @auth/core@0.41.3's
``Auth()``, which next-auth@5.0.0-beta.32 runs) with ``JWTAUTH_AUTHJS_VERSION = 5``
(``nextauth_reference``).

Each sequence runs against both servers, each with its own cookie jar, and every answer is
reduced to what a client can observe without secrets or timestamps: status, media type,
JSON keys and value types (a URL relative to its server's origin, a date with or without
milliseconds), the redirect target relative to the origin, and whether the session cookie
was set or cleared. ``DELIBERATE`` (v4) and ``DELIBERATE_V5`` list the answers where ours
differs on purpose (each with its reason, also in docs/guides/nextjs.md); every other answer
must be the reference's.

Both servers also have an OpenID provider ``oidc`` on the same real provider (npm
oidc-provider, ``tests/oidc_server.py``), configured alike (PKCE, state and nonce): an
authorization URL is compared by its endpoint and the names of its query parameters, and
the round trips walk the provider's login and consent forms over plain HTTP.

The sequences are what each client sends: v4's ``signIn()``/``signOut()`` post
``json=true`` in the form, v5's send the ``X-Auth-Return-Redirect: 1`` header instead
(``Side.send`` turns the one into the other); every other request is the same for both.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests
from flask import Flask
from nextauth_reference import next_auth_v4, next_auth_v5, require_next_auth
from oidc_server import (
    CLIENTS,
    OpenIDProvider,
    authorize_in_browser,
    free_port,
    require_oidc_provider,
)
from support import COOKIE, SECRET, authorize, serving

from flask_jwtauth import CredentialsProvider, JWTAuth, OIDCProvider
from flask_jwtauth.providers.base import Provider

API = "/api/auth"
Observation = dict[str, Any]

_NO_SNIFFING = "text/plain, not an answer without a media type for a browser to sniff"
_NEXT_PARSER = "Next.js's body parser answers this text before next-auth runs; ours is JSON"
_COOKIE = "the session cookie is re-issued once JWTAUTH_SESSION_UPDATE_AGE has passed"
_OWN_CALLBACK = (
    "the provider sends the user back to our own /auth/callback/<id>, one redirect URI "
    "whichever client began the sign-in; its failures go to our sign-in page"
)

#: Answers where ours differs from v4 on purpose: step -> reason (docs/guides/nextjs.md).
DELIBERATE: dict[str, str] = {
    "session": _COOKIE,
    "session from chunks": _COOKIE,
    "sign-out of chunks": "no callback-url cookie: without callbackUrl, the app's root",
    **dict.fromkeys(
        (
            "GET unknown action",
            "POST unknown action",
            "POST /providers",
            "POST /csrf",
            "GET /_log",
            "DELETE /session",
            "callback, unknown provider",
            "GET callback, unknown provider",
        ),
        _NO_SNIFFING,
    ),
    "GET callback/credentials": f"400, not v4's 500 (no 5xx for a request alone); {_NO_SNIFFING}",
    "update, bad JSON": _NEXT_PARSER,
    "sign-in, bad JSON": _NEXT_PARSER,
    "error page Configuration": "200, not v4's 500: a query string alone never makes a 5xx",
    "providers: oidc": _OWN_CALLBACK,
    "callback from the provider, consent refused": _OWN_CALLBACK,
    "callback again, the state used": _OWN_CALLBACK,
    "session after the provider": _COOKIE,
}

#: Answers where ours differs from Auth.js v5 on purpose: step -> reason (the guide).
DELIBERATE_V5: dict[str, str] = {
    "session": _COOKIE,
    "session from chunks": _COOKIE,
    "sign-out of chunks": "no callback-url cookie: without callbackUrl, the app's root",
    "error page Configuration": "200, not v5's 500: a query string alone never makes a 5xx",
    "providers: oidc": _OWN_CALLBACK,
    "callback from the provider, consent refused": _OWN_CALLBACK,
    "callback again, the state used": _OWN_CALLBACK,
    "session after the provider": _COOKIE,
}

_ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$")


@dataclass
class Side:
    """One server and one browser's cookie jar."""

    origin: str
    session_cookie: str
    version: int = 4
    #: The OpenID provider's issuer: its URLs are compared by path and parameter names.
    provider: str = ""
    http: requests.Session = field(default_factory=requests.Session)
    seen: list[tuple[str, Observation]] = field(default_factory=list)

    def send(
        self, label: str, method: str, path: str, *, follow: bool = False, split: bool = False,
        **kw: Any,
    ) -> Any:
        form = kw.get("data")
        if self.version == 5 and isinstance(form, dict) and "json" in form:
            # v5's client asks for {url} with a header, not a form field.
            kw["data"] = {k: v for k, v in form.items() if k != "json"}
            kw["headers"] = {**kw.get("headers", {}), "X-Auth-Return-Redirect": "1"}
        url = path if path.startswith("http") else f"{self.origin}{API}{path}"
        response = self.http.request(method, url, allow_redirects=follow, timeout=10, **kw)
        seen = self.observe(response, follow)
        if split:
            # One answer per provider, so that one provider's difference hides no other's.
            for key, value in seen.pop("body").items():
                self.seen.append((f"{label}: {key}", {**seen, "body": value}))
        else:
            self.seen.append((label, seen))
        try:
            return response.json()
        except ValueError:
            return None

    def csrf(self) -> str:
        token: str = self.http.get(f"{self.origin}{API}/csrf", timeout=10).json()["csrfToken"]
        return token

    def observe(self, response: requests.Response, followed: bool) -> Observation:
        seen: Observation = {"status": response.status_code}
        seen["session_cookie"] = self.cookie_change(response)
        if response.is_redirect:  # the browser follows it: its body is never shown
            seen["location"] = self.relative(response.headers["Location"])
            return seen
        media = response.headers.get("Content-Type")
        seen["media"] = media.split(";")[0].strip() if media else None
        if "json" in (seen["media"] or ""):
            seen["body"] = self.shape(response.json())
        elif not followed and not response.content:
            seen["body"] = "empty"
        return seen

    def relative(self, url: str) -> str:
        if self.provider and url.startswith(self.provider):
            endpoint, _, query = url[len(self.provider) :].partition("?")
            return f"provider {endpoint} with {sorted(parse_qs(query, keep_blank_values=True))}"
        return url[len(self.origin) :] or "/" if url.startswith(self.origin) else url

    def shape(self, value: Any) -> Any:
        if isinstance(value, dict):
            # A provider's type is compared as it is: apps pick their buttons by it.
            return {
                k: v if k == "type" and isinstance(v, str) else self.shape(v)
                for k, v in sorted(value.items())
            }
        if isinstance(value, list):
            return [self.shape(v) for v in value]
        if isinstance(value, str):
            if value.startswith((self.origin, "/")) or (
                self.provider and value.startswith(self.provider)
            ):
                return f"url {self.relative(value)}"
            match = _ISO.match(value)
            if match:
                return "date with milliseconds" if match.group(1) else "date in seconds"
            return "str"
        return type(value).__name__

    def cookie_change(self, response: requests.Response) -> str | None:
        change = None
        for header in response.raw.headers.getlist("Set-Cookie"):
            name, _, rest = header.partition("=")
            if not name.strip().startswith(self.session_cookie):
                continue
            value = rest.split(";")[0]
            cleared = not value or "max-age=0" in rest.lower() or "1970" in rest
            change = "cleared" if cleared and change is None else change or "set"
            if not cleared:
                change = "set"
        return change


def flask_app(origin: str, version: int = 4, oidc: dict[str, str] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(JWTAUTH_SECRET=SECRET, JWTAUTH_AUTHJS_API_URL=API, JWTAUTH_URL=origin)
    if version == 5:
        app.config.update(JWTAUTH_AUTHJS_VERSION=5)
    providers: list[Provider] = [CredentialsProvider(authorize=authorize)]
    if oidc is not None:
        providers.append(
            OIDCProvider(
                "oidc",
                "Test OP",
                issuer=oidc["issuer"],
                client_id=oidc["client_id"],
                client_secret=oidc["client_secret"],
            )
        )
    auth = JWTAuth(app, providers=providers)

    @auth.jwt_callback
    def jwt(token: dict[str, Any], trigger: str | None = None, session: Any = None) -> Any:
        # The reference's jwt callback does the same: update({name}).
        if trigger == "update" and isinstance(session, dict) and "name" in session:
            token["name"] = str(session["name"])
        return token

    return app


@dataclass(frozen=True)
class Servers:
    reference: str
    ours: str
    #: The OpenID provider both know as ``oidc``.
    issuer: str


@contextmanager
def servers(version: int) -> Iterator[Servers]:
    """The reference of ``version`` and a Flask app set for it, on loopback ports, and the
    real OpenID provider both sign in with (each one's redirect URI registered)."""
    require_next_auth(version)
    require_oidc_provider()
    reference_port, ours_port = free_port(), free_port()
    reference, ours = (f"http://127.0.0.1:{port}" for port in (reference_port, ours_port))
    uris = [f"{reference}{API}/callback/oidc", f"{ours}/auth/callback/oidc"]
    client = {**CLIENTS[0], "redirect_uris": uris}
    provider = OpenIDProvider(free_port(), clients=[client])
    provider.start()
    oidc = {
        "issuer": provider.issuer,
        "client_id": client["client_id"],
        "client_secret": client["client_secret"],
    }
    start = next_auth_v4 if version == 4 else next_auth_v5
    try:
        with start(reference_port, oidc), serving(flask_app(ours, version, oidc), ours_port):
            yield Servers(reference, ours, provider.issuer)
    finally:
        provider.stop()


@pytest.fixture(scope="module")
def origins() -> Iterator[Servers]:
    """next-auth v4 and the Flask app."""
    with servers(4) as found:
        yield found


@pytest.fixture(scope="module")
def origins_v5() -> Iterator[Servers]:
    """Auth.js v5 and a Flask app set for v5."""
    with servers(5) as found:
        yield found


# -- the sequences: what next-auth/react (and a browser on its pages) sends ----------------


def sign_in(side: Side, label: str = "sign-in", password: str = "pw-ann", **extra: Any) -> Any:
    form = {"username": "ann", "password": password, "csrfToken": side.csrf()}
    form.update(callbackUrl=f"{side.origin}/dashboard", json="true", **extra)
    return side.send(label, "POST", "/callback/credentials", data=form)


def anonymous(side: Side) -> None:
    side.send("providers", "GET", "/providers", split=True)
    side.send("csrf", "GET", "/csrf")
    side.send("session, none", "GET", "/session")
    side.send("update, no session", "POST", "/session", json={"csrfToken": side.csrf(), "data": {}})
    side.send("update, no csrfToken", "POST", "/session", json={"data": {}})


def signed_in(side: Side) -> None:
    sign_in(side)
    side.send("session", "GET", "/session")
    token = side.csrf()
    side.send("update", "POST", "/session", json={"csrfToken": token, "data": {"name": "Ann 2"}})
    side.send("update, form", "POST", "/session", data={"csrfToken": token, "json": "true"})
    side.send("update, wrong csrfToken", "POST", "/session", json={"csrfToken": "x", "data": {}})
    form = {"csrfToken": token, "callbackUrl": f"{side.origin}/bye", "json": "true"}
    side.send("sign-out", "POST", "/signout", data=form)
    side.send("session after sign-out", "GET", "/session")


def chunked(side: Side) -> None:
    sign_in(side)
    big = {"csrfToken": side.csrf(), "data": {"name": "A" * 6000}}
    side.send("update to a chunked cookie", "POST", "/session", json=big)
    side.send("session from chunks", "GET", "/session")
    form = {"csrfToken": side.csrf(), "json": "true"}
    side.send("sign-out of chunks", "POST", "/signout", data=form)
    side.send("session after chunks", "GET", "/session")


def csrf_failures(side: Side) -> None:
    form = {"username": "ann", "password": "pw-ann", "json": "true"}
    side.send("sign-in, no csrfToken", "POST", "/callback/credentials", data=form)
    form["csrfToken"] = "wrong"
    side.send("sign-in, wrong csrfToken", "POST", "/callback/credentials", data=form)
    side.send("sign-out, no csrfToken", "POST", "/signout", data={"json": "true"})
    side.send("sign-out, wrong csrfToken", "POST", "/signout", data=form)
    form = {"csrfToken": side.csrf(), "json": "true"}
    side.send("sign-out, no session", "POST", "/signout", data=form)
    side.send("session after", "GET", "/session")


def bad_credentials(side: Side) -> None:
    sign_in(side, "wrong password", password="nope")
    sign_in(side, "unknown user", username="nobody")
    side.send("session after", "GET", "/session")


def sign_in_route(side: Side) -> None:
    form = {"username": "ann", "password": "pw-ann", "csrfToken": side.csrf(), "json": "true"}
    side.send("signin/credentials", "POST", "/signin/credentials", data=form)
    side.send("session after signin/credentials", "GET", "/session")
    side.send("signin/unknown", "POST", "/signin/nope", data=form)
    side.send("signin, no provider", "POST", "/signin", data=form)
    side.send("signin/credentials, no csrfToken", "POST", "/signin/credentials", data={})


def unsupported(side: Side) -> None:
    form = {"csrfToken": side.csrf(), "json": "true"}
    side.send("GET unknown action", "GET", "/nonsense")
    side.send("POST unknown action", "POST", "/nonsense", data=form)
    side.send("POST /providers", "POST", "/providers", data=form)
    side.send("POST /csrf", "POST", "/csrf", data=form)
    side.send("GET /_log", "GET", "/_log")
    side.send("DELETE /session", "DELETE", "/session")
    side.send("callback, unknown provider", "POST", "/callback/nope", data=form)
    side.send("GET callback, unknown provider", "GET", "/callback/nope")
    side.send("GET callback/credentials", "GET", "/callback/credentials")


def malformed(side: Side) -> None:
    headers = {"Content-Type": "application/json"}
    side.send("update, bad JSON", "POST", "/session", data="{", headers=headers)
    side.send("sign-in, bad JSON", "POST", "/callback/credentials", data="{", headers=headers)
    side.send("update, JSON list", "POST", "/session", json=[1])
    jar = side.http.cookies
    jar.set(side.session_cookie, "not-a-token", domain="127.0.0.1", path="/")
    side.send("session, forged cookie", "GET", "/session")


def oauth_sign_in(side: Side) -> None:
    """``signIn("oidc")`` and a browser's form, with and without the token, and the
    provider's callback without the state this browser was given."""
    token, back = side.csrf(), f"{side.origin}/dashboard"
    form = {"csrfToken": token, "callbackUrl": back, "json": "true"}
    side.send("signin/oidc", "POST", "/signin/oidc", data=form)
    side.send("signin/oidc, no csrfToken", "POST", "/signin/oidc", data={"json": "true"})
    wrong = {**form, "csrfToken": "wrong"}
    side.send("signin/oidc, wrong csrfToken", "POST", "/signin/oidc", data=wrong)
    side.send("signin/oidc, a form", "POST", "/signin/oidc", data={"csrfToken": token})
    side.send("signin/oidc, a form without csrfToken", "POST", "/signin/oidc", data={})
    side.send("callback/oidc, no state", "GET", "/callback/oidc")
    side.send("callback/oidc, forged state", "GET", "/callback/oidc?code=c&state=forged")
    side.send("session after", "GET", "/session")


def oauth_round_trip(side: Side) -> None:
    """The whole sign-in: to the provider, its login and consent forms, back to the app's
    callback (the provider's redirect), signed in."""
    form = {"csrfToken": side.csrf(), "callbackUrl": f"{side.origin}/dashboard", "json": "true"}
    url = side.send("signin/oidc", "POST", "/signin/oidc", data=form)["url"]
    back = authorize_in_browser(url, login="zoe", callback_base=side.origin)
    side.send("callback from the provider", "GET", back)
    side.send("session after the provider", "GET", "/session")
    side.send("callback again, the state used", "GET", back)


def oauth_refused(side: Side) -> None:
    """The user refuses consent: the provider sends its ``error`` with the right state."""
    form = {"csrfToken": side.csrf(), "callbackUrl": f"{side.origin}/dashboard", "json": "true"}
    url = side.send("signin/oidc", "POST", "/signin/oidc", data=form)["url"]
    back = authorize_in_browser(url, login="zoe", consent=False, callback_base=side.origin)
    side.send("callback from the provider, consent refused", "GET", back)
    side.send("session after", "GET", "/session")


def logger(side: Side) -> None:
    side.send("_log", "POST", "/_log", json={"level": "error", "code": "X", "message": "m"})
    side.send("_log, form", "POST", "/_log", data={"level": "warn", "code": "X"})


def pages(side: Side) -> None:
    side.send("signin page", "GET", "/signin?callbackUrl=%2Fdashboard", follow=True)
    side.send("signout page", "GET", "/signout", follow=True)
    for code in ("", "Unknown", "Verification", "AccessDenied", "Configuration"):
        side.send(f"error page {code or '(none)'}", "GET", f"/error?error={code}", follow=True)
    side.send("error page, a sign-in error", "GET", "/error?error=CredentialsSignin")


SEQUENCES: dict[str, Callable[[Side], None]] = {
    f.__name__: f
    for f in (
        anonymous,
        signed_in,
        chunked,
        csrf_failures,
        bad_credentials,
        sign_in_route,
        unsupported,
        malformed,
        logger,
        pages,
        oauth_sign_in,
        oauth_round_trip,
        oauth_refused,
    )
}


def compare(
    reference: Side, ours: Side, deliberate: dict[str, str] = DELIBERATE
) -> tuple[int, list[str]]:
    """(the number of answers compared, a readable line for each unexpected difference)."""
    assert [label for label, _ in reference.seen] == [label for label, _ in ours.seen]
    problems = []
    name = f"v{reference.version}"
    for (label, theirs), (_, mine) in zip(reference.seen, ours.seen, strict=True):
        differs = theirs != mine
        if differs and label not in deliberate:
            keys = sorted({*theirs, *mine})
            lines = [f"  {k}: {name} {theirs.get(k)!r} / ours {mine.get(k)!r}" for k in keys
                     if theirs.get(k) != mine.get(k)]
            problems.append(f"{label}:\n" + "\n".join(lines))
        elif not differs and label in deliberate:
            problems.append(f"{label}: now as {name}'s; take it off the deliberate differences")
    return len(reference.seen), problems


@pytest.mark.parametrize("name", SEQUENCES)
def test_the_same_answers_as_next_auth_v4(origins: Servers, name: str) -> None:
    reference = Side(origins.reference, "next-auth.session-token", provider=origins.issuer)
    ours = Side(origins.ours, COOKIE, provider=origins.issuer)
    SEQUENCES[name](reference)
    SEQUENCES[name](ours)
    _, problems = compare(reference, ours)
    assert not problems, "differs from next-auth v4:\n" + "\n".join(problems)


@pytest.mark.parametrize("name", SEQUENCES)
def test_the_same_answers_as_auth_js_v5(origins_v5: Servers, name: str) -> None:
    servers = origins_v5
    reference = Side(servers.reference, "authjs.session-token", 5, provider=servers.issuer)
    ours = Side(servers.ours, COOKIE, 5, provider=servers.issuer)
    SEQUENCES[name](reference)
    SEQUENCES[name](ours)
    _, problems = compare(reference, ours, DELIBERATE_V5)
    assert not problems, "differs from Auth.js v5:\n" + "\n".join(problems)
