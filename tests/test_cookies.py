"""The session cookie: name and prefix, flags, Domain/Path, and chunking past ~4 KB."""

from __future__ import annotations

import itertools
import math
import secrets
import threading
from collections.abc import Callable
from http.cookies import SimpleCookie
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support import (
    COOKIE,
    SECURE_COOKIE,
    Clock,
    cookie_value,
    csrf_token,
    session_names,
    set_cookie,
    set_cookies,
    sign_in,
    sign_out,
)
from werkzeug.http import parse_cookie as werkzeug_parse_cookie

from flask_jwtauth import JWTAuth, get_token, login_required

AppFactory = Callable[..., tuple[Flask, JWTAuth]]
HTTPS = "https://localhost"


# -- name and flags ------------------------------------------------------------------------


def test_default_cookie(make_app: AppFactory) -> None:
    app, _ = make_app(JWTAUTH_SESSION_MAX_AGE=3600)
    cookie = set_cookie(sign_in(app.test_client()))
    assert cookie is not None
    assert cookie.name == "jwtauth.session-token"
    assert cookie.attrs["httponly"] is True
    assert cookie.attrs["samesite"] == "Lax"
    assert cookie.attrs["path"] == "/"
    assert "secure" not in cookie.attrs  # plain HTTP
    assert "domain" not in cookie.attrs
    assert cookie.max_age == 3600  # exactly the session's life


def test_https_cookie_is_secure_and_prefixed(make_app: AppFactory) -> None:
    app, _ = make_app()
    client = app.test_client()
    response = sign_in(client, base_url=HTTPS, expect_cookie=SECURE_COOKIE)
    cookie = set_cookie(response, SECURE_COOKIE)
    assert cookie is not None
    assert cookie.attrs["secure"] is True
    assert cookie.attrs["httponly"] is True
    assert cookie.attrs["samesite"] == "Lax"
    assert set_cookie(response, COOKIE) is None
    assert client.get("/api/me", base_url=HTTPS).status_code == 200
    # The same browser over plain HTTP has no session (and the HTTPS cookie is left alone).
    plain = client.get("/api/me")
    assert plain.status_code == 401
    assert set_cookies(plain) == []


def test_secure_forced_on_over_http(make_app: AppFactory) -> None:
    """Behind a TLS-terminating proxy without ProxyFix the app sees HTTP: force Secure."""
    app, _ = make_app(JWTAUTH_COOKIE_SECURE=True)
    client = app.test_client()
    response = sign_in(client, expect_cookie=SECURE_COOKIE)
    cookie = set_cookie(response, SECURE_COOKIE)
    assert cookie is not None and cookie.attrs["secure"] is True
    assert client.get("/api/me").status_code == 200


def test_secure_forced_off_over_https(make_app: AppFactory) -> None:
    app, _ = make_app(JWTAUTH_COOKIE_SECURE=False)
    client = app.test_client()
    response = sign_in(client, base_url=HTTPS, expect_cookie=COOKIE)
    cookie = set_cookie(response, COOKIE)
    assert cookie is not None and "secure" not in cookie.attrs
    assert client.get("/api/me", base_url=HTTPS).status_code == 200


def test_custom_name(make_app: AppFactory) -> None:
    app, _ = make_app(JWTAUTH_COOKIE_NAME="myapp.session")
    client = app.test_client()
    sign_in(client, expect_cookie="myapp.session")
    assert client.get("/api/me").status_code == 200
    secure = app.test_client()
    sign_in(secure, base_url=HTTPS, expect_cookie="__Secure-myapp.session")


@pytest.mark.parametrize(("setting", "expected"), [("Strict", "Strict"), ("strict", "Strict")])
def test_samesite_setting(make_app: AppFactory, setting: str, expected: str) -> None:
    app, _ = make_app(JWTAUTH_COOKIE_SAMESITE=setting)
    cookie = set_cookie(sign_in(app.test_client()))
    assert cookie is not None and cookie.attrs["samesite"] == expected


