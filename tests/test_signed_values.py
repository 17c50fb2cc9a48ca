"""Short signed values (issue 18, item 6): the anonymous CSRF cookie, the expiry notice and
the failed sign-in form's values are signed with itsdangerous, each for its own purpose. A
value that was altered, planted, made for another purpose or by another app reads as absent,
over HTTP, and never answers 500."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import AppFactory
from flask import Flask
from flask.testing import FlaskClient
from support import (
    SECRET,
    Clock,
    attempt_sign_in,
    csrf_token,
    landed_on_sign_in,
    session_cookie,
    sign_in,
)

from flask_jwtauth.tokens import JWECodec, derive_signing_key

NOTICE = "jwtauth.session-expired"
VALUES = "jwtauth.sign-in-form"
CSRF_COOKIE = "jwtauth.csrf-token"
EXPIRED = "Your session has expired"
OTHER_SECRET = "another-apps-secret-0123456789abcdef0123"


def _cookie(client: FlaskClient, name: str, path: str = "/") -> str:
    found = client.get_cookie(name, path=path)
    assert found is not None, f"no {name} cookie"
    return found.value


def _flip(value: str) -> str:
    """``value`` with its last character changed: a signature that no longer verifies."""
    return value[:-1] + ("A" if value[-1] != "A" else "B")


# -- the expiry notice -------------------------------------------------------------------


def _expired_notice(app: Flask, clock: Clock) -> str:
    """The notice cookie ``app`` leaves when a session runs out."""
    client = app.test_client()
    sign_in(client)
    clock.advance(60)
    client.get("/")
    return _cookie(client, NOTICE)


def _notice_shown(app: Flask, notice: str) -> bool:
    """A browser carrying only ``notice`` opens a protected page: is it told why?"""
    client = app.test_client()
    client.set_cookie(NOTICE, notice)
    response = client.get("/dashboard")
    assert response.status_code == 302
    location = response.headers["Location"]
    page = client.get(location).get_data(as_text=True)
    told = parse_qs(urlsplit(location).query).get("error") == ["SessionExpired"]
    assert told == (EXPIRED in page)
    return told


def test_a_genuine_notice_is_signed_and_shown(make_app: AppFactory, clock: Clock) -> None:
    app, _ = make_app(JWTAUTH_SESSION_MAX_AGE=10)
    notice = _expired_notice(app, clock)
    assert notice.startswith("SessionExpired.") and notice != "SessionExpired"
    assert _notice_shown(app, notice)


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda genuine: "SessionExpired", id="bare-code"),
        pytest.param(_flip, id="altered-signature"),
        pytest.param(lambda g: "SessionRevoked." + g.partition(".")[2], id="other-code"),
        pytest.param(lambda genuine: genuine + ".x", id="appended"),
        pytest.param(lambda genuine: "SessionExpired." + "A" * 300, id="long"),
        pytest.param(lambda genuine: "Sessi\u00f6nExpired.\u00e9", id="non-ascii"),
        pytest.param(lambda genuine: ".", id="dot"),
    ],
)
def test_a_tampered_notice_is_ignored(make_app: AppFactory, clock: Clock, forge: object) -> None:
    app, _ = make_app(JWTAUTH_SESSION_MAX_AGE=10, PROPAGATE_EXCEPTIONS=False)
    genuine = _expired_notice(app, clock)
    assert callable(forge)
    assert not _notice_shown(app, forge(genuine))


def test_a_notice_from_another_app_is_ignored(make_app: AppFactory, clock: Clock) -> None:
    """A sibling app (another secret) on a sub-domain sharing the parent domain's cookies."""
    app, _ = make_app(JWTAUTH_SESSION_MAX_AGE=10)
    sibling, _ = make_app(JWTAUTH_SESSION_MAX_AGE=10, JWTAUTH_SECRET=OTHER_SECRET)
    assert not _notice_shown(app, _expired_notice(sibling, clock))


