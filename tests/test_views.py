"""The blueprint over HTTP: pages at default and configured URLs, and the JSON endpoints."""

from __future__ import annotations

import re
from typing import Any

import pytest
from conftest import AppFactory
from flask import Flask, render_template_string, url_for
from flask.testing import FlaskClient
from support import USERS, FakeClock, attempt_sign_in, csrf_token, landed_on_sign_in, session_cookie

from flask_jwtauth import CredentialsProvider, Provider, sign_in_url
from flask_jwtauth import csrf_token as form_csrf_token

COOKIE = "jwtauth.session-token"


def set_cookie_names(response: Any) -> list[str]:
    return [h.split("=", 1)[0] for h in response.headers.getlist("Set-Cookie")]


def json_csrf(client: FlaskClient, prefix: str = "/auth") -> str:
    response = client.get(f"{prefix}/csrf")
    assert response.status_code == 200
    token = response.get_json()["csrfToken"]
    assert isinstance(token, str) and token
    return token


# -- pages at the default URLs ---------------------------------------------------------------


def test_sign_in_page_renders_the_credentials_form(client: FlaskClient) -> None:
    response = client.get("/auth/sign-in")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "no-store" in response.headers["Cache-Control"]
    html = response.get_data(as_text=True)
    assert 'action="/auth/sign-in/credentials"' in html
    assert 'method="post"' in html
    assert 'name="csrf_token"' in html


def test_sign_out_page_is_a_confirmation_with_a_post_form(client: FlaskClient) -> None:
    attempt_sign_in(client)
    response = client.get("/auth/sign-out")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'action="/auth/sign-out"' in html
    assert 'method="post"' in html
    assert "Ann" in html


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("CredentialsSignin", 401),
        ("AccessDenied", 403),
        ("SessionRequired", 401),
        ("SessionExpired", 401),
        ("OAuthSignin", 400),
        ("OAuthCallbackError", 400),
    ],
)
def test_error_page_shows_the_code_and_its_status(
    client: FlaskClient, code: str, status: int
) -> None:
    response = client.get(f"/auth/error?error={code}")
    assert response.status_code == status
    assert f"<code>{code}</code>" in response.get_data(as_text=True)


def test_error_page_for_configuration_is_not_a_5xx(client: FlaskClient) -> None:
    # The page only reports; a query string alone never makes it answer 500.
    response = client.get("/auth/error?error=Configuration")
    assert response.status_code == 200
    assert "problem with the server configuration" in response.get_data(as_text=True)


def test_error_page_with_an_unknown_or_missing_code_is_generic(client: FlaskClient) -> None:
    for url in ("/auth/error?error=NoSuchThing", "/auth/error"):
        response = client.get(url)
        assert response.status_code == 400
        html = response.get_data(as_text=True)
        assert "<code>Default</code>" in html
        assert "NoSuchThing" not in html


# -- pages at configured URLs ----------------------------------------------------------------


def test_sign_in_url_from_seed_000(make_app: AppFactory) -> None:
    app, _ = make_app(JWTAUTH_SIGN_IN_URL="/sign-in")
    client = app.test_client()
    response = client.get("/dashboard")
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in?callbackUrl=%2Fdashboard"
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert 'name="callbackUrl" value="/dashboard"' in page.get_data(as_text=True)
    assert client.get("/auth/sign-in").status_code == 404
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert token is not None
    done = client.post(
        "/auth/sign-in/credentials",
        data={
            "username": "ann",
            "password": "pw-ann",
            "csrf_token": token.group(1),
            "callbackUrl": "/dashboard",
        },
    )
    assert done.headers["Location"] == "/dashboard"
    assert client.get("/dashboard").get_data(as_text=True) == "Hello Ann"


