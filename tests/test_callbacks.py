"""Callbacks in NextAuth's vocabulary: jwt, session, sign_in, redirect; and seed 002's rotation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from conftest import AppFactory
from flask import Flask
from support import FakeClock, attempt_sign_in, csrf_token, session_cookie

from flask_jwtauth import CredentialsProvider, get_token

COOKIE = "jwtauth.session-token"


def session_cookie_headers(response: Any) -> list[str]:
    return [h for h in response.headers.getlist("Set-Cookie") if h.startswith(COOKIE)]


def add_token_view(app: Flask) -> None:
    @app.get("/api/token")
    def token_view() -> Any:
        return get_token() or {}


# -- jwt -------------------------------------------------------------------------------------


def test_jwt_gets_user_account_and_trigger(make_app: AppFactory) -> None:
    app, auth = make_app()
    add_token_view(app)
    calls: list[dict[str, Any]] = []

    @auth.jwt_callback
    def jwt(
        token: dict[str, Any], user: Any = None, account: Any = None, trigger: str | None = None
    ) -> dict[str, Any]:
        calls.append({"user": user, "account": account, "trigger": trigger})
        if user is not None:
            token["firstName"] = user["name"]
        return token

    client = app.test_client()
    attempt_sign_in(client)
    assert calls == [
        {
            "user": {
                "id": "1",
                "name": "Ann",
                "email": "ann@example.com",
                "roles": ["admin"],
            },
            "account": {
                "provider": "credentials",
                "type": "credentials",
                "providerAccountId": "1",
            },
            "trigger": "sign_in",
        }
    ]
    token = client.get("/api/token").get_json()
    assert token["firstName"] == "Ann"
    assert token["sub"] == "1"
    assert calls[-1] == {"user": None, "account": None, "trigger": None}


@pytest.mark.parametrize(
    "callback",
    [
        lambda token: {**token, "x": 1},
        lambda token, trigger: {**token, "x": 1},
        lambda token, user, account, trigger, session: {**token, "x": 1},
        lambda *, token, session=None: {**token, "x": 1},
        lambda **kwargs: {**kwargs["token"], "x": 1},
    ],
    ids=["token", "token+trigger", "all-required", "keyword-only", "kwargs"],
)
def test_jwt_may_declare_any_subset_of_arguments(make_app: AppFactory, callback: Any) -> None:
    app, auth = make_app()
    add_token_view(app)
    auth.jwt_callback(callback)
    client = app.test_client()
    assert attempt_sign_in(client).status_code == 302
    assert client.get("/api/token").get_json()["x"] == 1
    token = client.get("/auth/csrf").get_json()["csrfToken"]
    update = client.post("/auth/session", json={"data": {}}, headers={"X-CSRFToken": token})
    assert update.status_code == 200


def test_jwt_returning_none_at_sign_in_denies(make_app: AppFactory) -> None:
    app, auth = make_app()

    @auth.jwt_callback
    def jwt(token: dict[str, Any], trigger: str | None) -> dict[str, Any] | None:
        return None if trigger == "sign_in" else token

    client = app.test_client()
    response = attempt_sign_in(client)
    assert response.status_code == 403
    assert session_cookie_headers(response) == []
    assert "You do not have permission" in response.get_data(as_text=True)


def test_jwt_returning_none_later_ends_the_session(make_app: AppFactory) -> None:
    app, auth = make_app()
    revoked: set[str] = set()

    @auth.jwt_callback
    def jwt(token: dict[str, Any]) -> dict[str, Any] | None:
        return None if token["sub"] in revoked else token

    client = app.test_client()
    attempt_sign_in(client)
    assert client.get("/dashboard").status_code == 200
    revoked.add("1")
    response = client.get("/dashboard")
    assert response.status_code == 302
    assert session_cookie(client) is None


@pytest.mark.parametrize("result", ["a string", ["a", "list"], 42])
def test_jwt_returning_garbage_at_sign_in_is_a_configuration_error(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture, result: Any
) -> None:
    app, auth = make_app()

    @auth.jwt_callback
    def jwt(token: dict[str, Any]) -> Any:
        return result

    client = app.test_client()
    response = attempt_sign_in(client)
    assert response.status_code == 500
    assert "<code>Configuration</code>" in response.get_data(as_text=True)
    assert session_cookie_headers(response) == []
    assert "not a dict" in caplog.text


def test_jwt_raising_at_sign_in_is_logged_and_generic(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    app, auth = make_app()

    @auth.jwt_callback
    def jwt(token: dict[str, Any]) -> dict[str, Any]:
        raise KeyError("secret-internal-detail")

    client = app.test_client()
    response = attempt_sign_in(client)
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "secret-internal-detail" not in body
    assert "Traceback" not in body
    assert "secret-internal-detail" in caplog.text
    assert session_cookie(client) is None


# -- session ---------------------------------------------------------------------------------


def test_session_shapes_the_json_and_current_session(make_app: AppFactory) -> None:
    app, auth = make_app()

    @auth.jwt_callback
    def jwt(token: dict[str, Any], user: Any = None) -> dict[str, Any]:
        if user:
            token["firstName"], token["lastName"] = user["name"], "Smith"
        return token

    @auth.session_callback
    def session(session: dict[str, Any], token: dict[str, Any]) -> dict[str, Any]:
        session["user"]["firstName"] = token["firstName"]
        session["user"]["lastName"] = token["lastName"]
        return session

    client = app.test_client()
    attempt_sign_in(client)
    user = client.get("/auth/session").get_json()["user"]
    assert (user["firstName"], user["lastName"]) == ("Ann", "Smith")
    assert client.get("/api/me").get_json()["user"]["lastName"] == "Smith"


def test_session_may_take_only_the_token(make_app: AppFactory) -> None:
    app, auth = make_app()

    @auth.session_callback
    def session(token: dict[str, Any]) -> dict[str, Any]:
        return {"userId": token["sub"]}

    client = app.test_client()
    attempt_sign_in(client)
    assert client.get("/auth/session").get_json() == {"userId": "1"}


# -- sign_in ---------------------------------------------------------------------------------


def test_sign_in_callback_gets_user_account_and_credentials(make_app: AppFactory) -> None:
    app, auth = make_app()
    seen: list[dict[str, Any]] = []

    @auth.sign_in_callback
    def check(user: Any, account: Any, credentials: Any) -> bool:
        seen.append({"user": user["id"], "account": account["provider"], "creds": credentials})
        return True

    client = app.test_client()
    assert attempt_sign_in(client).status_code == 302
    assert seen == [
        {
            "user": "1",
            "account": "credentials",
            "creds": {"username": "ann", "password": "pw-ann"},
        }
    ]
    assert session_cookie(client) is not None


@pytest.mark.parametrize("verdict", [False, None])
def test_sign_in_callback_false_denies_with_access_denied(
    make_app: AppFactory, verdict: Any
) -> None:
    app, auth = make_app()

    @auth.sign_in_callback
    def check(user: Any) -> Any:
        return verdict

    client = app.test_client()
    response = attempt_sign_in(client)
    assert response.status_code == 403
    assert "<code>AccessDenied</code>" in response.get_data(as_text=True)
    assert session_cookie_headers(response) == []
    token = client.get("/auth/csrf").get_json()["csrfToken"]
    as_json = client.post(
        "/auth/sign-in/credentials",
        json={"username": "ann", "password": "pw-ann"},
        headers={"X-CSRFToken": token},
    )
    assert as_json.status_code == 403
    assert as_json.get_json() == {
        "ok": False,
        "error": "AccessDenied",
        "message": "You do not have permission to do that.",
        "status": 403,
        "url": None,
    }
    assert session_cookie(client) is None


def test_sign_in_callback_url_redirects_without_signing_in(make_app: AppFactory) -> None:
    app, auth = make_app()

    @auth.sign_in_callback
    def check(user: Any) -> str | bool:
        return "/unverified?reason=email" if user["id"] == "2" else True

    client = app.test_client()
    response = attempt_sign_in(client, "bob", callbackUrl="/dashboard")
    assert response.status_code == 302
    assert response.headers["Location"] == "/unverified?reason=email"
    assert session_cookie(client) is None
    again = attempt_sign_in(client, "ann", callbackUrl="/dashboard")
    assert again.headers["Location"] == "/dashboard"


def test_sign_in_callback_url_must_be_same_origin(make_app: AppFactory) -> None:
    app, auth = make_app()

    @auth.sign_in_callback
    def check(user: Any) -> str:
        return "https://evil.com/phish"

    client = app.test_client()
    response = attempt_sign_in(client)
    assert response.headers["Location"] == "/"
    assert session_cookie(client) is None


def test_sign_in_callback_raising_is_a_configuration_error(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    app, auth = make_app()

    @auth.sign_in_callback
    def check(user: Any) -> bool:
        raise RuntimeError("policy service down")

    client = app.test_client()
    response = attempt_sign_in(client)
    assert response.status_code == 500
    assert "policy service down" not in response.get_data(as_text=True)
    assert "policy service down" in caplog.text


# -- redirect --------------------------------------------------------------------------------


def test_redirect_callback_for_sign_in_and_sign_out(make_app: AppFactory) -> None:
    app, auth = make_app()
    seen: list[tuple[str, str]] = []

    @auth.redirect_callback
    def redirect(url: str, base_url: str) -> str:
        seen.append((url, base_url))
        return f"{base_url}/landing?from={url.strip('/') or 'home'}"

    client = app.test_client()
    assert attempt_sign_in(client, callbackUrl="/dashboard").headers["Location"] == (
        "/landing?from=dashboard"
    )
    out = client.post("/auth/sign-out", data={"csrf_token": csrf_token(client)})
    assert out.headers["Location"] == "/landing?from=home"
    assert seen == [("/dashboard", "http://localhost"), ("/", "http://localhost")]


# -- seed 002: backend access/refresh tokens rotated inside the jwt callback ----------------


@dataclass
class FakeBackend:
    """The Django backend of seed 002: logs in, and rotates tokens on refresh."""

    clock: FakeClock
    lifetime: int = 60
    refreshes: int = 0
    generation: int = 1
    fail_refresh: bool = False

    def tokens(self) -> dict[str, Any]:
        return {
            "accessToken": f"access-{self.generation}",
            "refreshToken": f"refresh-{self.generation}",
            "accessTokenExpires": int(self.clock()) + self.lifetime,
        }

    def login(self, username: str, password: str) -> dict[str, Any] | None:
        if (username, password) != ("ann", "pw-ann"):
            return None
        return {"id": "1", "name": "Ann", "email": "ann@example.com", **self.tokens()}

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        self.refreshes += 1
        if self.fail_refresh or refresh_token != f"refresh-{self.generation}":
            raise PermissionError("refresh token rejected")
        self.generation += 1
        return self.tokens()


@pytest.fixture
def seed_002(clock: FakeClock) -> tuple[Flask, FakeBackend]:
    from flask_jwtauth import JWTAuth

    backend = FakeBackend(clock)
    app = Flask(__name__)
    app.config.update(TESTING=True, JWTAUTH_SECRET="seed-002-secret-0123456789abcdef")

    def authorize(credentials: dict[str, str]) -> Any:
        return backend.login(credentials["username"], credentials["password"])

    auth = JWTAuth(
        app,
        providers=[CredentialsProvider(authorize, {"username": {}, "password": {}})],
        clock=clock,
    )

    def refresh_access_token(token: dict[str, Any]) -> dict[str, Any]:
        try:
            fresh = backend.refresh(token["refreshToken"])
        except PermissionError:
            return {**token, "error": "RefreshAccessTokenError"}
        return {**token, **fresh}

    @auth.jwt_callback
    def jwt(token: dict[str, Any], user: Any = None) -> dict[str, Any]:
        if user:  # first call: copy the backend's tokens from the user
            return {
                **token,
                "accessToken": user["accessToken"],
                "refreshToken": user["refreshToken"],
                "accessTokenExpires": user["accessTokenExpires"],
            }
        if clock() < token["accessTokenExpires"]:
            return token
        return refresh_access_token(token)

    @auth.session_callback
    def session(session: dict[str, Any], token: dict[str, Any]) -> dict[str, Any]:
        session["token"] = token["accessToken"]
        if "error" in token:
            session["error"] = token["error"]
        return session

    add_token_view(app)
    return app, backend


def test_seed_002_rotates_the_access_token_once(
    seed_002: tuple[Flask, FakeBackend], clock: FakeClock
) -> None:
    app, backend = seed_002
    client = app.test_client()
    attempt_sign_in(client)
    assert client.get("/auth/session").get_json()["token"] == "access-1"
    first_cookie = session_cookie(client)

    clock.advance(61)  # the backend's access token has expired
    response = client.get("/api/token")
    assert response.get_json()["accessToken"] == "access-2"
    assert response.get_json()["refreshToken"] == "refresh-2"
    assert backend.refreshes == 1
    assert session_cookie_headers(response), "the rotated token must be written back"
    rotated_cookie = session_cookie(client)
    assert rotated_cookie != first_cookie

    for _ in range(3):
        assert client.get("/auth/session").get_json()["token"] == "access-2"
    assert backend.refreshes == 1

    # The cookie itself carries the new tokens: a fresh browser with only that cookie.
    other = app.test_client()
    assert rotated_cookie is not None
    other.set_cookie(COOKIE, rotated_cookie)
    assert other.get("/api/token").get_json()["accessToken"] == "access-2"
    assert backend.refreshes == 1


def test_seed_002_refresh_failure_is_reported_in_the_session(
    seed_002: tuple[Flask, FakeBackend], clock: FakeClock
) -> None:
    app, backend = seed_002
    client = app.test_client()
    attempt_sign_in(client)
    backend.fail_refresh = True
    clock.advance(61)
    session = client.get("/auth/session").get_json()
    assert session["error"] == "RefreshAccessTokenError"
    assert session["token"] == "access-1"


def test_seed_002_json_client_sees_the_backend_token(
    seed_002: tuple[Flask, FakeBackend],
) -> None:
    app, _ = seed_002
    client = app.test_client()
    token = client.get("/auth/csrf").get_json()["csrfToken"]
    response = client.post(
        "/auth/sign-in/credentials",
        json={"username": "ann", "password": "pw-ann", "redirect": False},
        headers={"X-CSRFToken": token},
    )
    assert response.get_json()["ok"] is True
    assert client.get("/auth/session").get_json()["token"] == "access-1"
    # Signing in rotated the CSRF token: a client asks again, as NextAuth's client does.
    token = client.get("/auth/csrf").get_json()["csrfToken"]
    failed = client.post(
        "/auth/sign-in/credentials",
        json={"username": "ann", "password": "nope", "redirect": False},
        headers={"X-CSRFToken": token},
    )
    assert failed.status_code == 401
    assert failed.get_json()["error"] == "CredentialsSignin"


# -- a session callback that raises or answers None (seed 000, seed 002) --------------------


def test_session_callback_that_raises_ends_the_session_everywhere(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Seed 002 rejects a session whose refresh token expired by raising: logged, cookie
    cleared, pages sent to sign in with SessionExpired, APIs answered 401; never a 500."""
    app, auth = make_app()

    class RefreshTokenExpired(Exception):
        code = "RefreshAccessTokenError"

    @auth.session_callback
    def session(session: dict[str, Any], token: dict[str, Any]) -> dict[str, Any]:
        raise RefreshTokenExpired("refresh token expired")

    client = app.test_client()
    attempt_sign_in(client)
    page = client.get("/dashboard")
    assert page.status_code == 302
    assert "error=RefreshAccessTokenError" in page.headers["Location"]
    assert "callbackUrl=%2Fdashboard" in page.headers["Location"]
    assert any(
        h.startswith("jwtauth.session-token=;") for h in page.headers.getlist("Set-Cookie")
    )
    assert session_cookie(client) is None
    assert "refresh token expired" in caplog.text
    attempt_sign_in(client)
    api = client.get("/api/me")
    assert api.status_code == 401
    assert api.get_json()["error"] == "RefreshAccessTokenError"


def test_session_callback_returning_none_means_signed_out(make_app: AppFactory) -> None:
    """Seed 000's answer: no session means not signed in, for guards, proxies, templates
    and /auth/session alike."""
    app, auth = make_app()

    @auth.session_callback
    def session(session: dict[str, Any], token: dict[str, Any]) -> None:
        return None

    @app.get("/peek")
    def peek() -> Any:
        from flask_jwtauth import current_session, current_user, get_session, get_token

        return {
            "truthy": bool(current_session),
            "get_session": get_session(),
            "user": bool(current_user),
            "token": get_token(),
        }

    client = app.test_client()
    attempt_sign_in(client)
    assert client.get("/api/me").status_code == 401
    assert client.get("/dashboard").status_code == 302
    assert client.get("/auth/session").get_json() is None
    attempt_sign_in(client)
    assert client.get("/peek").get_json() == {
        "truthy": False,
        "get_session": None,
        "user": False,
        "token": None,
    }
