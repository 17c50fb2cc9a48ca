"""One typed section per concern, each built from ``app.config`` by its own small loader."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..paths import NO_PATHS, PathRules
from ..redirects import TrustedOrigin, parse_trusted_origin
from .defaults import DAY, default
from .values import (
    JWE_ENCRYPTIONS,
    JWS_ALGORITHMS,
    MAX_CHUNK_SIZE,
    SAMESITE_VALUES,
    ConfigurationError,
    choice,
    colour,
    compile_paths,
    cookie_domain,
    cookie_path,
    duration,
    flag,
    optional_str,
    pem,
    positive_int,
    url,
)


@dataclass(frozen=True)
class TokenSettings:
    format: str
    jwe_encryption: str
    jws_algorithm: str
    jws_private_key: bytes | None
    jws_public_keys: tuple[bytes, ...]


def load_token(config: Mapping[str, Any]) -> TokenSettings:
    token_format = choice(
        config, "JWTAUTH_TOKEN_FORMAT", default("JWTAUTH_TOKEN_FORMAT"), ("jwe", "jws")
    )
    enc = choice(
        config, "JWTAUTH_JWE_ENCRYPTION", default("JWTAUTH_JWE_ENCRYPTION"), JWE_ENCRYPTIONS
    )
    alg = choice(config, "JWTAUTH_JWS_ALGORITHM", default("JWTAUTH_JWS_ALGORITHM"), JWS_ALGORITHMS)
    private_key: bytes | None = None
    public_keys: tuple[bytes, ...] = ()
    if token_format == "jws" and alg != "HS256":
        raw_private = config.get("JWTAUTH_JWS_PRIVATE_KEY")
        if raw_private is None:
            raise ConfigurationError(
                "JWTAUTH_JWS_PRIVATE_KEY", f"{alg} needs a PEM private key to sign with"
            )
        private_key = pem(raw_private, "JWTAUTH_JWS_PRIVATE_KEY", alg, private=True)
        raw_public = config.get("JWTAUTH_JWS_PUBLIC_KEYS") or []
        if isinstance(raw_public, (str, bytes)):
            raw_public = [raw_public]
        if not isinstance(raw_public, (list, tuple)):
            raise ConfigurationError(
                "JWTAUTH_JWS_PUBLIC_KEYS", f"expected a list of PEM public keys, got {raw_public!r}"
            )
        public_keys = tuple(
            pem(k, "JWTAUTH_JWS_PUBLIC_KEYS", alg, private=False) for k in raw_public
        )
    return TokenSettings(token_format, enc, alg, private_key, public_keys)


@dataclass(frozen=True)
class SessionSettings:
    max_age: int
    #: None: a static session, never re-issued.
    update_age: int | None
    jwt_max_age: int
    absolute_max_age: int | None
    leeway: int
    expiry_notice: int
    memo_size: int


def _required_duration(config: Mapping[str, Any], key: str, fallback: int) -> int:
    value = duration(config, key, fallback, allow_none=False)
    assert value is not None
    if value == 0:
        raise ConfigurationError(key, "must be greater than zero")
    return value


def _update_age(config: Mapping[str, Any], max_age: int, jwt_max_age: int) -> int | None:
    lifetime = min(max_age, jwt_max_age)
    key = "JWTAUTH_SESSION_UPDATE_AGE"
    if key not in config:
        # NextAuth's default: roll at most once a day. A session shorter than a day is then
        # never rolled (static), as with NextAuth, rather than a configuration error.
        return DAY if lifetime >= DAY else None
    update_age = duration(config, key, None, allow_none=True)
    if update_age is not None and update_age > lifetime:
        limit = (
            f"JWTAUTH_SESSION_MAX_AGE ({max_age}s)"
            if max_age <= jwt_max_age
            else f"JWTAUTH_JWT_MAX_AGE ({jwt_max_age}s)"
        )
        raise ConfigurationError(
            key,
            f"({update_age}s) must not exceed {limit}, "
            "or the session would expire before it is ever rolled forward",
        )
    return update_age


def load_session(config: Mapping[str, Any]) -> SessionSettings:
    max_age = _required_duration(
        config, "JWTAUTH_SESSION_MAX_AGE", default("JWTAUTH_SESSION_MAX_AGE")
    )
    jwt_max_age = _required_duration(config, "JWTAUTH_JWT_MAX_AGE", max_age)
    absolute = duration(config, "JWTAUTH_SESSION_ABSOLUTE_MAX_AGE", None, allow_none=True)
    if absolute == 0:
        raise ConfigurationError(
            "JWTAUTH_SESSION_ABSOLUTE_MAX_AGE", "must be greater than zero or None"
        )
    leeway = duration(config, "JWTAUTH_LEEWAY", default("JWTAUTH_LEEWAY"), allow_none=False)
    notice = duration(
        config, "JWTAUTH_EXPIRY_NOTICE", default("JWTAUTH_EXPIRY_NOTICE"), allow_none=False
    )
    assert leeway is not None and notice is not None
    return SessionSettings(
        max_age=max_age,
        update_age=_update_age(config, max_age, jwt_max_age),
        jwt_max_age=jwt_max_age,
        absolute_max_age=absolute,
        leeway=leeway,
        expiry_notice=notice,
        memo_size=positive_int(config, "JWTAUTH_MEMO_SIZE", default("JWTAUTH_MEMO_SIZE"), 0),
    )


@dataclass(frozen=True)
class CookieSettings:
    name: str
    #: None: Secure exactly when the request is HTTPS.
    secure: bool | None
    domain: str | None
    path: str
    samesite: str
    chunk_size: int
    #: Adopt next-auth v4 session cookies (``JWTAUTH_NEXTAUTH_V4_COOKIES``).
    read_v4: bool = False


_COOKIE_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+")


def load_cookies(config: Mapping[str, Any]) -> CookieSettings:
    name = config.get("JWTAUTH_COOKIE_NAME", default("JWTAUTH_COOKIE_NAME"))
    if not isinstance(name, str) or not _COOKIE_NAME.fullmatch(name):
        raise ConfigurationError("JWTAUTH_COOKIE_NAME", f"not a valid cookie name: {name!r}")
    if name.startswith(("__Secure-", "__Host-")):
        raise ConfigurationError(
            "JWTAUTH_COOKIE_NAME", "leave out the __Secure-/__Host- prefix; it is added on HTTPS"
        )
    secure = config.get("JWTAUTH_COOKIE_SECURE")
    if secure is not None and not isinstance(secure, bool):
        raise ConfigurationError(
            "JWTAUTH_COOKIE_SECURE", "expected True, False or None (automatic)"
        )
    key = "JWTAUTH_COOKIE_SAMESITE"
    samesite = config.get(key, default(key))
    if isinstance(samesite, str):
        samesite = samesite.capitalize()
    samesite = choice({key: samesite}, key, "Lax", SAMESITE_VALUES)
    if samesite == "None" and secure is not True:
        # Browsers refuse SameSite=None without Secure: automatic Secure would send exactly
        # that on plain HTTP.
        raise ConfigurationError(
            key,
            "SameSite=None requires a Secure cookie: set JWTAUTH_COOKIE_SECURE = True "
            f"(it is {secure!r})",
        )
    return CookieSettings(
        name=name,
        secure=secure,
        domain=cookie_domain(config),
        path=cookie_path(config),
        samesite=samesite,
        chunk_size=positive_int(
            config,
            "JWTAUTH_COOKIE_CHUNK_SIZE",
            default("JWTAUTH_COOKIE_CHUNK_SIZE"),
            512,
            maximum=MAX_CHUNK_SIZE,
        ),
        read_v4=flag(config, "JWTAUTH_NEXTAUTH_V4_COOKIES", default("JWTAUTH_NEXTAUTH_V4_COOKIES")),
    )


@dataclass(frozen=True)
class PageSettings:
    url_prefix: str
    sign_in_url: str
    sign_out_url: str
    error_url: str
    sign_in_endpoint: str | None
    sign_out_endpoint: str | None
    error_endpoint: str | None
    #: The canonical origin (``https://host[:port]``), or None: the request's own.
    canonical_url: str | None = None
    max_body_size: int = 64 * 1024
    #: Where Auth.js's REST API is served for its clients (None: not served).
    authjs_api_url: str | None = None
    #: Whose answers it gives: next-auth v4's (4) or Auth.js v5's (5).
    authjs_version: int = 4

    @property
    def sign_in_elsewhere(self) -> bool:
        """The sign-in page is another app's (an absolute URL on another origin)."""
        return "://" in self.sign_in_url


