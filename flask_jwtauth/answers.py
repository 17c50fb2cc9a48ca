"""One answer: what a guard or an endpoint decided, as a value, rendered once.

A guard that stops a request and an endpoint that fails or succeeds both produce an
:class:`Answer` (status, error code, where to go, the JSON body, headers, cookies); it is
rendered once, by :func:`render` as a page or as JSON, or by :func:`render_authjs` in
next-auth's shape for the Auth.js routes (read from the value, not from JSON another
renderer produced). Also here: the one builder of the sign-in URL with its query
(:func:`sign_in_url`) and the one "JSON or page?" rule (:func:`wants_json`).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from flask import Response, current_app, jsonify, redirect, request, url_for

from .errors import SESSION_ENDED, ErrorCode, describe, describe_api
from .headers import private, vary_accept
from .pages import render_error, render_sign_in, render_sign_out
from .state import ext

#: Sets or clears a cookie on the rendered response (the OAuth transaction, the values a
#: failed form kept).
CookieWriter = Callable[[Response], None]

#: Every redirect is a 302, whatever ``redirect()``'s default becomes; browsers follow the
#: one after a POST with a GET, as they do a 303.
REDIRECT = 302

#: Failures shown on the sign-in page itself; the others go to the error page.
SIGN_IN_PAGE_CODES = SESSION_ENDED | {
    ErrorCode.CREDENTIALS_SIGNIN,
    ErrorCode.SIGN_IN_CANCELLED,
    ErrorCode.SESSION_REQUIRED,
    ErrorCode.OAUTH_SIGNIN,
    ErrorCode.OAUTH_CALLBACK_ERROR,
    ErrorCode.CSRF,
    ErrorCode.BAD_REQUEST,
    ErrorCode.EMAIL_SIGNIN,
    ErrorCode.VERIFICATION,
}

#: Our codes that Auth.js's routes answer with Auth.js's nearest one.
_AUTHJS_CODES = {ErrorCode.SIGN_IN_CANCELLED: ErrorCode.ACCESS_DENIED}

_QUERY_SAFE = "/?&=%:@!$'()*+,;~-._[]"


class Page(enum.Enum):
    """A built-in page a browser is shown (when it is not redirected)."""

    SIGN_IN = "sign_in"
    SIGN_OUT = "sign_out"
    ERROR = "error"


@dataclass(frozen=True)
class Answer:
    """What to answer, before it is a response.

    ``code`` is None for a success. ``location``: where a browser is redirected (302,
    whatever ``status`` says), or for a JSON client the URL it is told to go to. Without a
    location a browser gets ``page`` with ``status``. ``body`` is the JSON answer.
    ``reason`` is the app's own code for a refusal (``CredentialsSignin("invalid_otp")``).
    ``as_json`` is the one decision of :func:`wants_json`, taken where the request was read.
    ``varies``: the answer's form (JSON or a page) depended on ``Accept`` too (``Vary``);
    not said of a plain redirect after success, of a form page shown again, nor of data.
    """

    status: int = 200
    code: ErrorCode | None = None
    location: str | None = None
    body: Any = None
    page: Page | None = None
    callback: str = ""
    reason: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    cookies: tuple[CookieWriter, ...] = ()
    as_json: bool = False
    varies: bool = True


#: ``Sec-Fetch-Dest`` values of a page the browser is about to show.
_PAGE_DESTINATIONS = frozenset(("document", "iframe", "frame", "embed", "object"))
#: ``Sec-Fetch-Mode`` values of a request a script (or an ``<img>``, a ``<script>``) made.
_SCRIPT_MODES = frozenset(("cors", "no-cors", "same-origin"))
#: What the guards' decision reads besides the path: the ``Vary`` of their answers.
REQUEST_KIND_HEADERS = ("Accept", "Sec-Fetch-Mode", "Sec-Fetch-Dest", "X-Requested-With")

#: The header Auth.js v5's client sends on its sign-in and sign-out posts (``"1"``).
RETURN_REDIRECT = "X-Auth-Return-Redirect"


def wants_json(form: Mapping[str, str] | None = None, *, by_path: bool = False) -> bool:
    """Does this client want JSON back instead of a page or a redirect?

    Both ask for it by an ``Accept`` header preferring JSON or a JSON body. A guard
    (``by_path=True``) also answers JSON on ``JWTAUTH_API_PATHS`` and in consumer mode: a
    fetch() to ``/api/...`` is an API call whatever it accepts. Elsewhere (a blueprint under
    ``/app/api``, say) a guard tells a script from a person by what the browser says of the
    request: a navigation (``Sec-Fetch-Mode: navigate``, ``Sec-Fetch-Dest: document``) or a
    client naming ``text/html`` in ``Accept`` (htmx) gets a page; a ``fetch()`` or XHR
    (``Sec-Fetch-Mode: cors``/``same-origin``/``no-cors``, ``Sec-Fetch-Dest: empty``,
    ``X-Requested-With: XMLHttpRequest``) gets JSON, never a redirect to an HTML page it
    cannot use. An endpoint looks at the request's body and ``Accept`` only, never at the
    path (a ``JWTAUTH_URL_PREFIX`` under ``/api`` must not turn the browser's form into
    JSON), and also at the ``json=true`` form field that NextAuth's client posts for
    ``signIn(..., {redirect: false})``.
    The ``X-Auth-Return-Redirect`` header that Auth.js v5's client posts asks for
    ``{"url"}`` too.
    """
    if by_path:
        settings = ext().settings
        if settings.consumer or settings.access.api_paths.match(request.path):
            return True
    if form is not None and str(form.get("json", "")).strip().lower() in ("true", "1"):
        return True
    if form is not None and RETURN_REDIRECT in request.headers:
        return True
    if request.is_json:
        return True
    accept = request.accept_mimetypes
    if accept.best_match(("text/html", "application/json")) == "application/json":
        return True
    return by_path and _script_request(accept)


def _script_request(accept: Any) -> bool:
    """Sent by a script rather than by a person's navigation (see :func:`wants_json`)."""
    headers = request.headers
    mode = headers.get("Sec-Fetch-Mode", "").strip().lower()
    dest = headers.get("Sec-Fetch-Dest", "").strip().lower()
    if mode == "navigate" or dest in _PAGE_DESTINATIONS:
        return False
    if any(kind == "text/html" for kind, _ in accept):
        return False  # asks for HTML by name (htmx, a page's own fetch of a fragment)
    if mode in _SCRIPT_MODES or dest == "empty":
        return True
    return headers.get("X-Requested-With", "").strip().lower() == "xmlhttprequest"


