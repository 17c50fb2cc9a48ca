"""CSRF tokens outside Flask's session: bound to the session when signed in, a double-submit
cookie before; each one refused where it does not belong."""

from __future__ import annotations

from conftest import AppFactory
from flask import Flask
from flask.testing import FlaskClient
from support import (
    attempt_sign_in,
    csrf_token,
    landed_on_sign_in,
    session_cookie,
    set_cookies,
    sign_in,
)

CSRF_COOKIE = "jwtauth.csrf-token"


def json_token(client: FlaskClient) -> str:
    token: str = client.get("/auth/csrf").get_json()["csrfToken"]
    return token


def test_anonymous_token_lives_in_a_double_submit_cookie(app: Flask) -> None:
    client = app.test_client()
    response = client.get("/auth/csrf")
    cookie = next(c for c in set_cookies(response) if c.name == CSRF_COOKIE)
    assert cookie.attrs.get("httponly") is True and cookie.attrs.get("samesite") == "Lax"
    token = response.get_json()["csrfToken"]
    assert cookie.value.startswith(f"{token}.")
    assert json_token(client) == token  # stable while the cookie is there
    assert not [c for c in set_cookies(client.get("/auth/csrf")) if c.name == CSRF_COOKIE]


def test_https_uses_the_host_prefix(app: Flask) -> None:
    response = app.test_client().get("/auth/csrf", base_url="https://localhost")
    cookie = next(c for c in set_cookies(response) if "csrf-token" in c.name)
    assert cookie.name == f"__Host-{CSRF_COOKIE}"
    assert cookie.attrs.get("secure") is True and cookie.attrs.get("path") == "/"
    assert "domain" not in cookie.attrs


def test_token_without_its_cookie_is_refused(app: Flask) -> None:
    client = app.test_client()
    token = csrf_token(client)
    stranger = app.test_client()
    response = stranger.post(
        "/auth/sign-in/credentials",
        data={"username": "ann", "password": "pw-ann", "csrf_token": token},
    )
    landed_on_sign_in(stranger, response, "CSRF")
    assert session_cookie(stranger) is None


def test_forged_cookie_pair_is_refused(app: Flask) -> None:
    client = app.test_client()
    client.set_cookie(CSRF_COOKIE, "chosen.not-a-mac")
    response = client.post(
        "/auth/sign-in/credentials",
        data={"username": "ann", "password": "pw-ann", "csrf_token": "chosen"},
    )
    landed_on_sign_in(client, response, "CSRF")
    assert session_cookie(client) is None


def test_sign_in_rotates_the_token_and_drops_the_cookie(app: Flask) -> None:
    client = app.test_client()
    before = csrf_token(client)
    response = attempt_sign_in(client)
    dropped = next(c for c in set_cookies(response) if c.name == CSRF_COOKIE)
    assert dropped.cleared
    after = json_token(client)
    assert after != before
    stale = client.post("/auth/sign-out", data={"csrf_token": before})
    assert stale.status_code == 400 and session_cookie(client) is not None
    assert client.post("/auth/sign-out", data={"csrf_token": after}).status_code == 302
    assert session_cookie(client) is None


def test_a_session_bound_token_belongs_to_its_session(make_app: AppFactory) -> None:
    app, _ = make_app()
    ann, bob = app.test_client(), app.test_client()
    sign_in(ann, "ann")
    sign_in(bob, "bob")
    anns = json_token(ann)
    updated = ann.post("/auth/session", json={"data": {}}, headers={"X-CSRFToken": anns})
    assert updated.status_code == 200
    response = bob.post("/auth/sign-out", data={"csrf_token": anns})
    assert response.status_code == 400 and session_cookie(bob) is not None


def test_the_app_can_put_a_token_in_its_own_forms(make_app: AppFactory) -> None:
    from flask import render_template_string

    app, _ = make_app()

    @app.get("/account")
    def account() -> str:
        return render_template_string(
            '<input name="csrf_token" value="{{ jwtauth_csrf_token() }}">'
        )

    client = app.test_client()
    sign_in(client)
    page = client.get("/account").get_data(as_text=True)
    token = page.split('value="')[1].split('"')[0]
    assert client.post("/auth/sign-out", data={"csrf_token": token}).status_code == 302
