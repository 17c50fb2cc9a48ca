"""Auth.js's REST API (next-auth v4's routes and answers) at JWTAUTH_AUTHJS_API_URL, over HTTP
with the requests next-auth/react's client sends (form posts with ``json=true``)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from conftest import AppFactory
from flask import Flask
from flask.testing import FlaskClient
from support import COOKIE, authorize, set_cookie

from flask_jwtauth import (
    ConfigurationError,
    CredentialsProvider,
    EmailProvider,
    OAuthProvider,
    OIDCProvider,
)
from flask_jwtauth.errors import ErrorCode

API = "/api/auth"


@pytest.fixture
def app(make_app: AppFactory) -> Flask:
    return make_app(JWTAUTH_AUTHJS_API_URL=API)[0]


def csrf(client: FlaskClient) -> str:
    token: str = client.get(f"{API}/csrf").get_json()["csrfToken"]
    return token


def credentials_sign_in(client: FlaskClient, password: str = "pw-ann", **extra: str) -> Any:
    """What ``signIn("credentials", {redirect: false, ...})`` posts."""
    data = {
        "username": "ann",
        "password": password,
        "csrfToken": csrf(client),
        "callbackUrl": "http://localhost/dashboard",
        "json": "true",
        **extra,
    }
    return client.post(f"{API}/callback/credentials", data=data)


def test_no_session_is_an_empty_object_and_the_providers_are_in_authjs_shape(
    app: Flask,
) -> None:
    client = app.test_client()
    response = client.get(f"{API}/session")
    assert response.status_code == 200 and response.get_json() == {}
    assert "no-store" in response.headers["Cache-Control"] or "private" in response.headers[
        "Cache-Control"
    ]
    assert client.get("/auth/session").get_json() is None  # our own endpoint keeps null
    assert client.get(f"{API}/providers").get_json() == {
        "credentials": {
            "id": "credentials",
            "name": "Credentials",
            "type": "credentials",
            "signinUrl": "http://localhost/api/auth/signin/credentials",
            "callbackUrl": "http://localhost/api/auth/callback/credentials",
        }
    }


def test_credentials_sign_in_session_update_and_sign_out(app: Flask) -> None:
    client = app.test_client()
    response = credentials_sign_in(client)
    assert response.status_code == 200
    assert response.get_json() == {"url": "http://localhost/dashboard"}
    assert client.get_cookie(COOKIE) is not None
    session = client.get(f"{API}/session").get_json()
    assert session["user"]["name"] == "Ann"
    updated = client.post(f"{API}/session", json={"csrfToken": csrf(client), "data": {"x": 1}})
    assert updated.status_code == 200 and updated.get_json()["user"]["name"] == "Ann"
    refused = client.post(f"{API}/session", json={"csrfToken": "forged", "data": {}})
    assert refused.status_code == 400
    out = client.post(
        f"{API}/signout",
        data={"csrfToken": csrf(client), "callbackUrl": "http://localhost/bye", "json": "true"},
    )
    assert out.status_code == 200 and out.get_json() == {"url": "http://localhost/bye"}
    cleared = set_cookie(out)
    assert cleared is not None and cleared.cleared
    assert client.get(f"{API}/session").get_json() == {}


def test_a_wrong_password_answers_the_error_in_the_url(app: Flask) -> None:
    client = app.test_client()
    response = credentials_sign_in(client, password="nope")
    assert response.status_code == 401
    assert response.get_json() == {
        "url": "http://localhost/api/auth/error?error=CredentialsSignin&provider=credentials"
    }
    assert client.get_cookie(COOKIE) is None


def test_csrf_and_same_origin_rules_stay_as_strict(app: Flask) -> None:
    client = app.test_client()
    forged = client.post(
        f"{API}/callback/credentials",
        data={"username": "ann", "password": "pw-ann", "csrfToken": "forged", "json": "true"},
    )
    # v4's answer: 200, and where to go (signIn() reports ok: true, as v4's client does).
    assert forged.status_code == 200
    assert forged.get_json() == {"url": "http://localhost/api/auth/signin?csrf=true"}
    assert client.get_cookie(COOKIE) is None
    hostile = credentials_sign_in(client, callbackUrl="https://evil.example/steal")
    assert hostile.status_code == 200 and hostile.get_json() == {"url": "http://localhost/"}
    out = client.post(f"{API}/signout", data={"csrfToken": "forged", "json": "true"})
    assert out.status_code == 200 and client.get_cookie(COOKIE) is not None
    assert out.get_json() == {"url": "http://localhost/api/auth/signout?csrf=true"}


def test_the_pages_lead_to_ours(app: Flask) -> None:
    client = app.test_client()
    response = client.get(f"{API}/signin?callbackUrl=%2Fdashboard")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/sign-in?callbackUrl=%2Fdashboard"
    error = client.get(f"{API}/error?error=CredentialsSignin")
    assert error.status_code == 302
    assert error.headers["Location"] == "http://localhost/api/auth/signin?error=CredentialsSignin"
    assert client.get(f"{API}/signout").headers["Location"].startswith("/auth/sign-out")
    logged = client.post(f"{API}/_log", json={"level": "error"})
    assert logged.status_code == 200 and logged.get_data() == b""


def test_off_unless_configured_and_never_on_our_own_prefix(make_app: AppFactory) -> None:
    app, _ = make_app()
    assert app.test_client().get(f"{API}/session").status_code == 404
    with pytest.raises(ConfigurationError, match="JWTAUTH_AUTHJS_API_URL"):
        make_app(JWTAUTH_AUTHJS_API_URL="/auth")


@pytest.mark.parametrize("code", [*(c.value for c in ErrorCode), "NoSuchCode", ""])
def test_issue19_no_query_string_makes_the_error_route_answer_5xx(app: Flask, code: str) -> None:
    """``/api/auth/error?error=Configuration`` answered 500; ours answered 200. The page only
    reports: the request that failed already carried its status. The Auth.js route answers
    v4's status otherwise (200, 403 for AccessDenied and Verification: issue 20)."""
    client = app.test_client()
    ours = client.get(f"/auth/error?error={code}")
    theirs = client.get(f"{API}/error?error={code}")
    assert ours.status_code < 500 and theirs.status_code < 500, (ours, theirs)
    if theirs.status_code != 302:  # sign-in failures go to the sign-in page, as next-auth's
        assert theirs.status_code == (403 if code in ("AccessDenied", "Verification") else 200)
        if theirs.status_code == ours.status_code:  # the same page (it shows the status)
            assert theirs.get_data(as_text=True) == ours.get_data(as_text=True)
    if code == "Configuration":
        assert theirs.status_code == 200
        assert "problem with the server configuration" in theirs.get_data(as_text=True)


