"""The session token: Auth.js-compatible JWE (default), JWS for third parties, secret
rotation, and hostile cookies (anonymous + cleared, never a 500).

``derive_encryption_key`` / ``JWECodec`` are a documented interoperability contract with
Auth.js v5, checked here against known answers computed by Auth.js itself (@panva/hkdf and
jose's calculateJwkThumbprint) and, when node and @auth/core are installed
(``npm ci --prefix tests/interop``), against the real Auth.js ``encode``/``decode``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask
from joserfc import jwe
from joserfc.jwk import OctKey
from support import COOKIE, SECURE_COOKIE, Clock, cookie_value, set_cookie, set_cookies, sign_in
from werkzeug.test import TestResponse

from flask_jwtauth import JWTAuth, get_token, login_required
from flask_jwtauth.tokens import (
    InvalidToken,
    JWECodec,
    JWSCodec,
    V4Decoder,
    derive_encryption_key,
    derive_signing_key,
    derive_v4_encryption_key,
)

AppFactory = Callable[..., tuple[Flask, JWTAuth]]
SECRET = "test-secret-0123456789abcdef0123456789"  # conftest's
OLD = "old-secret-Ax7kQ2mZr9WcT4vLp8BnY3sHd6jFe1uG"
NEW = "new-secret-Mt5pR8wXq3LzK9cVn2HbJ7sDf4gYa6eU"
HTTPS = "https://localhost"

# Computed with Auth.js's own code (node, @panva/hkdf + jose.calculateJwkThumbprint) for
# the secret above: hkdf("sha256", secret, salt, "Auth.js Generated Encryption Key (<salt>)",
# length) and its RFC 7638 thumbprint (sha256 for 32 bytes, sha512 for 64).
AUTHJS_VECTORS = {
    ("jwtauth.session-token", "A256GCM"): (
        "7f151990924f3c6d8af1c5dfb4ddd05b8142e09822f4651d009e84906142aa7e",
        "Su0lnMC8pAQ6pdmfmY8twotx6qZX-vQwFJbHMMrG4oU",
    ),
    ("jwtauth.session-token", "A256CBC-HS512"): (
        "7f151990924f3c6d8af1c5dfb4ddd05b8142e09822f4651d009e84906142aa7e"
        "21552e0d69eee036fec4964f059aad9111d3e6dce5e9fe0086fd42feb55a637c",
        "YowvmOCCHQ1W_AK_Ya_VROAB43vlkPtiPtJSttRCR720IVfjnUYITHAxmBZyvTLZMcYon-BD9O7vrNIXkH_VOg",
    ),
    ("__Secure-jwtauth.session-token", "A256GCM"): (
        "86428dd76c27929d8fe7dcf3d5d59e68077b8d61192435d1534c4802380fe8bc",
        "dny-0l2GcCx2lrnXAo6aTWo2OI2diuZl-GmXKOu8SyY",
    ),
    ("__Secure-jwtauth.session-token", "A256CBC-HS512"): (
        "86428dd76c27929d8fe7dcf3d5d59e68077b8d61192435d1534c4802380fe8bc"
        "26a06b07001ca7384630202a4a8c17b5357854c79e2488144b0d5f1b3147606a",
        "HrqOHOTHKOAj2qhumSTnf3JfCdLmhnbr2F6ar3HPawxUSQ7BXHxuskpRLqizN7n6OIfStxI0d4YZPQkqYsoAJw",
    ),
    ("authjs.session-token", "A256GCM"): (
        "5312ca958f24093bc798f4d7b51a78bae3b86f9a55cc8a7b0344db6e876f0621",
        "p3tsPFqfl4GT0ASKU_YyXR7SHmyVe030Il98GzxhWtY",
    ),
    ("authjs.session-token", "A256CBC-HS512"): (
        "5312ca958f24093bc798f4d7b51a78bae3b86f9a55cc8a7b0344db6e876f0621"
        "fba39f7aa2d070d1d1961717b3b2cd8d683626cfa441e0fd19f62273c9da8167",
        "kHNWpQSiYu-zfg0EcutWj81cL1NEhjPDPVMEOT6cSiUUKC3higaCyIxorJaDhydPdTuoIt9Gh0I_ZtRG_Ht9SA",
    ),
}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def header_of(token: str) -> dict[str, Any]:
    header: dict[str, Any] = json.loads(unb64(token.split(".")[0]))
    return header


def add_token_view(app: Flask) -> None:
    @app.get("/api/token")
    @login_required
    def token_view() -> Any:
        return {"token": get_token()}


def signed_in_cookie(app: Flask, base_url: str | None = None) -> str:
    client = app.test_client()
    response = sign_in(
        client, base_url=base_url, expect_cookie=SECURE_COOKIE if base_url == HTTPS else COOKIE
    )
    name = SECURE_COOKIE if base_url == HTTPS else COOKIE
    cookie = set_cookie(response, name)
    assert cookie is not None
    return cookie.value


def me_with(app: Flask, value: str, name: str = COOKIE, base_url: str | None = None) -> Any:
    client = app.test_client()
    client.set_cookie(name, value)
    kwargs: dict[str, Any] = {"base_url": base_url} if base_url else {}
    return client.get("/api/me", **kwargs)


def jwe_token(raw_key: bytes, claims: Any, header: dict[str, Any]) -> str:
    """A JWE made by hand (joserfc), for tokens our own encoder would never produce."""
    payload = claims if isinstance(claims, bytes) else json.dumps(claims).encode()
    return jwe.encrypt_compact(header, payload, OctKey.import_key(raw_key))


# -- the Auth.js key derivation ------------------------------------------------------------


@pytest.mark.parametrize(("salt", "enc"), sorted(AUTHJS_VECTORS))
def test_derive_encryption_key_matches_authjs(salt: str, enc: str) -> None:
    key_hex, _ = AUTHJS_VECTORS[(salt, enc)]
    key = derive_encryption_key(SECRET.encode(), salt, enc)
    assert key.hex() == key_hex
    assert len(key) == (32 if enc == "A256GCM" else 64)


def test_derive_encryption_key_default_is_a256gcm() -> None:
    assert derive_encryption_key(SECRET.encode(), COOKIE) == bytes.fromhex(
        AUTHJS_VECTORS[(COOKIE, "A256GCM")][0]
    )


@pytest.mark.parametrize(("salt", "enc"), sorted(AUTHJS_VECTORS))
def test_jwe_codec_header_and_key_match_authjs(salt: str, enc: str) -> None:
    key_hex, kid = AUTHJS_VECTORS[(salt, enc)]
    codec = JWECodec((SECRET.encode(),), salt, enc)
    token = codec.encode({"sub": "1", "exp": 2, "iat": 1})
    assert header_of(token) == {"alg": "dir", "enc": enc, "kid": kid}
    plain = jwe.decrypt_compact(token, OctKey.import_key(bytes.fromhex(key_hex))).plaintext
    assert plain is not None and json.loads(plain) == {"sub": "1", "exp": 2, "iat": 1}
    assert codec.decode(token) == {"sub": "1", "exp": 2, "iat": 1}


@pytest.mark.parametrize("enc", ["A256GCM", "A256CBC-HS512"])
def test_jwe_codec_reads_both_encryptions_and_tokens_without_kid(enc: str) -> None:
    """As Auth.js's decoder: either encryption; no ``kid`` means the current secret."""
    codec = JWECodec((NEW.encode(), OLD.encode()), COOKIE)  # encrypts with A256GCM
    claims = {"sub": "7", "exp": 10}
    for secret, accepted in ((NEW, True), (OLD, False)):
        raw = derive_encryption_key(secret.encode(), COOKIE, enc)
        token = jwe_token(raw, claims, {"alg": "dir", "enc": enc})
        if accepted:
            assert codec.decode(token) == claims
        else:
            with pytest.raises(InvalidToken):
                codec.decode(token)


