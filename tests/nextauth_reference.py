"""The reference Auth.js server: npm next-auth@4.24.15's own ``NextAuth(options)`` handler
behind node:http (``tests/nextauth_client/server.js``), on a free loopback port, with the
same users and secret as the Flask apps of the tests.

Locally the tests skip when node or the package is missing (``npm ci --prefix
tests/nextauth_client``); with CI=true they fail instead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from oidc_server import free_port
from support import SECRET, USERS

HERE = Path(__file__).parent / "nextauth_client"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (required in CI)", pytrace=False)
    pytest.skip(reason)


def require_next_auth() -> None:
    if shutil.which("node") is None:
        _unavailable("node is not installed: apt-get install nodejs npm")
    if not (HERE / "node_modules" / "next-auth").is_dir():
        _unavailable("next-auth is not installed: npm ci --prefix tests/nextauth_client")


@contextmanager
def next_auth_v4() -> Iterator[str]:
    """The reference server's origin (its routes are under ``/api/auth``), stopped after."""
    require_next_auth()
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PORT": str(port),
        "NEXTAUTH_URL": origin,
        "NEXTAUTH_SECRET": SECRET,
        "USERS": json.dumps(USERS),
    }
    process = subprocess.Popen(
        ["node", str(HERE / "server.js")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # bounded: the process prints or dies
        if not line.startswith("listening"):
            raise RuntimeError(f"the next-auth reference did not start: {line!r}")
        yield origin
    finally:
        process.terminate()
        try:
            process.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
