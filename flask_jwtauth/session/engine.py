"""The request's session: load and check it before the view, resolve it on first read,
write it back after.

The hot path (a valid session that is not due to roll) is: read the cookie, one dict lookup
in a bounded memo of verified tokens, the gate's few number comparisons. Decryption happens
once per distinct cookie string; expiry is still checked on every request.

What costs more waits for the first read of the session (:meth:`SessionEngine.resolve`):
renewing the upstream access token and the app's jwt callback. A request that never looks
(a static file, a page that does not care who is signed in) pays for neither.
"""

from __future__ import annotations

import math
from typing import Any

from flask import Flask, Request, Response
from flask.globals import _cv_request

from .. import claims, log, signals, upstream
from ..callbacks import CallbackError, Callbacks, base_user, default_session, run_jwt, run_session
from ..claims import Claims
from ..clock import Clock, stamp
from ..config import Settings
from ..csrf import Csrf
from ..errors import SESSION_ENDED, ErrorCode, SessionUnavailable
from ..headers import private
from ..refresh import RefreshDeferred, RefreshEnded, Refresher
from .cookie import SessionCookie
from .gate import Gate, Refusal
from .migration import V4Migration
from .notice import LIVE_COOKIE, NOTICE_COOKIE, ExpiryNotice
from .state import WRITES, RequestState, Write, request_state, set_request_state

#: Writes after which the notice part has something to do (set, take away, or mark).
_NOTICE_WRITES = frozenset({Write.CLEAR, Write.SIGNED_OUT, Write.ISSUE})
#: Without an absolute cap, activity may keep a session alive indefinitely.
_NO_CAP = 400 * 86400