def test_salt_is_the_cookie_name() -> None:
    token = JWECodec((SECRET.encode(),), COOKIE).encode({"exp": 1})
    with pytest.raises(InvalidToken):
        JWECodec((SECRET.encode(),), SECURE_COOKIE).decode(token)
    with pytest.raises(InvalidToken):
        JWECodec((SECRET.encode(),), "other.session-token").decode(token)


# -- the cookie's token, over HTTP ---------------------------------------------------------


def test_default_cookie_is_an_authjs_jwe(make_app: AppFactory, clock: Clock) -> None:
    app, _ = make_app(JWTAUTH_SESSION_MAX_AGE=600)
    token = signed_in_cookie(app)
    key_hex, kid = AUTHJS_VECTORS[(COOKIE, "A256GCM")]
    assert header_of(token) == {"alg": "dir", "enc": "A256GCM", "kid": kid}
    assert len(token.split(".")) == 5 and token.split(".")[1] == ""  # dir: no encrypted key
    plain = jwe.decrypt_compact(token, OctKey.import_key(bytes.fromhex(key_hex))).plaintext
    assert plain is not None
    claims = json.loads(plain)
    now = int(clock.now)
    assert claims["sub"] == "1" and claims["name"] == "Ann"
    assert claims["iat"] == now and claims["auth_time"] == now and claims["exp"] == now + 600
    assert isinstance(claims["jti"], str)
    assert b"Ann" not in unb64(token.split(".")[3])  # encrypted, not merely encoded


def test_a256cbc_hs512_option(make_app: AppFactory) -> None:
    app, _ = make_app(JWTAUTH_JWE_ENCRYPTION="A256CBC-HS512")
    token = signed_in_cookie(app)
    key_hex, kid = AUTHJS_VECTORS[(COOKIE, "A256CBC-HS512")]
    assert header_of(token) == {"alg": "dir", "enc": "A256CBC-HS512", "kid": kid}
    plain = jwe.decrypt_compact(token, OctKey.import_key(bytes.fromhex(key_hex))).plaintext
    assert plain is not None and json.loads(plain)["sub"] == "1"
    assert me_with(app, token).status_code == 200
    # A default (A256GCM) app with the same secret reads it too, as Auth.js would.
    default_app, _ = make_app()
    assert me_with(default_app, token).status_code == 200


def test_https_cookie_key_is_derived_from_the_secure_name(make_app: AppFactory) -> None:
    app, _ = make_app()
    token = signed_in_cookie(app, HTTPS)
    assert header_of(token)["kid"] == AUTHJS_VECTORS[(SECURE_COOKIE, "A256GCM")][1]
    assert me_with(app, token, SECURE_COOKIE, HTTPS).status_code == 200
    # The same value under the plain name (another HKDF salt) is not a session.
    response = me_with(app, token, COOKIE)
    assert response.status_code == 401


def test_cookie_name_setting_changes_the_key(make_app: AppFactory) -> None:
    app, _ = make_app(JWTAUTH_COOKIE_NAME="authjs.session-token")
    client = app.test_client()
    response = sign_in(client, expect_cookie="authjs.session-token")
    cookie = set_cookie(response, "authjs.session-token")
    assert cookie is not None
    assert header_of(cookie.value)["kid"] == AUTHJS_VECTORS[("authjs.session-token", "A256GCM")][1]
    assert client.get("/api/me").status_code == 200


# -- JWS -----------------------------------------------------------------------------------


def pem_private(key: Any) -> bytes:
    pem: bytes = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return pem


def pem_public(key: Any) -> bytes:
    pem: bytes = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem


@pytest.fixture(scope="module")
def key_pairs() -> dict[str, tuple[Any, Any]]:
    """Two private keys per algorithm (current and previous), generated once."""
    return {
        "RS256": (
            rsa.generate_private_key(65537, 2048),
            rsa.generate_private_key(65537, 2048),
        ),
        "ES256": (ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())),
        "EdDSA": (ed25519.Ed25519PrivateKey.generate(), ed25519.Ed25519PrivateKey.generate()),
    }


