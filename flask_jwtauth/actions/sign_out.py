"""``POST /auth/sign-out``: end the session (CSRF-checked; a GET never signs anyone out)."""

from __future__ import annotations

from flask import Response

from .. import flow
from ..answers import Answer, Page, render
from ..errors import ErrorCode
from . import common
from .dispatch import Posted, posted


def sign_out() -> Response:
    return render(sign_out_answer())


@posted(session_only=True)
def sign_out_answer(post: Posted) -> Answer:
    """A sign-out page left open past the session's end still signs out: the token only
    protects a live session (see :func:`posted`)."""
    if not post.csrf_ok:
        if post.as_json:
            return common.fail(True, ErrorCode.CSRF)
        # The confirmation page again, with a fresh token.
        callback = common.callback_url(post.fields) or "/"
        return Answer(400, ErrorCode.CSRF, page=Page.SIGN_OUT, callback=callback, varies=False)
    flow.sign_out()
    return common.done(post.as_json, common.target(post.fields.get("callbackUrl")))
