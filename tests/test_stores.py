"""One behavioural suite for every store: memory, SQLite (embedded), Redis (a real server)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from redis_server import RedisServer, redis_server  # noqa: F401  (the fixture)
from support import FakeClock

from flask_jwtauth.stores import Store, StoreUnavailable, open_store

KINDS = ["memory", "sqlite", "redis"]


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest, clock: FakeClock
) -> Iterator[Store]:
    if kind == "memory":
        made = open_store("memory://", clock=clock)
    elif kind == "sqlite":
        made = open_store(f"sqlite:///{tmp_path}/store.db", clock=clock)
    else:
        server: RedisServer = request.getfixturevalue("redis_server")
        made = open_store(server.url)
    yield made
    made.close()


def test_get_set_delete(store: Store) -> None:
    assert store.get("a") is None
    store.set("a", "1", 60)
    store.set("b", "2", 60)
    assert store.get("a") == "1"
    assert store.get_many(["a", "missing", "b"]) == ["1", None, "2"]
    store.set("a", "3", 60)
    assert store.get("a") == "3"
    store.delete("a")
    assert store.get("a") is None


@pytest.fixture
def raw_redis(redis_server: RedisServer) -> Iterator[Any]:
    """A plain client of the store's Redis, to look at what the store wrote."""
    import redis

    raw = redis.Redis.from_url(redis_server.url)
    yield raw
    raw.close()


def test_a_view_under_another_prefix_keeps_apart(store: Store) -> None:
    """``with_prefix``: the same store, other keys (an older secret's, in a rotation)."""
    other = store.with_prefix("other:")  # type: ignore[attr-defined]
    store.set("k", "mine", 60)
    other.set("k", "theirs", 60)
    other.append("feed", "theirs", 60)
    assert store.get_many(["k"]) == ["mine"] and other.get("k") == "theirs"
    assert store.since("feed", None)[0] == [] and other.since("feed", None)[0] == ["theirs"]


def test_entries_expire(
    store: Store, kind: str, clock: FakeClock, request: pytest.FixtureRequest
) -> None:
    store.set("short", "x", 10)
    assert store.add("lock", "me", 10)
    if kind.startswith("redis"):  # the server's own clock: look at the TTLs it holds
        raw = request.getfixturevalue("raw_redis")
        assert 0 < raw.pttl("jwtauth:short") <= 10_000
        assert 0 < raw.pttl("jwtauth:lock") <= 10_000
        return
    clock.advance(9)
    assert store.get("short") == "x"
    assert not store.add("lock", "other", 10)
    clock.advance(2)
    assert store.get("short") is None
    assert store.add("lock", "other", 10)  # an expired lock is free again
    assert store.get("lock") == "other"