def test_samesite_none_with_secure(make_app: AppFactory) -> None:
    """Seed 002's cookie: SameSite=None, Secure, shared across sub-domains."""
    app, _ = make_app(JWTAUTH_COOKIE_SAMESITE="None", JWTAUTH_COOKIE_SECURE=True)
    response = sign_in(app.test_client(), base_url=HTTPS, expect_cookie=SECURE_COOKIE)
    cookie = set_cookie(response, SECURE_COOKIE)
    assert cookie is not None
    assert cookie.attrs["samesite"] == "None" and cookie.attrs["secure"] is True


def test_domain_shares_the_session_across_subdomains(make_app: AppFactory, clock: Clock) -> None:
    """Seed 002: sign in on one sub-domain, be signed in on the others."""
    app, _ = make_app(JWTAUTH_COOKIE_DOMAIN="example.com", JWTAUTH_SESSION_MAX_AGE=10)
    client = app.test_client()
    response = sign_in(client, base_url="http://auth.example.com")
    cookie = set_cookie(response)
    assert cookie is not None and cookie.attrs["domain"] == "example.com"
    api = client.get("/api/me", base_url="http://api.example.com")
    assert api.status_code == 200
    assert api.json is not None and api.json["user"]["name"] == "Ann"
    assert client.get("/dashboard", base_url="http://www.example.com").status_code == 200
    # Another site is not sent the cookie at all.
    assert client.get("/api/me", base_url="http://example.org").status_code == 401
    # Clearing must carry the same Domain, or the browser keeps the cookie.
    clock.advance(11)
    expired = client.get("/api/me", base_url="http://api.example.com")
    cleared = set_cookie(expired)
    assert cleared is not None and cleared.cleared
    assert cleared.attrs["domain"] == "example.com"
    assert cookie_value(client, domain="example.com") is None


def test_path(make_app: AppFactory) -> None:
    app, _ = make_app(JWTAUTH_COOKIE_PATH="/app")

    @app.get("/app/api/me")
    @login_required
    def scoped() -> Any:
        return {"ok": True}

    client = app.test_client()
    cookie = set_cookie(sign_in(client))
    assert cookie is not None and cookie.attrs["path"] == "/app"
    assert client.get("/app/api/me").status_code == 200
    assert client.get("/api/me").status_code == 401  # outside the path: never sent


def test_sign_out_clears_with_the_same_attributes(make_app: AppFactory) -> None:
    app, _ = make_app(JWTAUTH_COOKIE_DOMAIN="example.com", JWTAUTH_COOKIE_PATH="/")
    client = app.test_client()
    base = "http://www.example.com"
    sign_in(client, base_url=base)
    response = client.post(
        "/auth/sign-out", data={"csrf_token": csrf_token(client, base)}, base_url=base
    )
    [cleared] = [c for c in set_cookies(response) if c.name == COOKIE]
    assert cleared.cleared
    assert cleared.attrs["domain"] == "example.com" and cleared.attrs["path"] == "/"
    assert cleared.attrs["httponly"] is True and cleared.attrs["samesite"] == "Lax"


# -- chunking ------------------------------------------------------------------------------


def big_app(make_app: AppFactory, **config: Any) -> tuple[Flask, dict[str, int]]:
    """An app whose jwt callback pads the token with ``size["n"]`` random characters."""
    app, auth = make_app(**config)
    size = {"n": 0}

    @auth.jwt_callback
    def jwt(token: dict[str, Any]) -> dict[str, Any]:
        if not size["n"]:
            token.pop("blob", None)
        elif len(token.get("blob", "")) != size["n"]:
            token["blob"] = secrets.token_urlsafe(size["n"])[: size["n"]]  # incompressible
        return token

    @app.get("/api/blob")
    @login_required
    def blob() -> Any:
        token = get_token()
        assert token is not None
        return {"blob": len(token.get("blob", ""))}

    return app, size


def chunk_names(client: FlaskClient, base: str = COOKIE) -> list[str]:
    names = []
    index = 0
    while cookie_value(client, f"{base}.{index}") is not None:
        names.append(f"{base}.{index}")
        index += 1
    return names


