"""``POST /auth/sign-out``: end the session (CSRF-checked; a GET never signs anyone out)."""

from __future__ import annotations

from flask import Response

from .. import flow
from ..forms import MalformedBody, submitted
from ..pages import render_sign_out
from ..state import ext
from . import common


def sign_out() -> Response:
    try:
        data = submitted()
    except MalformedBody:
        return common.fail(True, "BadRequest")
    as_json = common.json_mode(data)
    if not ext().csrf.check(data.get("csrf_token")):
        if as_json:
            return common.fail(True, "CSRF")
        return render_sign_out(
            callback_url=common.callback_url(data) or "/", error="CSRF", status=400
        )
    flow.sign_out()
    return common.done(as_json, common.target(data.get("callbackUrl")))
