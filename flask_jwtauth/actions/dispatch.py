"""What every POST to an auth endpoint does first, once, as Auth.js's dispatcher does before
its actions: read the body (form fields or a JSON object), decide whether the client wants
JSON back, and check the CSRF token. An endpoint then only decides what a failed check
means for it (the sign-in page keeps what was typed, the sign-out page is shown again, an
update answers JSON).

Browsers post form fields; JSON clients (NextAuth's own client among them) post a JSON
object and put the CSRF token in ``X-CSRFToken`` or ``csrfToken``. Both end up as one flat
mapping of strings, so providers never see the difference.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec

from flask import request
from werkzeug.datastructures import MultiDict

from ..answers import Answer, wants_json
from ..errors import ErrorCode, JWTAuthError
from ..session.state import request_state
from ..state import ext
from . import common

P = ParamSpec("P")

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


@dataclass(frozen=True)
class Posted:
    """``fields``: the flat fields (strings); ``body``: the JSON object as sent, nested
    values included (an update's ``data``), or the form's fields; ``as_json``: answer with
    JSON; ``csrf_ok``: the token matched (or there was nothing for it to protect)."""

    fields: MultiDict[str, str]
    body: dict[str, Any]
    as_json: bool
    csrf_ok: bool


def posted(
    *, nested: bool = False, session_only: bool = False
) -> Callable[[Callable[Concatenate[Posted, P], Answer]], Callable[P, Answer]]:
    """Wrap an endpoint ``view(posted, ...)``. A body that is not a flat object (``nested``:
    an object whose values may nest) is answered 400 before the view runs. ``session_only``:
    the token protects a session, so without one the check is moot (signing out of a
    session that already ended)."""

    def wrap(view: Callable[Concatenate[Posted, P], Answer]) -> Callable[P, Answer]:
        @functools.wraps(view)
        def run(*args: P.args, **kwargs: P.kwargs) -> Answer:
            try:
                fields, body = _read(nested)
            except MalformedBody:
                return common.fail(True, ErrorCode.BAD_REQUEST)
            if session_only and not _has_session():
                csrf_ok = True
            else:
                csrf_ok = ext().csrf.check(fields.get("csrf_token"))
            return view(Posted(fields, body, wants_json(fields), csrf_ok), *args, **kwargs)

        return run

    return wrap


def _read(nested: bool) -> tuple[MultiDict[str, str], dict[str, Any]]:
    if not nested or not request.is_json:
        fields = submitted()
        return fields, fields.to_dict()
    body = json_body()
    if not isinstance(body, dict):
        raise MalformedBody("expected a JSON object")
    fields = MultiDict({k: v for k, v in body.items() if isinstance(v, str)})
    token = header_token() or fields.get("csrfToken")
    if token and not fields.get("csrf_token"):
        fields["csrf_token"] = token
    return fields, body


def _has_session() -> bool:
    """Is there a session to protect? Without one (it expired while the sign-out page was
    open, say) a forged post could only clear cookies that no longer sign anyone in. A
    session only not vouched for right now (store or upstream down) still needs the token."""
    state = request_state()
    assert state is not None, "the session hook did not run for this request"
    return state.token is not None or state.error == ErrorCode.SERVICE_UNAVAILABLE
