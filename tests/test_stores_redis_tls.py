"""The TLS store URLs against real TLS processes: ``rediss://`` (one server),
``rediss+cluster://`` (three masters, TLS on the cluster bus too) and ``rediss+sentinel://``
(a master, its replica and three sentinels, TLS between them too), all started here from
Debian's redis-server with a throwaway CA made by the test.

The CA is trusted the way docs/configuration.md says: the ``SSL_CERT_FILE`` environment
variable, which Python's ``ssl.create_default_context()`` (what redis-py builds its TLS
context with) reads. Without it the stores answer StoreUnavailable, a request with a
session 503, and nothing says a password."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import AppFactory
from redis_tls import TLSFiles, make_tls_files, require_redis_tls
from redis_topologies import RedisCluster, RedisProcess, RedisSentinelSet, _query
from support import COOKIE, attempt_sign_in, sign_in
from test_stores_redis_ha import revocable

from flask_jwtauth import revoke_session
from flask_jwtauth.stores import StoreUnavailable, open_store

KINDS = ["rediss", "rediss+cluster", "rediss+sentinel"]


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    """The module's CA and certificate, once redis-server and redis-cli are known to speak
    TLS (else a skip, or a failure with CI=true)."""
    directory = tmp_path_factory.mktemp("tls")
    files = make_tls_files(directory)
    require_redis_tls(files, directory)
    return files


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory, tls_files: TLSFiles) -> Iterator[str]:
    server = RedisProcess(tmp_path_factory.mktemp("tls-server"), tls=tls_files)
    server.start()
    try:
        yield f"rediss://127.0.0.1:{server.port}/0"
    finally:
        server.stop()


@pytest.fixture(scope="module")
def tls_cluster(
    tmp_path_factory: pytest.TempPathFactory, tls_files: TLSFiles
) -> Iterator[RedisCluster]:
    cluster = RedisCluster(tmp_path_factory.mktemp("tls-cluster"), tls=tls_files)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def tls_sentinels(
    tmp_path_factory: pytest.TempPathFactory, tls_files: TLSFiles
) -> Iterator[RedisSentinelSet]:
    group = RedisSentinelSet(tmp_path_factory.mktemp("tls-sentinel"), tls=tls_files)
    group.start()
    try:
        yield group
    finally:
        group.stop()


@pytest.fixture(params=KINDS)
def tls_url(request: pytest.FixtureRequest, tls_files: TLSFiles) -> str:
    """The URL of one of the three, emptied for this test."""
    if request.param == "rediss":
        url: str = request.getfixturevalue("tls_server")
        _query(int(url.rsplit(":", 1)[1].split("/")[0]), "FLUSHALL", tls=tls_files)
        return url
    if request.param == "rediss+cluster":
        cluster: RedisCluster = request.getfixturevalue("tls_cluster")
        cluster.flush()
        return cluster.url
    group: RedisSentinelSet = request.getfixturevalue("tls_sentinels")
    _query(group.master_port(), "FLUSHALL", tls=tls_files)
    return group.url


@pytest.fixture
def trusted(monkeypatch: pytest.MonkeyPatch, tls_files: TLSFiles) -> None:
    """The CA trusted as the docs say: SSL_CERT_FILE names its certificate."""
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_files.ca))


@pytest.fixture
def untrusted(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the system's CAs, which never signed the test's."""
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)


@pytest.mark.usefixtures("trusted")
def test_a_round_trip_over_tls(tls_url: str) -> None:
    store = open_store(tls_url, timeout=1.0)
    try:
        store.set("k", "v", 60)
        assert store.get("k") == "v"
        assert [store.incr("n", 60) for _ in range(3)] == [1, 2, 3]
        store.append("feed", "one", 60)
        store.append("feed", "two", 60)
        entries, cursor = store.since("feed", None)
        assert entries == ["one", "two"]
        store.append("feed", "three", 60)
        assert store.since("feed", cursor)[0] == ["three"]
    finally:
        store.close()


@pytest.mark.usefixtures("trusted")
def test_a_revoked_session_is_refused_over_tls(make_app: AppFactory, tls_url: str) -> None:
    """Sign in through the real form; the revoked session is refused, here and in an app
    that reads the feed afresh; another session is not."""
    app = revocable(make_app, tls_url)
    client, other = app.test_client(), app.test_client()
    sign_in(client)
    sign_in(other, "bob")
    assert client.get("/api/me").status_code == 200
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    with app.app_context():
        revoke_session(client.get("/api/whoami").get_json()["sid"])
    assert client.get("/api/me").status_code == 401
    assert other.get("/api/me").status_code == 200
    fresh = revocable(make_app, tls_url).test_client()
    fresh.set_cookie(COOKIE, cookie.value)
    assert fresh.get("/api/me").status_code == 401


