"""State stores, chosen by one URL (``JWTAUTH_STORE_URL``): ``memory://``,
``sqlite:///path/to/file.db`` (the embedded default), ``redis://`` / ``rediss://`` /
``unix://`` (redis-py), ``redis+sentinel://`` and ``redis+cluster://`` (:mod:`.redis_ha`).

Every key starts with a prefix (``JWTAUTH_STORE_PREFIX``), by default one derived from the
app's first secret: two apps with different secrets on one store neither see nor touch each
other's entries; two instances of one app (the same secret) share them."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from urllib.parse import urlsplit

from ..masking import masked_url
from ..tokens import derive_signing_key
from .base import Store, StoreUnavailable
from .memory import DEFAULT_MAX_ENTRIES, MemoryStore
from .prefixed import PrefixedStore
from .redis_ha import SCHEMES as HA_SCHEMES
from .redis_ha import open_ha_store
from .sqlite import SQLiteStore

__all__ = [
    "MemoryStore",
    "PrefixedStore",
    "SQLiteStore",
    "Store",
    "StoreUnavailable",
    "default_prefix",
    "open_store",
]

#: The prefix of every key before there was a setting (Redis only).
LEGACY_PREFIX = "jwtauth:"


def default_prefix(secret: bytes) -> str:
    """``jwtauth:`` + 12 hex digits of a key derived from ``secret`` (HKDF, its own label):
    the same for every instance of an app, different for an app with another secret, and
    telling nothing about the secret."""
    digest = hashlib.sha256(derive_signing_key(secret, "flask_jwtauth.store-prefix"))
    return f"{LEGACY_PREFIX}{digest.hexdigest()[:12]}:"


def open_store(
    url: str,
    *,
    timeout: float = 0.5,
    clock: Callable[[], float] | None = None,
    prefix: str = LEGACY_PREFIX,
    max_entries: int = DEFAULT_MAX_ENTRIES,
) -> Store:
    """The store a URL names, every key under ``prefix`` (a memory store holds at most
    ``max_entries``); ValueError (with what is accepted) for anything else."""
    # The scheme as written, not through urlsplit: a raw '[' in a Sentinel or Cluster
    # URL's password is the HA parser's to judge, not an "invalid IPv6 URL".
    scheme = url.partition(":")[0].lower() if "://" in url else urlsplit(url).scheme.lower()
    store: Store
    if scheme == "memory":
        store = MemoryStore(clock=clock, max_entries=max_entries)
    elif scheme == "sqlite":
        path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else ""
        if not path:
            raise ValueError(f"{url!r}: write sqlite:///relative.db or sqlite:////absolute.db")
        store = SQLiteStore(path, timeout=timeout, clock=clock)
    elif scheme in ("redis", "rediss", "unix"):
        from .redis import RedisStore

        # Redis prefixes its keys itself: one string concatenation less per call.
        return RedisStore.from_url(url, timeout=timeout, prefix=prefix)
    elif scheme in HA_SCHEMES:
        return open_ha_store(url, timeout=timeout, prefix=prefix)
    else:
        raise ValueError(
            f"{masked_url(url)!r}: unknown store; use memory://, sqlite:///path.db, "
            "redis://host:port/db, rediss://..., unix://..., "
            "redis+sentinel://host:26379,.../service/db or "
            "redis+cluster://host:6379,..."
        )
    return PrefixedStore(store, prefix) if prefix else store
