"""What an ID token says, checked against a real OpenID provider (npm oidc-provider, scripted
through its test controls to issue ID tokens for several audiences, with an ``azp``, or about
an address it has not verified)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from conftest import AppFactory
from oidc_server import OpenIDProvider, authorize_in_browser, openid_provider  # noqa: F401
from support import session_cookie
from test_oauth import BASE, finish, issued_id_token, oidc_app, start


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
        assert client.get("/api/me", base_url=BASE).get_json()["user"]["id"] == "alice"
    else:
        assert "error=OAuthCallbackError" in back.headers["Location"]
        assert session_cookie(client) is None
