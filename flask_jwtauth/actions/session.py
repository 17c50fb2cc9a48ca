"""``GET|POST /auth/session``: read the session, or update it (NextAuth's ``update(data)``)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from .. import flow, log
from ..forms import MalformedBody, header_token, json_body
from ..headers import private
from ..proxies import get_session
from ..state import ext
from . import common


def _session_json() -> Response:
    try:
        return private(jsonify(get_session()))
    except TypeError:
        log.event(
            "SESSION_CALLBACK_ERROR",
            "the session callback returned something that is not JSON",
            exc_info=True,
        )
        return common.fail(True, "Configuration")


def session() -> Response:
    """The session callback's output, or ``null``; never cached."""
    return _session_json()


def update_session() -> Response:
    """Body ``{"data": ...}`` (JSON, or form fields); CSRF token in ``X-CSRFToken`` (or
    ``csrfToken`` in the body). The jwt callback runs with ``trigger="update"`` and
    ``session=<data>``; its result becomes the session (None ends it)."""
    try:
        body: Any = json_body() if request.is_json else request.form.to_dict()
    except MalformedBody:
        return common.fail(True, "BadRequest")
    if not isinstance(body, dict):
        return common.fail(True, "BadRequest")
    token = header_token() or body.get("csrfToken") or body.get("csrf_token")
    if not ext().csrf.check(token):
        return common.fail(True, "CSRF")
    if "data" in body:
        data = body["data"]
    else:
        data = {k: v for k, v in body.items() if k not in ("csrfToken", "csrf_token")}
    try:
        kept = flow.update(data)
    except flow.UpdateRefused as refused:
        return common.fail(True, refused.error)
    if not kept:
        return private(jsonify(None))
    return _session_json()
