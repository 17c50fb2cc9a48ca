"""Typed settings read once from ``app.config`` at ``init_app``.

Every ``JWTAUTH_*`` key is validated here so that a broken configuration fails at start-up
with a message naming the key, never with a 500 at request time.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

DAY = 24 * 3600

JWE_ENCRYPTIONS = ("A256GCM", "A256CBC-HS512")
JWS_ALGORITHMS = ("HS256", "RS256", "ES256", "EdDSA")
SAMESITE_VALUES = ("Lax", "Strict", "None")
# Browsers keep about 4096 bytes of name and value; Auth.js chunks at 4096 - 160.
MAX_CHUNK_SIZE = 3936


class ConfigurationError(ValueError):
    """A ``JWTAUTH_*`` setting is missing or invalid; the message names the key."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key


@dataclass(frozen=True)
class Theme:
    app_name: str | None
    brand_color: str
    logo_url: str | None
    #: The text on brand-coloured buttons; None picks black or white for contrast.
    button_text_color: str | None = None


@dataclass(frozen=True)
class Settings:
    secrets: tuple[bytes, ...]
    token_format: str
    jwe_encryption: str
    jws_algorithm: str
    jws_private_key: bytes | None
    jws_public_keys: tuple[bytes, ...]
    session_max_age: int
    session_update_age: int | None
    jwt_max_age: int
    absolute_max_age: int | None
    leeway: int
    cookie_name: str
    cookie_secure: bool | None
    cookie_domain: str | None
    cookie_path: str
    cookie_samesite: str
    cookie_chunk_size: int
    api_paths: re.Pattern[str]
    protect_all: bool
    public_paths: re.Pattern[str] | None
    url_prefix: str
    sign_in_url: str
    sign_out_url: str
    error_url: str
    sign_in_endpoint: str | None
    sign_out_endpoint: str | None
    error_endpoint: str | None
    memo_size: int
    theme: Theme


def _duration(
    config: Mapping[str, Any], key: str, default: int | None, *, allow_none: bool
) -> int | None:
    value = config.get(key, default)
    if value is None:
        if allow_none:
            return None
        raise ConfigurationError(key, "a duration is required (seconds or timedelta)")
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        raise ConfigurationError(key, f"expected seconds or a timedelta, got {value!r}")
    if not math.isfinite(seconds):
        raise ConfigurationError(key, f"expected a finite number of seconds, got {value!r}")
    if seconds < 0:
        raise ConfigurationError(key, f"must not be negative, got {value!r}")
    return int(seconds)


def _secrets(config: Mapping[str, Any]) -> tuple[bytes, ...]:
    key = "JWTAUTH_SECRET"
    raw = config.get(key)
    if raw is None:
        raw = config.get("SECRET_KEY")
        key = "JWTAUTH_SECRET (or SECRET_KEY)"
    if raw is None or raw == "":
        raise ConfigurationError(key, "a secret is required to encrypt session tokens")
    items = list(raw) if isinstance(raw, (list, tuple)) else [raw]
    out: list[bytes] = []
    for item in items:
        if isinstance(item, str):
            item = item.encode()
        if not isinstance(item, bytes) or not item:
            raise ConfigurationError(key, "each secret must be a non-empty str or bytes")
        if len(item) < 16:
            raise ConfigurationError(key, "a secret must be at least 16 characters long")
        out.append(item)
    if not out:
        raise ConfigurationError(key, "a secret is required to encrypt session tokens")
    return tuple(out)


def _choice(config: Mapping[str, Any], key: str, default: str, allowed: Sequence[str]) -> str:
    value = config.get(key, default)
    if value not in allowed:
        raise ConfigurationError(key, f"must be one of {', '.join(allowed)}; got {value!r}")
    return str(value)


