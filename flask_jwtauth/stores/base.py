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

    def close(self) -> None: ...
