"""Shared fixtures: an app factory with a controlled clock, and a CSRF-aware client helper."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from flask_jwtauth import (
    CredentialsProvider,
    JWTAuth,
    current_session,
    current_user,
    login_required,
)

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


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


AppFactory = Callable[..., tuple[Flask, JWTAuth]]


@pytest.fixture
def make_app(clock: FakeClock) -> AppFactory:
    """``make_app(JWTAUTH_SESSION_MAX_AGE=10)`` -> (app, auth) with a page, an API route,
    an admin page, and the credentials provider above."""

    def factory(providers: list[Any] | None = None, **config: Any) -> tuple[Flask, JWTAuth]:
        app = Flask(__name__)
        app.config.update(TESTING=True, JWTAUTH_SECRET=SECRET)
        app.config.update(config)
        auth = JWTAuth(
            app,
            providers=providers
            if providers is not None
            else [CredentialsProvider(authorize=authorize)],
            clock=clock,
        )

        @app.get("/")
        def home() -> str:
            return "home"

        @app.get("/dashboard")
        @login_required
        def dashboard() -> str:
            return f"Hello {current_user['name']}"

        @app.get("/admin")
        @login_required(roles="admin")
        def admin() -> str:
            return "admin area"

        @app.get("/api/me")
        @login_required
        def me() -> Any:
            return current_session

        return app, auth

    return factory


@pytest.fixture
def app(make_app: AppFactory) -> Flask:
    return make_app()[0]


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def csrf_token(client: FlaskClient) -> str:
    """The token a browser would find in the sign-in form."""
    page = client.get("/auth/sign-in")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert match, "the sign-in page has no CSRF field"
    return match.group(1)


def sign_in(
    client: FlaskClient, username: str = "ann", password: str | None = None, **extra: str
) -> Any:
    """Sign in through the real form (with CSRF), as a browser would."""
    data = {
        "username": username,
        "password": password if password is not None else USERS[username]["password"],
        "csrf_token": csrf_token(client),
        **extra,
    }
    return client.post("/auth/sign-in/credentials", data=data)


def session_cookie(client: FlaskClient, name: str = "jwtauth.session-token") -> str | None:
    cookie = client.get_cookie(name)
    return cookie.value if cookie is not None else None
