"""Encode and decode the session token: a JWE (default) or a JWS.

Keys are derived once, when a codec is built. The JWE key is derived exactly as Auth.js v5
derives it (HKDF-SHA256, salt = cookie name), so a Next.js app with the same secret and
cookie name reads the same session. The header's ``kid`` picks the key: with a list of
secrets (rotation) the first one encrypts and every one decrypts, without trying each.

Codecs know no clock: they prove a token is ours and return its claims; exp, iat, nbf and
auth_time are checked by the caller against the app's (injectable) clock, for both formats.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from typing import Any, Literal, Protocol

import jwt as pyjwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from joserfc import jwe
from joserfc.jwk import GuestProtocol, Key, OctKey, import_key, thumbprint

from .config import Settings
from .errors import ErrorCode, JWTAuthError

Claims = dict[str, Any]

_ENC_KEY_LENGTH = {"A256GCM": 32, "A256CBC-HS512": 64}


class InvalidToken(JWTAuthError):
    """The token could not be decoded: tampered, truncated, wrong key, or not a token. (A
    request carrying one is anonymous: a guard answers it with ``SessionRequired``.)"""

    error = ErrorCode.SESSION_REQUIRED


class TokenCodec(Protocol):
    def encode(self, claims: Claims) -> str: ...

    def decode(self, token: str) -> Claims: ...


def derive_encryption_key(secret: bytes, salt: str, enc: str = "A256GCM") -> bytes:
    """Auth.js v5's ``getDerivedEncryptionKey``: HKDF-SHA256 with the cookie name as salt."""
    return HKDF(
        algorithm=hashes.SHA256(),
        length=_ENC_KEY_LENGTH[enc],
        salt=salt.encode(),
        info=f"Auth.js Generated Encryption Key ({salt})".encode(),
    ).derive(secret)


def derive_signing_key(secret: bytes, salt: str) -> bytes:
    """The HS256 key: the same construction with our own label, so it never equals the JWE key."""
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=salt.encode(),
        info=f"flask_jwtauth Generated Signing Key ({salt})".encode(),
    ).derive(secret)


def oct_key_id(key: bytes) -> str:
    """RFC 7638 thumbprint, SHA-256 for a 32-byte key and SHA-512 for a 64-byte one (Auth.js)."""
    digest: Literal["sha256", "sha512"] = "sha512" if len(key) == 64 else "sha256"
    k = base64.urlsafe_b64encode(key).rstrip(b"=").decode()
    return thumbprint({"kty": "oct", "k": k}, digest)


#: One encoder, made once: ``json.dumps`` with ``separators`` builds a new one per call.
_COMPACT = json.JSONEncoder(separators=(",", ":"))
compact_json = _COMPACT.encode


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _claims_from_json(payload: bytes) -> Claims:
    try:
        claims = json.loads(payload)
    except ValueError:
        raise InvalidToken("payload is not JSON") from None
    if not isinstance(claims, dict):
        raise InvalidToken("payload is not a JSON object")
    return claims


