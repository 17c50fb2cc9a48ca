"""Redis Sentinel and Redis Cluster stores (issue 23), against real processes: three
sentinels watching a master and its replica, a cluster of three masters, all started here
from Debian's redis-server. The store contract of ``test_stores`` runs on both; then apps
on them, a failover while requests flow, a cluster node lost."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from conftest import AppFactory
from flask import Flask
from redis_server import RedisServer, redis_server
from redis_topologies import (
    RedisCluster,
    RedisSentinelSet,
    _query,
    redis_cluster,
    redis_sentinels,
    require_redis_ha,
    wait_until,
)
from support import COOKIE, FakeClock, attempt_sign_in, sign_in

# The store contract, run here again on the two deployments (the fixtures below).
from test_stores import (
    test_a_feed_is_read_on_from_the_last_cursor,
    test_a_view_under_another_prefix_keeps_apart,
    test_add_is_atomic_under_threads,
    test_entries_expire,
    test_get_set_delete,
    test_incr_counts_exactly_and_keeps_its_first_ttl,
)

from flask_jwtauth import revoke_session
from flask_jwtauth.config import ConfigurationError
from flask_jwtauth.revocation_feed import LOG
from flask_jwtauth.stores import Store, StoreUnavailable, open_store
from flask_jwtauth.stores.redis_ha import HAAddress, parse

if TYPE_CHECKING:
    from upstream_server import Upstream

pytest_plugins = ["upstream_server"]

__all__ = [
    "redis_cluster",
    "redis_sentinels",
    "redis_server",
    "test_a_feed_is_read_on_from_the_last_cursor",
    "test_a_view_under_another_prefix_keeps_apart",
    "test_add_is_atomic_under_threads",
    "test_entries_expire",
    "test_get_set_delete",
    "test_incr_counts_exactly_and_keeps_its_first_ttl",
]


@pytest.fixture(params=["redis+sentinel", "redis+cluster"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def ha_url(kind: str, request: pytest.FixtureRequest) -> str:
    """The module's sentinels or cluster, emptied for this test."""
    if kind == "redis+sentinel":
        group: RedisSentinelSet = request.getfixturevalue("redis_sentinels")
        _query(group.master_port(), "FLUSHALL")
        return group.url
    cluster: RedisCluster = request.getfixturevalue("redis_cluster")
    cluster.flush()
    return cluster.url


@pytest.fixture
def store(ha_url: str) -> Iterator[Store]:
    made = open_store(ha_url)
    yield made
    made.close()


