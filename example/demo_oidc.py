"""A local OpenID provider for the example's "Sign in with ..." button, so that a provider
sign-in works out of the box with no account anywhere: PyPI's ``oidc-provider-mock``,
started beside the example as its own process (it is a development tool: its login form
signs in whoever you type), stopped when the example exits or is sent SIGTERM.

``EXAMPLE_DEMO_OIDC=0`` turns it off; ``EXAMPLE_DEMO_OIDC_URL`` points at one already
running. A real provider is three settings away (``JWTAUTH_PROVIDER_GITHUB_CLIENT_ID`` and
``..._SECRET``, see :func:`real_providers`).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from typing import Any

import requests

from flask_jwtauth import GitHub, Google, Keycloak, OIDCProvider, Provider

from . import children

START_TIMEOUT = 30.0
CLIENT_ID = "flask-jwtauth-example"
#: The mock accepts any client secret; a real provider's comes from the environment.
CLIENT_SECRET = "demo-only-client-secret"
DEMO_USER = {"sub": "demo", "name": "Demo User", "email": "demo@example.com"}


class DemoProvider:
    """The running mock: its issuer ``url``, and ``stop()`` (also run at exit)."""

    def __init__(self, process: subprocess.Popen[bytes], url: str) -> None:
        self.process = process
        self.url = url

    def stop(self) -> None:
        children.stop_process(self.process)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_demo_provider() -> DemoProvider:
    """``python -m oidc_provider_mock`` on a free loopback port, once it answers."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-W", "ignore", "-m", "oidc_provider_mock", "--port", str(port)]
    command += ["--user-claims", json.dumps(DEMO_USER)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    provider = DemoProvider(process, url)
    children.adopt(provider.stop)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the demo OpenID provider exited: pip install oidc-provider-mock")
        try:
            if requests.get(f"{url}/.well-known/openid-configuration", timeout=1).ok:
                return provider
        except requests.RequestException:
            pass
        time.sleep(0.1)
    provider.stop()
    raise RuntimeError(f"the demo OpenID provider did not answer within {START_TIMEOUT:.0f} s")


def demo_provider(issuer: str) -> OIDCProvider:
    return OIDCProvider(
        "demo",
        "Demo OpenID provider",
        issuer=issuer,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )


def real_providers(config: Mapping[str, Any]) -> list[Provider]:
    """GitHub, Google and Keycloak, each when its settings are in the environment."""
    found: list[Provider] = []
    if config.get("JWTAUTH_PROVIDER_GITHUB_CLIENT_ID"):
        found.append(GitHub())
    if config.get("JWTAUTH_PROVIDER_GOOGLE_CLIENT_ID"):
        found.append(Google())
    if config.get("JWTAUTH_PROVIDER_KEYCLOAK_CLIENT_ID"):
        found.append(Keycloak())
    return found
