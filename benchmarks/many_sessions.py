"""Many sessions round robin under wrk, and store commands counted at the store.

Real traffic rarely repeats one cookie: each of ``count`` clients signs in through the
contender's own sign-in (its form, in-process through Flask's test client with the same
secret and settings as the served app, which is far quicker than over HTTP and yields the
same cookies), and wrk cycles through their Cookie headers with a Lua script.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from benchmarks.apps import PATH, USER_AGENT, create, sign_in
from benchmarks.bench_requests import TestBrowser


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


def lua_script(headers: list[str], directory: Path) -> Path:
    """A wrk script sending the next client's cookies with each request."""
    script = directory / f"cookies-{len(headers)}-{id(headers)}.lua"
    lines = [f"local cookies = {{{', '.join(_lua_string(h) for h in headers)}}}"]
    lines += [
        "local i = 0",
        "request = function()",
        "  i = i % #cookies + 1",
        f"  return wrk.format('GET', {_lua_string(PATH)}, "
        f"{{['Cookie'] = cookies[i], ['User-Agent'] = {_lua_string(USER_AGENT)}}})",
        "end",
    ]
    script.write_text("\n".join(lines) + "\n")
    return script


def _lua_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


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


def wrk_requests(out: str) -> int:
    match = re.search(r"(\d+) requests in", out)
    return int(match.group(1)) if match else 0
