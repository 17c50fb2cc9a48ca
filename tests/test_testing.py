"""``JWTAuthTestClient``: a test client that starts signed in, for users' own tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from support import COOKIE, SECRET, SECURE_COOKIE, Clock, authorize, cookie_value, csrf_token

from flask_jwtauth import (
    CredentialsProvider,
    JWTAuth,
    JWTAuthTestClient,
    TestClock,
    current_user,
    get_token,
    login_required,
    use_clock,
)

AppFactory = Callable[..., tuple[Flask, JWTAuth]]
TESS = {"id": "7", "name": "Tess", "email": "tess@example.com", "roles": ["admin"]}


@pytest.fixture
def app(make_app: AppFactory) -> Flask:
    app, _ = make_app(JWTAUTH_SESSION_MAX_AGE=60)
    app.test_client_class = JWTAuthTestClient

    @app.get("/api/token")
    @login_required
    def token() -> Any:
        return {"token": get_token()}

    return app


def test_client_starts_signed_in(app: Flask, clock: Clock) -> None:
    client = app.test_client(user=TESS)
    assert client.get("/dashboard").get_data(as_text=True) == "Hello Tess"
    assert client.get("/admin").status_code == 200
    body = client.get("/api/me").json
    assert body is not None
    assert body["user"] == {
        "id": "7",
        "name": "Tess",
        "email": "tess@example.com",
        "image": None,
        "roles": ["admin"],
    }
    token = client.get("/api/token").json
    assert token is not None
    now = int(clock.now)
    assert token["token"]["iat"] == token["token"]["auth_time"] == now
    assert token["token"]["exp"] == now + 60
    assert token["token"]["jti"]


def test_client_without_user_is_anonymous(app: Flask) -> None:
    client = app.test_client()
    assert isinstance(client, JWTAuthTestClient)
    assert client.get("/api/me").status_code == 401
    assert cookie_value(client) is None


def test_session_follows_the_clock(app: Flask, clock: Clock) -> None:
    client = app.test_client(user=TESS)
    clock.advance(59)
    assert client.get("/api/me").status_code == 200
    clock.advance(1)
    response = client.get("/api/me")
    assert response.status_code == 401
    assert response.json is not None and response.json["error"] == "SessionExpired"


def test_extra_claims(app: Flask) -> None:
    client = app.test_client(user={"id": "8"}, claims={"tenant": "acme", "roles": ["viewer"]})
    token = client.get("/api/token").json
    assert token is not None
    assert token["token"]["sub"] == "8"
    assert token["token"]["tenant"] == "acme"
    assert client.get("/admin").status_code == 403


def test_user_object_with_attributes(app: Flask) -> None:
    class User:
        id = 9
        name = "Obi"
        email = "obi@example.com"
        role = "admin"

    client = app.test_client(user=User())
    assert client.get("/dashboard").get_data(as_text=True) == "Hello Obi"
    assert client.get("/admin").status_code == 200  # a single ``role`` becomes roles


def test_jwt_callback_runs_as_for_a_real_sign_in(make_app: AppFactory) -> None:
    app, auth = make_app()
    app.test_client_class = JWTAuthTestClient
    calls: list[tuple[str | None, Any]] = []

    @auth.jwt_callback
    def jwt(
        token: dict[str, Any], user: Any = None, account: Any = None, trigger: str | None = None
    ) -> dict[str, Any]:
        calls.append((trigger, user))
        if user is not None:
            token["firstName"] = user["name"].split()[0]
        return token

    @app.get("/api/first")
    @login_required
    def first() -> Any:
        token = get_token()
        return {"first": token["firstName"] if token else None}

    client = app.test_client(user={"id": "1", "name": "Ann Example"})
    assert calls == [("sign_in", {"id": "1", "name": "Ann Example"})]
    assert client.get("/api/first").json == {"first": "Ann"}
    assert calls[-1] == (None, None)


def test_jwt_callback_refusing_the_user(make_app: AppFactory) -> None:
    app, auth = make_app()
    app.test_client_class = JWTAuthTestClient

    @auth.jwt_callback
    def jwt(token: dict[str, Any], user: Any = None) -> dict[str, Any] | None:
        return None if user is not None and user["id"] == "banned" else token

    with pytest.raises(ValueError, match="refused"):
        app.test_client(user={"id": "banned"})


def test_sign_in_again_switches_user(app: Flask) -> None:
    client = app.test_client(user=TESS)
    assert isinstance(client, JWTAuthTestClient)
    value = client.sign_in({"id": "2", "name": "Bob"})
    assert cookie_value(client) == value
    assert client.get("/dashboard").get_data(as_text=True) == "Hello Bob"
    assert client.get("/admin").status_code == 403


def test_secure_client(app: Flask) -> None:
    client = app.test_client(user=TESS, secure=True)
    assert cookie_value(client, SECURE_COOKIE) is not None
    assert cookie_value(client) is None
    assert client.get("/api/me", base_url="https://localhost").status_code == 200


def test_large_session_is_chunked_like_a_browser_would_hold_it(make_app: AppFactory) -> None:
    app, _ = make_app(JWTAUTH_COOKIE_CHUNK_SIZE=1000)
    app.test_client_class = JWTAuthTestClient

    @app.get("/api/size")
    @login_required
    def size() -> Any:
        token = get_token()
        return {"bio": len(token["bio"]) if token else None}

    big = {"id": "3", "name": "Big"}
    client = app.test_client(user=big, claims={"bio": "x" * 4000})
    assert isinstance(client, JWTAuthTestClient)
    assert cookie_value(client) is None
    assert cookie_value(client, f"{COOKIE}.0") is not None
    assert cookie_value(client, f"{COOKIE}.3") is not None
    assert client.get("/api/size").json == {"bio": 4000}
    # Signing in again with a small session leaves no stale chunks behind.
    client.sign_in({"id": "4", "name": "Small"})
    assert cookie_value(client, f"{COOKIE}.0") is None
    assert client.get("/dashboard").get_data(as_text=True) == "Hello Small"


def test_cookie_path_is_respected(make_app: AppFactory) -> None:
    app, _ = make_app(JWTAUTH_COOKIE_PATH="/app")
    app.test_client_class = JWTAuthTestClient

    @app.get("/app/me")
    @login_required
    def me_under_app() -> Any:
        return {"name": current_user["name"]}

    client = app.test_client(user=TESS)
    assert client.get("/app/me").json == {"name": "Tess"}
    assert client.get("/api/me").status_code == 401  # as a browser: not sent outside /app


def test_sign_out_ends_the_session_through_the_flow(make_app: AppFactory) -> None:
    from flask_jwtauth import user_signed_out

    app, _ = make_app(JWTAUTH_REVOCATION=True, JWTAUTH_STORE_URL="memory://")
    ended: list[Any] = []
    user_signed_out.connect(lambda sender, token: ended.append(token), app, False)
    client = JWTAuthTestClient(app, app.response_class, user=TESS)
    held = cookie_value(client)
    assert held is not None and client.get("/api/me").status_code == 200
    client.sign_out()
    assert cookie_value(client) is None
    assert client.get("/api/me").status_code == 401
    assert ended and ended[0]["sub"] == "7"
    replay = app.test_client()
    replay.set_cookie(COOKIE, held)
    assert replay.get("/api/me").status_code == 401  # revoked, not only forgotten


def test_clients_share_nothing(app: Flask) -> None:
    """Flask-Login's FlaskLoginClient problem: no state left on the app between clients."""
    tess = app.test_client(user=TESS)
    other = app.test_client(user={"id": "8", "name": "Otto"})
    anonymous = app.test_client()
    assert tess.get("/dashboard").get_data(as_text=True) == "Hello Tess"
    assert other.get("/dashboard").get_data(as_text=True) == "Hello Otto"
    assert anonymous.get("/api/me").status_code == 401


