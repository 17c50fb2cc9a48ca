"""Moving off NextAuth v4 without signing everyone out: a ``next-auth.session-token`` made
by next-auth v4's own ``encode`` (node) is adopted, re-issued in the current format and
cleared, with ``JWTAUTH_NEXTAUTH_V4_COOKIES``."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import AppFactory
from flask import Flask
from support import COOKIE, SECRET, SECURE_COOKIE, FakeClock, set_cookie, set_cookies
from test_tokens import NodeScript, node_script

from flask_jwtauth import revoke_session, revoke_user

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


# -- Regression tests for issue 18, bug 1: an adopted v4 cookie gets the checks a session
# -- of ours gets (a subject, revocation, a session id that survives replays). ----------

REVOCATION_STORES = ["memory", "sqlite"]


def _revocable_v4_app(make_app: AppFactory, store: str, tmp_path: Path) -> Flask:
    url = "memory://" if store == "memory" else f"sqlite:///{tmp_path}/jwtauth.db"
    app, _ = make_app(
        JWTAUTH_NEXTAUTH_V4_COOKIES=True, JWTAUTH_REVOCATION=True, JWTAUTH_STORE_URL=url
    )

    @app.get("/api/sid")
    def sid() -> object:
        from flask_jwtauth import get_token

        token = get_token()
        return {"sid": token and token["sid"]}

    return app


def test_issue18_a_v4_token_without_a_subject_is_not_adopted(
    make_app: AppFactory, nextauth_v4: NodeScript
) -> None:
    """next-auth up to 4.24.4 encrypted its OAuth state/PKCE/nonce cookies under the
    session key: ``encode({"value": ...})``, no ``sub``. Pasted as the v4 session cookie it
    must not be adopted: no session (401 on the API, a redirect to sign-in for a page),
    and no session cookie of ours is issued."""
    app, _ = make_app(JWTAUTH_NEXTAUTH_V4_COOKIES=True)
    state: str = nextauth_v4(
        [
            {
                "op": "encode",
                "token": {"value": "state-Yw3kZ2v8n0q1r5t7u9x"},
                "secret": SECRET,
                "maxAge": 900,
            }
        ]
    )[0]
    client = app.test_client()
    client.set_cookie(V4, state)
    api = client.get("/api/me")
    assert api.status_code == 401, api.get_data(as_text=True)
    issued = set_cookie(api)
    assert issued is None or issued.cleared
    page = app.test_client()
    page.set_cookie(V4, state)
    response = page.get("/dashboard")
    assert response.status_code == 302 and "/auth/sign-in" in response.headers["Location"]


@pytest.mark.parametrize("store", REVOCATION_STORES)
def test_issue18_an_adopted_v4_cookie_replayed_after_revoke_user_is_refused(
    make_app: AppFactory, nextauth_v4: NodeScript, clock: FakeClock, store: str, tmp_path: Path
) -> None:
    """``revoke_user(sub)`` ends every session of that user that started before, the ones
    adopted from a v4 cookie too: the same v4 cookie sent again afterwards (without our
    cookie) is not adopted again, 401."""
    app = _revocable_v4_app(make_app, store, tmp_path)
    v4 = v4_cookie(nextauth_v4)
    client = app.test_client()
    client.set_cookie(V4, v4)
    assert client.get("/api/me").status_code == 200  # adopted
    clock.advance(2)
    with app.app_context():
        revoke_user(USER["sub"])
    assert client.get("/api/me").status_code == 401  # our re-issued cookie: refused
    clock.advance(1)
    replay = app.test_client()
    replay.set_cookie(V4, v4)
    response = replay.get("/api/me")
    assert response.status_code == 401, response.get_json()


@pytest.mark.parametrize("store", REVOCATION_STORES)
def test_issue18_a_replayed_v4_cookie_stays_signed_out(
    make_app: AppFactory, nextauth_v4: NodeScript, clock: FakeClock, store: str, tmp_path: Path
) -> None:
    """The session id an adoption gives is derived from the v4 token (e.g. its ``jti``), so
    the same v4 cookie always becomes the same session: once that session is signed out
    (with revocation on, sign-out revokes its ``sid``), replaying the v4 cookie (without our
    cookie) is refused, 401."""
    app = _revocable_v4_app(make_app, store, tmp_path)
    v4 = v4_cookie(nextauth_v4)
    client = app.test_client()
    client.set_cookie(V4, v4)
    assert client.get("/api/me").status_code == 200  # adopted
    token = client.get("/auth/csrf").get_json()["csrfToken"]
    assert client.post("/auth/sign-out", data={"csrf_token": token}).status_code == 302
    assert client.get("/api/me").status_code == 401
    clock.advance(1)
    replay = app.test_client()
    replay.set_cookie(V4, v4)
    response = replay.get("/api/me")
    assert response.status_code == 401, response.get_json()


@pytest.mark.parametrize("store", REVOCATION_STORES)
def test_issue18_revoke_session_of_an_adopted_session_holds_for_replays(
    make_app: AppFactory, nextauth_v4: NodeScript, clock: FakeClock, store: str, tmp_path: Path
) -> None:
    """``revoke_session(sid)`` with the ``sid`` the adoption gave (as ``get_token()`` shows
    it) ends that session for good: the same v4 cookie, adopted again by another client,
    is the same session (its id derived from the v4 token) and is refused, 401."""
    app = _revocable_v4_app(make_app, store, tmp_path)
    v4 = v4_cookie(nextauth_v4)
    client = app.test_client()
    client.set_cookie(V4, v4)
    first = client.get("/api/sid")
    assert first.status_code == 200
    sid = first.get_json()["sid"]
    assert isinstance(sid, str) and sid
    with app.app_context():
        revoke_session(sid)
    assert client.get("/api/me").status_code == 401
    clock.advance(1)
    replay = app.test_client()
    replay.set_cookie(V4, v4)
    response = replay.get("/api/me")
    assert response.status_code == 401, response.get_json()
