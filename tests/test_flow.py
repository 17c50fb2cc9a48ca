"""One sign-in flow for every provider: the app's own views, a provider type the views have
never heard of, async hooks, and Flask-WTF's CSRFProtect beside ours."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import AppFactory
from flask import Flask, request
from flask_wtf.csrf import CSRFProtect
from support import (
    COOKIE,
    USERS,
    attempt_sign_in,
    csrf_token,
    landed_on_sign_in,
    session_cookie,
    set_cookies,
)

from flask_jwtauth import (
    CredentialsProvider,
    CredentialsSignin,
    Provider,
    ProviderRequest,
    Redirect,
    Refused,
    SignedIn,
    current_user,
    sign_in,
    sign_out,
    user_signed_in,
    user_signed_out,
)

# -- sign_in() / sign_out() from the app's own views --------------------------------------


def test_app_views_sign_in_and_out_through_the_same_flow(make_app: AppFactory) -> None:
    app, auth = make_app()
    seen: list[tuple[str, Any]] = []

    @auth.jwt_callback
    def jwt(token: dict[str, Any], trigger: str | None, account: Any) -> dict[str, Any]:
        seen.append((str(trigger), account and account["provider"]))
        return {**token, "plan": "free"}

    @app.post("/sign-up")
    def sign_up() -> Any:
        result = sign_in({"id": "42", "name": request.form["name"]})
        return {"ok": bool(result), "user": dict(current_user)}

    @app.post("/leave")
    def leave() -> Any:
        ended = sign_out()
        return {"ended": ended and ended["sub"], "user": dict(current_user)}

    signals: list[str] = []
    user_signed_in.connect(lambda sender, **kw: signals.append("in"), app, weak=False)
    user_signed_out.connect(lambda sender, **kw: signals.append("out"), app, weak=False)
    client = app.test_client()
    response = client.post("/sign-up", data={"name": "Zoe"})
    assert response.get_json() == {
        "ok": True,
        "user": {"id": "42", "name": "Zoe", "email": None, "image": None},
    }
    assert seen == [("sign_in", "app")]
    assert client.get("/api/me").get_json()["user"]["name"] == "Zoe"
    assert client.post("/leave").get_json() == {"ended": "42", "user": {}}
    assert session_cookie(client) is None
    assert signals == ["in", "out"]


def test_app_sign_in_refused_by_the_sign_in_callback(make_app: AppFactory) -> None:
    app, auth = make_app()

    @auth.sign_in_callback
    def only_verified(user: dict[str, Any]) -> bool:
        return bool(user.get("verified"))

    @app.post("/invite")
    def invite() -> Any:
        result = sign_in({"id": "7"})
        return {"ok": bool(result), "error": result.error}

    client = app.test_client()
    assert client.post("/invite").get_json() == {"ok": False, "error": "AccessDenied"}
    assert session_cookie(client) is None


# -- a provider type the endpoints know nothing about -----------------------------------------


class MagicLinkProvider(Provider):
    """A made-up round-trip provider: sign-in redirects to a 'mailbox' page with a state, the
    callback comes back with it. Only the protocol is used: no view knows this class."""

    type = "magic"

    def begin(self, request: ProviderRequest) -> Redirect | Refused:
        email = request.form.get("email", "")
        if "@" not in email:
            return Refused("OAuthSignin", "no email")
        state = f"s-{email}"
        return Redirect(f"/mailbox?state={state}", transaction={"state": state, "email": email})

    def complete(
        self, request: ProviderRequest, transaction: dict[str, Any] | None
    ) -> SignedIn | Refused:
        if transaction is None or request.args.get("state") != transaction["state"]:
            return Refused("OAuthCallbackError", "state mismatch")
        email = transaction["email"]
        account = {"provider": self.id, "type": self.type, "providerAccountId": email}
        return SignedIn(user={"id": email, "email": email}, account=account)


def magic_app(make_app: AppFactory) -> Flask:
    app, _ = make_app(providers=[MagicLinkProvider("magic", "Magic link")])
    return app


def test_a_new_provider_type_signs_in_without_touching_the_views(make_app: AppFactory) -> None:
    client = magic_app(make_app).test_client()
    page = client.get("/auth/sign-in").get_data(as_text=True)
    assert 'action="/auth/sign-in/magic"' in page
    started = client.post(
        "/auth/sign-in/magic",
        data={
            "email": "zoe@example.com",
            "csrf_token": csrf_token(client),
            "callbackUrl": "/api/me",
        },
    )
    assert started.status_code == 302
    location = started.headers["Location"]
    assert location.startswith("/mailbox?state=")
    transaction = [c for c in set_cookies(started) if c.name.startswith("jwtauth.tx.")]
    assert len(transaction) == 1
    assert transaction[0].attrs["path"] == "/auth/callback/magic"
    assert transaction[0].attrs.get("httponly") is True
    assert "zoe@example.com" not in transaction[0].value  # sealed, not readable
    state = parse_qs(urlsplit(location).query)["state"][0]
    done = client.get(f"/auth/callback/magic?state={state}")
    assert done.status_code == 302 and done.headers["Location"] == "/api/me"
    cleared = [c for c in set_cookies(done) if c.name.startswith("jwtauth.tx.")]
    assert cleared and cleared[0].cleared  # valid once
    assert client.get("/api/me").get_json()["user"]["email"] == "zoe@example.com"
    # The same callback again: no transaction any more, so no session is made from it.
    again = client.get(
        f"/auth/callback/magic?state={state}", headers={"Accept": "application/json"}
    )
    assert again.status_code == 400 and again.get_json()["error"] == "OAuthCallbackError"


def test_a_round_trip_needs_the_browser_that_started_it(make_app: AppFactory) -> None:
    app = magic_app(make_app)
    starter, other = app.test_client(), app.test_client()
    started = starter.post(
        "/auth/sign-in/magic",
        data={"email": "zoe@example.com", "csrf_token": csrf_token(starter)},
    )
    response = other.get(started.headers["Location"].replace("/mailbox", "/auth/callback/magic"))
    assert "did not complete" in landed_on_sign_in(other, response, "OAuthCallbackError")
    assert session_cookie(other) is None


def test_sign_ins_in_two_tabs_do_not_break_each_other(make_app: AppFactory) -> None:
    client = magic_app(make_app).test_client()
    first = client.post(
        "/auth/sign-in/magic", data={"email": "a@example.com", "csrf_token": csrf_token(client)}
    ).headers["Location"]
    second = client.post(
        "/auth/sign-in/magic", data={"email": "b@example.com", "csrf_token": csrf_token(client)}
    ).headers["Location"]
    assert client.get(first.replace("/mailbox", "/auth/callback/magic")).status_code == 302
    assert client.get("/api/me").get_json()["user"]["email"] == "a@example.com"
    assert client.get(second.replace("/mailbox", "/auth/callback/magic")).status_code == 302
    assert client.get("/api/me").get_json()["user"]["email"] == "b@example.com"


def test_a_json_client_gets_the_providers_url(make_app: AppFactory) -> None:
    client = magic_app(make_app).test_client()
    token = client.get("/auth/csrf").get_json()["csrfToken"]
    response = client.post(
        "/auth/sign-in/magic", json={"email": "zoe@example.com"}, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 200
    assert response.get_json()["url"].startswith("/mailbox?state=")


def test_a_provider_refusal_is_a_code(make_app: AppFactory) -> None:
    client = magic_app(make_app).test_client()
    response = client.post(
        "/auth/sign-in/magic",
        data={"email": "nope", "csrf_token": csrf_token(client)},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400 and response.get_json()["error"] == "OAuthSignin"


# -- async hooks, authorize(credentials, request), CredentialsSignin codes -----------------


def test_async_authorize_and_callbacks(make_app: AppFactory) -> None:
    async def authorize(credentials: dict[str, str]) -> dict[str, Any] | None:
        user = USERS.get(credentials["username"])
        return {"id": user["id"], "name": user["name"]} if user else None

    app, auth = make_app(providers=[CredentialsProvider(authorize=authorize)])

    @auth.jwt_callback
    async def jwt(token: dict[str, Any]) -> dict[str, Any]:
        return {**token, "async": True}

    @auth.session_callback
    async def session(session: dict[str, Any], token: dict[str, Any]) -> dict[str, Any]:
        return {**session, "async": token["async"]}

    @auth.sign_in_callback
    async def allow(user: dict[str, Any]) -> bool:
        return True

    client = app.test_client()
    assert attempt_sign_in(client).status_code == 302
    assert client.get("/api/me").get_json()["async"] is True


def test_authorize_may_take_the_request(make_app: AppFactory) -> None:
    seen: list[str] = []

    def authorize(credentials: dict[str, str], req: Any) -> dict[str, Any]:
        seen.append(req.headers.get("User-Agent", ""))
        return {"id": "1", "name": "Ann"}

    app, _ = make_app(providers=[CredentialsProvider(authorize=authorize)])
    client = app.test_client()
    response = client.post(
        "/auth/sign-in/credentials",
        data={"username": "a", "password": "b", "csrf_token": csrf_token(client)},
        headers={"User-Agent": "test-agent/1"},
    )
    assert response.status_code == 302
    assert seen == ["test-agent/1"]


@pytest.mark.parametrize(("code", "shown"), [("backend_says_no", "backend_says_no"), ("<b>", None)])
def test_credentials_signin_code_reaches_the_page_and_json(
    make_app: AppFactory, code: str, shown: str | None
) -> None:
    def authorize(credentials: dict[str, str]) -> None:
        raise CredentialsSignin(code)

    app, _ = make_app(providers=[CredentialsProvider(authorize=authorize)])
    client = app.test_client()
    token = client.get("/auth/csrf").get_json()["csrfToken"]
    as_json = client.post(
        "/auth/sign-in/credentials",
        json={"username": "a", "password": "b"},
        headers={"X-CSRFToken": token},
    )
    assert as_json.status_code == 401
    assert as_json.get_json()["error"] == "CredentialsSignin"
    assert as_json.get_json().get("code") == shown
    page = attempt_sign_in(client, "a", "b")
    assert "<b>" not in page.get_data(as_text=True)


def test_a_safe_message_from_authorize_is_shown_and_other_exceptions_stay_generic(
    make_app: AppFactory,
) -> None:
    """Seed 002's Promise.reject(new Error(data?.errors)): the backend's words, when the app
    marks them safe to show; over HTTP, through the redirect to the sign-in page."""
    said = "This account is locked <until> tomorrow & then some"

    def authorize(credentials: dict[str, str]) -> None:
        if credentials["username"] == "locked":
            raise CredentialsSignin("account_locked", "log only: row 42", safe_message=said)
        raise RuntimeError("db password is hunter2")

    app, _ = make_app(providers=[CredentialsProvider(authorize=authorize)])
    client = app.test_client()
    refused = attempt_sign_in(client, "locked", "pw")
    assert refused.status_code == 302 and said not in refused.headers["Location"]
    assert parse_qs(urlsplit(refused.headers["Location"]).query)["code"] == ["account_locked"]
    page = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "This account is locked &lt;until&gt; tomorrow &amp; then some" in page
    assert "row 42" not in page
    again = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "This account is locked" not in again  # read once, as the typed values
    # A crafted link cannot write a message of its own.
    forged = client.get("/auth/sign-in?error=CredentialsSignin&message=Call+555")
    assert "Call 555" not in forged.get_data(as_text=True)

    token = client.get("/auth/csrf").get_json()["csrfToken"]
    as_json = client.post(
        "/auth/sign-in/credentials",
        json={"username": "locked", "password": "pw"},
        headers={"X-CSRFToken": token},
    )
    assert as_json.status_code == 401
    assert as_json.get_json()["message"] == said
    assert as_json.get_json()["code"] == "account_locked"

    crashed = attempt_sign_in(client, "ann", "pw")  # the generic error page, shown there
    page = crashed.get_data(as_text=True)
    assert crashed.status_code == 500 and "Location" not in crashed.headers
    assert "hunter2" not in page and "RuntimeError" not in page


# -- Flask-WTF's CSRFProtect beside ours ------------------------------------------------------


@pytest.mark.parametrize("order", ["before", "after"])
def test_csrf_protect_and_our_endpoints(make_app: AppFactory, order: str) -> None:
    """The app's own forms stay under CSRFProtect; our endpoints keep their own check, which
    also reads ``csrfToken`` from a JSON body (CSRFProtect would answer its HTML 400)."""
    protect = CSRFProtect()
    if order == "before":
        app = Flask(__name__)
        app.config.update(TESTING=True, SECRET_KEY="app-secret-0123456789abcdef0123")
        protect.init_app(app)
        from support import SECRET, authorize

        from flask_jwtauth import JWTAuth

        app.config["JWTAUTH_SECRET"] = SECRET
        JWTAuth(app, providers=[CredentialsProvider(authorize=authorize)])
    else:
        app, _ = make_app(SECRET_KEY="app-secret-0123456789abcdef0123")
        protect.init_app(app)

    @app.post("/app-form")
    def app_form() -> str:
        return "posted"

    client = app.test_client()
    token = client.get("/auth/csrf").get_json()["csrfToken"]
    response = client.post(
        "/auth/sign-in/credentials",
        json={"username": "ann", "password": "pw-ann", "csrfToken": token},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["ok"] is True
    assert client.post("/app-form").status_code == 400  # CSRFProtect still guards the app
    forged = client.post("/auth/sign-out", data={"csrf_token": "forged"})
    assert forged.status_code == 400  # and ours still guards our endpoints
    assert session_cookie(client) is not None


def test_no_flask_session_cookie_after_the_real_flow(make_app: AppFactory) -> None:
    app, _ = make_app()
    client = app.test_client()
    page = client.get("/auth/sign-in")
    names = {c.name for c in set_cookies(page)}
    assert "session" not in names
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert token is not None
    client.post(
        "/auth/sign-in/credentials",
        data={"username": "ann", "password": "pw-ann", "csrf_token": token.group(1)},
    )
    # What every request carries (the expiry marker is scoped to the sign-in page).
    held = {cookie.key for cookie in client._cookies.values() if cookie.path == "/"}
    assert held == {COOKIE}
