"""The request lifecycle: load and validate the session before the view, write it back after.

The hot path (a valid session that is not due to roll) is: read the cookie, one dict lookup
in a bounded memo of verified tokens, three number comparisons. Decryption happens once per
distinct cookie string; expiry is still checked on every request.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, request
from flask.ctx import AppContext
from flask.globals import _cv_app

from . import signals
from .callbacks import Callbacks, base_session, base_user, default_session, default_token
from .config import Settings
from .cookies import CookiePolicy, clear_token, read_token, write_token
from .tokens import Claims, InvalidToken, TokenCodec, build_codec

logger = logging.getLogger("flask_jwtauth")

Clock = Callable[[], float]

# What the request needs written back: nothing; the token with a fresh expiry because it
# rolled (signals session_refreshed); the changed token with its expiry kept; a new or
# updated session with a fresh expiry (sign-in, update: no refreshed signal).
KEEP, ROLL, REWRITE, ISSUE = 0, 1, 2, 3

# Claims the engine owns; a jwt callback that leaves them out keeps the current values.
_RESERVED = ("iat", "exp", "auth_time", "jti")

DAY = 24 * 3600


@dataclass(eq=False, slots=True)
class RequestState:
    """What ``load`` found, and what ``save`` must do; one per request, on ``g``."""

    token: Claims | None = None
    loaded: Claims | None = None  # the session as the cookie brought it (after the jwt callback)
    write: int = KEEP
    secure: bool = False  # HTTPS (or forced): picks the cookie name, its codec and memo
    clear: bool = False
    signed_out: bool = False
    error: str | None = None
    accessed: bool = False
    session: dict[str, Any] | None = field(default=None)
    session_ready: bool = False
    user: Any = None  # current_user's object, built once; reset when the session changes


class Memo:
    """Verified claims by exact cookie string, bounded, oldest entry evicted first."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._data: OrderedDict[str, Claims] = OrderedDict()

    def get(self, key: str) -> Claims | None:
        return self._data.get(key)

    def put(self, key: str, claims: Claims) -> None:
        if self._size == 0:
            return
        data = self._data
        if len(data) >= self._size:
            # Another thread may evict at the same moment; losing that race is harmless.
            with contextlib.suppress(KeyError):
                data.popitem(last=False)
        data[key] = claims


_CONTAINERS = (dict, list)


def _copy_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy_value(v) for v in value]
    return value


def own_copy(claims: Claims) -> Claims:
    """A copy app code may change freely: verified claims are shared with the memo."""
    out = claims.copy()
    for key, value in out.items():
        if isinstance(value, _CONTAINERS):
            out[key] = _copy_value(value)
    return out


def _valid_claims(claims: Claims) -> bool:
    exp, iat = claims.get("exp"), claims.get("iat")
    return (
        isinstance(exp, (int, float))
        and isinstance(iat, (int, float, type(None)))
        and isinstance(claims.get("auth_time"), (int, float, type(None)))
        and isinstance(claims.get("sub", ""), str)
    )


