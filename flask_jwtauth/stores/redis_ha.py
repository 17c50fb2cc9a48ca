"""Redis Sentinel and Redis Cluster: our URLs for them, and the redis-py clients they name
(``redis.sentinel.Sentinel.master_for``, ``redis.cluster.RedisCluster``), which find the
new master after a failover, and the node of each key, themselves.

- ``redis+sentinel://[user:password@]host[:26379][,host[:port]...]/service[/db]``, with
  ``?sentinel_username=...&sentinel_password=...`` when the sentinels want their own
  credentials (the user and password before ``@`` are the master's);
- ``redis+cluster://[user:password@]host[:6379][,host[:port]...]`` (a cluster has only
  database 0);
- ``rediss+sentinel://`` and ``rediss+cluster://``: the same over TLS (to the sentinels
  too), each certificate checked by redis-py against the default CAs (a private CA: the
  ``SSL_CERT_FILE`` environment variable, which ``ssl.create_default_context()`` reads) and
  against the address connected to (for the master and the nodes, the IP address the
  sentinels or the nodes give); no client certificate.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

from ..masking import masked_url
from .redis import RedisStore, client_options, redis_module

SENTINEL_FORM = (
    "redis+sentinel://[user:password@]host:26379[,host:port...]/service[/db]"
    "[?sentinel_username=...&sentinel_password=...]"
)
CLUSTER_FORM = "redis+cluster://[user:password@]host:6379[,host:port...]"
#: Redis behind Sentinel, a Redis Cluster; ``rediss+``: over TLS.
SCHEMES = ("redis+sentinel", "rediss+sentinel", "redis+cluster", "rediss+cluster")

#: As redis-py reads its own URLs: the host part ends at the first '/', '?' or '#', and the
#: user and password run to its last '@' (an '@' in a password may stay raw).
_URL = re.compile(r"(?P<scheme>[A-Za-z+]+)://(?P<netloc>[^/?#]*)(?P<rest>.*)")
_HOST = re.compile(
    r"(?:\[(?P<ip6>[0-9A-Fa-f:.]+)\]|(?P<name>[A-Za-z0-9._-]+))(?::(?P<port>[0-9]+))?"
)
_SENTINEL_PATH = re.compile(r"/(?P<service>[^/?#]+)(?:/(?P<db>[0-9]+))?/?")
#: The redis-py whose timeouts and retries the stores were tested with (older ones retry a
#: cluster's errors on their own, whatever ``retry`` says).
MIN_REDIS_PY = (8, 0)
_SENTINEL_QUERY = ("sentinel_username", "sentinel_password")


@dataclass(frozen=True)
class HAAddress:
    """What a ``redis+sentinel://`` or ``redis+cluster://`` URL says."""

    sentinel: bool
    tls: bool
    hosts: tuple[tuple[str, int], ...]
    username: str | None = None
    #: Kept out of the repr (a debugger's or an error reporter's view of the locals).
    password: str | None = field(default=None, repr=False)
    #: Sentinel only: the name the sentinels know the master by, its database, and the
    #: sentinels' own credentials.
    service: str = ""
    db: int = 0
    sentinel_username: str | None = None
    sentinel_password: str | None = field(default=None, repr=False)


def parse(url: str) -> HAAddress:
    """ValueError naming the accepted form for anything but a well-formed URL."""
    found = _URL.fullmatch(url)
    scheme = found.group("scheme").lower() if found else url.split(":", 1)[0].lower()
    if scheme not in SCHEMES:
        raise ValueError(f"{masked_url(url)!r}: not a {' or '.join(SCHEMES)} URL")
    sentinel = scheme.endswith("+sentinel")
    form = SENTINEL_FORM if sentinel else CLUSTER_FORM

    def bad(what: str) -> ValueError:
        return ValueError(f"{masked_url(url)!r}: {what}; write {form}")

    if found is None or "#" in url:
        raise bad("not a URL of that form")
    auth, at, netloc = found.group("netloc").rpartition("@")
    username, password = _credentials(auth if at else None)
    # A part is named in the error only when the URL has no credentials: with a raw '/', '?'
    # or '#' in the password, the host part ends early and the "host" is part of it.
    shown = "@" not in url
    port = 26379 if sentinel else 6379
    hosts = tuple(_host(part, port, bad, shown) for part in _split(netloc, bad))
    path, _, query = found.group("rest").partition("?")
    if not sentinel:
        if path not in ("", "/", "/0") or query:
            raise bad("a cluster URL has no database (a cluster has only 0) and no options")
        return HAAddress(False, scheme.startswith("rediss"), hosts, username, password)
    where = _SENTINEL_PATH.fullmatch(path)
    if where is None:
        raise bad("the path is the master's service name, then its database")
    options: dict[str, str] = {}
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True) if query else []
    except ValueError:
        raise bad("the query is not name=value pairs") from None
    for name, value in pairs:
        if name not in _SENTINEL_QUERY or name in options:
            raise bad(f"unknown or repeated option {name!r} (known: {', '.join(_SENTINEL_QUERY)})")
        options[name] = value
    return HAAddress(
        True,
        scheme.startswith("rediss"),
        hosts,
        username,
        password,
        service=unquote(where.group("service")),
        db=int(where.group("db") or 0),
        sentinel_username=options.get("sentinel_username") or None,
        sentinel_password=options.get("sentinel_password") or None,
    )


