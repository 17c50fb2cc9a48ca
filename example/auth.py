"""The flask_jwtauth set-up: one credentials provider and the jwt/session callbacks.

Without the backend (default, seed 000, seed 001) ``authorize()`` checks the SQLite table.
With it (seed 002) ``authorize()`` signs in at the upstream token service and hands its
tokens over; flask_jwtauth keeps them in the encrypted session and renews the access token
through ``refresh()`` when due, once however many requests race: no refresh logic here.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app

from flask_jwtauth import (
    JWT,
    CredentialsProvider,
    CredentialsSignin,
    JWTAuth,
    Provider,
    RefreshOutcomeUnknown,
    RefreshRefused,
    RefreshUnavailable,
    Tokens,
)

from . import db, upstream_client
from .state import Clock, example_state


class ExampleJWT(JWT, total=False):
    """This app's session token: NextAuth's claims, plus the username (seed 000)."""

    username: str | None


FIELDS = {
    "username": {"label": "Username", "autocomplete": "username"},
    "password": {"label": "Password", "type": "password"},
}


def upstream_url() -> str:
    url: str = current_app.config["EXAMPLE_UPSTREAM_URL"]
    return url


def authorize_local(credentials: dict[str, str]) -> dict[str, Any] | None:
    user = db.authenticate(
        example_state().database, credentials.get("username", ""), credentials.get("password", "")
    )
    return user.public() if user is not None else None


def _tokens(grant: upstream_client.Grant) -> Tokens:
    return Tokens(
        access_token=grant.access_token,
        token_type=grant.token_type,
        expires_at=grant.expires_at,
        refresh_token=grant.refresh_token,
        refresh_expires_at=grant.refresh_expires_at,
    )


def authorize_backend(credentials: dict[str, str]) -> tuple[dict[str, Any], Tokens] | None:
    """Seed 002's authorize(): the upstream checks the password and answers with tokens."""
    try:
        grant = upstream_client.password_grant(
            upstream_url(),
            credentials.get("username", ""),
            credentials.get("password", ""),
            clock=example_state().clock,
        )
    except upstream_client.UpstreamRefused:
        return None
    except upstream_client.UpstreamUnavailable:
        raise CredentialsSignin("backend_unavailable") from None
    return grant.user, _tokens(grant)


def refresh_backend(tokens: Tokens) -> Tokens:
    """The refresh grant; called by flask_jwtauth at most once per refresh token."""
    assert tokens.refresh_token is not None
    try:
        grant = upstream_client.refresh_grant(
            upstream_url(), tokens.refresh_token, clock=example_state().clock
        )
    except upstream_client.UpstreamRefused as exc:
        raise RefreshRefused(exc.error) from None
    except upstream_client.UpstreamTimedOut as exc:
        # Sent, never answered: it may have spent the token (JWTAUTH_REFRESH_REUSE_GRACE).
        raise RefreshOutcomeUnknown(str(exc)) from None
    except upstream_client.UpstreamUnavailable as exc:
        raise RefreshUnavailable(str(exc)) from None
    return _tokens(grant)


def jwt_callback(
    token: ExampleJWT,
    user: dict[str, Any] | None = None,
    account: dict[str, Any] | None = None,
) -> ExampleJWT:
    """At sign-in, copy what the default token leaves out (seed 000's username)."""
    if user is not None:
        # A provider's user has no username: the email stands in, else the provider's own
        # id of the account (the demo provider's typed user name).
        token["username"] = (
            user.get("username")
            or user.get("email")
            or (account or {}).get("providerAccountId")
        )
    return token


def session_local(session: dict[str, Any], token: ExampleJWT) -> dict[str, Any]:
    session["user"]["username"] = token.get("username")
    return session


def session_backend(session: dict[str, Any], token: ExampleJWT) -> dict[str, Any]:
    """As in seed 002, the page may see the access token, never the refresh token."""
    session = session_local(session, token)
    upstream = token.get("upstream", {})
    session["accessToken"] = upstream.get("access_token")
    session["accessTokenExpires"] = upstream.get("expires_at")
    return session


def init_auth(
    app: Flask, *, uses_backend: bool, clock: Clock, providers: list[Provider] | None = None
) -> JWTAuth:
    """The credentials provider first, then the OAuth/OIDC ones (the demo provider...)."""
    provider: Provider
    if uses_backend:
        provider = CredentialsProvider(
            authorize=authorize_backend, refresh=refresh_backend, fields=FIELDS
        )
    else:
        provider = CredentialsProvider(authorize=authorize_local, fields=FIELDS)
    auth = JWTAuth(providers=[provider, *(providers or [])], clock=clock)
    auth.jwt_callback(jwt_callback)
    auth.session_callback(session_backend if uses_backend else session_local)
    auth.init_app(app)
    return auth
