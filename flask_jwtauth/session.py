"""The request lifecycle: load and validate the session before the view, write it back after.

The hot path (a valid session that is not due to roll) is: read the cookie, one dict lookup
in a bounded memo of verified tokens, three number comparisons. Decryption happens once per
distinct cookie string; expiry is still checked on every request.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, current_app, g, request

from . import signals
from .callbacks import Callbacks, base_session, default_token
from .config import Settings
from .cookies import CookiePolicy, clear_token, read_token, write_token
from .tokens import Claims, InvalidToken, TokenCodec, build_codec

logger = logging.getLogger("flask_jwtauth")

Clock = Callable[[], float]

# What the request needs written back.
KEEP, ROLL, REWRITE = 0, 1, 2


@dataclass(eq=False)
class RequestState:
    """What ``load`` found, and what ``save`` must do; one per request, on ``g``."""

    token: Claims | None = None
    write: int = KEEP
    clear: bool = False
    signed_out: bool = False
    error: str | None = None
    accessed: bool = False
    session: dict[str, Any] | None = field(default=None)
    session_ready: bool = False


class Memo:
    """Verified claims by exact cookie string, bounded, oldest entry evicted first."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._data: dict[str, Claims] = {}

    def get(self, key: str) -> Claims | None:
        return self._data.get(key)

    def put(self, key: str, claims: Claims) -> None:
        if self._size == 0:
            return
        data = self._data
        if len(data) >= self._size:
            try:
                del data[next(iter(data))]
            except (KeyError, RuntimeError, StopIteration):  # another thread got there first
                pass
        data[key] = claims


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
        self.memo = Memo(settings.memo_size)

    def init_app(self, app: Flask) -> None:
        app.before_request(self.load)
        app.after_request(self.save)

    # -- reading -------------------------------------------------------------------------

    def codec(self, secure: bool) -> TokenCodec:
        return self._codecs[secure]

    def decode(self, raw: str, secure: bool) -> Claims | None:
        """Verified claims for a cookie value (memoised), or None when it is not ours."""
        claims = self.memo.get(raw)
        if claims is None:
            try:
                claims = self._codecs[secure].decode(raw)
            except InvalidToken as exc:
                logger.debug("session cookie rejected: %s", exc)
                return None
            if not _valid_claims(claims):
                return None
            self.memo.put(raw, claims)
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
        g._jwtauth = state
        secure = self.policy.is_secure(request)
        raw = read_token(request.cookies, self._names[secure])
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
            signals.session_expired.send(current_app._get_current_object(), token=dict(claims))
            return
        if self.callbacks.jwt is not None:
            try:
                updated = self.callbacks.jwt(token=dict(claims), user=None, account=None, trigger=None)
            except Exception:
                # A failing callback (a backend down, say) must not end the session: the
                # request is anonymous and the cookie is kept for the next one.
                logger.exception("the jwt callback raised; treating the request as anonymous")
                return
            if updated is None:
                state.clear = True
                return
            if updated != claims:
                claims = updated
                state.write = REWRITE
        state.token = claims
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
        now = int(self.clock())
        exp, _ = self.timestamps(token, now)
        return self._codecs[secure].encode({**token, "iat": now, "exp": exp})

    def start(self, state: RequestState, token: Claims) -> None:
        """Make ``token`` the request's session and have it written with a fresh expiry."""
        state.token = {k: v for k, v in token.items() if k != "exp"}
        state.write = ROLL
        state.signed_out = False
        state.clear = False
        state.error = None
        state.session_ready = False

    def touch(self, state: RequestState) -> None:
        """The token changed on purpose (an update): write it with a fresh expiry."""
        state.write = ROLL
        state.session_ready = False

    def end(self, state: RequestState) -> None:
        """Sign out: clear the cookie, and let nothing set a session on this response."""
        state.token = None
        state.write = KEEP
        state.clear = True
        state.signed_out = True
        state.session_ready = False

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
        iat = token.get("iat")
        idle_end = (iat + self.settings.session_max_age) if iat is not None else token["exp"]
        return float(min(token["exp"], idle_end))

    # -- writing -------------------------------------------------------------------------

    def save(self, response: Response) -> Response:
        state: RequestState | None = g.get("_jwtauth")
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
            response.headers["Cache-Control"] = "private, no-store"
            response.vary.add("Cookie")
        return response

    def _write(self, response: Response, state: RequestState) -> None:
        token = state.token
        assert token is not None
        now = int(self.clock())
        if state.write == ROLL or "exp" not in token:
            exp, max_age = self.timestamps(token, now)
            token = {**token, "iat": now, "exp": exp}
            rolled = True
        else:
            max_age = max(int(self.session_expires(token)) - now, 0)
            rolled = False
        secure = self.policy.is_secure(request)
        raw = self._codecs[secure].encode(token)
        self.memo.put(raw, token)
        write_token(response, self.policy, request, raw, max_age)
        state.token = token
        if rolled:
            signals.session_refreshed.send(current_app._get_current_object(), token=dict(token))

    # -- reading for views ---------------------------------------------------------------

    def current_session(self) -> dict[str, Any] | None:
        state: RequestState | None = g.get("_jwtauth")
        if state is None:
            return None
        state.accessed = True
        if not state.session_ready:
            state.session_ready = True
            token = state.token
            if token is not None:
                session = base_session(token, self.session_expires(token))
                state.session = self.callbacks.session(session=session, token=dict(token))
        return state.session


def request_state() -> RequestState | None:
    state: RequestState | None = g.get("_jwtauth")
    return state
