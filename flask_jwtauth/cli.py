"""``flask jwtauth ...`` (registered on the app by ``JWTAuth``): make a secret, read a session
cookie the way the app would, show the effective settings, check them before a deployment,
and end sessions."""

from __future__ import annotations

import json
import secrets
import sys
from datetime import datetime, timezone

import click
from flask import current_app
from flask.cli import AppGroup
from werkzeug.http import parse_cookie

from . import claims as claims_
from . import startup_checks
from .config import DEFAULTS
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
def decode(token: str | None, secure: bool) -> None:
    """Decrypt/verify a session cookie and print its claims, with times in human terms.

    TOKEN (or stdin) is the cookie's value, or a whole ``Cookie:`` header as a browser's
    developer tools show it: the session cookie (chunks joined) is picked out of it.
    """
    ext = app_state(current_app)  # the command is registered by JWTAuth itself
    raw = (token or sys.stdin.read()).strip()
    if "=" in raw:
        raw, secure = _from_cookie_header(raw, ext.engine.cookie.policy.names, secure)
    try:
        claims = ext.engine.cookie.codec(secure).decode(raw)
    except InvalidToken as exc:
        raise click.ClickException(f"not a valid session token for this app: {exc}") from None
    click.echo(json.dumps(claims, indent=2, sort_keys=True))
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
    """Print every JWTAUTH_* setting's effective value (secrets masked)."""
    config = current_app.config
    keys = sorted(set(DEFAULTS) | {k for k in config if k.startswith("JWTAUTH_")})
    for key in keys:
        value = config.get(key, DEFAULTS[key].default if key in DEFAULTS else None)
        source = "set" if key in config else "default"
        click.echo(f"{key} = {_masked(key, value)}  ({source})")


def _masked(key: str, value: object) -> str:
    if value is None or value == () or value == []:
        return repr(value)
    if any(part in key for part in _SECRET_KEYS):
        count = len(value) if isinstance(value, (list, tuple)) else 1
        return f"<{count} secret value{'s' if count != 1 else ''}, masked>"
    if key == "JWTAUTH_STORE_URL" and isinstance(value, str) and "@" in value:
        scheme, _, rest = value.partition("://")
        return repr(f"{scheme}://***@{rest.split('@', 1)[1]}")
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
