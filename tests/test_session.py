"""Session semantics (DESIGN.md "Session semantics"), over HTTP with a fake clock.

Seed 000's 10-second session, rolling vs static sessions, JWT_MAX_AGE, the absolute cap,
cookie lifetimes, session ids, the jwt callback on every request, caching headers,
sign-out, signals, and what views read through current_user / current_session / get_token.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from support import (
    COOKIE,
    PASSWORDS,
    SECRET,
    Clock,
    cookie_value,
    set_cookie,
    set_cookies,
    sign_in,
    sign_out,
)
from werkzeug.test import TestResponse

from flask_jwtauth import (
    AnonymousUser,
    CredentialsProvider,
    JWTAuth,
    current_session,
    current_user,
    get_session,
    get_token,
    login_required,
    session_expired,
    session_refreshed,
)
from flask_jwtauth.tokens import JWECodec

AppFactory = Callable[..., tuple[Flask, JWTAuth]]
DAY = 24 * 3600


def add_token_view(app: Flask) -> None:
    """``GET /api/token``: the decoded token (get_token) behind the guard."""

    @app.get("/api/token")
    @login_required
    def token_view() -> Any:
        return {"token": get_token()}


def token_of(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/api/token")
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.json
    assert isinstance(body, dict) and isinstance(body["token"], dict)
    token: dict[str, Any] = body["token"]
    return token


def redirect_target(response: TestResponse) -> tuple[str, dict[str, list[str]]]:
    parts = urlsplit(response.headers["Location"])
    return parts.path, parse_qs(parts.query)


def assert_expired_page(response: TestResponse, callback_url: str = "/dashboard") -> None:
    assert response.status_code == 302
    assert redirect_target(response) == (
        "/auth/sign-in",
        {"callbackUrl": [callback_url], "error": ["SessionExpired"]},
    )
    cleared = set_cookie(response)
    assert cleared is not None and cleared.cleared


def assert_expired_api(response: TestResponse) -> None:
    assert response.status_code == 401
    assert response.mimetype == "application/json"
    body = response.json
    assert isinstance(body, dict)
    assert body["error"] == "SessionExpired"
    assert isinstance(body["message"], str) and body["message"]
    cleared = set_cookie(response)
    assert cleared is not None and cleared.cleared


# -- seed 000: a 10-second session ---------------------------------------------------------


@pytest.mark.parametrize("update_age", [None, 10, "unset"])
def test_seed_000_ten_second_session(
    make_app: AppFactory, clock: Clock, update_age: int | str | None
) -> None:
    config: dict[str, Any] = {"JWTAUTH_SESSION_MAX_AGE": 10}
    if update_age != "unset":  # DESIGN.md's example sets only the max age
        config["JWTAUTH_SESSION_UPDATE_AGE"] = update_age
    app, _ = make_app(**config)
    page, api = app.test_client(), app.test_client()
    sign_in(page)
    api.set_cookie(COOKIE, cookie_value(page) or "")

    clock.advance(9)
    works = page.get("/dashboard")
    assert works.status_code == 200
    assert works.get_data(as_text=True) == "Hello Ann"
    assert set_cookie(works) is None  # not re-issued within the 10 s
    me = api.get("/api/me")
    assert me.status_code == 200
    assert me.json is not None and me.json["user"]["name"] == "Ann"

    clock.advance(2)  # 11 s after sign-in
    assert_expired_page(page.get("/dashboard"))
    assert_expired_api(api.get("/api/me"))

    # The cookie is gone: the next request is plainly anonymous, no longer "expired".
    assert cookie_value(page) is None
    again = page.get("/dashboard")
    assert redirect_target(again) == ("/auth/sign-in", {"callbackUrl": ["/dashboard"]})
    assert set_cookies(again) == []
    assert api.get("/api/me").json == {
        "error": "SessionRequired",
        "message": "Authentication required: sign in, then send the session cookie.",
    }


def test_expiry_is_exact_to_the_second(make_app: AppFactory, clock: Clock) -> None:
    app, _ = make_app(JWTAUTH_SESSION_MAX_AGE=10, JWTAUTH_SESSION_UPDATE_AGE=None)
    client = app.test_client()
    sign_in(client)
    clock.advance(9.99)
    assert client.get("/api/me").status_code == 200
    clock.advance(0.01)  # exactly exp
    assert_expired_api(client.get("/api/me"))


def test_expired_session_on_a_public_page_is_cleared_not_refused(
    make_app: AppFactory, clock: Clock
) -> None:
    app, _ = make_app(JWTAUTH_SESSION_MAX_AGE=10)
    client = app.test_client()
    sign_in(client)
    clock.advance(11)
    response = client.get("/")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "home"
    cleared = set_cookie(response)
    assert cleared is not None and cleared.cleared
    assert cookie_value(client) is None


def test_leeway_tolerates_a_little_clock_skew(make_app: AppFactory, clock: Clock) -> None:
    app, _ = make_app(JWTAUTH_SESSION_MAX_AGE=10, JWTAUTH_SESSION_UPDATE_AGE=None, JWTAUTH_LEEWAY=5)
    client = app.test_client()
    sign_in(client)
    clock.advance(14)
    assert client.get("/api/me").status_code == 200
    clock.advance(1)
    assert_expired_api(client.get("/api/me"))


# -- rolling and static sessions -----------------------------------------------------------


def test_rolling_session_outlives_max_age_with_activity(make_app: AppFactory, clock: Clock) -> None:
    """MAX_AGE=60, UPDATE_AGE=30: re-issued exactly when now - iat >= 30; alive for ever."""
    app, _ = make_app(JWTAUTH_SESSION_MAX_AGE=60, JWTAUTH_SESSION_UPDATE_AGE=30)
    add_token_view(app)
    client = app.test_client()
    sign_in(client)
    start = clock.now
    iat = int(start)
    jti = token_of(client)["jti"]
    rolls = 0
    for gap in [20, 29, 21, 25, 29, 20, 28, 22, 29, 29, 20, 24, 27, 29, 23]:
        clock.advance(gap)
        due = int(clock.now) - iat >= 30
        response = client.get("/dashboard")
        assert response.status_code == 200, f"expired at +{clock.now - start}s"
        cookie = set_cookie(response)
        assert (cookie is not None) is due, f"+{clock.now - start}s, iat +{iat - start}s"
        if due:
            assert cookie is not None and not cookie.cleared
            iat = int(clock.now)
            rolls += 1
    assert clock.now - start > 5 * 60  # far beyond the 60 s max age
    assert rolls >= 5
    token = token_of(client)
    assert token["iat"] == iat
    assert token["exp"] == iat + 60
    assert token["jti"] == jti  # the session id survives every roll
    assert token["auth_time"] == int(start)  # sign-in time never moves

    clock.advance(60)  # then idle for the max age: over
    assert_expired_page(client.get("/dashboard"))


def test_rolling_session_expires_after_max_age_of_inactivity(
    make_app: AppFactory, clock: Clock
) -> None:
    app, _ = make_app(JWTAUTH_SESSION_MAX_AGE=60, JWTAUTH_SESSION_UPDATE_AGE=30)
    client = app.test_client()
    sign_in(client)
    clock.advance(45)
    rolled = client.get("/api/me")
    assert set_cookie(rolled) is not None
    clock.advance(59)  # 59 s after the roll; a second client peeks with the same cookie
    peek = app.test_client()
    peek.set_cookie(COOKIE, cookie_value(client) or "")
    assert peek.get("/api/me").status_code == 200
    clock.advance(1)
    assert_expired_api(client.get("/api/me"))


def test_update_age_zero_reissues_on_every_request(make_app: AppFactory, clock: Clock) -> None:
    app, _ = make_app(JWTAUTH_SESSION_MAX_AGE=60, JWTAUTH_SESSION_UPDATE_AGE=0)
    add_token_view(app)
    client = app.test_client()
    sign_in(client)
    for _ in range(5):
        clock.advance(1)
        response = client.get("/dashboard")
        assert response.status_code == 200
        cookie = set_cookie(response)
        assert cookie is not None and not cookie.cleared
    # Without any time passing too.
    assert set_cookie(client.get("/")) is not None
    assert token_of(client)["iat"] == int(clock.now)


def test_static_session_ends_at_sign_in_plus_max_age_whatever_the_activity(
    make_app: AppFactory, clock: Clock
) -> None:
    app, _ = make_app(JWTAUTH_SESSION_MAX_AGE=60, JWTAUTH_SESSION_UPDATE_AGE=None)
    client = app.test_client()
    sign_in(client)
    for _ in range(11):
        clock.advance(5)
        response = client.get("/dashboard")
        assert response.status_code == 200
        assert set_cookie(response) is None  # never re-issued
    clock.advance(5)  # 60 s after sign-in
    assert_expired_page(client.get("/dashboard"))


def test_default_update_age_is_a_day(make_app: AppFactory, clock: Clock) -> None:
    app, _ = make_app()  # 30-day sessions, rolled at most once a day
    add_token_view(app)
    client = app.test_client()
    sign_in(client)
    clock.advance(DAY - 1)
    assert set_cookie(client.get("/dashboard")) is None
    clock.advance(1)
    rolled = set_cookie(client.get("/dashboard"))
    assert rolled is not None and not rolled.cleared
    clock.advance(29 * DAY)
    assert client.get("/dashboard").status_code == 200  # 30 days after sign-in, still alive
    assert token_of(client)["auth_time"] == int(clock.now) - 30 * DAY


# -- JWT_MAX_AGE and the absolute cap ------------------------------------------------------


def test_jwt_max_age_shorter_than_session_static(make_app: AppFactory, clock: Clock) -> None:
    app, _ = make_app(
        JWTAUTH_SESSION_MAX_AGE=60, JWTAUTH_JWT_MAX_AGE=20, JWTAUTH_SESSION_UPDATE_AGE=None
    )
    add_token_view(app)
    client = app.test_client()
    sign_in(client)
    token = token_of(client)
    assert token["exp"] == token["iat"] + 20
    clock.advance(19)
    assert client.get("/api/me").status_code == 200
    clock.advance(1)
    assert_expired_api(client.get("/api/me"))


def test_jwt_max_age_shorter_than_session_rolling(make_app: AppFactory, clock: Clock) -> None:
    app, _ = make_app(
        JWTAUTH_SESSION_MAX_AGE=60, JWTAUTH_JWT_MAX_AGE=20, JWTAUTH_SESSION_UPDATE_AGE=10
    )
    add_token_view(app)
    client = app.test_client()
    sign_in(client)
    for _ in range(10):  # 150 s of activity, a request every 15 s
        clock.advance(15)
        response = client.get("/api/me")
        assert response.status_code == 200
        assert set_cookie(response) is not None  # 15 >= 10: rolled each time
    token = token_of(client)
    assert token["exp"] == int(clock.now) + 20
    clock.advance(20)
    assert_expired_api(client.get("/api/me"))


def test_jwt_max_age_longer_than_session_idle_limit_wins(
    make_app: AppFactory, clock: Clock
) -> None:
    app, _ = make_app(
        JWTAUTH_SESSION_MAX_AGE=30, JWTAUTH_JWT_MAX_AGE=300, JWTAUTH_SESSION_UPDATE_AGE=None
    )
    add_token_view(app)
    client = app.test_client()
    sign_in(client)
    assert token_of(client)["exp"] == int(clock.now) + 300
    session = client.get("/api/me").json
    assert session is not None
    expires = datetime.fromtimestamp(clock.now + 30, timezone.utc)
    assert session["expires"] == expires.isoformat().replace("+00:00", "Z")
    clock.advance(30)
    assert_expired_api(client.get("/api/me"))


def test_absolute_cap_ends_an_active_rolling_session(make_app: AppFactory, clock: Clock) -> None:
    app, _ = make_app(
        JWTAUTH_SESSION_MAX_AGE=60,
        JWTAUTH_SESSION_UPDATE_AGE=0,
        JWTAUTH_SESSION_ABSOLUTE_MAX_AGE=100,
    )
    add_token_view(app)
    client = app.test_client()
    sign_in(client)
    signed_in_at = int(clock.now)
    for _ in range(3):  # +30, +60, +90: rolled every time
        clock.advance(30)
        response = client.get("/dashboard")
        assert response.status_code == 200
        assert set_cookie(response) is not None
    token = token_of(client)
    assert token["auth_time"] == signed_in_at
    assert token["iat"] == signed_in_at + 90
    assert token["exp"] == signed_in_at + 100  # capped, not iat + 60
    clock.advance(9)
    assert client.get("/dashboard").status_code == 200
    clock.advance(1)  # 100 s after sign-in, 10 s after the last request
    assert_expired_page(client.get("/dashboard"))


def test_absolute_cap_cookie_max_age_shrinks(make_app: AppFactory, clock: Clock) -> None:
    app, _ = make_app(
        JWTAUTH_SESSION_MAX_AGE=60,
        JWTAUTH_SESSION_UPDATE_AGE=0,
        JWTAUTH_SESSION_ABSOLUTE_MAX_AGE=100,
    )
    client = app.test_client()
    sign_in(client)
    grace = 0  # the cookie lives exactly as long as the session (seed 001)
    lifetimes = []
    for _ in range(3):  # +30, +60, +90
        clock.advance(30)
        cookie = set_cookie(client.get("/api/me"))
        assert cookie is not None
        lifetimes.append(cookie.max_age)
    assert lifetimes == [60 + grace, 40 + grace, 10 + grace]


def test_sign_in_again_restarts_the_absolute_cap(make_app: AppFactory, clock: Clock) -> None:
    app, _ = make_app(
        JWTAUTH_SESSION_MAX_AGE=60,
        JWTAUTH_SESSION_UPDATE_AGE=0,
        JWTAUTH_SESSION_ABSOLUTE_MAX_AGE=100,
    )
    add_token_view(app)
    client = app.test_client()
    sign_in(client)
    clock.advance(50)
    first = token_of(client)
    sign_in(client)
    second = token_of(client)
    assert second["auth_time"] == first["auth_time"] + 50
    assert second["jti"] != first["jti"]


# -- cookie lifetime and session ids -------------------------------------------------------


@pytest.mark.parametrize(
    ("max_age", "notice", "grace"),
    [(10, None, DAY), (60, None, DAY), (3600, 120, 120), (30 * DAY, None, DAY), (5, 0, 0)],
)
def test_cookie_max_age_is_the_session_lifetime_and_a_marker_carries_the_notice(
    make_app: AppFactory, max_age: int, notice: int | None, grace: int
) -> None:
    """The cookie lives exactly as long as the session (seed 001: the cookie lives maxAge;
    it used to outlive it by JWTAUTH_EXPIRY_NOTICE). The notice rides in a small marker
    scoped to the sign-in page, so no other request carries it; without a notice time
    there is no marker."""
    config = {} if notice is None else {"JWTAUTH_EXPIRY_NOTICE": notice}
    app, _ = make_app(JWTAUTH_SESSION_MAX_AGE=max_age, **config)
    response = sign_in(app.test_client())
    cookie = set_cookie(response)
    assert cookie is not None
    assert cookie.max_age == max_age
    assert cookie.attrs.get("expires")
    marker = set_cookie(response, "jwtauth.session-alive")
    if grace:
        assert marker is not None and marker.attrs["path"] == "/auth/sign-in"
    else:
        assert marker is None


def test_rolled_cookie_max_age_is_renewed(make_app: AppFactory, clock: Clock) -> None:
    app, _ = make_app(JWTAUTH_SESSION_MAX_AGE=60, JWTAUTH_SESSION_UPDATE_AGE=30)
    client = app.test_client()
    sign_in(client)
    clock.advance(45)
    cookie = set_cookie(client.get("/api/me"))
    assert cookie is not None and cookie.max_age == 60


def test_each_sign_in_mints_a_new_session_id(make_app: AppFactory, clock: Clock) -> None:
    app, _ = make_app()
    add_token_view(app)
    client = app.test_client()
    ids = set()
    for _ in range(3):
        sign_in(client)
        token = token_of(client)
        assert token["sub"] == "1"
        assert token["iat"] == token["auth_time"] == int(clock.now)
        ids.add(token["jti"])
        clock.advance(1)
    assert len(ids) == 3
    other = app.test_client()
    sign_in(other)
    assert token_of(other)["jti"] not in ids


def test_token_claims(make_app: AppFactory, clock: Clock) -> None:
    app, _ = make_app(JWTAUTH_SESSION_MAX_AGE=120)
    add_token_view(app)
    client = app.test_client()
    sign_in(client)
    token = token_of(client)
    now = int(clock.now)
    assert token["sub"] == "1"
    assert token["name"] == "Ann"
    assert token["email"] == "ann@example.com"
    assert token["roles"] == ["admin"]
    assert token["iat"] == now and token["auth_time"] == now
    assert token["exp"] == now + 120
    assert isinstance(token["jti"], str) and len(token["jti"]) >= 16
    assert "password" not in token


# -- the jwt callback ----------------------------------------------------------------------


def test_jwt_callback_runs_on_every_request_that_reads_the_session_with_trigger_none(
    make_app: AppFactory, clock: Clock
) -> None:
    app, auth = make_app()
    calls: list[tuple[str | None, Any, dict[str, Any]]] = []

    @auth.jwt_callback
    def jwt(
        token: dict[str, Any], user: Any = None, account: Any = None, trigger: str | None = None
    ) -> dict[str, Any]:
        calls.append((trigger, user, dict(token)))
        if user is not None:
            token["firstName"] = user["name"].upper()
        return token

    client = app.test_client()
    sign_in(client)
    assert [c[0] for c in calls] == ["sign_in"]
    assert calls[0][1]["name"] == "Ann"
    client.get("/dashboard")
    client.get("/api/me")
    assert [c[0] for c in calls] == ["sign_in", None, None]
    assert all(c[1] is None for c in calls[1:])
    assert all(c[2]["firstName"] == "ANN" for c in calls[1:])
    # A page that never looks at the session, and a static file, do not run it (seed 002's
    # page with three assets made four calls).
    assert client.get("/").status_code == 200
    assert client.get("/static/missing.css").status_code == 404
    assert len(calls) == 3
    # An anonymous request does not run it.
    app.test_client().get("/dashboard")
    assert len(calls) == 3


def test_jwt_callback_returning_none_ends_the_session(make_app: AppFactory, clock: Clock) -> None:
    app, auth = make_app()
    revoked: set[str] = set()

    @auth.jwt_callback
    def jwt(token: dict[str, Any]) -> dict[str, Any] | None:
        return None if token.get("jti") in revoked else token

    add_token_view(app)
    client = app.test_client()
    sign_in(client)
    revoked.add(token_of(client)["jti"])
    response = client.get("/api/me")
    assert response.status_code == 401
    assert response.json is not None and response.json["error"] == "SessionRequired"
    cleared = set_cookie(response)
    assert cleared is not None and cleared.cleared
    assert cookie_value(client) is None


def test_jwt_callback_change_reissues_cookie_without_moving_expiry(
    make_app: AppFactory, clock: Clock
) -> None:
    app, auth = make_app(JWTAUTH_SESSION_MAX_AGE=100, JWTAUTH_SESSION_UPDATE_AGE=50)
    version = {"n": 1}

    @auth.jwt_callback
    def jwt(token: dict[str, Any]) -> dict[str, Any]:
        token["version"] = version["n"]
        return token

    add_token_view(app)
    client = app.test_client()
    sign_in(client)
    signed_in_at = int(clock.now)
    clock.advance(10)
    assert set_cookie(client.get("/api/me")) is None  # unchanged: not re-issued
    version["n"] = 2
    clock.advance(10)
    response = client.get("/api/me")
    cookie = set_cookie(response)
    assert cookie is not None and not cookie.cleared
    assert cookie.max_age == (signed_in_at + 100) - int(clock.now)
    token = token_of(client)
    assert token["version"] == 2
    assert token["iat"] == signed_in_at
    assert token["exp"] == signed_in_at + 100
    clock.advance(80)  # 100 s after sign-in: the rewrite did not extend the session
    assert_expired_api(client.get("/api/me"))


def test_jwt_callback_raising_keeps_the_cookie(make_app: AppFactory, clock: Clock) -> None:
    app, auth = make_app()
    backend = {"up": True}

    @auth.jwt_callback
    def jwt(token: dict[str, Any]) -> dict[str, Any]:
        if not backend["up"]:
            raise ConnectionError("backend down")
        return token

    client = app.test_client()
    sign_in(client)
    before = cookie_value(client)
    backend["up"] = False
    response = client.get("/api/me")
    assert response.status_code == 401
    assert response.json is not None and response.json["error"] == "SessionRequired"
    assert set_cookies(response) == []  # the cookie is kept for the next request
    assert cookie_value(client) == before
    backend["up"] = True
    assert client.get("/api/me").status_code == 200


@pytest.mark.parametrize(
    "bad",
    [True, "token", 42, ["sub"], {"exp": "soon"}, {"iat": "then"}, {"sub": 1}],
    ids=repr,
)
def test_jwt_callback_returning_garbage_is_not_a_500(
    make_app: AppFactory, clock: Clock, bad: Any
) -> None:
    app, auth = make_app()
    enabled = {"on": False}

    @auth.jwt_callback
    def jwt(token: dict[str, Any]) -> Any:
        if not enabled["on"]:
            return token
        return {**token, **bad} if isinstance(bad, dict) else bad

    client = app.test_client()
    sign_in(client)
    enabled["on"] = True
    response = client.get("/api/me")
    assert response.status_code == 401
    assert set_cookies(response) == []
    assert client.get("/").status_code == 200
    enabled["on"] = False
    assert client.get("/api/me").status_code == 200


def test_jwt_callback_building_a_new_dict_keeps_the_session_timestamps(
    make_app: AppFactory, clock: Clock
) -> None:
    app, auth = make_app(JWTAUTH_SESSION_MAX_AGE=100, JWTAUTH_SESSION_UPDATE_AGE=None)

    @auth.jwt_callback
    def jwt(token: dict[str, Any], user: Any = None) -> dict[str, Any]:
        # NextAuth users often return a fresh object: {...}; exp/iat/jti are the engine's.
        return {"sub": token["sub"], "name": token.get("name"), "shaped": True}

    add_token_view(app)
    client = app.test_client()
    sign_in(client)
    first = token_of(client)
    assert first["shaped"] is True
    assert {"iat", "exp", "auth_time", "jti"} <= first.keys()
    clock.advance(50)
    second = token_of(client)
    assert second["exp"] == first["exp"] and second["jti"] == first["jti"]
    clock.advance(50)
    assert_expired_api(client.get("/api/me"))


def test_mutating_what_a_view_reads_does_not_leak_into_later_requests(
    make_app: AppFactory, clock: Clock
) -> None:
    """Verified tokens are memoised by cookie string: views get copies, not the memo's."""
    app, auth = make_app()

    @auth.session_callback
    def session(session: dict[str, Any], token: dict[str, Any]) -> dict[str, Any]:
        token["roles"].append("from-session-callback")
        session["user"]["roles"].append("from-session")
        return session

    @app.get("/api/mutate")
    @login_required
    def mutate() -> Any:
        token = get_token()
        assert token is not None
        token["roles"].append("from-view")
        current_user["roles"].append("from-user")
        return {"roles": current_user["roles"]}

    add_token_view(app)
    client = app.test_client()
    sign_in(client)
    first = client.get("/api/me").json
    for _ in range(3):
        assert client.get("/api/mutate").status_code == 200
    assert client.get("/api/me").json == first  # nothing piled up from earlier requests
    assert first is not None and first["user"]["roles"].count("from-session") == 1
    assert token_of(client)["roles"] == ["admin"]


