"""Moving off NextAuth v4 without signing everyone out: a ``next-auth.session-token`` made
by next-auth v4's own ``encode`` (node) is adopted, re-issued in the current format and
cleared, with ``JWTAUTH_NEXTAUTH_V4_COOKIES``."""

from __future__ import annotations

import time

import pytest
from conftest import AppFactory
from support import COOKIE, SECRET, SECURE_COOKIE, FakeClock, set_cookie, set_cookies
from test_tokens import NodeScript, node_script

V4 = "next-auth.session-token"
USER = {"name": "V4 User", "email": "v4@example.com", "picture": None, "sub": "42"}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(time.time())  # next-auth stamps its tokens with the real time


@pytest.fixture
def nextauth_v4() -> NodeScript:
    return node_script("nextauth_v4.mjs", "next-auth/jwt/index.js", "next-auth (v4)")


def v4_cookie(nextauth_v4: NodeScript, secret: str = SECRET, **claims: object) -> str:
    token: str = nextauth_v4(
        [{"op": "encode", "token": {**USER, **claims}, "secret": secret, "maxAge": 600}]
    )[0]
    return token


def test_a_v4_session_is_adopted_reissued_and_its_cookie_cleared(
    make_app: AppFactory, nextauth_v4: NodeScript
) -> None:
    app, _ = make_app(JWTAUTH_NEXTAUTH_V4_COOKIES=True)
    client = app.test_client()
    client.set_cookie(V4, v4_cookie(nextauth_v4, role="admin"))
    response = client.get("/api/me")
    assert response.status_code == 200
    assert response.get_json()["user"]["name"] == "V4 User"
    issued = set_cookie(response)
    assert issued is not None and issued.value and not issued.cleared
    cleared = set_cookie(response, V4)
    assert cleared is not None and cleared.cleared
    assert client.get_cookie(V4) is None
    # From now on, the current cookie alone.
    again = client.get("/api/me")
    assert again.status_code == 200 and set_cookie(again, V4) is None
    assert client.get("/admin").status_code == 200  # custom claims came along


def test_v4_cookies_are_ignored_unless_asked_for(
    make_app: AppFactory, nextauth_v4: NodeScript
) -> None:
    app, _ = make_app()
    client = app.test_client()
    client.set_cookie(V4, v4_cookie(nextauth_v4))
    response = client.get("/api/me")
    assert response.status_code == 401
    assert set_cookies(response) == []


def test_a_v4_cookie_it_cannot_use_is_left_alone(
    make_app: AppFactory, nextauth_v4: NodeScript, clock: FakeClock
) -> None:
    app, _ = make_app(JWTAUTH_NEXTAUTH_V4_COOKIES=True)
    other = app.test_client()
    other.set_cookie(V4, v4_cookie(nextauth_v4, secret="another-apps-secret-0123456789abc"))
    response = other.get("/api/me")
    assert response.status_code == 401 and set_cookies(response) == []
    expired = app.test_client()
    expired.set_cookie(V4, v4_cookie(nextauth_v4))
    clock.advance(601)
    response = expired.get("/api/me")
    assert response.status_code == 401 and set_cookies(response) == []


def test_a_chunked_secure_v4_cookie_is_adopted_over_https(
    make_app: AppFactory, nextauth_v4: NodeScript
) -> None:
    app, _ = make_app(JWTAUTH_NEXTAUTH_V4_COOKIES=True)
    client = app.test_client()
    token = v4_cookie(nextauth_v4, accessToken="x" * 5000)
    name = f"__Secure-{V4}"
    half = len(token) // 2
    client.set_cookie(f"{name}.0", token[:half], secure=True)
    client.set_cookie(f"{name}.1", token[half:], secure=True)
    response = client.get("/api/me", base_url="https://localhost")
    assert response.status_code == 200
    names = {c.name for c in set_cookies(response) if c.cleared}
    assert {f"{name}.0", f"{name}.1"} <= names
    assert any(c.name.startswith(SECURE_COOKIE) for c in set_cookies(response) if c.value)
    assert COOKIE not in names