def test_large_token_is_chunked_and_read_back(make_app: AppFactory) -> None:
    app, size = big_app(make_app, JWTAUTH_COOKIE_CHUNK_SIZE=1000)
    size["n"] = 3000
    client = app.test_client()
    response = sign_in(client, expect_cookie=None)
    written = [c for c in set_cookies(response) if c.name.startswith(COOKIE)]
    names = [c.name for c in written]
    token_length = sum(len(c.value) for c in written)
    assert token_length > 3000
    assert names == [f"{COOKIE}.{i}" for i in range(math.ceil(token_length / 1000))]
    assert all(len(c.value) <= 1000 for c in written)
    assert all(c.attrs["httponly"] is True and c.max_age for c in written)
    assert cookie_value(client) is None
    assert client.get("/api/blob").json == {"blob": 3000}


def test_shrinking_token_expires_stale_chunks(make_app: AppFactory) -> None:
    app, size = big_app(make_app, JWTAUTH_COOKIE_CHUNK_SIZE=1000)
    size["n"] = 3000
    client = app.test_client()
    sign_in(client, expect_cookie=None)
    before = chunk_names(client)
    assert len(before) >= 4

    size["n"] = 0  # the jwt callback drops the big claim: the token shrinks to one cookie
    response = client.get("/api/blob")
    assert response.json == {"blob": 0}
    plain = set_cookie(response)
    assert plain is not None and not plain.cleared
    cleared = {c.name for c in set_cookies(response) if c.cleared}
    assert cleared == set(before)
    assert chunk_names(client) == []
    assert client.get("/api/blob").json == {"blob": 0}

    size["n"] = 1500  # and grows again: the single cookie is expired, chunks written
    response = client.get("/api/blob")
    assert response.json == {"blob": 1500}
    assert set_cookie(response) is not None and set_cookie(response).cleared  # type: ignore[union-attr]
    assert cookie_value(client) is None
    assert len(chunk_names(client)) >= 2


def test_fewer_chunks_expire_the_extra_ones(make_app: AppFactory) -> None:
    app, size = big_app(make_app, JWTAUTH_COOKIE_CHUNK_SIZE=1000)
    size["n"] = 5000
    client = app.test_client()
    sign_in(client, expect_cookie=None)
    many = chunk_names(client)
    size["n"] = 2000
    response = client.get("/api/blob")
    assert response.json == {"blob": 2000}
    after = chunk_names(client)
    assert 2 <= len(after) < len(many)
    cleared = {c.name for c in set_cookies(response) if c.cleared}
    assert cleared == set(many) - set(after)


def test_chunks_written_by_the_client_are_joined(make_app: AppFactory) -> None:
    """A browser (or a Next.js app, which chunks the same way) may hold any split."""
    app, _ = make_app()
    source = app.test_client()
    sign_in(source)
    token = cookie_value(source)
    assert token is not None
    client = app.test_client()
    cut = [0, 17, 200, len(token)]
    for index, (start, end) in enumerate(itertools.pairwise(cut)):
        client.set_cookie(f"{COOKIE}.{index}", token[start:end])
    response = client.get("/api/me")
    assert response.status_code == 200
    assert response.json is not None and response.json["user"]["name"] == "Ann"
    assert set_cookies(response) == []  # read, valid, not due: nothing rewritten


def test_chunks_out_of_order_are_rejected(make_app: AppFactory) -> None:
    app, _ = make_app()
    source = app.test_client()
    sign_in(source)
    token = cookie_value(source)
    assert token is not None
    client = app.test_client()
    middle = len(token) // 2
    client.set_cookie(f"{COOKIE}.0", token[middle:])
    client.set_cookie(f"{COOKIE}.1", token[:middle])
    response = client.get("/api/me")
    assert response.status_code == 401
    assert session_names(response) == {f"{COOKIE}.0", f"{COOKIE}.1"}
    assert all(c.cleared for c in set_cookies(response))


