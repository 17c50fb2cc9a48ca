"""OpenID Connect and OAuth 2.0 sign-in against a real OpenID provider (npm oidc-provider on
loopback): the whole redirect dance through our endpoints, and every error for real."""

from __future__ import annotations

import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests
from conftest import AppFactory
from flask import Flask
from flask.testing import FlaskClient
from oidc_server import CLIENTS, REDIRECT, OpenIDProvider, authorize_in_browser, openid_provider  # noqa: F401
from support import authorize, csrf_token, session_cookie

from flask_jwtauth import (
    ConfigurationError,
    CredentialsProvider,
    OAuthProvider,
    OIDCProvider,
    RefreshRefused,
    RefreshUnavailable,
    account_id,
    get_token,
    revoke_user,
)

BASE = "http://127.0.0.1:5000"
APP = CLIENTS[0]


def oidc_app(
    make_app: AppFactory, op: OpenIDProvider, client: dict[str, Any] = APP, **options: Any
) -> tuple[Flask, OIDCProvider]:
    provider = OIDCProvider(
        "oidc",
        "Test OP",
        issuer=op.issuer,
        client_id=client["client_id"],
        client_secret=client["client_secret"],
        scope="openid email profile offline_access",
        timeout=options.pop("timeout", 2.0),
        **options,
    )
    app, auth = make_app(providers=[provider], JWTAUTH_URL=BASE)

    @auth.jwt_callback
    def keep_tokens(token: dict[str, Any], account: Any = None) -> dict[str, Any]:
        if account:
            token["provider"] = account["provider"]
            token["refresh_token"] = account.get("refresh_token")
        return token

    @app.get("/api/token")
    def token_view() -> Any:
        return get_token() or {}

    return app, provider


