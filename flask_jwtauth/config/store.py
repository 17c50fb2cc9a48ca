"""The store and the features built on it: revocation, throttling; where keys live."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..masking import masked_url
from .defaults import default
from .values import ConfigurationError, duration, flag, optional_str, positive_int

_SCHEMES = (
    *("memory", "sqlite", "redis", "rediss", "unix"),
    *("redis+sentinel", "rediss+sentinel", "redis+cluster", "rediss+cluster"),
)
#: Printable ASCII without spaces: it ends up in Redis key names and log lines.
_PREFIX = re.compile(r"[!-~]{1,100}")


@dataclass(frozen=True)
class StoreSettings:
    #: None: no store was configured (revocation off, throttling in memory).
    url: str | None
    revocation: bool
    timeout: float
    fail_open: bool
    throttle: bool
    throttle_window: int
    #: What every key of every store starts with; None: derived from the first secret
    #: (:func:`flask_jwtauth.stores.default_prefix`).
    prefix: str | None = None
    #: The bound of an in-process memory store.
    memory_max_entries: int = 100_000
    #: IPv6 clients are throttled by this network prefix (bits).
    throttle_ipv6_prefix: int = 64
    #: How often each process reads the revocation feed (seconds).
    revocation_sync: float = 0.5


def _prefix(config: Mapping[str, Any]) -> str | None:
    key = "JWTAUTH_STORE_PREFIX"
    value = config.get(key, default(key))
    if value is None:
        return None
    if not isinstance(value, str) or not _PREFIX.fullmatch(value):
        raise ConfigurationError(
            key,
            "expected 1 to 100 printable ASCII characters without spaces (e.g. 'shop:'), "
            f"got {value!r}",
        )
    return value


def _ipv6_prefix(config: Mapping[str, Any]) -> int:
    key = "JWTAUTH_THROTTLE_IPV6_PREFIX"
    value = config.get(key, default(key))
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 128:
        raise ConfigurationError(
            key, f"expected a prefix length in bits from 1 to 128 (64: a /64), got {value!r}"
        )
    return value


def load_store(config: Mapping[str, Any]) -> StoreSettings:
    url = optional_str(config, "JWTAUTH_STORE_URL")
    if url is not None and url.split(":", 1)[0].lower() not in _SCHEMES:
        raise ConfigurationError(
            "JWTAUTH_STORE_URL",
            "use memory://, sqlite:///path.db, redis://..., redis+sentinel://... or "
            f"redis+cluster://..., got {masked_url(url)!r}",
        )
    prefix = _prefix(config)
    cluster = url is not None and url.split(":", 1)[0].lower().endswith("+cluster")
    if cluster and prefix is not None and ("{" in prefix or "}" in prefix):
        raise ConfigurationError(
            "JWTAUTH_STORE_PREFIX",
            "no '{' or '}' with a cluster store (a hash tag would put every key on one node), "
            f"got {prefix!r}",
        )
    timeout = config.get("JWTAUTH_STORE_TIMEOUT", default("JWTAUTH_STORE_TIMEOUT"))
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or not 0 < timeout <= 30:
        raise ConfigurationError(
            "JWTAUTH_STORE_TIMEOUT", f"expected seconds between 0 and 30, got {timeout!r}"
        )
    sync = config.get("JWTAUTH_REVOCATION_SYNC", default("JWTAUTH_REVOCATION_SYNC"))
    if not isinstance(sync, (int, float)) or isinstance(sync, bool) or not 0 < sync <= 60:
        raise ConfigurationError(
            "JWTAUTH_REVOCATION_SYNC", f"expected seconds between 0 and 60, got {sync!r}"
        )
    window = duration(
        config, "JWTAUTH_THROTTLE_WINDOW", default("JWTAUTH_THROTTLE_WINDOW"), allow_none=False
    )
    assert window is not None
    return StoreSettings(
        url=url,
        revocation=flag(config, "JWTAUTH_REVOCATION", default("JWTAUTH_REVOCATION")),
        timeout=float(timeout),
        fail_open=flag(config, "JWTAUTH_STORE_FAIL_OPEN", default("JWTAUTH_STORE_FAIL_OPEN")),
        throttle=flag(config, "JWTAUTH_THROTTLE", default("JWTAUTH_THROTTLE")),
        throttle_window=max(window, 1),
        prefix=prefix,
        memory_max_entries=positive_int(
            config,
            "JWTAUTH_STORE_MEMORY_MAX_ENTRIES",
            default("JWTAUTH_STORE_MEMORY_MAX_ENTRIES"),
            100,
        ),
        throttle_ipv6_prefix=_ipv6_prefix(config),
        revocation_sync=float(sync),
    )
