"""Auth.js's REST API for its clients, at ``JWTAUTH_AUTHJS_API_URL`` (e.g. ``/api/auth``).

The route names and answer shapes of next-auth's server, so that the real ``next-auth/react``
client (``signIn``, ``signOut``, ``getSession``, ``getCsrfToken``, ``getProviders``,
``useSession`` and its ``update``) works against a Flask back end unchanged. Each route is a
thin adapter over our own endpoint: the same flow, CSRF check, throttle and same-origin rules.
What differs is what v4 answers (``authjs_v4``): ``{}`` for no session (v4's client reads
``{}`` as "none" and chokes on ``null``), v4's default session shape, every JSON answer to a
form post ``{"url": ...}`` with the failure's ``error`` (and ``code``) in that URL's query,
v4's CSRF answers, and 400 for what v4 does not serve. With ``JWTAUTH_AUTHJS_VERSION = 5``
the same routes answer Auth.js v5's client as v5's server does (``authjs_v5``).
``tests/test_authjs_parity.py`` compares each with next-auth v4's and @auth/core's own
handlers; docs/guides/nextjs.md lists where ours differs on purpose.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, request

from ..answers import (
    SIGN_IN_PAGE_CODES,
    Answer,
    data,
    failed,
    go,
    render,
    render_authjs,
    sign_in_url,
    wants_json,
)
from ..errors import ErrorCode
from ..headers import private
from ..pages import render_error
from ..providers.base import Provider
from ..providers.credentials import CredentialsProvider
from ..providers.email import EmailProvider
from ..proxies import get_session
from ..state import ext
from . import authjs_v4 as v4
from . import authjs_v5 as v5
from . import common
from .callback import callback_answer
from .dispatch import MalformedBody, submitted
from .email import confirm_page, shows_confirm_page, verify_request_page
from .info import csrf, provider_list
from .session import render_session, update_answer
from .sign_in import sign_in_answer
from .sign_out import sign_out_answer

#: The methods the catch-all answers as v4 does (400): any route or method it lacks.
_ALL = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def register(bp: Blueprint, prefix: str) -> None:
    def add(path: str, name: str, view: object, methods: list[str]) -> None:
        bp.add_url_rule(f"{prefix}{path}", f"authjs_{name}", view, methods=methods)  # type: ignore[arg-type]

    add("/session", "session", session, ["GET"])
    add("/session", "update_session", session_update, ["POST"])
    add("/csrf", "csrf", csrf, ["GET"])
    add("/providers", "providers", providers, ["GET"])
    add("/signin", "signin_page", signin_page, ["GET"])
    add("/signin/<provider>", "signin_provider_page", signin_page, ["GET"])
    add("/signin", "signin_none", signin, ["POST"])
    add("/signin/<provider>", "signin", signin, ["POST"])
    add("/callback/<provider>", "callback", provider_callback, ["GET", "POST"])
    add("/signout", "signout_page", signout_page, ["GET"])
    add("/signout", "signout", signout, ["POST"])
    add("/error", "error", error_page, ["GET"])
    add("/verify-request", "verify_request", verify_request, ["GET"])
    add("/_log", "log", client_log, ["POST"])
    # Werkzeug picks a rule that takes the method over one that only matches the path, so
    # these answer a wrong method on a known route too (400, not 405).
    add("", "unsupported_root", unsupported, _ALL)
    add("/<path:rest>", "unsupported", unsupported, _ALL)


def _prefix() -> str:
    found = ext().settings.pages.authjs_api_url
    assert found is not None
    return found


def _v5() -> bool:
    return ext().settings.pages.authjs_version == 5


def session() -> Response:
    """The session in v4's shape (v5's is the same), or ``{}`` when there is none (v4's
    client reads ``{}`` as "none" and chokes on ``null``); v5's ``null`` (its client reads
    ``{}`` as signed in)."""
    found = get_session()
    if found is None and _v5():
        return v5.null()
    return private(jsonify(v4.session(found) if found is not None else {}))


def session_update() -> Response:
    """``update(data)``: body ``{"csrfToken", "data"}``; the session after, or ``{}``: v4
    answers 400 ``{}`` to a wrong or missing token (and to a body it cannot read), 200
    ``{}`` when there is no session. v5 answers ``null`` for v4's ``{}``, and 400
    ``"Bad request."`` to a body it cannot parse."""
    if _v5() and v5.unparseable():
        return v5.bad_request()
    answer = update_answer()
    if answer.code in (ErrorCode.CSRF, ErrorCode.BAD_REQUEST):
        return v5.null(400) if _v5() else private(_json({}, 400))
    if answer.code is ErrorCode.SESSION_REQUIRED or (answer.code is None and not answer.body):
        if _v5():
            return v5.null()
        answer = data({})
    elif answer.code is None:
        answer = data(v4.session(answer.body))
    return render_session(answer)


def providers() -> Response:
    """``callbackUrl``: for credentials, the route ``signIn()`` posts to (as v4); for email,
    where the link leads (as v4); for an OAuth provider, the redirect URI registered at the
    provider (ours, under ``/auth``). v4 calls an OpenID provider ``oauth``."""
    return provider_list(
        lambda p: f"{_api_url()}/signin/{p.id}",
        callback_url=lambda p: (
            f"{_api_url()}/callback/{p.id}"
            if p.type in (CredentialsProvider.type, EmailProvider.type)
            else None
        ),
        kind=(lambda p: p.type) if _v5() else v4.provider_type,
    )


def signin_page(provider: str | None = None) -> Response:
    """``/signin``: our sign-in page, with what the client asked for."""
    args = request.args
    location = sign_in_url(callbackUrl=args.get("callbackUrl"), error=args.get("error"))
    return render(go(location, as_json=False))


def verify_request() -> Response:
    """The "check your email" page, ours. v4 shows its own whatever the providers; v5
    tells ``Configuration`` when it has no email provider (its page needs one)."""
    if _v5() and not any(p.type == EmailProvider.type for p in ext().providers.values()):
        return unsupported("verify-request")
    return verify_request_page()


def signout_page() -> Response:
    location = ext().settings.pages.sign_out_url
    callback_url = common.callback_url()
    query = f"?{urlencode({'callbackUrl': callback_url})}" if callback_url else ""
    return render(go(request.script_root + location + query, as_json=False))


def error_page() -> Response:
    """``/error?error=Code``: where next-auth sends a failure. As v4, a sign-in failure
    goes to the sign-in route (``/signin?error=``) and an app's own error page gets the
    code; any other code is our error page with v4's status (200, or 403 for
    ``AccessDenied`` and ``Verification``; never a 5xx for a query string)."""
    code = request.args.get("error") or ""
    if _v5():  # every code is shown on the error page, with v5's status
        status = v5.ERROR_PAGE_STATUS.get(code, 200)
    elif code in v4.SIGN_IN_ERRORS or (
        code in SIGN_IN_PAGE_CODES and code != ErrorCode.VERIFICATION  # v4: its error page
    ):
        return render(go(f"{_api_url()}/signin?{urlencode({'error': code})}", as_json=False))
    else:
        status = v4.ERROR_PAGE_STATUS.get(code.lower(), 200)
    answer = failed(code or ErrorCode.DEFAULT, as_json=False)
    if answer.location is not None and answer.code not in SIGN_IN_PAGE_CODES:
        return render(answer)  # the app's own error page
    return render_error(code or ErrorCode.DEFAULT, status)


def signin(provider: str | None = None) -> Response:
    """``signIn(<oauth provider>)``: ``{"url": <authorization URL>}``, as our endpoint.
    As v4: without the CSRF token or a known provider, ``/signin?csrf=true``; credentials
    never sign in here (they post to ``/callback/credentials``): ``/signin``. v5: an
    unknown provider is ``Configuration``, a missing token ``MissingCSRF``, no provider
    ``/signin``."""
    found = ext().providers.get(provider) if provider else None
    if _v5():
        if v5.unparseable():
            return v5.bad_request()
        if provider and found is None:
            return _told(v5.error_url(_api_url(), ErrorCode.CONFIGURATION))
        if not v4.csrf_ok():
            return _told(v5.error_url(_api_url(), ErrorCode.CSRF))
        if found is None:
            return _told(f"{_api_url()}/signin")
    if found is None or not v4.csrf_ok():
        return _told(f"{_api_url()}/signin?csrf=true")
    if found.type == CredentialsProvider.type:
        return _told(f"{_api_url()}/signin")
    if isinstance(found, EmailProvider):
        return _email_sign_in(found)
    return _as_authjs(sign_in_answer(found.id), found.id)


def _email_sign_in(found: EmailProvider) -> Response:
    """``signIn("email", {email})``: the link leads back here (``/callback/<id>``), and the
    answer to the address is the version's: sent, its ``/verify-request`` page; not an
    address, or not sent, v4's ``EmailSignin`` and v5's ``Configuration`` (200, as both).
    Ours alone (a throttle's 429, a 503) keep their own."""
    api_url = _api_url()
    answer = sign_in_answer(found.id, callback_url=f"{api_url}/callback/{found.id}")
    if answer.code is ErrorCode.EMAIL_SIGNIN:
        return _told(_error_route(answer.code))
    if answer.code is None and answer.location is not None:
        query = urlencode({"provider": found.id, "type": found.type})
        answer = replace(answer, location=f"{api_url}/verify-request?{query}")
    return _as_authjs(answer, found.id)


def provider_callback(provider: str) -> Response:
    """``signIn('credentials', ...)`` posts here; a provider's redirect may land here too
    (ours is registered at ``/auth/callback/<id>``), and a failure then goes to the
    version's error route, as there. An unknown provider, or a GET for credentials, is v4's
    unsupported request (400; v4 answers 500 to the latter). v5 tells both
    ``Configuration``; a missing token is ``MissingCSRF``. An email link lands on our
    confirm page, as at ``/auth/callback/<id>``, unless ``JWTAUTH_EMAIL_CONFIRM = False``."""
    found = ext().providers.get(provider)
    if isinstance(found, EmailProvider) and shows_confirm_page(found):
        return confirm_page(found)  # the link: a mail scanner's GET or HEAD spends nothing
    if _v5():
        if v5.unparseable():
            return v5.bad_request()
        if found is None or (found.type == CredentialsProvider.type and request.method != "POST"):
            return _told(v5.error_url(_api_url(), ErrorCode.CONFIGURATION))
        if found.type == CredentialsProvider.type and not v4.csrf_ok():
            return _told(v5.error_url(_api_url(), ErrorCode.CSRF))
        return _as_authjs(_callback_answer(found), provider)
    if found is None:
        return v4.unsupported()
    if found.type == CredentialsProvider.type:
        if request.method != "POST":
            return v4.unsupported()
        if not v4.csrf_ok() and not _malformed():
            return _told(f"{_api_url()}/signin?csrf=true")
    return _as_authjs(_callback_answer(found), provider)


def _callback_answer(found: Provider) -> Answer:
    """The callback's answer; a failed OAuth callback sends the browser where the
    version's own does (v4: ``/error?error=OAuthCallback`` and on to its sign-in page; v5:
    ``/error?error=Configuration``), not to our sign-in page, and so does an expired email
    link (both: ``/error?error=Verification``)."""
    answer = callback_answer(found.id)
    if answer.code is None or answer.as_json or answer.location is None:
        return answer
    if found.type == EmailProvider.type:
        # An expired or used link: both versions' error page says Verification; a link
        # without its token, Configuration (v4 spells it in lower case).
        if answer.code is not ErrorCode.VERIFICATION:
            return answer
        if request.values.get("token"):
            return replace(answer, location=_error_route(answer.code))
        missing = _error_route(ErrorCode.CONFIGURATION, v4_name="configuration")
        return replace(answer, location=missing)
    if found.type not in ("oauth", "oidc"):
        return answer
    if _v5():
        return replace(answer, location=v5.oauth_callback_url(_api_url()))
    return replace(answer, location=v4.oauth_callback_url(_api_url(), answer.code))


def signout() -> Response:
    """As v4, the token is checked whether or not there is a session; without it the
    client is told ``/signout?csrf=true``: the sign-out confirmation page (v5: its
    ``MissingCSRF``, on the sign-in page)."""
    if _v5() and v5.unparseable():
        return v5.bad_request()
    if not v4.csrf_ok():
        if _v5():
            return _told(v5.error_url(_api_url(), ErrorCode.CSRF))
        return _told(f"{_api_url()}/signout?csrf=true")
    return _as_authjs(sign_out_answer(), None)


def client_log() -> Response:
    """v4's client reports its errors to ``POST /_log``; v5 has no such route (400)."""
    return v5.bad_request() if _v5() else v4.client_log()


def unsupported(rest: str = "") -> Response:
    """A route or method the server does not have: v4's 400 in text. v5 answers 400
    ``"Bad request."`` unless it is one of v5's actions with GET or POST, which it tells
    ``Configuration`` (a redirect, or ``{"url"}`` for its client)."""
    if not _v5():
        return v4.unsupported(rest)
    action = rest.split("/", 1)[0]
    if request.method not in ("GET", "POST") or action not in v5.ACTIONS:
        return v5.bad_request()
    return _told(v5.error_url(_api_url(), ErrorCode.CONFIGURATION))


def _error_route(code: ErrorCode, v4_name: str | None = None) -> str:
    """The version's error route for ``code`` (v5 names some codes its own way)."""
    if _v5():
        return v5.error_url(_api_url(), code)
    return f"{_api_url()}/error?error={v4_name or code.value}"


def _api_url() -> str:
    """The Auth.js routes' absolute URL: the canonical origin, the app's mount path (they
    are the app's routes), the prefix."""
    return f"{common.base_url()}{request.script_root}{_prefix()}"


def _malformed() -> bool:
    try:
        submitted()
    except MalformedBody:
        return True
    return False


def _told(url: str) -> Response:
    """Go to ``url``: ``{"url"}`` (200) for the client, a redirect for a browser's form."""
    try:
        as_json = wants_json(submitted())
    except MalformedBody:
        as_json = True
    return _as_authjs(go(url, as_json=as_json), None)


def _json(body: object, status: int) -> Response:
    response = jsonify(body)
    response.status_code = status
    return response


def _as_authjs(answer: Answer, provider: str | None) -> Response:
    api_url = _api_url()
    if _v5():
        return render_authjs(
            answer, api_url=api_url, provider=provider, failure=lambda a: v5.failure(a, api_url)
        )
    return render_authjs(answer, api_url=api_url, provider=provider)