class JWECodec:
    """``dir`` + A256GCM (or A256CBC-HS512) with HKDF-derived keys, as Auth.js v5."""

    _algorithms = ("dir", "A256GCM", "A256CBC-HS512")

    def __init__(self, secrets: tuple[bytes, ...], salt: str, enc: str = "A256GCM") -> None:
        self._enc = enc
        self._keys: dict[tuple[str, str], OctKey] = {}
        self._default: dict[str, OctKey] = {}
        for enc_name in _ENC_KEY_LENGTH:
            for index, secret in enumerate(secrets):
                raw = derive_encryption_key(secret, salt, enc_name)
                kid = oct_key_id(raw)
                key = OctKey.import_key(raw)
                self._keys[(kid, enc_name)] = key
                if index == 0:
                    self._default[enc_name] = key
        current = derive_encryption_key(secrets[0], salt, enc)
        header = {"alg": "dir", "enc": enc, "kid": oct_key_id(current)}
        # The protected header never changes: serialise it once. It is also the AAD.
        self._header_segment = _b64(json.dumps(header, separators=(",", ":")).encode())
        self._cek = current
        self._enc_model = jwe.JWERegistry(algorithms=list(self._algorithms)).get_enc(enc)
        self._aead = AESGCM(current) if enc == "A256GCM" else None

    def encode(self, claims: Claims) -> str:
        """JWE compact serialisation (RFC 7516 7.1) of ``claims`` under the current key.

        What joserfc's ``encrypt_compact`` checks on every call (header, registry, key
        wrapping, which ``dir`` does not have) is settled once in ``__init__``; A256GCM runs
        through cryptography's one-shot AEAD, A256CBC-HS512 through joserfc's own model.
        ``decode`` is joserfc in full, and the tests round-trip both ways.
        """
        return self.seal(_COMPACT.encode(claims).encode())

    def seal(self, payload: bytes) -> str:
        """The JWE of a JSON payload already serialised (a roll reuses all of it but the
        times: see :class:`flask_jwtauth.session.cookie.SessionCookie`)."""
        aad = self._header_segment
        if self._aead is not None:
            iv = os.urandom(12)
            sealed = self._aead.encrypt(iv, payload, aad)
            # 12 bytes are four whole base64 quanta: iv and ciphertext encode as one run,
            # then split after the iv's 16 characters (one encoding call less).
            both = _b64(iv + sealed[:-16])
            parts = (aad, b"", both[:16], both[16:], _b64(sealed[-16:]))
            return b".".join(parts).decode("ascii")
        model = self._enc_model
        iv = model.generate_iv()
        ciphertext, tag = model.encrypt(payload, self._cek, iv, aad)
        return b".".join((aad, b"", _b64(iv), _b64(ciphertext), _b64(tag))).decode("ascii")

    def _pick_key(self, guest: GuestProtocol) -> Key:
        headers = guest.headers()
        enc = headers.get("enc", "")
        kid = headers.get("kid")
        # Auth.js tokens without kid are read with the current secret.
        key = self._default.get(enc) if kid is None else self._keys.get((kid, enc))
        if key is None:
            raise InvalidToken("no key for this token")
        return key

    def decode(self, token: str) -> Claims:
        try:
            result = jwe.decrypt_compact(token, self._pick_key, algorithms=self._algorithms)
        except InvalidToken:
            raise
        except Exception as exc:
            # Whatever a hostile cookie makes the parser raise, it is "not our token".
            raise InvalidToken(str(exc) or type(exc).__name__) from None
        if result.plaintext is None:
            raise InvalidToken("empty payload")
        return _claims_from_json(result.plaintext)


# next-auth v4's session cookies (its defaults over HTTP and HTTPS), read for migration.
NEXTAUTH_V4_COOKIE = "next-auth.session-token"
NEXTAUTH_V4_SECURE_COOKIE = "__Secure-next-auth.session-token"


def derive_v4_encryption_key(secret: bytes) -> bytes:
    """next-auth v4's ``getDerivedEncryptionKey`` for the session token (its salt is "")."""
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"",
        info=b"NextAuth.js Generated Encryption Key",
    ).derive(secret)


class V4Decoder:
    """Reads (never writes) next-auth v4 session tokens, so a team moving off v4 keeps its users.

    v4 encrypts with ``dir`` + A256GCM and puts no ``kid`` in the header, so each secret is
    tried in turn. The claims come back unchecked (``exp`` included): the caller validates
    them as for its own tokens, then re-issues the session in the current format.
    """

    _algorithms = ("dir", "A256GCM")

    def __init__(self, secrets: tuple[bytes, ...]) -> None:
        if not secrets:
            raise ValueError("at least one secret is needed")
        self._keys = tuple(OctKey.import_key(derive_v4_encryption_key(s)) for s in secrets)

    def decode(self, token: str) -> Claims:
        if not isinstance(token, str) or token.count(".") != 4:
            raise InvalidToken("not a compact JWE")
        last = "no key for this token"
        for key in self._keys:
            try:
                result = jwe.decrypt_compact(token, key, algorithms=self._algorithms)
            except Exception as exc:
                last = str(exc) or type(exc).__name__
                continue
            if result.plaintext is None:
                raise InvalidToken("empty payload")
            return _claims_from_json(result.plaintext)
        raise InvalidToken(last)


# A JWS session token carries this claim: anything else signed by the same key (a backend's
# access tokens, an ID token...) is not a session. A claim rather than a custom ``typ``
# header because verifiers such as Nimbus (Spring Security), joserfc or libjwt refuse a
# ``typ`` other than "JWT", and JWS mode exists for third parties to verify the token.
SESSION_CLAIM = "jwtauth"
SESSION_CLAIM_VALUE = "session"

# Only signature and key are the codec's business; claims are validated by the caller, the
# same way as for JWE (PyJWT's own checks would use the wall clock, refuse ``aud`` set by a
# jwt callback, and judge ``sub``/``jti`` differently from the JWE path).
_PYJWT_OPTIONS: Any = {
    "verify_signature": True,
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
    "verify_aud": False,
    "verify_iss": False,
    "verify_sub": False,
    "verify_jti": False,
}


