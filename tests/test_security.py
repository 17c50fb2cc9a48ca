"""Regression tests for what a security review found, one per attack, named for it (in the
style of PyJWT's advisory tests). Each failed before its fix."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from conftest import AppFactory
from flask import Flask
from support import COOKIE, SECRET, attempt_sign_in, csrf_token, session_cookie, sign_in

from flask_jwtauth import (
    ConfigurationError,
    JWTAuth,
    current_session,
    current_user,
    get_session,
    get_token,
    login_required,
    session_updated,
    user_signed_in,
)
from flask_jwtauth.tokens import JWECodec

NOW = 1_700_000_000


def forge(claims: dict[str, Any], secret: str = SECRET) -> str:
    """A token encrypted with the app's real key, as an Auth.js peer (or a sloppy jwt
    callback) could write it: valid crypto, hostile claims."""
    return JWECodec((secret.encode(),), COOKIE).encode(claims)


# -- 1. shared mutable claims ------------------------------------------------------------------


def test_mutating_current_user_roles_cannot_grant_admin_to_later_requests(
    make_app: AppFactory,
) -> None:
    app, _ = make_app()

    @app.get("/escalate")
    @login_required
    def escalate() -> str:
        current_user.get("roles", []).append("admin")
        token = get_token()
        assert token is not None
        token.setdefault("roles", []).append("admin")
        session = get_session()
        assert session is not None
        session["user"].setdefault("roles", []).append("admin")
        return "tried"

    client = app.test_client()
    sign_in(client, "bob")  # no roles
    for _ in range(3):
        assert client.get("/escalate").status_code == 200
        assert client.get("/admin").status_code == 403


@pytest.mark.parametrize("update_age", [0, None])
def test_mutating_claims_in_callbacks_and_signals_never_reaches_the_memo(
    make_app: AppFactory, update_age: int | None
) -> None:
    app, auth = make_app(JWTAUTH_SESSION_UPDATE_AGE=update_age)

    @auth.session_callback
    def session(session: dict[str, Any], token: dict[str, Any]) -> dict[str, Any]:
        token.setdefault("roles", []).append("admin")
        return session

    def grab(sender: Flask, token: dict[str, Any], **extra: Any) -> None:
        token.setdefault("roles", []).append("admin")

    user_signed_in.connect(grab, app)
    session_updated.connect(grab, app)
    client = app.test_client()
    sign_in(client, "bob")
    for _ in range(3):
        assert client.get("/api/me").status_code == 200
        assert client.get("/admin").status_code == 403


# -- 2. claims of the wrong type under a valid key -----------------------------------------


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "1", "exp": math.nan, "iat": NOW},
        {"sub": "1", "exp": NOW + 60, "iat": None, "auth_time": math.nan},
        {"sub": "1", "exp": 1e308, "iat": NOW},
        {"sub": "1", "exp": NOW + 60, "iat": 1e308},
        {"sub": "1", "exp": True, "iat": NOW},
        {"sub": "1", "exp": NOW + 60, "iat": NOW, "auth_time": "yesterday"},
        {"sub": "1", "exp": NOW + 60, "iat": NOW, "nbf": NOW + 3600},  # not valid yet
        {"sub": 1, "exp": NOW + 60, "iat": NOW},
    ],
    ids=repr,
)
def test_hostile_claims_under_a_valid_key_are_an_anonymous_request(
    make_app: AppFactory, claims: dict[str, Any]
) -> None:
    app, _ = make_app()
    client = app.test_client()
    client.set_cookie(COOKIE, forge(claims))
    for path in ("/api/me", "/auth/session", "/dashboard", "/"):
        response = client.get(path)
        assert response.status_code < 500, path
    assert client.get("/api/me").status_code == 401


def test_jwt_callback_returning_bad_types_is_refused(make_app: AppFactory) -> None:
    app, auth = make_app()

    @auth.jwt_callback
    def jwt(token: dict[str, Any], trigger: str | None) -> dict[str, Any]:
        return {**token, "auth_time": math.inf} if trigger == "sign_in" else token

    client = app.test_client()
    response = attempt_sign_in(client)
    assert response.status_code == 500  # a server fault, shown as Configuration
    assert session_cookie(client) is None


# -- 3. session update cannot set reserved claims ------------------------------------------------


def test_session_update_cannot_move_auth_time_past_the_absolute_cap(
    make_app: AppFactory, clock: Any
) -> None:
    app, auth = make_app(JWTAUTH_SESSION_ABSOLUTE_MAX_AGE=100, JWTAUTH_SESSION_UPDATE_AGE=0)

    @auth.jwt_callback
    def careless(token: dict[str, Any], session: Any, trigger: str | None) -> dict[str, Any]:
        if trigger == "update" and isinstance(session, dict):
            token.update(session)  # the unsafe pattern: client data merged into the token
        return token

    client = app.test_client()
    sign_in(client)
    token = client.get("/auth/csrf").get_json()["csrfToken"]
    forged = {"auth_time": NOW + 10**6, "jti": "chosen", "exp": NOW + 10**7, "name": "ok"}
    response = client.post("/auth/session", json={"data": forged}, headers={"X-CSRFToken": token})
    assert response.status_code == 200
    assert response.get_json()["user"]["name"] == "ok"  # ordinary claims do change
    clock.advance(101)
    assert client.get("/api/me").status_code == 401  # the cap still counts from sign-in


# -- 4. hostile bodies ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/auth/sign-in/credentials", "/auth/sign-out", "/auth/session", "/auth/callback/x"]
)
def test_deeply_nested_json_is_a_400_not_a_500(client: Any, path: str) -> None:
    body = "[" * 30_000 + "]" * 30_000  # under the body limit, far past the parser's depth
    response = client.post(path, data=body, content_type="application/json")
    assert response.status_code in (400, 404), response.status_code


def test_oversized_bodies_are_refused_before_parsing(make_app: AppFactory) -> None:
    app, _ = make_app(JWTAUTH_MAX_BODY_SIZE=2048)
    client = app.test_client()
    big = {"username": "a" * 4096, "password": "x", "csrfToken": csrf_token(client)}
    response = client.post(
        "/auth/sign-in/credentials", data=json.dumps(big), content_type="application/json"
    )
    assert response.status_code == 413
    form = client.post("/auth/sign-in/credentials", data=big)
    assert form.status_code == 413


# -- 8. configuration that passed start-up and failed later --------------------------------------


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("JWTAUTH_SESSION_MAX_AGE", 10**12),
        ("JWTAUTH_JWT_MAX_AGE", 10**12),
        ("JWTAUTH_SESSION_ABSOLUTE_MAX_AGE", 10**15),
        ("JWTAUTH_COOKIE_DOMAIN", "a" * 64 + ".example.com"),
        ("JWTAUTH_COOKIE_DOMAIN", ("a" * 60 + ".") * 5 + "com"),
    ],
)
def test_settings_that_would_fail_every_sign_in_fail_at_start_up(key: str, value: Any) -> None:
    app = Flask(__name__)
    app.config.update(JWTAUTH_SECRET=SECRET, **{key: value})
    with pytest.raises(ConfigurationError) as caught:
        JWTAuth(app)
    assert caught.value.key == key


def test_a_view_at_the_sign_in_url_does_not_loop_in_protect_all(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = Flask(__name__)
    app.config.update(JWTAUTH_SECRET=SECRET, JWTAUTH_PROTECT_ALL=True, JWTAUTH_SIGN_IN_URL="/login")

    @app.get("/login")
    def shadow() -> str:  # registered first: it shadows the built-in page
        return "the app's own page at the sign-in URL"

    @app.get("/reports")
    def reports() -> str:
        return "reports"

    JWTAuth(app)
    assert "JWTAUTH_SIGN_IN_URL" in caplog.text  # said at start-up
    client = app.test_client()
    response = client.get("/reports")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?")
    assert client.get("/login").status_code == 200  # exempt by path: no redirect loop
    assert client.get("/auth/error?error=AccessDenied").status_code == 403  # the error page too


# -- 9. weak secrets ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "secret",
    [
        "hunter2-hunter2!",  # 16 characters: recovered offline in 525 guesses
        "a" * 64,
        "abcd" * 16,
        "passwordpasswordpasswordpassword",
        "0123456789abcdef" * 2,
        "change-me-to-32-random-characters!!",
    ],
)
def test_weak_secrets_are_refused_with_the_way_out(secret: str) -> None:
    app = Flask(__name__)
    app.config["JWTAUTH_SECRET"] = secret
    with pytest.raises(ConfigurationError) as caught:
        JWTAuth(app)
    assert "flask jwtauth secret" in str(caught.value)


# -- 11. framing, the Host header -----------------------------------------------------------------


def test_auth_pages_cannot_be_framed(client: Any) -> None:
    for path in ("/auth/sign-in", "/auth/sign-out", "/auth/error"):
        response = client.get(path)
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_forged_host_cannot_reach_urls_a_client_follows(make_app: AppFactory) -> None:
    app, _ = make_app(JWTAUTH_URL="https://app.example.com")
    client = app.test_client()
    providers = client.get("/auth/providers", headers={"Host": "evil.example"})
    body = providers.get_json()["credentials"]
    assert body["signinUrl"] == "https://app.example.com/auth/sign-in/credentials"
    assert "no-store" in providers.headers["Cache-Control"]
    token = client.get("/auth/csrf", headers={"Host": "evil.example"}).get_json()["csrfToken"]
    signed = client.post(
        "/auth/sign-in/credentials",
        json={"username": "ann", "password": "pw-ann", "callbackUrl": "/dashboard"},
        headers={"X-CSRFToken": token, "Host": "evil.example"},
    )
    assert signed.get_json()["url"] == "https://app.example.com/dashboard"


def test_current_session_proxy_and_none(make_app: AppFactory) -> None:
    """``current_session`` is a proxy (never ``is None``): truthiness and ``get_session()``
    are the documented idioms, and they agree."""
    app, _ = make_app()

    @app.get("/idiom")
    def idiom() -> Any:
        return {"truthy": bool(current_session), "none": get_session() is None}

    client = app.test_client()
    assert client.get("/idiom").get_json() == {"truthy": False, "none": True}
    sign_in(client)
    assert client.get("/idiom").get_json() == {"truthy": True, "none": False}
