"""What every endpoint shares: where to go next, and how failure and success look.

Every endpoint answers with an :class:`~flask_jwtauth.answers.Answer`, rendered once by its
route (ours as a page or JSON, the Auth.js routes in next-auth's shape). A client that asks
for JSON (:func:`~flask_jwtauth.answers.wants_json`: an ``Accept`` header preferring it, a
JSON body, or the form field ``json=true`` that NextAuth's client sends) gets JSON instead
of a redirect: NextAuth's ``signIn(..., {redirect: false})``.
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Mapping
from typing import Any

from flask import Response, request, url_for

from .. import log
from ..answers import Answer, failed, go
from ..redirects import safe_target
from ..session.state import RequestState, request_state
from ..state import ext

#: What the user typed into a failed sign-in form (never a password), for the page after
#: the redirect.
VALUES_COOKIE = "jwtauth.sign-in-form"


def state() -> RequestState:
    found = request_state()
    assert found is not None, "the session hook did not run for this request"
    return found


def base_url() -> str:
    """The origin as NextAuth's ``baseUrl``: ``JWTAUTH_URL`` when set (so a forged Host
    header cannot put another origin into a URL a client follows), else the request's."""
    return ext().settings.pages.canonical_url or request.host_url.rstrip("/")


def external(endpoint: str, **values: Any) -> str:
    """An absolute URL for one of our endpoints, on the canonical origin when there is one."""
    canonical = ext().settings.pages.canonical_url
    if canonical is None:
        return url_for(endpoint, _external=True, **values)
    return canonical + url_for(endpoint, **values)


def limit_body() -> None:
    """Before any auth endpoint reads a body: a small, configurable bound (413 past it)."""
    request.max_content_length = ext().settings.pages.max_body_size


def target(url: str | None, default: str = "/") -> str:
    """Where to send the user: the redirect callback's verdict, never another origin."""
    base = base_url()
    wanted = url or default
    try:
        chosen = ext().callbacks.redirect(url=wanted, base_url=base)
    except Exception:
        log.event(
            "REDIRECT_CALLBACK_ERROR",
            "the redirect callback raised; falling back to /",
            exc_info=True,
        )
        return "/"
    return safe_target(chosen, base, ext().settings.access.trusted_origins) or "/"


def callback_url(data: Mapping[str, str] | None = None) -> str:
    """The posted callbackUrl (or one in the query string), when it is same-origin or on a
    trusted origin."""
    raw = (data.get("callbackUrl") if data is not None else None) or request.args.get("callbackUrl")
    return safe_target(raw, base_url(), ext().settings.access.trusted_origins) or ""


def fail(
    as_json: bool,
    code: str,
    *,
    callback: str = "",
    values: dict[str, str] | None = None,
    reason: str | None = None,
) -> Answer:
    """The failure answer (:func:`~flask_jwtauth.answers.failed`); a browser sent back to
    the sign-in form finds what it typed there (``values``, never a secret)."""
    remember = functools.partial(remember_values, values=values) if values else None
    return failed(code, as_json=as_json, callback=callback, reason=reason, remember=remember)


def remember_values(response: Response, values: dict[str, str]) -> None:
    """Keep what the user typed (never a password) for the sign-in page the redirect leads
    to: a one-minute cookie scoped to that page, read once."""
    data = json.dumps({k: v[:256] for k, v in list(values.items())[:8]})
    if len(data) > 2048:
        return
    response.set_cookie(
        VALUES_COOKIE,
        base64.urlsafe_b64encode(data.encode()).decode(),
        max_age=60,
        path=request.script_root + ext().settings.pages.sign_in_url,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure,
    )


def recall_values() -> dict[str, str]:
    """The values :func:`remember_values` kept, if any and well-formed."""
    raw = request.cookies.get(VALUES_COOKIE)
    if not raw or len(raw) > 4096:
        return {}
    try:
        data = json.loads(base64.urlsafe_b64decode(raw.encode()))
    except (ValueError, UnicodeError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): v for k, v in data.items() if isinstance(v, str)}


def forget_values(response: Response) -> None:
    if VALUES_COOKIE in request.cookies:
        response.delete_cookie(
            VALUES_COOKIE,
            path=request.script_root + ext().settings.pages.sign_in_url,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure,
        )


def done(as_json: bool, url: str) -> Answer:
    # Absolute for JSON, as NextAuth's client expects (it reads ``new URL(data.url)``).
    absolute = f"{base_url()}{url}" if url.startswith("/") else url
    return go(url, as_json=as_json, told=absolute)
