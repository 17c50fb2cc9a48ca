"""What every endpoint shares: JSON or page, where to go next, how failure and success look.

A client that asks for JSON (an ``Accept`` header preferring it, a JSON body, or the form
field ``json=true`` that NextAuth's client sends) gets JSON instead of a redirect: NextAuth's
``signIn(..., {redirect: false})``. The decision looks at the request only, never at the
path, so a ``JWTAUTH_URL_PREFIX`` under ``/api`` does not turn the browser form into JSON.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from flask import Response, current_app, jsonify, redirect, request, url_for

from .. import log
from ..context import RequestState, request_state
from ..errors import SESSION_ENDED, describe
from ..headers import private, vary_accept
from ..pages import render_error
from ..redirects import safe_target
from ..state import ext

#: Codes shown on the sign-in page itself; the others go to the error page.
SIGN_IN_PAGE_CODES = SESSION_ENDED | {
    "CredentialsSignin",
    "SessionRequired",
    "OAuthSignin",
    "OAuthCallbackError",
    "CSRF",
    "BadRequest",
}
#: What the user typed into a failed sign-in form (never a password), for the page after
#: the redirect.
VALUES_COOKIE = "jwtauth.sign-in-form"
#: Every redirect after a POST is a 302, whatever ``redirect()``'s default becomes; browsers
#: follow it with a GET, as they do a 303.
REDIRECT = 302


def state() -> RequestState:
    found = request_state()
    assert found is not None, "the session hook did not run for this request"
    return found


def json_mode(data: Mapping[str, str] | None = None) -> bool:
    """Does this client want JSON back instead of a page or a redirect?"""
    if data is not None and str(data.get("json", "")).strip().lower() in ("true", "1"):
        return True
    if request.is_json:
        return True
    best = request.accept_mimetypes.best_match(("text/html", "application/json"))
    return best == "application/json"


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


def redirect_to(location: str) -> Response:
    return private(current_app.make_response(redirect(location, REDIRECT)))


def fail(
    as_json: bool,
    code: str,
    *,
    callback: str = "",
    values: dict[str, str] | None = None,
    reason: str | None = None,
) -> Response:
    """The failure answer: JSON for API clients; for a browser, a redirect (post, redirect,
    get) to the sign-in page or the error page, so the address bar never stays on a POST URL
    that a reload would post again or that Enter would answer with 405.

    When the app serves its own sign-in (``JWTAUTH_SIGN_IN_ENDPOINT``) or error page
    (``JWTAUTH_ERROR_ENDPOINT``), the browser is sent there with ``?error=<Code>``, as
    NextAuth does for ``pages.signIn`` / ``pages.error``.
    """
    code, status, message = describe(code)
    if as_json:
        body = {"ok": False, "error": code, "message": message, "status": status, "url": None}
        if reason:
            body["code"] = reason
        response = jsonify(body)
        response.status_code = status
        return vary_accept(private(response))
    app_state = ext()
    if code in SIGN_IN_PAGE_CODES:
        params: dict[str, str] = {"error": code}
        if reason:
            params["code"] = reason
        if callback:
            params["callbackUrl"] = callback
        response = redirect_to(f"{app_state.sign_in_page_url()}?{urlencode(params)}")
        if values and app_state.settings.pages.sign_in_endpoint is None:
            remember_values(response, values)
        return vary_accept(response)
    pages = app_state.settings.pages
    if pages.error_endpoint is not None:
        return vary_accept(redirect_to(url_for(pages.error_endpoint, error=code)))
    # A server fault or a refusal by policy: shown where it happened, with its status.
    return vary_accept(render_error(code, status))


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


def done(as_json: bool, url: str) -> Response:
    if as_json:
        # Absolute, as NextAuth's client expects (it reads ``new URL(data.url)``).
        absolute = f"{base_url()}{url}" if url.startswith("/") else url
        return vary_accept(private(jsonify(ok=True, url=absolute)))
    return redirect_to(url)
