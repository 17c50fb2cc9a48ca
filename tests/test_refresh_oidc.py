"""Built-in refresh against the real OpenID provider (npm oidc-provider: rotating refresh
tokens, reuse revokes the grant): the OIDC provider renews by itself through Authlib's
refresh-token grant, once however many requests race. Counted on the provider's side."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask, jsonify
from flask.testing import FlaskClient
from oidc_server import CLIENTS, OpenIDProvider, authorize_in_browser, openid_provider  # noqa: F401
from support import COOKIE, SECRET, FakeClock, csrf_token, serving, set_cookie

from flask_jwtauth import JWTAuth, OIDCProvider, access_token, get_token, login_required

BASE = "http://127.0.0.1:5000"


def make(
    op: OpenIDProvider,
    clock: FakeClock | None = None,
    refresh_timeout: float = 30.0,
    **config: Any,
) -> Flask:
    provider = OIDCProvider(
        "oidc",
        "Test OP",
        issuer=op.issuer,
        client_id=CLIENTS[0]["client_id"],
        client_secret=CLIENTS[0]["client_secret"],
        scope="openid email profile offline_access",
        timeout=1.0,
        refresh_timeout=refresh_timeout,
    )
    app = Flask(__name__)
    # Its access tokens live 60 s: with a longer margin, the first read after sign-in is due.
    app.config.update(
        JWTAUTH_SECRET=SECRET, JWTAUTH_URL=BASE, **{"JWTAUTH_REFRESH_MARGIN": 3600, **config}
    )
    JWTAuth(app, providers=[provider], clock=clock or FakeClock(time.time()))

    @app.get("/api/token")
    @login_required
    def token() -> Any:
        return jsonify(access_token=access_token())

    return app


def signed_in(app: Flask) -> FlaskClient:
    client = app.test_client()
    started = client.post(
        "/auth/sign-in/oidc",
        data={"csrf_token": csrf_token(client, BASE), "callbackUrl": "/"},
        base_url=BASE,
    )
    assert started.status_code == 302
    back = urlsplit(authorize_in_browser(started.headers["Location"]))
    done = client.get(f"{back.path}?{back.query}", base_url=BASE)
    assert done.status_code == 302 and done.headers["Location"] == "/"
    return client


def cookie(client: FlaskClient) -> str:
    found = client.get_cookie(COOKIE, domain="127.0.0.1")
    assert found is not None
    return found.value


@pytest.fixture
def live() -> Iterator[Callable[[Flask], str]]:
    with ExitStack() as stack:
        yield lambda app: stack.enter_context(serving(app))


def test_twenty_concurrent_requests_refresh_once_at_the_provider(
    openid_provider: OpenIDProvider,  # noqa: F811
    live: Callable[[Flask], str],
) -> None:
    app = make(openid_provider)
    client = signed_in(app)
    url = live(app)
    openid_provider.delay_token_endpoint(300)
    held = cookie(client)

    def one(_: int) -> requests.Response:
        return requests.get(
            f"{url}/api/token",
            headers={"Cookie": f"{COOKIE}={held}", "Accept": "application/json"},
            timeout=30,
        )

    with ThreadPoolExecutor(20) as pool:
        responses = list(pool.map(one, range(20)))
    assert [r.status_code for r in responses] == [200] * 20
    assert len({r.json()["access_token"] for r in responses}) == 1
    assert all(COOKIE in r.headers.get("Set-Cookie", "") for r in responses)
    stats = openid_provider.stats()
    assert stats["refresh_token"] == 1 and stats["errors"] == 0


def test_a_revoked_grant_ends_the_session(
    openid_provider: OpenIDProvider,  # noqa: F811
) -> None:
    app = make(openid_provider)
    client = signed_in(app)
    # The first read renews the tokens once: the refresh token is rotated.
    first = client.get("/api/token", base_url=BASE).get_json()["access_token"]
    assert openid_provider.stats()["refresh_token"] == 1
    # Spend the current refresh token behind the app's back: the provider revokes the grant
    # for reuse when the app presents it next.
    with app.test_request_context(headers={"Cookie": f"{COOKIE}={cookie(client)}"}):
        app.preprocess_request()
        found = get_token(cookie_name=COOKIE)  # as it is, without renewing it
        assert found is not None
        refresh_token = found["upstream"]["refresh_token"]
    spent = requests.post(
        f"{openid_provider.issuer}/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(CLIENTS[0]["client_id"], CLIENTS[0]["client_secret"]),
        timeout=5,
    )
    assert spent.status_code == 200
    response = client.get("/api/token", headers={"Accept": "application/json"}, base_url=BASE)
    assert response.status_code == 401
    assert response.get_json()["error"] == "RefreshAccessTokenError"
    cleared = set_cookie(response)
    assert cleared is not None and cleared.cleared
    assert first


def test_a_refresh_has_its_own_generous_timeout(
    openid_provider: OpenIDProvider,  # noqa: F811
) -> None:
    """A provider answering the refresh in 2.5 s is slower than the sign-in's 1 s timeout,
    but within the refresh's own (30 s by default): renewed, not a 503 that would leave a
    spent refresh token behind."""
    app = make(openid_provider)
    client = signed_in(app)
    openid_provider.delay_token_endpoint(2500)
    try:
        response = client.get("/api/token", base_url=BASE)
    finally:
        openid_provider.delay_token_endpoint(0)
    assert response.status_code == 200 and response.get_json()["access_token"]


def test_a_provider_slower_than_the_timeout_answers_503_and_keeps_the_session(
    openid_provider: OpenIDProvider,  # noqa: F811
) -> None:
    """Past the refresh timeout, within the provider's reuse grace: 503, session kept."""
    app = make(openid_provider, refresh_timeout=1.0, JWTAUTH_REFRESH_REUSE_GRACE=60)
    client = signed_in(app)
    kept = cookie(client)
    openid_provider.delay_token_endpoint(2500)  # past the provider's 1 s timeout
    response = client.get("/api/token", headers={"Accept": "application/json"}, base_url=BASE)
    assert response.status_code == 503 and response.headers["Retry-After"] == "2"
    assert cookie(client) == kept
    openid_provider.delay_token_endpoint(0)