def test_a_notice_signed_for_another_purpose_is_ignored(app: Flask) -> None:
    """A genuine anonymous CSRF cookie is a signed value too, but not a notice."""
    client = app.test_client()
    client.get("/auth/csrf")
    csrf_cookie = _cookie(client, CSRF_COOKIE)
    assert not _notice_shown(app, csrf_cookie)
    assert not _notice_shown(app, "SessionExpired." + csrf_cookie.partition(".")[2])


# -- the failed sign-in form's values ----------------------------------------------------


def _failed(client: FlaskClient, username: str) -> str:
    """A wrong password for ``username``; the values cookie the answer leaves."""
    response = attempt_sign_in(client, username, "wrong")
    assert response.status_code == 302
    return _cookie(client, VALUES, path="/auth/sign-in")


def _form_shows(client: FlaskClient, username: str) -> bool:
    page = client.get("/auth/sign-in").get_data(as_text=True)
    return f'value="{username}"' in page


def test_a_failed_form_comes_back_filled(app: Flask) -> None:
    client = app.test_client()
    cookie = _failed(client, "ann@example.com")
    assert "ann" not in cookie or "." in cookie  # signed, not the bare value
    assert _form_shows(client, "ann@example.com")
    assert not _form_shows(client, "ann@example.com")  # read once


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(_flip, id="altered-signature"),
        pytest.param(lambda c: ("B" if c[0] == "A" else "A") + c[1:], id="altered-payload"),
        pytest.param(
            lambda c: base64.urlsafe_b64encode(json.dumps({"username": "eve"}).encode()).decode(),
            id="unsigned-base64-json",
        ),
        pytest.param(lambda c: "\u00e9" * 10, id="non-ascii"),
        pytest.param(lambda c: "x." * 1000, id="long"),
    ],
)
def test_a_tampered_values_cookie_shows_no_values(app: Flask, forge: object) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()
    genuine = _failed(client, "ann@example.com")
    assert callable(forge)
    client.set_cookie(VALUES, forge(genuine), path="/auth/sign-in")
    response = client.get("/auth/sign-in")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'value="ann@example.com"' not in page and 'value="eve"' not in page


def test_values_kept_for_another_visitor_are_not_shown(app: Flask) -> None:
    """A genuine values cookie, planted into another browser (by a sibling sub-domain or a
    script), fills no form there: it is bound to the visitor it was kept for."""
    victim = app.test_client()
    csrf_token(victim)  # the victim's own anonymous CSRF cookie
    attacker = app.test_client()
    planted = _failed(attacker, "mallory@example.com")
    victim.set_cookie(VALUES, planted, path="/auth/sign-in")
    assert not _form_shows(victim, "mallory@example.com")


def test_values_from_another_app_are_not_shown(make_app: AppFactory) -> None:
    app, _ = make_app()
    sibling, _ = make_app(JWTAUTH_SECRET=OTHER_SECRET)
    client = app.test_client()
    cookie = _failed(client, "ann@example.com")
    with sibling.test_client() as other:
        # The same visitor's CSRF cookie, so only the key differs.
        other.set_cookie(CSRF_COOKIE, _cookie(client, CSRF_COOKIE))
        other.set_cookie(VALUES, cookie, path="/auth/sign-in")
        assert not _form_shows(other, "ann@example.com")


def test_values_survive_a_csrf_failure(app: Flask) -> None:
    """A form posted without a valid token still comes back filled: the values are bound to
    the new anonymous CSRF cookie set with the same answer."""
    client = app.test_client()
    response = client.post(
        "/auth/sign-in/credentials",
        data={"username": "ann@example.com", "password": "x", "csrf_token": "stale"},
    )
    assert response.status_code == 302
    assert _form_shows(client, "ann@example.com")


# -- the anonymous CSRF cookie -----------------------------------------------------------