def test_jwt_callback_mutating_nested_claims_does_not_corrupt_the_memo(
    make_app: AppFactory, clock: Clock
) -> None:
    app, auth = make_app()
    seen: list[list[str]] = []

    @auth.jwt_callback
    def jwt(token: dict[str, Any], trigger: str | None = None) -> dict[str, Any]:
        seen.append(list(token["roles"]))
        if trigger is None:
            token = {**token, "roles": token["roles"]}
            token["roles"].append("temp")  # mutate in place, then decide not to keep it
            token["roles"] = ["admin"]
        return token

    client = app.test_client()
    sign_in(client)
    for _ in range(3):
        response = client.get("/api/me")
        assert response.status_code == 200
        assert set_cookie(response) is None  # the token came back unchanged
    assert seen[1:] == [["admin"], ["admin"], ["admin"]]


# -- caching headers -----------------------------------------------------------------------


def assert_private(response: TestResponse) -> None:
    assert response.headers.get("Cache-Control") == "private, no-store"
    assert "Cookie" in response.headers.get("Vary", "")


def assert_cacheable(response: TestResponse) -> None:
    assert "Cache-Control" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")


def test_cache_headers(make_app: AppFactory, clock: Clock) -> None:
    app, _ = make_app(JWTAUTH_SESSION_MAX_AGE=60, JWTAUTH_SESSION_UPDATE_AGE=30)

    @app.get("/hello")
    def hello() -> str:  # a public page that reads the session through the template
        return render_template_string("{{ 'Hi ' ~ current_user.name if current_user else 'Hi' }}")

    anon = app.test_client()
    assert_cacheable(anon.get("/"))  # never touched the session
    hello_anon = anon.get("/hello")
    assert hello_anon.get_data(as_text=True) == "Hi"
    assert_private(hello_anon)
    assert_private(anon.get("/dashboard"))  # the guard's redirect
    assert_private(anon.get("/api/me"))  # the guard's 401

    client = app.test_client()
    sign_in(client)
    assert_cacheable(client.get("/"))  # a session, but not read and not re-issued
    hello_ann = client.get("/hello")
    assert hello_ann.get_data(as_text=True) == "Hi Ann"
    assert_private(hello_ann)
    assert_private(client.get("/dashboard"))
    assert_private(client.get("/api/me"))
    clock.advance(30)
    rolled = client.get("/")  # the public page re-issued the cookie
    assert set_cookie(rolled) is not None
    assert_private(rolled)

    stale = app.test_client()
    stale.set_cookie(COOKIE, "not-a-token")
    cleared = stale.get("/")
    assert set_cookie(cleared) is not None
    assert_private(cleared)