def test_url_prefix_moves_pages_and_endpoints(make_app: AppFactory) -> None:
    app, _ = make_app(JWTAUTH_URL_PREFIX="/account")
    client = app.test_client()
    assert client.get("/dashboard").headers["Location"].startswith("/account/sign-in?")
    page = client.get("/account/sign-in").get_data(as_text=True)
    assert 'action="/account/sign-in/credentials"' in page
    for old in ("/auth/sign-in", "/auth/session", "/auth/csrf", "/auth/providers"):
        assert client.get(old).status_code == 404
    assert client.get("/account/error?error=AccessDenied").status_code == 403
    providers = client.get("/account/providers").get_json()
    assert providers["credentials"]["signinUrl"] == "http://localhost/account/sign-in/credentials"
    token = json_csrf(client, "/account")
    response = client.post(
        "/account/sign-in/credentials",
        json={"username": "bob", "password": "pw-bob"},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 200
    assert client.get("/account/session").get_json()["user"]["name"] == "Bob"
    token = json_csrf(client, "/account")  # rotated by the sign-in
    out = client.post("/account/sign-out", json={}, headers={"X-CSRFToken": token})
    assert out.get_json()["ok"] is True
    assert client.get("/account/session").get_json() is None


def test_per_page_urls(make_app: AppFactory) -> None:
    app, _ = make_app(
        JWTAUTH_SIGN_IN_URL="/login", JWTAUTH_SIGN_OUT_URL="/logout", JWTAUTH_ERROR_URL="/oops"
    )
    client = app.test_client()
    assert client.get("/login").status_code == 200
    assert client.get("/logout").status_code == 200
    assert client.get("/oops?error=AccessDenied").status_code == 403
    # The action endpoints stay under the prefix.
    assert 'action="/auth/sign-out"' in client.get("/logout").get_data(as_text=True)


def test_prefix_under_api_keeps_browser_forms_as_pages(make_app: AppFactory) -> None:
    """NextAuth's own layout, /api/auth: a form post still gets a redirect, not JSON."""
    app, _ = make_app(JWTAUTH_URL_PREFIX="/api/auth")
    client = app.test_client()
    page = client.get("/api/auth/sign-in")
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert token is not None
    response = client.post(
        "/api/auth/sign-in/credentials",
        data={"username": "ann", "password": "pw-ann", "csrf_token": token.group(1)},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/api/auth/session").get_json()["user"]["id"] == "1"


# -- the app's own sign-in view (NextAuth pages.signIn) ----------------------------------------

LOGIN_FORM = """<form method="post"
 action="{{ url_for('jwtauth.sign_in_provider', provider='credentials') }}">
<input type="hidden" name="csrf_token" value="{{ csrf }}">
<input type="hidden" name="callbackUrl" value="{{ request.args.get('callbackUrl', '') }}">
<p id="error">{{ request.args.get('error', '') }}</p>
<input name="username"><input name="password" type="password"></form>"""


@pytest.fixture
def own_page_app(make_app: AppFactory) -> Flask:
    app, _ = make_app(JWTAUTH_SIGN_IN_ENDPOINT="login")

    @app.get("/login")
    def login() -> str:
        return render_template_string(LOGIN_FORM, csrf=form_csrf_token())

    return app


def own_page_token(client: FlaskClient, url: str = "/login") -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).get_data(as_text=True))
    assert match is not None
    return match.group(1)


def test_sign_in_endpoint_guards_redirect_to_the_apps_view(own_page_app: Flask) -> None:
    client = own_page_app.test_client()
    response = client.get("/dashboard")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?callbackUrl=%2Fdashboard"
    # The extension does not serve its own page any more.
    assert client.get("/auth/sign-in").status_code == 404
    with own_page_app.test_request_context():
        assert url_for("jwtauth.sign_in_provider", provider="credentials") == (
            "/auth/sign-in/credentials"
        )


