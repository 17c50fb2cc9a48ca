"""The example as a person runs it (``flask --app example run``), in its own process: the
processes it starts beside itself stop with it (issue 21, item 3)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from processes import free_port

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc for children")

ROOT = Path(__file__).resolve().parents[1]


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces, so split after its ")".
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["kill", "ctrl-c"])
def test_stopping_the_example_stops_the_processes_beside_it(
    tmp_path: Path, sig: signal.Signals
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "EXAMPLE_SCENARIO": "backend-tokens",  # the upstream token service, and
        "EXAMPLE_DEMO_OIDC": "1",  # the demo OpenID provider, and
        "EXAMPLE_DEMO_MAIL": "1",  # the local mail server
        "EXAMPLE_DATABASE": str(tmp_path / "users.sqlite3"),
    }
    env.pop("EXAMPLE_UPSTREAM_URL", None)
    env.pop("EXAMPLE_DEMO_OIDC_URL", None)
    command = [sys.executable, "-m", "flask", "--app", "example", "run", "--port", str(port)]
    process = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    children: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, "the example exited at start"
            try:
                if requests.get(f"http://127.0.0.1:{port}/", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        else:
            pytest.fail("the example did not answer within 60 s")
        children = _children(process.pid)
        assert len(children) == 3, children  # the provider, the token service, the mail

        process.send_signal(sig)
        assert process.wait(20) != 0 or sig is signal.SIGINT
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in children if _alive(pid)]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for pid in children:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