def test_vary_keeps_what_the_view_set(make_app: AppFactory, clock: Clock) -> None:
    app, _ = make_app()

    @app.get("/api/varied")
    @login_required
    def varied() -> Any:
        return {"ok": True}, 200, {"Vary": "Accept-Encoding"}

    client = app.test_client()
    sign_in(client)
    vary = {v.strip() for v in client.get("/api/varied").headers["Vary"].split(",")}
    assert vary == {"Accept-Encoding", "Cookie"}


# -- sign-out ------------------------------------------------------------------------------


@pytest.mark.parametrize("update_age", [0, None])
def test_sign_out_only_clears(make_app: AppFactory, clock: Clock, update_age: int | None) -> None:
    """Even when the session was due to roll (UPDATE_AGE=0) or the jwt callback changed it."""
    app, auth = make_app(JWTAUTH_SESSION_UPDATE_AGE=update_age)

    @auth.jwt_callback
    def jwt(token: dict[str, Any]) -> dict[str, Any]:
        token["seen"] = token.get("seen", 0) + 1
        return token

    client = app.test_client()
    sign_in(client)
    clock.advance(5)
    response = sign_out(client)
    assert response.status_code == 302
    cookies = [c for c in set_cookies(response) if c.name.startswith(COOKIE)]
    assert cookies, "the sign-out response must clear the session cookie"
    assert all(c.cleared for c in cookies), [c.header for c in cookies]
    assert_private(response)
    assert cookie_value(client) is None
    assert client.get("/api/me").status_code == 401