def _page_url(config: Mapping[str, Any], key: str, fallback: str) -> str:
    """A path on this app, or (the sign-in page only) an absolute URL on another origin: an
    auth app on a sibling sub-domain (seed 002)."""
    value = config.get(key, fallback)
    if isinstance(value, str) and value.startswith(("https://", "http://")):
        parts = urlsplit(value)
        try:
            parse_trusted_origin(f"{parts.scheme}://{parts.netloc}")
        except ValueError as exc:
            raise ConfigurationError(key, f"not a usable absolute URL: {exc}") from None
        if not parts.path.startswith("/") or parts.query or parts.fragment:
            raise ConfigurationError(key, f"expected a page URL with a path, got {value!r}")
        return value
    return url(config, key, fallback)


def load_pages(config: Mapping[str, Any]) -> PageSettings:
    prefix = url(config, "JWTAUTH_URL_PREFIX", default("JWTAUTH_URL_PREFIX"))
    base = "" if prefix == "/" else prefix
    return PageSettings(
        url_prefix=prefix,
        sign_in_url=_page_url(config, "JWTAUTH_SIGN_IN_URL", f"{base}/sign-in"),
        sign_out_url=url(config, "JWTAUTH_SIGN_OUT_URL", f"{base}/sign-out"),
        error_url=url(config, "JWTAUTH_ERROR_URL", f"{base}/error"),
        sign_in_endpoint=optional_str(config, "JWTAUTH_SIGN_IN_ENDPOINT"),
        sign_out_endpoint=optional_str(config, "JWTAUTH_SIGN_OUT_ENDPOINT"),
        error_endpoint=optional_str(config, "JWTAUTH_ERROR_ENDPOINT"),
        canonical_url=_canonical(config),
        max_body_size=positive_int(
            config, "JWTAUTH_MAX_BODY_SIZE", default("JWTAUTH_MAX_BODY_SIZE"), 1024
        ),
        authjs_api_url=_authjs_api_url(config, prefix),
        authjs_version=_authjs_version(config),
    )