def test_apps_own_form_signs_in_through_the_extension(own_page_app: Flask) -> None:
    client = own_page_app.test_client()
    token = own_page_token(client, "/login?callbackUrl=/dashboard")
    response = client.post(
        "/auth/sign-in/credentials",
        data={
            "username": "ann",
            "password": "pw-ann",
            "csrf_token": token,
            "callbackUrl": "/dashboard",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"
    assert client.get("/dashboard").get_data(as_text=True) == "Hello Ann"


def test_apps_own_form_failure_goes_back_to_the_apps_view(own_page_app: Flask) -> None:
    client = own_page_app.test_client()
    token = own_page_token(client)
    response = client.post(
        "/auth/sign-in/credentials",
        data={"username": "ann", "password": "nope", "csrf_token": token, "callbackUrl": "/x"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?error=CredentialsSignin&callbackUrl=%2Fx"
    assert COOKIE not in set_cookie_names(response)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert '<p id="error">CredentialsSignin</p>' in page


def test_apps_own_form_without_csrf_goes_back_to_the_apps_view(own_page_app: Flask) -> None:
    client = own_page_app.test_client()
    client.get("/login")
    response = client.post(
        "/auth/sign-in/credentials", data={"username": "ann", "password": "pw-ann"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?error=CSRF"
    assert COOKIE not in set_cookie_names(response)


def test_error_endpoint_receives_the_error_code(make_app: AppFactory) -> None:
    app, auth = make_app(JWTAUTH_ERROR_ENDPOINT="oops")

    @app.get("/oops")
    def oops() -> str:
        return "oops"

    @auth.sign_in_callback
    def deny(user: Any) -> bool:
        return False

    client = app.test_client()
    assert client.get("/auth/error").status_code == 404
    response = attempt_sign_in(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/oops?error=AccessDenied"


# -- JSON endpoints --------------------------------------------------------------------------


def test_session_is_null_when_anonymous_and_never_cached(client: FlaskClient) -> None:
    response = client.get("/auth/session")
    assert response.status_code == 200
    assert response.is_json
    assert response.get_json() is None
    assert "no-store" in response.headers["Cache-Control"]


def test_session_is_the_session_callbacks_output(make_app: AppFactory) -> None:
    app, auth = make_app()

    @auth.session_callback
    def shape(session: dict[str, Any], token: dict[str, Any]) -> dict[str, Any]:
        return {**session, "plan": "pro", "subject": token["sub"]}

    client = app.test_client()
    attempt_sign_in(client)
    response = client.get("/auth/session")
    assert "no-store" in response.headers["Cache-Control"]
    assert "Cookie" in response.headers["Vary"]
    body = response.get_json()
    assert body["plan"] == "pro"
    assert body["subject"] == "1"
    assert body["user"]["email"] == "ann@example.com"
    assert body["expires"].endswith("Z")


def test_session_callback_that_raises_ends_the_session(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """As in Auth.js: the error is logged, the session ends (cookie cleared), and the request
    is anonymous: ``null`` from ``/auth/session``, never a 500 or a traceback."""
    app, auth = make_app()

    @auth.session_callback
    def broken(session: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("database is down")

    client = app.test_client()
    attempt_sign_in(client)
    response = client.get("/auth/session")
    assert response.status_code == 200
    assert response.get_json() is None
    assert "database is down" not in response.get_data(as_text=True)
    assert "database is down" in caplog.text
    assert session_cookie(client) is None


def test_csrf_endpoint(client: FlaskClient) -> None:
    response = client.get("/auth/csrf")
    assert response.status_code == 200
    assert set(response.get_json()) == {"csrfToken"}
    assert "no-store" in response.headers["Cache-Control"]


def test_providers_shape(make_app: AppFactory) -> None:
    from support import authorize

    app, _ = make_app(
        providers=[
            CredentialsProvider(authorize=authorize),
            CredentialsProvider(authorize=authorize, id="staff", name="Staff login"),
            Provider("github", "GitHub"),
        ]
    )
    body = app.test_client().get("/auth/providers").get_json()
    assert set(body) == {"credentials", "staff", "github"}
    assert body["staff"] == {
        "id": "staff",
        "name": "Staff login",
        "type": "credentials",
        "signinUrl": "http://localhost/auth/sign-in/staff",
        "callbackUrl": "http://localhost/auth/callback/staff",
    }
    assert body["github"]["type"] == "custom"


def test_sign_in_json_by_body_with_header_token(client: FlaskClient) -> None:
    token = json_csrf(client)
    response = client.post(
        "/auth/sign-in/credentials",
        json={"username": "ann", "password": "pw-ann", "callbackUrl": "/dashboard"},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 200
    assert response.get_json() == {"ok": True, "url": "http://localhost/dashboard"}
    assert session_cookie(client) is not None


def test_sign_in_json_by_accept_header(client: FlaskClient) -> None:
    response = client.post(
        "/auth/sign-in/credentials",
        data={"username": "ann", "password": "pw-ann", "csrf_token": csrf_token(client)},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.get_json() == {"ok": True, "url": "http://localhost/"}


def test_sign_in_json_by_form_field_as_nextauths_client_posts(client: FlaskClient) -> None:
    # next-auth/react: form-encoded body with csrfToken, callbackUrl and json=true
    response = client.post(
        "/auth/sign-in/credentials",
        data={
            "username": "bob",
            "password": "pw-bob",
            "csrfToken": json_csrf(client),
            "callbackUrl": "http://localhost/dashboard",
            "json": "true",
        },
    )
    assert response.status_code == 200
    assert response.get_json() == {"ok": True, "url": "http://localhost/dashboard"}


@pytest.mark.parametrize(
    ("username", "password"), [("ann", "wrong"), ("nobody", "pw-ann"), ("", "")]
)
def test_sign_in_json_failure_is_401_credentials_signin(
    client: FlaskClient, username: str, password: str
) -> None:
    response = client.post(
        "/auth/sign-in/credentials",
        json={"username": username, "password": password},
        headers={"X-CSRFToken": json_csrf(client)},
    )
    assert response.status_code == 401
    body = response.get_json()
    assert body["ok"] is False
    assert body["error"] == "CredentialsSignin"
    assert session_cookie(client) is None


def test_seed_002_sign_in_without_redirect_as_a_json_client(client: FlaskClient) -> None:
    """signIn("credentials", {username, password, redirect: false}) then useSession()."""
    token = json_csrf(client)
    response = client.post(
        "/auth/sign-in/credentials",
        json={"username": "ann", "password": "pw-ann", "redirect": False, "callbackUrl": "/"},
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )
    assert response.status_code == 200
    result = response.get_json()
    assert result["ok"] is True
    assert "error" not in result
    session = client.get("/auth/session").get_json()
    assert session["user"]["name"] == USERS["ann"]["name"]
    assert client.get("/api/me").status_code == 200
    token = json_csrf(client)  # rotated by the sign-in; NextAuth's client asks again
    out = client.post("/auth/sign-out", json={"callbackUrl": "/"}, headers={"X-CSRFToken": token})
    assert out.status_code == 200
    assert out.get_json() == {"ok": True, "url": "http://localhost/"}
    assert client.get("/auth/session").get_json() is None
    assert client.get("/api/me").status_code == 401


def test_sign_out_as_a_page_redirects_to_callback(client: FlaskClient) -> None:
    attempt_sign_in(client)
    page = client.get("/auth/sign-out?callbackUrl=/goodbye").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    assert 'name="callbackUrl" value="/goodbye"' in page
    response = client.post(
        "/auth/sign-out", data={"csrf_token": token.group(1), "callbackUrl": "/goodbye"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/goodbye"
    assert session_cookie(client) is None


def test_full_round_trip_through_the_real_forms(client: FlaskClient) -> None:
    first = client.get("/dashboard")
    page = client.get(first.headers["Location"]).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    callback = re.search(r'name="callbackUrl" value="([^"]*)"', page)
    assert token is not None and callback is not None
    signed = client.post(
        "/auth/sign-in/credentials",
        data={
            "username": "ann",
            "password": "pw-ann",
            "csrf_token": token.group(1),
            "callbackUrl": callback.group(1),
        },
    )
    assert signed.headers["Location"] == "/dashboard"
    assert client.get("/dashboard").get_data(as_text=True) == "Hello Ann"
    out_page = client.get("/auth/sign-out").get_data(as_text=True)
    out_token = re.search(r'name="csrf_token" value="([^"]+)"', out_page)
    assert out_token is not None
    client.post("/auth/sign-out", data={"csrf_token": out_token.group(1)})
    assert client.get("/dashboard").status_code == 302


# -- session update --------------------------------------------------------------------------


def test_session_update_runs_jwt_with_trigger_update_and_the_data(make_app: AppFactory) -> None:
    app, auth = make_app()
    seen: list[tuple[Any, Any]] = []

    @auth.jwt_callback
    def jwt(token: dict[str, Any], trigger: str | None, session: Any = None) -> dict[str, Any]:
        seen.append((trigger, session))
        if trigger == "update" and isinstance(session, dict):
            token["name"] = session.get("name", token.get("name"))
        return token

    client = app.test_client()
    attempt_sign_in(client)
    before = session_cookie(client)
    token = json_csrf(client)
    response = client.post(
        "/auth/session",
        json={"csrfToken": "ignored-when-header-present", "data": {"name": "Annie", "n": [1]}},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 200
    assert response.get_json()["user"]["name"] == "Annie"
    assert ("update", {"name": "Annie", "n": [1]}) in seen
    assert session_cookie(client) != before
    assert client.get("/auth/session").get_json()["user"]["name"] == "Annie"
    assert client.get("/dashboard").get_data(as_text=True) == "Hello Annie"


def test_session_update_with_token_in_body_as_nextauth_sends_it(make_app: AppFactory) -> None:
    app, auth = make_app()

    @auth.jwt_callback
    def jwt(token: dict[str, Any], trigger: str | None, session: Any) -> dict[str, Any]:
        if trigger == "update":
            token["theme"] = session["theme"]
        return token

    @auth.session_callback
    def shape(session: dict[str, Any], token: dict[str, Any]) -> dict[str, Any]:
        return {**session, "theme": token.get("theme")}

    client = app.test_client()
    attempt_sign_in(client)
    response = client.post(
        "/auth/session", json={"csrfToken": json_csrf(client), "data": {"theme": "dark"}}
    )
    assert response.status_code == 200
    assert response.get_json()["theme"] == "dark"


def test_session_update_without_a_session_is_401(client: FlaskClient) -> None:
    response = client.post("/auth/session", json={}, headers={"X-CSRFToken": json_csrf(client)})
    assert response.status_code == 401
    assert response.get_json()["error"] == "SessionRequired"


def test_session_update_where_jwt_returns_none_ends_the_session(make_app: AppFactory) -> None:
    app, auth = make_app()

    @auth.jwt_callback
    def jwt(token: dict[str, Any], trigger: str | None) -> dict[str, Any] | None:
        return None if trigger == "update" else token

    client = app.test_client()
    attempt_sign_in(client)
    response = client.post("/auth/session", json={}, headers={"X-CSRFToken": json_csrf(client)})
    assert response.status_code == 200
    assert response.get_json() is None
    assert session_cookie(client) is None


def test_session_update_where_jwt_returns_garbage_changes_nothing(make_app: AppFactory) -> None:
    app, auth = make_app()

    @auth.jwt_callback
    def jwt(token: dict[str, Any], trigger: str | None) -> Any:
        return "not a token" if trigger == "update" else token

    client = app.test_client()
    attempt_sign_in(client)
    before = session_cookie(client)
    response = client.post("/auth/session", json={}, headers={"X-CSRFToken": json_csrf(client)})
    assert response.status_code == 500
    assert response.get_json()["error"] == "Configuration"
    assert session_cookie(client) == before


# -- bad input is a 4xx, never a 500 ---------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "[1, 2, 3]",
        '"a string"',
        "42",
        "null",
        '{"username": {"nested": "object"}, "password": "x"}',
        '{"username": ["list"], "password": "x"}',
        '{"username": null, "password": "x"}',
        "{not json",
        "",
    ],
)
def test_malformed_json_sign_in_is_400(client: FlaskClient, body: str) -> None:
    response = client.post(
        "/auth/sign-in/credentials",
        data=body,
        content_type="application/json",
        headers={"X-CSRFToken": json_csrf(client)},
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "BadRequest"
    assert session_cookie(client) is None


@pytest.mark.parametrize("url", ["/auth/sign-out", "/auth/session"])
@pytest.mark.parametrize("body", ["[1]", '"x"', "{broken", '{"csrfToken": {"a": 1}}'])
def test_malformed_json_on_other_posts_is_4xx(client: FlaskClient, url: str, body: str) -> None:
    attempt_sign_in(client)
    before = session_cookie(client)
    response = client.post(url, data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"] in ("BadRequest", "CSRF")
    assert session_cookie(client) == before


def test_numbers_and_booleans_in_json_are_strings(make_app: AppFactory) -> None:
    received: list[dict[str, str]] = []

    def authorize(credentials: dict[str, str]) -> dict[str, Any] | None:
        received.append(credentials)
        return {"id": "7"} if credentials == {"pin": "1234", "remember": "true"} else None

    app, _ = make_app(
        providers=[CredentialsProvider(authorize, {"pin": {"type": "number"}, "remember": {}})]
    )
    client = app.test_client()
    response = client.post(
        "/auth/sign-in/credentials",
        json={"pin": 1234, "remember": True},
        headers={"X-CSRFToken": json_csrf(client)},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert received == [{"pin": "1234", "remember": "true"}]


def test_form_with_unexpected_content_type_signs_no_one_in(client: FlaskClient) -> None:
    response = client.post(
        "/auth/sign-in/credentials", data="username=ann", content_type="text/plain"
    )
    landed_on_sign_in(client, response, "CSRF")  # no form fields: no token either
    assert session_cookie(client) is None


def test_unknown_provider_is_404_and_gets_are_405(client: FlaskClient) -> None:
    assert client.post("/auth/sign-in/nope", data={}).status_code == 404
    assert client.post("/auth/callback/nope", data={}).status_code == 404
    # Enter in the address bar on the form's action URL lands on the page, never a 405.
    landed = client.get("/auth/sign-in/credentials?callbackUrl=/dashboard")
    assert landed.status_code == 302
    assert landed.headers["Location"] == "/auth/sign-in?callbackUrl=%2Fdashboard"
    assert client.put("/auth/session").status_code == 405


def test_non_string_callback_url_in_json_is_a_400_not_a_crash(client: FlaskClient) -> None:
    response = client.post(
        "/auth/sign-in/credentials",
        json={"username": "ann", "password": "pw-ann", "callbackUrl": {"x": 1}},
        headers={"X-CSRFToken": json_csrf(client)},
    )
    assert response.status_code == 400


# -- error codes in JSON ---------------------------------------------------------------------


def test_error_codes_in_json(make_app: AppFactory, clock: FakeClock) -> None:
    def explode(credentials: dict[str, str]) -> None:
        raise RuntimeError("backend unreachable")

    app, auth = make_app(
        providers=[
            CredentialsProvider(authorize=lambda c: {"id": c["username"]}),
            CredentialsProvider(authorize=explode, id="broken"),
            Provider("github", "GitHub"),
        ],
        JWTAUTH_SESSION_MAX_AGE=10,
    )

    @auth.sign_in_callback
    def only_ann(user: dict[str, Any]) -> bool:
        return bool(user["id"] == "ann")

    client = app.test_client()
    headers = {"X-CSRFToken": json_csrf(client)}

    def post(url: str, **body: str) -> tuple[int, str]:
        response = client.post(url, json=body, headers=headers)
        return response.status_code, response.get_json()["error"]

    assert post("/auth/sign-in/credentials", username="", password="") == (
        401,
        "CredentialsSignin",
    )
    assert post("/auth/sign-in/credentials", username="bob", password="x") == (
        403,
        "AccessDenied",
    )
    assert post("/auth/sign-in/broken", username="a", password="b") == (500, "Configuration")
    assert post("/auth/sign-in/github") == (400, "OAuthSignin")
    assert post("/auth/callback/github") == (400, "OAuthCallbackError")
    assert post("/auth/session") == (401, "SessionRequired")
    assert client.get("/api/me").get_json()["error"] == "SessionRequired"
    signed = client.post(
        "/auth/sign-in/credentials", json={"username": "ann", "password": "x"}, headers=headers
    )
    assert signed.get_json()["ok"] is True
    assert client.get("/api/me").status_code == 200
    clock.advance(11)
    assert client.get("/api/me").get_json()["error"] == "SessionExpired"


def test_oauth_errors_on_pages(make_app: AppFactory) -> None:
    app, _ = make_app(providers=[Provider("github", "GitHub")])
    client = app.test_client()
    page = client.get("/auth/sign-in").get_data(as_text=True)
    assert "Sign in with GitHub" in page
    token = csrf_token(client)
    start = client.post("/auth/sign-in/github", data={"csrf_token": token})
    assert "Could not start signing in" in landed_on_sign_in(client, start, "OAuthSignin")
    back = client.post("/auth/callback/github", data={"csrf_token": token})
    assert "did not complete" in landed_on_sign_in(client, back, "OAuthCallbackError")


@pytest.mark.parametrize(
    "how",
    [
        {"data": {"json": "true"}},
        {"data": {}, "headers": {"Accept": "application/json"}},
        {"json": {}},
    ],
    ids=["form-field", "accept-header", "json-body"],
)
def test_sign_out_in_json_mode(client: FlaskClient, how: dict[str, Any]) -> None:
    attempt_sign_in(client)
    token = json_csrf(client)
    kwargs = {**how, "headers": {**how.get("headers", {}), "X-CSRFToken": token}}
    response = client.post("/auth/sign-out", **kwargs)
    assert response.status_code == 200
    assert response.get_json() == {"ok": True, "url": "http://localhost/"}
    assert session_cookie(client) is None


def test_credentials_also_post_to_the_callback_route(client: FlaskClient) -> None:
    """next-auth/react posts credentials to /callback/credentials."""
    response = client.post(
        "/auth/callback/credentials",
        data={
            "username": "ann",
            "password": "pw-ann",
            "csrfToken": json_csrf(client),
            "json": "true",
        },
    )
    assert response.status_code == 200
    assert response.get_json()["ok"] is True
    assert client.get("/auth/session").get_json()["user"]["id"] == "1"


def test_sign_in_url_points_at_the_configured_page(make_app: AppFactory) -> None:
    app, _ = make_app(JWTAUTH_SIGN_IN_URL="/sign-in")
    with app.test_request_context("/"):
        assert sign_in_url() == "/sign-in"
        assert sign_in_url("/dashboard?tab=2") == "/sign-in?callbackUrl=%2Fdashboard%3Ftab%3D2"

    own, _ = make_app(JWTAUTH_SIGN_IN_ENDPOINT="login")
    own.add_url_rule("/login", "login", lambda: "my own page")
    with own.test_request_context("/"):
        assert sign_in_url() == "/login"
        rendered = render_template_string("{{ jwtauth_sign_in_url('/x') }}")
        assert rendered == "/login?callbackUrl=%2Fx"


# -- Regression test for issue 18, bug 7b. ----------------------------------------------


def test_issue18_a_sign_out_page_left_open_past_expiry_still_signs_out(
    make_app: AppFactory, clock: FakeClock
) -> None:
    """The sign-out page is opened, then left open until the session has expired; its form,
    POSTed with the CSRF token it carried, finishes the sign-out (a redirect, the session
    cookie cleared), not 400 "The form has expired or is invalid"."""
    app, _ = make_app(JWTAUTH_SESSION_MAX_AGE=10)
    client = app.test_client()
    assert attempt_sign_in(client).status_code == 302
    page = client.get("/auth/sign-out")
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert token is not None
    clock.advance(60)
    response = client.post("/auth/sign-out", data={"csrf_token": token.group(1)})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert session_cookie(client) is None
    assert client.get("/api/me").status_code == 401
