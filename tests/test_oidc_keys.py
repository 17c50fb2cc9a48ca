"""Key rotation at a real OpenID provider (npm oidc-provider restarted with a new signing
key): the next ID token has a ``kid`` we have not seen, the JWKS is fetched once more and
the sign-in works; it is not fetched on every sign-in, but again once its lifetime is over,
so a removed key stops verifying. JWKS fetches counted on its side."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from conftest import AppFactory
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey
from oidc_server import OpenIDProvider, authorize_in_browser, openid_provider  # noqa: F401
from support import Clock
from test_oauth import APP, BASE, finish, issued_id_token, oidc_app, start

from flask_jwtauth import ConfigurationError, OIDCProvider, TestClock, use_clock


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


def test_issue19_a_removed_signing_key_stops_verifying_once_the_key_set_expires(
    make_app: AppFactory,
    openid_provider: OpenIDProvider,  # noqa: F811
    clock: Clock,
) -> None:
    """The key set is kept an hour of the app's clock, then fetched again: an ID token the
    provider signed with a key it has since removed (say, leaked) is refused from then on,
    not only after a restart. Within the hour it still verifies: that is the lifetime."""
    openid_provider.rotate_keys(private_jwks("key-1"))
    app, provider = oidc_app(make_app, openid_provider)
    old_token, nonce = issued_id_token(app, provider)  # signed with key-1
    assert provider._id_claims(old_token, nonce)["sub"] == "alice"  # the set, key-1, cached

    openid_provider.rotate_keys(private_jwks("key-2"))  # key-1 is gone from the JWKS
    clock.advance(3600 - 1)
    assert provider._id_claims(old_token, nonce)["sub"] == "alice"
    assert openid_provider.stats()["jwks"] == 0
    clock.advance(2)
    with pytest.raises(JoseError):
        provider._id_claims(old_token, nonce)
    assert openid_provider.stats()["jwks"] == 1  # fetched for its age, not twice for the kid
    assert signed_in_as(app, "eve") == "/dashboard"  # key-2, from that same fetch
    assert openid_provider.stats()["jwks"] == 1


def test_issue19_the_key_sets_lifetime_is_the_providers_max_age_when_shorter(
    make_app: AppFactory,
    openid_provider: OpenIDProvider,  # noqa: F811
) -> None:
    """``Cache-Control: max-age`` on the JWKS shortens the lifetime (never lengthens it);
    the time is the app's clock, which ``use_clock`` moves."""
    openid_provider.control(jwks_cache_control="public, max-age=60, must-revalidate")
    app, _ = oidc_app(make_app, openid_provider)
    with use_clock(app, TestClock(1_800_000_000)) as moved:
        assert signed_in_as(app, "ann") == "/dashboard"
        moved.advance(59)
        assert signed_in_as(app, "bob") == "/dashboard"
        assert openid_provider.stats()["jwks"] == 1
        moved.advance(2)
        assert signed_in_as(app, "cy") == "/dashboard"
        assert openid_provider.stats()["jwks"] == 2
    openid_provider.control(jwks_cache_control="max-age=86400")
    app, _ = oidc_app(make_app, openid_provider)
    with use_clock(app, TestClock(1_800_000_000)) as moved:
        assert signed_in_as(app, "di") == "/dashboard"
        moved.advance(3601)
        assert signed_in_as(app, "ed") == "/dashboard"
    assert openid_provider.stats()["jwks"] == 4


@pytest.mark.parametrize("how", ["argument", "config"])
def test_issue19_the_key_sets_lifetime_is_a_provider_setting(
    make_app: AppFactory,
    openid_provider: OpenIDProvider,  # noqa: F811
    clock: Clock,
    how: str,
) -> None:
    if how == "argument":
        app, _ = oidc_app(make_app, openid_provider, jwks_max_age=timedelta(minutes=5))
    else:
        provider = OIDCProvider(
            "oidc", "Test OP", issuer=openid_provider.issuer, client_id=APP["client_id"],
            client_secret=APP["client_secret"], scope="openid email profile",
        )  # fmt: skip
        app, _ = make_app(
            providers=[provider], JWTAUTH_URL=BASE, JWTAUTH_PROVIDER_OIDC_JWKS_MAX_AGE=300
        )
    assert signed_in_as(app, "ann") == "/dashboard"
    clock.advance(299)
    assert signed_in_as(app, "bob") == "/dashboard"
    assert openid_provider.stats()["jwks"] == 1
    clock.advance(2)
    assert signed_in_as(app, "cy") == "/dashboard"
    assert openid_provider.stats()["jwks"] == 2


@pytest.mark.parametrize("value", [-1, "1h", None, float("inf")])
def test_issue19_a_bad_key_set_lifetime_names_its_key(make_app: AppFactory, value: Any) -> None:
    provider = OIDCProvider(
        "corp", "Corp", issuer="https://sso.example.com", client_id="id", client_secret="secret"
    )
    with pytest.raises(ConfigurationError) as caught:
        make_app(providers=[provider], JWTAUTH_PROVIDER_CORP_JWKS_MAX_AGE=value)
    assert caught.value.key == "JWTAUTH_PROVIDER_CORP_JWKS_MAX_AGE"
    if value is None:
        return  # as an argument, None is "not given": the config key, else an hour
    with pytest.raises(ConfigurationError) as caught:
        make_app(providers=[OIDCProvider("corp", "Corp", issuer="https://sso.example.com",
                 client_id="id", client_secret="secret", jwks_max_age=value)])  # fmt: skip
    assert caught.value.key == "JWTAUTH_PROVIDER_CORP_JWKS_MAX_AGE"