def sign_in_url(**query: str | None) -> str:
    """The sign-in page (the app's own view when ``JWTAUTH_SIGN_IN_ENDPOINT`` is set), with
    ``callbackUrl``, ``error`` and ``code`` in its query when given (empty ones are left
    out), in the order given: the guards' redirect has always put ``callbackUrl`` first, a
    failed sign-in its ``error``; both stay byte for byte."""
    assert set(query) <= {"callbackUrl", "error", "code"}, query
    base = ext().sign_in_page_url()
    params = {name: value for name, value in query.items() if value}
    return f"{base}?{urlencode(params)}" if params else base


def requested_url() -> str:
    """The URL this request asked for, as a ``callbackUrl``: relative, under the app's
    mount point (SCRIPT_NAME); absolute when the sign-in page is on another origin. The
    query string is kept as sent, bytes that are not UTF-8 percent-encoded (werkzeug's
    ``full_path`` would raise on them)."""
    target = request.script_root + request.path
    if request.query_string:
        target += "?" + quote(request.query_string, safe=_QUERY_SAFE)
    if ext().settings.pages.sign_in_elsewhere:
        target = request.host_url.rstrip("/") + target
    return target


# -- the answers ----------------------------------------------------------------------


def denied(status: int, code: str, *, api: bool, retry_after: int | None = None) -> Answer:
    """A guard's 401/403/503: JSON for an API; for a page, 401 goes to sign-in (with the
    reason when the session ended), the others show the error page."""
    member, _, message = describe_api(code) if api else describe(code)
    # The store or the upstream could not vouch for the session: try again shortly.
    headers = (("Retry-After", str(retry_after or 5)),) if status == 503 else ()
    if api:
        body = {"error": member, "message": message}
        return Answer(status, member, body=body, headers=headers, as_json=True)
    if status == 401:
        error = member if member in SESSION_ENDED else None
        location = sign_in_url(callbackUrl=requested_url(), error=error)
        return Answer(status, member, location=location, headers=headers)
    return Answer(status, member, page=Page.ERROR, headers=headers)


