"""callbackUrl: carried from the guard through the sign-in page and the POST; same-origin only.

Each hostile target is read the way a browser would read it (WHATWG URL parsing: leading and
trailing C0/space stripped, tabs and newlines dropped anywhere, ``\\`` read as ``/``, scheme-
relative ``//host``) and must fall back to ``/``. Checked over HTTP only: the Location of a
real sign-in, the sign-in page's hidden field, sign-out, and the JSON ``url``.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest
from conftest import AppFactory
from flask import Flask
from flask.testing import FlaskClient
from support import attempt_sign_in, csrf_token, landed_on_sign_in

HOSTILE = [
    # another host, plainly
    "https://evil.com",
    "http://evil.com/dashboard",
    "HTTP://EVIL.COM/",
    "hTTpS://evil.com",
    # scheme-relative, and what browsers turn into it
    "//evil.com",
    "///evil.com",
    "////evil.com/x",
    "/\\evil.com",
    "\\\\evil.com",
    "\\/evil.com",
    "/\\/evil.com",
    "/\t/evil.com",
    "/\n/evil.com",
    "/\r\n/evil.com",
    "\t//evil.com",
    " //evil.com",
    "  \t\n//evil.com  ",
    "\x00//evil.com",
    "\x01\x1f//evil.com",
    "/\x0b/evil.com",
    # special schemes without slashes still reach another host
    "http:/evil.com",
    "https:evil.com",
    "https:\\\\evil.com",
    # scripts and other schemes
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    " javascript:alert(1)",
    "\x00javascript:alert(1)",
    "javascript://localhost/%0aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "DATA:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "ftp://localhost/file",
    "blob:http://localhost/0000",
    "file:///etc/passwd",
    # encoded slashes and backslashes
    "%2F%2Fevil.com",
    "/%2F%2Fevil.com",
    "/%2f/evil.com",
    "/%2F/evil.com",
    "/%252F%252Fevil.com",
    "/%5Cevil.com",
    "/%5C%5Cevil.com",
    "/%5c/evil.com",
    "/%09/evil.com",
    "/%0a/evil.com",
    "http://localhost//evil.com",
    "http://localhost/%2F%2Fevil.com",
    # user info and fragments that hide the real host
    "https://localhost@evil.com",
    "http://localhost:80@evil.com/",
    "http://@localhost/",
    "http://evil.com%23@localhost/",
    "http://evil.com#@localhost/",
    "http://evil.com\\@localhost/",
    "http://evil.com?@localhost/",
    # same host name, other origin
    "http://localhost:8080/dashboard",
    "https://localhost/dashboard",
    "http://localhost.evil.com/",
    "http://localhost:99999/",
    "http://localhost:\uff18\uff10/",
    "http://[::1/",
    # IDN and look-alike hosts
    "http://\uff45\uff56\uff49\uff4c.com/",
    "http://evil\u3002com/",
    "http://xn--80ak6aa92e.com/",
    "http://\uff4c\uff4f\uff43\uff41\uff4c\uff48\uff4f\uff53\uff54/",
    # not a path at all
    "evil.com",
    "dashboard",
    "?next=/x",
    "#/x",
    # too long
    "/" + "a" * 5000,
    "http://localhost/" + "a" * 3000,
]

SAME_ORIGIN = [
    ("/dashboard", "/dashboard"),
    ("/dashboard?tab=1&x=y#frag", "/dashboard?tab=1&x=y#frag"),
    ("/search?q=%2F%2Fevil.com", "/search?q=%2F%2Fevil.com"),
    ("/x?next=//evil.com", "/x?next=//evil.com"),
    ("http://localhost/dashboard?q=1", "/dashboard?q=1"),
    ("HTTP://LOCALHOST:80/dashboard", "/dashboard"),
    ("http://localhost", "/"),
    ("  /dashboard\n", "/dashboard"),
    ("/dash\tboard", "/dashboard"),
    ("/caf\u00e9", "/caf%C3%A9"),
    ("/a b", "/a%20b"),
    ('/"><script>alert(1)</script>', "/%22%3E%3Cscript%3Ealert(1)%3C/script%3E"),
    # a backslash ends the authority in http URLs: the host is localhost, the path /@evil.com
    ("http://localhost\\@evil.com", "/@evil.com"),
]


def test_at_least_25_distinct_hostile_payloads() -> None:
    assert len(set(HOSTILE)) == len(HOSTILE) >= 25


def hidden_callback(html: str) -> str:
    match = re.search(r'name="callbackUrl" value="([^"]*)"', html)
    assert match is not None
    return match.group(1)


def post_sign_in(client: FlaskClient, callback: str, **extra: Any) -> Any:
    return client.post(
        "/auth/sign-in/credentials",
        data={
            "username": "ann",
            "password": "pw-ann",
            "csrf_token": csrf_token(client),
            "callbackUrl": callback,
        },
        **extra,
    )


# -- the happy path: guard -> page -> POST -> back -------------------------------------------


def test_callback_url_travels_from_the_guard_to_the_destination(client: FlaskClient) -> None:
    guarded = client.get("/dashboard?tab=2")
    assert guarded.status_code == 302
    page = client.get(guarded.headers["Location"])
    callback = hidden_callback(page.get_data(as_text=True))
    assert callback == "/dashboard?tab=2"
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert token is not None
    response = client.post(
        "/auth/sign-in/credentials",
        data={
            "username": "ann",
            "password": "pw-ann",
            "csrf_token": token.group(1),
            "callbackUrl": callback,
        },
    )
    assert response.headers["Location"] == "/dashboard?tab=2"
    assert client.get(response.headers["Location"]).get_data(as_text=True) == "Hello Ann"


def test_callback_url_survives_a_failed_attempt(client: FlaskClient) -> None:
    client.get("/auth/sign-in?callbackUrl=/dashboard")
    failed = client.post(
        "/auth/sign-in/credentials",
        data={
            "username": "ann",
            "password": "wrong",
            "csrf_token": csrf_token(client),
            "callbackUrl": "/dashboard",
        },
    )
    assert hidden_callback(landed_on_sign_in(client, failed)) == "/dashboard"
    assert post_sign_in(client, "/dashboard").headers["Location"] == "/dashboard"


def test_callback_url_in_the_posts_query_string(client: FlaskClient) -> None:
    response = client.post(
        "/auth/sign-in/credentials?callbackUrl=/dashboard",
        data={"username": "ann", "password": "pw-ann", "csrf_token": csrf_token(client)},
    )
    assert response.headers["Location"] == "/dashboard"


def test_no_callback_url_goes_home(client: FlaskClient) -> None:
    response = attempt_sign_in(client)
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(
    "callback",
    ["/auth/sign-in", "/auth/sign-in/", "/auth/sign-in?error=CSRF", "/auth/sign-in/credentials"],
)
def test_issue21_a_callback_url_that_is_the_sign_in_page_is_ignored(
    client: FlaskClient, callback: str
) -> None:
    """Issue 21, item 5: signing in must not land on a sign-in page (or, when the page
    moved, on its old address, a 404)."""
    page = client.get(f"/auth/sign-in?callbackUrl={quote(callback)}").get_data(as_text=True)
    assert hidden_callback(page) == ""
    assert post_sign_in(client, callback).headers["Location"] == "/"


def test_issue21_the_built_in_pages_old_address_is_a_sign_in_page_when_it_moved(
    make_app: AppFactory,
) -> None:
    app, _ = make_app(JWTAUTH_SIGN_IN_URL="/login")
    client = app.test_client()
    for callback in ("/login", "/auth/sign-in"):
        page = client.get(f"/login?callbackUrl={quote(callback)}").get_data(as_text=True)
        assert 'name="callbackUrl" value=""' in page
    assert 'value="/auth/sign-out"' in client.get("/login?callbackUrl=/auth/sign-out").get_data(
        as_text=True
    )


# -- hostile targets fall back to / ----------------------------------------------------------


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_callback_url_falls_back_home(app: Flask, payload: str) -> None:
    client = app.test_client()
    page = client.get("/auth/sign-in", query_string={"callbackUrl": payload})
    assert page.status_code == 200
    assert hidden_callback(page.get_data(as_text=True)) == ""
    response = post_sign_in(client, payload)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    out = client.post(
        "/auth/sign-out", data={"csrf_token": csrf_token(client), "callbackUrl": payload}
    )
    assert out.status_code == 302
    assert out.headers["Location"] == "/"


@pytest.mark.parametrize("payload", HOSTILE[:30])
def test_hostile_callback_url_in_json_mode(app: Flask, payload: str) -> None:
    client = app.test_client()
    token = client.get("/auth/csrf").get_json()["csrfToken"]
    response = client.post(
        "/auth/sign-in/credentials",
        json={"username": "ann", "password": "pw-ann", "callbackUrl": payload},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 200
    assert response.get_json()["url"] == "http://localhost/"


def test_lone_surrogate_from_json_is_a_fallback_not_a_crash(client: FlaskClient) -> None:
    token = client.get("/auth/csrf").get_json()["csrfToken"]
    response = client.post(
        "/auth/sign-in/credentials",
        data='{"username": "ann", "password": "pw-ann", "callbackUrl": "/\\ud800"}',
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 200
    assert response.get_json()["url"] == "http://localhost/"


def test_hostile_callback_url_on_the_sign_out_page(client: FlaskClient) -> None:
    for payload in ("//evil.com", "javascript:alert(1)", "/\\evil.com"):
        html = client.get("/auth/sign-out", query_string={"callbackUrl": payload}).get_data(
            as_text=True
        )
        assert hidden_callback(html) == "/"
        assert "evil.com" not in html
        assert "javascript:" not in html


# -- same-origin targets are kept ------------------------------------------------------------


@pytest.mark.parametrize(("target", "expected"), SAME_ORIGIN)
def test_same_origin_targets_are_kept(app: Flask, target: str, expected: str) -> None:
    client = app.test_client()
    page = client.get("/auth/sign-in", query_string={"callbackUrl": target})
    assert hidden_callback(page.get_data(as_text=True)).replace("&amp;", "&") == expected
    response = post_sign_in(client, target)
    assert response.headers["Location"] == expected


def test_same_origin_targets_in_json_are_absolute(client: FlaskClient) -> None:
    token = client.get("/auth/csrf").get_json()["csrfToken"]
    response = client.post(
        "/auth/sign-in/credentials",
        json={"username": "ann", "password": "pw-ann", "callbackUrl": "/dashboard?x=1"},
        headers={"X-CSRFToken": token},
    )
    assert response.get_json()["url"] == "http://localhost/dashboard?x=1"


def test_origin_follows_the_request_host(app: Flask) -> None:
    client = app.test_client()
    base = {"base_url": "https://app.example.org"}
    for target, expected in [
        ("https://app.example.org/dashboard", "/dashboard"),
        ("https://app.example.org:443/x", "/x"),
        ("http://app.example.org/dashboard", "/"),  # another scheme: another origin
        ("http://localhost/dashboard", "/"),
    ]:
        # Each sign-in rotates the CSRF token: read it from the page each time.
        page = client.get("/auth/sign-in", **base)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
        assert token is not None
        response = client.post(
            "/auth/sign-in/credentials",
            data={
                "username": "ann",
                "password": "pw-ann",
                "csrf_token": token.group(1),
                "callbackUrl": target,
            },
            **base,
        )
        assert response.headers["Location"] == expected, target


# -- the redirect callback -------------------------------------------------------------------


def test_nextauth_style_redirect_callback(make_app: AppFactory) -> None:
    """NextAuth's documented default, ported as is: base_url has no trailing slash."""
    app, auth = make_app()
    seen: list[tuple[str, str]] = []

    @auth.redirect_callback
    def redirect(url: str, base_url: str) -> str:
        seen.append((url, base_url))
        if url.startswith("/"):
            return f"{base_url}{url}"
        if url.startswith(base_url):
            return url
        return base_url

    client = app.test_client()
    assert post_sign_in(client, "/dashboard").headers["Location"] == "/dashboard"
    assert seen == [("/dashboard", "http://localhost")]


def test_redirect_callback_can_choose_but_not_leave_the_origin(make_app: AppFactory) -> None:
    app, auth = make_app()

    @auth.redirect_callback
    def redirect(url: str) -> str:
        return "/welcome" if url == "/dashboard" else "https://evil.com/"

    client = app.test_client()
    assert post_sign_in(client, "/dashboard").headers["Location"] == "/welcome"
    assert post_sign_in(client, "/other").headers["Location"] == "/"


def test_redirect_callback_that_raises_goes_home(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    app, auth = make_app()

    @auth.redirect_callback
    def redirect(url: str, base_url: str) -> str:
        raise RuntimeError("redirect bug")

    client = app.test_client()
    response = post_sign_in(client, "/dashboard")
    assert response.headers["Location"] == "/"
    assert "redirect bug" in caplog.text
    assert client.get("/dashboard").status_code == 200  # still signed in