def test_auth_js_v5_is_a_setting_of_4_or_5(make_app: AppFactory) -> None:
    for wrong in (6, "v5", True, None):
        with pytest.raises(ConfigurationError, match="JWTAUTH_AUTHJS_VERSION"):
            make_app(JWTAUTH_AUTHJS_API_URL=API, JWTAUTH_AUTHJS_VERSION=wrong)
    app, _ = make_app(JWTAUTH_AUTHJS_API_URL=API, JWTAUTH_AUTHJS_VERSION="5")
    client = app.test_client()
    assert client.get(f"{API}/session").get_json() is None  # v5's "no session"
    data = {"username": "ann", "password": "nope", "csrfToken": csrf(client)}
    headers = {"X-Auth-Return-Redirect": "1"}
    refused = client.post(f"{API}/callback/credentials", data=data, headers=headers)
    assert refused.status_code == 200
    assert refused.get_json() == {
        "url": "http://localhost/api/auth/signin?error=CredentialsSignin&code=credentials"
    }


def test_v5s_header_asks_for_json_under_v4_too(app: Flask) -> None:
    """v4's answers, but the header that only v5's client sends still means ``{"url"}``."""
    client = app.test_client()
    data = {"username": "ann", "password": "pw-ann", "csrfToken": csrf(client)}
    data["callbackUrl"] = "http://localhost/dashboard"
    headers = {"X-Auth-Return-Redirect": "1"}
    signed_in = client.post(f"{API}/callback/credentials", data=data, headers=headers)
    assert signed_in.status_code == 200
    assert signed_in.get_json() == {"url": "http://localhost/dashboard"}
    assert client.get(f"{API}/session").get_json()["user"]["name"] == "Ann"