class JWSCodec:
    """A signed (not encrypted) JWT through PyJWT, for services that verify it themselves.

    Tokens are bound to their purpose: ``encode`` adds ``{"jwtauth": "session"}`` and
    ``decode`` refuses a token without it (or typed as anything but a JWT), then strips it.
    """

    def __init__(
        self,
        algorithm: str,
        *,
        secrets: tuple[bytes, ...] = (),
        salt: str = "",
        private_key: bytes | None = None,
        public_keys: tuple[bytes, ...] = (),
    ) -> None:
        self._algorithm = algorithm
        self._verify: dict[str, Any] = {}
        if algorithm == "HS256":
            raws = [derive_signing_key(s, salt) for s in secrets]
            for raw in raws:
                self._verify[oct_key_id(raw)] = raw
            self._sign_key: Any = raws[0]
            self._kid = oct_key_id(raws[0])
        else:
            if private_key is None:
                raise ValueError("an asymmetric algorithm needs a private key")
            # Parsed once (the settings already validated it: RSA's slow check is not redone).
            self._sign_key = serialization.load_pem_private_key(
                private_key, password=None, unsafe_skip_rsa_key_validation=True
            )
            public_pem = self._sign_key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            self._kid = _key_id(public_pem, algorithm)
            self._verify[self._kid] = public_pem
            for pem in public_keys:
                self._verify[_key_id(pem, algorithm)] = pem
        # Parse every key once, here, rather than on each encode/decode.
        alg = pyjwt.get_algorithm_by_name(algorithm)
        self._verify_keys: dict[str, Any] = {
            kid: alg.prepare_key(key) for kid, key in self._verify.items()
        }
        self._headers = {"kid": self._kid, "typ": "JWT"}
        self._jwt = pyjwt.PyJWT(options=_PYJWT_OPTIONS)

    @property
    def public_jwks(self) -> dict[str, Any]:
        """The verification keys as a JWKS (empty for HS256, whose key is secret)."""
        if self._algorithm == "HS256":
            return {"keys": []}
        keys = []
        for kid, pem in self._verify.items():
            jwk = import_key(pem, _kty(self._algorithm)).as_dict(private=False)
            jwk.update({"kid": kid, "alg": self._algorithm, "use": "sig"})
            keys.append(jwk)
        return {"keys": keys}

    def encode(self, claims: Claims) -> str:
        payload = {**claims, SESSION_CLAIM: SESSION_CLAIM_VALUE}
        return pyjwt.encode(
            payload, self._sign_key, algorithm=self._algorithm, headers=self._headers
        )

    def decode(self, token: str) -> Claims:
        try:
            header = pyjwt.get_unverified_header(token)
            kid = header.get("kid")
            key = self._verify_keys.get(kid) if isinstance(kid, str) else None
            if key is None:
                raise InvalidToken("no key for this token")
            claims: Claims = self._jwt.decode(token, key, algorithms=[self._algorithm])
        except InvalidToken:
            raise
        except Exception as exc:
            raise InvalidToken(str(exc) or type(exc).__name__) from None
        typ = header.get("typ", "JWT")
        if not isinstance(typ, str) or typ.upper().removeprefix("APPLICATION/") != "JWT":
            raise InvalidToken("not a session token: typed as another kind of JWT")
        if claims.pop(SESSION_CLAIM, None) != SESSION_CLAIM_VALUE:
            raise InvalidToken("not a session token: signed by our key for another purpose")
        return claims


def _kty(algorithm: str) -> Literal["RSA", "EC", "OKP"]:
    kty: dict[str, Literal["RSA", "EC", "OKP"]] = {"RS256": "RSA", "ES256": "EC", "EdDSA": "OKP"}
    return kty[algorithm]


def _key_id(public_pem: bytes, algorithm: str) -> str:
    """RFC 7638 thumbprint (SHA-256) of a public key: the ``kid`` in the JWS header."""
    return str(import_key(public_pem, _kty(algorithm)).thumbprint())


def build_codec(settings: Settings, salt: str) -> JWECodec | JWSCodec:
    """The codec for one cookie name (the name is the key-derivation salt)."""
    token = settings.token
    if token.format == "jwe":
        return JWECodec(settings.secrets, salt, token.jwe_encryption)
    return JWSCodec(
        token.jws_algorithm,
        secrets=settings.secrets,
        salt=salt,
        private_key=token.jws_private_key,
        public_keys=token.jws_public_keys,
    )


CodecFactory = Callable[[str], TokenCodec]
