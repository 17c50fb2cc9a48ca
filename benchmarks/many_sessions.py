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


def redis_calls(url: str) -> int:
    """Every command the Redis server has answered (INFO commandstats), INFO aside."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        stats = client.info("commandstats")
    finally:
        client.close()
    total = 0
    for command, figures in stats.items():
        if command not in ("cmdstat_info",):
            total += int(figures["calls"])
    return total
