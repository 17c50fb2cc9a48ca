"""``GET`` pages: sign-in, sign-out confirmation, error."""

from __future__ import annotations

from flask import Response, request

from ..errors import MESSAGES, describe
from ..pages import render_error, render_sign_in, render_sign_out
from . import common


def sign_in_page() -> Response:
    error = request.args.get("error")
    state = common.state()
    if state.notice and error == "SessionExpired":
        state.notice_shown = True
    return render_sign_in(
        error=(error if error in MESSAGES else "Default") if error else None,
        reason=request.args.get("code"),
        callback_url=common.callback_url(),
    )


def sign_out_page() -> Response:
    """The confirmation page. It never signs anyone out: only the POST does."""
    return render_sign_out(callback_url=common.callback_url() or "/")


def error_page() -> Response:
    code, status, _ = describe(request.args.get("error") or "Default")
    # The page only reports; the request that failed already carried its status. A query
    # string alone must not make this page answer 5xx.
    return render_error(code, status if status < 500 else 200)
