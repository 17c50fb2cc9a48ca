"""What every endpoint shares: JSON or page, where to go next, how failure and success look.

A client that asks for JSON (an ``Accept`` header preferring it, a JSON body, or the form
field ``json=true`` that NextAuth's client sends) gets JSON instead of a redirect: NextAuth's
``signIn(..., {redirect: false})``. The decision looks at the request only, never at the
path, so a ``JWTAUTH_URL_PREFIX`` under ``/api`` does not turn the browser form into JSON.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from urllib.parse import urlencode

from flask import Response, current_app, jsonify, redirect, request, url_for

from ..context import RequestState, request_state
from ..errors import describe
from ..headers import private, vary_accept
from ..pages import render_error, render_sign_in
from ..redirects import same_origin_target
from ..state import ext

logger = logging.getLogger("flask_jwtauth")

#: Codes shown on the sign-in page itself; the others go to the error page.
SIGN_IN_PAGE_CODES = frozenset(
    {"CredentialsSignin", "SessionRequired", "SessionExpired", "OAuthSignin", "CSRF", "BadRequest"}
)
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
    """The origin as NextAuth's ``baseUrl``: ``http://host`` (no trailing slash)."""
    return request.host_url.rstrip("/")


def target(url: str | None, default: str = "/") -> str:
    """Where to send the user: the redirect callback's verdict, never another origin."""
    base = base_url()
    wanted = url or default
    try:
        chosen = ext().callbacks.redirect(url=wanted, base_url=base)
    except Exception:
        logger.exception("the redirect callback raised; falling back to /")
        return "/"
    return same_origin_target(chosen, base) or "/"


def callback_url(data: Mapping[str, str] | None = None) -> str:
    """The posted callbackUrl (or one in the query string), when it is same-origin."""
    raw = (data.get("callbackUrl") if data is not None else None) or request.args.get("callbackUrl")
    return same_origin_target(raw, base_url()) or ""


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
    """The failure answer: JSON, the sign-in page again, or the error page.

    When the app serves its own sign-in (``JWTAUTH_SIGN_IN_ENDPOINT``) or error page
    (``JWTAUTH_ERROR_ENDPOINT``), a browser is sent there with ``?error=<Code>``, as NextAuth
    does for ``pages.signIn`` / ``pages.error``.
    """
    code, status, message = describe(code)
    if as_json:
        body = {"ok": False, "error": code, "message": message, "status": status, "url": None}
        if reason:
            body["code"] = reason
        response = jsonify(body)
        response.status_code = status
        return vary_accept(private(response))
    pages = ext().settings.pages
    if code == "CSRF" and pages.sign_in_endpoint is not None:
        # Not a redirect: a forged or stale POST is answered 400, whatever pages are used.
        return vary_accept(render_error(code, status))
    if code in SIGN_IN_PAGE_CODES:
        params = {"error": code}
        if reason:
            params["code"] = reason
        if callback:
            params["callbackUrl"] = callback
        if pages.sign_in_endpoint is not None:
            return redirect_to(f"{ext().sign_in_page_url()}?{urlencode(params)}")
        return vary_accept(
            render_sign_in(
                error=code, reason=reason, callback_url=callback, values=values, status=status
            )
        )
    if pages.error_endpoint is not None:
        return redirect_to(url_for(pages.error_endpoint, error=code))
    return vary_accept(render_error(code, status))


def done(as_json: bool, url: str) -> Response:
    if as_json:
        # Absolute, as NextAuth's client expects (it reads ``new URL(data.url)``).
        absolute = f"{base_url()}{url}" if url.startswith("/") else url
        return vary_accept(private(jsonify(ok=True, url=absolute)))
    return redirect_to(url)