def test_expired_chunked_session_clears_every_chunk(make_app: AppFactory, clock: Clock) -> None:
    app, size = big_app(make_app, JWTAUTH_COOKIE_CHUNK_SIZE=1000, JWTAUTH_SESSION_MAX_AGE=10)
    size["n"] = 3000
    client = app.test_client()
    sign_in(client, expect_cookie=None)
    names = chunk_names(client)
    clock.advance(11)
    response = client.get("/api/blob")
    assert response.status_code == 401
    assert response.json is not None and response.json["error"] == "SessionExpired"
    assert {c.name for c in set_cookies(response) if c.cleared} == set(names)
    assert chunk_names(client) == []


def test_sign_out_clears_every_chunk(make_app: AppFactory) -> None:
    app, size = big_app(make_app, JWTAUTH_COOKIE_CHUNK_SIZE=1000)
    size["n"] = 3000
    client = app.test_client()
    sign_in(client, expect_cookie=None)
    names = chunk_names(client)
    response = sign_out(client)
    assert {c.name for c in set_cookies(response) if c.name.startswith(COOKIE)} == set(names)
    assert all(c.cleared for c in set_cookies(response) if c.name.startswith(COOKIE))
    assert chunk_names(client) == []


@pytest.mark.parametrize(
    ("domain", "base_url"),
    [
        (None, "http://localhost"),
        (None, HTTPS),
        (
            "staging.some-long-company-name.example.com",
            "https://app.staging.some-long-company-name.example.com",
        ),
    ],
)
def test_default_chunks_fit_the_browser_limit(
    make_app: AppFactory, domain: str | None, base_url: str
) -> None:
    """Every Set-Cookie header stays within 4093 bytes (Werkzeug's limit, which warns and,
    with warnings as errors, would fail), whatever the prefix and Domain add."""
    config: dict[str, Any] = {"JWTAUTH_SESSION_MAX_AGE": 400 * 24 * 3600}
    if domain:
        config["JWTAUTH_COOKIE_DOMAIN"] = domain
    app, size = big_app(make_app, **config)
    size["n"] = 9000
    client = app.test_client()
    name = SECURE_COOKIE if base_url.startswith("https") else COOKIE
    response = sign_in(client, base_url=base_url, expect_cookie=None)
    written = [c for c in set_cookies(response) if c.name.startswith(name)]
    assert len(written) >= 3
    assert all(len(c.header) <= 4093 for c in written), [len(c.header) for c in written]
    assert client.get("/api/blob", base_url=base_url).json == {"blob": 9000}


def test_a_token_just_under_the_chunk_size_is_one_cookie(make_app: AppFactory) -> None:
    app, _ = make_app()
    client = app.test_client()
    response = sign_in(client)
    assert session_names(response) == {COOKIE}
    written = set_cookie(response)
    assert written is not None and len(written.value) < 3936


# -- reading the Cookie header as browsers send it ------------------------------------------


def _valid_token(app: Flask) -> str:
    from flask_jwtauth import JWTAuthTestClient

    client = JWTAuthTestClient(app)
    return client.sign_in({"id": "1", "name": "Ann"})


@pytest.mark.parametrize(
    ("template", "signed_in"),
    [
        ("{name}={token}", True),
        ("a=1; {name}={token}; b=2", True),
        ("a=1;{name}={token}", True),
        ("theme=dark; {name}={token}", True),
        ('{name}="{token}"', True),  # quoted: Werkzeug's parser unquotes it
        ("x{name}=garbage; {name}={token}", True),  # a longer name ending in ours is not ours
        ("__Secure-{name}={token}", False),  # the HTTPS name on an HTTP request
        ("{name}.x={token}", False),
        ("x{name}={token}", False),
        ("{name}=; other={token}", False),
        ("a={name}={token}", False),  # inside another cookie's value
    ],
)
def test_cookie_header_variants(make_app: AppFactory, template: str, signed_in: bool) -> None:
    app, _ = make_app()
    token = _valid_token(app)
    header = template.format(name=COOKIE, token=token)
    response = app.test_client(use_cookies=False).get("/api/me", headers={"Cookie": header})
    assert response.status_code == (200 if signed_in else 401), header


