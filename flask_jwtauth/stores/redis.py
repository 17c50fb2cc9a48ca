"""Redis (or Valkey) for apps on several machines, through redis-py (the ``redis`` extra)."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from .base import StoreUnavailable

# Add one; a new (or expired, hence absent) key starts at 1 with the TTL; an existing key
# keeps its own TTL. One round trip, atomic.
_INCR = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count
"""

# Append to a stream, trimming what is older than the entries' life by the server's own
# clock (so a client's clock cannot trim new entries), and let an idle stream expire.
_APPEND = """
local now = redis.call('TIME')
local oldest = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) - tonumber(ARGV[2])
redis.call('XADD', KEYS[1], 'MINID', math.max(oldest, 0), '*', 'e', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""


class RedisStore:
    def __init__(self, url: str, *, timeout: float = 0.5, prefix: str = "jwtauth:") -> None:
        try:
            import redis
        except ImportError:  # pragma: no cover - depends on the environment
            raise ValueError(
                "a redis:// store needs redis-py: pip install 'flask-jwtauth[redis]'"
            ) from None
        # Every redis error, not only connection and timeout errors: a protocol error from
        # something else listening on the port must not become a 500.
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError,)
        self._redis: Any = redis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            decode_responses=True,
            retry_on_timeout=False,
            health_check_interval=30,
        )
        self._prefix = prefix
        self._incr = self._redis.register_script(_INCR)
        self._append = self._redis.register_script(_APPEND)

    def _call(self, method: str, *args: Any) -> Any:
        try:
            return getattr(self._redis, method)(*args)
        except self._errors as exc:
            raise StoreUnavailable(f"redis: {exc}") from exc

    def get(self, key: str) -> str | None:
        found: str | None = self._call("get", self._prefix + key)
        return found

    def get_many(self, keys: Sequence[str]) -> list[str | None]:
        found: list[str | None] = self._call("mget", [self._prefix + k for k in keys])
        return found

    def set(self, key: str, value: str, ttl: float) -> None:
        self._call("set", self._prefix + key, value, None, max(int(ttl * 1000), 1))

    def delete(self, key: str) -> None:
        self._call("delete", self._prefix + key)

    def add(self, key: str, value: str, ttl: float) -> bool:
        try:
            done = self._redis.set(self._prefix + key, value, px=max(int(ttl * 1000), 1), nx=True)
        except self._errors as exc:
            raise StoreUnavailable(f"redis: {exc}") from exc
        return bool(done)

    def incr(self, key: str, ttl: float) -> int:
        try:
            return int(self._incr(keys=[self._prefix + key], args=[max(int(ttl * 1000), 1)]))
        except self._errors as exc:
            raise StoreUnavailable(f"redis: {exc}") from exc

    def append(self, log: str, entry: str, ttl: float) -> None:
        """A stream per log: XADD, trimmed by age (MINID), in one round trip."""
        try:
            self._append(keys=[self._prefix + log], args=[entry, max(int(ttl * 1000), 1)])
        except self._errors as exc:
            raise StoreUnavailable(f"redis: {exc}") from exc

    def since(self, log: str, cursor: str | None) -> tuple[list[str], str]:
        """XRANGE from just after the last id seen: one command per read, however many
        sessions the process serves."""
        start = "-" if cursor is None else f"({cursor}"
        found: list[tuple[str, dict[str, str]]] = self._call(
            "xrange", self._prefix + log, start, "+"
        )
        if not found:
            return [], cursor or "0-0"
        return [fields.get("e", "") for _, fields in found], found[-1][0]

    def with_prefix(self, prefix: str) -> RedisStore:
        """The same server and connections under another prefix (another secret's, during a
        rotation)."""
        view = copy.copy(self)
        view._prefix = prefix
        return view

    def close(self) -> None:
        self._redis.close()
