"""Real processes behind a real proxy: app instances under gunicorn and one nginx in front.

Each is started on a free loopback port and stopped at the end (terminated, killed after a
deadline). nginx runs as its own master with a configuration and a prefix in a temporary
folder (no system service, nothing under /etc or /var). Without Debian's nginx, gunicorn or
wrk, the tests that need them skip locally and fail with CI=true.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

import pytest
import requests
from processes import free_port

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
#: Debian puts nginx in /usr/sbin, which is not on every user's PATH.
NGINX_PLACES = ("/usr/sbin/nginx", "/usr/local/sbin/nginx")
START_TIMEOUT = 20.0
STOP_TIMEOUT = 5.0


def require(program: str, found: str | None, how: str) -> str:
    """``found``, or skip (locally) / fail (with CI=true) naming what is missing."""
    if found is None:
        reason = f"{program} is not installed: {how}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (required in CI)", pytrace=False)
        pytest.skip(reason)
    return found


def nginx_binary() -> str:
    found = shutil.which("nginx") or next(
        (place for place in NGINX_PLACES if os.access(place, os.X_OK)), None
    )
    return require("nginx", found, "apt-get install nginx")


def gunicorn_binary() -> str:
    found = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or shutil.which(
        "gunicorn"
    )
    return require("gunicorn", found, "the test extra installs it: pip install -e '.[test]'")


def wrk_binary() -> str:
    return require("wrk", shutil.which("wrk"), "apt-get install wrk")


def stop_group(process: subprocess.Popen[bytes], timeout: float = STOP_TIMEOUT) -> None:
    """Terminate a process started in a session of its own and everything in its group
    (gunicorn's workers too); after ``timeout``, or once the leader is gone, kill what is
    left."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: IO[str], what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            log.seek(0)
            stop_group(process)
            pytest.fail(f"{what} did not start: {log.read()[-3000:]}", pytrace=False)
        time.sleep(0.05)


class Instance:
    """One app instance: ``gunicorn -w WORKERS`` serving ``APP`` on its own port.

    ``env`` is added to the process's environment (the app reads its settings there).
    """

    def __init__(self, name: str, app: str, env: Mapping[str, str], workers: int = 2) -> None:
        self.name = name
        self.app = app
        self.env = dict(env)
        self.workers = workers
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        """Start the process; :meth:`wait_ready` waits for it (several start at once)."""
        self._log = tempfile.TemporaryFile("w+")  # noqa: SIM115  (closed in stop)
        path = os.pathsep.join(filter(None, [str(HERE), str(ROOT), os.environ.get("PYTHONPATH")]))
        command = [gunicorn_binary(), "--workers", str(self.workers), "--worker-class", "sync",
                   "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning",
                   "--chdir", str(HERE), self.app]  # fmt: skip
        self.process = subprocess.Popen(
            command,
            env={**os.environ, **self.env, "PYTHONPATH": path},
            stdout=self._log,
            stderr=self._log,
            start_new_session=True,  # one group: stopped (or killed) with its workers
        )

    def wait_ready(self, path: str = "/plain") -> None:
        assert self.process is not None and self._log is not None
        wait_until_up(self.url + path, self.process, self._log, f"gunicorn instance {self.name}")

    def worker_pids(self) -> set[int]:
        """The master's children: its workers, as the kernel lists them."""
        if self.process is None:
            return set()
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return {int(pid) for pid in children.read_text().split()}
        except FileNotFoundError:
            return set()

    def kill(self) -> None:
        """SIGKILL the master and its workers at once: a machine lost mid-request."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(STOP_TIMEOUT)

    def stop(self) -> None:
        if self.process is not None:
            stop_group(self.process)
            self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None


NGINX_CONF = """\
daemon off;
master_process on;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    upstream instances {{
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://instances;
            # A dead instance (connection refused, or closed mid-answer) is skipped: the
            # request goes to the next one (nginx retries idempotent requests only).
            proxy_next_upstream error timeout;
            proxy_connect_timeout 1s;
            proxy_read_timeout 30s;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $host;
        }}
    }}
}}
"""


class Nginx:
    """One nginx, round robin over ``upstreams`` (``host:port``), on a free loopback port."""

    def __init__(self, upstreams: Sequence[str]) -> None:
        self.upstreams = list(upstreams)
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._log: IO[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def prefix(self) -> Path:
        assert self._folder is not None
        return Path(self._folder.name)

    def start(self, ready_path: str = "/plain") -> None:
        binary = nginx_binary()
        self._folder = tempfile.TemporaryDirectory(prefix="jwtauth-nginx-")
        prefix = self.prefix
        servers = "\n".join(
            f"        server {up} max_fails=1 fail_timeout=10s;" for up in self.upstreams
        )
        conf = prefix / "nginx.conf"
        conf.write_text(NGINX_CONF.format(prefix=prefix, port=self.port, servers=servers))
        self._log = tempfile.TemporaryFile("w+")  # noqa: SIM115  (closed in stop)
        # -e: the error log before the configuration is read (not /var/log/nginx).
        self.process = subprocess.Popen(
            [binary, "-c", str(conf), "-p", str(prefix), "-e", str(prefix / "error.log")],
            stdout=self._log,
            stderr=self._log,
            start_new_session=True,
        )
        wait_until_up(self.url + ready_path, self.process, self._log, "nginx")

    def error_log(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text() if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None:
            stop_group(self.process)  # SIGTERM: nginx's fast shutdown
            self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None