# -- signals -------------------------------------------------------------------------------


def test_session_expired_signal(make_app: AppFactory, clock: Clock) -> None:
    app, _ = make_app(JWTAUTH_SESSION_MAX_AGE=10)
    received: list[dict[str, Any]] = []

    def on_expired(sender: Flask, token: dict[str, Any]) -> None:
        assert sender is app
        received.append(token)

    client = app.test_client()
    sign_in(client)
    with session_expired.connected_to(on_expired, app):
        clock.advance(9)
        client.get("/api/me")
        assert received == []
        clock.advance(2)
        client.get("/api/me")
    assert len(received) == 1
    assert received[0]["sub"] == "1"
    assert received[0]["exp"] == int(clock.now) - 1


def test_session_refreshed_signal(make_app: AppFactory, clock: Clock) -> None:
    app, _ = make_app(JWTAUTH_SESSION_MAX_AGE=60, JWTAUTH_SESSION_UPDATE_AGE=30)
    received: list[dict[str, Any]] = []

    def on_refreshed(sender: Flask, token: dict[str, Any]) -> None:
        assert sender is app
        received.append(token)

    client = app.test_client()
    with session_refreshed.connected_to(on_refreshed, app):
        sign_in(client)
        assert received == []  # a sign-in is not a refresh
        clock.advance(20)
        client.get("/api/me")
        assert received == []
        clock.advance(15)
        client.get("/api/me")
    assert len(received) == 1
    assert received[0]["iat"] == int(clock.now)
    assert received[0]["exp"] == int(clock.now) + 60


