"""``flask jwtauth ...`` (registered on the app by ``JWTAuth``): make a secret, read a session
cookie the way the app would, show the effective settings, check them before a deployment,
and end sessions."""

from __future__ import annotations

import json
import re
import secrets
import sys
from datetime import datetime, timezone
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup
from werkzeug.http import parse_cookie

from . import claims as claims_
from . import startup_checks
from .config import DEFAULTS
from .masking import masked_url
from .session.cookie import read_token
from .state import ext as app_state
from .tokens import InvalidToken

jwtauth_cli = AppGroup("jwtauth", help="flask_jwtauth tools.")


@jwtauth_cli.command("secret")
@click.option("--bytes", "size", default=32, show_default=True, help="Random bytes to draw.")
def make_secret(size: int) -> None:
    """Print a new random value for JWTAUTH_SECRET."""
    click.echo(secrets.token_urlsafe(size))


@jwtauth_cli.command("decode")
@click.argument("token", required=False)
@click.option("--secure", is_flag=True, help="The token came from the __Secure- cookie.")
@click.option("--reveal", is_flag=True, help="Print the upstream tokens in clear too.")
def decode(token: str | None, secure: bool, reveal: bool) -> None:
    """Decrypt/verify a session cookie and print its claims, with times in human terms.

    TOKEN (or stdin) is the cookie's value, or a whole ``Cookie:`` header as a browser's
    developer tools show it: the session cookie (chunks joined) is picked out of it.
    Upstream tokens (``access_token``, ``refresh_token``, ``id_token``, ``accessToken``...,
    in the ``upstream`` claim or anywhere else) are masked unless ``--reveal``.
    """
    ext = app_state(current_app)  # the command is registered by JWTAuth itself
    raw = (token or sys.stdin.read()).strip()
    if "=" in raw:
        raw, secure = _from_cookie_header(raw, ext.engine.cookie.policy.names, secure)
    try:
        claims = ext.engine.cookie.codec(secure).decode(raw)
    except InvalidToken as exc:
        hint = ""
        if "no key" in str(exc):
            hint = (
                ": it was sealed with a different secret than this app's JWTAUTH_SECRET. A "
                "secret made in code (secrets.token_urlsafe(32)) is new in every process, "
                "this command's too: keep one fixed secret in the environment (flask jwtauth "
                "secret makes one) and read it from there"
            )
        raise click.ClickException(
            f"not a valid session token for this app: {exc}{hint}"
        ) from None
    masked = [0]
    shown = claims if reveal else _masked_tokens(claims, masked)
    click.echo(json.dumps(shown, indent=2, sort_keys=True))
    if masked[0]:
        click.echo(f"{masked[0]} upstream token(s) masked; --reveal prints them", err=True)
    now = ext.clock()
    for key in ("iat", "auth_time", "exp"):
        value = claims.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            click.echo(f"{key}: {_when(value, now)}", err=True)
    state = "expired" if claims_.expired(claims, now, ext.settings.session) else "valid"
    end = claims_.session_end(claims, now, ext.settings.session)
    click.echo(f"{state}; the session ends {_when(end, now)} unless used", err=True)


def _from_cookie_header(header: str, names: tuple[str, str], secure: bool) -> tuple[str, bool]:
    """The session token in a ``Cookie:`` header: the Secure name first, then the plain."""
    text = header.split(":", 1)[1] if header.lower().startswith("cookie:") else header
    cookies = dict(parse_cookie(text.strip()))
    for name, is_secure in ((names[1], True), (names[0], False)):
        found = read_token(cookies, name)
        if found:
            return found, is_secure
    raise click.ClickException(f"no {names[0]} or {names[1]} cookie in that header")


