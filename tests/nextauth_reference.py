"""The reference Auth.js servers, on a free loopback port, with the same users and secret as
the Flask apps of the tests (and an email provider whose last link ``GET /__last_link``
answers): npm next-auth@4.24.15's own ``NextAuth(options)`` handler behind
node:http (``tests/nextauth_client/server.js``), and for v5 npm @auth/core@0.41.3's own
``Auth(request, config)`` (``tests/nextauth_v5/server.mjs``; next-auth@5.0.0-beta.32 runs it).

Locally the tests skip when node or the package is missing (``npm ci --prefix
tests/nextauth_client``, ``npm ci --prefix tests/nextauth_v5``); with CI=true they fail
instead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from processes import free_port, stop
from support import SECRET, USERS

HERE = Path(__file__).parent / "nextauth_client"
HERE_V5 = Path(__file__).parent / "nextauth_v5"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (required in CI)", pytrace=False)
    pytest.skip(reason)


def require_next_auth(version: int = 4) -> None:
    if shutil.which("node") is None:
        _unavailable("node is not installed: apt-get install nodejs npm")
    here, package = (HERE, "next-auth") if version == 4 else (HERE_V5, "@auth/core")
    if not (here / "node_modules" / package).is_dir():
        _unavailable(f"{package} is not installed: npm ci --prefix tests/{here.name}")


def _oidc(oidc: dict[str, Any] | None) -> dict[str, str]:
    """The OpenID provider the reference adds as ``oidc``: ``{issuer, client_id,
    client_secret}`` (its redirect URI, ``<origin>/api/auth/callback/oidc``, registered)."""
    return {"OIDC": json.dumps(oidc)} if oidc else {}


@contextmanager
def next_auth_v4(port: int | None = None, oidc: dict[str, Any] | None = None) -> Iterator[str]:
    """next-auth v4's origin (its routes are under ``/api/auth``), stopped after."""
    require_next_auth(4)
    port = port or free_port()
    origin = f"http://127.0.0.1:{port}"
    env = {"NEXTAUTH_URL": origin, "NEXTAUTH_SECRET": SECRET, **_oidc(oidc)}
    with _node(HERE / "server.js", port, env):
        yield origin


@contextmanager
def next_auth_v5(port: int | None = None, oidc: dict[str, Any] | None = None) -> Iterator[str]:
    """Auth.js v5's origin (@auth/core, its routes under ``/api/auth``), stopped after."""
    require_next_auth(5)
    port = port or free_port()
    with _node(HERE_V5 / "server.mjs", port, {"AUTH_SECRET": SECRET, **_oidc(oidc)}):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def _node(script: Path, port: int, extra: dict[str, str]) -> Iterator[None]:
    env = {**os.environ, **extra, "PORT": str(port), "USERS": json.dumps(USERS)}
    process = subprocess.Popen(
        ["node", str(script)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # bounded: the process prints or dies
        if not line.startswith("listening"):
            raise RuntimeError(f"the reference {script.name} did not start: {line!r}")
        yield
    finally:
        stop(process)
