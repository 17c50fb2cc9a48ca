"""The session cookie in one place, as Auth.js's ``SessionStore``: its names, whether this
request's is the ``__Secure-`` one, reading it (plain, chunked, or both left in one jar),
decoding it once per distinct value, writing it (in chunks when large, stale chunks
expired) and clearing it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from flask import Request, Response

from .. import log
from ..claims import Claims
from ..config import Settings
from ..cookies import CookiePolicy, clear_token, read_token, write_token
from ..memo import Memo
from ..startup_checks import HostCheck
from ..tokens import InvalidToken, TokenCodec, build_codec


@dataclass(frozen=True, slots=True)
class Found:
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
        self._memos = {
            False: Memo(settings.session.memo_size),
            True: Memo(settings.session.memo_size),
        }
        self._well_formed = well_formed
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
        well_formed: bool = False,
    ) -> None:
        """Encode and set ``token``. ``well_formed``: the caller knows it passed the gate
        (a roll re-stamps the times of claims the gate let in)."""
        if self._host_check.domain is not None:
            self._host_check(req.host)
        raw = self._codecs[secure].encode(token)
        if well_formed or self._well_formed(token):
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