def _masked_tokens(value: Any, count: list[int]) -> Any:
    """``value`` (claims) with every string under a key named ``...token`` (any case, ``_``
    or not) masked; ``count[0]`` counts them."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if isinstance(item, str) and _TOKEN_NAME.search(str(key)):
                count[0] += 1
                out[key] = f"<masked, {len(item)} characters>"
            else:
                out[key] = _masked_tokens(item, count)
        return out
    if isinstance(value, list):
        return [_masked_tokens(item, count) for item in value]
    return value


_TOKEN_NAME = re.compile(r"token$", re.IGNORECASE)


def _when(stamp: float, now: float) -> str:
    moment = datetime.fromtimestamp(stamp, timezone.utc).isoformat()
    delta = int(stamp - now)
    return f"{moment} ({_human(abs(delta))} {'from now' if delta >= 0 else 'ago'})"


def _human(seconds: int) -> str:
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


#: Settings whose values are never printed.
_SECRET_KEYS = ("SECRET", "PRIVATE_KEY", "PASSWORD")


@jwtauth_cli.command("config")
def show_config() -> None:
    """Print every JWTAUTH_* setting's effective value (secrets masked): what the app runs
    with, derived values (the token's max age, the page URLs) computed as at start-up."""
    config = current_app.config
    derived = _derived_values()
    keys = sorted(set(DEFAULTS) | {k for k in config if k.startswith("JWTAUTH_")})
    for key in keys:
        if key in config:
            value, source = config[key], "set"
        elif key in derived:
            value, source = derived[key]
        else:
            value, source = (DEFAULTS[key].default if key in DEFAULTS else None), "default"
        click.echo(f"{key} = {_masked(key, value)}  ({source})")


def _derived_values() -> dict[str, tuple[object, str]]:
    """The values the app computed for keys left unset: from other keys, or from the
    Auth.js-compatible defaults."""
    from .config.defaults import AUTHJS_DEFAULTS
    from .stores import default_prefix

    settings = app_state(current_app).settings
    out: dict[str, tuple[object, str]] = {}
    if settings.authjs_compat:
        out.update({key: (value, "Auth.js default") for key, value in AUTHJS_DEFAULTS.items()})
    pages, session = settings.pages, settings.session
    for key, value in (
        ("JWTAUTH_SESSION_UPDATE_AGE", session.update_age),
        ("JWTAUTH_JWT_MAX_AGE", session.jwt_max_age),
        ("JWTAUTH_SIGN_IN_URL", pages.sign_in_url),
        ("JWTAUTH_SIGN_OUT_URL", pages.sign_out_url),
        ("JWTAUTH_ERROR_URL", pages.error_url),
        ("JWTAUTH_STORE_PREFIX", settings.store.prefix or default_prefix(settings.secrets[0])),
    ):
        out[key] = (value, "derived")
    return out


def _masked(key: str, value: object) -> str:
    if value is None or value == () or value == []:
        return repr(value)
    if any(part in key for part in _SECRET_KEYS):
        count = len(value) if isinstance(value, (list, tuple)) else 1
        return f"<{count} secret value{'s' if count != 1 else ''}, masked>"
    if isinstance(value, str) and "://" in value:
        return repr(masked_url(value))
    if isinstance(value, (list, tuple)) and any(isinstance(v, str) and "://" in v for v in value):
        return repr(type(value)(masked_url(v) if isinstance(v, str) else v for v in value))
    return repr(value)


@jwtauth_cli.command("check")
def check() -> None:
    """Run the start-up checks; exit 1 when any warns (for deployment pipelines)."""
    ext = app_state(current_app)
    found = startup_checks.all_warnings(current_app, ext.settings, ext.providers.values())
    for message in found:
        click.echo(f"warning: {message}", err=True)
    if found:
        raise SystemExit(1)
    click.echo("no warnings")


@jwtauth_cli.command("revoke")
@click.argument("session_id", required=False)
@click.option("--user", "user_id", help="End every session of this user (sign out everywhere).")
def revoke(session_id: str | None, user_id: str | None) -> None:
    """End a session by its id (the sid claim), or every session of a user."""
    from .flow import revoke_session, revoke_user

    if (session_id is None) == (user_id is None):
        raise click.UsageError("give a SESSION_ID or --user USER_ID (one of them)")
    try:
        if user_id is not None:
            revoke_user(user_id)
            click.echo(f"every session of user {user_id} that started before now is ended")
        else:
            assert session_id is not None
            revoke_session(session_id)
            click.echo(f"session {session_id} is ended")
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
