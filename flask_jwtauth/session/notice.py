"""Why the last session ended, kept for the sign-in page.

An expired session's cookie is replaced by a small notice cookie (``JWTAUTH_EXPIRY_NOTICE``
seconds), so the next trip to the sign-in page says why, even after public pages or an API
call in between. It is taken away once a page has shown it, or when the user signs in or
out.

The cookie is signed (:mod:`flask_jwtauth.signing`): one that a sibling sub-domain or a script
planted, or that was altered, reads as no notice at all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from flask import Request, Response, request
from itsdangerous import Signer

from ..errors import SESSION_ENDED, ErrorCode, known
from ..signing import unsign
from .state import RequestState, Write

NOTICE_COOKIE = "jwtauth.session-expired"
#: Set at sign-in, scoped to the sign-in page: the session cookie's Max-Age is the
#: session's own (seed 001), so a browser drops it at the session's end; when the sign-in
#: page then finds this marker and no session, the session expired (a sign-out deletes it).
#: No other request carries it, so it costs nothing on the hot path.
LIVE_COOKIE = "jwtauth.session-alive"
_LIVE = "live"
#: Browsers keep a cookie 400 days at most.
_BROWSER_CAP = 400 * 86400

#: A code and its signature: far below this.
_MAX_COOKIE = 256


#: A sign-in (a new session), a sign-out, or a cookie cleared for a reason already said:
#: no notice cookie after them.
_ENDS_THE_NOTICE = (Write.CLEAR, Write.SIGNED_OUT, Write.ISSUE)


class ExpiryNotice:
    def __init__(self, seconds: int, signer: Signer) -> None:
        #: How long after a session's end the sign-in page may still say why it ended.
        self.seconds = seconds
        #: Signs the cookie (``SignedValues.notice``).
        self.signer = signer
        #: The sign-in page's URL, for the live marker's path (given by ``init_app``, which
        #: knows the pages); None: no marker (a sign-in page on another origin).
        self.sign_in_url: Callable[[], str] | None = None
        #: Its path per mount point (SCRIPT_NAME): worked out once, not at every sign-in.
        self._paths: dict[str, str] = {}

    def sign_in_path(self) -> str:
        assert self.sign_in_url is not None
        root = request.script_root
        found = self._paths.get(root)
        if found is None:
            found = urlsplit(self.sign_in_url()).path or "/"
            if len(self._paths) < 16:
                self._paths[root] = found
        return found

    def load(self, cookies: Mapping[str, str], state: RequestState) -> None:
        """A request with no session cookie: did the last one end, and why?"""
        raw = cookies.get(NOTICE_COOKIE)
        if raw is None:
            if unsign(self.signer, cookies.get(LIVE_COOKIE), _MAX_COOKIE) == _LIVE:
                # The sign-in page, a session marked alive and no session cookie: the
                # browser dropped it at the session's end.
                state.notice = ErrorCode.SESSION_EXPIRED
            return
        # One that is not ours (altered, planted, an unsigned one from before signing) is
        # no notice; left alone, it expires or the next notice replaces it.
        notice = unsign(self.signer, raw, _MAX_COOKIE)
        if notice in SESSION_ENDED:
            state.notice = known(notice)

    def mark(self, response: Response, state: RequestState, lifetime: int) -> None:
        """At sign-in: the live marker, scoped to the sign-in page (no other request carries
        it), for as long as the session may last."""
        if not self.seconds or self.sign_in_url is None:
            return
        response.set_cookie(
            LIVE_COOKIE,
            self.signer.sign(_LIVE).decode("ascii"),
            max_age=min(lifetime + self.seconds, _BROWSER_CAP),
            path=self.sign_in_path(),
            secure=state.secure,
            httponly=True,
            samesite="Lax",
        )

    def unmark(self, response: Response, state: RequestState) -> None:
        """Sign-out, or the notice was shown: no marker (its path is the sign-in page's)."""
        if self.sign_in_url is not None:
            response.delete_cookie(
                LIVE_COOKIE,
                path=self.sign_in_path(),
                secure=state.secure,
                httponly=True,
                samesite="Lax",
            )

    def save(self, response: Response, state: RequestState, req: Request) -> None:
        """Leave the notice when an ended session is cleared and no page said why yet (an
        API's JSON 401 is not a page); take it (or the live marker) away once shown, on
        sign-out, or when the cookie was cleared for another reason."""
        if (
            state.write is Write.CLEAR
            and state.error in SESSION_ENDED
            and not state.notice
            and not state.notice_shown
        ):
            response.set_cookie(
                NOTICE_COOKIE,
                self.signer.sign(state.error or "").decode("ascii"),
                max_age=self.seconds,
                path="/",
                secure=state.secure,
                httponly=True,
                samesite="Lax",
            )
        elif state.notice_shown or state.write in _ENDS_THE_NOTICE:
            if state.notice_shown or state.write is Write.SIGNED_OUT:
                self.unmark(response, state)
            if NOTICE_COOKIE not in req.cookies:
                return
            response.delete_cookie(
                NOTICE_COOKIE, path="/", secure=state.secure, httponly=True, samesite="Lax"
            )
