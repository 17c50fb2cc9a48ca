"""``GET|POST /auth/session``: read the session, or update it (NextAuth's ``update(data)``)."""

from __future__ import annotations

from flask import Response

from .. import flow, log
from ..answers import Answer, data, render
from ..errors import ErrorCode
from ..proxies import get_session
from . import common
from .dispatch import Posted, posted


def render_session(answer: Answer) -> Response:
    """Render a session answer; a session callback's output that is not JSON is the
    server's fault (``Configuration``)."""
    try:
        return render(answer)
    except TypeError:
        log.event(
            "SESSION_CALLBACK_ERROR",
            "the session callback returned something that is not JSON",
            exc_info=True,
        )
        return render(common.fail(True, ErrorCode.CONFIGURATION))


def session() -> Response:
    """The session callback's output, or ``null``; never cached."""
    return render_session(data(get_session()))


def update_session() -> Response:
    return render_session(update_answer())


@posted(nested=True)
def update_answer(post: Posted) -> Answer:
    """Body ``{"data": ...}`` (JSON, or form fields); CSRF token in ``X-CSRFToken`` (or
    ``csrfToken`` in the body). The jwt callback runs with ``trigger="update"`` and
    ``session=<data>``; its result becomes the session (None ends it: ``null``). Always
    JSON: it is an API for scripts."""
    if not post.csrf_ok:
        return common.fail(True, ErrorCode.CSRF)
    body = post.body
    if "data" in body:
        new = body["data"]
    else:
        new = {k: v for k, v in body.items() if k not in ("csrfToken", "csrf_token")}
    try:
        kept = flow.update(new)
    except flow.UpdateRefused as refused:
        return common.fail(True, refused.error)
    return data(get_session() if kept else None)