@pytest.fixture
def raw_redis(kind: str, ha_url: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A plain redis-py client of the same deployment."""
    import redis
    from redis.cluster import ClusterNode

    if kind == "redis+sentinel":
        raw = redis.Redis(port=request.getfixturevalue("redis_sentinels").master_port())
    else:
        hosts = parse(ha_url).hosts
        raw = redis.RedisCluster(startup_nodes=[ClusterNode(h, p) for h, p in hosts])
    yield raw
    raw.close()


# -- URLs --------------------------------------------------------------------------------


def test_the_urls_say_where_the_sentinels_or_the_nodes_are() -> None:
    assert parse("redis+sentinel://a:26380,[::1],b/mymaster/2") == HAAddress(
        sentinel=True,
        tls=False,
        hosts=(("a", 26380), ("::1", 26379), ("b", 26379)),
        service="mymaster",
        db=2,
    )
    found = parse("rediss+sentinel://app:p@s%2Fs@h/cache?sentinel_password=s3&sentinel_username=w")
    assert (found.tls, found.username, found.password, found.service, found.db) == (
        True,
        "app",
        "p@s/s",
        "cache",
        0,
    )
    assert (found.sentinel_username, found.sentinel_password) == ("w", "s3")
    cluster = parse("redis+cluster://:secret@10.0.0.1:7000,10.0.0.2")
    assert cluster == HAAddress(
        sentinel=False,
        tls=False,
        hosts=(("10.0.0.1", 7000), ("10.0.0.2", 6379)),
        password="secret",
    )
    assert parse("rediss+cluster://h:7000/").tls


@pytest.mark.parametrize(
    "url",
    [
        "redis+sentinel://h:26379",  # no service
        "redis+sentinel://h:26379/",
        "redis+sentinel://h:26379/mymaster/x",
        "redis+sentinel://h:26379/mymaster/0/extra",
        "redis+sentinel://h:26379,/mymaster",
        "redis+sentinel://h:99999/mymaster",
        "redis+sentinel://h:port/mymaster",
        "redis+sentinel:///mymaster",
        "redis+sentinel://h/mymaster?socket_timeout=9",
        "redis+sentinel://h/mymaster?sentinel_password=a&sentinel_password=b",
        "redis+sentinel://h/mymaster#x",
        "redis+cluster://h:7000/1",
        "redis+cluster://h:7000?x=1",
        "redis+cluster://",
        "redis+cluster://h h:7000",
        "redis+cluster://h:\u0666\u0663\u0667\u0669",  # digits, but not ASCII ones
    ],
)
def test_a_malformed_url_names_the_form_it_should_have(url: str) -> None:
    with pytest.raises(ValueError, match=r"write rediss?\+(sentinel|cluster)://\[user:password@\]"):
        open_store(url)


def test_errors_do_not_show_the_passwords() -> None:
    for url in (
        "redis+sentinel://u:xyzzy@h/m/x?sentinel_password=xyzzy",
        "redis+cluster://u:xy@zzy@h:port",
        "redis+cluster://:xy/zzy@h:7000",
    ):
        with pytest.raises(ValueError) as caught:
            open_store(url)
        assert "zzy" not in str(caught.value) and ":***@h" in str(caught.value)


def test_no_error_or_repr_shows_a_password(make_app: AppFactory) -> None:
    """A raw '/' or '?' in a password ends the host part early (as redis-py reads URLs),
    a typo can drop the '//', a scheme can be unknown: the password stays masked."""
    for url, secret in (
        ("redis+cluster://:s3cret/x@host:6379", "s3cret"),
        ("redis+sentinel://user:qz7k?y@h/mymaster", "qz7k"),
        ("redis+cluster:u:s3cret@host", "s3cret"),
        ("mongodb://u:s3cret@host", "s3cret"),
    ):
        with pytest.raises(ValueError) as caught:
            open_store(url)
        assert secret not in str(caught.value), caught.value
    with pytest.raises(ConfigurationError) as config_error:
        make_app(JWTAUTH_STORE_URL="redis+sentinal:u:s3cret@host")
    assert "s3cret" not in str(config_error.value)
    address = parse("redis+sentinel://u:s3cret@h/m?sentinel_password=t0psecret")
    assert "s3cret" not in repr(address) and "t0psecret" not in repr(address)


def test_any_password_the_parser_takes_and_any_case_of_the_scheme(make_app: AppFactory) -> None:
    """urlsplit would call a raw '[' in a password an invalid IPv6 address; the scheme's
    case does not matter, as in redis-py's own URLs."""
    open_store("redis+cluster://u:p[w@127.0.0.1:6379").close()  # connects at first use
    assert parse("redis+cluster://u:p[w@127.0.0.1:6379").password == "p[w"
    app, _ = make_app(JWTAUTH_STORE_URL="REDIS+CLUSTER://127.0.0.1:7000")
    assert app.extensions


def test_an_older_redis_py_is_refused_for_sentinel_and_cluster(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before redis-py 8 the cluster client retries its errors on its own, whatever the
    store asks: a request would wait several timeouts."""
    import redis

    monkeypatch.setattr(redis, "__version__", "5.0.8")
    for url in ("redis+cluster://h:7000", "redis+sentinel://h/m"):
        with pytest.raises(ValueError, match=r"needs redis-py 8\.0 or later \(this is 5\.0\.8\)"):
            open_store(url)
    open_store("redis://h:6379/0").close()  # one server: any supported redis-py


def test_the_first_client_is_waited_for_at_most_one_timeout(redis_server: RedisServer) -> None:
    """Making a cluster client asks a node for the slots; with the node hung, that takes a
    timeout. Requests arriving meanwhile wait at most one timeout each, not in turn, and
    for a second after a failed attempt they are told at once."""
    require_redis_ha()
    redis_server.pause()
    try:
        store = open_store(f"redis+cluster://127.0.0.1:{redis_server.port}", timeout=0.3)
        took: list[float] = []

        def one() -> None:
            started = time.monotonic()
            with pytest.raises(StoreUnavailable):
                store.get("k")
            took.append(time.monotonic() - started)

        threads = [threading.Thread(target=one) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
        assert len(took) == 6 and max(took) < 0.3 + 0.3 + 0.2, took
        started = time.monotonic()
        with pytest.raises(StoreUnavailable):
            store.get("k")  # within the second after the failure: no new attempt
        assert time.monotonic() - started < 0.1
    finally:
        redis_server.resume()


def test_a_closed_sentinel_store_leaves_no_connection_to_the_sentinels(
    redis_sentinels: RedisSentinelSet,
) -> None:
    def clients() -> int:
        return sum(
            int(_query(s.port, "INFO", "clients")["connected_clients"])
            for s in redis_sentinels.sentinels
        )

    before = clients()
    store = open_store(redis_sentinels.url, timeout=0.5)
    store.set("k", "v", 60)
    assert clients() > before  # the master was asked of a sentinel
    store.close()
    wait_until(lambda: clients() == before, "the sentinels' connections closed", 5)


def test_a_bad_url_or_a_hash_tag_in_the_prefix_stops_the_app_at_start(
    make_app: AppFactory,
) -> None:
    with pytest.raises(ConfigurationError, match=r"JWTAUTH_STORE_URL.*redis\+sentinel://"):
        make_app(JWTAUTH_REVOCATION=True, JWTAUTH_STORE_URL="redis+sentinel://h:26379")
    with pytest.raises(ConfigurationError, match=r"JWTAUTH_STORE_URL.*redis\+cluster"):
        make_app(JWTAUTH_STORE_URL="redis+clustre://h:7000")
    with pytest.raises(ConfigurationError, match=r"JWTAUTH_STORE_PREFIX.*cluster"):
        make_app(JWTAUTH_STORE_URL="redis+cluster://h:7000", JWTAUTH_STORE_PREFIX="{shop}:")
    with pytest.raises(ValueError, match="JWTAUTH_STORE_PREFIX"):
        open_store("redis+cluster://h:7000", prefix="shop{1}:")
    # A sentinel's master is one server: braces there are just characters.
    open_store("redis+sentinel://h/m", prefix="{shop}:").close()


def test_an_app_starts_while_its_cluster_is_unreachable(make_app: AppFactory) -> None:
    """The cluster client is made at the first command: the app starts, and until the
    nodes answer, sessions are refused (503) as with any store that is down."""
    from processes import free_port

    require_redis_ha()
    app, _ = make_app(
        JWTAUTH_REVOCATION=True,
        JWTAUTH_STORE_URL=f"redis+cluster://127.0.0.1:{free_port()}",
        JWTAUTH_STORE_TIMEOUT=0.3,
    )
    started = time.monotonic()
    with pytest.raises(StoreUnavailable):
        open_store(f"redis+cluster://127.0.0.1:{free_port()}", timeout=0.3).get("k")
    assert time.monotonic() - started < 1
    client = app.test_client()
    assert attempt_sign_in(client).status_code == 302  # the throttle is not checked: logged
    assert client.get("/api/me").status_code == 503  # revocation cannot be: fail closed


# -- apps on Sentinel and on a Cluster ---------------------------------------------------


def revocable(make_app: AppFactory, url: str, **config: Any) -> Flask:
    app, _ = make_app(
        JWTAUTH_REVOCATION=True, JWTAUTH_STORE_URL=url, JWTAUTH_STORE_TIMEOUT=0.3, **config
    )

    @app.get("/api/whoami")
    def whoami() -> Any:
        from flask_jwtauth import get_token

        token = get_token()
        return {"sid": token and token["sid"]}

    return app


def test_a_revoked_session_is_refused(make_app: AppFactory, ha_url: str) -> None:
    """Sign in through the real form, revoke the session: it is refused, here and in a
    process that reads the feed afresh; another session is not."""
    app = revocable(make_app, ha_url)
    client, other = app.test_client(), app.test_client()
    sign_in(client)
    sign_in(other, "bob")
    assert client.get("/api/me").status_code == 200
    cookies = {"ann": _cookie_of(client), "bob": _cookie_of(other)}
    with app.app_context():
        revoke_session(client.get("/api/whoami").get_json()["sid"])
    assert client.get("/api/me").status_code == 401
    assert other.get("/api/me").status_code == 200
    fresh = revocable(make_app, ha_url).test_client()
    for name, expected in (("ann", 401), ("bob", 200)):
        fresh.set_cookie(COOKIE, cookies[name])
        assert fresh.get("/api/me").status_code == expected


def test_refresh_keys_share_a_slot_on_a_cluster(
    upstream: Upstream, redis_cluster: RedisCluster
) -> None:
    """An access token renewed by an app on a cluster: the refresh token's entries (the
    stash read with its backoff, the lock) carry one hash tag, so they can be read in one
    MGET, which a cluster refuses for keys of different slots (CROSSSLOT)."""
    import redis
    from redis.cluster import ClusterNode
    from refresh_app import create_app

    redis_cluster.flush()
    clock = FakeClock()
    app = create_app(upstream.url, clock, JWTAUTH_STORE_URL=redis_cluster.url)
    client = app.test_client()
    assert attempt_sign_in(client, "alice", "alice-password").status_code == 302
    clock.advance(25)  # past the refresh margin
    assert client.get("/api/resource").status_code == 200
    assert upstream.stats()["refresh_grants"] == 1
    raw = redis.RedisCluster(
        startup_nodes=[ClusterNode("127.0.0.1", n.port) for n in redis_cluster.nodes],
        decode_responses=True,
    )
    try:
        keys = [k for k in raw.keys(target_nodes=raw.ALL_NODES) if ":refresh" in k]
        assert any(":refresh:{" in k for k in keys), keys  # the stash
        backoff = keys[0].replace(":refresh:{", ":refresh-backoff:{")
        assert len({raw.keyslot(k) for k in [*keys, backoff]}) == 1
        assert raw.mget([*keys, backoff])[-1] is None  # one slot: no CROSSSLOT
    finally:
        raw.close()


def _cookie_of(client: Any) -> str:
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    return str(cookie.value)


class Traffic:
    """A signed-in client asking /api/me over and over from a thread, each answer kept
    with its time."""

    def __init__(self, app: Flask, cookie: str) -> None:
        self.client = app.test_client()
        self.client.set_cookie(COOKIE, cookie)
        self.answers: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.answers.append((time.monotonic(), self.client.get("/api/me").status_code))
            time.sleep(0.02)

    def __enter__(self) -> Traffic:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def since(self, moment: float) -> list[int]:
        return [status for at, status in list(self.answers) if at >= moment]


def test_failover_drill(make_app: AppFactory, tmp_path: Path) -> None:
    """The master is killed (SIGKILL) while a client keeps asking; the sentinels promote
    the replica. Meanwhile the app answers 503 (the revocation feed unreadable for longer
    than its bound: fail closed), never 500, and 200 again once the replica is master,
    with no restart. A revocation acknowledged and replicated before (WAIT) survives."""
    require_redis_ha()
    group = RedisSentinelSet(tmp_path)
    group.start()
    try:
        app = revocable(make_app, group.url)
        ann, bob = app.test_client(), app.test_client()
        sign_in(ann)
        sign_in(bob, "bob")
        with app.app_context():
            revoke_session(bob.get("/api/whoami").get_json()["sid"])
        assert _query(group.master.port, "WAIT", "1", "2000") == 1  # on the replica too
        with Traffic(app, _cookie_of(ann)) as traffic:
            wait_until(lambda: traffic.since(0)[-3:] == [200] * 3, "traffic flowing")
            killed = time.monotonic()
            group.master.kill()
            wait_until(lambda: 503 in traffic.since(killed), "503 during the switch", 10)
            down = min(at for at, status in traffic.answers if at >= killed and status == 503)
            recovered = wait_until(
                lambda: traffic.since(down)[-3:] == [200] * 3, "200 after the failover", 15
            )
            answers = traffic.since(killed)
        print(  # the figures docs/guides/many-machines.md quotes (pytest -s)
            f"failover: 503 from {down - killed:.2f} s after the kill, 200 again "
            f"{recovered:.2f} s later; answers {answers.count(200)} x 200, "
            f"{answers.count(503)} x 503"
        )
        assert set(answers) == {200, 503}, answers  # never a 500
        assert down - killed < 0.3 + 2.0  # the list's bound (1 s), plus a read's timeout
        assert recovered < 15
        assert group.master_port() == group.replica.port
        # A process that reads the feed afresh, from the new master, refuses bob's session.
        fresh = revocable(make_app, group.url).test_client()
        fresh.set_cookie(COOKIE, _cookie_of(bob))
        assert fresh.get("/api/me").status_code == 401
        assert bob.get("/api/me").status_code == 401
    finally:
        group.stop()


def test_cluster_failover_drill(make_app: AppFactory, tmp_path: Path) -> None:
    """The cluster's version of the drill: three masters with a replica each; the master
    holding the revocation feed is killed (SIGKILL) while a client keeps asking, and the
    cluster promotes its replica. The app, given only the masters' addresses, answers 503
    meanwhile, never 500, and 200 again once the replica holds the slot, with no restart.
    A revocation acknowledged and replicated before (WAIT) survives."""
    require_redis_ha()
    cluster = RedisCluster(tmp_path, replicas=1)
    cluster.start()
    try:
        # Only the masters: the client learns the replicas from them, and after the
        # failover asks any node that answers where the slots went.
        url = cluster.url_of(cluster.masters())
        app = revocable(make_app, url)
        ann, bob = app.test_client(), app.test_client()
        sign_in(ann)
        sign_in(bob, "bob")
        with app.app_context():
            revoke_session(bob.get("/api/whoami").get_json()["sid"])
        (feed,) = {
            key
            for node in cluster.masters()
            for key in _query(node.port, "KEYS", f"*:{LOG}")
        }
        master = cluster.node_of(feed)
        replica = cluster.replica_of(master)
        assert _query(master.port, "WAIT", "1", "2000") == 1  # on the replica too
        with Traffic(app, _cookie_of(ann)) as traffic:
            wait_until(lambda: traffic.since(0)[-3:] == [200] * 3, "traffic flowing")
            killed = time.monotonic()
            master.kill()
            wait_until(lambda: 503 in traffic.since(killed), "503 during the switch", 10)
            down = min(at for at, status in traffic.answers if at >= killed and status == 503)
            wait_until(lambda: _role(replica) == "master", "the replica promoted", 10)
            promoted = time.monotonic()
            wait_until(lambda: traffic.since(down)[-3:] == [200] * 3, "200 after it", 15)
            answers = traffic.since(killed)
        last_503 = max(at for at, status in traffic.answers if status == 503)
        back = min(at for at, status in traffic.answers if at > last_503)
        print(  # the figures docs/guides/many-machines.md quotes (pytest -s)
            f"cluster failover: 503 from {down - killed:.2f} s after the kill, 200 again "
            f"{back - down:.2f} s later; the replica master by {promoted - killed:.2f} s "
            f"after the kill; answers {answers.count(200)} x 200, {answers.count(503)} x 503"
        )
        assert set(answers) == {200, 503}, answers  # never a 500
        assert down - killed < 0.3 + 2.0  # the list's bound (1 s), plus a read's timeout
        assert back - down < 15
        assert cluster.node_of(feed) is replica  # promoted, holding the feed's slot
        # A process that reads the feed afresh, from the new master, refuses bob's session:
        # given the masters as they were, or all six nodes; either URL still names the dead
        # master, which the client passes over.
        for fresh_url in (url, cluster.url):
            fresh = revocable(make_app, fresh_url).test_client()
            fresh.set_cookie(COOKIE, _cookie_of(bob))
            assert fresh.get("/api/me").status_code == 401, fresh_url
        assert bob.get("/api/me").status_code == 401
    finally:
        cluster.stop()


def _role(node: Any) -> str:
    return str(_query(node.port, "INFO", "replication")["role"])


def test_a_lost_cluster_node_answers_503_or_passes_when_failing_open(
    make_app: AppFactory, tmp_path: Path
) -> None:
    """A master of a cluster without replicas is killed: its slots are gone, the cluster
    refuses commands; sessions are refused with 503 (fail closed), not a 500, or let
    through with JWTAUTH_STORE_FAIL_OPEN."""
    require_redis_ha()
    cluster = RedisCluster(tmp_path)
    cluster.start()
    try:
        closed = revocable(make_app, cluster.url)
        opened = revocable(make_app, cluster.url, JWTAUTH_STORE_FAIL_OPEN=True)
        strict, lenient = closed.test_client(), opened.test_client()
        sign_in(strict)
        sign_in(lenient)
        assert strict.get("/api/me").status_code == 200
        with Traffic(closed, _cookie_of(strict)) as traffic:
            wait_until(lambda: traffic.since(0)[-1:] == [200], "traffic flowing")
            killed = time.monotonic()
            cluster.nodes[0].kill()
            wait_until(lambda: traffic.since(killed)[-3:] == [503] * 3, "503 once down", 10)
            answers = traffic.since(killed)
        assert set(answers) <= {200, 503}, answers
        response = strict.get("/api/me")
        assert response.status_code == 503 and response.headers["Retry-After"]
        assert lenient.get("/api/me").status_code == 200
    finally:
        cluster.stop()