def failed(
    code: str,
    *,
    as_json: bool,
    callback: str = "",
    reason: str | None = None,
    remember: CookieWriter | None = None,
) -> Answer:
    """An endpoint's failure: JSON for API clients; for a browser, a redirect (post,
    redirect, get) to the sign-in page or the error page, so the address bar never stays
    on a POST URL that a reload would post again or that Enter would answer with 405.

    When the app serves its own sign-in (``JWTAUTH_SIGN_IN_ENDPOINT``) or error page
    (``JWTAUTH_ERROR_ENDPOINT``), the browser is sent there with ``?error=<Code>``, as
    NextAuth does for ``pages.signIn`` / ``pages.error``. ``remember`` keeps what the user
    typed for our own sign-in page.
    """
    member, status, message = describe(code)
    if as_json:
        body = {"ok": False, "error": member, "message": message, "status": status, "url": None}
        if reason:
            body["code"] = reason
        return Answer(status, member, body=body, reason=reason, as_json=True)
    pages = ext().settings.pages
    if member in SIGN_IN_PAGE_CODES:
        location = sign_in_url(error=member, code=reason, callbackUrl=callback)
        keep = (remember,) if remember is not None and pages.sign_in_endpoint is None else ()
        return Answer(status, member, location=location, reason=reason, cookies=keep)
    if pages.error_endpoint is not None:
        return Answer(status, member, location=url_for(pages.error_endpoint, error=member.value))
    # A server fault or a refusal by policy: shown where it happened, with its status.
    return Answer(status, member, page=Page.ERROR)


def go(
    url: str, *, as_json: bool, told: str | None = None, cookies: tuple[CookieWriter, ...] = ()
) -> Answer:
    """Success, and the next URL: a redirect, or ``{"ok": true, "url": ...}`` telling a
    JSON client ``told`` (when it differs from where a browser goes)."""
    if as_json:
        told = told or url
        body = {"ok": True, "url": told}
        return Answer(location=told, body=body, cookies=cookies, as_json=True)
    return Answer(location=url, cookies=cookies, varies=False)


def data(body: Any) -> Answer:
    """A JSON answer that is only data (the session, or null)."""
    return Answer(body=body, as_json=True, varies=False)


# -- rendering --------------------------------------------------------------------------


def _page(answer: Answer) -> Response:
    code = answer.code or ErrorCode.DEFAULT
    if answer.page is Page.SIGN_IN:
        return render_sign_in(error=code, status=answer.status)
    if answer.page is Page.SIGN_OUT:
        return render_sign_out(callback_url=answer.callback, error=code, status=answer.status)
    return render_error(code, answer.status)


def _finish(answer: Answer, response: Response) -> Response:
    for name, value in answer.headers:
        response.headers[name] = value
    private(response)
    for write in answer.cookies:
        write(response)
    return vary_accept(response) if answer.varies else response


def render(answer: Answer, instead: Response | None = None) -> Response:
    """The response: ``instead`` (the app's own, from its handler) or ours, as JSON, a
    redirect or a page; never cached, and with the answer's headers and cookies."""
    if instead is not None:
        response = instead
    elif answer.as_json:
        response = jsonify(answer.body)
        response.status_code = answer.status
    elif answer.location is not None:
        response = current_app.make_response(redirect(answer.location, REDIRECT))
    else:
        response = _page(answer)
    return _finish(answer, response)


def render_authjs(
    answer: Answer,
    *,
    api_url: str,
    provider: str | None,
    failure: Callable[[Answer], tuple[str, int]] | None = None,
) -> Response:
    """The answer to a form post in next-auth's shape: ``{"url": ...}`` for success and
    failure alike; a failure's code rides in the URL's query (``error``, ``code``), with
    our status. ``api_url`` is the absolute URL of the Auth.js routes. A browser's answer
    (a redirect, a page) and plain data are rendered as ours. ``failure`` gives a failure's
    URL and status instead (Auth.js v5's)."""
    if not answer.as_json:
        return render(answer)
    if answer.code is None:
        if answer.location is None:
            return render(answer)
        return _finish(answer, jsonify(url=answer.location))
    status = answer.status
    if failure is not None:
        url, status = failure(answer)
    elif answer.code is ErrorCode.CSRF:
        # v4 tells the client where to go, with 200: signIn() reports ok, as v4's does.
        url, status = f"{api_url}/signin?csrf=true", 200
    else:
        # Auth.js's own code where it has one: next-auth's pages know AccessDenied.
        code = answer.code
        params = {"error": _AUTHJS_CODES.get(code, code).value}
        if provider is not None:
            params["provider"] = provider
        if answer.reason:
            params["code"] = answer.reason
        url = f"{api_url}/error?{urlencode(params)}"
    response = jsonify(url=url)
    response.status_code = status
    return _finish(answer, response)