class SessionEngine:
    """One app's sessions; ``load``/``save`` are its request hooks."""

    def __init__(
        self,
        settings: Settings,
        callbacks: Callbacks,
        clock: Clock,
        csrf: Csrf,
        gate: Gate,
        notice: ExpiryNotice,
        refresher: Refresher | None = None,
    ) -> None:
        self.session_settings = settings.session
        self.callbacks = callbacks
        self.clock = clock
        self.csrf = csrf
        self.gate = gate
        self.cookie = SessionCookie(settings, gate.well_formed)
        self.notice = notice
        #: A consumer reads sessions a peer issues and never writes a cookie: not its
        #: own, not a renewal (its peer renews), not a notice.
        self.read_only = settings.consumer
        self.migration = (
            V4Migration(settings) if settings.cookies.read_v4 and not settings.consumer else None
        )
        self.refresher = refresher if not settings.consumer else None

    def init_app(self, app: Flask) -> None:
        # First of the app's hooks, so that the app's own before_request functions (even
        # ones registered before JWTAuth) and the protect-all guard see the session.
        app.before_request_funcs.setdefault(None, []).insert(0, self.load)
        app.after_request(self.save)

    # -- before the view -----------------------------------------------------------------

    def load(self) -> None:
        state = RequestState(self)
        set_request_state(state)
        # Flask's context variable rather than the request proxy: a few times cheaper.
        req = _cv_request.get().request
        secure = state.secure = self.cookie.is_secure(req)
        found = self.cookie.read(req.cookies, secure)
        if not found.present:
            if self.migration is None or not self._adopt(req.cookies, state):
                if NOTICE_COOKIE in req.cookies or LIVE_COOKIE in req.cookies:
                    self.notice.load(req.cookies, state)
                log.event("SESSION_NONE", "no session cookie", path=req.path)
            return
        token = found.claims
        if token is None:
            # A cookie shared across sub-domains that we cannot read may be a sibling app's
            # (another secret): leave it to its owner.
            if not self.cookie.shared:
                state.forget()
            return
        # The clock's source itself, read once: the one time of this request's checks.
        now = self.clock.source()
        refusal = self.gate.admit(token, now, well_formed=True)
        if refusal is not None:
            self._refuse(state, refusal)
            return
        state.token = state.loaded = token
        state.pending = self.callbacks.jwt is not None or (
            self.refresher is not None and upstream.CLAIM in token
        )
        if claims.due_to_roll(token, now, self.session_settings):
            state.write = Write.ROLL
        elif found.mixed:
            state.write = Write.REWRITE

    def _adopt(self, cookies: Any, state: RequestState) -> bool:
        """A next-auth v4 session, through the same gate, re-issued in our format."""
        assert self.migration is not None
        adopted = self.migration.adopt(cookies, state.secure)
        if adopted is None:
            return False
        token, name = adopted
        refusal = self.gate.admit(token)
        if refusal is not None:
            log.event("V4_SESSION_IGNORED", "next-auth v4 cookie not adopted", error=refusal.error)
            if refusal.clear:
                return False  # not a session of ours to speak of: left alone
            state.error = refusal.error
            return True
        log.event("V4_SESSION_ADOPTED", "re-issued in the current format", sub=token.get("sub"))
        state.start(token, self.clock())
        state.loaded = state.token
        state.pending = self.callbacks.jwt is not None
        state.clear_v4 = name
        return True

    @staticmethod
    def _refuse(state: RequestState, refusal: Refusal) -> None:
        if refusal.clear:
            state.forget(refusal.error)
        else:
            # Not a sign-out: no session for this request, the cookie kept for the next.
            state.error = refusal.error

    def resolve(self, state: RequestState) -> None:
        """The first read of the session: renew the upstream access token while it is due,
        then run the jwt callback. Raises :class:`SessionUnavailable` (a 503) when the
        upstream cannot answer now; the cookie is kept for the next try."""
        if not state.pending:
            return
        state.pending = False
        token = state.token
        assert token is not None
        if self.refresher is not None:
            try:
                token = self._renewed(token, self.refresher)
            except RefreshEnded as ended:
                log.event("SESSION_ENDED", "session ended", error=ended.error, sid=token.get("sid"))
                state.forget(ended.error)
                return
            except RefreshDeferred as deferred:
                self._unavailable(state, deferred.retry_after)
                raise SessionUnavailable(deferred.retry_after) from None
            if token is not state.token:
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

    def _renewed(self, token: Claims, refresher: Refresher) -> Claims:
        """Fresh upstream tokens when due. A result another request stashed may itself have
        expired since (an access token shorter than the stash): renewed once more with the
        refresh token it brought, so no view ever gets an expired access token."""
        if not refresher.due(token, self.clock()):
            return token
        renewed = refresher.renew(token)
        if renewed is not token and upstream.expired(renewed, self.clock()):
            renewed = refresher.renew(renewed)
            if upstream.expired(renewed, self.clock()):
                raise RefreshDeferred(1, "the upstream answered an expired access token")
        # The same token back: not ours to renew (a sibling app's provider); access_token()
        # hides it once expired.
        return renewed

    @staticmethod
    def _unavailable(state: RequestState, retry_after: int) -> None:
        """No session for this request, and no change to the cookie: a 503, not a sign-out."""
        state.token = None
        state.write = Write.NOTHING
        state.error = ErrorCode.SERVICE_UNAVAILABLE
        state.retry_after = retry_after
        state.session_ready = False
        state.session = None
        state.user = None

    # -- after the view ------------------------------------------------------------------

    def save(self, response: Response) -> Response:
        state = request_state()
        if state is None:
            return response
        touched = state.accessed
        if not self.read_only:
            write = state.write
            changed = False
            req = _cv_request.get().request
            if write in WRITES and state.token is not None:
                self._write(response, state, req)
                changed = True
            elif write is Write.CLEAR or write is Write.SIGNED_OUT:
                self.cookie.clear(response, req)
                changed = True
            if state.notice or write in _NOTICE_WRITES:
                self.notice.save(response, state, req)
            if self.migration is not None:
                self.migration.save(response, state, req)
            if state.csrf_cookie is not None or write is Write.ISSUE:
                self.csrf.save(response, state, req)
            touched = touched or changed
        if touched:
            private(response)
        return response

    def _write(self, response: Response, state: RequestState, req: Request) -> None:
        token = state.token
        assert token is not None
        s = self.session_settings
        now = stamp(self.clock.source())
        rolled = state.write is Write.ROLL
        # Claims as the gate let them in, only re-stamped: nothing new to check or encode.
        unchanged = token if rolled and token is state.loaded else None
        if rolled or state.write is Write.ISSUE or "exp" not in token:
            exp, max_age = claims.timestamps(token, now, s)
            token = {**token, "iat": now, "exp": exp}
        else:
            max_age = max(claims.session_end(token, now, s) - now, 0)
        if upstream.CLAIM in token:
            end = upstream.refresh_end(token)
            if end is not None and end < token["exp"]:
                # The session cannot be renewed past its refresh token's own expiry.
                token = {**token, "exp": stamp(end)}
                max_age = min(max_age, max(end - now, 0))
        # Exactly the session's own life (seed 001); the notice marker outlives it.
        lifetime = math.ceil(max_age)
        self.cookie.write(response, req, token, lifetime, state.secure, rolled_from=unchanged)
        if state.write is Write.ISSUE:
            cap = s.absolute_max_age
            self.notice.mark(response, state, cap if cap is not None else _NO_CAP)
        state.token = token
        if rolled:
            log.event("SESSION_ROLLED", "cookie re-issued", sid=token.get("sid"), exp=token["exp"])
            if signals.session_refreshed.receivers:
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


def _code_of(exc: BaseException | None) -> str:
    """The code an app's session callback raised with (``exc.code``), when it is one of the
    codes for a session that ended (``RefreshAccessTokenError``, ...); otherwise the
    session simply expired."""
    code = getattr(exc, "code", None)
    return code if code in SESSION_ENDED else ErrorCode.SESSION_EXPIRED