def _post_sign_in(client: FlaskClient, token: str) -> None:
    response = client.post(
        "/auth/sign-in/credentials",
        data={"username": "ann", "password": "pw-ann", "csrf_token": token},
    )
    landed_on_sign_in(client, response, "CSRF")
    assert session_cookie(client) is None


def test_a_csrf_pair_from_another_app_is_refused(make_app: AppFactory) -> None:
    app, _ = make_app()
    sibling, _ = make_app(JWTAUTH_SECRET=OTHER_SECRET)
    minted = sibling.test_client()
    token = csrf_token(minted)
    client = app.test_client()
    client.set_cookie(CSRF_COOKIE, _cookie(minted, CSRF_COOKIE))
    _post_sign_in(client, token)


def test_a_csrf_pair_with_another_value_is_refused(app: Flask) -> None:
    """A genuine signature with a value of the attacker's choosing."""
    minted = app.test_client()
    csrf_token(minted)
    signature = _cookie(minted, CSRF_COOKIE).partition(".")[2]
    client = app.test_client()
    client.set_cookie(CSRF_COOKIE, f"chosen.{signature}")
    _post_sign_in(client, "chosen")


def test_a_value_signed_for_another_purpose_is_no_csrf_cookie(
    make_app: AppFactory, clock: Clock
) -> None:
    """A genuine expiry notice (``code.signature``) posing as the double-submit pair."""
    app, _ = make_app(JWTAUTH_SESSION_MAX_AGE=10)
    notice = _expired_notice(app, clock)
    client = app.test_client()
    client.set_cookie(CSRF_COOKIE, notice)
    _post_sign_in(client, notice.partition(".")[0])


def test_the_hand_made_hmac_cookie_of_before_is_refused(app: Flask) -> None:
    """The format signed by hand before itsdangerous (HMAC of ``"anonymous:" + value`` under
    the CSRF key): no longer a pair, so such a cookie is replaced, never believed."""
    key = derive_signing_key(SECRET.encode(), "flask_jwtauth.csrf-token")
    mac = hmac.new(key, b"anonymous:chosen", hashlib.sha256).digest()
    client = app.test_client()
    client.set_cookie(CSRF_COOKIE, "chosen." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode())
    _post_sign_in(client, "chosen")


def test_a_non_ascii_token_is_refused_not_a_500(app: Flask) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()
    csrf_token(client)
    _post_sign_in(client, "t\u00f6ken")


def test_the_session_bound_token_is_what_it_was(app: Flask) -> None:
    """The signed-in token is still the base64url HMAC-SHA256 of ``"session:" + jti`` under
    the HKDF key labelled ``flask_jwtauth.csrf-token``: forms open across the upgrade post."""
    client = app.test_client()
    sign_in(client)
    raw = session_cookie(client)
    assert raw is not None
    jti = JWECodec((SECRET.encode(),), "jwtauth.session-token").decode(raw)["jti"]
    key = derive_signing_key(SECRET.encode(), "flask_jwtauth.csrf-token")
    mac = hmac.new(key, b"session:" + jti.encode(), hashlib.sha256).digest()
    expected = base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    assert client.get("/auth/csrf").get_json()["csrfToken"] == expected


def test_a_rotated_secret_still_verifies_a_pair_in_flight(make_app: AppFactory) -> None:
    """The first secret signs, every configured one verifies (as for session tokens)."""
    old, _ = make_app()
    minted = old.test_client()
    token = csrf_token(minted)
    rotated, _ = make_app(JWTAUTH_SECRET=[OTHER_SECRET, SECRET])
    client = rotated.test_client()
    client.set_cookie(CSRF_COOKIE, _cookie(minted, CSRF_COOKIE))
    response = client.post(
        "/auth/sign-in/credentials",
        data={"username": "ann", "password": "pw-ann", "csrf_token": token},
    )
    assert response.status_code == 302 and session_cookie(client) is not None
