"""Helpers for the session-engine tests: sign in over HTTP, read Set-Cookie headers.

Imported as ``support`` (not from ``conftest``: with a second ``conftest.py`` under
``tests/e2e`` the name ``conftest`` would point at whichever was collected last).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server
from werkzeug.test import TestResponse

COOKIE = "jwtauth.session-token"
SECURE_COOKIE = "__Secure-jwtauth.session-token"
SECRET = "test-secret-0123456789abcdef0123456789"
USERS = {
    "ann": {
        "id": "1",
        "name": "Ann",
        "email": "ann@example.com",
        "password": "pw-ann",
        "roles": ["admin"],
    },
    "bob": {"id": "2", "name": "Bob", "email": "bob@example.com", "password": "pw-bob"},
}
PASSWORDS = {name: str(user["password"]) for name, user in USERS.items()}


class FakeClock:
    """Time under the test's control: ``clock.advance(11)`` instead of sleeping."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def authorize(credentials: dict[str, str]) -> dict[str, Any] | None:
    user = USERS.get(credentials.get("username", ""))
    if user is None or user["password"] != credentials.get("password"):
        return None
    return {k: v for k, v in user.items() if k != "password"}


class Clock(Protocol):
    """conftest's FakeClock, for type hints: ``clock.advance(11)``, ``clock.now``."""

    now: float

    def __call__(self) -> float: ...

    def advance(self, seconds: float) -> None: ...


def csrf_token(client: FlaskClient, base_url: str | None = None) -> str:
    """The token a browser would find in the sign-in form."""
    kwargs: dict[str, Any] = {"base_url": base_url} if base_url else {}
    page = client.get("/auth/sign-in", **kwargs)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert match, "the sign-in page has no CSRF field"
    return match.group(1)


def attempt_sign_in(
    client: FlaskClient,
    username: str = "ann",
    password: str | None = None,
    *,
    base_url: str | None = None,
    **extra: str,
) -> TestResponse:
    """Post the real sign-in form (with the page's CSRF token), as a browser would, and
    return the answer whatever it is."""
    data = {
        "username": username,
        "password": password if password is not None else PASSWORDS.get(username, ""),
        "csrf_token": csrf_token(client, base_url),
        **extra,
    }
    kwargs: dict[str, Any] = {"base_url": base_url} if base_url else {}
    return client.post("/auth/sign-in/credentials", data=data, **kwargs)


def sign_in(
    client: FlaskClient,
    username: str = "ann",
    *,
    base_url: str | None = None,
    expect_cookie: str | None = COOKIE,
) -> TestResponse:
    """Sign in through the real form (with CSRF), as a browser would; checks it worked."""
    response = attempt_sign_in(client, username, base_url=base_url)
    assert response.status_code == 302, response.get_data(as_text=True)
    if expect_cookie is not None:
        assert expect_cookie in {c.name for c in set_cookies(response)}
    return response


def sign_out(client: FlaskClient) -> TestResponse:
    return client.post("/auth/sign-out", data={"csrf_token": csrf_token(client)})


@dataclass
class SetCookie:
    """One parsed ``Set-Cookie`` header."""

    name: str
    value: str
    attrs: dict[str, str | bool] = field(default_factory=dict)
    header: str = ""

    @property
    def max_age(self) -> int | None:
        raw = self.attrs.get("max-age")
        return int(raw) if isinstance(raw, str) else None

    @property
    def cleared(self) -> bool:
        return self.max_age == 0 and self.value == ""


def set_cookies(response: TestResponse) -> list[SetCookie]:
    out = []
    for header in response.headers.getlist("Set-Cookie"):
        first, *rest = header.split("; ")
        name, _, value = first.partition("=")
        attrs: dict[str, str | bool] = {}
        for item in rest:
            key, eq, val = item.partition("=")
            attrs[key.lower()] = val if eq else True
        out.append(SetCookie(name, value, attrs, header))
    return out


def set_cookie(response: TestResponse, name: str = COOKIE) -> SetCookie | None:
    """The Set-Cookie for ``name`` on this response, if any."""
    found = [c for c in set_cookies(response) if c.name == name]
    assert len(found) <= 1, f"{name} set twice"
    return found[0] if found else None


def session_names(response: TestResponse, base: str = COOKIE) -> set[str]:
    """Every session cookie (plain or chunk) this response sets or clears."""
    return {
        c.name for c in set_cookies(response) if c.name == base or c.name.startswith(base + ".")
    }


def session_cookie(client: FlaskClient, name: str = COOKIE) -> str | None:
    return cookie_value(client, name)


def cookie_value(client: FlaskClient, name: str = COOKIE, **kwargs: Any) -> str | None:
    cookie = client.get_cookie(name, **kwargs)
    return cookie.value if cookie is not None else None


def secret_of(app: Flask) -> str:
    secret = app.config["JWTAUTH_SECRET"]
    assert isinstance(secret, str)
    return secret


def landed_on_sign_in(
    client: FlaskClient,
    response: TestResponse,
    error: str = "CredentialsSignin",
    path: str = "/auth/sign-in",
) -> str:
    """A browser's failed sign-in: a redirect to the sign-in page with ``error`` (never a
    page at the POST URL), followed as a browser would; returns that page's HTML."""
    assert response.status_code == 302, response.get_data(as_text=True)
    location = response.headers["Location"]
    target = urlsplit(location)
    assert target.path == path, location
    assert parse_qs(target.query)["error"] == [error], location
    page = client.get(location)
    assert page.status_code == 200
    return page.get_data(as_text=True)


@contextmanager
def serving(app: Flask, port: int = 0) -> Iterator[str]:
    """``app`` on a real threaded server on loopback; its base URL; stopped on the way out."""
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="test-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
