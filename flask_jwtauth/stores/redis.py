"""Redis (or Valkey) for apps on several machines, through redis-py (the ``redis`` extra):
one server (``redis://``), a master watched by Sentinel or a Cluster (:mod:`.redis_ha`);
the commands are the same for all three."""

from __future__ import annotations

import copy
import hashlib
import threading
import time
from collections.abc import Callable, Sequence
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


def redis_module() -> Any:
    """redis-py, or ValueError saying how to install it."""
    try:
        import redis
    except ImportError:  # pragma: no cover - depends on the environment
        raise ValueError(
            "a redis:// store needs redis-py: pip install 'flask-jwtauth[redis]'"
        ) from None
    return redis


def client_options(timeout: float) -> dict[str, Any]:
    """What every client gets, whichever the deployment: each command waits at most the
    store's timeout and is not retried (a request waits that long, not several times;
    redis-py's own default retries a refused connection up to ten times)."""
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "decode_responses": True,
        "health_check_interval": 30,
        "retry": Retry(NoBackoff(), 0),
    }


def _errors() -> tuple[type[BaseException], ...]:
    """Every redis error, not only connection and timeout errors (a protocol error from
    something else listening on the port must not become a 500); the cluster client's own
    errors (no node reachable, a slot not covered) do not derive from RedisError."""
    redis = redis_module()
    from redis.exceptions import RedisClusterException

    return (redis.RedisError, RedisClusterException)


class _Script:
    """A Lua script run by its SHA, sent whole only to a server that lacks it (a fresh
    node, a replica just promoted). EVALSHA routes by its key on a cluster, unlike
    SCRIPT LOAD, which asks every master and fails while one is down."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()

    def __call__(self, client: Any, key: str, *args: Any) -> Any:
        from redis.exceptions import NoScriptError

        try:
            return client.evalsha(self.sha, 1, key, *args)
        except NoScriptError:
            return client.eval(self.source, 1, key, *args)


#: After a client could not be made (a cluster whose nodes all failed to answer), requests
#: are told so at once for this long rather than each trying every node again.
RECONNECT_AFTER = 1.0


class _Connection:
    """The client, made at first use: a cluster client asks the nodes for their slots when
    it is made, and an app must start (and answer 503) while its store is down. Making it
    can take a timeout per node: other requests wait at most one timeout for it, and a
    failure is remembered for :data:`RECONNECT_AFTER` seconds."""

    def __init__(
        self,
        connect: Callable[[], Any],
        errors: tuple[type[BaseException], ...],
        wait: float,
    ) -> None:
        self._connect = connect
        self._errors = errors
        self._wait = wait
        self._client: Any = None
        self._lock = threading.Lock()
        self._failed: tuple[float, str] | None = None  # (monotonic time it ends, why)

    def client(self) -> Any:
        client = self._client
        if client is not None:
            return client
        if not self._lock.acquire(timeout=self._wait):
            raise StoreUnavailable("redis: still connecting, for another request")
        try:
            if self._client is None:
                failed = self._failed
                if failed is not None and time.monotonic() < failed[0]:
                    raise StoreUnavailable(failed[1])
                try:
                    self._client = self._connect()
                except self._errors as exc:
                    why = f"redis: {exc}"
                    self._failed = (time.monotonic() + RECONNECT_AFTER, why)
                    raise StoreUnavailable(why) from exc
                self._failed = None
            return self._client
        finally:
            self._lock.release()

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is None:
            return
        client.close()
        # A Sentinel's master client: its pool holds the manager and its connections to
        # the sentinels, which the client's own close() leaves open.
        manager = getattr(getattr(client, "connection_pool", None), "sentinel_manager", None)
        if manager is not None:
            manager.close()


class RedisStore:
    def __init__(
        self,
        connect: Callable[[], Any],
        *,
        prefix: str = "jwtauth:",
        cluster: bool = False,
        timeout: float = 0.5,
    ) -> None:
        """``connect`` makes the redis-py client (``Redis``, a Sentinel's ``master_for``,
        ``RedisCluster``), at the first command."""
        self._errors = _errors()
        #: A cluster's MGET takes the keys of one slot: get_many splits by slot instead (one
        #: round trip per node; keys that share a hash tag, one).
        self._mget = "mget_nonatomic" if cluster else "mget"
        self._connection = _Connection(connect, self._errors, timeout)
        self._prefix = prefix
        self._incr = _Script(_INCR)
        self._append = _Script(_APPEND)

    @classmethod
    def from_url(cls, url: str, *, timeout: float = 0.5, prefix: str = "jwtauth:") -> RedisStore:
        """One server: ``redis://``, ``rediss://``, ``unix://`` (redis-py's own URLs)."""
        redis = redis_module()
        client = redis.Redis.from_url(url, **client_options(timeout))
        return cls(lambda: client, prefix=prefix, timeout=timeout)

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(self._connection.client(), method)(*args, **kwargs)
        except self._errors as exc:
            raise StoreUnavailable(f"redis: {exc}") from exc

    def _run(self, script: _Script, key: str, *args: Any) -> Any:
        try:
            return script(self._connection.client(), key, *args)
        except self._errors as exc:
            raise StoreUnavailable(f"redis: {exc}") from exc

    def get(self, key: str) -> str | None:
        found: str | None = self._call("get", self._prefix + key)
        return found

    def get_many(self, keys: Sequence[str]) -> list[str | None]:
        found: list[str | None] = self._call(self._mget, [self._prefix + k for k in keys])
        return found

    def set(self, key: str, value: str, ttl: float) -> None:
        self._call("set", self._prefix + key, value, px=max(int(ttl * 1000), 1))

    def delete(self, key: str) -> None:
        self._call("delete", self._prefix + key)

    def add(self, key: str, value: str, ttl: float) -> bool:
        done = self._call("set", self._prefix + key, value, px=max(int(ttl * 1000), 1), nx=True)
        return bool(done)

    def incr(self, key: str, ttl: float) -> int:
        return int(self._run(self._incr, self._prefix + key, max(int(ttl * 1000), 1)))

    def append(self, log: str, entry: str, ttl: float) -> None:
        """A stream per log: XADD, trimmed by age (MINID), in one round trip."""
        self._run(self._append, self._prefix + log, entry, max(int(ttl * 1000), 1))

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
        self._connection.close()
