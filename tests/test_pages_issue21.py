"""The built-in pages as a person reads them (issue 21, items 7 to 10): the buttons' words,
the brand, which fields a failed sign-in marks, notices against errors, the 503 page's way
on, and the way on for a user who is signed in already."""

from __future__ import annotations

import re

import pytest
from conftest import AppFactory, authorize, sign_in
from flask import Flask
from flask.testing import FlaskClient
from support import landed_on_sign_in

from flask_jwtauth import CredentialsProvider, OIDCProvider
from flask_jwtauth.errors import SessionUnavailable


def two_providers(name: str | None = None) -> list[object]:
    credentials = (
        CredentialsProvider(authorize=authorize)
        if name is None
        else CredentialsProvider(authorize=authorize, name=name)
    )
    corp = OIDCProvider(
        "corp", "Corp SSO", issuer="https://sso.invalid", client_id="c", client_secret="s"
    )
    return [credentials, corp]


def buttons(html: str) -> list[str]:
    found = re.findall(r'<button type="submit"[^>]*>(.*?)</button>', html, re.S)
    return [re.sub(r"<[^>]+>|\s+", " ", b).strip() for b in found]


@pytest.mark.parametrize(
    ("name", "label"),
    [(None, "Sign in"), ("Email and password", "Sign in with Email and password")],
)
def test_the_credentials_button_is_labelled_from_the_providers_name(
    make_app: AppFactory, name: str | None, label: str
) -> None:
    app, _ = make_app(providers=two_providers(name))
    html = app.test_client().get("/auth/sign-in").get_data(as_text=True)
    assert buttons(html) == [label, "Sign in with Corp SSO"]
    assert "Sign in with Credentials" not in html


def test_the_app_name_is_the_brand_once_and_a_link_home(make_app: AppFactory) -> None:
    app, _ = make_app(JWTAUTH_THEME_APP_NAME="Acme")
    html = app.test_client().get("/auth/sign-in").get_data(as_text=True)
    body = html.split("<body>")[1]
    assert body.count("Acme") == 1 and "<h1>Sign in</h1>" in body
    assert '<a href="/" rel="home"><span>Acme</span></a>' in body
    mounted = app.test_client().get("/auth/sign-in", base_url="http://localhost/portal/")
    assert '<a href="/portal/" rel="home">' in mounted.get_data(as_text=True)


def test_a_failed_sign_in_marks_the_password_only(client: FlaskClient) -> None:
    html = landed_on_sign_in(client, sign_in(client, "ann", "wrong"))
    tags = {
        m.group(1): m.group(0) for m in re.finditer(r'<input id="[^"]+" name="(\w+)"[^>]*>', html)
    }
    assert "aria-invalid" not in tags["username"]
    assert 'aria-invalid="true"' in tags["password"]
    assert 'class="alert" role="alert"' in html  # an error: in error red


@pytest.mark.parametrize(
    "code", ["SessionExpired", "SessionRevoked", "SessionRequired", "SignInCancelled"]
)
def test_notices_are_information_not_errors(client: FlaskClient, code: str) -> None:
    html = client.get(f"/auth/sign-in?error={code}").get_data(as_text=True)
    assert 'class="alert alert-info" role="status"' in html
    assert 'role="alert"' not in html and 'aria-invalid="true"' not in html


@pytest.fixture
def down_app(make_app: AppFactory) -> Flask:
    app, _ = make_app()

    @app.get("/reports")
    def reports() -> str:
        raise SessionUnavailable()  # as when the upstream cannot renew the session

    return app


def test_the_503_page_offers_try_again_and_keeps_raw_codes_small(down_app: Flask) -> None:
    client = down_app.test_client()
    sign_in(client)
    response = client.get("/reports?month=5")
    assert response.status_code == 503 and response.headers["Retry-After"]
    html = response.get_data(as_text=True)
    actions = re.search(r'<div class="actions">(.*?)</div>', html, re.S)
    assert actions is not None
    assert re.findall(r">([^<]+)</a>", actions.group(1)) == ["Try again", "Home"]
    assert 'href="/reports?month=5" id="jwtauth-retry"' in actions.group(1)
    assert "Sign in" not in actions.group(1)
    # The raw status and code: small print under the actions, not under the message.
    assert re.search(r'class="muted center error-code error-ref">Error 503 · <code>', html)
    assert html.index('error-ref">') > html.index('class="actions"')
    down_app.debug = True
    debug = client.get("/reports").get_data(as_text=True)
    assert 'error-ref">' not in debug
    assert html.count("Error 503") == debug.count("Error 503") == 1
    assert debug.index("Error 503") < debug.index('class="actions"')


@pytest.mark.parametrize(
    ("query", "href", "words"),
    [
        ("?callbackUrl=%2Fdashboard%3Ftab%3D2", "/dashboard?tab=2", "Continue to /dashboard?tab=2"),
        ("", "/", "Continue to the home page"),
        ("?callbackUrl=https%3A%2F%2Fevil.example%2F", "/", "Continue to the home page"),
        ("?callbackUrl=%2Fauth%2Fsign-in", "/", "Continue to the home page"),
    ],
)
def test_a_signed_in_user_gets_a_way_on(
    client: FlaskClient, query: str, href: str, words: str
) -> None:
    assert 'id="jwtauth-continue"' not in client.get("/auth/sign-in").get_data(as_text=True)
    sign_in(client)
    html = client.get(f"/auth/sign-in{query}").get_data(as_text=True)
    link = re.search(r'id="jwtauth-continue" href="([^"]*)">(.*?)</a>', html)
    assert link is not None
    assert link.group(1).replace("&amp;", "&") == href
    assert re.sub(r"<[^>]+>", "", link.group(2)) == words
    assert "Ann" in html  # whom the session is for
