"""The seeds' configurations, chosen with one environment variable: ``EXAMPLE_SCENARIO``.

Kept as plain ``JWTAUTH_*`` settings so a reader can copy a scenario into their own app.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DAY = 24 * 3600

#: Seed 000's middleware matcher left static files, sign-in and sign-up unprotected. Flask's
#: static files (the ``static`` endpoint, /static/...) are always public in protect-all mode;
#: the few files at the root are named one by one. Not "anything with a dot": that would
#: open /api/export.csv and every other dotted path too.
SEED000_PUBLIC_PATHS: list[str | re.Pattern[str]] = [
    "/favicon.ico",
    "/robots.txt",
    "/sign-in/*",
    "/sign-up/*",
]


@dataclass(frozen=True)
class Scenario:
    name: str
    summary: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    #: Seed 002: sign in through the upstream token service; the built-in refresh renews.
    uses_backend: bool = False


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "default",
            "a rolling session with NextAuth's defaults: 30 days idle, re-issued once a day",
            {"JWTAUTH_SESSION_MAX_AGE": 30 * DAY, "JWTAUTH_SESSION_UPDATE_AGE": DAY},
        ),
        Scenario(
            "seed000",
            "a 10-second session, sign-in at /sign-in, every page protected except "
            "static files, sign-in and sign-up",
            {
                "JWTAUTH_SESSION_MAX_AGE": 10,
                "JWTAUTH_SESSION_UPDATE_AGE": None,
                "JWTAUTH_SIGN_IN_URL": "/sign-in",
                "JWTAUTH_PROTECT_ALL": True,
                "JWTAUTH_PUBLIC_PATHS": SEED000_PUBLIC_PATHS,
            },
        ),
        Scenario(
            "seed001",
            "a rolling session: 60 seconds idle, re-issued at most every 15 seconds of "
            "activity; the token itself lives 120 seconds",
            {
                "JWTAUTH_SESSION_MAX_AGE": 60,
                "JWTAUTH_SESSION_UPDATE_AGE": 15,
                "JWTAUTH_JWT_MAX_AGE": 120,
            },
        ),
        Scenario(
            "seed002",
            "credentials checked by an upstream token service (its own process) that issues "
            "30-second access tokens and rotating refresh tokens, renewed by the built-in "
            "refresh",
            {"JWTAUTH_SESSION_MAX_AGE": 3600, "JWTAUTH_SESSION_UPDATE_AGE": 300},
            uses_backend=True,
        ),
    )
}


def _positive_seconds(environ: Mapping[str, str], key: str) -> int | None:
    raw = environ.get(key, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise ValueError(f"{key} must be a whole number of seconds greater than 0, got {raw!r}")
    return value


#: Names that say what each scenario shows; the seed names stay as aliases.
ALIASES = {"short-session": "seed000", "rolling": "seed001", "backend-tokens": "seed002"}


def select(environ: Mapping[str, str]) -> tuple[Scenario, dict[str, Any]]:
    """The scenario named by ``EXAMPLE_SCENARIO`` and its settings, with the max-age override.

    ``EXAMPLE_SESSION_MAX_AGE`` shortens (or lengthens) the session; the update age is then
    capped at a quarter of it, so a rolling session still rolls before it runs out.
    """
    name = environ.get("EXAMPLE_SCENARIO", "").strip() or "default"
    scenario = SCENARIOS.get(ALIASES.get(name, name))
    if scenario is None:
        names = ", ".join(["default", *ALIASES])
        raise ValueError(
            f"EXAMPLE_SCENARIO={name!r} is not a scenario; use one of {names} "
            f"(or the seed names {', '.join(n for n in SCENARIOS if n != 'default')})"
        )
    settings = dict(scenario.settings)
    max_age = _positive_seconds(environ, "EXAMPLE_SESSION_MAX_AGE")
    if max_age is not None:
        settings["JWTAUTH_SESSION_MAX_AGE"] = max_age
        update_age = settings.get("JWTAUTH_SESSION_UPDATE_AGE")
        if update_age is not None:
            settings["JWTAUTH_SESSION_UPDATE_AGE"] = min(update_age, max_age // 4)
        if "JWTAUTH_JWT_MAX_AGE" in settings:
            settings["JWTAUTH_JWT_MAX_AGE"] = max(settings["JWTAUTH_JWT_MAX_AGE"], max_age)
    return scenario, settings
