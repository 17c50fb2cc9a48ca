"""Seed 002's sub-domains: a sign-in app on one origin, protected apps on others, one shared
cookie; callbackUrls may lead only to origins the app trusts."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import AppFactory
from flask import request
from support import COOKIE, SECRET, csrf_token, set_cookie, sign_in

from flask_jwtauth import ConfigurationError, JWTAuth, get_token

AUTH = "https://auth.example.com"
APP = "https://app.example.com"
ANOTHER = "another-secret-Zr4kT9mWq2xLb7nVc5pHd8sJf3gYa6uE"
BACKEND = "backend-secret-Pq7wE2rT9yU4iO1pA6sD3fG8hJ5kL0zX"


def test_a_page_sends_users_to_the_sign_in_app_and_back(make_app: AppFactory) -> None:
    app, _ = make_app(
        JWTAUTH_SIGN_IN_URL=f"{AUTH}/sign-in",
        JWTAUTH_COOKIE_DOMAIN="example.com",
    )
    client = app.test_client()
    response = client.get("/dashboard", base_url=APP)
    assert response.status_code == 302
    assert response.headers["Location"] == (
        f"{AUTH}/sign-in?callbackUrl=https%3A%2F%2Fapp.example.com%2Fdashboard"
    )
    assert client.get("/auth/sign-in", base_url=APP).status_code == 404  # not served here


def test_the_sign_in_app_returns_to_a_trusted_origin(make_app: AppFactory) -> None:
    app, _ = make_app(
        JWTAUTH_TRUSTED_ORIGINS=["https://*.example.com"],
        JWTAUTH_COOKIE_DOMAIN=".example.com",  # as seed 002 writes it
    )
    client = app.test_client()
    page = client.get(f"/auth/sign-in?callbackUrl={APP}/dashboard", base_url=AUTH)
    assert f'value="{APP}/dashboard"' in page.get_data(as_text=True)
    response = client.post(
        "/auth/sign-in/credentials",
        data={
            "username": "ann",
            "password": "pw-ann",
            "csrf_token": csrf_token(client, AUTH),
            "callbackUrl": f"{APP}/dashboard",
        },
        base_url=AUTH,
    )
    assert response.headers["Location"] == f"{APP}/dashboard"
    cookie = set_cookie(response, f"__Secure-{COOKIE}")
    assert cookie is not None and cookie.attrs["domain"] == "example.com"


@pytest.mark.parametrize(
    "target",
    [
        "https://example.com/x",  # the domain itself is not a sub-domain
        "https://evil.com/x",
        "https://app.example.com.evil.com/x",
        "http://app.example.com/x",  # another scheme
        "https://app.example.com:8443/x",  # another port
        "https://user@app.example.com/x",
        "https://app.example.com//evil.com",
        "javascript:alert(1)//app.example.com",
    ],
)
def test_untrusted_targets_fall_back_home(make_app: AppFactory, target: str) -> None:
    app, _ = make_app(JWTAUTH_TRUSTED_ORIGINS=["https://*.example.com"])
    client = app.test_client()
    response = client.post(
        "/auth/sign-out",
        data={"csrf_token": csrf_token(client, AUTH), "callbackUrl": target},
        base_url=AUTH,
    )
    assert response.headers["Location"] == "/"


def test_sign_out_may_land_on_a_trusted_login_page(make_app: AppFactory) -> None:
    app, _ = make_app(JWTAUTH_TRUSTED_ORIGINS=[AUTH])
    client = app.test_client()
    sign_in(client, base_url=APP, expect_cookie=f"__Secure-{COOKIE}")
    token = client.get("/auth/csrf", base_url=APP).get_json()["csrfToken"]
    response = client.post(
        "/auth/sign-out",
        data={"csrf_token": token, "callbackUrl": f"{AUTH}/sign-in"},
        base_url=APP,
    )
    assert response.headers["Location"] == f"{AUTH}/sign-in"


@pytest.mark.parametrize(
    "origins",
    [["*.example.com"], ["https://example.com/path"], ["ftp://x.com"], ["https://*"], [5], 5],
    ids=repr,
)
def test_bad_trusted_origins_fail_at_start_up(make_app: AppFactory, origins: Any) -> None:
    with pytest.raises(ConfigurationError) as caught:
        make_app(JWTAUTH_TRUSTED_ORIGINS=origins)
    assert caught.value.key == "JWTAUTH_TRUSTED_ORIGINS"


def test_an_app_with_another_secret_leaves_the_shared_cookie_alone(
    make_app: AppFactory,
) -> None:
    """It cannot read the cookie, so it answers 401, and does not delete it: the cookie
    belongs to the app that can."""
    owner, _ = make_app(JWTAUTH_COOKIE_DOMAIN="example.com")
    client = owner.test_client()
    sign_in(client, base_url=AUTH, expect_cookie=f"__Secure-{COOKIE}")
    other, _ = make_app(
        JWTAUTH_COOKIE_DOMAIN="example.com", JWTAUTH_SECRET=ANOTHER
    )
    other.add_url_rule("/cookies", "cookies", lambda: sorted(request.cookies))
    foreign = other.test_client()
    value = client.get_cookie(f"__Secure-{COOKIE}", domain="example.com")
    assert value is not None
    foreign.set_cookie(
        f"__Secure-{COOKIE}", value.value, domain="example.com", origin_only=False
    )
    assert foreign.get("/cookies", base_url=APP).get_json() == [f"__Secure-{COOKIE}"]
    response = foreign.get("/api/me", base_url=APP)
    assert response.status_code == 401
    assert not response.headers.getlist("Set-Cookie")
    # Without a shared domain, an unreadable cookie is cleared as before.
    alone, _ = make_app(JWTAUTH_SECRET=ANOTHER)
    mine = alone.test_client()
    mine.set_cookie(COOKIE, value.value)
    cleared = mine.get("/api/me").headers.getlist("Set-Cookie")
    assert any(h.startswith(f"{COOKIE}=;") for h in cleared)


def test_get_token_reads_another_cookie_and_secret(make_app: AppFactory) -> None:
    """Seed 002's middleware: ``getToken({req, secret, cookieName})``."""
    issuer, _ = make_app(
        JWTAUTH_COOKIE_NAME="backend.session", JWTAUTH_SECRET=BACKEND
    )
    source = issuer.test_client()
    sign_in(source, expect_cookie="backend.session")
    token = source.get_cookie("backend.session")
    assert token is not None
    app, _ = make_app()

    @app.get("/peek")
    def peek() -> Any:
        found = get_token(cookie_name="backend.session", secret=BACKEND)
        wrong = get_token(cookie_name="backend.session")  # our secret: unreadable
        return {"sub": found and found["sub"], "wrong": wrong}

    client = app.test_client()
    client.set_cookie("backend.session", token.value)
    assert client.get("/peek").get_json() == {"sub": "1", "wrong": None}


def test_samesite_none_needs_secure_forced_on() -> None:
    from flask import Flask

    for secure in (None, False):
        app = Flask(__name__)
        app.config.update(
            JWTAUTH_SECRET=SECRET, JWTAUTH_COOKIE_SAMESITE="None", JWTAUTH_COOKIE_SECURE=secure
        )
        with pytest.raises(ConfigurationError) as caught:
            JWTAuth(app)
        assert caught.value.key == "JWTAUTH_COOKIE_SAMESITE"
        assert "JWTAUTH_COOKIE_SECURE" in str(caught.value)
