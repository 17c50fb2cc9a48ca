"""Redis Sentinel and Redis Cluster (issue 23), as real processes in a temp directory, on
free loopback ports, optionally TLS-only: a master and its replica under three sentinels,
a cluster of three masters (with or without a replica each), stopped by whoever started them.

Without Debian's redis-server and redis-cli the tests that need them skip locally and fail
in CI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from processes import free_port, stop
from redis_server import BINARY, require_redis

CLI = "redis-cli"
#: A sentinel's name for the master it watches (the service name of a redis+sentinel URL).
SERVICE = "mymaster"


def require_redis_ha() -> None:
    """redis-server for the nodes and sentinels, redis-cli to create a cluster (Debian's
    redis-tools, a dependency of redis-server)."""
    require_redis()
    if shutil.which(CLI) is None:
        reason = "redis-cli is not installed: apt-get install redis-tools"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (required in CI)", pytrace=False)
        pytest.skip(reason)


def wait_until(check: Callable[[], bool], what: str, seconds: float = 10.0) -> float:
    """Poll ``check`` until it holds, at most ``seconds``; how long it took. A check that
    raises (a server not up yet) counts as not holding."""
    started = time.monotonic()
    while True:
        try:
            if check():
                return time.monotonic() - started
        except Exception:  # anything but "yes" means "not yet"
            pass
        if time.monotonic() - started > seconds:
            raise AssertionError(f"{what}: not within {seconds} s")
        time.sleep(0.05)


@dataclass(frozen=True)
class TLSFiles:
    """A CA's certificate, and the certificate and key of the servers it signed (made by
    ``redis_tls``). The processes below given one speak only TLS (``--port 0 --tls-port
    N``), to each other too, and ask no certificate of their clients; the tests' own
    clients show the servers' certificate as theirs, for a server told to ask."""

    ca: Path
    cert: Path
    key: Path

    def server_options(self) -> list[str]:
        return [
            *("--tls-cert-file", str(self.cert), "--tls-key-file", str(self.key)),
            *("--tls-ca-cert-file", str(self.ca), "--tls-auth-clients", "no"),
            *("--tls-replication", "yes"),
        ]

    def client_options(self) -> dict[str, Any]:
        files = {"ssl_ca_certs": self.ca, "ssl_certfile": self.cert, "ssl_keyfile": self.key}
        return {"ssl": True, **{name: str(path) for name, path in files.items()}}

    def cli_options(self) -> list[str]:
        return ["--tls", "--cacert", str(self.ca), "--cert", str(self.cert), "--key", str(self.key)]


def _client(port: int, tls: TLSFiles | None = None) -> Any:
    import redis

    secure: dict[str, Any] = tls.client_options() if tls else {}
    return redis.Redis(port=port, socket_timeout=1, decode_responses=True, **secure)


def _query(port: int, *command: str, tls: TLSFiles | None = None) -> Any:
    client = _client(port, tls)
    try:
        return client.execute_command(*command)
    finally:
        client.close()


def _cluster_ok(port: int, tls: TLSFiles | None = None) -> bool:
    return "cluster_state:ok" in _query(port, "CLUSTER", "INFO", tls=tls)


def _sentinel_ready(port: int, tls: TLSFiles | None = None) -> bool:
    """The sentinel knows the replica and the two other sentinels."""
    return bool(
        len(_query(port, "SENTINEL", "REPLICAS", SERVICE, tls=tls)) == 1
        and len(_query(port, "SENTINEL", "SENTINELS", SERVICE, tls=tls)) == 2
    )


