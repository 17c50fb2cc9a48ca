"""Typed settings read once from ``app.config`` at ``init_app``, one section per concern.

Every ``JWTAUTH_*`` key is validated at start-up, so a broken configuration fails with a
message naming the key, never with a 500 at request time. Defaults live in one table,
:data:`DEFAULTS`, which the configuration reference is checked against.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .defaults import AUTHJS_DEFAULTS, DEFAULTS, Key
from .refresh import RefreshSettings, load_refresh
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
from .store import StoreSettings, load_store
from .values import ConfigurationError, compile_paths, flag, secret_list

__all__ = [
    "DEFAULTS",
    "AccessSettings",
    "ConfigurationError",
    "CookieSettings",
    "Key",
    "PageSettings",
    "RefreshSettings",
    "SessionSettings",
    "Settings",
    "StoreSettings",
    "Theme",
    "TokenSettings",
    "compile_paths",
    "load_settings",
]


@dataclass(frozen=True)
class Settings:
    secrets: tuple[bytes, ...]
    #: Auth.js-compatible defaults were applied (``JWTAUTH_AUTHJS_COMPAT``).
    authjs_compat: bool
    #: Only read sessions another app writes (``JWTAUTH_CONSUMER``).
    consumer: bool
    #: One log line per decision (``JWTAUTH_DEBUG``).
    debug: bool
    token: TokenSettings
    session: SessionSettings
    cookies: CookieSettings
    pages: PageSettings
    access: AccessSettings
    theme: Theme
    store: StoreSettings
    refresh: RefreshSettings


def load_settings(config: Mapping[str, Any]) -> Settings:
    """Build the settings, raising :class:`ConfigurationError` naming the first bad key."""
    compat = flag(config, "JWTAUTH_AUTHJS_COMPAT", False)
    consumer = flag(config, "JWTAUTH_CONSUMER", False)
    if compat:
        config = {**AUTHJS_DEFAULTS, **config}
        if config.get("JWTAUTH_TOKEN_FORMAT", "jwe") != "jwe":
            raise ConfigurationError(
                "JWTAUTH_TOKEN_FORMAT",
                "Auth.js reads and writes JWE sessions only: leave it 'jwe' with "
                "JWTAUTH_AUTHJS_COMPAT",
            )
    return Settings(
        secrets=secret_list(config),
        authjs_compat=compat,
        consumer=consumer,
        debug=flag(config, "JWTAUTH_DEBUG", False),
        token=load_token(config),
        session=load_session(config),
        cookies=load_cookies(config),
        pages=load_pages(config),
        access=load_access(config),
        theme=load_theme(config),
        store=load_store(config),
        refresh=load_refresh(config),
    )
