"""Many sessions round robin under wrk, and store commands counted at the store.

Real traffic rarely repeats one cookie: each of ``count`` clients signs in through the
contender's own sign-in (its form, in-process through Flask's test client with the same
secret and settings as the served app, which is far quicker than over HTTP and yields the
same cookies), and wrk cycles through their Cookie headers (:func:`wrk.cycling_script`).
"""

from __future__ import annotations

from typing import Any

from benchmarks.apps import TestBrowser, create, sign_in


def cookie_headers(name: str, config: dict[str, Any], count: int) -> list[str]:
    """One Cookie header per client, each client signed in on its own."""
    app = create(name, **config)
    headers = []
    for _ in range(count):
        client = app.test_client()
        names = sign_in(name, TestBrowser(client))
        held = [(n, client.get_cookie(n)) for n in names]
        headers.append("; ".join(f"{n}={c.value}" for n, c in held if c is not None))
    return headers


#: Commands the servers' own machinery sends (sentinels' PING, INFO and PUBLISH hellos, a
#: replica's REPLCONF ACK, a cluster client's CLUSTER SLOTS at start), not the app's store.
_HOUSEKEEPING = {"cmdstat_info", "cmdstat_ping", "cmdstat_publish", "cmdstat_replconf",
                 "cmdstat_cluster|slots", "cmdstat_cluster|shards", "cmdstat_cluster"}  # fmt: skip


def redis_calls(urls: tuple[str, ...]) -> int:
    """Every command the data nodes (plain ``redis://`` URLs) have answered, summed over
    them (INFO commandstats), their housekeeping aside."""
    import redis

    total = 0
    for url in urls:
        client = redis.Redis.from_url(url)
        try:
            stats = client.info("commandstats")
        finally:
            client.close()
        total += sum(int(v["calls"]) for k, v in stats.items() if k not in _HOUSEKEEPING)
    return total
