"""CSRF on every state-changing POST: a missing or wrong token is a 400 and nothing changes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from conftest import AppFactory
from flask import Flask
from flask.testing import FlaskClient
from support import attempt_sign_in, csrf_token, landed_on_sign_in, session_cookie

COOKIE = "jwtauth.session-token"


def session_cookie_headers(response: Any) -> list[str]:
    """Set-Cookie headers that touch the session cookie (set or clear)."""
    return [h for h in response.headers.getlist("Set-Cookie") if h.startswith(COOKIE)]


def other_clients_token(app: Flask) -> str:
    """A valid token, but for another browser's session."""
    return csrf_token(app.test_client())


@pytest.fixture
def signed_in(client: FlaskClient) -> FlaskClient:
    attempt_sign_in(client, "bob")
    assert client.get("/auth/session").get_json()["user"]["name"] == "Bob"
    return client


def bad_tokens(app: Flask) -> list[tuple[str, dict[str, str]]]:
    return [
        ("missing", {}),
        ("empty", {"csrf_token": ""}),
        ("garbage", {"csrf_token": "not-a-token"}),
        ("tampered", {"csrf_token": other_clients_token(app)[:-2] + "xx"}),
        ("another session's", {"csrf_token": other_clients_token(app)}),
    ]


# -- sign-in ---------------------------------------------------------------------------------


def test_sign_in_without_a_valid_token_is_400_and_signs_no_one_in(
    app: Flask, client: FlaskClient
) -> None:
    client.get("/auth/sign-in")  # this browser has a CSRF session of its own
    for label, token in bad_tokens(app):
        response = client.post(
            "/auth/sign-in/credentials", data={"username": "ann", "password": "pw-ann", **token}
        )
        assert session_cookie_headers(response) == [], label
        page = landed_on_sign_in(client, response, "CSRF")
        assert "expired or is invalid" in page, label
    assert session_cookie(client) is None
    assert client.get("/auth/session").get_json() is None


def test_sign_in_with_a_bad_token_keeps_the_current_session(
    app: Flask, signed_in: FlaskClient
) -> None:
    before = session_cookie(signed_in)
    for label, token in bad_tokens(app):
        response = signed_in.post(
            "/auth/sign-in/credentials", data={"username": "ann", "password": "pw-ann", **token}
        )
        assert session_cookie_headers(response) == [], label
        landed_on_sign_in(signed_in, response, "CSRF")
    assert session_cookie(signed_in) == before
    assert signed_in.get("/auth/session").get_json()["user"]["name"] == "Bob"


