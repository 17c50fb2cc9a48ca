"""Typed settings read once from ``app.config`` at ``init_app``, one section per concern.

Every ``JWTAUTH_*`` key is validated at start-up, so a broken configuration fails with a
message naming the key, never with a 500 at request time. Defaults live in one table,
:data:`DEFAULTS`, which the configuration reference is checked against.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .defaults import DEFAULTS, Key
from .sections import (
    AccessSettings,
    CookieSettings,
    PageSettings,
    SessionSettings,
    Theme,
    TokenSettings,
    load_access,
    load_cookies,
    load_pages,
    load_session,
    load_theme,
    load_token,
)
from .values import ConfigurationError, compile_paths, secret_list

__all__ = [
    "DEFAULTS",
    "AccessSettings",
    "ConfigurationError",
    "CookieSettings",
    "Key",
    "PageSettings",
    "SessionSettings",
    "Settings",
    "Theme",
    "TokenSettings",
    "compile_paths",
    "load_settings",
]


@dataclass(frozen=True)
class Settings:
    secrets: tuple[bytes, ...]
    token: TokenSettings
    session: SessionSettings
    cookies: CookieSettings
    pages: PageSettings
    access: AccessSettings
    theme: Theme


def load_settings(config: Mapping[str, Any]) -> Settings:
    """Build the settings, raising :class:`ConfigurationError` naming the first bad key."""
    return Settings(
        secrets=secret_list(config),
        token=load_token(config),
        session=load_session(config),
        cookies=load_cookies(config),
        pages=load_pages(config),
        access=load_access(config),
        theme=load_theme(config),
    )
