"""Refresh across worker processes: two real processes (``tests/refresh_app.py``) sharing a
store, 20 concurrent requests with one cookie spread over both, against the upstream token
service. Counted on the upstream's side: one refresh, no reuse detected."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import requests
from processes import free_port
from redis_server import RedisServer, redis_server  # noqa: F401  (the fixture)
from test_refresh import burst

if TYPE_CHECKING:
    from upstream_server import Upstream

pytest_plugins = ["upstream_server"]

HERE = Path(__file__).resolve().parent
READY = re.compile(r"worker ready on (\d+)")


@contextmanager
def worker(upstream: Upstream, *config: str) -> Iterator[str]:
    """One worker process on a free port; stopped (and waited for) on the way out."""
    log = tempfile.TemporaryFile("w+")  # noqa: SIM115  (closed in the finally below)
    process = subprocess.Popen(
        [sys.executable, str(HERE / "refresh_app.py"), upstream.url, "0", *config],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    assert process.stdout is not None
    try:
        line = process.stdout.readline()
        match = READY.search(line)
        if match is None:
            log.seek(0)
            pytest.fail(f"the worker did not start: {line}{log.read()[-2000:]}")
        yield f"http://127.0.0.1:{match.group(1)}"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()
        log.close()


def sign_in(url: str) -> str:
    """The real form, as a browser: CSRF token first, then the credentials; the cookie."""
    browser = requests.Session()
    token = browser.get(f"{url}/auth/csrf", timeout=10).json()["csrfToken"]
    response = browser.post(
        f"{url}/auth/sign-in/credentials",
        data={"csrf_token": token, "username": "alice", "password": "alice-password"},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text
    return str(browser.cookies["jwtauth.session-token"])


def run_burst(upstream: Upstream, *config: str) -> tuple[list[int], dict[str, int]]:
    # A margin longer than the access token's life: the first read after sign-in is due.
    settings = ("JWTAUTH_REFRESH_MARGIN=3600", *config)
    with ExitStack() as stack:
        urls = [stack.enter_context(worker(upstream, *settings)) for _ in range(2)]
        cookie = sign_in(urls[0])
        # The upstream takes 300 ms: requests reach both processes while it refreshes.
        upstream.delay_next(1, 300, then="process")
        statuses = [r.status_code for r in burst(urls, cookie)]
        return statuses, upstream.stats()


def test_two_processes_sharing_sqlite_refresh_once(upstream: Upstream, tmp_path: Path) -> None:
    statuses, stats = run_burst(upstream, f"JWTAUTH_STORE_URL=sqlite:///{tmp_path}/store.db")
    assert statuses == [200] * 20
    assert stats["refresh_grants"] == 1
    assert stats["reuse_detections"] == 0 and stats["families_revoked"] == 0


def test_two_processes_sharing_redis_refresh_once(
    upstream: Upstream,
    redis_server: RedisServer,  # noqa: F811
) -> None:
    statuses, stats = run_burst(upstream, f"JWTAUTH_STORE_URL={redis_server.url}")
    assert statuses == [200] * 20
    assert stats["refresh_grants"] == 1
    assert stats["reuse_detections"] == 0 and stats["families_revoked"] == 0


def test_without_a_shared_store_each_process_refreshes_on_its_own(upstream: Upstream) -> None:
    """Why the store matters (and the documented limit without one): each process spends
    the refresh token once, and the upstream takes the second spend for reuse."""
    statuses, stats = run_burst(upstream)
    assert stats["refresh_grants"] == 2
    assert stats["reuse_detections"] == 1
    assert statuses.count(200) < 20


# -- gunicorn workers with no store configured (issue 19, item 8a) ---------------------------


@contextmanager
def gunicorn(upstream: Upstream, instance: Path, workers: int = 4) -> Iterator[str]:
    """``gunicorn -w 4`` serving the refresh app, no store configured; stopped on the way
    out."""
    executable = shutil.which("gunicorn", path=str(Path(sys.executable).parent))
    if executable is None:
        if os.environ.get("CI") == "true":
            pytest.fail("gunicorn is missing (the test extra installs it)")
        pytest.skip("gunicorn is not installed in this environment")
    port = free_port()
    # A margin longer than the access token's life: the first read after sign-in is due.
    factory = (
        f"refresh_app:create_app({upstream.url!r}, instance_path={str(instance)!r}, "
        "JWTAUTH_REFRESH_MARGIN=3600)"
    )
    log = tempfile.TemporaryFile("w+")  # noqa: SIM115  (closed in the finally below)
    process = subprocess.Popen(
        [executable, "-w", str(workers), "-b", f"127.0.0.1:{port}", "--chdir", str(HERE), factory],
        stdout=log,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{url}/auth/csrf", timeout=5)
                break
            except (requests.ConnectionError, requests.Timeout):  # starting, or a busy machine
                if time.monotonic() > deadline or process.poll() is not None:
                    log.seek(0)
                    pytest.fail(f"gunicorn did not start: {log.read()[-2000:]}")
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def test_gunicorn_workers_without_a_store_refresh_once(
    upstream: Upstream, tmp_path: Path
) -> None:
    """Four gunicorn workers and no JWTAUTH_STORE_URL used to turn one expiring access token
    into four upstream refreshes, a reuse detection and the family revoked. The server says
    it runs several processes (wsgi.multiprocess): refreshes then go through the instance
    folder's SQLite file, single-flight across the workers."""
    with gunicorn(upstream, tmp_path / "instance") as url:
        # Every worker has served a request before the burst (each sees the server's flag).
        for _ in range(16):
            requests.get(f"{url}/auth/csrf", timeout=30)
        cookie = sign_in(url)
        upstream.delay_next(1, 300, then="process")
        statuses = [r.status_code for r in burst([url], cookie)]
    stats = upstream.stats()
    assert stats["refresh_grants"] == 1, stats
    assert stats["reuse_detections"] == 0 and stats["families_revoked"] == 0
    assert statuses == [200] * 20
    assert (tmp_path / "instance" / "jwtauth.db").exists()