def _credentials(auth: str | None) -> tuple[str | None, str | None]:
    if auth is None:
        return None, None
    user, colon, password = auth.partition(":")
    return unquote(user) or None, unquote(password) if colon else None


def _split(netloc: str, bad: Callable[[str], ValueError]) -> list[str]:
    parts = netloc.split(",")
    if not all(parts):
        raise bad("no host, or an empty one between commas")
    return parts


def _host(
    part: str, default_port: int, bad: Callable[[str], ValueError], shown: bool
) -> tuple[str, int]:
    name = repr(part) if shown else "a host"
    found = _HOST.fullmatch(part)
    if found is None:
        raise bad(f"{name} is not host or host:port (a '/', '?' or '#' in a password: %-encode it)")
    port = int(found.group("port") or default_port)
    if not 0 < port < 65536:
        raise bad(f"{name}: no such port")
    return found.group("ip6") or found.group("name"), port


def open_ha_store(url: str, *, timeout: float, prefix: str) -> RedisStore:
    """The store a ``redis+sentinel://`` or ``redis+cluster://`` URL names; its client is
    made at the first command."""
    address = parse(url)
    if not address.sentinel and ("{" in prefix or "}" in prefix):
        raise ValueError(
            f"JWTAUTH_STORE_PREFIX {prefix!r}: no '{{' or '}}' with a cluster store (a hash "
            "tag in the prefix would put every key on one node, and break the keys that "
            "must share a slot)"
        )
    redis = redis_module()  # ValueError now, not at the first request, without redis-py
    version = tuple(int(n) for n in re.findall(r"[0-9]+", redis.__version__)[:2])
    if version < MIN_REDIS_PY:
        raise ValueError(
            f"{masked_url(url)!r} needs redis-py {'.'.join(map(str, MIN_REDIS_PY))} or later "
            f"(this is {redis.__version__}): pip install 'redis>=8'"
        )
    connect = _sentinel if address.sentinel else _cluster
    return RedisStore(
        lambda: connect(address, timeout),
        prefix=prefix,
        cluster=not address.sentinel,
        timeout=timeout,
    )


def _sentinel(address: HAAddress, timeout: float) -> Any:
    """The master's client: each new connection asks the sentinels where it is, and one
    to a master that is gone or has become a replica is dropped."""
    from redis.backoff import NoBackoff
    from redis.retry import Retry
    from redis.sentinel import Sentinel

    manager = Sentinel(
        address.hosts,
        sentinel_kwargs={
            "socket_timeout": timeout,
            "socket_connect_timeout": timeout,
            "username": address.sentinel_username,
            "password": address.sentinel_password,
            "ssl": address.tls,
            "retry": Retry(NoBackoff(), 0),
        },
    )
    return manager.master_for(
        address.service,
        db=address.db,
        username=address.username,
        password=address.password,
        ssl=address.tls,
        **client_options(timeout),
    )


def _cluster(address: HAAddress, timeout: float) -> Any:
    """The cluster's client: it learns the slots from the first node that answers, and
    again after a node fails. No retries: a request waits the store's timeout, once."""
    from redis.cluster import ClusterNode, RedisCluster

    return RedisCluster(
        startup_nodes=[ClusterNode(host, port) for host, port in address.hosts],  # type: ignore[no-untyped-call]
        username=address.username,
        password=address.password,
        ssl=address.tls,
        **client_options(timeout),  # with no retries
    )