def test_first_of_two_same_name_cookies_wins(make_app: AppFactory) -> None:
    """Browsers send the more specific path first; Werkzeug's ``get`` takes the first too."""
    app, _ = make_app()
    token = _valid_token(app)
    client = app.test_client(use_cookies=False)  # send the raw header as written
    assert (
        client.get("/api/me", headers={"Cookie": f"{COOKIE}={token}; {COOKIE}=x"}).status_code
        == 200
    )
    assert (
        client.get("/api/me", headers={"Cookie": f"{COOKIE}=x; {COOKIE}={token}"}).status_code
        == 401
    )


# -- the Set-Cookie header, byte for byte ---------------------------------------------------


@pytest.mark.parametrize("domain", [None, "example.com", ".example.com"])
@pytest.mark.parametrize("path", ["/", "/app"])
@pytest.mark.parametrize(("secure", "samesite"), [(False, "Lax"), (True, "Strict"), (True, "None")])
def test_every_combination_gives_a_well_formed_header(
    make_app: AppFactory, domain: str | None, path: str, secure: bool, samesite: str
) -> None:
    """A leading dot in the domain (how seed 002 writes a shared cookie) once fused
    ``Max-Age=...`` and ``Secure`` into one attribute: browsers then dropped the cookie on
    HTTPS and lost HttpOnly on HTTP."""
    config: dict[str, Any] = {
        "JWTAUTH_COOKIE_PATH": path,
        "JWTAUTH_COOKIE_SECURE": secure,
        "JWTAUTH_COOKIE_SAMESITE": samesite,
    }
    if domain:
        config["JWTAUTH_COOKIE_DOMAIN"] = domain
    app, _ = make_app(**config)
    name = f"__Secure-{COOKIE}" if secure else COOKIE
    client = app.test_client()
    response = sign_in(client, expect_cookie=name)
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}="))
    value = header.split(";", 1)[0].split("=", 1)[1]
    max_age = set_cookie(response, name).max_age  # type: ignore[union-attr]
    expected = f"{name}={value}"
    if domain:
        expected += "; Domain=example.com"
    expected += f"; Expires={header.split('Expires=')[1].split(';')[0]}; Max-Age={max_age}"
    expected += "; Secure" if secure else ""
    expected += f"; HttpOnly; Path={path}; SameSite={samesite}"
    assert header == expected
    parsed = SimpleCookie()
    parsed.load(header)
    morsel = parsed[name]
    assert morsel.value == value and morsel["httponly"] is True
    assert bool(morsel["secure"]) is secure and morsel["path"] == path
    assert morsel["max-age"] == str(max_age) and morsel["samesite"] == samesite
    assert morsel["domain"] == ("example.com" if domain else "")
    jar = werkzeug_parse_cookie(header.split(";", 1)[0])
    assert jar[name] == value


def test_first_concurrent_https_writes_never_fail(make_app: AppFactory) -> None:
    """The header's fixed parts used to be cached lazily on the first write: concurrent first
    HTTPS writes raced on it and one got a KeyError (a 500)."""
    app, _ = make_app(JWTAUTH_SESSION_UPDATE_AGE=0)
    tokens = []
    for _ in range(16):
        c = app.test_client()
        sign_in(c, base_url="https://localhost", expect_cookie=f"__Secure-{COOKIE}")
        tokens.append(c.get_cookie(f"__Secure-{COOKIE}"))
    fresh, _ = make_app(JWTAUTH_SESSION_UPDATE_AGE=0)
    statuses: list[int] = []
    barrier = threading.Barrier(16)

    def hit(token: Any) -> None:
        client = fresh.test_client()
        client.set_cookie(f"__Secure-{COOKIE}", token.value)
        barrier.wait()
        statuses.append(client.get("/api/me", base_url="https://localhost").status_code)

    threads = [threading.Thread(target=hit, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 16
