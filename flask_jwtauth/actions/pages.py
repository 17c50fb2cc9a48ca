"""``GET`` pages: sign-in, sign-out confirmation, error."""

from __future__ import annotations

from flask import Response, request

from ..answers import go, render, sign_in_url
from ..errors import SESSION_ENDED, ErrorCode, describe, known
from ..pages import render_error, render_sign_in, render_sign_out
from . import common


def sign_in_page() -> Response:
    error = request.args.get("error")
    state = common.state()
    if state.notice and not error:
        # The live marker (or a notice cookie): the last session ended without a sign-out.
        error = state.notice
    if state.notice and error in SESSION_ENDED:
        state.notice_shown = True
    values = common.recall_values()
    message = values.pop(common.MESSAGE_KEY, None)
    response = render_sign_in(
        error=known(error) if error else None,
        reason=_safe_code(request.args.get("code")),
        callback_url=common.sign_in_callback_url(),
        values=values,
        message=message if error == ErrorCode.CREDENTIALS_SIGNIN else None,
    )
    common.forget_values(response)
    return response


def _safe_code(code: str | None) -> str | None:
    """An app's reason code, shown only when it is a short identifier."""
    if code and len(code) <= 64 and code.replace("_", "").replace("-", "").isalnum():
        return code
    return None


def to_sign_in_page(provider: str) -> Response:
    """``GET`` on a sign-in form's action URL (a reload, Enter in the address bar)."""
    return render(go(sign_in_url(callbackUrl=common.sign_in_callback_url()), as_json=False))


def sign_out_page() -> Response:
    """The confirmation page. It never signs anyone out: only the POST does."""
    return render_sign_out(callback_url=common.callback_url() or "/")


def error_page() -> Response:
    code, status, _ = describe(request.args.get("error") or ErrorCode.DEFAULT)
    # The page only reports; the request that failed already carried its status. A query
    # string alone must not make this page answer 5xx.
    return render_error(code, status if status < 500 else 200, retry=False)
