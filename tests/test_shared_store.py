"""Apps sharing one store (issue 19, item 3): every key carries a prefix whose default
follows the app's secret, so two apps with different secrets on one Redis (staging and
production, two tenants) neither revoke nor throttle each other's users, while two
instances of one app (the same secret) still share everything."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import AppFactory
from flask import Flask
from flask.testing import FlaskClient
from redis_server import RedisServer, redis_server  # noqa: F401  (the fixture)
from support import FakeClock, csrf_token, sign_in

from flask_jwtauth import revoke_user
from flask_jwtauth.config import ConfigurationError

OTHER_SECRET = "another-secret-9f8e7d6c5b4a39281706f5e4d3c2b1a0"


@pytest.fixture
def redis_url(request: pytest.FixtureRequest) -> str:
    server: RedisServer = request.getfixturevalue("redis_server")
    return server.url


def app_on(make_app: AppFactory, url: str, **config: Any) -> Flask:
    app, _ = make_app(JWTAUTH_REVOCATION=True, JWTAUTH_STORE_URL=url, **config)
    return app


def failed(client: FlaskClient, address: str = "10.0.0.1") -> int:
    response = client.post(
        "/auth/sign-in/credentials",
        data={"username": "ann", "password": "wrong", "csrf_token": csrf_token(client)},
        environ_base={"REMOTE_ADDR": address},
        headers={"Accept": "application/json"},
    )
    return response.status_code


def test_issue19_two_apps_with_different_secrets_on_one_redis_stay_apart(
    make_app: AppFactory, redis_url: str, clock: FakeClock
) -> None:
    production = app_on(make_app, redis_url)
    staging = app_on(make_app, redis_url, JWTAUTH_SECRET=OTHER_SECRET)
    ours, theirs = production.test_client(), staging.test_client()
    sign_in(ours)
    sign_in(theirs)
    clock.advance(1)
    with staging.app_context():
        revoke_user("1")  # "sign out everywhere" in staging
    clock.advance(1)
    assert theirs.get("/api/me").status_code == 401
    assert ours.get("/api/me").status_code == 200  # production's user "1" is not staging's
    # Staging's failures do not count against production's users.
    guesser = staging.test_client()
    for _ in range(5):
        assert failed(guesser) == 401
    assert failed(guesser) == 429
    assert failed(production.test_client()) == 401


def test_issue19_two_instances_of_one_app_still_share_the_store(
    make_app: AppFactory, redis_url: str, clock: FakeClock
) -> None:
    first = app_on(make_app, redis_url)
    second = app_on(make_app, redis_url)
    client = first.test_client()
    sign_in(client)
    clock.advance(1)
    with second.app_context():
        revoke_user("1")
    clock.advance(1)
    assert client.get("/api/me").status_code == 401
    for _ in range(5):
        failed(second.test_client())
    assert failed(first.test_client()) == 429


def test_issue19_an_explicit_prefix_lets_apps_with_different_secrets_share(
    make_app: AppFactory, redis_url: str, clock: FakeClock
) -> None:
    """JWTAUTH_STORE_PREFIX names the namespace: the same name shares it (an app rotating
    its secret keeps its revocations), whatever the secrets."""
    import redis

    one = app_on(make_app, redis_url, JWTAUTH_STORE_PREFIX="shop:")
    other = app_on(
        make_app, redis_url, JWTAUTH_STORE_PREFIX="shop:", JWTAUTH_SECRET=OTHER_SECRET
    )
    client = one.test_client()
    sign_in(client)
    clock.advance(1)
    with other.app_context():
        revoke_user("1")
    clock.advance(1)
    assert client.get("/api/me").status_code == 401
    raw = redis.Redis.from_url(redis_url, decode_responses=True)
    assert raw.keys("*") == ["shop:revocations"]  # the feed, under the shared prefix
    raw.close()


@pytest.mark.parametrize("value", [5, "", "has space", "x" * 101, "new\nline"])
def test_issue19_a_bad_store_prefix_names_the_key(make_app: AppFactory, value: Any) -> None:
    with pytest.raises(ConfigurationError, match="JWTAUTH_STORE_PREFIX"):
        make_app(JWTAUTH_STORE_PREFIX=value)
