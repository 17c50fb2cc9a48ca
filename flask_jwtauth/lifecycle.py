"""The request lifecycle: load and check the session before the view, write it back after.

The hot path (a valid session that is not due to roll) is: read the cookie, one dict lookup
in a bounded memo of verified tokens, a few number comparisons. Decryption happens once per
distinct cookie string; expiry is still checked on every request.

What costs more waits for the first read of the session (:meth:`SessionEngine.resolve`):
renewing the upstream access token and the app's jwt callback. A request that never looks
(a static file, a page that does not care who is signed in) pays for neither.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Response, request

from . import claims, log, signals, upstream
from .callbacks import (
    CallbackError,
    Callbacks,
    base_user,
    default_session,
    run_jwt,
    run_session,
)
from .claims import Claims
from .config import Settings
from .context import WRITES, RequestState, Write, request_state, set_request_state
from .cookies import CookiePolicy, clear_token, read_token, write_token
from .csrf import Csrf
from .errors import SESSION_ENDED, SessionUnavailable
from .foreign import ForeignCookies, chunk_names
from .headers import private
from .memo import Memo
from .refresh import RefreshDeferred, RefreshEnded, Refresher
from .revocation import Revocation
from .startup_checks import HostCheck
from .stores import StoreUnavailable
from .tokens import InvalidToken, TokenCodec, build_codec

Clock = Callable[[], float]

#: Set (for the expiry notice's length) when an expired session's cookie is cleared, so that
#: the next trip to the sign-in page can say why, even after a public page in between.
NOTICE_COOKIE = "jwtauth.session-expired"


class SessionEngine:
    """Owns codecs, memo and clock for one app; ``load``/``save`` are its request hooks."""

    def __init__(
        self,
        settings: Settings,
        callbacks: Callbacks,
        clock: Clock,
        csrf: Csrf,
        revocation: Revocation | None = None,
        refresher: Refresher | None = None,
    ) -> None:
        self.settings = settings
        self.session_settings = settings.session
        self.callbacks = callbacks
        self.clock = clock
        self.csrf = csrf
        self.policy = CookiePolicy.from_settings(settings.cookies)
        insecure, secure = self.policy.names
        self._names = {False: insecure, True: secure}
        self._first_chunk = {False: f"{insecure}.0", True: f"{secure}.0"}
        self._codecs: dict[bool, TokenCodec] = {
            False: build_codec(settings, insecure),
            True: build_codec(settings, secure),
        }
        # One memo per cookie name: the name is the key-derivation salt, so a value verified
        # under one name says nothing about the other.
        self._memos = {
            False: Memo(settings.session.memo_size),
            True: Memo(settings.session.memo_size),
        }
        # The cookie outlives the session by this notice: a browser then still sends an
        # expired session back, and the app can say why it ended.
        self.notice = settings.session.expiry_notice
        self.consumer = settings.consumer
        self.foreign = ForeignCookies(settings, clock)
        self.host_check = HostCheck(settings.cookies.domain)
        self.revocation = revocation
        # A consumer cannot write the renewed tokens back: its peer renews them.
        self.refresher = refresher if not settings.consumer else None
        self.fail_open = settings.store.fail_open

    def init_app(self, app: Flask) -> None:
        # First of the app's hooks, so that the app's own before_request functions (even
        # ones registered before JWTAuth) and the protect-all guard see the session.
        app.before_request_funcs.setdefault(None, []).insert(0, self.load)
        app.after_request(self.save)

    def codec(self, secure: bool) -> TokenCodec:
        return self._codecs[secure]

    # -- reading -------------------------------------------------------------------------

    def decode(self, raw: str, secure: bool) -> Claims | None:
        """Verified claims for a cookie value (memoised), or None when it is not ours."""
        memo = self._memos[secure]
        found = memo.get(raw)
        if found is None:
            try:
                found = self._codecs[secure].decode(raw)
            except InvalidToken as exc:
                log.event("SESSION_INVALID", "session cookie rejected", reason=str(exc))
                return None
            if not claims.valid(found):
                log.event("SESSION_INVALID", "session cookie rejected: claims of the wrong type")
                return None
            memo.put(raw, found)
        return found

    def load(self) -> None:
        state = RequestState()
        set_request_state(state)
        req = request._get_current_object()  # type: ignore[attr-defined]
        forced = self.policy.secure
        secure = state.secure = forced if forced is not None else req.is_secure
        raw = read_token(req.cookies, self._names[secure])
        if raw is None:
            adopted = self.foreign.adopt_v4(req.cookies, secure)
            if adopted is not None:
                state.start(adopted[0], self.clock())
                state.loaded = state.token
                state.pending = self.callbacks.jwt is not None
                state.clear_v4 = adopted[1]
                return
            notice = req.cookies.get(NOTICE_COOKIE)
            if notice is not None:
                state.notice = True
                state.error = notice if notice in SESSION_ENDED else "SessionExpired"
            log.event("SESSION_NONE", "no session cookie", path=req.path)
            return
        found = self.decode(raw, secure)
        mixed = self._first_chunk[secure] in req.cookies and self._names[secure] in req.cookies
        if found is None and mixed:
            # A jar holding a plain cookie and chunks (left over from a peer or an older
            # write): the chunks may be the live session. Reading it rewrites the cookie,
            # which clears what is stale.
            raw = join_chunks(req.cookies, self._names[secure])
            found = self.decode(raw, secure) if raw else None
        if found is None:
            # A cookie shared across sub-domains (JWTAUTH_COOKIE_DOMAIN) that we cannot read
            # may be another app's, under another secret: leave it to its owner. So is any
            # cookie of a consumer, which never writes.
            if self.policy.domain is None and not self.consumer:
                state.forget()
            return
        s = self.session_settings
        now = self.clock()
        if claims.expired(found, now, s):
            log.event("SESSION_EXPIRED", "session expired", sid=found.get("sid"))
            state.forget("SessionExpired")
            if self.consumer:
                state.write = Write.NOTHING
            if signals.session_expired.receivers:
                signals.send(signals.session_expired, token=claims.own_copy(found))
            return
        if claims.not_yet_valid(found, now, s):
            log.event("SESSION_NOT_YET_VALID", "session issued in the future", sid=found.get("sid"))
            state.forget()
            if self.consumer:
                state.write = Write.NOTHING
            return
        if self.revocation is not None and not self._still_valid(found, state):
            return
        state.token = state.loaded = found
        state.pending = self.callbacks.jwt is not None or (
            self.refresher is not None and upstream.CLAIM in found
        )
        if self.consumer:
            state.write = Write.NOTHING
        elif claims.due_to_roll(found, now, s):
            state.write = Write.ROLL
        elif mixed:
            state.write = Write.REWRITE

    def resolve(self, state: RequestState) -> None:
        """The first read of the session: renew the upstream access token when due, then run
        the jwt callback. Raises :class:`SessionUnavailable` (a 503) when the upstream cannot
        answer now; the cookie is kept for the next try."""
        if not state.pending:
            return
        state.pending = False
        token = state.token
        assert token is not None
        if self.refresher is not None and self.refresher.due(token, self.clock()):
            try:
                token = self.refresher.renew(token)
            except RefreshEnded as ended:
                log.event("SESSION_ENDED", "session ended", error=ended.code, sid=token.get("sid"))
                state.forget(ended.code)
                return
            except RefreshDeferred as deferred:
                self._unavailable(state, deferred.retry_after)
                raise SessionUnavailable(deferred.retry_after) from None
            if token != state.token:
                state.rewrite(token)
        if self.callbacks.jwt is None:
            return
        try:
            updated = run_jwt(self.callbacks, token, trigger=None, current=token, user=None)
        except CallbackError:
            # A failing callback (a backend down, say) must not end the session: the
            # request is anonymous and the cookie is kept for the next one.
            log.event("JWT_CALLBACK_ERROR", "the request is anonymous", exc_info=True)
            state.token = None
            state.write = Write.NOTHING
            return
        if updated is None:
            state.forget()
        elif updated != token:
            state.rewrite(updated)

    def _unavailable(self, state: RequestState, retry_after: int) -> None:
        """No session for this request, and no change to the cookie: a 503, not a sign-out."""
        state.token = None
        state.write = Write.NOTHING
        state.error = "ServiceUnavailable"
        state.retry_after = retry_after
        state.session_ready = False
        state.session = None
        state.user = None

    def _still_valid(self, found: Claims, state: RequestState) -> bool:
        """Not revoked. A store that cannot answer fails closed (the request is anonymous,
        the cookie kept, guards answer 503) unless JWTAUTH_STORE_FAIL_OPEN."""
        assert self.revocation is not None
        try:
            revoked = self.revocation.revoked(found)
        except StoreUnavailable as exc:
            if self.fail_open:
                log.event(
                    "STORE_UNAVAILABLE", "session not checked for revocation", reason=str(exc)
                )
                return True
            log.event("STORE_UNAVAILABLE", "session refused (fail closed)", reason=str(exc))
            state.error = "ServiceUnavailable"
            return False
        if revoked:
            log.event("SESSION_REVOKED", "session rejected", sid=found.get("sid"))
            state.forget("SessionRevoked")
            if self.consumer:
                state.write = Write.NOTHING
            if signals.session_revoked.receivers:
                signals.send(signals.session_revoked, token=claims.own_copy(found))
            return False
        return True

    # -- writing -------------------------------------------------------------------------

    def save(self, response: Response) -> Response:
        state = request_state()
        if state is None:
            return response
        touched = state.accessed
        write = state.write
        if write in WRITES and state.token is not None:
            self._write(response, state)
            touched = True
        elif write is Write.CLEAR or write is Write.SIGNED_OUT:
            clear_token(response, self.policy, request)
            self._notice(response, state)
            touched = True
        elif state.notice and state.notice_shown:
            self._notice(response, state)
        if state.clear_v4 is not None:
            for name in [state.clear_v4, *chunk_names(request.cookies, state.clear_v4)]:
                response.delete_cookie(name, path="/", secure=state.secure, httponly=True)
        if state.csrf_cookie is not None or write is Write.ISSUE:
            self.csrf.save(response, state, request)
        if touched:
            private(response)
        return response

    def _notice(self, response: Response, state: RequestState) -> None:
        """Leave the expiry notice when an expired session is cleared; take it away once it
        has been shown, or when the user signs out or in."""
        attrs: dict[str, Any] = {"path": "/", "secure": state.secure, "httponly": True}
        if (
            state.error in SESSION_ENDED
            and state.write is Write.CLEAR
            and not state.notice
            and not state.notice_shown
        ):
            response.set_cookie(
                NOTICE_COOKIE, state.error or "", max_age=self.notice, samesite="Lax", **attrs
            )
        elif state.notice:
            response.delete_cookie(NOTICE_COOKIE, samesite="Lax", **attrs)

    def _write(self, response: Response, state: RequestState) -> None:
        token = state.token
        assert token is not None
        s = self.session_settings
        now = int(self.clock())
        if state.write is not Write.REWRITE or "exp" not in token:
            exp, max_age = claims.timestamps(token, now, s)
            token = {**token, "iat": now, "exp": exp}
        else:
            max_age = max(int(claims.session_end(token, now, s)) - now, 0)
        end = upstream.refresh_end(token)
        if end is not None and end < token["exp"]:
            # The session cannot be renewed past its refresh token's own expiry.
            token = {**token, "exp": int(end)}
            max_age = min(max_age, max(int(end) - now, 0))
        secure = state.secure
        self.host_check(request.host)
        raw = self._codecs[secure].encode(token)
        self._memos[secure].put(raw, token)
        write_token(response, self.policy, request, raw, max_age + self.notice, secure)
        if state.notice:
            response.delete_cookie(NOTICE_COOKIE, path="/", secure=secure, httponly=True)
        state.token = token
        if state.write is Write.ROLL:
            log.event("SESSION_ROLLED", "cookie re-issued", sid=token.get("sid"), exp=token["exp"])
        if state.write is Write.ROLL and signals.session_refreshed.receivers:
            signals.send(signals.session_refreshed, token=claims.own_copy(token))

    # -- reading for views ---------------------------------------------------------------

    def current_session(self) -> dict[str, Any] | None:
        """The session callback's view of the session, built once per request. A callback
        that raises or answers None ends the session: no session means not signed in."""
        state = request_state()
        if state is None:
            return None
        state.accessed = True
        self.resolve(state)
        if not state.session_ready:
            state.session_ready = True
            token = state.token
            if token is not None:
                expires = claims.session_end(token, self.clock(), self.session_settings)
                end = upstream.refresh_end(token)
                if end is not None:
                    expires = min(expires, end)
                try:
                    session = run_session(self.callbacks, token, expires)
                except CallbackError as exc:
                    log.event("SESSION_CALLBACK_ERROR", "the session ends", exc_info=True)
                    state.forget(_code_of(exc.__cause__))
                    state.session_ready = True
                    return None
                if session is None:
                    state.forget()
                    state.session_ready = True
                    return None
                state.session = session
        return state.session

    def current_user(self, state: RequestState) -> dict[str, Any] | None:
        """The session's user dict. With the default session callback it comes straight
        from the token: no session (and no expiry date) is built just to read the user."""
        self.resolve(state)
        if self.callbacks.session is default_session:
            state.accessed = True
            return base_user(state.token) if state.token is not None else None
        session = self.current_session()
        found = session.get("user") if isinstance(session, dict) else None
        return claims.copy_value(found) if isinstance(found, dict) else None

    def signed_in(self, state: RequestState) -> bool:
        """One rule for guards, proxies, endpoints and templates: a session the session
        callback accepts."""
        self.resolve(state)
        if state.token is None:
            return False
        if self.callbacks.session is default_session:
            return True
        return self.current_session() is not None


def join_chunks(cookies: Any, name: str) -> str:
    """``name.0``, ``name.1``, ... joined, ignoring a plain ``name`` beside them."""
    parts: list[str] = []
    while (part := cookies.get(f"{name}.{len(parts)}")) is not None:
        parts.append(part)
    return "".join(parts)


def _code_of(exc: BaseException | None) -> str:
    """The code an app's session callback raised with (``exc.code``), when it is one of the
    codes for a session that ended (``RefreshAccessTokenError``, ...); otherwise the
    session simply expired."""
    code = getattr(exc, "code", None)
    return code if code in SESSION_ENDED else "SessionExpired"
