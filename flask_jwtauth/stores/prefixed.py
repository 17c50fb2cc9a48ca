"""A store whose every key starts with one app's prefix, so that apps sharing a store (two
apps on one Redis, one SQLite file) keep apart (``JWTAUTH_STORE_PREFIX``)."""

from __future__ import annotations

from collections.abc import Sequence

from .base import Store


class PrefixedStore:
    def __init__(self, store: Store, prefix: str) -> None:
        self.inner = store
        self.prefix = prefix

    def get(self, key: str) -> str | None:
        return self.inner.get(self.prefix + key)

    def get_many(self, keys: Sequence[str]) -> list[str | None]:
        return self.inner.get_many([self.prefix + key for key in keys])

    def set(self, key: str, value: str, ttl: float) -> None:
        self.inner.set(self.prefix + key, value, ttl)

    def delete(self, key: str) -> None:
        self.inner.delete(self.prefix + key)

    def add(self, key: str, value: str, ttl: float) -> bool:
        return self.inner.add(self.prefix + key, value, ttl)

    def incr(self, key: str, ttl: float) -> int:
        return self.inner.incr(self.prefix + key, ttl)

    def append(self, log: str, entry: str, ttl: float) -> None:
        self.inner.append(self.prefix + log, entry, ttl)

    def since(self, log: str, cursor: str | None) -> tuple[list[str], str]:
        return self.inner.since(self.prefix + log, cursor)

    def with_prefix(self, prefix: str) -> PrefixedStore:
        """The same store under another prefix (another secret's, during a rotation)."""
        return PrefixedStore(self.inner, prefix)

    def close(self) -> None:
        self.inner.close()