def test_jws_hs256(make_app: AppFactory, clock: Clock) -> None:
    app, _ = make_app(JWTAUTH_TOKEN_FORMAT="jws", JWTAUTH_SESSION_MAX_AGE=300)
    token = signed_in_cookie(app)
    header = header_of(token)
    assert header["alg"] == "HS256" and header["typ"] == "JWT" and header["kid"]
    claims = pyjwt.decode(token, options={"verify_signature": False})
    assert claims["sub"] == "1" and claims["exp"] == int(clock.now) + 300
    assert me_with(app, token).status_code == 200
    # Signed with the raw secret instead of the derived key: not ours.
    forged = pyjwt.encode(claims, SECRET, algorithm="HS256", headers={"kid": header["kid"]})
    assert me_with(app, forged).status_code == 401
    # Claims changed, signature kept: rejected.
    head, _, sig = token.split(".")
    changed = b64(json.dumps({**claims, "sub": "2"}).encode())
    assert me_with(app, f"{head}.{changed}.{sig}").status_code == 401


@pytest.mark.parametrize("algorithm", ["RS256", "ES256", "EdDSA"])
def test_jws_asymmetric_is_verifiable_by_a_third_party(
    make_app: AppFactory,
    clock: Clock,
    key_pairs: dict[str, tuple[Any, Any]],
    algorithm: str,
) -> None:
    clock.now = time.time()  # the third party checks exp against the real clock
    private, _ = key_pairs[algorithm]
    app, _ = make_app(
        JWTAUTH_TOKEN_FORMAT="jws",
        JWTAUTH_JWS_ALGORITHM=algorithm,
        JWTAUTH_JWS_PRIVATE_KEY=pem_private(private).decode(),
    )
    token = signed_in_cookie(app)
    assert header_of(token)["alg"] == algorithm
    # Another service, with plain PyJWT and nothing but the public key:
    public = serialization.load_pem_public_key(pem_public(private))
    claims = pyjwt.decode(token, public, algorithms=[algorithm])  # type: ignore[arg-type]
    assert claims["sub"] == "1"
    assert claims["name"] == "Ann"
    assert claims["exp"] == pytest.approx(clock.now + 30 * 24 * 3600, abs=0.001)
    assert me_with(app, token).status_code == 200


@pytest.mark.parametrize("algorithm", ["RS256", "ES256", "EdDSA"])
def test_jws_asymmetric_key_rotation(
    make_app: AppFactory,
    clock: Clock,
    key_pairs: dict[str, tuple[Any, Any]],
    algorithm: str,
) -> None:
    clock.now = time.time()
    new, old = key_pairs[algorithm]
    old_app, _ = make_app(
        JWTAUTH_TOKEN_FORMAT="jws",
        JWTAUTH_JWS_ALGORITHM=algorithm,
        JWTAUTH_JWS_PRIVATE_KEY=pem_private(old),
    )
    old_token = signed_in_cookie(old_app)
    rotated, _ = make_app(
        JWTAUTH_TOKEN_FORMAT="jws",
        JWTAUTH_JWS_ALGORITHM=algorithm,
        JWTAUTH_JWS_PRIVATE_KEY=pem_private(new),
        JWTAUTH_JWS_PUBLIC_KEYS=[pem_public(old)],
        JWTAUTH_SESSION_UPDATE_AGE=0,
    )
    response = me_with(rotated, old_token)
    assert response.status_code == 200
    reissued = set_cookie(response)
    assert reissued is not None
    new_public = serialization.load_pem_public_key(pem_public(new))
    assert pyjwt.decode(reissued.value, new_public, algorithms=[algorithm])["sub"] == "1"  # type: ignore[arg-type]
    dropped, _ = make_app(
        JWTAUTH_TOKEN_FORMAT="jws",
        JWTAUTH_JWS_ALGORITHM=algorithm,
        JWTAUTH_JWS_PRIVATE_KEY=pem_private(new),
    )
    assert me_with(dropped, old_token).status_code == 401
    assert me_with(dropped, reissued.value).status_code == 200


def test_jws_and_jwe_do_not_mix(make_app: AppFactory) -> None:
    jws_app, _ = make_app(JWTAUTH_TOKEN_FORMAT="jws")
    jwe_app, _ = make_app()
    assert me_with(jwe_app, signed_in_cookie(jws_app)).status_code == 401
    assert me_with(jws_app, signed_in_cookie(jwe_app)).status_code == 401


def test_jws_rejects_alg_none_and_alg_confusion(
    make_app: AppFactory, clock: Clock, key_pairs: dict[str, tuple[Any, Any]]
) -> None:
    private, _ = key_pairs["RS256"]
    app, _ = make_app(
        JWTAUTH_TOKEN_FORMAT="jws",
        JWTAUTH_JWS_ALGORITHM="RS256",
        JWTAUTH_JWS_PRIVATE_KEY=pem_private(private),
    )
    token = signed_in_cookie(app)
    kid = header_of(token)["kid"]
    claims = pyjwt.decode(token, options={"verify_signature": False})
    unsigned = b64(json.dumps({"alg": "none", "kid": kid}).encode()) + "."
    unsigned += b64(json.dumps(claims).encode()) + "."
    assert me_with(app, unsigned).status_code == 401
    # HS256 "signed" with the public key's PEM (the classic confusion attack).
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    body = b64(json.dumps(claims).encode())
    mac = hmac.new(pem_public(private), f"{head}.{body}".encode(), hashlib.sha256).digest()
    assert me_with(app, f"{head}.{body}.{b64(mac)}").status_code == 401


# -- JWS tokens are bound to their purpose (issue 12) ----------------------------------------


def foreign_claims(now: int) -> dict[str, Any]:
    """What a backend's access token signed with the same key could say: valid, but not ours."""
    return {"sub": "1", "name": "Ann", "iat": now, "exp": now + 600, "scope": "api"}