def test_a_refresh_token_lifetime_from_the_provider_caps_the_session(
    openid_provider: OpenIDProvider,  # noqa: F811
) -> None:
    """Keycloak says how long its refresh tokens live (refresh_expires_in): the session
    ends then, without a refresh call that could only fail."""
    openid_provider.stop()
    openid_provider.env = {"REFRESH_EXPIRES_IN": "600", "ACCESS_TTL": "3600"}
    openid_provider.start()
    clock = FakeClock(time.time())
    app = make(openid_provider, clock=clock, JWTAUTH_REFRESH_MARGIN=10)
    client = signed_in(app)
    with app.test_request_context(headers={"Cookie": f"{COOKIE}={cookie(client)}"}):
        app.preprocess_request()
        token = get_token(cookie_name=COOKIE)
    assert token is not None
    end = token["upstream"]["refresh_expires_at"]
    assert abs(end - (time.time() + 600)) < 30
    assert token["exp"] <= end  # the cookie does not outlive it
    assert client.get("/api/token", base_url=BASE).status_code == 200
    clock.advance(601)
    response = client.get("/api/token", headers={"Accept": "application/json"}, base_url=BASE)
    assert response.status_code == 401
    assert openid_provider.stats()["refresh_token"] == 0


def test_token_lifetimes_count_from_the_app_clock(
    openid_provider: OpenIDProvider,  # noqa: F811
) -> None:
    """``expires_in`` and ``refresh_expires_in`` count from the app's clock, the one that
    decides when a token is due, at sign-in and at each refresh: with a clock two minutes
    ahead of the wall (a test's, or a host's that drifted), a 60 s access token is not
    taken for one already expired."""
    openid_provider.stop()
    openid_provider.env = {"REFRESH_EXPIRES_IN": "600", "ACCESS_TTL": "60"}
    openid_provider.start()
    clock = FakeClock(time.time() + 120)
    app = make(openid_provider, clock=clock, JWTAUTH_REFRESH_MARGIN=10)
    client = signed_in(app)

    def upstream() -> dict[str, Any]:
        with app.test_request_context(headers={"Cookie": f"{COOKIE}={cookie(client)}"}):
            app.preprocess_request()
            token = get_token(cookie_name=COOKIE)
        assert token is not None
        found: dict[str, Any] = token["upstream"]
        return found

    signed = upstream()
    assert clock.now + 55 <= signed["expires_at"] <= clock.now + 61
    assert clock.now + 595 <= signed["refresh_expires_at"] <= clock.now + 601
    assert client.get("/api/token", base_url=BASE).status_code == 200
    assert openid_provider.stats()["refresh_token"] == 0  # not due on the app's clock
    clock.advance(55)  # within the 10 s margin: due
    assert client.get("/api/token", base_url=BASE).status_code == 200
    assert openid_provider.stats()["refresh_token"] == 1
    renewed = upstream()
    assert clock.now + 55 <= renewed["expires_at"] <= clock.now + 61
