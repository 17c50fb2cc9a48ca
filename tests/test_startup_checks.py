"""Start-up warnings: logged by JWTAuth when it can see the problem (the configuration at
``init_app``, the app's views then or on the first request), each naming the keys."""

from __future__ import annotations

import base64
import logging
from typing import Any

import pytest
from conftest import AppFactory
from flask import Flask
from support import SECRET, attempt_sign_in

from flask_jwtauth import ConfigurationError, JWTAuth, login_required


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if getattr(r, "code", "") == "CONFIG_WARNING"]


@pytest.fixture(autouse=True)
def capture(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="flask_jwtauth")


def test_a_good_configuration_says_nothing(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    app, _ = make_app()
    app.test_client().get("/")
    assert warnings(caplog) == []


def test_insecure_cookies_outside_debug(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    make_app(JWTAUTH_COOKIE_SECURE=False, TESTING=False)
    assert any("JWTAUTH_COOKIE_SECURE = False while DEBUG is off" in m for m in warnings(caplog))
    caplog.clear()
    make_app(JWTAUTH_COOKIE_SECURE=False, TESTING=False, DEBUG=True)
    assert warnings(caplog) == []


def test_a_session_longer_than_its_token(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    make_app(JWTAUTH_SESSION_MAX_AGE=3600, JWTAUTH_JWT_MAX_AGE=600, JWTAUTH_SESSION_UPDATE_AGE=60)
    (message,) = warnings(caplog)
    assert "JWTAUTH_SESSION_MAX_AGE (3600s)" in message and "JWTAUTH_JWT_MAX_AGE (600s)" in message


def test_a_cookie_domain_that_does_not_cover_the_host(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    make_app(JWTAUTH_COOKIE_DOMAIN="example.com", SERVER_NAME="app.example.org")
    assert any("does not cover SERVER_NAME (app.example.org)" in m for m in warnings(caplog))
    caplog.clear()
    app, _ = make_app(JWTAUTH_COOKIE_DOMAIN="example.com")
    client = app.test_client()
    attempt_sign_in(client, base_url="http://shop.example.net")  # a cookie is written
    attempt_sign_in(client, base_url="http://shop.example.net")
    said = [m for m in warnings(caplog) if "this request's host (shop.example.net)" in m]
    assert len(said) == 1  # once per host
    caplog.clear()
    attempt_sign_in(app.test_client(), base_url="http://a.example.com")
    assert warnings(caplog) == []


def test_a_sign_in_page_behind_login_required_would_loop(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = Flask(__name__)
    app.config.update(JWTAUTH_SECRET=SECRET, JWTAUTH_SIGN_IN_ENDPOINT="login")
    JWTAuth(app)

    @app.get("/login")  # registered after JWTAuth: found on the first request
    @login_required
    def login() -> str:
        return "form"

    assert warnings(caplog) == []
    app.test_client().get("/anything")
    (message,) = warnings(caplog)
    assert "JWTAUTH_SIGN_IN_ENDPOINT" in message and "in a loop" in message
    app.test_client().get("/anything")
    assert len(warnings(caplog)) == 1  # said once


def test_a_short_secret_is_an_error_not_a_warning(make_app: AppFactory) -> None:
    with pytest.raises(ConfigurationError, match=r"JWTAUTH_SECRET.*at least 32 bytes"):
        make_app(JWTAUTH_SECRET="too-short-0123456789")


def test_signed_tokens_keep_no_upstream_tokens(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """A JWS cookie is readable by whoever holds it: access and refresh tokens stay out."""
    from flask_jwtauth import CredentialsProvider, Tokens, get_token

    def authorize(credentials: dict[str, str]) -> Any:
        return {"id": "1"}, Tokens("ACCESS-secret", refresh_token="REFRESH-secret")

    def refresh(tokens: Tokens) -> Tokens:
        return tokens

    provider = CredentialsProvider(authorize=authorize, refresh=refresh)
    app, _ = make_app(providers=[provider], JWTAUTH_TOKEN_FORMAT="jws")
    (message,) = warnings(caplog)
    assert "JWTAUTH_TOKEN_FORMAT = 'jws'" in message
    client = app.test_client()
    attempt_sign_in(client, "x", "y")
    cookie = client.get_cookie("jwtauth.session-token")
    assert cookie is not None
    payload = cookie.value.split(".")[1]
    readable = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
    assert '"sub":"1"' in readable.replace(" ", "") and "ACCESS-secret" not in readable
    with app.test_request_context(headers={"Cookie": f"jwtauth.session-token={cookie.value}"}):
        app.preprocess_request()
        token = get_token()
    assert token is not None and token["sub"] == "1" and "upstream" not in token
    caplog.clear()
    make_app(JWTAUTH_TOKEN_FORMAT="jws")  # no provider that hands tokens over: nothing said
    assert warnings(caplog) == []


def test_guarded_api_views_outside_the_api_paths(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    from flask import Blueprint

    app, _ = make_app()
    bp = Blueprint("under_app", __name__, url_prefix="/app")

    @bp.get("/api/me")
    @login_required
    def me() -> Any:
        return {}

    @bp.get("/api/items/<int:item>")
    @login_required
    def item(item: int) -> Any:
        return {}

    @bp.get("/api/open")
    def open_() -> Any:  # not guarded: nothing to answer
        return {}

    app.register_blueprint(bp)
    app.test_client().get("/")  # the view checks run on the first request
    (message,) = warnings(caplog)
    assert "'/app/api/me'" in message and "add '/app/api/*' to JWTAUTH_API_PATHS" in message
    assert "/app/api/open" not in message

    caplog.clear()
    app, _ = make_app(JWTAUTH_API_PATHS=["/api/*", "/app/api/*"])
    app.register_blueprint(bp)
    app.test_client().get("/")
    assert warnings(caplog) == []


def test_a_cookie_domain_that_misses_jwtauth_url_is_caught_by_check(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """No SERVER_NAME: the canonical URL still names the host the browser will be on."""
    app, _ = make_app(JWTAUTH_COOKIE_DOMAIN="example.com", JWTAUTH_URL="https://shop.example.net")
    assert any("does not cover JWTAUTH_URL (shop.example.net)" in m for m in warnings(caplog))
    result = app.test_cli_runner().invoke(args=["jwtauth", "check"])
    assert result.exit_code == 1 and "JWTAUTH_URL (shop.example.net)" in result.output
    caplog.clear()
    make_app(JWTAUTH_COOKIE_DOMAIN="example.com", JWTAUTH_URL="https://shop.example.com")
    assert warnings(caplog) == []


@pytest.mark.parametrize("debug", [True, False])
def test_in_debug_mode_the_sign_in_page_says_the_cookie_domain_misses_the_host(
    make_app: AppFactory, debug: bool
) -> None:
    """The right password, a cookie the browser refuses (the test client refuses it as a
    browser does), and the sign-in page again: in debug mode it says why."""
    app, _ = make_app(JWTAUTH_COOKIE_DOMAIN="example.com", DEBUG=debug)
    client = app.test_client()
    signed_in = attempt_sign_in(client, callbackUrl="/dashboard")
    assert signed_in.headers["Location"] == "/dashboard"
    back = client.get("/dashboard")
    assert back.status_code == 302  # no session: the cookie was not for this host
    page = client.get(back.headers["Location"]).get_data(as_text=True)
    said = "JWTAUTH_COOKIE_DOMAIN (example.com) does not cover this host (localhost)"
    assert (said in page) is debug

    covered = app.test_client().get("/auth/sign-in", base_url="http://shop.example.com")
    assert "JWTAUTH_COOKIE_DOMAIN" not in covered.get_data(as_text=True)
