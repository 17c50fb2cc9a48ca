"""``flask jwtauth ...`` (registered on the app by ``JWTAuth``): make a secret, and read a
session cookie the way the app would."""

from __future__ import annotations

import json
import secrets
import sys
from datetime import datetime, timezone

import click
from flask import current_app
from flask.cli import AppGroup

from . import claims as claims_
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
    """Decrypt/verify a session cookie value (or stdin) and print its claims."""
    ext = app_state(current_app)  # the command is registered by JWTAuth itself
    raw = (token or sys.stdin.read()).strip()
    try:
        claims = ext.engine.codec(secure).decode(raw)
    except InvalidToken as exc:
        raise click.ClickException(f"not a valid session token for this app: {exc}") from None
    click.echo(json.dumps(claims, indent=2, sort_keys=True))
    now = ext.engine.clock()
    exp = claims.get("exp")
    if isinstance(exp, (int, float)):
        when = datetime.fromtimestamp(exp, timezone.utc).isoformat()
        state = "expired" if claims_.expired(claims, now, ext.settings.session) else "valid"
        click.echo(f"{state}; exp {when}", err=True)


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