@pytest.mark.parametrize("algorithm", ["RS256", "ES256", "EdDSA"])
def test_jws_public_key_does_not_accept_other_tokens_signed_by_the_key(
    make_app: AppFactory, clock: Clock, key_pairs: dict[str, tuple[Any, Any]], algorithm: str
) -> None:
    private, _ = key_pairs[algorithm]
    app, _ = make_app(
        JWTAUTH_TOKEN_FORMAT="jws",
        JWTAUTH_JWS_ALGORITHM=algorithm,
        JWTAUTH_JWS_PRIVATE_KEY=pem_private(private),
    )
    ours = signed_in_cookie(app)
    kid = header_of(ours)["kid"]
    assert me_with(app, ours).status_code == 200
    now = int(clock.now)
    # Same key, same kid, valid times: an access token of another service is not a session.
    other = pyjwt.encode(foreign_claims(now), private, algorithm=algorithm, headers={"kid": kid})
    assert me_with(app, other).status_code == 401
    # Even with our claim, a token typed as something else (RFC 9068 access token) is refused.
    typed = pyjwt.encode(
        {**foreign_claims(now), "jwtauth": "session"},
        private,
        algorithm=algorithm,
        headers={"kid": kid, "typ": "at+jwt"},
    )
    assert me_with(app, typed).status_code == 401
    # The binding is a claim third parties can check too, with any JWT library.
    public = serialization.load_pem_public_key(pem_public(private))
    clock.now = time.time()
    fresh = signed_in_cookie(app)
    assert header_of(fresh)["typ"] == "JWT"
    seen = pyjwt.decode(fresh, public, algorithms=[algorithm])  # type: ignore[arg-type]
    assert seen["jwtauth"] == "session"


def test_jws_hs256_does_not_accept_other_tokens_signed_by_the_key(
    make_app: AppFactory, clock: Clock
) -> None:
    app, _ = make_app(JWTAUTH_TOKEN_FORMAT="jws")
    add_token_view(app)
    ours = signed_in_cookie(app)
    header = header_of(ours)
    key = derive_signing_key(SECRET.encode(), COOKIE)
    other = pyjwt.encode(foreign_claims(int(clock.now)), key, "HS256", headers=header)
    assert me_with(app, other).status_code == 401
    bound = pyjwt.encode({**foreign_claims(int(clock.now)), "jwtauth": "session"}, key, "HS256")
    assert me_with(app, bound).status_code == 401  # no kid: no key, as before
    bound = pyjwt.encode(
        {**foreign_claims(int(clock.now)), "jwtauth": "session"}, key, "HS256", headers=header
    )
    client = app.test_client()
    client.set_cookie(COOKIE, bound)
    token = client.get("/api/token").json
    assert token is not None and "jwtauth" not in token["token"]  # the app never sees it


@pytest.mark.parametrize(
    ("header", "claims"),
    [
        ({}, {"sub": "1"}),
        ({}, {"sub": "1", "jwtauth": "access"}),
        ({}, {"sub": "1", "jwtauth": ["session"]}),
        ({"typ": "at+jwt"}, {"sub": "1", "jwtauth": "session"}),
        ({"typ": "logout+jwt"}, {"sub": "1", "jwtauth": "session"}),
        ({"typ": 1}, {"sub": "1", "jwtauth": "session"}),
    ],
    ids=repr,
)
def test_jws_codec_refuses_unbound_tokens(header: dict[str, Any], claims: dict[str, Any]) -> None:
    codec = JWSCodec("HS256", secrets=(SECRET.encode(),), salt=COOKIE)
    kid = header_of(codec.encode({}))["kid"]
    key = derive_signing_key(SECRET.encode(), COOKIE)
    token = pyjwt.encode(claims, key, "HS256", headers={"kid": kid, **header})
    with pytest.raises(InvalidToken, match="not a session token"):
        codec.decode(token)


@pytest.mark.parametrize("typ", ["JWT", "jwt", "application/jwt", None])
def test_jws_codec_accepts_the_jwt_type_however_spelled(typ: str | None) -> None:
    codec = JWSCodec("HS256", secrets=(SECRET.encode(),), salt=COOKIE)
    kid = header_of(codec.encode({}))["kid"]
    key = derive_signing_key(SECRET.encode(), COOKIE)
    header = {"kid": kid, "typ": typ}
    token = pyjwt.encode({"sub": "1", "jwtauth": "session"}, key, "HS256", headers=header)
    if typ is None:  # PyJWT writes "JWT" unless told otherwise: strip typ by hand
        head = b64(json.dumps({"alg": "HS256", "kid": kid}).encode())
        body = token.split(".")[1]
        mac = hmac.new(key, f"{head}.{body}".encode(), hashlib.sha256).digest()
        token = f"{head}.{body}.{b64(mac)}"
        assert "typ" not in header_of(token)
    assert codec.decode(token) == {"sub": "1"}


def test_jws_codec_leaves_claims_to_the_caller() -> None:
    """Clock-free, like the JWE codec: times, aud and sub are judged by the session engine
    against the app's clock, the same way for both formats."""
    codec = JWSCodec("HS256", secrets=(SECRET.encode(),), salt=COOKIE)
    claims = {"sub": "1", "aud": "api", "iss": "x", "nbf": 4_000_000_000, "exp": 1, "iat": 2}
    token = codec.encode(claims)
    assert pyjwt.decode(token, options={"verify_signature": False})["jwtauth"] == "session"
    assert codec.decode(token) == claims
    assert codec.decode(codec.encode({"jwtauth": "other", "sub": "2"})) == {"sub": "2"}


# -- secret rotation -----------------------------------------------------------------------


