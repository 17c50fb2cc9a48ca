"""Load and soak against a real WSGI server: gunicorn on loopback, many signed-in sessions
that roll during the run, driven by wrk. Zero errors, zero lost sessions, worker memory flat.

Bounded: ``JWTAUTH_SOAK_SECONDS`` (default 15; CI sets more) of load; every process it starts
is stopped. Figures are printed for the closing notes (run with ``-s`` to see them).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

HERE = Path(__file__).parent
SESSIONS = 300


def _need(tool: str, how: str) -> None:
    if shutil.which(tool) is None and not Path(sys.executable).with_name(tool).exists():
        reason = f"{tool} is missing: {how}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def _workers(master: int) -> list[int]:
    out = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True
    )
    return [int(p) for p in out.stdout.split()]


def _sign_in(base: str, name: str) -> str:
    client = requests.Session()
    page = client.get(base + "/auth/sign-in", timeout=5).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    response = client.post(
        base + "/auth/sign-in/credentials",
        data={"username": name, "password": "pw", "csrf_token": token.group(1)},
        allow_redirects=False,
        timeout=5,
    )
    assert response.status_code == 302
    return "; ".join(f"{c.name}={c.value}" for c in client.cookies)


def test_soak_under_gunicorn(tmp_path: Path) -> None:
    _need("wrk", "apt-get install wrk")
    _need("gunicorn", "pip install gunicorn")
    seconds = int(os.environ.get("JWTAUTH_SOAK_SECONDS", "15"))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--log-level", "warning", "soak_app:app"],
        cwd=HERE / "soak",
        env={**os.environ, "PYTHONPATH": str(HERE / "soak")},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(base + "/api/me", timeout=1)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.1)
        cookies = [_sign_in(base, f"user{n}") for n in range(SESSIONS)]
        jar = tmp_path / "cookies.txt"
        jar.write_text("\n".join(cookies) + "\n")
        warm = [
            "wrk",
            "-t1",
            "-c8",
            "-d2s",
            "-s",
            str(HERE / "soak" / "rotate.lua"),
            base,
            "--",
            str(jar),
        ]
        subprocess.run(warm, capture_output=True, check=True, timeout=60)
        before = {pid: _rss_kb(pid) for pid in _workers(server.pid)}
        run = [*warm[:3], f"-d{seconds}s", *warm[4:]]
        out = subprocess.run(
            run, capture_output=True, text=True, check=True, timeout=seconds + 60
        ).stdout
        after = {pid: _rss_kb(pid) for pid in _workers(server.pid)}
        total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
        growth = {pid: after.get(pid, 0) - kb for pid, kb in before.items()}
        print(
            f"\nsoak: {total} requests in {seconds} s ({rps:.0f}/s) over {SESSIONS} sessions, "
            f"2 workers; RSS growth per worker (KiB): {growth}"
        )
        assert "Non-2xx" not in out and "Socket errors" not in out, out
        assert set(after) == set(before), "a worker died during the run"
        assert all(kb < 8 * 1024 for kb in growth.values()), growth
        # No session lost: every original cookie still works after the run.
        lost = [
            c
            for c in cookies
            if requests.get(base + "/api/me", headers={"Cookie": c}, timeout=5).status_code != 200
        ]
        assert lost == []
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