def test_json_sign_in_without_the_header_is_400(client: FlaskClient) -> None:
    client.get("/auth/csrf")
    response = client.post(
        "/auth/sign-in/credentials", json={"username": "ann", "password": "pw-ann"}
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "CSRF"
    assert response.get_json()["ok"] is False
    assert session_cookie_headers(response) == []


def test_json_sign_in_with_a_wrong_header_is_400(app: Flask, client: FlaskClient) -> None:
    client.get("/auth/csrf")
    response = client.post(
        "/auth/sign-in/credentials",
        json={"username": "ann", "password": "pw-ann"},
        headers={"X-CSRFToken": other_clients_token(app)},
    )
    assert response.status_code == 400
    assert session_cookie(client) is None


def test_both_header_spellings_are_accepted(client: FlaskClient) -> None:
    for header in ("X-CSRFToken", "X-CSRF-Token"):
        token = client.get("/auth/csrf").get_json()["csrfToken"]
        response = client.post(
            "/auth/sign-in/credentials",
            json={"username": "ann", "password": "pw-ann"},
            headers={header: token},
        )
        assert response.status_code == 200, header


def test_a_token_from_the_csrf_endpoint_works_in_the_form(client: FlaskClient) -> None:
    token = client.get("/auth/csrf").get_json()["csrfToken"]
    response = client.post(
        "/auth/sign-in/credentials",
        data={"username": "ann", "password": "pw-ann", "csrf_token": token},
    )
    assert response.status_code == 302


# -- sign-out --------------------------------------------------------------------------------


def test_sign_out_without_a_valid_token_is_400_and_keeps_the_session(
    app: Flask, signed_in: FlaskClient
) -> None:
    before = session_cookie(signed_in)
    for label, token in bad_tokens(app):
        response = signed_in.post("/auth/sign-out", data=token)
        assert response.status_code == 400, label
        assert session_cookie_headers(response) == [], label
        html = response.get_data(as_text=True)
        assert 'role="alert"' in html, label
        assert 'action="/auth/sign-out"' in html, label  # the confirmation, to try again
    assert session_cookie(signed_in) == before
    assert signed_in.get("/dashboard").get_data(as_text=True) == "Hello Bob"


def test_json_sign_out_without_the_header_is_400(signed_in: FlaskClient) -> None:
    response = signed_in.post("/auth/sign-out", json={"callbackUrl": "/"})
    assert response.status_code == 400
    assert response.get_json()["error"] == "CSRF"
    assert session_cookie_headers(response) == []
    assert signed_in.get("/auth/session").get_json() is not None


def test_get_sign_out_never_signs_out(signed_in: FlaskClient) -> None:
    before = session_cookie(signed_in)
    for url in ("/auth/sign-out", "/auth/sign-out?callbackUrl=/", "/auth/sign-out?confirm=1"):
        response = signed_in.get(url)
        assert response.status_code == 200
        assert session_cookie_headers(response) == []
        assert "Are you sure you want to sign out?" in response.get_data(as_text=True)
    assert session_cookie(signed_in) == before
    assert signed_in.get("/dashboard").get_data(as_text=True) == "Hello Bob"


def test_sign_out_with_the_pages_token_signs_out(signed_in: FlaskClient) -> None:
    page = signed_in.get("/auth/sign-out").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match is not None
    response = signed_in.post("/auth/sign-out", data={"csrf_token": match.group(1)})
    assert response.status_code == 302
    assert any("Max-Age=0" in h for h in session_cookie_headers(response))
    assert session_cookie(signed_in) is None


# -- session update --------------------------------------------------------------------------


@pytest.fixture
def updating_app(make_app: AppFactory) -> Flask:
    app, auth = make_app()

    @auth.jwt_callback
    def jwt(token: dict[str, Any], trigger: str | None, session: Any) -> dict[str, Any]:
        if trigger == "update":
            token["name"] = "Changed"
        return token

    return app


def test_session_update_without_a_valid_token_is_400_and_changes_nothing(
    updating_app: Flask,
) -> None:
    client = updating_app.test_client()
    attempt_sign_in(client, "bob")
    before = session_cookie(client)
    attempts: list[dict[str, Any]] = [
        {"json": {"data": {"name": "x"}}},
        {"json": {"data": {}}, "headers": {"X-CSRFToken": "garbage"}},
        {"json": {"csrfToken": "garbage", "data": {}}},
        {"json": {"data": {}}, "headers": {"X-CSRFToken": other_clients_token(updating_app)}},
        {"data": {"data": "x"}},
        {"data": {"csrf_token": other_clients_token(updating_app)}},
    ]
    for attempt in attempts:
        response = client.post("/auth/session", **attempt)
        assert response.status_code == 400, attempt
        assert response.get_json()["error"] == "CSRF", attempt
        assert session_cookie_headers(response) == [], attempt
    assert session_cookie(client) == before
    assert client.get("/auth/session").get_json()["user"]["name"] == "Bob"


# -- configuration ---------------------------------------------------------------------------


def test_flask_wtfs_switch_does_not_turn_off_our_csrf(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """WTF_CSRF_ENABLED = False is Flask-WTF's setting for the app's own forms: sign-in,
    sign-out and update stay protected, and start-up says so, naming the key."""
    app, _ = make_app(WTF_CSRF_ENABLED=False)
    assert "WTF_CSRF_ENABLED" in caplog.text
    client = app.test_client()
    response = client.post(
        "/auth/sign-in/credentials", data={"username": "ann", "password": "pw-ann"}
    )
    landed_on_sign_in(client, response, "CSRF")
    assert session_cookie(client) is None


def test_csrf_is_on_by_default_even_under_testing(app: Flask) -> None:
    assert app.config["TESTING"] is True
    client = app.test_client()
    response = client.post(
        "/auth/sign-in/credentials", data={"username": "ann", "password": "pw-ann"}
    )
    landed_on_sign_in(client, response, "CSRF")


def test_a_stale_form_keeps_the_username_but_never_a_secret(make_app: AppFactory) -> None:
    """After a CSRF failure the browser lands on the sign-in page (post, redirect, get) with
    what was typed, except secrets, whatever the secret field is called."""
    from flask_jwtauth import CredentialsProvider

    fields = {"email": {"type": "email"}, "pin": {"type": "password"}}
    app, _ = make_app(providers=[CredentialsProvider(lambda c: None, fields)])
    client = app.test_client()
    client.get("/auth/sign-in")
    response = client.post(
        "/auth/sign-in/credentials",
        data={"email": "ann@example.com", "pin": "9876", "csrf_token": "stale"},
    )
    assert "9876" not in str(response.headers)
    page = landed_on_sign_in(client, response, "CSRF")
    assert 'value="ann@example.com"' in page and "9876" not in page
    again = client.get("/auth/sign-in").get_data(as_text=True)
    assert "ann@example.com" not in again  # read once