def _oauth_app(make_app: AppFactory, version: int) -> Flask:
    github = OAuthProvider(
        "github",
        "GitHub",
        client_id="id",
        client_secret="secret",
        authorization_url="https://github.example/authorize",
        token_url="https://github.example/token",
        userinfo_url="https://github.example/user",
    )
    # Never reached: every request below fails before discovery.
    oidc = OIDCProvider("oidc", "OP", issuer="https://op.invalid", client_id="i", client_secret="s")
    providers = [CredentialsProvider(authorize=authorize), github, oidc]
    config = {"JWTAUTH_AUTHJS_VERSION": version} if version == 5 else {}
    return make_app(providers=providers, JWTAUTH_AUTHJS_API_URL=API, **config)[0]


@pytest.mark.parametrize("version", [4, 5])
def test_an_openid_provider_is_oauth_in_v4s_provider_list(
    make_app: AppFactory, version: int
) -> None:
    client = _oauth_app(make_app, version).test_client()
    listed = client.get(f"{API}/providers").get_json()
    assert listed["github"]["type"] == "oauth"
    assert listed["oidc"]["type"] == ("oauth" if version == 4 else "oidc")
    # The redirect URI registered at the provider is ours, whichever client signs in.
    assert listed["oidc"]["callbackUrl"] == "http://localhost/auth/callback/oidc"
    assert client.get("/auth/providers").get_json()["oidc"]["type"] == "oidc"  # ours keeps it


@pytest.mark.parametrize(
    ("version", "query", "location"),
    [
        (4, "code=c&state=forged", "/api/auth/error?error=OAuthCallback"),
        (4, "", "/api/auth/error?error=OAuthCallback"),
        (4, "error=access_denied&state=forged", "/api/auth/error?error=Callback"),
        (5, "code=c&state=forged", "/api/auth/error?error=Configuration"),
        (5, "error=access_denied&state=forged", "/api/auth/error?error=Configuration"),
    ],
)
def test_a_failed_oauth_callback_goes_to_the_versions_error_route(
    make_app: AppFactory, version: int, query: str, location: str
) -> None:
    """As next-auth's own: ``/api/auth/callback/<id>`` without this browser's state goes to
    the version's error route; our own callback route keeps our sign-in page."""
    client = _oauth_app(make_app, version).test_client()
    for provider in ("github", "oidc"):
        answer = client.get(f"{API}/callback/{provider}?{query}")
        assert answer.status_code == 302
        assert answer.headers["Location"] == f"http://localhost{location}"
        ours = client.get(f"/auth/callback/{provider}?{query}")
        assert ours.status_code == 302 and ours.headers["Location"].startswith("/auth/sign-in?")
    if version == 4:  # and v4's error route sends a sign-in error on to the sign-in page
        shown = client.get(location)
        assert shown.status_code == 302 and "/api/auth/signin?error=" in shown.headers["Location"]


def _email_app(make_app: AppFactory, version: int, outbox: list[str], **options: Any) -> Flask:
    def send(to: str, subject: str, text: str, html: str | None) -> None:
        outbox.append(text)

    config = {"JWTAUTH_AUTHJS_VERSION": version} if version == 5 else {}
    return make_app(
        providers=[EmailProvider(send=send, **options)],
        JWTAUTH_AUTHJS_API_URL=API,
        JWTAUTH_STORE_URL="memory://",
        JWTAUTH_URL="http://localhost",
        **config,
    )[0]


def _ask(client: FlaskClient, version: int, address: str) -> Any:
    """What ``signIn("email", {email, redirect: false})`` posts (v4: ``json=true``, v5: the
    ``X-Auth-Return-Redirect`` header)."""
    form = {"csrfToken": csrf(client), "email": address, "callbackUrl": "http://localhost/d"}
    if version == 4:
        return client.post(f"{API}/signin/email", data={**form, "json": "true"})
    return client.post(f"{API}/signin/email", data=form, headers={"X-Auth-Return-Redirect": "1"})


