"""Why the last session ended, kept for the sign-in page.

An expired session's cookie is replaced by a small notice cookie (``JWTAUTH_EXPIRY_NOTICE``
seconds), so the next trip to the sign-in page says why, even after public pages or an API
call in between. It is taken away once a page has shown it, or when the user signs in or
out.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Response

from ..errors import SESSION_ENDED, ErrorCode, known
from .state import RequestState, Write

NOTICE_COOKIE = "jwtauth.session-expired"


class ExpiryNotice:
    def __init__(self, seconds: int) -> None:
        #: Also how long the session cookie outlives its session, so that a browser still
        #: sends an expired session back and the app can say why it ended.
        self.seconds = seconds

    def load(self, cookies: Mapping[str, str], state: RequestState) -> None:
        """A request with no session cookie: did the last one end, and why?"""
        notice = cookies.get(NOTICE_COOKIE)
        if notice is not None:
            state.notice = known(notice) if notice in SESSION_ENDED else ErrorCode.SESSION_EXPIRED

    def save(self, response: Response, state: RequestState, *, changed: bool) -> None:
        """Leave the notice when an ended session is cleared and no page said why yet (an
        API's JSON 401 is not a page); take it away once shown, or when the session cookie
        was written or cleared for another reason."""
        if (
            state.write is Write.CLEAR
            and state.error in SESSION_ENDED
            and not state.notice
            and not state.notice_shown
        ):
            response.set_cookie(
                NOTICE_COOKIE,
                state.error or "",
                max_age=self.seconds,
                path="/",
                secure=state.secure,
                httponly=True,
                samesite="Lax",
            )
        elif state.notice and (changed or state.notice_shown):
            response.delete_cookie(
                NOTICE_COOKIE, path="/", secure=state.secure, httponly=True, samesite="Lax"
            )