# -- what views read -----------------------------------------------------------------------


def test_anonymous_reads(make_app: AppFactory) -> None:
    app, _ = make_app()
    seen: dict[str, Any] = {}

    @app.get("/probe")
    def probe() -> str:
        seen["user_truthy"] = bool(current_user)
        seen["is_authenticated"] = current_user.is_authenticated
        seen["is_anonymous"] = current_user.is_anonymous
        seen["user_type"] = type(current_user._get_current_object())  # type: ignore[union-attr]
        seen["session"] = get_session()
        seen["token"] = get_token()
        seen["name"] = current_user.get("name")
        return "ok"

    assert app.test_client().get("/probe").status_code == 200
    assert seen == {
        "user_truthy": False,
        "is_authenticated": False,
        "is_anonymous": True,
        "user_type": AnonymousUser,
        "session": None,
        "token": None,
        "name": None,
    }


def test_signed_in_reads(make_app: AppFactory, clock: Clock) -> None:
    app, _ = make_app(JWTAUTH_SESSION_MAX_AGE=3600)
    seen: dict[str, Any] = {}

    @app.get("/probe")
    def probe() -> str:
        seen["user_truthy"] = bool(current_user)
        seen["is_authenticated"] = current_user.is_authenticated
        seen["is_anonymous"] = current_user.is_anonymous
        seen["name"] = current_user["name"]
        seen["id"] = current_user["id"]
        seen["same"] = get_session() == current_session
        token = get_token()
        seen["sub"] = token["sub"] if token else None
        return "ok"

    client = app.test_client()
    sign_in(client)
    assert client.get("/probe").status_code == 200
    assert seen == {
        "user_truthy": True,
        "is_authenticated": True,
        "is_anonymous": False,
        "name": "Ann",
        "id": "1",
        "same": True,
        "sub": "1",
    }


