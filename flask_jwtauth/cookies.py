"""The session cookie: its name, its flags, and chunking past the ~4 KB browser limit.

Chunks are named ``<name>.0``, ``<name>.1``, ... as Auth.js names them, so a large session
written by either side reads on the other.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from flask import Request, Response
from werkzeug.http import http_date

from .config import CookieSettings


@dataclass(frozen=True)
class CookiePolicy:
    """Names and flags, fixed at start-up; ``secure`` None means "when the request is HTTPS"."""

    name: str
    secure: bool | None
    domain: str | None
    path: str
    samesite: str
    chunk_size: int
    _tails: dict[bool, tuple[str, str]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_settings(cls, settings: CookieSettings) -> CookiePolicy:
        return cls(
            name=settings.name,
            secure=settings.secure,
            domain=settings.domain,
            path=settings.path,
            samesite=settings.samesite,
            chunk_size=settings.chunk_size,
        )

    def is_secure(self, request: Request) -> bool:
        return request.is_secure if self.secure is None else self.secure

    def name_for(self, secure: bool) -> str:
        """Secure cookies carry the ``__Secure-`` prefix, as Auth.js names them."""
        return f"__Secure-{self.name}" if secure else self.name

    def __post_init__(self) -> None:
        # Every fixed attribute, formatted once, completely, before the policy is shared
        # between threads (no cache filled lazily on the first request). Formatted here
        # rather than sliced out of Werkzeug's output: Werkzeug drops a Domain's leading dot,
        # which once shifted the slices and fused "Max-Age=...; Secure" into one attribute.
        domain = f"; Domain={self.domain.lstrip('.')}" if self.domain else ""
        for flag in (False, True):
            secure = "; Secure" if flag else ""
            tail = f"{secure}; HttpOnly; Path={self.path}; SameSite={self.samesite}"
            self._tails[flag] = (domain, tail)

    def header(self, name: str, value: str, max_age: int, secure: bool) -> str:
        """One session Set-Cookie header (the cookie, a chunk, or a deletion with max_age 0):
        ``name=value; [Domain=..; ]Expires=..; Max-Age=..; [Secure; ]HttpOnly; Path=..;
        SameSite=..``."""
        domain, tail = self._tails[secure]
        expires = _expires(max_age) if max_age else _EPOCH
        return f"{name}={value}{domain}; Expires={expires}; Max-Age={max_age}{tail}"

    @property
    def names(self) -> tuple[str, str]:
        """Both possible names; the JWE key is derived per name (it is the HKDF salt)."""
        return self.name, self.name_for(True)


def read_token(cookies: Mapping[str, str], name: str) -> str | None:
    """The whole token: the plain cookie, or its numbered chunks joined in order."""
    value = cookies.get(name)
    if value is not None:
        return value
    if f"{name}.0" not in cookies:
        return None
    parts: list[str] = []
    index = 0
    while (part := cookies.get(f"{name}.{index}")) is not None:
        parts.append(part)
        index += 1
    return "".join(parts)


def split(token: str, name: str, size: int) -> dict[str, str]:
    """The cookies that carry ``token``: itself under ``name``, or ``name.0``, ``name.1``..."""
    if len(token) <= size:
        return {name: token}
    return {
        f"{name}.{i}": token[start : start + size]
        for i, start in enumerate(range(0, len(token), size))
    }


def _existing_names(cookies: Mapping[str, str], name: str) -> set[str]:
    prefix = f"{name}."
    return {
        key
        for key in cookies
        if key == name or (key.startswith(prefix) and key[len(prefix) :].isdigit())
    }


def write_token(
    response: Response,
    policy: CookiePolicy,
    request: Request,
    token: str,
    max_age: int,
    secure: bool,
) -> None:
    """Set the token (in chunks when large) and expire any chunk it no longer uses."""
    name = policy.name_for(secure)
    size = policy.chunk_size
    if len(token) > size - _HEADROOM:
        # Near the limit: keep each whole Set-Cookie header within what browsers (and
        # Werkzeug, which warns past it) accept, whatever the name, Domain and Path add.
        size = min(size, max(_MAX_HEADER - _overhead(policy, name, secure, max_age), 256))
    cookies = request.cookies
    if len(token) <= size:
        # The common case, on the hot path when sessions roll: one header, its fixed
        # attributes formatted once at start-up (the token is base64url: nothing to quote).
        response.headers.add("Set-Cookie", policy.header(name, token, max_age, secure))
        if f"{name}.0" in cookies:
            for stale in _existing_names(cookies, name) - {name}:
                _expire(response, policy, stale, secure)
        return
    chunks = split(token, name, size)
    for key, value in chunks.items():
        response.headers.add("Set-Cookie", policy.header(key, value, max_age, secure))
    for stale in _existing_names(cookies, name) - chunks.keys():
        _expire(response, policy, stale, secure)


_MAX_HEADER = 4093  # Werkzeug's max_cookie_size: a whole Set-Cookie value that browsers keep
_HEADROOM = 512


def _overhead(policy: CookiePolicy, name: str, secure: bool, max_age: int) -> int:
    """The length of a Set-Cookie header for an empty chunk of ``name`` (index up to 99)."""
    return len(policy.header(f"{name}.99", "", max_age, secure))


_last_expires: tuple[int, str] = (0, "")


def _expires(max_age: int) -> str:
    """The Expires date for a Max-Age from now (wall clock, as Werkzeug), cached per second."""
    global _last_expires
    at = int(time.time()) + max_age
    cached_at, text = _last_expires
    if cached_at != at:
        text = http_date(at)
        _last_expires = (at, text)
    return text


def clear_token(response: Response, policy: CookiePolicy, request: Request) -> None:
    """Expire the cookie and all of its chunks, under whichever name the browser sent."""
    for secure in (False, True):
        name = policy.name_for(secure)
        for key in _existing_names(request.cookies, name):
            _expire(response, policy, key, secure)


def _expire(response: Response, policy: CookiePolicy, key: str, secure: bool) -> None:
    response.headers.add("Set-Cookie", policy.header(key, "", 0, secure))


_EPOCH = "Thu, 01 Jan 1970 00:00:00 GMT"
