"""Settings: every bad value fails at ``JWTAuth(app)`` / ``init_app`` with a
ConfigurationError naming the key; good values in every accepted form; the factory pattern."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from flask import Flask
from support import COOKIE, PASSWORDS, Clock, cookie_value, set_cookie, set_cookies, sign_in

from flask_jwtauth import (
    ConfigurationError,
    CredentialsProvider,
    JWTAuth,
    JWTAuthTestClient,
    login_required,
)

SECRET = "test-secret-0123456789abcdef0123456789"
ANOTHER = "another-secret-Zr4kT9mWq2xLb7nVc5pHd8sJf3gYa6uE"
OLDER = "older-secret-Hj3kL9mNq2wEr5tYu8iOp1aSd4fGz7xC"
AppFactory = Callable[..., tuple[Flask, JWTAuth]]


def init(**config: Any) -> Flask:
    app = Flask(__name__)
    app.config.update(config)
    JWTAuth(app)
    return app


def fails(key: str, **config: Any) -> ConfigurationError:
    """Init with ``config``: it must raise, naming ``key``."""
    with pytest.raises(ConfigurationError) as caught:
        init(**config)
    error = caught.value
    assert error.key.startswith(key), (error.key, key)
    assert str(error).startswith(f"{error.key}: ")
    assert key in str(error)
    return error


def pem(key: Any) -> str:
    text: bytes = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return text.decode()


def public_pem(key: Any) -> str:
    text: bytes = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return text.decode()


# -- the secret ----------------------------------------------------------------------------


def test_missing_secret() -> None:
    error = fails("JWTAUTH_SECRET")
    assert "SECRET_KEY" in str(error)  # tells where else it may come from


@pytest.mark.parametrize(
    "secret",
    ["", "short", b"short", "x" * 15, [], (), [SECRET, "short"], [SECRET, ""], [SECRET, 42], 42],
    ids=repr,
)
def test_bad_secret(secret: Any) -> None:
    fails("JWTAUTH_SECRET", JWTAUTH_SECRET=secret)


def test_short_secret_key_fallback_names_both() -> None:
    error = fails("JWTAUTH_SECRET", SECRET_KEY="dev")
    assert "SECRET_KEY" in str(error)


def test_secret_key_fallback(clock: Clock) -> None:
    """Without JWTAUTH_SECRET, SECRET_KEY is the secret: the same cookie works in both."""

    def authorize(credentials: dict[str, str]) -> dict[str, str] | None:
        ok = PASSWORDS.get(credentials["username"]) == credentials["password"]
        return {"id": "1", "name": "Ann"} if ok else None

    def build(**config: Any) -> Flask:
        app = Flask(__name__)
        app.config.update(TESTING=True, **config)
        JWTAuth(app, providers=[CredentialsProvider(authorize=authorize)], clock=clock)
        app.add_url_rule("/api/me", "me", login_required(lambda: {"ok": True}))
        return app

    fallback = build(SECRET_KEY=SECRET)
    client = fallback.test_client()
    sign_in(client)
    assert client.get("/api/me").status_code == 200
    explicit = build(JWTAUTH_SECRET=SECRET).test_client()
    explicit.set_cookie(COOKIE, cookie_value(client) or "")
    assert explicit.get("/api/me").status_code == 200
    # JWTAUTH_SECRET wins over SECRET_KEY when both are set.
    both = build(JWTAUTH_SECRET=ANOTHER, SECRET_KEY=SECRET)
    other = both.test_client()
    other.set_cookie(COOKIE, cookie_value(client) or "")
    assert other.get("/api/me").status_code == 401


@pytest.mark.parametrize(
    "secret", [SECRET, SECRET.encode(), [SECRET, OLDER], (SECRET,)], ids=repr
)
def test_good_secrets(secret: Any) -> None:
    """Every accepted form signs sessions, and the first secret is the one that encrypts:
    an app holding only that secret reads the cookie."""

    def build(value: Any) -> Flask:
        app = init(JWTAUTH_SECRET=value, TESTING=True)
        app.add_url_rule("/api/me", "me", login_required(lambda: {"ok": True}))
        app.test_client_class = JWTAuthTestClient
        return app

    token = build(secret).test_client().sign_in({"id": "1"})  # type: ignore[attr-defined]
    first = secret[0] if isinstance(secret, (list, tuple)) else secret
    reader = build(first).test_client()
    reader.set_cookie(COOKIE, token)
    assert reader.get("/api/me").status_code == 200


def test_no_flask_session_is_imposed(make_app: AppFactory) -> None:
    """CSRF does not live in Flask's session: the app keeps no secret key it did not set,
    and a user who signed in through the form carries our cookie and no other."""
    app, _ = make_app()
    assert app.secret_key is None
    client = app.test_client()
    sign_in(client)
    # What every request carries (the expiry marker is scoped to the sign-in page).
    assert {c.key for c in client._cookies.values() if c.path == "/"} == {COOKIE}
    assert init(JWTAUTH_SECRET=SECRET, SECRET_KEY="mine-0123456789abcdef").secret_key == (
        "mine-0123456789abcdef"
    )


# -- token format --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("JWTAUTH_TOKEN_FORMAT", "jwt"),
        ("JWTAUTH_TOKEN_FORMAT", "JWE"),
        ("JWTAUTH_TOKEN_FORMAT", None),
        ("JWTAUTH_JWE_ENCRYPTION", "A128GCM"),
        ("JWTAUTH_JWS_ALGORITHM", "none"),
        ("JWTAUTH_JWS_ALGORITHM", "HS512"),
    ],
)
def test_unknown_format_or_algorithm(key: str, value: Any) -> None:
    fails(key, JWTAUTH_SECRET=SECRET, **{key: value})


BROKEN_PEM = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"


@pytest.fixture(scope="module")
def keys() -> dict[str, Any]:
    return {
        "rsa": rsa.generate_private_key(65537, 2048),
        "rsa1024": rsa.generate_private_key(65537, 1024),
        "p256": ec.generate_private_key(ec.SECP256R1()),
        "p384": ec.generate_private_key(ec.SECP384R1()),
        "ed25519": ed25519.Ed25519PrivateKey.generate(),
    }


@pytest.mark.parametrize(
    ("algorithm", "private", "public", "key"),
    [
        ("RS256", None, None, "JWTAUTH_JWS_PRIVATE_KEY"),
        ("RS256", "not a pem", None, "JWTAUTH_JWS_PRIVATE_KEY"),
        ("RS256", BROKEN_PEM, None, "JWTAUTH_JWS_PRIVATE_KEY"),
        ("RS256", "rsa1024", None, "JWTAUTH_JWS_PRIVATE_KEY"),
        ("RS256", "p256", None, "JWTAUTH_JWS_PRIVATE_KEY"),
        ("ES256", "rsa", None, "JWTAUTH_JWS_PRIVATE_KEY"),
        ("ES256", "p384", None, "JWTAUTH_JWS_PRIVATE_KEY"),
        ("EdDSA", "p256", None, "JWTAUTH_JWS_PRIVATE_KEY"),
        ("RS256", "rsa", "public:p256", "JWTAUTH_JWS_PUBLIC_KEYS"),
        ("RS256", "rsa", "private:rsa", "JWTAUTH_JWS_PUBLIC_KEYS"),
        ("RS256", "rsa", 42, "JWTAUTH_JWS_PUBLIC_KEYS"),
        ("ES256", "p256", ["garbage"], "JWTAUTH_JWS_PUBLIC_KEYS"),
    ],
)
def test_bad_jws_keys(
    keys: dict[str, Any], algorithm: str, private: Any, public: Any, key: str
) -> None:
    config: dict[str, Any] = {
        "JWTAUTH_SECRET": SECRET,
        "JWTAUTH_TOKEN_FORMAT": "jws",
        "JWTAUTH_JWS_ALGORITHM": algorithm,
    }
    if private is not None:
        config["JWTAUTH_JWS_PRIVATE_KEY"] = pem(keys[private]) if private in keys else private
    if isinstance(public, str):
        kind, name = public.split(":")
        config["JWTAUTH_JWS_PUBLIC_KEYS"] = [
            public_pem(keys[name]) if kind == "public" else pem(keys[name])
        ]
    elif public is not None:
        config["JWTAUTH_JWS_PUBLIC_KEYS"] = public
    fails(key, **config)


def test_good_jws_keys(keys: dict[str, Any]) -> None:
    for algorithm, name in (("RS256", "rsa"), ("ES256", "p256"), ("EdDSA", "ed25519")):
        init(
            JWTAUTH_SECRET=SECRET,
            JWTAUTH_TOKEN_FORMAT="jws",
            JWTAUTH_JWS_ALGORITHM=algorithm,
            JWTAUTH_JWS_PRIVATE_KEY=pem(keys[name]).encode(),
            JWTAUTH_JWS_PUBLIC_KEYS=public_pem(keys[name]),
        )
    # An asymmetric algorithm's key is not needed (nor checked) for the JWE format.
    init(JWTAUTH_SECRET=SECRET, JWTAUTH_JWS_ALGORITHM="RS256")


# -- durations -----------------------------------------------------------------------------

DURATIONS = [
    "JWTAUTH_SESSION_MAX_AGE",
    "JWTAUTH_SESSION_UPDATE_AGE",
    "JWTAUTH_JWT_MAX_AGE",
    "JWTAUTH_SESSION_ABSOLUTE_MAX_AGE",
    "JWTAUTH_LEEWAY",
]


@pytest.mark.parametrize("key", DURATIONS)
@pytest.mark.parametrize(
    "value",
    [-1, -0.5, timedelta(seconds=-1), "60", "1 day", True, [60], math.nan, math.inf],
    ids=repr,
)
def test_bad_durations(key: str, value: Any) -> None:
    fails(key, JWTAUTH_SECRET=SECRET, **{key: value})


@pytest.mark.parametrize(
    "key", ["JWTAUTH_SESSION_MAX_AGE", "JWTAUTH_JWT_MAX_AGE", "JWTAUTH_SESSION_ABSOLUTE_MAX_AGE"]
)
def test_zero_lifetimes(key: str) -> None:
    fails(key, JWTAUTH_SECRET=SECRET, **{key: 0})


@pytest.mark.parametrize(
    "key", ["JWTAUTH_SESSION_MAX_AGE", "JWTAUTH_JWT_MAX_AGE", "JWTAUTH_LEEWAY"]
)
def test_none_where_a_duration_is_required(key: str) -> None:
    fails(key, JWTAUTH_SECRET=SECRET, **{key: None})


def test_update_age_over_max_age() -> None:
    error = fails(
        "JWTAUTH_SESSION_UPDATE_AGE",
        JWTAUTH_SECRET=SECRET,
        JWTAUTH_SESSION_MAX_AGE=60,
        JWTAUTH_SESSION_UPDATE_AGE=61,
    )
    assert "JWTAUTH_SESSION_MAX_AGE" in str(error)


def test_update_age_over_jwt_max_age() -> None:
    error = fails(
        "JWTAUTH_SESSION_UPDATE_AGE",
        JWTAUTH_SECRET=SECRET,
        JWTAUTH_SESSION_MAX_AGE=600,
        JWTAUTH_JWT_MAX_AGE=60,
        JWTAUTH_SESSION_UPDATE_AGE=120,
    )
    assert "JWTAUTH_JWT_MAX_AGE" in str(error)


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        # DESIGN.md's seed-000 example: the default update age adapts (a static session).
        ({"JWTAUTH_SESSION_MAX_AGE": 10}, (10, None, 10, None)),
        ({"JWTAUTH_SESSION_MAX_AGE": 10, "JWTAUTH_SESSION_UPDATE_AGE": 10}, (10, 10, 10, None)),
        ({"JWTAUTH_SESSION_MAX_AGE": 10, "JWTAUTH_SESSION_UPDATE_AGE": None}, (10, None, 10, None)),
        ({"JWTAUTH_SESSION_MAX_AGE": 60, "JWTAUTH_SESSION_UPDATE_AGE": 0}, (60, 0, 60, None)),
        ({"JWTAUTH_SESSION_MAX_AGE": 60, "JWTAUTH_SESSION_UPDATE_AGE": 30.5}, (60, 30, 60, None)),
        (
            {"JWTAUTH_SESSION_ABSOLUTE_MAX_AGE": 7200, "JWTAUTH_LEEWAY": 0},
            (30 * 86400, 86400, 30 * 86400, 7200),
        ),
        ({"JWTAUTH_JWT_MAX_AGE": 7 * 24 * 3600}, (30 * 86400, 86400, 7 * 86400, None)),
    ],
    ids=repr,
)
def test_good_durations(
    config: dict[str, Any], expected: tuple[int, int | None, int, int | None]
) -> None:
    session = init(JWTAUTH_SECRET=SECRET, **config).extensions["jwtauth"].settings.session
    assert (
        session.max_age,
        session.update_age,
        session.jwt_max_age,
        session.absolute_max_age,
    ) == expected


def test_timedelta_durations(make_app: AppFactory, clock: Clock) -> None:
    app, _ = make_app(
        JWTAUTH_SESSION_MAX_AGE=timedelta(minutes=2),
        JWTAUTH_SESSION_UPDATE_AGE=timedelta(minutes=1),
        JWTAUTH_SESSION_ABSOLUTE_MAX_AGE=timedelta(minutes=3),
    )
    client = app.test_client()
    cookie = set_cookie(sign_in(client))
    assert cookie is not None and cookie.max_age == 120
    clock.advance(59)
    assert set_cookie(client.get("/api/me")) is None
    clock.advance(1)  # a minute: rolled
    assert set_cookie(client.get("/api/me")) is not None
    clock.advance(119)
    assert client.get("/api/me").status_code == 200  # 2 min 59 s after sign-in
    clock.advance(1)  # 3 minutes: the absolute cap
    response = client.get("/api/me")
    assert response.json is not None and response.json["error"] == "SessionExpired"


# -- cookies -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "",
        "has space",
        "semi;colon",
        "comma,",
        'quote"',
        "tab\t",
        "é",
        42,
        None,
        "__Secure-jwtauth.session-token",
        "__Host-x",
    ],
    ids=repr,
)
def test_bad_cookie_name(name: Any) -> None:
    fails("JWTAUTH_COOKIE_NAME", JWTAUTH_SECRET=SECRET, JWTAUTH_COOKIE_NAME=name)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("JWTAUTH_COOKIE_SAMESITE", "Bogus"),
        ("JWTAUTH_COOKIE_SAMESITE", None),
        ("JWTAUTH_COOKIE_SAMESITE", 1),
        ("JWTAUTH_COOKIE_SECURE", "yes"),
        ("JWTAUTH_COOKIE_SECURE", 1),
        ("JWTAUTH_COOKIE_DOMAIN", "exa mple.com"),
        ("JWTAUTH_COOKIE_DOMAIN", "example.com; Secure"),
        ("JWTAUTH_COOKIE_DOMAIN", "https://example.com"),
        ("JWTAUTH_COOKIE_DOMAIN", ""),
        ("JWTAUTH_COOKIE_PATH", "app"),
        ("JWTAUTH_COOKIE_PATH", "/app; Domain=evil.com"),
        ("JWTAUTH_COOKIE_PATH", "/a b"),
        ("JWTAUTH_COOKIE_CHUNK_SIZE", 100),
        ("JWTAUTH_COOKIE_CHUNK_SIZE", 5000),
        ("JWTAUTH_COOKIE_CHUNK_SIZE", "4000"),
        ("JWTAUTH_MEMO_SIZE", -1),
    ],
    ids=repr,
)
def test_bad_cookie_settings(key: str, value: Any) -> None:
    fails(key, JWTAUTH_SECRET=SECRET, **{key: value})


def test_samesite_none_needs_secure() -> None:
    error = fails(
        "JWTAUTH_COOKIE_SAMESITE",
        JWTAUTH_SECRET=SECRET,
        JWTAUTH_COOKIE_SAMESITE="None",
        JWTAUTH_COOKIE_SECURE=False,
    )
    assert "Secure" in str(error)


@pytest.mark.parametrize(
    ("config", "name", "expected"),
    [
        (
            {"JWTAUTH_COOKIE_SAMESITE": "none", "JWTAUTH_COOKIE_SECURE": True},
            "__Secure-jwtauth.session-token",
            {"samesite": "None", "secure": True},
        ),
        (
            {"JWTAUTH_COOKIE_DOMAIN": "sub-1.example.co.uk"},
            COOKIE,
            {"domain": "sub-1.example.co.uk"},
        ),
        ({"JWTAUTH_COOKIE_PATH": "/app/"}, COOKIE, {"path": "/app"}),
        ({"JWTAUTH_COOKIE_NAME": "next-auth.session-token"}, "next-auth.session-token", {}),
    ],
    ids=repr,
)
def test_good_cookie_settings(
    config: dict[str, Any], name: str, expected: dict[str, Any], make_app: AppFactory
) -> None:
    """Each setting shows in the Set-Cookie header of a real sign-in."""
    app, _ = make_app(**config)
    response = sign_in(app.test_client(), expect_cookie=name)
    cookie = set_cookie(response, name)
    assert cookie is not None
    for attr, value in expected.items():
        assert cookie.attrs.get(attr) == value, (attr, cookie.header)


def test_good_chunk_size_splits_the_cookie(make_app: AppFactory) -> None:
    app, auth = make_app(JWTAUTH_COOKIE_CHUNK_SIZE=512)

    @auth.jwt_callback
    def big(token: dict[str, Any]) -> dict[str, Any]:
        return {**token, "padding": "x" * 1500}

    response = sign_in(app.test_client(), expect_cookie=None)
    names = {c.name for c in set_cookies(response) if c.name.startswith(COOKIE)}
    assert {f"{COOKIE}.0", f"{COOKIE}.1", f"{COOKIE}.2"} <= names


# -- paths ---------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["JWTAUTH_API_PATHS", "JWTAUTH_PUBLIC_PATHS"])
@pytest.mark.parametrize(
    "value",
    [123, [""], [None], ["/ok", 5], [b"/api"], [re.compile(b"/api")], True],
    ids=repr,
)
def test_bad_path_patterns(key: str, value: Any) -> None:
    fails(key, JWTAUTH_SECRET=SECRET, **{key: value})


@pytest.mark.parametrize(
    ("key", "value"),
    [
        (key, value)
        for key in (
            "JWTAUTH_SIGN_IN_URL",
            "JWTAUTH_SIGN_OUT_URL",
            "JWTAUTH_ERROR_URL",
            "JWTAUTH_URL_PREFIX",
        )
        for value in ("sign-in", "", 5, "https://example.com/x", "ftp://example.com/x")
        # The sign-in page alone may be another app's (see test_subdomains).
        if not (key == "JWTAUTH_SIGN_IN_URL" and value == "https://example.com/x")
    ],
    ids=repr,
)
def test_bad_urls(key: str, value: Any) -> None:
    fails(key, JWTAUTH_SECRET=SECRET, **{key: value})


def test_protect_all_must_be_a_bool() -> None:
    fails("JWTAUTH_PROTECT_ALL", JWTAUTH_SECRET=SECRET, JWTAUTH_PROTECT_ALL="false")


def test_path_patterns_keep_regex_flags(make_app: AppFactory) -> None:
    app, _ = make_app(JWTAUTH_API_PATHS=[re.compile(r"/API/.*", re.IGNORECASE)])

    @app.get("/Api/Thing")
    @login_required
    def thing() -> Any:
        return {}

    response = app.test_client().get("/Api/Thing")
    assert response.status_code == 401 and response.json is not None


def test_single_pattern_string(make_app: AppFactory) -> None:
    app, _ = make_app(JWTAUTH_API_PATHS="/v2/*")

    @app.get("/v2/x")
    @login_required
    def x() -> Any:
        return {}

    assert app.test_client().get("/v2/x").status_code == 401
    assert app.test_client().get("/api/me").status_code == 302


# -- init ----------------------------------------------------------------------------------


def test_errors_are_value_errors_with_the_key() -> None:
    with pytest.raises(ValueError, match=r"^JWTAUTH_SESSION_MAX_AGE: ") as caught:
        init(JWTAUTH_SECRET=SECRET, JWTAUTH_SESSION_MAX_AGE=-5)
    assert isinstance(caught.value, ConfigurationError)
    assert caught.value.key == "JWTAUTH_SESSION_MAX_AGE"


def test_bad_providers() -> None:
    app = Flask(__name__)
    app.config["JWTAUTH_SECRET"] = SECRET
    with pytest.raises(ConfigurationError) as caught:
        JWTAuth(app, providers=["not a provider"])  # type: ignore[list-item]
    assert caught.value.key == "providers"
    twice = CredentialsProvider(authorize=lambda c: None)
    with pytest.raises(ConfigurationError, match="credentials"):
        JWTAuth(Flask(__name__), providers=[twice, twice])


def test_init_app_twice_on_one_app() -> None:
    app = init(JWTAUTH_SECRET=SECRET)
    with pytest.raises(RuntimeError):
        JWTAuth(app)


def test_state_lives_in_app_extensions() -> None:
    app = init(JWTAUTH_SECRET=SECRET, JWTAUTH_SESSION_MAX_AGE=timedelta(hours=1))
    state = app.extensions["jwtauth"]
    assert state.settings.session.max_age == 3600
    assert state.settings.session.update_age is None  # an hour < the default day: static


def test_factory_pattern_two_apps(clock: Clock) -> None:
    """One ``JWTAuth()``, two apps with their own settings; callbacks apply to both."""

    def authorize(credentials: dict[str, str]) -> dict[str, str] | None:
        ok = PASSWORDS.get(credentials["username"]) == credentials["password"]
        return {"id": "1", "name": "Ann"} if ok else None

    auth = JWTAuth(providers=[CredentialsProvider(authorize=authorize)], clock=clock)
    calls: list[str] = []

    @auth.jwt_callback
    def jwt(token: dict[str, Any]) -> dict[str, Any]:
        calls.append(token["sub"])
        return token

    def create_app(**config: Any) -> Flask:
        app = Flask(__name__)
        app.config.update(TESTING=True, **config)
        auth.init_app(app)

        @app.get("/api/me")
        @login_required
        def me() -> Any:
            return {"ok": True}

        return app

    short = create_app(JWTAUTH_SECRET=SECRET, JWTAUTH_SESSION_MAX_AGE=10)
    long = create_app(
        JWTAUTH_SECRET="other-secret-Vb6nM3qWe9rTy2uIo5pAs8dFg1hJk4lZ",
        JWTAUTH_SESSION_MAX_AGE=100,
        JWTAUTH_COOKIE_NAME="long.session",
    )
    assert short.extensions["jwtauth"] is not long.extensions["jwtauth"]
    a, b = short.test_client(), long.test_client()
    sign_in(a)
    sign_in(b, expect_cookie="long.session")
    assert len(calls) == 2  # the one callback ran for both sign-ins
    from_short = cookie_value(a)
    assert from_short is not None
    clock.advance(11)
    assert a.get("/api/me").status_code == 401
    assert b.get("/api/me").status_code == 200
    # A cookie from one app means nothing to the other (different secret and name).
    other = long.test_client()
    other.set_cookie("long.session", from_short)
    assert other.get("/api/me").status_code == 401


def test_the_readme_lists_every_setting_with_its_default() -> None:
    """The configuration reference cannot drift from the one table of defaults."""
    from pathlib import Path

    from flask_jwtauth.config import DEFAULTS

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    missing = [key for key in DEFAULTS if f"| `{key}` |" not in readme]
    assert missing == []
    for key, entry in DEFAULTS.items():
        row = next(line for line in readme.splitlines() if line.startswith(f"| `{key}` |"))
        assert entry.doc.replace("|", "/") in row, key
