"""Reading what a client posted to the auth endpoints: form fields or a flat JSON object.

Browsers post form fields; JSON clients (NextAuth's own client among them) post a JSON
object and put the CSRF token in ``X-CSRFToken`` or ``csrfToken``. Both end up as one flat
mapping of strings, so providers never see the difference.
"""

from __future__ import annotations

from typing import Any

from flask import request
from werkzeug.datastructures import MultiDict

from .errors import ErrorCode, JWTAuthError

_CSRF_HEADERS = ("X-CSRFToken", "X-CSRF-Token")


class MalformedBody(JWTAuthError):
    """The body is not a flat object of strings/numbers/booleans; answered with 400."""

    error = ErrorCode.BAD_REQUEST


def json_body() -> Any:
    """The parsed JSON body, or None when it is not JSON. Never raises for hostile input:
    deeply nested JSON (a RecursionError in the parser) is malformed, not a 500."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        raise MalformedBody("the JSON body is nested too deeply") from None


def submitted() -> MultiDict[str, str]:
    """The posted fields, from a form or a flat JSON object, plus any CSRF header token."""
    if request.is_json:
        body = json_body()
        if not isinstance(body, dict):
            raise MalformedBody("expected a JSON object")
        data: MultiDict[str, str] = MultiDict()
        for key, value in body.items():
            if isinstance(value, bool):
                value = "true" if value else "false"
            elif isinstance(value, (int, float)):
                value = str(value)
            if not isinstance(value, str):
                raise MalformedBody(f"field {key!r} must be a string")
            data[key] = value
    else:
        data = MultiDict(request.form)
    token = header_token() or data.get("csrfToken")
    if token and not data.get("csrf_token"):
        data["csrf_token"] = token
    return data


def header_token() -> str | None:
    """The CSRF token a JSON client sent in a header, if any."""
    return next((request.headers[h] for h in _CSRF_HEADERS if h in request.headers), None)
