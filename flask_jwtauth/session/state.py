"""What one request knows of its session, and what must happen to the cookie after it.

Kept apart from the engine so that the flow, guards and proxies can read and change it
without importing the machinery that loads and writes cookies.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask.globals import _cv_app

from .. import claims
from ..claims import Claims

if TYPE_CHECKING:
    from .engine import SessionEngine


class Write(enum.Enum):
    """What ``after_request`` does with the session cookie."""

    NOTHING = "nothing"
    #: Re-issue with a fresh expiry because it was due (rolling session).
    ROLL = "roll"
    #: The claims changed (a jwt callback, a refresh): write them, keep the expiry.
    REWRITE = "rewrite"
    #: A new or updated session: write it with a fresh expiry.
    ISSUE = "issue"
    #: The cookie is bad, expired or ended: delete it.
    CLEAR = "clear"
    #: Signed out: delete it, and let nothing set a session on this response.
    SIGNED_OUT = "signed-out"


WRITES = frozenset({Write.ROLL, Write.REWRITE, Write.ISSUE})


@dataclass(eq=False, slots=True)
class RequestState:
    """Set by the engine's ``load``; read by views, changed by the flow."""

    #: The app's engine, at hand for guards and proxies without looking the app up again.
    engine: SessionEngine
    secure: bool = False
    token: Claims | None = None
    #: The session as the cookie brought it (after the jwt callback).
    loaded: Claims | None = None
    write: Write = Write.NOTHING
    #: Why there is no session although a cookie came (``SessionExpired``, ...).
    error: str | None = None
    #: The response depended on the session: it must not be cached.
    accessed: bool = False
    session: dict[str, Any] | None = None
    session_ready: bool = False
    user: Any = None
    #: A new anonymous CSRF cookie value to set with the response.
    csrf_cookie: str | None = None
    #: Why the last session ended, from the expiry notice cookie (for the next page, not
    #: for an API); ``notice_shown``: a page said it, the notice can go.
    notice: str | None = None
    notice_shown: bool = False
    #: The token still needs its first-read work (upstream refresh, jwt callback).
    pending: bool = False
    #: With ``error`` ``ServiceUnavailable``: when to try again (seconds).
    retry_after: int | None = None
    #: A next-auth v4 cookie adopted by this request, to clear on the response.
    clear_v4: str | None = None

    def start(self, token: Claims, now: float) -> None:
        """``token`` becomes this request's session, written with a fresh expiry."""
        self.token = claims.fresh(token, now)
        self.write = Write.ISSUE
        self.error = None
        self._changed()

    def touch(self, token: Claims, now: float) -> None:
        """The session changed on purpose (an update): written with a fresh expiry."""
        self.token = claims.fresh(token, now, self.loaded)
        self.write = Write.ISSUE
        self._changed()

    def rewrite(self, token: Claims) -> None:
        """The claims changed without the user doing anything (a jwt callback, a refresh)."""
        self.token = token
        if self.write is Write.NOTHING:
            self.write = Write.REWRITE
        self._changed()

    def forget(self, error: str | None = None) -> None:
        """No session after all (bad, expired, revoked, refused): anonymous, cookie cleared."""
        self.token = None
        self.write = Write.CLEAR
        self.error = error
        self._changed()

    def end(self) -> None:
        """Sign out: clear the cookie, and let nothing set a session on this response."""
        self.token = None
        self.write = Write.SIGNED_OUT
        self._changed()

    def _changed(self) -> None:
        self.pending = False
        self.session_ready = False
        self.session = None
        self.user = None


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


def set_request_state(state: RequestState) -> None:
    _cv_app.get().g._jwtauth = state
