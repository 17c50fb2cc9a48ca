"""What an ID token says, checked against a real OpenID provider (npm oidc-provider, scripted
through its test controls to issue ID tokens for several audiences, with an ``azp``, or about
an address it has not verified), and what becomes of it in the session."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from conftest import AppFactory
from oidc_server import OpenIDProvider, authorize_in_browser, openid_provider  # noqa: F401
from support import session_cookie
from test_oauth import APP, BASE, finish, issued_id_token, oidc_app, start

from flask_jwtauth import OIDCProvider, account_id
from flask_jwtauth.providers.oauth import default_profile


def unverified_claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    found: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return found


@pytest.mark.parametrize(
    ("aud", "azp", "signed_in"),
    [
        ("app,other-app", "", False),  # several audiences, no azp: whose token is it?
        ("app,other-app", "other-app", False),  # issued to the other client
        ("", "other-app", False),  # our audience, but another's authorized party
        ("app,other-app", "app", True),  # several audiences, issued to us
        ("", "app", True),  # azp naming us
    ],
)
def test_issue19_azp_names_us_and_several_audiences_need_it(
    make_app: AppFactory,
    openid_provider: OpenIDProvider,  # noqa: F811
    aud: str,
    azp: str,
    signed_in: bool,
) -> None:
    """OIDC Core 3.1.3.7: an ``azp`` must be our client id, and an ID token issued to several
    audiences must have one. joserfc's ``aud`` check only asks that we are among them."""
    openid_provider.control(id_token_aud=aud, id_token_azp=azp)
    app, provider = oidc_app(make_app, openid_provider)
    claims = unverified_claims(issued_id_token(app, provider)[0])  # what the provider sends
    assert claims["aud"] == (aud.split(",") if aud else "app")
    assert claims.get("azp") == (azp or None)

    client = app.test_client()
    back = finish(client, authorize_in_browser(start(client)))
    assert back.status_code == 302
    if signed_in:
        assert back.headers["Location"] == "/dashboard"
        user_id = client.get("/api/me", base_url=BASE).get_json()["user"]["id"]
        assert user_id == account_id("oidc", "alice")
    else:
        assert "error=OAuthCallbackError" in back.headers["Location"]
        assert session_cookie(client) is None


def test_issue19_an_unverified_address_is_not_the_users_email(
    make_app: AppFactory,
    openid_provider: OpenIDProvider,  # noqa: F811
) -> None:
    """The provider says it has not verified the address (anyone can type the app owner's
    address at a provider that lets users sign up): it must not become the session's
    ``email``, which apps key accounts by. The app's callbacks still see it in ``profile``."""
    openid_provider.control(email_verified="false")
    provider = OIDCProvider(
        "oidc", "Test OP", issuer=openid_provider.issuer, client_id=APP["client_id"],
        client_secret=APP["client_secret"], scope="openid email profile",
    )  # fmt: skip
    app, auth = make_app(providers=[provider], JWTAUTH_URL=BASE)
    seen: dict[str, Any] = {}

    @auth.sign_in_callback
    def look(profile: dict[str, Any]) -> bool:
        seen.update(profile)
        return True

    client = app.test_client()
    back = finish(client, authorize_in_browser(start(client), login="mallory"))
    assert back.headers["Location"] == "/dashboard"
    user = client.get("/api/me", base_url=BASE).get_json()["user"]
    assert user["id"] == account_id("oidc", "mallory") and user["email"] is None
    assert "mallory@example.test" not in str(client.get("/auth/session", base_url=BASE).data)
    assert seen["email"] == "mallory@example.test" and seen["email_verified"] is False


def test_issue19_an_app_opts_in_to_unverified_addresses_with_its_profile_mapping(
    make_app: AppFactory,
    openid_provider: OpenIDProvider,  # noqa: F811
) -> None:
    """The documented way: a ``profile=`` mapping that takes the address anyway (here marked
    as unverified, for an app that shows it but keys nothing by it)."""
    openid_provider.control(email_verified="false")

    def keep_unverified(profile: dict[str, Any]) -> dict[str, Any]:
        user = default_profile(profile)
        user["email"] = profile.get("email")
        user["name"] = f"{user['name']} (unverified address)"
        return user

    app, _ = oidc_app(make_app, openid_provider, profile=keep_unverified)
    client = app.test_client()
    finish(client, authorize_in_browser(start(client), login="oli"))
    user = client.get("/api/me", base_url=BASE).get_json()["user"]
    assert user["email"] == "oli@example.test"
    assert user["name"] == "User oli (unverified address)"


@pytest.mark.parametrize(
    ("verified", "kept"),
    [(False, False), ("false", False), (" FALSE", False), (True, True), ("true", True),
     (None, True), (0, True)],
)  # fmt: skip
def test_issue19_email_verified_false_in_any_spelling_drops_the_email(
    verified: Any, kept: bool
) -> None:
    """Some providers (Cognito) send the claim as a string; absent means not asserted."""
    profile = {"sub": "1", "email": "a@example.test"}
    if verified is not None:
        profile["email_verified"] = verified
    assert default_profile(profile)["email"] == ("a@example.test" if kept else None)


@pytest.mark.parametrize(
    ("profile", "name"),
    [
        ({"sub": "1", "name": "Ada", "preferred_username": "ada"}, "Ada"),
        ({"sub": "1", "login": "octo"}, "octo"),
        ({"sub": "1", "preferred_username": "ada", "nickname": "A"}, "ada"),
        ({"sub": "1", "nickname": "A", "email": "a@example.test"}, "A"),
        ({"sub": "1", "email": "a@example.test"}, "a@example.test"),
        ({"sub": "1", "email": "a@example.test", "email_verified": False}, None),
        ({"sub": "1"}, None),
    ],
)
def test_issue21_a_profile_without_a_name_is_named_by_its_other_claims(
    profile: dict[str, Any], name: str | None
) -> None:
    """Issue 21, item 1: the demo provider's typed user names come with no ``name``; the
    default mapping falls back rather than leave every page saying "None"."""
    assert default_profile(profile)["name"] == name