def test_add_is_atomic_under_threads(store: Store) -> None:
    winners: list[int] = []
    barrier = threading.Barrier(20)

    def race(n: int) -> None:
        barrier.wait()
        if store.add("the-lock", str(n), 60):
            winners.append(n)

    threads = [threading.Thread(target=race, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1
    assert store.get("the-lock") == str(winners[0])


def test_incr_counts_exactly_and_keeps_its_first_ttl(
    store: Store, kind: str, clock: FakeClock
) -> None:
    barrier = threading.Barrier(10)

    def bump() -> None:
        barrier.wait()
        for _ in range(5):
            store.incr("count", 10)

    threads = [threading.Thread(target=bump) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.get("count") == "50"
    if not kind.startswith("redis"):
        clock.advance(11)
        assert store.incr("count", 10) == 1  # expired: starts again


def test_sqlite_table_stays_bounded(tmp_path: Path, clock: FakeClock) -> None:
    import sqlite3

    store = open_store(f"sqlite:///{tmp_path}/s.db", clock=clock)
    for n in range(1000):
        store.set(f"k{n}", "v", 1)
        clock.advance(0.1)
    rows = sqlite3.connect(tmp_path / "s.db").execute("SELECT COUNT(*) FROM jwtauth_store")
    assert rows.fetchone()[0] < 150


RACE = """
import sys
from flask_jwtauth.stores import open_store
store = open_store(sys.argv[1])
print("won" if store.add("shared-lock", sys.argv[2], 60) else "lost")
"""


@pytest.mark.parametrize("shared", ["sqlite", "redis"])
def test_processes_share_one_store(
    shared: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if shared == "sqlite":
        url = f"sqlite:///{tmp_path}/shared.db"
    else:
        url = request.getfixturevalue("redis_server").url
    open_store(url).set("written-by-parent", "yes", 60)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", RACE, url, str(n)], stdout=subprocess.PIPE, text=True
        )
        for n in range(4)
    ]
    results = [p.communicate(timeout=30)[0].strip() for p in processes]
    assert sorted(results) == ["lost", "lost", "lost", "won"]
    assert open_store(url).get("written-by-parent") == "yes"


def test_redis_down_is_unavailable_within_the_timeout_and_recovers(
    redis_server: RedisServer,
) -> None:
    store = open_store(redis_server.url, timeout=0.3)
    store.set("k", "v", 60)
    redis_server.stop()
    started = time.monotonic()
    with pytest.raises(StoreUnavailable):
        store.get_many(["k", "user"])
    assert time.monotonic() - started < 0.3 + 0.5
    redis_server.start()
    store.set("k", "again", 60)  # the same object, no restart of anything
    assert store.get("k") == "again"


def test_a_hung_redis_costs_at_most_the_timeout(redis_server: RedisServer) -> None:
    """Connections open, nothing answers (a frozen server, a full network buffer): each
    call gives up after the timeout instead of holding the request."""
    store = open_store(redis_server.url, timeout=0.2)
    store.set("k", "v", 60)
    redis_server.pause()
    try:
        for call in (
            lambda: store.get_many(["k"]),
            lambda: store.set("k", "w", 60),
            lambda: store.add("a", "1", 60),
            lambda: store.incr("n", 60),
        ):
            started = time.monotonic()
            with pytest.raises(StoreUnavailable):
                call()
            assert time.monotonic() - started < 0.2 + 0.5
    finally:
        redis_server.resume()
    assert store.get("k") in ("v", "w")  # answers again once it is back


def test_a_locked_sqlite_file_is_unavailable_after_the_timeout(tmp_path: Path) -> None:
    import sqlite3

    store = open_store(f"sqlite:///{tmp_path}/s.db", timeout=0.2, clock=time.time)
    store.set("k", "v", 60)
    holder = sqlite3.connect(tmp_path / "s.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        for write in (
            lambda: store.set("k", "w", 60),
            lambda: store.add("a", "1", 60),
            lambda: store.incr("n", 60),
        ):
            started = time.monotonic()
            with pytest.raises(StoreUnavailable):
                write()
            assert time.monotonic() - started < 0.2 + 0.5
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert store.get("k") == "v"
    store.close()


def test_redis_with_nothing_listening_fails_fast() -> None:
    from processes import free_port
    from redis_server import require_redis

    require_redis()
    store = open_store(f"redis://127.0.0.1:{free_port()}/0", timeout=0.3)
    started = time.monotonic()
    with pytest.raises(StoreUnavailable):
        store.get("k")
    assert time.monotonic() - started < 1


@pytest.mark.parametrize("url", ["", "postgres://x", "sqlite://", "memcached://h", "nope"])
def test_bad_urls(url: str) -> None:
    with pytest.raises(ValueError, match=r"store|sqlite"):
        open_store(url)


def test_sqlite_connections_of_finished_threads_are_closed(tmp_path: Path) -> None:
    """A threaded server starts a thread per request: each thread's connection (and its
    WAL files) must go with it, not pile up until "too many open files"."""
    fds = Path("/proc/self/fd")
    if not fds.is_dir():
        pytest.skip("counting open files needs /proc")
    store = open_store(f"sqlite:///{tmp_path}/s.db", timeout=0.5, clock=time.time)
    store.set("k", "v", 60)
    before = len(list(fds.iterdir()))
    for _ in range(40):
        thread = threading.Thread(target=store.get, args=("k",))
        thread.start()
        thread.join()
    assert len(list(fds.iterdir())) <= before + 3
    store.close()


def test_issue19_the_default_sqlite_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    """Revocation on, no store URL: the file JWTAuth creates in the instance folder (and the
    WAL files SQLite adds beside it) is 0600 whatever the umask, not world-readable 0644."""
    import os
    import stat

    from flask import Flask
    from support import SECRET, authorize, sign_in

    from flask_jwtauth import CredentialsProvider, JWTAuth, revoke_user

    instance = tmp_path / "instance"
    app = Flask("store_mode", instance_path=str(instance))
    app.config.update(TESTING=True, JWTAUTH_SECRET=SECRET, JWTAUTH_REVOCATION=True)
    previous = os.umask(0o022)
    try:
        JWTAuth(app, providers=[CredentialsProvider(authorize=authorize)])
        client = app.test_client()
        sign_in(client)
        with app.app_context():
            revoke_user("2")  # a write: the WAL file exists now
        assert client.get("/auth/session").status_code == 200
    finally:
        os.umask(previous)
    files = sorted(p.name for p in instance.iterdir())
    assert "jwtauth.db" in files and "jwtauth.db-wal" in files, files
    for name in files:
        mode = stat.S_IMODE((instance / name).stat().st_mode)
        assert mode == 0o600, f"{name}: {oct(mode)}"


def test_issue19_a_memory_store_keeps_at_most_its_bound(clock: FakeClock) -> None:
    """Full: expired entries go first, then the oldest; the newest are always kept."""
    from flask_jwtauth.stores import MemoryStore

    store = MemoryStore(clock=clock, max_entries=100)
    for n in range(50):
        store.set(f"short{n}", "x", 1)
    for n in range(50):
        store.set(f"long{n}", "x", 60)
    clock.advance(2)
    for n in range(10):
        store.incr(f"new{n}", 60)
    assert len(store) == 60  # the expired went, nothing live did
    assert store.get_many(["long0", "long49", "new9"]) == ["x", "x", "1"]
    for n in range(1000):
        store.set(f"flood{n}", "x", 60)
    assert len(store) <= 100
    assert store.get("flood999") == "x" and store.get("long0") is None


# -- change feeds (issue 24): what each process reads revocations from ------------------


def test_a_feed_is_read_on_from_the_last_cursor(store: Store, kind: str) -> None:
    """None loads what the feed holds; a cursor gives only what came after it, in order;
    nothing new keeps the cursor; another log (another prefix's) is not mixed in."""
    assert store.since("feed", None)[0] == []
    store.append("feed", "one", 60)
    store.append("feed", "two", 60)
    store.append("other", "elsewhere", 60)
    loaded, cursor = store.since("feed", None)
    assert loaded == ["one", "two"]
    assert store.since("feed", cursor) == ([], cursor)
    store.append("feed", "three", 60)
    store.append("feed", "four", 60)
    more, later = store.since("feed", cursor)
    assert more == ["three", "four"]
    assert store.since("feed", later)[0] == []
    _, empty_cursor = store.since("nothing", None)
    store.append("nothing", "first", 60)
    assert store.since("nothing", empty_cursor)[0] == ["first"]


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_a_feed_drops_entries_past_their_life(store: Store, clock: FakeClock) -> None:
    """By the app's clock: a fresh reader never loads what has expired, and appends trim
    the feed, so it stays bounded by the rate of revocations times their lifetime."""
    store.append("feed", "old", 10)
    clock.advance(11)
    store.append("feed", "new", 10)
    assert store.since("feed", None)[0] == ["new"]
    assert store.since("feed", "0")[0] == ["new"]  # "old" is gone from the feed itself


def test_a_redis_feed_expires_when_idle_for_a_lifetime(redis_server: RedisServer) -> None:
    """A stream per log, under the prefix; it expires a lifetime after its last append
    (each append also trims, by the server's own TIME, what is older than that)."""
    import redis

    store = open_store(redis_server.url, prefix="t:")
    store.append("feed", "one", 60)
    store.append("feed", "two", 60)
    raw = redis.Redis.from_url(redis_server.url, decode_responses=True)
    assert raw.xlen("t:feed") == 2
    assert 59_000 < raw.pttl("t:feed") <= 60_000
    raw.close()
    store.close()
