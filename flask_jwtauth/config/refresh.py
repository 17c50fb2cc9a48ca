"""Upstream access-token refresh settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .defaults import default
from .values import ConfigurationError, duration


@dataclass(frozen=True)
class RefreshSettings:
    """Upstream access-token refresh: when, how long to wait for another's, what to keep."""

    margin: int
    wait: int
    stash: int
    backoff_max: int
    #: Seconds during which a refresh token whose last use went unanswered may be used again.
    reuse_grace: int


def load_refresh(config: Mapping[str, Any]) -> RefreshSettings:
    values = {}
    for key in (
        "JWTAUTH_REFRESH_MARGIN",
        "JWTAUTH_REFRESH_WAIT",
        "JWTAUTH_REFRESH_STASH",
        "JWTAUTH_REFRESH_BACKOFF_MAX",
        "JWTAUTH_REFRESH_REUSE_GRACE",
    ):
        found = duration(config, key, default(key), allow_none=False)
        assert found is not None
        values[key] = found
    if values["JWTAUTH_REFRESH_WAIT"] < 1:
        raise ConfigurationError("JWTAUTH_REFRESH_WAIT", "must be at least 1 second")
    if values["JWTAUTH_REFRESH_BACKOFF_MAX"] < 2:
        raise ConfigurationError("JWTAUTH_REFRESH_BACKOFF_MAX", "must be at least 2 seconds")
    return RefreshSettings(
        margin=values["JWTAUTH_REFRESH_MARGIN"],
        wait=values["JWTAUTH_REFRESH_WAIT"],
        stash=max(values["JWTAUTH_REFRESH_STASH"], 1),
        backoff_max=values["JWTAUTH_REFRESH_BACKOFF_MAX"],
        reuse_grace=values["JWTAUTH_REFRESH_REUSE_GRACE"],
    )
