"""A stand-in for seed 002's upstream backend (a Django API there).

It checks passwords and answers with a short-lived access token and a refresh token (PyJWT,
HS256); the refresh grant returns a new pair. The example's ``authorize()`` and jwt callback
call the functions below in-process; the ``/backend/*`` routes show the same contract over
HTTP. Refresh tokens are stateless (no reuse detection), so two browser tabs refreshing at
once cannot log each other out.
"""

from __future__ import annotations

import uuid
from typing import Any

import jwt
from flask import Blueprint, Response, current_app, jsonify, request

from . import db
from .state import example_state

ACCESS_TOKEN_TTL = 30
REFRESH_TOKEN_TTL = 24 * 3600

bp = Blueprint("backend", __name__, url_prefix="/backend")


def _secret() -> str:
    secret: str = current_app.config["EXAMPLE_BACKEND_SECRET"]
    return secret


def _issue(user: db.User) -> dict[str, Any]:
    now = int(example_state().clock())
    access_expires = now + ACCESS_TOKEN_TTL
    base = {"sub": str(user.id), "iat": now, "jti": uuid.uuid4().hex}
    access = {**base, "typ": "access", "exp": access_expires, "name": user.name}
    if user.role:
        access["role"] = user.role
    refresh = {**base, "typ": "refresh", "exp": now + REFRESH_TOKEN_TTL}
    return {
        "accessToken": jwt.encode(access, _secret(), algorithm="HS256"),
        "refreshToken": jwt.encode(refresh, _secret(), algorithm="HS256"),
        # Seconds since the epoch, as the seed's backend gives it.
        "accessTokenExpires": access_expires,
        "user": user.public(),
    }


def verify(token: str, typ: str) -> dict[str, Any] | None:
    """The claims of a token of this type that is ours and not expired (by the app's clock)."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            _secret(),
            algorithms=["HS256"],
            # Expiry is checked below against the app's clock, which tests control.
            options={"verify_exp": False, "verify_iat": False, "require": ["exp", "sub"]},
        )
    except jwt.InvalidTokenError:
        return None
    if claims.get("typ") != typ or not isinstance(claims["exp"], int):
        return None
    return claims if example_state().clock() < claims["exp"] else None


def password_grant(username: str, password: str) -> dict[str, Any] | None:
    """``POST /token``: tokens for a correct username and password, else None."""
    user = db.authenticate(example_state().database, username, password)
    return _issue(user) if user is not None else None


def refresh_grant(refresh_token: str) -> dict[str, Any] | None:
    """``POST /refresh``: a new pair for a valid refresh token of a user who still exists."""
    claims = verify(refresh_token, "refresh")
    if claims is None:
        return None
    user = db.get_user(example_state().database, claims["sub"])
    return _issue(user) if user is not None else None


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True) if request.is_json else request.form.to_dict()
    return data if isinstance(data, dict) else {}


def _answer(grant: dict[str, Any] | None) -> Response | tuple[Response, int]:
    if grant is None:
        return jsonify(error="invalid_grant"), 401
    return jsonify(grant)


@bp.post("/token")
def token() -> Response | tuple[Response, int]:
    body = _body()
    return _answer(password_grant(str(body.get("username", "")), str(body.get("password", ""))))


@bp.post("/refresh")
def refresh() -> Response | tuple[Response, int]:
    return _answer(refresh_grant(str(_body().get("refreshToken", ""))))


@bp.get("/me")
def me() -> Response | tuple[Response, int]:
    """What a backend API call with the access token sees."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    claims = verify(value, "access") if scheme.lower() == "bearer" else None
    if claims is None:
        return jsonify(error="invalid_token"), 401
    return jsonify(claims)
