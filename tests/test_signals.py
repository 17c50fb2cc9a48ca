"""Blinker signals, sent with the app as sender: connect_via(app) receives only that app's."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from blinker import NamedSignal
from conftest import AppFactory
from flask import Flask
from support import FakeClock, attempt_sign_in, csrf_token

from flask_jwtauth import (
    CredentialsProvider,
    session_expired,
    session_updated,
    sign_in_failed,
    user_signed_in,
    user_signed_out,
)


@contextmanager
def recording(signal: NamedSignal, app: Flask) -> Iterator[list[dict[str, Any]]]:
    """Connect a receiver with ``signal.connect_via(app)``; yield what it received."""
    received: list[dict[str, Any]] = []

    @signal.connect_via(app)
    def receiver(sender: Any, **kwargs: Any) -> None:
        assert sender is app
        received.append(kwargs)

    try:
        yield received
    finally:
        signal.disconnect(receiver)


def test_user_signed_in(app: Flask) -> None:
    client = app.test_client()
    with recording(user_signed_in, app) as received:
        attempt_sign_in(client, "ann")
    assert len(received) == 1
    event = received[0]
    assert set(event) == {"user", "account", "token"}
    assert event["user"]["email"] == "ann@example.com"
    assert "password" not in event["user"]
    assert event["account"] == {
        "provider": "credentials",
        "type": "credentials",
        "providerAccountId": "1",
    }
    assert event["token"]["sub"] == "1"
    assert event["token"]["jti"]


def test_user_signed_out(app: Flask) -> None:
    client = app.test_client()
    attempt_sign_in(client, "bob")
    with recording(user_signed_out, app) as received:
        client.post("/auth/sign-out", data={"csrf_token": csrf_token(client)})
    assert len(received) == 1
    assert received[0]["token"]["sub"] == "2"


def test_user_signed_out_without_a_session(app: Flask) -> None:
    client = app.test_client()
    with recording(user_signed_out, app) as received:
        client.post("/auth/sign-out", data={"csrf_token": csrf_token(client)})
    assert received == [{"token": None}]


def test_no_signal_when_csrf_fails(app: Flask) -> None:
    client = app.test_client()
    attempt_sign_in(client)
    with (
        recording(user_signed_out, app) as out,
        recording(user_signed_in, app) as signed_in,
        recording(sign_in_failed, app) as failed,
    ):
        client.post("/auth/sign-out", data={})
        client.post("/auth/sign-in/credentials", data={"username": "ann", "password": "pw-ann"})
    assert out == signed_in == failed == []


def test_sign_in_failed_for_each_reason(make_app: AppFactory) -> None:
    def authorize(credentials: dict[str, str]) -> Any:
        if credentials["username"] == "boom":
            raise RuntimeError("backend down")
        if credentials["username"] == "eve":
            return {"id": "666"}
        return None

    app, auth = make_app(providers=[CredentialsProvider(authorize)])

    @auth.sign_in_callback
    def no_eve(user: Any) -> bool:
        return bool(user["id"] != "666")

    client = app.test_client()
    with recording(sign_in_failed, app) as received:
        for username in ("nobody", "boom", "eve"):
            client.post(
                "/auth/sign-in/credentials",
                data={"username": username, "password": "x", "csrf_token": csrf_token(client)},
            )
    assert received == [
        {"provider": "credentials", "error": "CredentialsSignin"},
        {"provider": "credentials", "error": "Configuration"},
        {"provider": "credentials", "error": "AccessDenied"},
    ]


def test_session_updated(make_app: AppFactory) -> None:
    app, auth = make_app()

    @auth.jwt_callback
    def jwt(token: dict[str, Any], trigger: str | None, session: Any) -> dict[str, Any]:
        if trigger == "update":
            token["plan"] = session["plan"]
        return token

    client = app.test_client()
    attempt_sign_in(client)
    token = client.get("/auth/csrf").get_json()["csrfToken"]
    with recording(session_updated, app) as received:
        client.post("/auth/session", json={"data": {"plan": "pro"}}, headers={"X-CSRFToken": token})
        client.post("/auth/session", json={"data": {"plan": "x"}})  # no CSRF token: no signal
    assert len(received) == 1
    assert received[0]["token"]["plan"] == "pro"
    assert received[0]["token"]["sub"] == "1"


def test_session_expired(make_app: AppFactory, clock: FakeClock) -> None:
    app, _ = make_app(JWTAUTH_SESSION_MAX_AGE=10)
    client = app.test_client()
    attempt_sign_in(client, "ann")
    with recording(session_expired, app) as received:
        client.get("/dashboard")
        assert received == []
        clock.advance(11)
        response = client.get("/dashboard")
    assert response.status_code == 302
    assert "error=SessionExpired" in response.headers["Location"]
    assert len(received) == 1
    assert received[0]["token"]["sub"] == "1"


def test_receivers_of_another_app_hear_nothing(make_app: AppFactory) -> None:
    app, _ = make_app()
    other, _ = make_app()
    with recording(user_signed_in, other) as received:
        attempt_sign_in(app.test_client())
    assert received == []