def _authjs_version(config: Mapping[str, Any]) -> int:
    key = "JWTAUTH_AUTHJS_VERSION"
    value = config.get(key, default(key))
    if isinstance(value, bool) or str(value).strip() not in ("4", "5"):
        raise ConfigurationError(key, f"must be 4 or 5 (next-auth's major version); got {value!r}")
    return int(str(value).strip())


def _authjs_api_url(config: Mapping[str, Any], prefix: str) -> str | None:
    key = "JWTAUTH_AUTHJS_API_URL"
    if config.get(key) is None:
        return None
    value = url(config, key, "/api/auth")
    if value in ("/", prefix):
        raise ConfigurationError(
            key, f"must be a path of its own, not '/' nor JWTAUTH_URL_PREFIX ({prefix})"
        )
    return value


def _canonical(config: Mapping[str, Any]) -> str | None:
    key = "JWTAUTH_URL"
    value = optional_str(config, key)
    if value is None:
        return None
    try:
        origin = parse_trusted_origin(value.rstrip("/"))
    except ValueError as exc:
        raise ConfigurationError(
            key, f"expected the app's origin, e.g. https://app.example.com: {exc}"
        ) from None
    if origin.wildcard:
        raise ConfigurationError(key, "a canonical URL cannot be a wildcard")
    return value.rstrip("/")


@dataclass(frozen=True)
class AccessSettings:
    api_paths: PathRules
    protect_all: bool
    public_paths: PathRules | None
    #: Origins besides our own that a callbackUrl may lead to.
    trusted_origins: tuple[TrustedOrigin, ...] = ()


def _trusted(config: Mapping[str, Any]) -> tuple[TrustedOrigin, ...]:
    key = "JWTAUTH_TRUSTED_ORIGINS"
    raw = config.get(key, default(key))
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, (list, tuple, set, frozenset)):
        raise ConfigurationError(key, f"expected a list of origins, got {raw!r}")
    out = []
    for item in raw:
        try:
            out.append(parse_trusted_origin(item))
        except ValueError as exc:
            raise ConfigurationError(key, str(exc)) from None
    return tuple(out)


def load_access(config: Mapping[str, Any]) -> AccessSettings:
    api = config.get("JWTAUTH_API_PATHS", list(default("JWTAUTH_API_PATHS")))
    return AccessSettings(
        api_paths=compile_paths(api, "JWTAUTH_API_PATHS") or NO_PATHS,
        protect_all=flag(config, "JWTAUTH_PROTECT_ALL", default("JWTAUTH_PROTECT_ALL")),
        public_paths=compile_paths(config.get("JWTAUTH_PUBLIC_PATHS"), "JWTAUTH_PUBLIC_PATHS"),
        trusted_origins=_trusted(config),
    )


@dataclass(frozen=True)
class Theme:
    app_name: str | None
    brand_color: str
    logo_url: str | None
    #: The text on brand-coloured buttons; None picks black or white for contrast.
    button_text_color: str | None = None


def load_theme(config: Mapping[str, Any]) -> Theme:
    brand = colour(config, "JWTAUTH_THEME_BRAND_COLOR", default("JWTAUTH_THEME_BRAND_COLOR"))
    return Theme(
        app_name=optional_str(config, "JWTAUTH_THEME_APP_NAME"),
        brand_color=brand,
        logo_url=optional_str(config, "JWTAUTH_THEME_LOGO_URL"),
        button_text_color=colour(config, "JWTAUTH_THEME_BUTTON_TEXT_COLOR", None),
    )
