"""A real OpenID provider (npm ``oidc-provider``) on a free loopback port, started and stopped
by the tests, and a user's browser walking its login and consent forms (plain HTTP).

Locally the tests skip when node or the package is missing (``npm ci --prefix tests/oidc``);
with CI=true they fail instead.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
import requests
from processes import free_port, stop

HERE = Path(__file__).parent / "oidc"
REDIRECT = "http://127.0.0.1:5000/auth/callback/oidc"
#: Where the provider sends the browser back: our callback route, for any provider id.
CALLBACK_BASE = "http://127.0.0.1:5000/auth/callback/"
#: Two more provider ids on the same OP, for one app with two OpenID providers.
REDIRECTS = [REDIRECT, f"{CALLBACK_BASE}idp-a", f"{CALLBACK_BASE}idp-b"]
CLIENTS = [
    {
        "client_id": "app",
        "client_secret": "app-secret-0123456789abcdef0123456789",
        "redirect_uris": REDIRECTS,
        "grant_types": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_method": "client_secret_basic",
    },
    {
        "client_id": "other-app",
        "client_secret": "other-secret-0123456789abcdef01234567",
        "redirect_uris": REDIRECTS,
        "grant_types": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_method": "client_secret_basic",
    },
]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (required in CI)", pytrace=False)
    pytest.skip(reason)


@dataclass
class OpenIDProvider:
    port: int
    process: subprocess.Popen[str] | None = None
    #: A private JWKS to sign with (None: oidc-provider's development keys).
    jwks: dict[str, Any] | None = None
    #: The registered clients (None: CLIENTS, whose redirect URI is on port 5000).
    clients: list[dict[str, Any]] | None = None
    #: More of server.mjs's environment (REFRESH_EXPIRES_IN, ACCESS_TTL).
    env: dict[str, str] | None = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        clients = self.clients if self.clients is not None else CLIENTS
        env = {**os.environ, "PORT": str(self.port), "OIDC_CLIENTS": json.dumps(clients)}
        if self.jwks is not None:
            env["OIDC_JWKS"] = json.dumps(self.jwks)
        env.update(self.env or {})
        self.process = subprocess.Popen(
            ["node", str(HERE / "server.mjs")],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # bounded: the process prints or dies
        if not line.startswith("READY"):
            self.stop()
            raise RuntimeError(f"oidc-provider did not start: {line!r}")

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None

    def rotate_keys(self, jwks: dict[str, Any]) -> None:
        """Restart on the same port signing with ``jwks``: what a provider's key rotation
        looks like to its clients (sessions at the provider are lost; ours are not)."""
        self.stop()
        self.jwks = jwks
        self.start()

    def stats(self) -> dict[str, int]:
        found: dict[str, int] = requests.get(f"{self.issuer}/__stats", timeout=5).json()
        return found

    def delay_token_endpoint(self, ms: int) -> None:
        self.control(delay=ms)

    def control(self, **values: str | int) -> None:
        """Script the provider until changed or restarted (server.mjs lists the controls):
        ``control(email_verified="false")``, ``control(id_token_aud="app,other-app")``..."""
        answer = requests.post(f"{self.issuer}/__control", params=values, timeout=5)
        answer.raise_for_status()


def require_oidc_provider() -> None:
    """Skip (locally) or fail (CI) when node or oidc-provider is missing."""
    if shutil.which("node") is None:
        _unavailable("node is not installed: apt-get install nodejs npm")
    if not (HERE / "node_modules" / "oidc-provider").is_dir():
        _unavailable("oidc-provider is not installed: npm ci --prefix tests/oidc")


@pytest.fixture
def openid_provider() -> Iterator[OpenIDProvider]:
    require_oidc_provider()
    provider = OpenIDProvider(free_port())
    provider.start()
    try:
        yield provider
    finally:
        provider.stop()


def _form(html: str, base: str) -> tuple[str, dict[str, str]]:
    action = re.search(r'<form[^>]*action="([^"]+)"', html)
    assert action is not None, html[:500]
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html))
    return urljoin(base, action.group(1)), fields


def authorize_in_browser(
    authorization_url: str,
    *,
    login: str = "alice",
    consent: bool = True,
    callback_base: str = CALLBACK_BASE,
) -> str:
    """Walk the provider's development login and consent forms as a user would; return the
    URL the provider sends the browser back to (the first under ``callback_base``: our
    callback, not followed)."""
    browser = requests.Session()
    url = authorization_url
    for _ in range(12):
        response = browser.get(url, allow_redirects=False, timeout=5)
        if response.is_redirect:
            url = urljoin(url, response.headers["Location"])
            if url.startswith(callback_base):
                return url
            continue
        html = response.text
        action, fields = _form(html, url)
        if 'name="login"' in html or "prompt=login" in html or fields.get("prompt") == "login":
            fields.update(login=login, password="any-password")
        elif not consent:
            abort = re.search(r'href="([^"]*abort[^"]*)"', html)
            assert abort is not None, html[:500]
            url = urljoin(url, abort.group(1))
            continue
        posted = browser.post(action, data=fields, allow_redirects=False, timeout=5)
        assert posted.is_redirect, posted.text[:500]
        url = urljoin(action, posted.headers["Location"])
        if url.startswith(callback_base):
            return url
    raise AssertionError("the provider never sent the browser back")
