"""flask_jwtauth's example app: ``flask --app example run``.

Environment variables (all optional):

``EXAMPLE_SCENARIO``
    ``default`` (a normal rolling session), ``seed000`` (10-second session, ``/sign-in``,
    everything protected), ``seed001`` (rolling: 60 s idle, re-issued every 15 s),
    ``seed002`` (an upstream token service issuing 30-second access tokens and rotating
    refresh tokens, renewed by flask_jwtauth's built-in refresh).
``EXAMPLE_SESSION_MAX_AGE``
    Seconds; overrides the scenario's session lifetime (the browser tests use 3).
``EXAMPLE_DATABASE``
    Path of the SQLite user table; default ``example.sqlite3`` in the instance folder.
``EXAMPLE_SECRET``
    The session secret. Without it a development secret is used, with a warning.
``EXAMPLE_DEMO_OIDC``
    ``0`` turns off the local OpenID provider (``oidc-provider-mock``, started beside the
    example) behind the "Sign in with Demo OpenID provider" button;
    ``EXAMPLE_DEMO_OIDC_URL`` uses one already running.
``JWTAUTH_PROVIDER_GITHUB_CLIENT_ID`` / ``..._SECRET`` (and ``GOOGLE``, ``KEYCLOAK`` with its
``..._ISSUER``)
    Add that real provider's button.
``EXAMPLE_DEMO_MAIL``
    ``0`` turns off sign-in by email link and the local mail server (aiosmtpd, started
    beside the example) whose received mail the ``/mail`` page shows.
``EXAMPLE_UPSTREAM_URL``
    Seed 002's token service, when one is already running (``python -m example.upstream``);
    without it the example starts one beside itself on a free port.
"""

from __future__ import annotations

import os
import secrets
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from flask_jwtauth import EmailProvider

from . import db, scenarios, views
from .auth import init_auth
from .demo_mail import start_demo_mail
from .demo_oidc import demo_provider, real_providers, start_demo_provider
from .state import Clock, ExampleState
from .templating import init_templating
from .upstream_process import start_upstream

APP_NAME = "JWTAuth Example"


def create_app(
    config: Mapping[str, Any] | None = None,
    *,
    clock: Clock = time.time,
    environ: Mapping[str, str] | None = None,
) -> Flask:
    """Build the example app.

    ``config`` is applied last (tests set ``TESTING`` or ``EXAMPLE_DATABASE`` there);
    ``clock`` is the time source of the session and the backend, so tests never sleep;
    ``environ`` stands in for ``os.environ``.
    """
    env = os.environ if environ is None else environ
    try:
        scenario, settings = scenarios.select(env)
    except ValueError as exc:
        # A wrong setting is a message, not a traceback.
        print(f"{APP_NAME}: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None
    here = Path(__file__).parent
    app = Flask(__name__, instance_path=str(here / "instance"))
    database_path = env.get("EXAMPLE_DATABASE") or os.path.join(
        app.instance_path, "example.sqlite3"
    )
    secret, generated = _secret(env, Path(database_path).parent)
    app.config.update(
        JWTAUTH_SECRET=secret,
        JWTAUTH_THEME_APP_NAME=APP_NAME,
        EXAMPLE_DATABASE=database_path,
        **settings,
    )
    app.config.update({k: v for k, v in env.items() if k.startswith("JWTAUTH_PROVIDER_")})
    app.config.update(config or {})
    providers = real_providers(app.config)
    if env.get("EXAMPLE_DEMO_OIDC", "1").strip() != "0":
        issuer = env.get("EXAMPLE_DEMO_OIDC_URL")
        if not issuer:
            demo = start_demo_provider()
            app.extensions["example_demo_oidc"] = demo
            issuer = demo.url
        providers.insert(0, demo_provider(issuer))
    if env.get("EXAMPLE_DEMO_MAIL", "1").strip() != "0":
        mail = start_demo_mail(Path(app.instance_path))
        app.extensions["example_demo_mail"] = mail
        # The emailed link names this app: only these hosts may be in it (not a forged one).
        if not app.config.get("TRUSTED_HOSTS"):
            app.config["TRUSTED_HOSTS"] = ["127.0.0.1", "localhost"]
        providers.append(EmailProvider(mail.url, "flask-jwtauth example <example@localhost>"))
    if scenario.uses_backend and not app.config.get("EXAMPLE_UPSTREAM_URL"):
        given = env.get("EXAMPLE_UPSTREAM_URL")
        if not given:
            service = start_upstream()
            app.extensions["example_upstream"] = service
            given = service.url
        app.config["EXAMPLE_UPSTREAM_URL"] = given

    database = str(app.config["EXAMPLE_DATABASE"])
    created = db.init_db(database)
    app.extensions["example"] = ExampleState(
        scenario=scenario,
        database=database,
        clock=clock,
        session_max_age=app.config["JWTAUTH_SESSION_MAX_AGE"],
        session_update_age=app.config.get("JWTAUTH_SESSION_UPDATE_AGE"),
    )
    init_auth(app, uses_backend=scenario.uses_backend, clock=clock, providers=providers)
    init_templating(app)
    views.register(app)
    overridden = "EXAMPLE_SESSION_MAX_AGE" in env and env["EXAMPLE_SESSION_MAX_AGE"].strip()
    _announce(app, created=created, generated=generated, overridden=bool(overridden))
    return app


def _secret(env: Mapping[str, str], folder: Path) -> tuple[str, Path | None]:
    """EXAMPLE_SECRET, or a random secret made for this instance on its first run and kept
    beside its database (never a secret published in this repository)."""
    given = env.get("EXAMPLE_SECRET")
    if given:
        return given, None
    path = folder / "jwtauth-secret"
    if path.is_file():
        return path.read_text().strip(), None
    folder.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    path.write_text(value + "\n")
    path.chmod(0o600)
    return value, path


def _announce(app: Flask, *, created: bool, generated: Path | None, overridden: bool) -> None:
    """Printed once per app (not per request), so a new user knows how to sign in."""
    state: ExampleState = app.extensions["example"]
    summary = state.scenario.summary
    if overridden:
        summary = f"{summary.split(':')[0]}, its length set by EXAMPLE_SESSION_MAX_AGE"
    lines = [
        f"{APP_NAME}: scenario {state.scenario.name!r}: {summary}",
        f"  session: max age {state.session_max_age} s, update age {state.session_update_age}",
        f"  user table: {state.database}" + (" (created with the demo users)" if created else ""),
        "  demo users (username / password):",
        *(
            f"    {u.username} / {u.password}" + (f"  (role {u.role})" if u.role else "")
            for u in db.DEMO_USERS
        ),
    ]
    if generated is not None:
        lines.append(f"  session secret: generated for this instance in {generated}")
    print("\n".join(lines), file=sys.stderr, flush=True)
