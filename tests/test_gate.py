"""One gate for every source of a session (issue 18): the same hostile claims, brought by
each door a session can come in by, are refused the same way, and never answered with a
500. A well-formed session through each door is a control: it must be let in, so a door
that refuses everything cannot pass."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import pytest
from conftest import AppFactory
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwe
from joserfc.jwk import OctKey
from support import COOKIE, SECRET, FakeClock

from flask_jwtauth import JWTAuthTestClient, revoke_session, revoke_user
from flask_jwtauth.tokens import JWECodec, derive_v4_encryption_key

V4 = "next-auth.session-token"
Claims = dict[str, Any]


def valid(now: float) -> Claims:
    return {"sub": "1", "name": "Ann", "iat": now, "exp": now + 600, "auth_time": now}


#: name -> (claims at ``now``, the reason the request is refused).
CASES: dict[str, Callable[[float], Claims]] = {
    "no-sub": lambda now: {k: v for k, v in valid(now).items() if k != "sub"},
    "empty-sub": lambda now: {**valid(now), "sub": ""},
    "int-sub": lambda now: {**valid(now), "sub": 1},
    "null-sub": lambda now: {**valid(now), "sub": None},
    "null-iat": lambda now: {**valid(now), "iat": None},
    "no-iat": lambda now: {k: v for k, v in valid(now).items() if k != "iat"},
    "nan-exp": lambda now: {**valid(now), "exp": math.nan},
    "text-exp": lambda now: {**valid(now), "exp": str(now + 600)},
    "bool-iat": lambda now: {**valid(now), "iat": True},
    "expired": lambda now: {**valid(now - 700), "exp": now - 100},
    "idle-past-max-age": lambda now: {**valid(now - 40 * 86400), "exp": now + 600},
    "not-yet-valid": lambda now: {**valid(now), "nbf": now + 3600},
    "user-revoked-no-auth-time": lambda now: {
        k: v for k, v in valid(now + 5).items() if k != "auth_time"
    },
    "session-revoked": lambda now: {**valid(now), "sid": "revoked-sid"},
}

#: Cases a source cannot carry: the test client's sign-in writes iat and exp itself.
WRITTEN_BY_US = {"null-iat", "no-iat", "nan-exp", "text-exp", "bool-iat", "expired"}
WRITTEN_BY_US |= {"idle-past-max-age"}


def encode(claims: Claims, name: str = COOKIE) -> str:
    return JWECodec((SECRET.encode(),), name).encode(claims)


def v4_encode(claims: Claims) -> str:
    """As next-auth v4 seals a token (dir + A256GCM, its own HKDF key), any claims."""
    key = OctKey.import_key(derive_v4_encryption_key(SECRET.encode()))
    payload = json.dumps(claims).encode()
    return jwe.encrypt_compact({"alg": "dir", "enc": "A256GCM"}, payload, key)


def plain(client: FlaskClient, claims: Claims) -> None:
    client.set_cookie(COOKIE, encode(claims))


def chunked(client: FlaskClient, claims: Claims) -> None:
    raw = encode({**claims, "padding": "x" * 6000})
    size = 3000
    for i, start in enumerate(range(0, len(raw), size)):
        client.set_cookie(f"{COOKIE}.{i}", raw[start : start + size])


def mixed(client: FlaskClient, claims: Claims) -> None:
    """A stale plain cookie beside the chunks that hold the session."""
    chunked(client, claims)
    client.set_cookie(COOKIE, "stale.not.a.session.token")


def nextauth_v4(client: FlaskClient, claims: Claims) -> None:
    client.set_cookie(V4, v4_encode(claims))


SOURCES: dict[str, tuple[Callable[[FlaskClient, Claims], None], dict[str, Any]]] = {
    "cookie": (plain, {}),
    "chunked": (chunked, {}),
    "mixed": (mixed, {}),
    "authjs-peer": (plain, {"JWTAUTH_NEXTAUTH_V4_COOKIES": False}),
    "nextauth-v4": (nextauth_v4, {"JWTAUTH_NEXTAUTH_V4_COOKIES": True}),
    "consumer": (plain, {"JWTAUTH_CONSUMER": True}),
}


def build(make_app: AppFactory, case: str, **config: Any) -> Flask:
    providers: list[Any] | None = [] if config.get("JWTAUTH_CONSUMER") else None
    app, _ = make_app(
        providers, JWTAUTH_REVOCATION=True, JWTAUTH_STORE_URL="memory://", **config
    )
    with app.test_request_context():
        if case == "user-revoked-no-auth-time":
            revoke_user("1")
        if case == "session-revoked":
            revoke_session("revoked-sid")
    return app


def assert_refused(response: Any) -> None:
    assert response.status_code == 401, response.get_data(as_text=True)
    assert response.is_json
    assert response.get_json()["error"] in ("SessionRequired", "SessionExpired", "SessionRevoked")


@pytest.mark.parametrize("source", SOURCES)
def test_a_well_formed_session_comes_in_by_every_door(
    make_app: AppFactory, clock: FakeClock, source: str
) -> None:
    put, config = SOURCES[source]
    app = build(make_app, "valid", **config)
    client = app.test_client()
    put(client, valid(clock.now))
    response = client.get("/api/me")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["user"]["id"] == "1"


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("source", SOURCES)
def test_hostile_claims_are_refused_by_every_door(
    make_app: AppFactory, clock: FakeClock, source: str, case: str
) -> None:
    put, config = SOURCES[source]
    app = build(make_app, case, **config)
    client = app.test_client()
    put(client, CASES[case](clock.now))
    assert_refused(client.get("/api/me"))
    assert_refused(client.get("/api/me"))  # and again: nothing let it in on the way


@pytest.mark.parametrize("case", sorted(set(CASES) - WRITTEN_BY_US))
def test_hostile_claims_given_to_the_test_client_are_refused(
    make_app: AppFactory, clock: FakeClock, case: str
) -> None:
    app = build(make_app, case)
    app.test_client_class = JWTAuthTestClient
    hostile = CASES[case](clock.now)
    removed = {k: None for k in ("sub",) if k not in hostile}
    # The client's sign-in mints a session, then adds the claims: what it may not carry is
    # written as given, and read back through the gate.
    client = app.test_client(user={"id": "1", "name": "Ann"}, claims={**hostile, **removed})
    assert_refused(client.get("/api/me"))


def test_the_test_client_with_good_claims_is_let_in(make_app: AppFactory) -> None:
    app = build(make_app, "valid")
    app.test_client_class = JWTAuthTestClient
    client = app.test_client(user={"id": "1", "name": "Ann"}, claims={"role": "admin"})
    assert client.get("/api/me").status_code == 200