class SessionEngine:
    """Owns codecs, memo and clock for one app; ``load``/``save`` are its request hooks."""

    def __init__(self, settings: Settings, callbacks: Callbacks, clock: Clock) -> None:
        self.settings = settings
        self.callbacks = callbacks
        self.clock = clock
        self.policy = CookiePolicy.from_settings(settings)
        insecure, secure = self.policy.names
        self._names = {False: insecure, True: secure}
        self._codecs: dict[bool, TokenCodec] = {
            False: build_codec(settings, insecure),
            True: build_codec(settings, secure),
        }
        # One memo per cookie name: the name is the key-derivation salt, so a value verified
        # under one name says nothing about the other.
        self.memo = Memo(settings.memo_size)
        self.secure_memo = Memo(settings.memo_size)
        # The cookie's Max-Age is the session's remaining life plus this grace (the session's
        # length, at most a day): a browser then still sends an expired session back once,
        # and the app can say why it ended (sign-in page with error=SessionExpired, JSON 401
        # {"error": "SessionExpired"}) instead of the user silently finding themselves out.
        self.grace = min(settings.session_max_age, DAY)

    def init_app(self, app: Flask) -> None:
        # First of the app's hooks, so that the app's own before_request functions (even
        # ones registered before JWTAuth) and the protect-all guard see the session.
        app.before_request_funcs.setdefault(None, []).insert(0, self.load)
        app.after_request(self.save)

    # -- reading -------------------------------------------------------------------------

    def codec(self, secure: bool) -> TokenCodec:
        return self._codecs[secure]

    def decode(self, raw: str, secure: bool) -> Claims | None:
        """Verified claims for a cookie value (memoised), or None when it is not ours."""
        memo = self.secure_memo if secure else self.memo
        claims = memo.get(raw)
        if claims is None:
            try:
                claims = self._codecs[secure].decode(raw)
            except InvalidToken as exc:
                logger.debug("session cookie rejected: %s", exc)
                return None
            if not _valid_claims(claims):
                return None
            memo.put(raw, claims)
        return claims

    def expired(self, claims: Claims, now: float) -> bool:
        s = self.settings
        if now >= claims["exp"] + s.leeway:
            return True
        iat = claims.get("iat")
        if iat is not None and now >= iat + s.session_max_age + s.leeway:
            return True
        auth_time = claims.get("auth_time")
        return (
            s.absolute_max_age is not None
            and auth_time is not None
            and now >= auth_time + s.absolute_max_age + s.leeway
        )

    def load(self) -> None:
        state = RequestState()
        _app_ctx().g._jwtauth = state
        req = request._get_current_object()  # type: ignore[attr-defined]
        forced = self.policy.secure
        secure = forced if forced is not None else req.is_secure
        state.secure = secure
        raw = read_token(req.cookies, self._names[secure])
        if raw is None:
            return
        claims = self.decode(raw, secure)
        if claims is None:
            state.clear = True
            return
        now = self.clock()
        if self.expired(claims, now):
            state.clear = True
            state.error = "SessionExpired"
            if signals.session_expired.receivers:
                signals.send(signals.session_expired, token=own_copy(claims))
            return
        if self.callbacks.jwt is not None:
            try:
                updated = self.callbacks.jwt(
                    token=own_copy(claims), user=None, account=None, trigger=None
                )
            except Exception:
                # A failing callback (a backend down, say) must not end the session: the
                # request is anonymous and the cookie is kept for the next one.
                logger.exception("the jwt callback raised; treating the request as anonymous")
                return
            if updated is None:
                state.clear = True
                return
            if not isinstance(updated, dict):
                logger.error(
                    "the jwt callback returned %s, not a dict or None; treating the request "
                    "as anonymous",
                    type(updated).__name__,
                )
                return
            for key in _RESERVED:
                if key not in updated and key in claims:
                    updated[key] = claims[key]
            if updated != claims:
                if not _valid_claims(updated):
                    logger.error(
                        "the jwt callback returned a token with invalid exp/iat/auth_time/sub; "
                        "treating the request as anonymous"
                    )
                    return
                claims = updated
                state.write = REWRITE
        state.token = state.loaded = claims
        update_age = self.settings.session_update_age
        if update_age is not None and now - claims.get("iat", 0) >= update_age:
            state.write = ROLL

    # -- changing ------------------------------------------------------------------------

    def mint(self, claims: Claims) -> Claims:
        """Fresh session claims at sign-in: new ``jti``, ``auth_time`` and ``iat`` now."""
        now = int(self.clock())
        token = dict(claims)
        token.update(iat=now, auth_time=now, jti=str(uuid.uuid4()))
        return token

    def issue(self, user: Any, *, extra: Claims | None = None, secure: bool = False) -> str:
        """A complete cookie value for ``user``, as a sign-in would mint it (for tests, tools)."""
        token = self.mint({**default_token(user), **(extra or {})})
        if self.callbacks.jwt is not None:
            account = {"provider": "test", "type": "test", "providerAccountId": token["sub"]}
            token = self.callbacks.jwt(token=token, user=user, account=account, trigger="sign_in")
            if token is None:
                raise ValueError("the jwt callback refused this user")
        token = self._fresh(token)
        now = int(self.clock())
        exp, _ = self.timestamps(token, now)
        return self._codecs[secure].encode({**token, "iat": now, "exp": exp})

    def _fresh(self, token: Claims, previous: Claims | None = None) -> Claims:
        """``token`` minus ``exp``, with the session's id and start kept or made."""
        token = {k: v for k, v in token.items() if k != "exp"}
        if "auth_time" not in token or "jti" not in token:
            # A jwt callback built a new dict: the session still needs its id and its start
            # (the absolute cap counts from it), the current ones if there is a session.
            now = int(self.clock())
            previous = previous or {}
            token.setdefault("auth_time", previous.get("auth_time", token.get("iat", now)))
            token.setdefault("jti", previous.get("jti") or str(uuid.uuid4()))
        return token

    def start(self, state: RequestState, token: Claims) -> None:
        """Make ``token`` the request's session and have it written with a fresh expiry."""
        state.token = self._fresh(token)
        state.write = ISSUE
        state.signed_out = False
        state.clear = False
        state.error = None
        state.session_ready = False
        state.user = None

    def touch(self, state: RequestState) -> None:
        """The token changed on purpose (an update): write it with a fresh expiry."""
        if state.token is not None:
            state.token = self._fresh(state.token, state.loaded)
        state.write = ISSUE
        state.session_ready = False
        state.user = None

    def end(self, state: RequestState) -> None:
        """Sign out: clear the cookie, and let nothing set a session on this response."""
        state.token = None
        state.write = KEEP
        state.clear = True
        state.signed_out = True
        state.session_ready = False
        state.user = None

    def timestamps(self, token: Claims, now: int) -> tuple[int, int]:
        """(exp, cookie max-age) for a token (re)issued at ``now``, within the absolute cap."""
        s = self.settings
        exp = now + s.jwt_max_age
        max_age = s.session_max_age
        auth_time = token.get("auth_time")
        if s.absolute_max_age is not None and isinstance(auth_time, (int, float)):
            cap = int(auth_time) + s.absolute_max_age
            exp = min(exp, cap)
            max_age = min(max_age, cap - now)
        return exp, max(max_age, 0)

    def session_expires(self, token: Claims) -> float:
        """When the session ends if idle: the earlier of token exp and iat + idle lifetime."""
        if "exp" not in token:
            # (Re)issued by this request (sign-in, update): it will be written with iat = now.
            now = int(self.clock())
            exp, _ = self.timestamps(token, now)
            return float(min(exp, now + self.settings.session_max_age))
        iat = token.get("iat")
        idle_end = (iat + self.settings.session_max_age) if iat is not None else token["exp"]
        return float(min(token["exp"], idle_end))

    # -- writing -------------------------------------------------------------------------

    def save(self, response: Response) -> Response:
        state = request_state()
        if state is None:
            return response
        touched = state.accessed
        if state.write and state.token is not None and not state.signed_out:
            self._write(response, state)
            touched = True
        elif state.clear:
            clear_token(response, self.policy, request)
            touched = True
        if touched:
            private(response)
        return response

    def _write(self, response: Response, state: RequestState) -> None:
        token = state.token
        assert token is not None
        now = int(self.clock())
        if state.write != REWRITE or "exp" not in token:
            exp, max_age = self.timestamps(token, now)
            token = {**token, "iat": now, "exp": exp}
        else:
            max_age = max(int(self.session_expires(token)) - now, 0)
        secure = state.secure
        raw = self._codecs[secure].encode(token)
        (self.secure_memo if secure else self.memo).put(raw, token)
        write_token(response, self.policy, request, raw, max_age + self.grace, secure)
        state.token = token
        if state.write == ROLL and signals.session_refreshed.receivers:
            signals.send(signals.session_refreshed, token=own_copy(token))

    # -- reading for views ---------------------------------------------------------------

    def current_session(self) -> dict[str, Any] | None:
        state = request_state()
        if state is None:
            return None
        state.accessed = True
        if not state.session_ready:
            state.session_ready = True
            token = state.token
            if token is not None:
                token = own_copy(token)
                session = base_session(token, self.session_expires(token))
                state.session = self.callbacks.session(session=session, token=token)
        return state.session

    def current_user(self, state: RequestState) -> dict[str, Any] | None:
        """The session's user dict. With the default session callback it comes straight
        from the token: no session (and no expiry date) is built just to read the user."""
        if self.callbacks.session is default_session:
            state.accessed = True
            return base_user(state.token) if state.token is not None else None
        session = self.current_session()
        found = session.get("user") if isinstance(session, dict) else None
        return found if isinstance(found, dict) else None


