"""``POST /auth/sign-out``: end the session (CSRF-checked; a GET never signs anyone out)."""

from __future__ import annotations

from flask import Response

from .. import flow
from ..answers import Answer, Page, render, wants_json
from ..errors import ErrorCode
from ..forms import MalformedBody, submitted
from ..state import ext
from . import common


def sign_out() -> Response:
    return render(sign_out_answer())


def sign_out_answer() -> Answer:
    try:
        data = submitted()
    except MalformedBody:
        return common.fail(True, ErrorCode.BAD_REQUEST)
    as_json = wants_json(data)
    if _has_session() and not ext().csrf.check(data.get("csrf_token")):
        if as_json:
            return common.fail(True, ErrorCode.CSRF)
        # The confirmation page again, with a fresh token.
        callback = common.callback_url(data) or "/"
        return Answer(400, ErrorCode.CSRF, page=Page.SIGN_OUT, callback=callback, varies=False)
    flow.sign_out()
    return common.done(as_json, common.target(data.get("callbackUrl")))


def _has_session() -> bool:
    """Is there a session to protect? Without one (it expired while the sign-out page was
    open, say) a forged post could only clear cookies that no longer sign anyone in, so the
    sign-out finishes instead of answering "the form has expired". A session that is only
    not vouched for right now (store or upstream down) still needs the token."""
    state = common.state()
    return state.token is not None or state.error == ErrorCode.SERVICE_UNAVAILABLE
