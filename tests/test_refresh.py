"""Upstream access-token refresh, built in, against the example's upstream token service
running as a real HTTP server (rotating refresh tokens, reuse revokes the family).

Upstream calls are counted on the upstream's side (``/_stats``). The app's clock is a
FakeClock; the upstream's is frozen and moved with its test controls. Nothing sleeps, except
the upstream's own injected delays that make requests overlap.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from refresh_app import create_app
from support import COOKIE, FakeClock, attempt_sign_in, serving, set_cookie, set_cookies

from flask_jwtauth import (
    access_token,
    get_token,
    login_required,
    upstream_refresh_failed,
    upstream_refreshed,
)

if TYPE_CHECKING:
    from upstream_server import Upstream

pytest_plugins = ["upstream_server"]

#: The upstream's access tokens live 30 s; the default margin renews them 10 s early.
ACCESS_TTL = 30
DUE = ACCESS_TTL - 10


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app(upstream: Upstream, clock: FakeClock) -> Flask:
    return create_app(upstream.url, clock)


def signed_in(app: Flask, username: str = "alice") -> FlaskClient:
    client = app.test_client()
    response = attempt_sign_in(client, username, f"{username}-password")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"] == "/"
    return client


def token_of(app: Flask, client: FlaskClient) -> dict[str, Any]:
    with app.test_request_context(headers={"Cookie": f"{COOKIE}={cookie(client)}"}):
        app.preprocess_request()
        found = get_token()
    assert found is not None
    return found


def cookie(client: FlaskClient) -> str:
    found = client.get_cookie(COOKIE)
    assert found is not None
    return found.value


def test_sign_in_keeps_the_tokens_in_the_session_and_out_of_the_browsers_view(
    app: Flask, upstream: Upstream
) -> None:
    client = signed_in(app)
    kept = token_of(app, client)["upstream"]
    assert kept["provider"] == "credentials" and kept["token_type"] == "Bearer"
    assert kept["access_token"].startswith("at_") and kept["refresh_token"].startswith("rt_")
    assert kept["refresh_expires_at"] - kept["expires_at"] == 600 - ACCESS_TTL
    session = client.get("/auth/session").get_json()
    assert "at_" not in str(session) and "rt_" not in str(session)
    assert kept["access_token"] not in cookie(client)  # encrypted (the bare "at_" prefix
    # may turn up by chance in 600 characters of base64)
    response = client.get("/api/resource")
    assert response.status_code == 200
    assert response.get_json()["access_token"] == kept["access_token"]
    assert upstream.stats()["refresh_grants"] == 0


def test_an_expired_access_token_is_renewed_once_and_written_back(
    app: Flask, upstream: Upstream, clock: FakeClock
) -> None:
    refreshed: list[str] = []
    upstream_refreshed.connect(lambda sender, provider: refreshed.append(provider), app, False)
    client = signed_in(app)
    before = token_of(app, client)["upstream"]
    clock.advance(DUE - 1)
    assert client.get("/api/resource").status_code == 200
    assert upstream.stats()["refresh_grants"] == 0  # not yet within the margin
    clock.advance(2)
    response = client.get("/api/resource")
    assert response.status_code == 200
    after = response.get_json()["access_token"]
    assert after != before["access_token"]
    assert set_cookie(response) is not None  # the new tokens travel with this response
    assert token_of(app, client)["upstream"]["access_token"] == after
    for _ in range(3):
        assert client.get("/api/resource").get_json()["access_token"] == after
    stats = upstream.stats()
    assert stats["refresh_grants"] == 1 and stats["reuse_detections"] == 0
    assert refreshed == ["credentials"]


def test_requests_that_never_read_the_session_do_not_refresh(
    app: Flask, upstream: Upstream, clock: FakeClock
) -> None:
    client = signed_in(app)
    clock.advance(ACCESS_TTL + 5)
    for _ in range(4):  # seed 002's page assets
        assert client.get("/plain").status_code == 200
        assert client.get("/static/app.css").status_code == 404
    assert upstream.stats()["refresh_grants"] == 0
    assert client.get("/dashboard").status_code == 200
    assert upstream.stats()["refresh_grants"] == 1


def test_a_late_request_with_the_previous_cookie_gets_the_new_tokens(
    app: Flask, upstream: Upstream, clock: FakeClock
) -> None:
    client = signed_in(app)
    old = cookie(client)
    clock.advance(DUE + 1)
    fresh = client.get("/api/resource").get_json()["access_token"]
    late = app.test_client()
    late.set_cookie(COOKIE, old)
    response = late.get("/api/resource")
    assert response.status_code == 200
    assert response.get_json()["access_token"] == fresh
    assert set_cookie(response) is not None
    stats = upstream.stats()
    assert stats["refresh_grants"] == 1 and stats["reuse_detections"] == 0


@pytest.fixture
def live(app: Flask) -> Iterator[str]:
    with serving(app) as url:
        yield url


def burst(urls: list[str], session_cookie: str, count: int = 20) -> list[requests.Response]:
    """``count`` requests at once, all carrying the same cookie, spread over ``urls``."""

    def one(i: int) -> requests.Response:
        return requests.get(
            f"{urls[i % len(urls)]}/api/resource",
            headers={"Cookie": f"{COOKIE}={session_cookie}", "Accept": "application/json"},
            timeout=30,
        )

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def test_twenty_concurrent_requests_refresh_once(
    app: Flask, upstream: Upstream, clock: FakeClock, live: str
) -> None:
    client = signed_in(app)
    clock.advance(DUE + 1)
    # The upstream takes 300 ms to answer: every request arrives while the refresh runs.
    upstream.delay_next(1, 300, then="process")
    responses = burst([live], cookie(client))
    assert [r.status_code for r in responses] == [200] * 20
    tokens = {r.json()["access_token"] for r in responses}
    assert len(tokens) == 1  # all used the one renewed token
    assert all(COOKIE in r.headers.get("Set-Cookie", "") for r in responses)
    stats = upstream.stats()
    assert stats["refresh_grants"] == 1
    assert stats["reuse_detections"] == 0 and stats["families_revoked"] == 0
    assert stats["resource_calls"] == 20 and stats["resource_refused"] == 0


def test_a_revoked_refresh_token_ends_the_session(
    app: Flask, upstream: Upstream, clock: FakeClock
) -> None:
    failures: list[bool] = []
    upstream_refresh_failed.connect(
        lambda sender, provider, permanent: failures.append(permanent), app, False
    )
    page, api = signed_in(app), signed_in(app)
    upstream.revoke_user("alice")
    clock.advance(DUE + 1)
    response = page.get("/dashboard")
    assert response.status_code == 302
    assert "error=RefreshAccessTokenError" in response.headers["Location"]
    found = set_cookie(response)
    assert found is not None and found.cleared
    response = api.get("/api/resource", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.get_json()["error"] == "RefreshAccessTokenError"
    assert page.get("/dashboard").status_code == 302  # stays signed out
    assert failures == [True, True]
    assert upstream.stats()["refreshes_refused"] == 2


def test_the_session_ends_with_its_refresh_token(
    app: Flask, upstream: Upstream, clock: FakeClock
) -> None:
    client = signed_in(app)
    # The cookie itself never outlives the refresh token (600 s).
    first = token_of(app, client)
    assert first["exp"] <= first["upstream"]["refresh_expires_at"]
    clock.advance(599)
    upstream.advance(599)
    assert client.get("/dashboard").status_code == 200  # renewed, the refresh token too
    renewed = token_of(app, client)["upstream"]
    assert renewed["refresh_expires_at"] == int(clock.now) + 600
    clock.advance(601)
    response = client.get("/dashboard")
    assert response.status_code == 302
    assert "error=" in response.headers["Location"]  # expired with its refresh token
    assert upstream.stats()["refresh_grants"] == 1


def test_an_upstream_refusing_an_expired_refresh_token_ends_the_session(
    app: Flask, upstream: Upstream, clock: FakeClock
) -> None:
    upstream.set_ttls(refresh=60)  # the upstream ends it before our record says
    client = signed_in(app)
    upstream.advance(61)
    clock.advance(DUE + 1)
    response = client.get("/api/resource", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.get_json()["error"] == "RefreshAccessTokenError"


def test_a_timeout_answers_503_keeps_the_session_and_backs_off(
    upstream: Upstream, clock: FakeClock
) -> None:
    """Within the upstream's reuse grace (JWTAUTH_REFRESH_REUSE_GRACE), a refresh that went
    unanswered is a transient failure: 503, the session kept, retried after the backoff."""
    app = create_app(upstream.url, clock, JWTAUTH_REFRESH_REUSE_GRACE=60)
    client = signed_in(app)
    kept = cookie(client)
    clock.advance(DUE + 1)
    upstream.delay_next(1, 1500, then="fail")  # past the app's 0.5 s timeout
    response = client.get("/api/resource", headers={"Accept": "application/json"})
    assert response.status_code == 503
    assert response.get_json()["error"] == "ServiceUnavailable"
    assert int(response.headers["Retry-After"]) >= 2
    assert set_cookies(response) == [] and cookie(client) == kept
    page = client.get("/dashboard")
    assert page.status_code == 503 and "Retry-After" in page.headers
    upstream.wait_for_stats(lambda s: s["injected_delays"] == 1)
    calls = upstream.stats()["token_requests"]
    # Backing off: no new upstream call until Retry-After has passed.
    assert client.get("/api/resource").status_code == 503
    assert upstream.stats()["token_requests"] == calls
    clock.advance(int(response.headers["Retry-After"]))
    response = client.get("/api/resource")
    assert response.status_code == 200
    assert upstream.stats()["refreshes_succeeded"] == 1


def test_a_5xx_answers_503_and_the_next_try_after_the_backoff_works(
    app: Flask, upstream: Upstream, clock: FakeClock
) -> None:
    client = signed_in(app)
    clock.advance(DUE + 1)
    upstream.fail_next(1)
    first = client.get("/api/resource", headers={"Accept": "application/json"})
    assert first.status_code == 503 and first.headers["Retry-After"] == "2"
    clock.advance(2)
    upstream.fail_next(1)
    second = client.get("/api/resource", headers={"Accept": "application/json"})
    assert second.status_code == 503 and second.headers["Retry-After"] == "4"
    clock.advance(4)
    assert client.get("/api/resource").status_code == 200
    stats = upstream.stats()
    assert stats["injected_failures"] == 2 and stats["refreshes_succeeded"] == 1


def test_the_sign_in_and_sign_out_pages_work_while_the_upstream_is_down(
    app: Flask, upstream: Upstream, clock: FakeClock
) -> None:
    client = signed_in(app)
    clock.advance(DUE + 1)
    upstream.fail_next(1)
    assert client.get("/dashboard").status_code == 503
    page = client.get("/auth/sign-in")  # backing off: no upstream call, no 503 here
    assert page.status_code == 200 and 'name="csrf_token"' in page.get_data(as_text=True)
    assert client.get("/auth/sign-out").status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert token is not None
    out = client.post("/auth/sign-out", data={"csrf_token": token.group(1)})
    assert out.status_code == 302
    assert client.get_cookie(COOKIE) is None
    assert upstream.stats()["token_requests"] == 2  # the sign-in and the failed refresh


# -- Regression test for issue 18, bug 5. ------------------------------------------------


def test_issue18_a_late_cookie_never_gets_a_stashed_access_token_that_has_expired(
    upstream: Upstream, clock: FakeClock
) -> None:
    """The upstream's access tokens live 30 s, JWTAUTH_REFRESH_STASH (120 s) longer. After
    one refresh, the clock moves past the new access token's expiry (still within the
    stash time) and a late request brings the OLD (pre-refresh) cookie: the view must never
    receive an expired access token. ``access_token()`` is fresh (a new refresh happened)
    or there is no session (401); never the stashed, expired one."""
    app = create_app(upstream.url, clock, JWTAUTH_REFRESH_STASH=120)

    @app.get("/api/upstream-token")
    @login_required
    def upstream_token() -> Any:
        token = access_token()
        kept = get_token()
        return {"access_token": token, "expires_at": kept and kept["upstream"]["expires_at"]}

    client = signed_in(app)
    old = cookie(client)
    clock.advance(DUE + 1)
    first = client.get("/api/upstream-token").get_json()
    stashed, stashed_expiry = first["access_token"], first["expires_at"]
    assert stashed_expiry > clock.now  # the refresh happened: a fresh token
    assert upstream.stats()["refresh_grants"] == 1
    clock.now = stashed_expiry + 5  # the stashed result's access token has expired since
    assert clock.now < 1_700_000_000 + DUE + 1 + 120  # still within the stash time
    late = app.test_client()
    late.set_cookie(COOKIE, old)
    response = late.get("/api/upstream-token")
    if response.status_code == 401:
        return  # the session ended: acceptable, no expired token reached a view
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["access_token"] != stashed, "the view got the stashed, expired access token"
    assert body["expires_at"] > clock.now, body


# -- a sibling app that cannot refresh (issue 19, item 8c) ----------------------------------


def _signed_in_with_tokens(clock: FakeClock) -> tuple[Flask, FlaskClient]:
    """The main app: credentials with upstream tokens that expire in 30 s, and a refresh."""
    from flask_jwtauth import CredentialsProvider, JWTAuth, Tokens, access_token

    def authorize(credentials: dict[str, str]) -> Any:
        tokens = Tokens("access-1", expires_at=clock.now + 30, refresh_token="refresh-1")
        return {"id": "1", "name": "Ann"}, tokens

    def refresh(tokens: Tokens) -> Tokens:
        return Tokens("access-2", expires_at=clock.now + 30, refresh_token="refresh-2")

    main = Flask("main")
    main.config.update(JWTAUTH_SECRET=SIBLING_SECRET, JWTAUTH_STORE_URL="memory://")
    JWTAuth(main, [CredentialsProvider(authorize=authorize, refresh=refresh)], clock=clock)

    @main.get("/api/token")
    def main_token() -> Any:
        return {"access_token": access_token()}

    client = main.test_client()
    attempt_sign_in(client, "ann", "pw")
    assert client.get_cookie(COOKIE) is not None
    return main, client


SIBLING_SECRET = "sibling-secret-Rk4Tn8Wq2Zx6Mv3Hb9Ls5Jd7"


@pytest.mark.parametrize("consumer", [False, True], ids=["no-provider", "consumer"])
def test_an_app_that_cannot_refresh_neither_strips_nor_hands_out_an_expired_token(
    clock: FakeClock, consumer: bool
) -> None:
    """The sub-domain recipe (``JWTAuth(api)`` with no provider) used to rewrite the shared
    cookie without the upstream tokens once the access token expired (TOKENS_DROPPED), so
    the main app's access_token() was None and nothing refreshed; a consumer handed views
    the expired token. Now the sibling leaves the cookie alone and access_token() is None
    there, and the main app still refreshes."""
    from flask_jwtauth import JWTAuth, access_token

    _, browser = _signed_in_with_tokens(clock)
    api = Flask("api")
    api.config.update(JWTAUTH_SECRET=SIBLING_SECRET, JWTAUTH_CONSUMER=consumer)
    JWTAuth(api, [], clock=clock)

    @api.get("/api/token")
    def token() -> Any:
        return {"access_token": access_token()}

    cookie = browser.get_cookie(COOKIE)
    assert cookie is not None
    sibling = api.test_client()
    sibling.set_cookie(COOKIE, cookie.value)
    assert sibling.get("/api/token").get_json() == {"access_token": "access-1"}
    clock.advance(31)
    answer = sibling.get("/api/token")
    assert answer.get_json() == {"access_token": None}
    assert set_cookie(answer) is None  # the shared cookie is not rewritten
    # Back on the main app, with the cookie as the sibling left it: renewed.
    assert browser.get("/api/token").get_json() == {"access_token": "access-2"}


# -- a refresh sent but never answered (issue 19, item 8b) ---------------------------------


def test_a_refresh_the_upstream_processed_after_we_gave_up_is_not_reused(
    app: Flask, upstream: Upstream, clock: FakeClock
) -> None:
    """The upstream stalls past the app's timeout, then rotates the token anyway. The spent
    refresh token used to be sent again after the backoff: reuse, the family revoked, the
    session ended by the upstream. Without a reuse grace it is not sent again: the session
    ends here, and the upstream sees no reuse."""
    failures: list[bool] = []
    upstream_refresh_failed.connect(
        lambda sender, provider, permanent: failures.append(permanent), app, False
    )
    client = signed_in(app)
    clock.advance(DUE + 1)
    upstream.delay_next(1, 1500, then="process")  # past the app's 0.5 s timeout
    response = client.get("/api/resource", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.get_json()["error"] == "RefreshAccessTokenError"
    upstream.wait_for_stats(lambda s: s["refreshes_succeeded"] == 1)  # it did rotate
    clock.advance(120)
    assert client.get("/api/resource").status_code == 401  # signed out, nothing resent
    stats = upstream.stats()
    assert stats["refresh_grants"] == 1
    assert stats["reuse_detections"] == 0 and stats["families_revoked"] == 0
    assert failures == [True]


def test_a_refresh_that_never_reached_the_upstream_is_transient(
    app: Flask, upstream: Upstream, clock: FakeClock
) -> None:
    """A refused connection (nothing was sent) is transient whatever the grace: 503 and the
    session kept, so the refresh happens once the upstream answers again."""
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    client = signed_in(app)
    clock.advance(DUE + 1)
    down = create_app(f"http://127.0.0.1:{closed}", clock)  # the same app, upstream down
    kept = cookie(client)
    other = down.test_client()
    other.set_cookie(COOKIE, kept)
    first = other.get("/api/resource", headers={"Accept": "application/json"})
    assert first.status_code == 503 and first.get_json()["error"] == "ServiceUnavailable"
    assert set_cookies(first) == []
    assert client.get("/api/resource").status_code == 200  # the upstream is back: renewed
    assert upstream.stats()["refreshes_succeeded"] == 1
