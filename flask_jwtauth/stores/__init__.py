"""State stores, chosen by one URL (``JWTAUTH_STORE_URL``): ``memory://``,
``sqlite:///path/to/file.db`` (the embedded default), ``redis://`` / ``rediss://`` /
``unix://`` (redis-py)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from .base import Store, StoreUnavailable
from .memory import MemoryStore
from .sqlite import SQLiteStore

__all__ = ["MemoryStore", "SQLiteStore", "Store", "StoreUnavailable", "open_store"]


def open_store(
    url: str, *, timeout: float = 0.5, clock: Callable[[], float] | None = None
) -> Store:
    """The store a URL names; ValueError (with what is accepted) for anything else."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "memory":
        return MemoryStore(clock=clock)
    if scheme == "sqlite":
        path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else ""
        if not path:
            raise ValueError(f"{url!r}: write sqlite:///relative.db or sqlite:////absolute.db")
        return SQLiteStore(path, timeout=timeout, clock=clock)
    if scheme in ("redis", "rediss", "unix"):
        from .redis import RedisStore

        return RedisStore(url, timeout=timeout)
    raise ValueError(
        f"{url!r}: unknown store; use memory://, sqlite:///path.db, redis://host:port/db, "
        "rediss://... or unix://..."
    )
