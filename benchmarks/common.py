"""What both benchmarks share: loopback ports, throwaway Redis servers, the markdown table
and the versions a run is reported with."""

from __future__ import annotations

import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from importlib import metadata
from pathlib import Path

PACKAGES = ("flask", "werkzeug", "flask-jwtauth", "joserfc", "flask-login", "flask-jwt-extended")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, seconds: float, alive: subprocess.Popen[bytes]) -> bool:
    """Polls until something accepts on the port; False when the process died or time ran out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if alive.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


#: The cores the server and the load generator are pinned to (``pinned``), when there are two.
SERVER_CPU, CLIENT_CPU = 0, 1


def pinned(cpu: int | None) -> Callable[[], None] | None:
    """A ``preexec_fn`` that keeps a child process (and its own children) on one core, so
    the server and wrk do not take turns on the same one: the figures then move far less
    between rounds. None where the OS cannot pin or there is a single core."""
    if cpu is None or not hasattr(os, "sched_setaffinity") or (os.cpu_count() or 1) < 2:
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def redis_server() -> Iterator[str | None]:
    """A redis-server on a free loopback port for the run, stopped after; None if missing."""
    if shutil.which("redis-server") is None:
        yield None
        return
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
        stdout=subprocess.DEVNULL,
    )
    try:
        yield f"redis://127.0.0.1:{port}/0" if wait_for_port(port, 10, process) else None
    finally:
        stop(process)


@contextmanager
def redis_topologies(wanted: bool = True) -> Iterator[dict[str, tuple[str, tuple[str, ...]]]]:
    """Redis Sentinel (a master, its replica, three sentinels) and a three-master Redis
    Cluster, started as the tests start them (when redis-cli is installed) and stopped
    after: kind -> (the store URL, the data nodes whose commands are counted)."""
    if not wanted or shutil.which("redis-cli") is None:
        yield {}
        return
    # The tests' own helpers, importable as the tests import them (tests/ on the path).
    tests = str(Path(__file__).resolve().parent.parent / "tests")
    if tests not in sys.path:
        sys.path.insert(0, tests)
    from redis_topologies import RedisCluster, RedisSentinelSet

    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        sentinels, cluster = RedisSentinelSet(Path(folder)), RedisCluster(Path(folder))
        for topology in (sentinels, cluster):
            stack.callback(topology.stop)
            topology.start()
        plain = "redis://127.0.0.1:{}/0".format
        yield {
            "sentinel": (sentinels.url, (plain(sentinels.master.port),)),
            "cluster": (cluster.url, tuple(plain(node.port) for node in cluster.nodes)),
        }


def quartiles(values: Sequence[float]) -> tuple[float, float]:
    if len(values) < 2:
        return values[0], values[0]
    q = statistics.quantiles(values, n=4)
    return q[0], q[2]


def environment() -> dict[str, str]:
    versions = {p: metadata.version(p) for p in PACKAGES}
    return {"python": platform.python_version(), "machine": platform.machine(), **versions}


def markdown(header: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool]) -> str:
    """A padded markdown table (readable as text, renders on GitHub)."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        padded = (
            c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right, strict=True)
        )
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def fmt(value: float | None, spec: str, suffix: str = "") -> str:
    return "-" if value is None else f"{value:{spec}}{suffix}"


def verdict(ok: bool) -> str:
    return "MET" if ok else "NOT MET"
