"""Key rotation at a real OpenID provider (npm oidc-provider restarted with a new signing
key): the next ID token has a ``kid`` we have not seen, the JWKS is fetched once more and
the sign-in works; it is not fetched on every sign-in. JWKS fetches counted on its side."""

from __future__ import annotations

from typing import Any

from conftest import AppFactory
from joserfc.jwk import KeySet, RSAKey
from oidc_server import OpenIDProvider, authorize_in_browser, openid_provider  # noqa: F401
from test_oauth import finish, oidc_app, start


def private_jwks(kid: str) -> dict[str, Any]:
    key = RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})
    return KeySet([key]).as_dict(private=True)


def signed_in_as(app: Any, login: str) -> str:
    client = app.test_client()
    back = finish(client, authorize_in_browser(start(client), login=login))
    assert back.status_code == 302, back.headers.get("Location")
    return str(back.headers["Location"])


def test_a_rotated_signing_key_is_fetched_once(
    make_app: AppFactory,
    openid_provider: OpenIDProvider,  # noqa: F811
) -> None:
    openid_provider.rotate_keys(private_jwks("key-1"))
    app, _ = oidc_app(make_app, openid_provider)
    assert signed_in_as(app, "ann") == "/dashboard"
    assert signed_in_as(app, "bob") == "/dashboard"
    assert openid_provider.stats()["jwks"] == 1  # cached between sign-ins

    openid_provider.rotate_keys(private_jwks("key-2"))  # the provider's counters restart
    assert signed_in_as(app, "cy") == "/dashboard"  # unknown kid: fetched once more
    assert signed_in_as(app, "di") == "/dashboard"
    assert openid_provider.stats()["jwks"] == 1