@pytest.mark.parametrize("token_format", ["jwe", "jws"])
def test_secret_rotation(make_app: AppFactory, clock: Clock, token_format: str) -> None:
    old_app, _ = make_app(JWTAUTH_SECRET=OLD, JWTAUTH_TOKEN_FORMAT=token_format)
    old_token = signed_in_cookie(old_app)

    rotated, _ = make_app(
        JWTAUTH_SECRET=[NEW, OLD],
        JWTAUTH_TOKEN_FORMAT=token_format,
        JWTAUTH_SESSION_MAX_AGE=600,
        JWTAUTH_SESSION_UPDATE_AGE=60,
    )
    add_token_view(rotated)
    client = rotated.test_client()
    client.set_cookie(COOKIE, old_token)
    # Still valid under [new, old], and not re-issued until it is due to roll.
    first = client.get("/api/token")
    assert first.status_code == 200
    assert set_cookie(first) is None
    # When it rolls, it is re-issued under the new secret.
    clock.advance(60)
    rolled = client.get("/api/token")
    assert rolled.status_code == 200
    reissued = set_cookie(rolled)
    assert reissued is not None and not reissued.cleared
    assert header_of(reissued.value)["kid"] != header_of(old_token)["kid"]
    new_app, _ = make_app(JWTAUTH_SECRET=NEW, JWTAUTH_TOKEN_FORMAT=token_format)
    assert me_with(new_app, reissued.value).status_code == 200
    # Once the old secret is dropped, the old cookie is anonymous and cleared.
    response = me_with(new_app, old_token)
    assert response.status_code == 401
    cleared = set_cookie(response)
    assert cleared is not None and cleared.cleared


def test_new_tokens_use_the_first_secret(make_app: AppFactory) -> None:
    app, _ = make_app(JWTAUTH_SECRET=[NEW, OLD])
    token = signed_in_cookie(app)
    assert header_of(token)["kid"] == header_of(JWECodec((NEW.encode(),), COOKIE).encode({}))["kid"]
    raw = derive_encryption_key(NEW.encode(), COOKIE)
    plain = jwe.decrypt_compact(token, OctKey.import_key(raw)).plaintext
    assert plain is not None and json.loads(plain)["sub"] == "1"


def test_kid_picks_the_key(make_app: AppFactory, clock: Clock) -> None:
    """The header's kid chooses the secret; keys are not tried one after another."""
    app, _ = make_app(JWTAUTH_SECRET=[NEW, OLD])
    now = int(clock.now)
    claims = {"sub": "1", "name": "Ann", "iat": now, "auth_time": now, "exp": now + 60}
    old_raw = derive_encryption_key(OLD.encode(), COOKIE)
    new_raw = derive_encryption_key(NEW.encode(), COOKIE)
    old_kid = header_of(JWECodec((OLD.encode(),), COOKIE).encode({}))["kid"]
    new_kid = header_of(JWECodec((NEW.encode(),), COOKIE).encode({}))["kid"]

    honest = jwe_token(old_raw, claims, {"alg": "dir", "enc": "A256GCM", "kid": old_kid})
    assert me_with(app, honest).status_code == 200
    # Encrypted under the old secret but labelled with the new kid: not tried with the old.
    mislabelled = jwe_token(old_raw, claims, {"alg": "dir", "enc": "A256GCM", "kid": new_kid})
    assert me_with(app, mislabelled).status_code == 401
    unknown = jwe_token(new_raw, claims, {"alg": "dir", "enc": "A256GCM", "kid": "unknown"})
    assert me_with(app, unknown).status_code == 401
    # No kid at all (older Auth.js tokens): the current (first) secret only.
    assert me_with(app, jwe_token(new_raw, claims, {"alg": "dir", "enc": "A256GCM"})).json
    no_kid_old = jwe_token(old_raw, claims, {"alg": "dir", "enc": "A256GCM"})
    assert me_with(app, no_kid_old).status_code == 401


# -- hostile cookies -----------------------------------------------------------------------

Builder = Callable[[str, int], str]


def _flip(token: str, part: int) -> str:
    parts = token.split(".")
    segment = parts[part]
    middle = len(segment) // 2
    parts[part] = (
        segment[:middle] + ("A" if segment[middle] != "A" else "B") + segment[middle + 1 :]
    )
    return ".".join(parts)


def _key() -> bytes:
    return derive_encryption_key(SECRET.encode(), COOKIE)


def _crafted(payload: Any) -> Builder:
    """Encrypted with the right key and kid, but with claims we would never issue."""

    def build(token: str, now: int) -> str:
        value = payload(now) if callable(payload) else payload
        return jwe_token(_key(), value, header_of(token))

    return build


