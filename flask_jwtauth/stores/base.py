"""The store protocol: the little shared state the features built on it need (revocation,
throttling), with TTLs so nothing grows without bound."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ..errors import ErrorCode, JWTAuthError


class StoreUnavailable(JWTAuthError):
    """The store did not answer within its timeout (down, unreachable, locked): what
    depended on it answers 503, unless ``JWTAUTH_STORE_FAIL_OPEN``."""

    error = ErrorCode.SERVICE_UNAVAILABLE


class Store(Protocol):
    def get(self, key: str) -> str | None: ...

    def get_many(self, keys: Sequence[str]) -> list[str | None]:
        """Several keys in one round trip."""
        ...

    def set(self, key: str, value: str, ttl: float) -> None: ...

    def delete(self, key: str) -> None: ...

    def add(self, key: str, value: str, ttl: float) -> bool:
        """Set ``key`` only if it is absent (or expired), atomically: True if this call did."""
        ...

    def incr(self, key: str, ttl: float) -> int:
        """Add one, atomically; a new key starts at 1 and lives ``ttl`` seconds."""
        ...

    def append(self, log: str, entry: str, ttl: float) -> None:
        """Add ``entry`` to the change feed ``log``; it is dropped some time after ``ttl``
        seconds (the feed stays bounded by the rate of appends times their lifetime)."""
        ...

    def since(self, log: str, cursor: str | None) -> tuple[list[str], str]:
        """The entries of ``log`` appended after ``cursor``, in order, and the cursor to
        read on from. ``None``: every entry still held (a fresh reader loads the feed)."""
        ...

    def close(self) -> None: ...
