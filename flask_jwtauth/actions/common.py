"""What every endpoint shares: where to go next, and how failure and success look.

Every endpoint answers with an :class:`~flask_jwtauth.answers.Answer`, rendered once by its
route (ours as a page or JSON, the Auth.js routes in next-auth's shape). A client that asks
for JSON (:func:`~flask_jwtauth.answers.wants_json`: an ``Accept`` header preferring it, a
JSON body, or the form field ``json=true`` that NextAuth's client sends) gets JSON instead
of a redirect: NextAuth's ``signIn(..., {redirect: false})``.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import Response, request, url_for
from itsdangerous import BadData

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


def sign_in_callback_url(data: Mapping[str, str] | None = None) -> str:
    """:func:`callback_url` for a sign-in: a callbackUrl that is a sign-in page itself (ours,
    or the built-in one's usual path when it moved, as a guard sends an old bookmark of it)
    is no page to land on after signing in; it is ignored (the default, ``/``, applies)."""
    found = callback_url(data)
    if found.startswith("/"):
        path = urlsplit(found).path.rstrip("/")
        if any(path == page or path.startswith(page + "/") for page in _sign_in_pages()):
            return ""
    return found


def _sign_in_pages() -> set[str]:
    pages = ext().settings.pages
    base = "" if pages.url_prefix == "/" else pages.url_prefix
    own = {request.script_root + base + "/sign-in", urlsplit(ext().sign_in_page_url()).path}
    return {page.rstrip("/") for page in own if page.rstrip("/")}


def fail(
    as_json: bool,
    code: str,
    *,
    callback: str = "",
    values: dict[str, str] | None = None,
    reason: str | None = None,
    message: str | None = None,
) -> Answer:
    """The failure answer (:func:`~flask_jwtauth.answers.failed`); a browser sent back to
    the sign-in form finds what it typed there (``values``, never a secret) and the app's
    safe ``message``, carried in the same signed cookie: never in the URL, where anyone
    could write a message of their own into a link to the sign-in page."""
    if message:
        values = {MESSAGE_KEY: message, **(values or {})}
    remember = functools.partial(remember_values, values=values) if values else None
    answer = failed(code, as_json=as_json, callback=callback, reason=reason, remember=remember)
    if message and answer.as_json and isinstance(answer.body, dict):
        return dataclasses.replace(answer, body={**answer.body, "message": message})
    return answer


#: The app's safe message in the remembered values (no field can have this name).
MESSAGE_KEY = "jwtauth:message"


def remember_values(response: Response, values: dict[str, str]) -> None:
    """Keep what the user typed (never a password) for the sign-in page the redirect leads
    to: a one-minute cookie scoped to that page, read once.

    Signed (:mod:`flask_jwtauth.signing`) and bound to this visitor's CSRF token (the
    anonymous cookie's, or the session's), so that neither an altered cookie nor a genuine
    one that a sibling sub-domain or a script planted from another browser fills the form."""
    kept = {k: v[:256] for k, v in list(values.items())[:8]}
    signed = ext().signed.form_values.dumps([_visitor(), kept])
    if len(signed) > _MAX_VALUES:
        return
    response.set_cookie(
        VALUES_COOKIE,
        signed,
        max_age=60,
        path=request.script_root + ext().settings.pages.sign_in_url,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure,
    )


def recall_values() -> dict[str, str]:
    """The values :func:`remember_values` kept for this visitor, if any; a cookie that does
    not verify, or was kept for someone else, reads as none."""
    raw = request.cookies.get(VALUES_COOKIE)
    if not raw or len(raw) > _MAX_VALUES:
        return {}
    try:
        data = ext().signed.form_values.loads(raw)
    except BadData:
        return {}
    if not (isinstance(data, list) and len(data) == 2 and isinstance(data[1], dict)):
        return {}
    if not isinstance(data[0], str) or not hmac.compare_digest(data[0], _visitor()):
        return {}
    return {str(k): v for k, v in data[1].items() if isinstance(v, str)}


#: The values cookie's bound (a cookie holds 4 kB with its name and attributes).
_MAX_VALUES = 3072


def _visitor() -> str:
    """Who the values were kept for: a digest of this request's CSRF token (never the token
    itself, which the cookie would otherwise carry a second time)."""
    return hashlib.sha256(ext().csrf.token().encode()).hexdigest()[:32]


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