def test_return_current_session_from_a_view_is_json(make_app: AppFactory, clock: Clock) -> None:
    app, _ = make_app(JWTAUTH_SESSION_MAX_AGE=3600)
    client = app.test_client()
    sign_in(client)
    response = client.get("/api/me")  # conftest's view: `return current_session`
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    expires = datetime.fromtimestamp(clock.now + 3600, timezone.utc)
    assert response.json == {
        "user": {
            "id": "1",
            "name": "Ann",
            "email": "ann@example.com",
            "image": None,
            "roles": ["admin"],
        },
        "expires": expires.isoformat().replace("+00:00", "Z"),
    }


def test_session_callback_shapes_current_session_and_user(
    make_app: AppFactory, clock: Clock
) -> None:
    """Seed 000's callbacks: the jwt callback copies user fields into the token at sign-in,
    the session callback exposes them."""
    app, auth = make_app()

    @auth.jwt_callback
    def jwt(token: dict[str, Any], user: Any = None) -> dict[str, Any]:
        if user:
            token["firstName"], token["lastName"] = user["name"], "Example"
        return token

    @auth.session_callback
    def session(session: dict[str, Any], token: dict[str, Any]) -> dict[str, Any]:
        session["user"]["firstName"] = token["firstName"]
        session["user"]["lastName"] = token["lastName"]
        return session

    @app.get("/api/name")
    @login_required
    def name() -> Any:
        return {"full": f"{current_user['firstName']} {current_user['lastName']}"}

    client = app.test_client()
    sign_in(client)
    body = client.get("/api/me").json
    assert body is not None
    assert body["user"]["firstName"] == "Ann" and body["user"]["lastName"] == "Example"
    assert client.get("/api/name").json == {"full": "Ann Example"}
    assert client.get("/auth/session").json == body


def test_get_session_outside_a_view(make_app: AppFactory, clock: Clock) -> None:
    """get_session() works from helpers and hooks, e.g. the app's own before_request."""
    app, _ = make_app()
    seen: list[str | None] = []

    def helper() -> str | None:
        session = get_session()
        return session["user"]["email"] if session else None

    @app.before_request
    def remember() -> None:
        seen.append(helper())

    client = app.test_client()
    client.get("/")
    sign_in(client)
    client.get("/")
    assert seen[0] is None
    assert seen[-1] == "ann@example.com"


def test_hooks_registered_before_the_extension_see_the_session(clock: Clock) -> None:
    """The session is loaded first, even for the app's hooks registered before init_app."""
    app = Flask(__name__)
    app.config.update(TESTING=True, JWTAUTH_SECRET="test-secret-0123456789abcdef0123456789")
    seen: list[str | None] = []

    @app.before_request
    def early() -> None:
        seen.append(current_user.get("name"))

    def authorize(credentials: dict[str, str]) -> dict[str, str] | None:
        ok = PASSWORDS.get(credentials["username"]) == credentials["password"]
        return {"id": "1", "name": "Ann"} if ok else None

    auth = JWTAuth(providers=[CredentialsProvider(authorize=authorize)], clock=clock)
    auth.init_app(app)
    app.add_url_rule("/", "home", lambda: "home")
    client = app.test_client()
    sign_in(client)
    client.get("/")
    assert seen[-1] == "Ann"