MALFORMED: dict[str, Builder] = {
    "empty": lambda t, n: "",
    "five-dots": lambda t, n: "a.b.c.d.e",
    "dots-only": lambda t, n: "....",
    "one-segment": lambda t, n: "garbage",
    "json": lambda t, n: '{"sub":"1"}',
    "non-ascii": lambda t, n: "ünïcödé.☃.☃.☃.☃",
    "huge": lambda t, n: "x" * 30_000,
    "huge-segments": lambda t, n: ".".join(["QUFB" * 5000] * 5),
    "truncated": lambda t, n: t[:-5],
    "half": lambda t, n: t[: len(t) // 2],
    "appended": lambda t, n: t + "x",
    "extra-segment": lambda t, n: t + ".AAAA",
    "missing-segment": lambda t, n: t.rsplit(".", 1)[0],
    "flipped-header": lambda t, n: _flip(t, 0),
    "flipped-iv": lambda t, n: _flip(t, 2),
    "flipped-ciphertext": lambda t, n: _flip(t, 3),
    "flipped-tag": lambda t, n: _flip(t, 4),
    "swapped-ciphertext": lambda t, n: ".".join([*t.split(".")[:3], "", t.split(".")[4]]),
    "header-not-json": lambda t, n: b64(b"\xff\xfe") + "." + ".".join(t.split(".")[1:]),
    "header-a-list": lambda t, n: b64(b"[1,2]") + "." + ".".join(t.split(".")[1:]),
    "header-kid-a-list": lambda t, n: (
        b64(json.dumps({"alg": "dir", "enc": "A256GCM", "kid": ["x"]}).encode())
        + "."
        + ".".join(t.split(".")[1:])
    ),
    "alg-none-jwt": lambda t, n: (
        b64(b'{"alg":"none"}') + "." + b64(json.dumps({"sub": "1", "exp": n + 60}).encode()) + "."
    ),
    "wrong-secret": lambda t, n: JWECodec((OLD.encode(),), COOKIE).encode(
        {"sub": "1", "iat": n, "exp": n + 60}
    ),
    "secure-name-key": lambda t, n: JWECodec((SECRET.encode(),), SECURE_COOKIE).encode(
        {"sub": "1", "iat": n, "exp": n + 60}
    ),
    "payload-not-json": _crafted(b"not json"),
    "payload-a-list": _crafted(["sub", "1"]),
    "payload-a-string": _crafted("sub"),
    "payload-no-exp": _crafted(lambda n: {"sub": "1", "iat": n}),
    "payload-exp-string": _crafted(lambda n: {"sub": "1", "iat": n, "exp": str(n + 60)}),
    "payload-iat-string": _crafted(lambda n: {"sub": "1", "iat": "now", "exp": n + 60}),
    "payload-sub-int": _crafted(lambda n: {"sub": 1, "iat": n, "exp": n + 60}),
    "payload-auth-time-list": _crafted(
        lambda n: {"sub": "1", "iat": n, "exp": n + 60, "auth_time": [n]}
    ),
}


@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_malformed_cookie_is_anonymous_and_cleared(
    make_app: AppFactory, clock: Clock, kind: str
) -> None:
    app, _ = make_app()
    valid = signed_in_cookie(app)
    value = MALFORMED[kind](valid, int(clock.now))
    assert value != valid
    client = app.test_client()

    def get(path: str) -> TestResponse:
        if len(value) < 4000:
            client.set_cookie(COOKIE, value)  # quoted as a browser would send it
            return client.get(path)
        # Too big for the test client's own cookie jar (it warns): straight into the header.
        raw = app.test_client(use_cookies=False)
        return raw.get(path, headers={"Cookie": f"{COOKIE}={value}"})

    api = get("/api/me")
    assert api.status_code == 401
    assert api.json is not None and api.json["error"] == "SessionRequired"  # not "expired"
    cleared = set_cookie(api)
    assert cleared is not None and cleared.cleared
    assert cookie_value(client) is None

    page = get("/dashboard")
    assert page.status_code == 302
    assert "error=" not in page.headers["Location"]
    home = get("/")
    assert home.status_code == 200 and home.get_data(as_text=True) == "home"
    cleared = set_cookie(home)
    assert cleared is not None and cleared.cleared


@pytest.mark.parametrize(
    ("raw", "cleared"),
    [
        (f"{COOKIE}=\xe9\xff", {COOKIE}),
        (f"{COOKIE}=ünï☃", {COOKIE}),
        (f'{COOKIE}="quoted.value"', {COOKIE}),
        (f'{COOKIE}="unterminated', set()),  # Werkzeug does not parse it: no cookie
        (f"{COOKIE}=a;{COOKIE}=b", {COOKIE}),
        (f"{COOKIE}", {COOKIE}),
        (f"{COOKIE}=", {COOKIE}),
        (f"{COOKIE}=%00%ff", {COOKIE}),
        (f"{COOKIE}=" + "x" * 30_000, {COOKIE}),
        (f"{COOKIE}.0=abc; {COOKIE}.1=def", {f"{COOKIE}.0", f"{COOKIE}.1"}),
        (f"{COOKIE}.0=abc; {COOKIE}.2=def", {f"{COOKIE}.0", f"{COOKIE}.2"}),
        (f"{COOKIE}=abc; {COOKIE}.0=def", {COOKIE, f"{COOKIE}.0"}),
        (f"{COOKIE}.1=abc", set()),  # no first chunk: not a session at all
        (f"{SECURE_COOKIE}=abc", set()),  # the HTTPS name over HTTP: not read
        ("=; ;;=x; a=b", set()),
    ],
    ids=repr,
)
def test_raw_cookie_headers_never_500(make_app: AppFactory, raw: str, cleared: set[str]) -> None:
    app, _ = make_app()
    client = app.test_client(use_cookies=False)
    response = client.get("/api/me", headers={"Cookie": raw})
    assert response.status_code == 401
    assert response.json is not None and response.json["error"] == "SessionRequired"
    assert {c.name for c in set_cookies(response) if c.cleared} == cleared
    assert all(c.cleared for c in set_cookies(response))
    assert client.get("/", headers={"Cookie": raw}).status_code == 200


def test_malformed_chunks_are_all_cleared(make_app: AppFactory) -> None:
    app, _ = make_app()
    client = app.test_client()
    for index in range(3):
        client.set_cookie(f"{COOKIE}.{index}", f"junk{index}")
    response = client.get("/api/me")
    assert response.status_code == 401
    cleared = {c.name for c in set_cookies(response) if c.cleared}
    assert cleared == {f"{COOKIE}.0", f"{COOKIE}.1", f"{COOKIE}.2"}


def test_a_valid_token_still_works_after_hostile_ones(make_app: AppFactory) -> None:
    """Rejected tokens are not memoised; a later valid one is read normally."""
    app, _ = make_app()
    valid = signed_in_cookie(app)
    for value in ("junk", valid[:-1], valid + "x"):
        assert me_with(app, value).status_code == 401
    assert me_with(app, valid).status_code == 200


# -- interoperability with the real Auth.js ------------------------------------------------

INTEROP = Path(__file__).parent / "interop"


NodeScript = Callable[[list[dict[str, Any]]], list[Any]]
AuthJS = NodeScript


def node_script(script: str, module: str, package: str) -> NodeScript:
    """Runs ``tests/interop/<script>`` (JSON requests in, results out) with the real library;
    skipped locally when node or the package is missing, a failure when CI=true."""
    reason = None
    if shutil.which("node") is None:
        reason = "node is not installed"
    elif not (INTEROP / "node_modules" / module).is_file():
        reason = f"{package} is not installed: run `npm ci --prefix tests/interop`"
    if reason is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{package} interop check cannot run in CI: {reason}")
        pytest.skip(f"{package} interop check skipped: {reason}")

    def run(requests: list[dict[str, Any]]) -> list[Any]:
        done = subprocess.run(
            ["node", str(INTEROP / script)],
            input=json.dumps(requests),
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        results: list[dict[str, Any]] = json.loads(done.stdout)
        failures = [r["error"] for r in results if not r["ok"]]
        assert not failures, failures
        return [r["value"] for r in results]

    return run


@pytest.fixture
def authjs() -> AuthJS:
    """Run requests through Auth.js's own ``encode``/``decode`` (node, @auth/core)."""
    return node_script("authjs.mjs", "@auth/core/jwt.js", "@auth/core")


@pytest.mark.parametrize("enc", ["A256GCM", "A256CBC-HS512"])
@pytest.mark.parametrize("base_url", [None, HTTPS])
def test_authjs_decodes_our_cookie(
    make_app: AppFactory, clock: Clock, authjs: AuthJS, enc: str, base_url: str | None
) -> None:
    # Auth.js checks exp against the real clock; our times carry milliseconds (RFC 7519
    # numeric dates may), and Auth.js reads them.
    clock.now = int(time.time()) + 0.123
    app, _ = make_app(JWTAUTH_JWE_ENCRYPTION=enc, JWTAUTH_SECRET=[NEW, OLD])
    add_token_view(app)
    name = SECURE_COOKIE if base_url == HTTPS else COOKIE
    client = app.test_client()
    sign_in(client, base_url=base_url, expect_cookie=name)
    token = cookie_value(client, name)
    assert token is not None
    kwargs: dict[str, Any] = {"base_url": base_url} if base_url else {}
    ours = client.get("/api/token", **kwargs).json
    assert ours is not None
    [theirs] = authjs([{"op": "decode", "token": token, "secret": [NEW, OLD], "salt": name}])
    assert theirs == ours["token"]
    assert theirs["iat"] == theirs["auth_time"] == clock.now


@pytest.mark.parametrize("base_url", [None, HTTPS])
def test_we_read_an_authjs_cookie(
    make_app: AppFactory, clock: Clock, authjs: AuthJS, base_url: str | None
) -> None:
    """A session minted by a Next.js app (Auth.js v5) is a session here: same secret + name."""
    clock.now = time.time()
    name = SECURE_COOKIE if base_url == HTTPS else COOKIE
    user = {"sub": "42", "name": "Next User", "email": "next@example.com"}
    current, rotated = authjs(
        [
            {"op": "encode", "token": user, "secret": SECRET, "salt": name, "maxAge": 600},
            {"op": "encode", "token": user, "secret": OLD, "salt": name, "maxAge": 600},
        ]
    )
    assert header_of(current)["enc"] == "A256CBC-HS512"  # Auth.js's own default
    app, _ = make_app(JWTAUTH_SECRET=[SECRET, OLD])
    response = me_with(app, current, name, base_url)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json is not None
    assert response.json["user"]["id"] == "42"
    assert response.json["user"]["name"] == "Next User"
    assert me_with(app, rotated, name, base_url).status_code == 200
    new_only, _ = make_app(JWTAUTH_SECRET=SECRET)
    assert me_with(new_only, rotated, name, base_url).status_code == 401


# -- next-auth v4 cookies, read for migration (issue 14) -------------------------------------

# Made by next-auth 4.24.15 itself (tests/interop/nextauth_v4.mjs): its ``encode`` of the user
# below with SECRET, and its HKDF key (hkdf("sha256", secret, "", "NextAuth.js Generated
# Encryption Key", 32)) for SECRET and OLD.
V4_KEYS = {
    SECRET: "e048e22d34e8c51ee188b0b21c20ceb0d41be9d661fd7a69782f18920cfca5a0",
    # (computed by next-auth for this literal; key derivation needs no strong secret)
    "old-secret-aaaaaaaaaaaaaaaaaaaaaaaa": (
        "5affb06c46e22c4b8d7d1c6b60422cd75b480c81a1bcecdd6ac5444736bee50e"
    ),
}
V4_TOKEN = (
    "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..UYLoNLb1-JhVcXpa.DOJ3ROgFZvZP_zdW37RPalnWVmU7"
    "NwK-zLlGiFIzIlgL_7QQs323I9eFaksGP7ATwpkYeWYm5dtSM2WIjyuQY84ehzMC3ptVeuNdRquFLjsKlVrnA84yEx"
    "u86njQrxfV9APkgfNQVoK-A-lNQ5QrOBgTOdW3qgKPUXY9s5WHnXzxgiaz12TB6JQeUSbvhOPmmTH82_VVJ5e2GU"
    "KwCmSb6IfN8H2-FNK-08Ij.2v33D_TC9nvsMSM3Nx9VMw"
)
V4_CLAIMS = {
    "sub": "42",
    "name": "V4 User",
    "email": "v4@example.com",
    "picture": "https://example.com/a.png",
    "iat": 1795351359,
    "exp": 1795351959,
    "jti": "bff29b6f-66ca-46aa-939c-e4a147870ac3",
}


@pytest.mark.parametrize("secret", sorted(V4_KEYS))
def test_derive_v4_encryption_key_matches_nextauth(secret: str) -> None:
    assert derive_v4_encryption_key(secret.encode()).hex() == V4_KEYS[secret]


def test_v4_decoder_reads_a_nextauth_v4_token() -> None:
    assert header_of(V4_TOKEN) == {"alg": "dir", "enc": "A256GCM"}  # v4 writes no kid
    # exp is long past by now or not: the decoder is clock-free, the caller checks it.
    assert V4Decoder((SECRET.encode(),)).decode(V4_TOKEN) == V4_CLAIMS


def test_v4_decoder_tries_each_secret() -> None:
    assert V4Decoder((NEW.encode(), OLD.encode(), SECRET.encode())).decode(V4_TOKEN) == V4_CLAIMS
    with pytest.raises(InvalidToken):
        V4Decoder((NEW.encode(), OLD.encode())).decode(V4_TOKEN)


def v4_token(header: dict[str, Any], payload: Any, secret: str = SECRET) -> str:
    """A token under the v4 key that next-auth v4 itself would not write."""
    raw = derive_v4_encryption_key(secret.encode())
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    registry = jwe.JWERegistry(algorithms=["dir", "A256GCM", "A128CBC-HS256", "DEF"])
    return jwe.encrypt_compact(header, body, OctKey.import_key(raw), registry=registry)


V4_REFUSED: dict[str, Callable[[], str]] = {
    "our-own-cookie": lambda: JWECodec((SECRET.encode(),), COOKIE).encode({"sub": "1"}),
    "authjs-v5-cookie": lambda: JWECodec((SECRET.encode(),), "authjs.session-token").encode({}),
    "v4-check-cookie": lambda: jwe_token(  # v4 salts its PKCE/state cookies: never sessions
        HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=b"next-auth.pkce.code_verifier",
            info=b"NextAuth.js Generated Encryption Key (next-auth.pkce.code_verifier)",
        ).derive(SECRET.encode()),
        {"value": "verifier"},
        {"alg": "dir", "enc": "A256GCM"},
    ),
    "other-enc-same-key": lambda: v4_token({"alg": "dir", "enc": "A128CBC-HS256"}, {"sub": "1"}),
    "compressed": lambda: v4_token({"alg": "dir", "enc": "A256GCM", "zip": "DEF"}, {"sub": "1"}),
    "payload-not-json": lambda: v4_token({"alg": "dir", "enc": "A256GCM"}, b"not json"),
    "payload-a-list": lambda: v4_token({"alg": "dir", "enc": "A256GCM"}, ["sub"]),
    "flipped-tag": lambda: _flip(V4_TOKEN, 4),
    "flipped-ciphertext": lambda: _flip(V4_TOKEN, 3),
    "flipped-header": lambda: _flip(V4_TOKEN, 0),
    "truncated": lambda: V4_TOKEN[:-3],
    "extra-segment": lambda: V4_TOKEN + ".AAAA",
    "empty": lambda: "",
    "dots-only": lambda: "....",
    "non-ascii": lambda: "ünï.☃.☃.☃.☃",
    "huge-segments": lambda: ".".join(["QUFB" * 5000] * 5),
    "jws": lambda: JWSCodec("HS256", secrets=(SECRET.encode(),), salt="").encode({}),
}


@pytest.mark.parametrize("kind", sorted(V4_REFUSED))
def test_v4_decoder_refuses_anything_else(kind: str) -> None:
    decoder = V4Decoder((OLD.encode(), SECRET.encode()))
    with pytest.raises(InvalidToken):
        decoder.decode(V4_REFUSED[kind]())


def test_v4_decoder_refuses_a_non_string_and_needs_a_secret() -> None:
    with pytest.raises(InvalidToken):
        V4Decoder((SECRET.encode(),)).decode(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        V4Decoder(())


@pytest.fixture
def nextauth_v4() -> NodeScript:
    """Run requests through next-auth v4's own ``encode`` (node, next-auth/jwt)."""
    return node_script("nextauth_v4.mjs", "next-auth/jwt/index.js", "next-auth (v4)")


V4_SHAPES: dict[str, dict[str, Any]] = {
    "empty": {},
    "default-user": {"name": "Ann", "email": "ann@example.com", "picture": None, "sub": "1"},
    "unicode": {"name": "Zoë 山田 ☃", "email": "zoe@example.com", "sub": "ü-7"},
    "custom-claims": {
        "sub": "abc",
        "role": "admin",
        "groups": ["a", "b"],
        "accessToken": "x" * 500,
        "expiresAt": 1_700_000_000,
        "profile": {"locale": "fr", "verified": True, "score": 1.5, "tags": []},
    },
}


def test_v4_decoder_reads_tokens_made_by_nextauth_v4(nextauth_v4: NodeScript) -> None:
    requests = [
        {"op": "encode", "token": shape, "secret": SECRET, "maxAge": 600}
        for shape in V4_SHAPES.values()
    ]
    tokens = nextauth_v4(requests)
    decoder = V4Decoder((NEW.encode(), SECRET.encode()))
    for shape, token in zip(V4_SHAPES.values(), tokens, strict=True):
        assert header_of(token) == {"alg": "dir", "enc": "A256GCM"}
        claims = decoder.decode(token)
        iat, exp, jti = claims.pop("iat"), claims.pop("exp"), claims.pop("jti")
        assert claims == shape
        assert exp - iat == 600 and abs(iat - time.time()) < 60
        assert isinstance(jti, str) and len(jti) == 36


def test_v4_decoder_rotation_with_nextauth_v4(nextauth_v4: NodeScript) -> None:
    """NEXTAUTH_SECRET rotated while migrating: cookies under either secret are read; v4's
    other encrypted cookies (PKCE, state: salted with their name) are never sessions."""
    user = {"sub": "9", "name": "Rotated"}
    old, default_age, pkce = nextauth_v4(
        [
            {"op": "encode", "token": user, "secret": OLD, "maxAge": 60},
            {"op": "encode", "token": user, "secret": SECRET},
            {
                "op": "encode",
                "token": {"value": "verifier"},
                "secret": SECRET,
                "salt": "next-auth.pkce.code_verifier",
            },
        ]
    )
    with pytest.raises(InvalidToken):
        V4Decoder((SECRET.encode(),)).decode(pkce)
    assert V4Decoder((SECRET.encode(), OLD.encode())).decode(old)["name"] == "Rotated"
    with pytest.raises(InvalidToken):
        V4Decoder((SECRET.encode(),)).decode(old)
    claims = V4Decoder((SECRET.encode(),)).decode(default_age)
    assert claims["exp"] - claims["iat"] == 30 * 24 * 3600  # v4's default maxAge