def _pem(value: Any, key: str, algorithm: str, *, private: bool) -> bytes:
    """A PEM key that loads and suits ``algorithm`` (checked here, not at the first request)."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
    from cryptography.hazmat.primitives.serialization import (
        load_pem_private_key,
        load_pem_public_key,
    )

    if isinstance(value, str):
        value = value.encode()
    if not isinstance(value, bytes) or b"-----BEGIN" not in value:
        raise ConfigurationError(key, "expected a PEM-encoded key")
    kind = "private" if private else "public"
    try:
        loaded: Any = load_pem_private_key(value, None) if private else load_pem_public_key(value)
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(key, f"not a usable unencrypted PEM {kind} key: {exc}") from None
    if private:
        loaded = loaded.public_key()
    if algorithm == "RS256":
        fits = isinstance(loaded, rsa.RSAPublicKey)
        if fits and loaded.key_size < 2048:
            raise ConfigurationError(key, f"an RSA key needs >= 2048 bits, got {loaded.key_size}")
    elif algorithm == "ES256":
        fits = isinstance(loaded, ec.EllipticCurvePublicKey) and isinstance(
            loaded.curve, ec.SECP256R1
        )
    else:
        fits = isinstance(loaded, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey))
    if not fits:
        wanted = {"RS256": "an RSA", "ES256": "a P-256 EC", "EdDSA": "an Ed25519/Ed448"}
        raise ConfigurationError(key, f"{algorithm} needs {wanted[algorithm]} {kind} key")
    return value


def compile_paths(patterns: Any, key: str) -> re.Pattern[str] | None:
    """Compile path globs (``/api/*``) and regexes into one pattern matched against the path.

    ``*`` matches within and across segments, so ``/api/*`` covers ``/api/a/b``; a pattern
    given as ``re.Pattern`` is used as it is (seed 000's matcher is a regex).
    """
    if patterns is None:
        return None
    if isinstance(patterns, (str, re.Pattern)):
        patterns = [patterns]
    if not isinstance(patterns, (list, tuple, set, frozenset)):
        raise ConfigurationError(
            key, f"expected a path pattern or a list of them, got {patterns!r}"
        )
    parts: list[str] = []
    for pattern in patterns:
        if isinstance(pattern, re.Pattern) and isinstance(pattern.pattern, str):
            # Keep the pattern's own flags (re.IGNORECASE, ...) scoped to it.
            flags = "".join(
                letter
                for flag, letter in ((re.I, "i"), (re.M, "m"), (re.S, "s"), (re.X, "x"))
                if pattern.flags & flag
            )
            # (A verbose pattern may end in a comment: close the group on a new line.)
            body = pattern.pattern + ("\n" if "x" in flags else "")
            parts.append(f"(?{flags}:{body})" if flags else f"(?:{body})")
        elif isinstance(pattern, str) and pattern:
            glob = re.escape(pattern).replace(r"\*", ".*")
            # "/api/*" also matches "/api" itself.
            if glob.endswith("/.*"):
                glob = glob[:-3] + "(?:/.*)?"
            parts.append(f"(?:{glob})")
        else:
            raise ConfigurationError(
                key, f"expected path patterns (str or re.Pattern), got {pattern!r}"
            )
    if not parts:
        return None
    try:
        return re.compile(r"\A(?:" + "|".join(parts) + r")\Z")
    except re.error as exc:
        raise ConfigurationError(key, f"invalid pattern: {exc}") from None


def _url(config: Mapping[str, Any], key: str, default: str) -> str:
    value = config.get(key, default)
    if not isinstance(value, str) or not value.startswith("/"):
        raise ConfigurationError(key, f"must be a path starting with '/', got {value!r}")
    return value.rstrip("/") or "/"


def _optional_str(config: Mapping[str, Any], key: str) -> str | None:
    value = config.get(key)
    if value is not None and (not isinstance(value, str) or not value):
        raise ConfigurationError(key, f"expected a non-empty string, got {value!r}")
    return value


def _positive_int(
    config: Mapping[str, Any], key: str, default: int, minimum: int, maximum: int | None = None
) -> int:
    value = config.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ConfigurationError(key, f"expected an integer >= {minimum}, got {value!r}")
    if maximum is not None and value > maximum:
        raise ConfigurationError(
            key, f"must be at most {maximum} (browsers drop larger cookies), got {value!r}"
        )
    return value


def _flag(config: Mapping[str, Any], key: str, default: bool) -> bool:
    value = config.get(key, default)
    if not isinstance(value, bool):
        raise ConfigurationError(key, f"expected True or False, got {value!r}")
    return value


_DOMAIN = re.compile(r"\.?(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z0-9-]*[A-Za-z0-9]")
_COOKIE_PATH = re.compile(r"/[\x21-\x3a\x3c-\x7e]*")  # printable, no ';'


def _cookie_domain(config: Mapping[str, Any]) -> str | None:
    key = "JWTAUTH_COOKIE_DOMAIN"
    value = _optional_str(config, key)
    if value is not None and not _DOMAIN.fullmatch(value):
        raise ConfigurationError(key, f"not a valid cookie domain: {value!r}")
    return value


def _cookie_path(config: Mapping[str, Any]) -> str:
    key = "JWTAUTH_COOKIE_PATH"
    value = _url(config, key, "/")
    if not _COOKIE_PATH.fullmatch(value):
        raise ConfigurationError(key, f"not a valid cookie path: {value!r}")
    return value


def _colour(config: Mapping[str, Any], key: str, default: str | None) -> Any:
    value = config.get(key, default)
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"#[0-9a-fA-F]{3,8}|[a-zA-Z]+", value):
        raise ConfigurationError(key, f"expected a CSS colour, got {value!r}")
    return value


def load_settings(config: Mapping[str, Any]) -> Settings:
    """Build the settings, raising :class:`ConfigurationError` naming the first bad key."""
    secrets = _secrets(config)
    token_format = _choice(config, "JWTAUTH_TOKEN_FORMAT", "jwe", ("jwe", "jws"))
    jwe_encryption = _choice(config, "JWTAUTH_JWE_ENCRYPTION", "A256GCM", JWE_ENCRYPTIONS)
    jws_algorithm = _choice(config, "JWTAUTH_JWS_ALGORITHM", "HS256", JWS_ALGORITHMS)
    private_key: bytes | None = None
    public_keys: tuple[bytes, ...] = ()
    if token_format == "jws" and jws_algorithm != "HS256":
        raw_private = config.get("JWTAUTH_JWS_PRIVATE_KEY")
        if raw_private is None:
            raise ConfigurationError(
                "JWTAUTH_JWS_PRIVATE_KEY", f"{jws_algorithm} needs a PEM private key to sign with"
            )
        private_key = _pem(raw_private, "JWTAUTH_JWS_PRIVATE_KEY", jws_algorithm, private=True)
        raw_public = config.get("JWTAUTH_JWS_PUBLIC_KEYS") or []
        if isinstance(raw_public, (str, bytes)):
            raw_public = [raw_public]
        if not isinstance(raw_public, (list, tuple)):
            raise ConfigurationError(
                "JWTAUTH_JWS_PUBLIC_KEYS", f"expected a list of PEM public keys, got {raw_public!r}"
            )
        public_keys = tuple(
            _pem(k, "JWTAUTH_JWS_PUBLIC_KEYS", jws_algorithm, private=False) for k in raw_public
        )

    session_max_age = _duration(config, "JWTAUTH_SESSION_MAX_AGE", 30 * DAY, allow_none=False)
    assert session_max_age is not None
    if session_max_age == 0:
        raise ConfigurationError("JWTAUTH_SESSION_MAX_AGE", "must be greater than zero")
    jwt_max_age = _duration(config, "JWTAUTH_JWT_MAX_AGE", session_max_age, allow_none=False)
    assert jwt_max_age is not None
    if jwt_max_age == 0:
        raise ConfigurationError("JWTAUTH_JWT_MAX_AGE", "must be greater than zero")
    lifetime = min(session_max_age, jwt_max_age)
    if "JWTAUTH_SESSION_UPDATE_AGE" in config:
        update_age = _duration(config, "JWTAUTH_SESSION_UPDATE_AGE", None, allow_none=True)
        if update_age is not None and update_age > lifetime:
            limit = (
                f"JWTAUTH_SESSION_MAX_AGE ({session_max_age}s)"
                if session_max_age <= jwt_max_age
                else f"JWTAUTH_JWT_MAX_AGE ({jwt_max_age}s)"
            )
            raise ConfigurationError(
                "JWTAUTH_SESSION_UPDATE_AGE",
                f"({update_age}s) must not exceed {limit}, "
                "or the session would expire before it is ever rolled forward",
            )
    else:
        # NextAuth's default: roll at most once a day. A session shorter than a day is then
        # never rolled (static), as with NextAuth, rather than a configuration error.
        update_age = DAY if lifetime >= DAY else None
    absolute = _duration(config, "JWTAUTH_SESSION_ABSOLUTE_MAX_AGE", None, allow_none=True)
    if absolute == 0:
        raise ConfigurationError(
            "JWTAUTH_SESSION_ABSOLUTE_MAX_AGE", "must be greater than zero or None"
        )
    leeway = _duration(config, "JWTAUTH_LEEWAY", 0, allow_none=False)
    assert leeway is not None

    cookie_name = config.get("JWTAUTH_COOKIE_NAME", "jwtauth.session-token")
    if not isinstance(cookie_name, str) or not re.fullmatch(
        r"[A-Za-z0-9!#$%&'*+.^_`|~-]+", cookie_name
    ):
        raise ConfigurationError("JWTAUTH_COOKIE_NAME", f"not a valid cookie name: {cookie_name!r}")
    if cookie_name.startswith(("__Secure-", "__Host-")):
        raise ConfigurationError(
            "JWTAUTH_COOKIE_NAME", "leave out the __Secure-/__Host- prefix; it is added on HTTPS"
        )
    secure = config.get("JWTAUTH_COOKIE_SECURE")
    if secure is not None and not isinstance(secure, bool):
        raise ConfigurationError(
            "JWTAUTH_COOKIE_SECURE", "expected True, False or None (automatic)"
        )
    samesite = config.get("JWTAUTH_COOKIE_SAMESITE", "Lax")
    if isinstance(samesite, str):
        samesite = samesite.capitalize()
    samesite = _choice(
        {"JWTAUTH_COOKIE_SAMESITE": samesite}, "JWTAUTH_COOKIE_SAMESITE", "Lax", SAMESITE_VALUES
    )
    if samesite == "None" and secure is False:
        raise ConfigurationError(
            "JWTAUTH_COOKIE_SAMESITE", "SameSite=None requires a Secure cookie"
        )

    prefix = _url(config, "JWTAUTH_URL_PREFIX", "/auth")
    base = "" if prefix == "/" else prefix
    brand = _colour(config, "JWTAUTH_THEME_BRAND_COLOR", "#346df1")
    button_text = _colour(config, "JWTAUTH_THEME_BUTTON_TEXT_COLOR", None)

    return Settings(
        secrets=secrets,
        token_format=token_format,
        jwe_encryption=jwe_encryption,
        jws_algorithm=jws_algorithm,
        jws_private_key=private_key,
        jws_public_keys=public_keys,
        session_max_age=session_max_age,
        session_update_age=update_age,
        jwt_max_age=jwt_max_age,
        absolute_max_age=absolute,
        leeway=leeway,
        cookie_name=cookie_name,
        cookie_secure=secure,
        cookie_domain=_cookie_domain(config),
        cookie_path=_cookie_path(config),
        cookie_samesite=samesite,
        cookie_chunk_size=_positive_int(
            config, "JWTAUTH_COOKIE_CHUNK_SIZE", 3936, 512, maximum=MAX_CHUNK_SIZE
        ),
        api_paths=compile_paths(config.get("JWTAUTH_API_PATHS", ["/api/*"]), "JWTAUTH_API_PATHS")
        or re.compile(r"(?!)"),
        protect_all=_flag(config, "JWTAUTH_PROTECT_ALL", False),
        public_paths=compile_paths(config.get("JWTAUTH_PUBLIC_PATHS"), "JWTAUTH_PUBLIC_PATHS"),
        url_prefix=prefix,
        sign_in_url=_url(config, "JWTAUTH_SIGN_IN_URL", f"{base}/sign-in"),
        sign_out_url=_url(config, "JWTAUTH_SIGN_OUT_URL", f"{base}/sign-out"),
        error_url=_url(config, "JWTAUTH_ERROR_URL", f"{base}/error"),
        sign_in_endpoint=_optional_str(config, "JWTAUTH_SIGN_IN_ENDPOINT"),
        sign_out_endpoint=_optional_str(config, "JWTAUTH_SIGN_OUT_ENDPOINT"),
        error_endpoint=_optional_str(config, "JWTAUTH_ERROR_ENDPOINT"),
        memo_size=_positive_int(config, "JWTAUTH_MEMO_SIZE", 4096, 0),
        theme=Theme(
            app_name=_optional_str(config, "JWTAUTH_THEME_APP_NAME"),
            brand_color=brand,
            logo_url=_optional_str(config, "JWTAUTH_THEME_LOGO_URL"),
            button_text_color=button_text,
        ),
    )
