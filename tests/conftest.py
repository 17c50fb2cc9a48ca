"""Shared fixtures: an app factory with a controlled clock. Helpers live in ``support``.

Before the first test, the node packages the tests use (the real Auth.js, next-auth, the
OpenID provider, the browser bundles: every ``tests/*/package-lock.json``) are installed
with ``npm ci`` where npm is present and they are missing, so the README's one test command
runs everything a fresh machine can; without npm those tests skip (fail with CI=true).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support import SECRET, USERS, FakeClock, authorize, csrf_token, session_cookie
from support import attempt_sign_in as sign_in

from flask_jwtauth import (
    CredentialsProvider,
    JWTAuth,
    current_session,
    current_user,
    login_required,
)

__all__ = ["SECRET", "USERS", "authorize", "csrf_token", "session_cookie", "sign_in"]

TESTS = Path(__file__).resolve().parent


def pytest_sessionstart(session: pytest.Session) -> None:
    npm = shutil.which("npm")
    missing = [
        lock.parent
        for lock in sorted(TESTS.glob("*/package-lock.json"))
        if not (lock.parent / "node_modules").is_dir()
    ]
    if npm is None or not missing:
        return
    for folder in missing:
        print(f"flask_jwtauth tests: npm ci --prefix {folder.relative_to(TESTS.parent)}")
        done = subprocess.run(
            [npm, "ci", "--prefix", str(folder), "--no-audit", "--no-fund", "--loglevel=error"],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:  # the tests that need it then skip (or fail with CI=true)
            print(f"  npm ci failed ({done.returncode}): {done.stderr.strip()[-500:]}")

AppFactory = Callable[..., tuple[Flask, JWTAuth]]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
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