@pytest.mark.parametrize("version", [4, 5])
def test_an_email_link_begun_here_leads_back_here_through_the_confirm_page(
    make_app: AppFactory, version: int
) -> None:
    """"Check your email" is the version's ``/verify-request``; the link leads to
    ``/callback/email`` here, and its GET (a mail scanner's) only shows the confirm page,
    whose button signs in; a refused address is v4's ``EmailSignin``, v5's
    ``Configuration``, 200 as both."""
    outbox: list[str] = []
    client = _email_app(make_app, version, outbox).test_client()
    answer = _ask(client, version, "Ann@Example.com")
    assert answer.status_code == 200
    sent = "http://localhost/api/auth/verify-request?provider=email&type=email"
    assert answer.get_json() == {"url": sent}
    assert client.get(sent).status_code == 200
    found = re.search(r"http://localhost/api/auth/callback/email\?\S+", outbox[0])
    assert found, outbox[0]
    page = client.get(found.group(0))
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert client.get(f"{API}/session").get_json() in ({}, None)  # nothing spent
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    signed_in = client.post("/auth/callback/email", data=form)
    assert signed_in.status_code == 302 and signed_in.location == "/d"
    assert client.get(f"{API}/session").get_json()["user"] == {"email": "ann@example.com"}
    refused = _ask(client, version, "not an address")
    assert refused.status_code == 200 and len(outbox) == 1
    code = "EmailSignin" if version == 4 else "Configuration"
    assert refused.get_json() == {"url": f"http://localhost/api/auth/error?error={code}"}


@pytest.mark.parametrize("version", [4, 5])
def test_a_spent_or_broken_email_link_goes_to_the_versions_error(
    make_app: AppFactory, version: int
) -> None:
    """With ``JWTAUTH_EMAIL_CONFIRM = False`` the link's GET signs in, once; spent, or a
    next-auth magic link still in an inbox after the move, both versions' servers send the
    browser to ``/error?error=Verification`` (not an OAuth error); without its token, to
    ``Configuration`` (v4 spells it in lower case)."""
    outbox: list[str] = []
    client = _email_app(make_app, version, outbox, confirm=False).test_client()
    _ask(client, version, "ann@example.com")
    found = re.search(r"http://localhost/api/auth/callback/email\?\S+", outbox[0])
    assert found, outbox[0]
    link = found.group(0)
    assert client.get(link).location == "/d"
    assert client.get(f"{API}/session").get_json()["user"] == {"email": "ann@example.com"}
    error = "http://localhost/api/auth/error?error="
    for spent in (link, f"{API}/callback/email?token=expired&email=ann%40example.com"):
        answer = client.get(spent)
        assert answer.status_code == 302 and answer.location == f"{error}Verification"
    tokenless = client.get(f"{API}/callback/email?email=ann%40example.com")
    code = "configuration" if version == 4 else "Configuration"
    assert tokenless.status_code == 302 and tokenless.location == f"{error}{code}"


@pytest.mark.parametrize("version", [4, 5])
def test_the_verify_request_page(make_app: AppFactory, version: int) -> None:
    """Where next-auth's email sign-in leads ("check your email"): v4 shows it whatever the
    providers, v5 with an email provider (without one, it tells Configuration)."""
    config = {"JWTAUTH_AUTHJS_VERSION": version} if version == 5 else {}
    email = EmailProvider(send=lambda *args: None)
    with_email = make_app(
        providers=[email],
        JWTAUTH_AUTHJS_API_URL=API,
        JWTAUTH_STORE_URL="memory://",
        JWTAUTH_URL="http://localhost",
        **config,
    )[0]
    shown = with_email.test_client().get(f"{API}/verify-request")
    assert shown.status_code == 200 and shown.mimetype == "text/html"
    without = make_app(JWTAUTH_AUTHJS_API_URL=API, **config)[0].test_client()
    answer = without.get(f"{API}/verify-request")
    if version == 4:
        assert answer.status_code == 200 and answer.mimetype == "text/html"
    else:
        assert answer.status_code == 302
        assert answer.headers["Location"].endswith("/api/auth/error?error=Configuration")


@pytest.mark.parametrize("version", [4, 5])
def test_an_app_mounted_under_a_path_keeps_it_in_the_link(
    make_app: AppFactory, version: int
) -> None:
    """An app served under ``/app`` (``SCRIPT_NAME``): the Auth.js routes live there too, so
    the emailed link and "check your email" carry the path, as our own routes' do."""
    outbox: list[str] = []
    client = _email_app(make_app, version, outbox).test_client()
    mounted = "http://localhost/app"
    token = client.get(f"{API}/csrf", base_url=mounted).get_json()["csrfToken"]
    form = {"csrfToken": token, "email": "ann@example.com", "json": "true"}
    headers = {"X-Auth-Return-Redirect": "1"} if version == 5 else {}
    answer = client.post(f"{API}/signin/email", data=form, headers=headers, base_url=mounted)
    assert answer.get_json()["url"].startswith("http://localhost/app/api/auth/verify-request?")
    assert "http://localhost/app/api/auth/callback/email?" in outbox[0]
