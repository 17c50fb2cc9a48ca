"""The flask_jwtauth set-up: one credentials provider and the jwt/session callbacks.

Without the backend (default, seed 000, seed 001) ``authorize()`` checks the SQLite table.
With it (seed 002) ``authorize()`` asks the backend for tokens, and the jwt callback keeps
its access token fresh, as seed 002's ``jwt`` callback does.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from flask_jwtauth import CredentialsProvider, JWTAuth

from . import backend, db
from .state import Clock, example_state

FIELDS = {
    "username": {"label": "Username", "autocomplete": "username"},
    "password": {"label": "Password", "type": "password"},
}

BACKEND_CLAIMS = ("accessToken", "refreshToken", "accessTokenExpires")


def authorize_local(credentials: dict[str, str]) -> dict[str, Any] | None:
    user = db.authenticate(
        example_state().database, credentials.get("username", ""), credentials.get("password", "")
    )
    return user.public() if user is not None else None


def authorize_backend(credentials: dict[str, str]) -> dict[str, Any] | None:
    """Seed 002's authorize(): the backend's answer is the user, tokens included."""
    grant = backend.password_grant(credentials.get("username", ""), credentials.get("password", ""))
    if grant is None:
        return None
    return {**grant["user"], **{k: grant[k] for k in BACKEND_CLAIMS}}


def jwt_local(token: dict[str, Any], user: dict[str, Any] | None = None) -> dict[str, Any]:
    """At sign-in, copy what the default token leaves out (seed 000's firstName/lastName)."""
    if user is not None:
        token["username"] = user["username"]
    return token


def jwt_backend(token: dict[str, Any], user: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """Seed 002's jwt callback: keep the backend's tokens, refresh the access token when due.

    Returning None ends the session: the refresh token was refused (expired, or the user is
    gone), so the user must sign in again.
    """
    if user is not None:
        token["username"] = user["username"]
        token.update({k: user[k] for k in BACKEND_CLAIMS})
        return token
    if example_state().clock() < token["accessTokenExpires"]:
        return token
    grant = backend.refresh_grant(token["refreshToken"])
    if grant is None:
        return None
    return {**token, **{k: grant[k] for k in BACKEND_CLAIMS}}


def session_local(session: dict[str, Any], token: dict[str, Any]) -> dict[str, Any]:
    session["user"]["username"] = token.get("username")
    return session


def session_backend(session: dict[str, Any], token: dict[str, Any]) -> dict[str, Any]:
    """As in seed 002, the page may see the access token, never the refresh token."""
    session = session_local(session, token)
    session["accessToken"] = token["accessToken"]
    session["accessTokenExpires"] = token["accessTokenExpires"]
    return session


def init_auth(app: Flask, *, uses_backend: bool, clock: Clock) -> JWTAuth:
    provider = CredentialsProvider(
        authorize=authorize_backend if uses_backend else authorize_local, fields=FIELDS
    )
    auth = JWTAuth(providers=[provider], clock=clock)
    auth.jwt_callback(jwt_backend if uses_backend else jwt_local)
    auth.session_callback(session_backend if uses_backend else session_local)
    auth.init_app(app)
    return auth
