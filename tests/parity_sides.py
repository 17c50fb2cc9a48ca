"""The machinery of ``tests/test_authjs_parity.py``: one server and one browser's cookie jar
(``Side``), what it observes of each answer, the servers compared (a reference, a Flask app
set for the same version, the OpenID provider both know), and the comparison itself.

An answer is reduced to what a client can observe without secrets or timestamps: status,
media type, JSON keys and value types (a URL relative to its server's origin, the provider's
URLs by endpoint and parameter names, a date with or without milliseconds, a provider's
``type`` as it is), the redirect target relative to the origin, and whether the session
cookie was set or cleared.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import requests
from flask import Flask, jsonify
from nextauth_reference import next_auth_v4, next_auth_v5, require_next_auth
from oidc_server import CLIENTS, OpenIDProvider, require_oidc_provider
from processes import free_port
from support import SECRET, authorize, serving

from flask_jwtauth import CredentialsProvider, EmailProvider, JWTAuth, OIDCProvider
from flask_jwtauth.providers.base import Provider

API = "/api/auth"
Observation = dict[str, Any]

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

    def last_link(self) -> str:
        """The sign-in link the server's email provider sent last (``GET /__last_link``, a
        route of the test servers' own outside Auth.js's)."""
        link: str = self.http.get(f"{self.origin}/__last_link", timeout=10).json()["url"]
        return link

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
    """The Flask app compared: the reference's providers and callbacks. Its email link
    signs in on the GET (``JWTAUTH_EMAIL_CONFIRM = False``), as the reference's does; the
    links it sends are kept, the last one at ``GET /__last_link``."""
    app = Flask(__name__)
    app.config.update(
        JWTAUTH_SECRET=SECRET,
        JWTAUTH_AUTHJS_API_URL=API,
        JWTAUTH_URL=origin,
        JWTAUTH_STORE_URL="memory://",
        JWTAUTH_EMAIL_CONFIRM=False,
    )
    if version == 5:
        app.config.update(JWTAUTH_AUTHJS_VERSION=5)
    links: list[str] = []

    def send(to: str, subject: str, text: str, html: str | None) -> None:
        links.append(next(w for w in text.split() if w.startswith(f"{origin}/")))

    @app.get("/__last_link")
    def last_link() -> Any:
        return jsonify(url=links[-1] if links else None)

    providers: list[Provider] = [CredentialsProvider(authorize=authorize), EmailProvider(send=send)]
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


@dataclass
class Counts:
    """Answers compared, the same as the reference's, different on purpose."""

    compared: int = 0
    same: int = 0
    deliberate: int = 0

    def add(self, other: Counts) -> None:
        self.compared += other.compared
        self.same += other.same
        self.deliberate += other.deliberate


def compare(reference: Side, ours: Side, deliberate: dict[str, str]) -> tuple[Counts, list[str]]:
    """(the counts, a readable line for each unexpected difference); ``deliberate``: the
    labels of the answers where ours differs on purpose."""
    assert [label for label, _ in reference.seen] == [label for label, _ in ours.seen]
    problems = []
    counts = Counts()
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
        counts.compared += 1
        if not differs:
            counts.same += 1
        elif label in deliberate:
            counts.deliberate += 1
    return counts, problems