def private(response: Response) -> None:
    """``Cache-Control: private, no-store`` and ``Vary: Cookie``: the response depended on
    the session. (Plain header strings: ``response.vary`` parses the header every time.)"""
    headers = response.headers
    # One pass over the (few) headers, then ``add``: Werkzeug's ``in``, ``get`` and
    # ``__setitem__`` each rescan case-insensitively, several times the cost of all this.
    cache_control = vary = None
    for key, value in headers:
        lowered = key.lower()
        if lowered == "cache-control":
            cache_control = value
        elif lowered == "vary":
            vary = value
    if cache_control is None:
        headers.add("Cache-Control", "private, no-store")
    else:
        headers["Cache-Control"] = "private, no-store"
    if vary is None:
        headers.add("Vary", "Cookie")
    elif vary.strip() != "*" and "cookie" not in {v.strip().lower() for v in vary.split(",")}:
        headers["Vary"] = f"{vary}, Cookie"


def request_state() -> RequestState | None:
    """This request's state, or None outside a request (or before ``load`` ran).

    Read through Flask's context variable rather than the ``g`` proxy: the proxy's lookup
    is ten times the cost, and this runs several times on every request.
    """
    ctx = _cv_app.get(None)
    if ctx is None:
        return None
    state: RequestState | None = ctx.g.__dict__.get("_jwtauth")
    return state


def _app_ctx() -> AppContext:
    return _cv_app.get()