SECRET = "s3cret-Tls-pw"


def _with_secrets(url: str) -> str:
    """The same URL with credentials, which the failed handshake must not show."""
    scheme, _, rest = url.partition("://")
    query = f"?sentinel_password={SECRET}-sentinel" if "sentinel" in scheme else ""
    return f"{scheme}://app:{SECRET}@{rest}{query}"


@pytest.mark.usefixtures("untrusted")
def test_an_untrusted_certificate_is_store_unavailable(
    make_app: AppFactory, tls_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The handshake fails (the certificate is checked): StoreUnavailable, a request with
    a session 503, never a 500; the error and the log say why, without the password."""
    url = _with_secrets(tls_url)
    store = open_store(url, timeout=1.0)
    try:
        with pytest.raises(StoreUnavailable) as caught:
            store.get("k")
    finally:
        store.close()
    assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value)
    assert SECRET not in str(caught.value) and SECRET not in repr(caught.value)
    caplog.set_level(logging.DEBUG)
    app = revocable(make_app, url)
    client = app.test_client()
    assert attempt_sign_in(client).status_code == 302  # the throttle not checked: logged
    response = client.get("/api/me")
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert SECRET not in response.get_data(as_text=True)
    assert "CERTIFICATE_VERIFY_FAILED" in caplog.text  # the sign-in's STORE_UNAVAILABLE
    assert SECRET not in caplog.text


@pytest.mark.usefixtures("tls_files")  # the programs speak TLS
def test_the_certificates_must_name_the_addresses_the_servers_give(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sentinels name the master by its IP address, the nodes each other by theirs
    (redis-py even turns a cluster URL's ``localhost`` into 127.0.0.1): a certificate for
    ``localhost`` only is refused there, whatever host the URL names."""
    files = make_tls_files(tmp_path, names=("localhost",))
    monkeypatch.setenv("SSL_CERT_FILE", str(files.ca))
    (tmp_path / "sentinel").mkdir()
    (tmp_path / "cluster").mkdir()
    group = RedisSentinelSet(tmp_path / "sentinel", tls=files)
    cluster = RedisCluster(tmp_path / "cluster", tls=files)
    try:
        group.start()  # the helpers connect to localhost, and Redis checks no names
        cluster.start()
        for deployment in (group, cluster):
            store = open_store(deployment.url.replace("127.0.0.1", "localhost"), timeout=1.0)
            try:
                with pytest.raises(StoreUnavailable, match=r"not valid for '127\.0\.0\.1'"):
                    store.get("k")
            finally:
                store.close()
        # The sentinels themselves answered over TLS, by the name in the URL.
        sentinel = open_store(f"rediss://localhost:{group.sentinels[0].port}/0", timeout=1.0)
        try:
            with pytest.raises(StoreUnavailable, match="unknown command"):
                sentinel.get("k")  # a sentinel has no GET: it answered, after the handshake
        finally:
            sentinel.close()
    finally:
        group.stop()
        cluster.stop()


@pytest.mark.usefixtures("untrusted")
def test_one_server_takes_its_ca_and_a_client_certificate_in_the_url(
    tmp_path: Path, tls_files: TLSFiles
) -> None:
    """``rediss://`` is redis-py's own URL: ``?ssl_ca_certs=`` names the CA without
    SSL_CERT_FILE, and ``ssl_certfile``/``ssl_keyfile`` the client certificate a server
    with Redis's default ``tls-auth-clients yes`` asks for. The Sentinel and Cluster URLs
    take neither."""
    server = RedisProcess(tmp_path, "--tls-auth-clients", "yes", tls=tls_files)
    server.start()
    try:
        url = f"rediss://127.0.0.1:{server.port}/0?ssl_ca_certs={tls_files.ca}"
        anonymous = open_store(url, timeout=1.0)
        try:
            with pytest.raises(StoreUnavailable):  # no client certificate
                anonymous.get("k")
        finally:
            anonymous.close()
        client = f"&ssl_certfile={tls_files.cert}&ssl_keyfile={tls_files.key}"
        store = open_store(url + client, timeout=1.0)
        try:
            store.set("k", "v", 60)
            assert store.get("k") == "v"
        finally:
            store.close()
    finally:
        server.stop()
    for url in (
        f"rediss+cluster://127.0.0.1:7000?ssl_ca_certs={tls_files.ca}",
        f"rediss+sentinel://127.0.0.1/mymaster?ssl_certfile={tls_files.cert}",
    ):
        with pytest.raises(ValueError, match=r"no options|unknown or repeated option"):
            open_store(url)