def test_update_keeps_session_id_and_sign_in_time(make_app: AppFactory, clock: Clock) -> None:
    """NextAuth's update(): a jwt callback that builds a new dict on trigger "update" does
    not restart the session (same jti) nor escape the absolute cap (same auth_time)."""
    app, auth = make_app(
        JWTAUTH_SESSION_MAX_AGE=60,
        JWTAUTH_SESSION_UPDATE_AGE=None,
        JWTAUTH_SESSION_ABSOLUTE_MAX_AGE=100,
    )

    @auth.jwt_callback
    def jwt(
        token: dict[str, Any], trigger: str | None = None, session: Any = None
    ) -> dict[str, Any]:
        if trigger == "update":
            return {"sub": token["sub"], "name": session["name"]}
        return token

    add_token_view(app)
    client = app.test_client()
    sign_in(client)
    before = token_of(client)
    clock.advance(50)
    csrf = client.get("/auth/csrf").json
    assert csrf is not None
    response = client.post(
        "/auth/session",
        json={"data": {"name": "Annie"}},
        headers={"X-CSRFToken": csrf["csrfToken"]},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json is not None and response.json["user"]["name"] == "Annie"
    after = token_of(client)
    assert after["name"] == "Annie"
    assert after["jti"] == before["jti"]
    assert after["auth_time"] == before["auth_time"]
    assert after["iat"] == before["iat"] + 50  # an update writes a fresh expiry...
    clock.advance(49)
    assert client.get("/api/me").status_code == 200
    clock.advance(1)  # ...but never past the absolute cap, 100 s after sign-in
    assert_expired_api(client.get("/api/me"))


# -- the memo of verified tokens ----------------------------------------------------------------


def count_decrypts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    from flask_jwtauth.tokens import JWECodec

    calls: list[str] = []
    original = JWECodec.decode

    def counted(self: JWECodec, token: str) -> dict[str, Any]:
        calls.append(token)
        return original(self, token)

    monkeypatch.setattr(JWECodec, "decode", counted)
    return calls


def test_memo_evicts_the_oldest_token(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, _ = make_app(JWTAUTH_MEMO_SIZE=2)
    clients = [app.test_client() for _ in range(3)]
    for client in clients:
        sign_in(client)  # each sign-in memoises the token it wrote
    calls = count_decrypts(monkeypatch)
    for client in (clients[2], clients[1]):
        assert client.get("/api/me").status_code == 200
    assert calls == []  # the two newest are still held
    assert clients[0].get("/api/me").status_code == 200
    assert len(calls) == 1  # the oldest was evicted: decrypted again (and held again)
    assert clients[0].get("/api/me").status_code == 200
    assert len(calls) == 1


def test_memo_size_zero_decrypts_every_request(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, _ = make_app(JWTAUTH_MEMO_SIZE=0)
    client = app.test_client()
    sign_in(client)
    calls = count_decrypts(monkeypatch)
    for _ in range(3):
        assert client.get("/api/me").status_code == 200
    assert len(calls) == 3


# -- the expiry notice ------------------------------------------------------------------------


@pytest.mark.parametrize("max_age", [5, 3600])
def test_expiry_is_reported_after_a_public_page(
    make_app: AppFactory, clock: Clock, max_age: int
) -> None:
    """A user whose session ran out is told so when next sent to sign in, also after a
    public page cleared the dead cookie, and for a 5-second session as for an hour's."""
    app, _ = make_app(JWTAUTH_SESSION_MAX_AGE=max_age)
    client = app.test_client()
    sign_in(client)
    clock.advance(max_age + 60)
    public_page = client.get("/")
    assert public_page.status_code == 200
    assert cookie_value(client) is None  # the dead session cookie is gone
    response = client.get("/dashboard")
    assert parse_qs(urlsplit(response.headers["Location"]).query)["error"] == ["SessionExpired"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your session has expired" in page
    # Reported once: the next trip to a protected page is a plain sign-in.
    again = client.get("/dashboard")
    assert "error" not in parse_qs(urlsplit(again.headers["Location"]).query)


def test_signing_in_again_drops_the_expiry_notice(make_app: AppFactory, clock: Clock) -> None:
    app, _ = make_app(JWTAUTH_SESSION_MAX_AGE=10)
    client = app.test_client()
    sign_in(client)
    clock.advance(20)
    client.get("/")
    assert client.get_cookie("jwtauth.session-expired") is not None
    sign_in(client)
    assert client.get_cookie("jwtauth.session-expired") is None
    assert client.get("/api/me").status_code == 200


# -- Regression tests for issue 18, bugs 3 and 4b. --------------------------------------


def test_issue18_a_token_with_a_null_iat_is_an_invalid_cookie(
    make_app: AppFactory, clock: Clock
) -> None:
    """A session token made with the key (a jwt callback, a peer) whose ``iat`` is null is
    an invalid cookie: on an API route, 401 JSON and the cookie cleared;
    never a 500 (``due_to_roll``: float minus None)."""
    app, _ = make_app(PROPAGATE_EXCEPTIONS=False)
    now = int(clock.now)
    claims = {"sub": "1", "name": "Ann", "iat": None, "auth_time": now, "exp": now + 3600}
    client = app.test_client()
    client.set_cookie(COOKIE, JWECodec((SECRET.encode(),), COOKIE).encode(claims))
    response = client.get("/api/me")
    assert response.status_code == 401, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    cleared = set_cookie(response)
    assert cleared is not None and cleared.cleared


def test_issue18_a_10_second_session_lasts_10_seconds_whatever_the_fraction(
    make_app: AppFactory, clock: Clock
) -> None:
    """JWTAUTH_SESSION_MAX_AGE=10, signed in at t=1000.9: the session lasts 10.0 s, so it is
    still valid at 1010.5 (not cut to 9.1 s by whole-second times) and over at 1010.95."""
    app, _ = make_app(JWTAUTH_SESSION_MAX_AGE=10)
    clock.now = 1_700_001_000.9
    client = app.test_client()
    sign_in(client)
    clock.now = 1_700_001_010.5
    response = client.get("/api/me")
    assert response.status_code == 200, response.get_json()
    clock.now = 1_700_001_010.95
    assert_expired_api(client.get("/api/me"))


def test_issue18_a_roll_keeps_the_fraction_of_the_second(
    make_app: AppFactory, clock: Clock
) -> None:
    """A rolling 10-second session (re-issued on every request) re-issued at t=1005.7 lives
    until 1015.7: still valid at 1015.5 (each roll must not lose the fraction again)."""
    app, _ = make_app(JWTAUTH_SESSION_MAX_AGE=10, JWTAUTH_SESSION_UPDATE_AGE=0)
    clock.now = 1_700_001_000.2
    client = app.test_client()
    sign_in(client)
    clock.now = 1_700_001_005.7
    assert client.get("/api/me").status_code == 200  # re-issued now
    clock.now = 1_700_001_015.5
    response = client.get("/api/me")
    assert response.status_code == 200, response.get_json()


# -- Regression test for issue 18, bug 7a. ----------------------------------------------


def test_issue18_the_expiry_notice_survives_an_api_call_that_saw_the_expiry_first(
    make_app: AppFactory, clock: Clock
) -> None:
    """A short session runs out; the page's fetch to an API route is the first to see it
    (401 SessionExpired, the dead cookie cleared). The next click, to a protected page,
    redirects to sign-in, and the sign-in page still says "Your session has expired"."""
    app, _ = make_app(JWTAUTH_SESSION_MAX_AGE=10)
    client = app.test_client()
    sign_in(client)
    clock.advance(11)
    api = client.get("/api/me", headers={"Accept": "application/json"})
    assert_expired_api(api)
    response = client.get("/dashboard")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/auth/sign-in"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your session has expired" in page


# -- per-session lifetimes (issue 21, item 21; seed 001) ------------------------------------


def test_a_jwt_callback_gives_admins_a_shorter_session_and_a_faster_roll(
    make_app: AppFactory, clock: Clock
) -> None:
    """Seed 001: admins' sessions shorter, and an update age per role (which NextAuth cannot
    do). The jwt callback sets session_max_age / session_update_age at sign-in; they are
    honoured in the token's exp, the idle expiry, the session's expires and the cookie."""
    app, auth = make_app(JWTAUTH_SESSION_MAX_AGE=3600, JWTAUTH_SESSION_UPDATE_AGE=600)

    @auth.jwt_callback
    def per_role(token: dict[str, Any], user: Any = None) -> dict[str, Any]:
        if user is not None and "admin" in (user.get("roles") or []):
            token["session_max_age"] = 60
            token["session_update_age"] = 0
        return token

    admin, member = app.test_client(), app.test_client()
    sign_in(admin, "ann")  # ann is an admin
    sign_in(member, "bob")
    admin_cookie = set_cookie(admin.get("/api/me"))  # re-issued on every request
    assert admin_cookie is not None and admin_cookie.max_age is not None
    assert admin_cookie.max_age <= 60 + 86400  # 60 s, plus the expiry notice
    assert set_cookie(member.get("/api/me")) is None  # not due for 10 minutes
    expires = admin.get("/auth/session").get_json()["expires"]
    ends = datetime.fromisoformat(expires.replace("Z", "+00:00")).timestamp()
    assert ends == pytest.approx(clock.now + 60, abs=1)
    clock.advance(61)
    assert admin.get("/api/me").status_code == 401
    assert member.get("/api/me").status_code == 200
    clock.advance(3600)
    assert member.get("/api/me").status_code == 401


def test_a_session_cannot_give_itself_a_longer_life(make_app: AppFactory, clock: Clock) -> None:
    app, auth = make_app(JWTAUTH_SESSION_MAX_AGE=60)

    @auth.jwt_callback
    def longer(token: dict[str, Any]) -> dict[str, Any]:
        token["session_max_age"] = 3600
        return token

    client = app.test_client()
    sign_in(client)
    clock.advance(61)
    assert client.get("/api/me").status_code == 401


def test_a_browser_that_dropped_the_expired_cookie_is_still_told_why(
    make_app: AppFactory, clock: Clock
) -> None:
    """The cookie's Max-Age is the session's own, so a browser drops it at the session's
    end and sends nothing back. The sign-in page still says the session expired (the
    marker scoped to it), once; after a sign-out it says nothing."""
    app, _ = make_app(JWTAUTH_SESSION_MAX_AGE=10)
    client = app.test_client()
    sign_in(client)
    clock.advance(11)
    client.delete_cookie(COOKIE)  # what a browser does at Max-Age
    page = client.get("/dashboard")
    assert page.status_code == 302
    shown = client.get(page.headers["Location"]).get_data(as_text=True)
    assert "Your session has expired" in shown
    again = client.get("/auth/sign-in").get_data(as_text=True)
    assert "Your session has expired" not in again  # said once

    sign_in(client)
    out = client.get("/auth/sign-out").get_data(as_text=True)
    token = out.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/auth/sign-out", data={"csrf_token": token})
    assert "Your session has expired" not in client.get("/auth/sign-in").get_data(as_text=True)
