"""Validators for single settings: each returns a typed value or raises
:class:`ConfigurationError` naming the key, so a broken configuration fails at start-up."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from ..errors import ErrorCode, JWTAuthError
from ..paths import Glob, PathRules

JWE_ENCRYPTIONS = ("A256GCM", "A256CBC-HS512")
JWS_ALGORITHMS = ("HS256", "RS256", "ES256", "EdDSA")
SAMESITE_VALUES = ("Lax", "Strict", "None")
# Browsers keep about 4096 bytes of name and value; Auth.js chunks at 4096 - 160.
MAX_CHUNK_SIZE = 3936
MAX_DURATION = 100 * 365 * 24 * 3600
#: A secret must carry at least this many bytes (the key's size), and look random.
MIN_SECRET_BYTES = 32
_HOW = "make one with `flask jwtauth secret`"
_PLACEHOLDERS = (b"change-me", b"changeme", b"change_me", b"replace-me", b"your-secret")


class ConfigurationError(JWTAuthError, ValueError):
    """A ``JWTAUTH_*`` setting is missing or invalid; the message names the key."""

    error = ErrorCode.CONFIGURATION

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key


def duration(
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
    if seconds > MAX_DURATION:
        # Later than any date a token or a cookie can carry: every sign-in would fail.
        raise ConfigurationError(key, f"must be at most 100 years ({MAX_DURATION}s), got {value!r}")
    return int(seconds)


def secret_list(config: Mapping[str, Any]) -> tuple[bytes, ...]:
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
        if len(item) < MIN_SECRET_BYTES:
            raise ConfigurationError(
                key, f"a secret must be at least {MIN_SECRET_BYTES} bytes long; {_HOW}"
            )
        weakness = _weakness(item)
        if weakness:
            raise ConfigurationError(key, f"this secret is too easy to guess ({weakness}); {_HOW}")
        out.append(item)
    if not out:
        raise ConfigurationError(key, "a secret is required to encrypt session tokens")
    return tuple(out)


def _weakness(secret: bytes) -> str | None:
    """Why a secret is guessable offline from a user's own cookie, if it obviously is: few
    distinct characters, a short unit repeated, or little entropy per character."""
    lowered = secret.lower()
    for word in _PLACEHOLDERS:
        if word in lowered:
            return f"it contains {word.decode()!r}: a placeholder, not a secret"
    distinct = len(set(secret))
    if distinct < 8:
        return f"only {distinct} distinct characters"
    for size in range(1, len(secret) // 2 + 1):
        if len(secret) % size == 0 and secret[:size] * (len(secret) // size) == secret:
            return "a short pattern repeated"
    counts = [secret.count(b) for b in set(secret)]
    bits = -sum(c / len(secret) * math.log2(c / len(secret)) for c in counts) * len(secret)
    if bits < 96:
        return f"about {int(bits)} bits of entropy, at least 96 are needed"
    return None


def choice(config: Mapping[str, Any], key: str, default: str, allowed: Sequence[str]) -> str:
    value = config.get(key, default)
    if value not in allowed:
        raise ConfigurationError(key, f"must be one of {', '.join(allowed)}; got {value!r}")
    return str(value)


def pem(value: Any, key: str, algorithm: str, *, private: bool) -> bytes:
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


def compile_paths(patterns: Any, key: str) -> PathRules | None:
    """Path globs (``/api/*``, ``/static/*.css``, ``/docs/**/print``) and compiled regexes,
    matched without backtracking (see :mod:`flask_jwtauth.paths`)."""
    if patterns is None:
        return None
    if isinstance(patterns, (str, re.Pattern)):
        patterns = [patterns]
    if not isinstance(patterns, (list, tuple, set, frozenset)):
        raise ConfigurationError(
            key, f"expected a path pattern or a list of them, got {patterns!r}"
        )
    globs: list[Glob] = []
    regexes: list[re.Pattern[str]] = []
    for pattern in patterns:
        if isinstance(pattern, re.Pattern) and isinstance(pattern.pattern, str):
            regexes.append(pattern)
        elif isinstance(pattern, str) and pattern:
            try:
                globs.append(Glob.parse(pattern))
            except ValueError as exc:
                raise ConfigurationError(key, str(exc)) from None
        else:
            raise ConfigurationError(
                key, f"expected path patterns (str or re.Pattern), got {pattern!r}"
            )
    rules = PathRules(globs, regexes)
    return rules if rules else None


def url(config: Mapping[str, Any], key: str, default: str) -> str:
    value = config.get(key, default)
    if not isinstance(value, str) or not value.startswith("/"):
        raise ConfigurationError(key, f"must be a path starting with '/', got {value!r}")
    return value.rstrip("/") or "/"


def optional_str(config: Mapping[str, Any], key: str) -> str | None:
    value = config.get(key)
    if value is not None and (not isinstance(value, str) or not value):
        raise ConfigurationError(key, f"expected a non-empty string, got {value!r}")
    return value


def positive_int(
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


def flag(config: Mapping[str, Any], key: str, default: bool) -> bool:
    value = config.get(key, default)
    if not isinstance(value, bool):
        raise ConfigurationError(key, f"expected True or False, got {value!r}")
    return value


_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"\.?(?:{_LABEL}\.)*{_LABEL}")
_COOKIE_PATH = re.compile(r"/[\x21-\x3a\x3c-\x7e]*")  # printable, no ';'


def cookie_domain(config: Mapping[str, Any]) -> str | None:
    key = "JWTAUTH_COOKIE_DOMAIN"
    value = optional_str(config, key)
    if value is not None and (not _DOMAIN.fullmatch(value) or len(value.lstrip(".")) > 253):
        raise ConfigurationError(
            key, f"not a valid cookie domain (labels of 1-63 letters, digits, '-'): {value!r}"
        )
    return value


def cookie_path(config: Mapping[str, Any]) -> str:
    key = "JWTAUTH_COOKIE_PATH"
    value = url(config, key, "/")
    if not _COOKIE_PATH.fullmatch(value):
        raise ConfigurationError(key, f"not a valid cookie path: {value!r}")
    return value


def colour(config: Mapping[str, Any], key: str, default: str | None) -> Any:
    value = config.get(key, default)
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"#[0-9a-fA-F]{3,8}|[a-zA-Z]+", value):
        raise ConfigurationError(key, f"expected a CSS colour, got {value!r}")
    return value