def start(client: FlaskClient, callback: str = "/dashboard") -> str:
    response = client.post(
        "/auth/sign-in/oidc",
        data={"csrf_token": csrf_token(client, BASE), "callbackUrl": callback},
        base_url=BASE,
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return str(response.headers["Location"])


def finish(client: FlaskClient, returned: str) -> Any:
    parts = urlsplit(returned)
    return client.get(f"{parts.path}?{parts.query}", base_url=BASE)


def test_the_whole_dance_signs_in_with_the_providers_claims(
    make_app: AppFactory,
    openid_provider: OpenIDProvider,
) -> None:
    app, _ = oidc_app(make_app, openid_provider)
    client = app.test_client()
    url = start(client)
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    back = finish(client, authorize_in_browser(url, login="zoe"))
    assert back.status_code == 302 and back.headers["Location"] == "/dashboard"
    session = client.get("/api/me", base_url=BASE).get_json()
    assert session["user"] == {
        "id": account_id("oidc", "zoe"), "name": "User zoe", "email": "zoe@example.test",
        "image": None,
    }  # fmt: skip
    token = client.get("/auth/session", base_url=BASE).get_json()
    assert "refresh_token" not in str(token)  # kept in the token, never shown to the browser
    assert openid_provider.stats()["authorization_code"] == 1


def test_refusing_consent_lands_on_the_sign_in_page_cancelled(
    make_app: AppFactory,
    openid_provider: OpenIDProvider,
) -> None:
    """Issue 21, item 2: the user's own "no" at the provider is not a 403 page."""
    app, _ = oidc_app(make_app, openid_provider)
    client = app.test_client()
    back = finish(client, authorize_in_browser(start(client), consent=False))
    assert back.status_code == 302
    assert back.headers["Location"] == (
        "/auth/sign-in?error=SignInCancelled&callbackUrl=%2Fdashboard"
    )
    page = client.get(back.headers["Location"], base_url=BASE).get_data(as_text=True)
    assert "Sign-in was cancelled" in page
    assert session_cookie(client) is None


@pytest.mark.parametrize("tamper", ["wrong-state", "no-state", "replay", "other-browser"])
def test_state_and_transaction_problems(
    make_app: AppFactory,
    openid_provider: OpenIDProvider,
    tamper: str,
) -> None:
    app, _ = oidc_app(make_app, openid_provider)
    client = app.test_client()
    returned = authorize_in_browser(start(client))
    if tamper == "wrong-state":
        returned = returned.replace("state=", "state=x")
    elif tamper == "no-state":
        returned = returned.split("&state=")[0].replace("?state=", "?")
    elif tamper == "replay":
        assert finish(client, returned).status_code == 302  # the first time works
        client = app.test_client()  # a fresh browser replays the callback
    elif tamper == "other-browser":
        client = app.test_client()
    back = finish(client, returned)
    assert back.status_code == 302
    assert "error=OAuthCallbackError" in back.headers["Location"]
    assert session_cookie(client) is None


def test_a_code_used_twice_is_refused(
    make_app: AppFactory,
    openid_provider: OpenIDProvider,
) -> None:
    app, _ = oidc_app(make_app, openid_provider)
    client = app.test_client()
    url = start(client)
    jar = {c.key: c.value for c in client._cookies.values() if c.key.startswith("jwtauth.tx.")}
    returned = authorize_in_browser(url)
    assert finish(client, returned).status_code == 302
    again = app.test_client()
    for name, value in jar.items():  # the very same transaction cookie, the same code
        again.set_cookie(name, value, domain="127.0.0.1", path="/auth/callback/oidc")
    back = finish(again, returned)
    assert "error=OAuthCallbackError" in back.headers["Location"]
    assert session_cookie(again) is None


def test_wrong_audience_is_refused(
    make_app: AppFactory,
    openid_provider: OpenIDProvider,
) -> None:
    """An ID token issued to another client (client B) offered to an app configured as A."""
    _, provider_b = oidc_app(make_app, openid_provider, client=CLIENTS[1])
    app_b, _ = oidc_app(make_app, openid_provider, client=CLIENTS[1])
    client = app_b.test_client()
    url = start(client)
    code = parse_qs(urlsplit(authorize_in_browser(url)).query)["code"][0]
    tx = next(
        v
        for k, v in ((c.key, c.value) for c in client._cookies.values())
        if k.startswith("jwtauth.tx.")
    )
    assert tx
    token = provider_b._session(REDIRECT).fetch_token(  # B's own ID token...
        provider_b._endpoints()["token"],
        code=code,
        code_verifier=_verifier(app_b, client),
        timeout=2,
    )
    a = OIDCProvider("oidc", "A", issuer=openid_provider.issuer, client_id="app", client_secret="x")
    from joserfc.errors import JoseError

    with pytest.raises(JoseError):  # ...is not A's
        a._id_claims(token["id_token"], parse_qs(urlsplit(url).query)["nonce"][0])


def _verifier(app: Flask, client: FlaskClient) -> str:
    """The PKCE verifier sealed in the browser's transaction cookie (read with the app's key)."""
    sealed = next(c.value for c in client._cookies.values() if c.key.startswith("jwtauth.tx."))
    payload = app.extensions["jwtauth"].transactions.decode(sealed)
    return str(payload["tx"]["code_verifier"])


def issued_id_token(app: Flask, provider: OIDCProvider, login: str = "alice") -> tuple[str, str]:
    """An ID token the provider issues now for a sign-in begun in ``app`` (the code exchanged
    as our callback would), and the nonce it must answer: to check it ourselves."""
    client = app.test_client()
    url = start(client)
    code = parse_qs(urlsplit(authorize_in_browser(url, login=login)).query)["code"][0]
    token = provider._session(REDIRECT).fetch_token(
        provider._endpoints()["token"], code=code, code_verifier=_verifier(app, client), timeout=2
    )
    return str(token["id_token"]), parse_qs(urlsplit(url).query)["nonce"][0]


def test_provider_down_at_start_and_at_callback(
    make_app: AppFactory,
    openid_provider: OpenIDProvider,
) -> None:
    app, _ = oidc_app(make_app, openid_provider)
    client = app.test_client()
    returned = authorize_in_browser(start(client))
    openid_provider.stop()
    started = time.monotonic()
    back = finish(client, returned)
    assert time.monotonic() - started < 2 + 1
    assert "error=OAuthCallbackError" in back.headers["Location"]
    fresh_app, _ = oidc_app(make_app, openid_provider)  # no discovery cached
    fresh = fresh_app.test_client()
    refused = fresh.post(
        "/auth/sign-in/oidc", data={"csrf_token": csrf_token(fresh, BASE)}, base_url=BASE
    )
    assert "error=OAuthSignin" in refused.headers["Location"]


def test_a_provider_slower_than_the_timeout(
    make_app: AppFactory,
    openid_provider: OpenIDProvider,
) -> None:
    app, _ = oidc_app(make_app, openid_provider, timeout=0.5)
    client = app.test_client()
    returned = authorize_in_browser(start(client))
    openid_provider.delay_token_endpoint(3000)
    started = time.monotonic()
    back = finish(client, returned)
    assert time.monotonic() - started < 0.5 + 1
    assert "error=OAuthCallbackError" in back.headers["Location"]


def test_refresh_rotates_and_a_reused_refresh_token_is_refused(
    make_app: AppFactory,
    openid_provider: OpenIDProvider,
) -> None:
    app, provider = oidc_app(make_app, openid_provider)
    client = app.test_client()
    finish(client, authorize_in_browser(start(client)))
    first = client.get("/api/token", base_url=BASE).get_json()["refresh_token"]
    assert first
    new = provider.refresh({"refresh_token": first})
    assert new["access_token"] and new["refresh_token"] != first
    assert new["expires_at"] > provider.clock()  # counted on the app's clock
    with pytest.raises(RefreshRefused):
        provider.refresh({"refresh_token": first})  # reuse
    openid_provider.stop()
    with pytest.raises(RefreshUnavailable):
        provider.refresh({"refresh_token": new["refresh_token"]})


def test_plain_oauth_with_a_userinfo_url(
    make_app: AppFactory,
    openid_provider: OpenIDProvider,
) -> None:
    issuer = openid_provider.issuer
    provider = OAuthProvider(
        "oidc",
        "OAuth",
        client_id=APP["client_id"],
        client_secret=APP["client_secret"],
        authorization_url=f"{issuer}/auth",
        token_url=f"{issuer}/token",
        userinfo_url=f"{issuer}/me",
        scope="openid email profile",
    )
    app, _ = make_app(providers=[provider], JWTAUTH_URL=BASE)
    client = app.test_client()
    back = finish(client, authorize_in_browser(start(client), login="oli"))
    assert back.status_code == 302
    assert client.get("/api/me", base_url=BASE).get_json()["user"]["email"] == "oli@example.test"


def test_client_settings_come_from_config_keys(make_app: AppFactory) -> None:
    provider = OIDCProvider("keycloak", "Keycloak")
    with pytest.raises(ConfigurationError) as caught:
        make_app(providers=[provider])
    assert caught.value.key == "JWTAUTH_PROVIDER_KEYCLOAK_CLIENT_ID"
    make_app(
        providers=[provider],
        JWTAUTH_PROVIDER_KEYCLOAK_CLIENT_ID="id",
        JWTAUTH_PROVIDER_KEYCLOAK_CLIENT_SECRET="secret",
        JWTAUTH_PROVIDER_KEYCLOAK_ISSUER="https://sso.example.com/realms/main",
    )
    assert provider.client_id == "id" and provider.issuer == "https://sso.example.com/realms/main"


@pytest.mark.parametrize("tamper", ["other-issuer", "no-issuer"])
def test_an_authorization_response_from_another_issuer_is_refused(
    make_app: AppFactory,
    openid_provider: OpenIDProvider,
    tamper: str,
) -> None:
    """RFC 9207 (mix-up): oidc-provider sends ``iss`` with the code and says so in its
    discovery document; a response naming another issuer, or none, is refused."""
    metadata = requests.get(
        f"{openid_provider.issuer}/.well-known/openid-configuration", timeout=5
    ).json()
    assert metadata["authorization_response_iss_parameter_supported"] is True
    app, _ = oidc_app(make_app, openid_provider)
    client = app.test_client()
    returned = authorize_in_browser(start(client))
    query = parse_qs(urlsplit(returned).query)
    assert query["iss"] == [openid_provider.issuer]  # the honest response works below
    if tamper == "other-issuer":
        returned = returned.replace(
            quote(openid_provider.issuer, safe=""), quote("https://evil.example", safe="")
        )
    else:
        returned = re.sub(r"&?iss=[^&]*", "", returned)
    back = finish(client, returned)
    assert back.status_code == 302
    assert "error=OAuthCallbackError" in back.headers["Location"]
    assert session_cookie(client) is None


# -- one identity per provider account (issue 19, item 1) ------------------------------------


def _two_doors(make_app: AppFactory, op: OpenIDProvider, **options: Any) -> Flask:
    """Credentials (the app's own user "1" is ann) and two OpenID providers on one OP."""
    doors = [
        OIDCProvider(
            name, name, issuer=op.issuer, client_id=APP["client_id"],
            client_secret=APP["client_secret"], scope="openid email profile", **options,
        )
        for name in ("idp-a", "idp-b")
    ]  # fmt: skip
    app, _ = make_app(
        providers=[CredentialsProvider(authorize=authorize), *doors],
        JWTAUTH_URL=BASE,
        JWTAUTH_REVOCATION=True,
        JWTAUTH_STORE_URL="memory://",
    )
    return app


def _via(app: Flask, provider: str, login: str) -> FlaskClient:
    client = app.test_client()
    response = client.post(
        f"/auth/sign-in/{provider}",
        data={"csrf_token": csrf_token(client, BASE), "callbackUrl": "/dashboard"},
        base_url=BASE,
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    back = finish(client, authorize_in_browser(response.headers["Location"], login=login))
    assert back.status_code == 302, back.get_data(as_text=True)
    return client


def test_the_same_subject_at_two_providers_or_the_app_is_three_users(
    make_app: AppFactory, openid_provider: OpenIDProvider
) -> None:
    """Subject "1" at two OpenID providers and the app's own user "1" were one user to the
    app and to revoke_user: now each provider account has its own id, stable across
    sign-ins, and the provider is in the token."""
    app = _two_doors(make_app, openid_provider)
    at_a, at_b = _via(app, "idp-a", "1"), _via(app, "idp-b", "1")
    local = app.test_client()
    local.post(
        "/auth/sign-in/credentials",
        data={"csrf_token": csrf_token(local, BASE), "username": "ann", "password": "pw-ann"},
        base_url=BASE,
    )
    ids = [c.get("/api/me", base_url=BASE).get_json()["user"]["id"] for c in (at_a, at_b, local)]
    assert ids == [account_id("idp-a", "1"), account_id("idp-b", "1"), "1"]
    assert len(set(ids)) == 3
    assert _via(app, "idp-a", "1").get("/api/me", base_url=BASE).get_json()["user"]["id"] == ids[0]
    with app.test_request_context():
        revoke_user("1")  # the app's own user 1 signs out everywhere
    assert local.get("/api/me", base_url=BASE).status_code == 401
    assert at_a.get("/api/me", base_url=BASE).status_code == 200
    assert at_b.get("/api/me", base_url=BASE).status_code == 200
    with app.test_request_context():
        revoke_user(ids[0])
    assert at_a.get("/api/me", base_url=BASE).status_code == 401
    assert at_b.get("/api/me", base_url=BASE).status_code == 200


def test_a_profile_hook_maps_the_account_to_the_apps_own_user(
    make_app: AppFactory, openid_provider: OpenIDProvider
) -> None:
    """An app that maps provider accounts to its users keeps its own id: the profile hook
    (or the jwt callback setting ``token["sub"]``) says who the user is."""
    known = {("idp-a", "zoe"): "42"}

    def profile(claims: dict[str, Any]) -> dict[str, Any]:
        return {"id": known[("idp-a", claims["sub"])], "name": claims.get("name")}

    app = _two_doors(make_app, openid_provider, profile=profile)
    client = _via(app, "idp-a", "zoe")
    assert client.get("/api/me", base_url=BASE).get_json()["user"]["id"] == "42"


class _TokenEndpoint(BaseHTTPRequestHandler):
    """A token endpoint that answers each refresh with the next canned body."""

    bodies: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = self.bodies.pop(0).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.mark.parametrize(
    ("lifetime", "expected"),
    [
        ('"expires_in": "3600"', 3600),  # a string of digits, as some providers send
        ('"expires_in": 0.4', 1),  # rounded up, not a token due on every request
        ('"expires_in": -5', None),  # nonsense: no known expiry, not Authlib's wall clock
        ('"expires_in": true', None),
        ('"expires_in": -5, "expires_at": 4102444800', None),
        ('"expires_at": 4102444800', "absolute"),  # the provider's own, kept as it is
        ('"expires_in": 1e400', "unavailable"),  # infinity: no 500
    ],
)
def test_odd_token_lifetimes_from_a_provider(
    make_app: AppFactory, lifetime: str, expected: int | str | None
) -> None:
    """``expires_at`` counts from the app's clock whatever shape ``expires_in`` comes in,
    and never from the wall clock Authlib uses."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TokenEndpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        provider = OAuthProvider(
            "up", "Upstream", client_id="c", client_secret="s",
            authorization_url="https://up.invalid/authorize",
            token_url=f"http://127.0.0.1:{server.server_address[1]}/token",
            userinfo_url="https://up.invalid/userinfo",
        )  # fmt: skip
        make_app(providers=[provider])
        _TokenEndpoint.bodies = [f'{{"access_token": "a", "token_type": "Bearer", {lifetime}}}']
        if expected == "unavailable":
            with pytest.raises(RefreshUnavailable):
                provider.refresh({"refresh_token": "r"})
            return
        renewed = provider.refresh({"refresh_token": "r"})
    finally:
        server.shutdown()
        server.server_close()
    now = int(provider.clock())  # the app's (a fake clock, years from the wall's)
    if expected is None:
        assert "expires_at" not in renewed
    elif expected == "absolute":
        assert renewed["expires_at"] == 4102444800
    else:
        assert renewed["expires_at"] == now + expected