class RedisProcess:
    """One redis-server (a node, a replica or a sentinel) on a free loopback port, its
    files in ``directory``; with ``tls``, its port is a TLS one (and it has no other)."""

    def __init__(
        self,
        directory: Path,
        *arguments: str,
        port: int | None = None,
        tls: TLSFiles | None = None,
    ) -> None:
        self.directory = directory
        self.port = port or free_port()
        self.arguments = arguments
        self.tls = tls
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, *, leading: Sequence[str] = ()) -> None:
        ports = ["--port", str(self.port)]
        if self.tls is not None:
            ports = ["--port", "0", "--tls-port", str(self.port), *self.tls.server_options()]
        self.process = subprocess.Popen(
            [
                BINARY,
                *leading,
                *ports,
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.directory),
                "--save",
                "",
                "--appendonly",
                "no",
                *self.arguments,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            ping = partial(_query, self.port, "PING", tls=self.tls)
            wait_until(lambda: bool(ping()), f"redis on {self.port}")
        except AssertionError:
            self.stop()
            raise

    def kill(self) -> None:
        """SIGKILL: the machine is gone, no goodbye to anyone."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None


class RedisCluster:
    """Three masters (``redis-cli --cluster create``), by default with no replicas: a
    node's failure then leaves its slots uncovered, and the cluster refuses commands until
    it is back. With ``replicas``, each master has that many, and the cluster promotes one
    when its master fails (``cluster-node-timeout`` 1 s, then an election). With ``tls``,
    the nodes speak TLS to clients and on the cluster bus."""

    def __init__(
        self,
        directory: Path,
        masters: int = 3,
        tls: TLSFiles | None = None,
        replicas: int = 0,
    ) -> None:
        self.tls = tls
        self.replicas = replicas
        self.nodes: list[RedisProcess] = []
        bus_tls = ("--tls-cluster", "yes") if tls else ()
        # A replica's full sync starts at once, not after the default 5 s wait for others.
        quick = ("--repl-diskless-sync-delay", "0") if replicas else ()
        for _ in range(masters * (1 + replicas)):
            port = free_port()
            self.nodes.append(
                RedisProcess(
                    directory,
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    f"nodes-{port}.conf",
                    "--cluster-node-timeout",
                    "1000",
                    # The bus on a port of its own (the default, port + 10000, may be taken
                    # or past 65535).
                    "--cluster-port",
                    str(free_port()),
                    *bus_tls,
                    *quick,
                    port=port,
                    tls=tls,
                )
            )

    @property
    def url(self) -> str:
        return self.url_of(self.nodes)

    def url_of(self, nodes: Sequence[RedisProcess]) -> str:
        """A URL that lists only ``nodes`` (the client learns the others from them)."""
        scheme = "rediss+cluster" if self.tls else "redis+cluster"
        return f"{scheme}://" + ",".join(f"127.0.0.1:{n.port}" for n in nodes)

    def start(self) -> None:
        try:
            for node in self.nodes:
                node.start()
            subprocess.run(
                [
                    CLI,
                    *(self.tls.cli_options() if self.tls else ()),
                    "--cluster",
                    "create",
                    *(f"127.0.0.1:{n.port}" for n in self.nodes),
                    "--cluster-replicas",
                    str(self.replicas),
                    "--cluster-yes",
                ],
                check=True,
                capture_output=True,
                timeout=30,
            )
            for node in self.nodes:
                ok = partial(_cluster_ok, node.port, self.tls)
                wait_until(ok, f"cluster node {node.port} ready")
            for node in self.nodes:  # every replica's link to its master is up
                linked = partial(self._replica_linked, node)
                wait_until(linked, f"cluster node {node.port} linked to its master")
        except BaseException:
            self.stop()
            raise

    def _replica_linked(self, node: RedisProcess) -> bool:
        found = _query(node.port, "INFO", "replication", tls=self.tls)
        return bool(found["role"] == "master" or found["master_link_status"] == "up")

    def _live(self) -> list[RedisProcess]:
        return [node for node in self.nodes if node.process is not None]

    def masters(self) -> list[RedisProcess]:
        """The nodes that are masters now, as each live node says of itself."""
        return [
            node
            for node in self._live()
            if _query(node.port, "INFO", "replication", tls=self.tls)["role"] == "master"
        ]

    def replica_of(self, master: RedisProcess) -> RedisProcess:
        """A live replica of ``master``, as the master says."""
        found = _query(master.port, "INFO", "replication", tls=self.tls)
        ports = {int(found[f"slave{i}"]["port"]) for i in range(int(found["connected_slaves"]))}
        return next(node for node in self._live() if node.port in ports)

    def node_of(self, key: str) -> RedisProcess:
        """The master that holds ``key``'s slot, as a live node says."""
        asker = self._live()[0].port
        slot = int(_query(asker, "CLUSTER", "KEYSLOT", key, tls=self.tls))
        for start, end, (_, port, *_rest), *_replicas in _query(
            asker, "CLUSTER", "SLOTS", tls=self.tls
        ):
            if start <= slot <= end:
                return next(node for node in self.nodes if node.port == port)
        raise LookupError(f"no node holds slot {slot}")

    def flush(self) -> None:
        for node in self.masters() if self.replicas else self._live():
            _query(node.port, "FLUSHALL", tls=self.tls)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


class RedisSentinelSet:
    """A master, its replica and three sentinels watching them (quorum two), with short
    failure detection: a master that stops answering for half a second is replaced. With
    ``tls``, all of them speak TLS, to clients and to each other."""

    def __init__(self, directory: Path, tls: TLSFiles | None = None) -> None:
        self.directory = directory
        self.tls = tls
        # A replica's full sync starts at once, not after the default 5 s wait for others.
        quick = ("--repl-diskless-sync-delay", "0")
        self.master = RedisProcess(directory, *quick, tls=tls)
        self.replica = RedisProcess(
            directory, *quick, "--replicaof", "127.0.0.1", str(self.master.port), tls=tls
        )
        self.sentinels = [RedisProcess(directory, tls=tls) for _ in range(3)]

    @property
    def url(self) -> str:
        hosts = ",".join(f"127.0.0.1:{s.port}" for s in self.sentinels)
        scheme = "rediss+sentinel" if self.tls else "redis+sentinel"
        return f"{scheme}://{hosts}/{SERVICE}/0"

    def start(self) -> None:
        try:
            self.master.start()
            self.replica.start()
            wait_until(lambda: self.replica_in_sync(), "the replica in sync")
            # Each told of the replica and of the others up front: discovering them (the
            # master's INFO, hello messages) takes seconds.
            ids = {s.port: os.urandom(20).hex() for s in self.sentinels}
            for sentinel in self.sentinels:
                conf = self.directory / f"sentinel-{sentinel.port}.conf"
                known = "".join(
                    f"sentinel known-sentinel {SERVICE} 127.0.0.1 {port} {ident}\n"
                    for port, ident in ids.items()
                    if port != sentinel.port
                )
                conf.write_text(
                    f"sentinel myid {ids[sentinel.port]}\n"
                    f"sentinel monitor {SERVICE} 127.0.0.1 {self.master.port} 2\n"
                    f"sentinel down-after-milliseconds {SERVICE} 500\n"
                    f"sentinel failover-timeout {SERVICE} 2000\n"
                    f"sentinel known-replica {SERVICE} 127.0.0.1 {self.replica.port}\n"
                    + known
                )
                sentinel.start(leading=[str(conf), "--sentinel"])
            for sentinel in self.sentinels:  # each knows the replica and the others
                ready = partial(_sentinel_ready, sentinel.port, self.tls)
                wait_until(ready, f"sentinel {sentinel.port} ready")
        except BaseException:
            self.stop()
            raise

    def replica_in_sync(self) -> bool:
        """The replica's link is up and it has everything the master wrote so far."""
        master = _query(self.master.port, "INFO", "replication", tls=self.tls)
        replica = _query(self.replica.port, "INFO", "replication", tls=self.tls)
        return bool(
            replica["master_link_status"] == "up"
            and replica["slave_repl_offset"] == master["master_repl_offset"]
        )

    def master_port(self) -> int:
        """The master's port, as the first sentinel names it."""
        first = self.sentinels[0].port
        _, port = _query(first, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", SERVICE, tls=self.tls)
        return int(port)

    def stop(self) -> None:
        for process in (*self.sentinels, self.replica, self.master):
            process.stop()


@pytest.fixture(scope="module")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisCluster]:
    """One cluster for a module's tests (flushed by whoever needs it empty)."""
    require_redis_ha()
    cluster = RedisCluster(tmp_path_factory.mktemp("cluster"))
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def redis_sentinels(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisSentinelSet]:
    """One master, replica and sentinels for a module's tests that do not kill any."""
    require_redis_ha()
    group = RedisSentinelSet(tmp_path_factory.mktemp("sentinel"))
    group.start()
    try:
        yield group
    finally:
        group.stop()