def test_use_clock_moves_sessions_without_sleeping(app: Flask) -> None:
    from flask_jwtauth import TestClock, use_clock

    clock = TestClock()
    with use_clock(app, clock):
        client = app.test_client(user=TESS)
        clock.advance(59)
        assert client.get("/api/me").status_code == 200
        clock.advance(61)
        assert client.get("/api/me").status_code == 401
    fresh = app.test_client(user=TESS)  # the app's own clock is back
    assert fresh.get("/api/me").status_code == 200


# -- Regression test for issue 18, bug 6. ------------------------------------------------


def test_issue18_use_clock_moves_the_throttle_window_too() -> None:
    """``use_clock(app, clock)`` moves every clock of the app, the store's included: with
    throttling on (a 60 s window, the default memory store) five failed sign-ins give 429;
    an hour later on the test clock the next sign-in attempt is not refused (no 429)."""
    app = Flask(__name__)
    app.config.update(
        TESTING=True, JWTAUTH_SECRET=SECRET, JWTAUTH_THROTTLE=True, JWTAUTH_THROTTLE_WINDOW=60
    )
    JWTAuth(app, [CredentialsProvider(authorize=authorize)])  # the app's own clock: real time
    client = app.test_client()

    def attempt(password: str) -> int:
        data = {"username": "ann", "password": password, "csrf_token": csrf_token(client)}
        response = client.post(
            "/auth/sign-in/credentials", data=data, headers={"Accept": "application/json"}
        )
        return response.status_code

    with use_clock(app, TestClock()) as clock:
        for _ in range(5):
            assert attempt("wrong") == 401
        assert attempt("pw-ann") == 429
        clock.advance(3600)
        assert attempt("pw-ann") != 429
