"""The session cookie in one place, as Auth.js's ``SessionStore``: its names and flags,
whether this request's is the ``__Secure-`` one, reading it (plain, chunked past the ~4 KB
browser limit, or both left in one jar), decoding it once per distinct value, writing it
(in chunks when large, stale chunks expired) and clearing it.

Chunks are named ``<name>.0``, ``<name>.1``, ... as Auth.js names them, so a large session
written by either side reads on the other.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple, TypeVar

from flask import Request, Response
from werkzeug.http import http_date

from .. import log
from ..claims import Claims
from ..config import CookieSettings, Settings
from ..startup_checks import HostCheck
from ..tokens import InvalidToken, JWECodec, TokenCodec, build_codec, compact_json


class Found(NamedTuple):
    """What a request brought: ``present`` when it had the cookie; ``claims`` when that
    cookie is ours and well formed; ``mixed`` when a plain cookie and chunks came together
    (the next write must clear what is stale)."""

    present: bool
    claims: Claims | None = None
    mixed: bool = False


ABSENT = Found(False)


class SessionCookie:
    def __init__(self, settings: Settings, well_formed: Callable[[Claims], bool]) -> None:
        self.policy = CookiePolicy.from_settings(settings.cookies)
        insecure, secure = self.policy.names
        self._names = {False: insecure, True: secure}
        self._first_chunk = {False: f"{insecure}.0", True: f"{secure}.0"}
        self._codecs: dict[bool, TokenCodec] = {
            False: build_codec(settings, insecure),
            True: build_codec(settings, secure),
        }
        # One memo per name: the name is the key-derivation salt, so a value verified under
        # one name says nothing about the other. Only well-formed claims are kept.
        self._memos: dict[bool, Memo[str, Claims]] = {
            False: Memo(settings.session.memo_size),
            True: Memo(settings.session.memo_size),
        }
        self._well_formed = well_formed
        #: id(claims) -> (those claims, their JSON without iat/exp and the closing brace),
        #: for claims this process wrote by a roll: the next roll reuses the text.
        self._bodies: Memo[int, tuple[Claims, str]] = Memo(settings.session.memo_size)
        #: Shared across sub-domains: a cookie we cannot read may be a sibling app's.
        self.shared = settings.cookies.domain is not None
        self._host_check = HostCheck(settings.cookies.domain)

    def is_secure(self, req: Request) -> bool:
        """The one rule for every cookie of ours (session, CSRF, notice): forced by
        ``JWTAUTH_COOKIE_SECURE``, else whether the request came over HTTPS."""
        forced = self.policy.secure
        return forced if forced is not None else req.is_secure

    def name(self, secure: bool) -> str:
        return self._names[secure]

    def codec(self, secure: bool) -> TokenCodec:
        return self._codecs[secure]

    def decode(self, raw: str, secure: bool) -> Claims | None:
        """Verified, well-formed claims for a cookie value (memoised), or None."""
        memo = self._memos[secure]
        found = memo.get(raw)
        if found is None:
            try:
                found = self._codecs[secure].decode(raw)
            except InvalidToken as exc:
                log.event("SESSION_INVALID", "session cookie rejected", reason=str(exc))
                return None
            if not self._well_formed(found):
                log.event("SESSION_INVALID", "session cookie rejected: claims missing or mistyped")
                return None
            memo.put(raw, found)
        return found

    def read(self, cookies: Mapping[str, str], secure: bool) -> Found:
        name = self._names[secure]
        raw = read_token(cookies, name)
        if raw is None:
            return ABSENT
        found = self.decode(raw, secure)
        mixed = self._first_chunk[secure] in cookies and name in cookies
        if found is None and mixed:
            # A jar holding a plain cookie and chunks (left by a peer or an older write):
            # the chunks may be the live session.
            joined = join_chunks(cookies, name)
            found = self.decode(joined, secure) if joined else None
        return Found(True, found, mixed)

    def write(
        self,
        response: Response,
        req: Request,
        token: Claims,
        max_age: int,
        secure: bool,
        *,
        rolled_from: Claims | None = None,
    ) -> None:
        """Encode and set ``token``. ``rolled_from``: ``token`` is these claims, which the
        gate let in, with new ``iat`` and ``exp`` (a roll): nothing to check again, and
        their JSON but the times is reused (serialising is a third of a roll's cost)."""
        if self._host_check.domain is not None:
            self._host_check(req.host)
        codec = self._codecs[secure]
        if rolled_from is not None and isinstance(codec, JWECodec):
            body = self._bodies.get(id(rolled_from))
            if body is not None and body[0] is rolled_from:
                text = body[1]
            else:  # claims decoded from a cookie: their text, for the next roll of them too
                text = _untimed(token)
                self._bodies.put(id(rolled_from), (rolled_from, text))
            # Finite numbers (the gate's rule): repr is their JSON.
            times = f'"iat":{token["iat"]!r},"exp":{token["exp"]!r}}}'
            raw = codec.seal((text + times).encode())
            self._bodies.put(id(token), (token, text))
        else:
            raw = codec.encode(token)
        if rolled_from is not None or self._well_formed(token):
            # Read back from the memo on the next request, so only what the gate would let
            # in (the test client may write any claims it is given).
            self._memos[secure].put(raw, token)
        write_token(response, self.policy, req, raw, max_age, secure)

    def clear(self, response: Response, req: Request) -> None:
        clear_token(response, self.policy, req)


def join_chunks(cookies: Mapping[str, str], name: str) -> str:
    """``name.0``, ``name.1``, ... joined, ignoring a plain ``name`` beside them."""
    parts: list[str] = []
    while (part := cookies.get(f"{name}.{len(parts)}")) is not None:
        parts.append(part)
    return "".join(parts)


# -- the cookie's format: names, flags, chunks -----------------------------------------


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
    _named: dict[bool, str] = field(default_factory=dict, compare=False, repr=False)

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
        return self._named[secure]

    def __post_init__(self) -> None:
        # Every fixed attribute, formatted once, completely, before the policy is shared
        # between threads (no cache filled lazily on the first request). Formatted here
        # rather than sliced out of Werkzeug's output: Werkzeug drops a Domain's leading dot,
        # which once shifted the slices and fused "Max-Age=...; Secure" into one attribute.
        domain = f"; Domain={self.domain.lstrip('.')}" if self.domain else ""
        self._named.update({False: self.name, True: f"__Secure-{self.name}"})
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
        return self._named[False], self._named[True]


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
        _add_cookie_header(response, policy.header(name, token, max_age, secure))
        if f"{name}.0" in cookies:
            for stale in _existing_names(cookies, name) - {name}:
                _expire(response, policy, stale, secure)
        return
    chunks = split(token, name, size)
    for key, value in chunks.items():
        response.headers.add("Set-Cookie", policy.header(key, value, max_age, secure))
    for stale in _existing_names(cookies, name) - chunks.keys():
        _expire(response, policy, stale, secure)


def _add_cookie_header(response: Response, value: str) -> None:
    """``response.headers.add("Set-Cookie", value)`` without Werkzeug's per-call check for
    line breaks (a third of a re-issue's header cost): the value is base64url and
    attributes fixed at start-up, so it has none. Falls back to ``add`` if Werkzeug's
    ``Headers`` ever stops keeping a plain list."""
    pairs = getattr(response.headers, "_list", None)
    if isinstance(pairs, list):
        pairs.append(("Set-Cookie", value))
    else:
        response.headers.add("Set-Cookie", value)


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


# -- the memo of verified values -------------------------------------------------------


K = TypeVar("K")
V = TypeVar("V")


class Memo(OrderedDict[K, V]):
    """Verified claims by exact cookie string (and the like), bounded, oldest entry evicted
    first. ``get`` is the dict's own (no Python call on the hot path).

    The claims it holds are shared by every request with that cookie: nothing handed to app
    code may be one of them (see :func:`flask_jwtauth.claims.own_copy`).
    """

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def put(self, key: K, value: V) -> None:
        if self.size == 0:
            return
        if len(self) >= self.size:
            # try/except, not contextlib.suppress: free when nothing is raised, and this runs
            # on every re-issue once the memo is full. Another thread may evict at the same
            # moment; losing that race is harmless.
            try:  # noqa: SIM105
                self.popitem(last=False)
            except KeyError:
                pass
        self[key] = value


def _untimed(token: Claims) -> str:
    """``token``'s JSON without ``iat`` and ``exp``, open at the end for them."""
    text = compact_json({k: v for k, v in token.items() if k != "iat" and k != "exp"})
    return text[:-1] + "," if len(text) > 2 else "{"
