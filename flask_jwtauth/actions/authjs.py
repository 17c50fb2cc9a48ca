"""Auth.js's REST API for its clients, at ``JWTAUTH_AUTHJS_API_URL`` (e.g. ``/api/auth``).

The route names and answer shapes of next-auth's server, so that the real ``next-auth/react``
client (``signIn``, ``signOut``, ``getSession``, ``getCsrfToken``, ``getProviders``,
``useSession`` and its ``update``) works against a Flask back end unchanged. Each route is a
thin adapter over our own endpoint: the same flow, CSRF check, throttle and same-origin rules.
What differs is only the shape: ``{}`` for no session (v4's client reads ``{}`` as "none" and
chokes on ``null``), and every JSON answer to a form post is ``{"url": ...}``, with the
failure's ``error`` (and ``code``) in that URL's query, as next-auth's server answers.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, request

from ..answers import Answer, data, failed, go, render, render_authjs, sign_in_url
from ..errors import ErrorCode
from ..headers import private
from ..proxies import get_session
from ..state import ext
from . import common, pages
from .callback import callback_answer
from .info import csrf, provider_list
from .session import render_session, update_answer
from .sign_in import sign_in_answer
from .sign_out import sign_out_answer


def register(bp: Blueprint, prefix: str) -> None:
    def add(path: str, name: str, view: object, methods: list[str]) -> None:
        bp.add_url_rule(f"{prefix}{path}", f"authjs_{name}", view, methods=methods)  # type: ignore[arg-type]

    add("/session", "session", session, ["GET"])
    add("/session", "update_session", session_update, ["POST"])
    add("/csrf", "csrf", csrf, ["GET"])
    add("/providers", "providers", providers, ["GET"])
    add("/signin", "signin_page", signin_page, ["GET"])
    add("/signin/<provider>", "signin", signin, ["POST"])
    add("/callback/<provider>", "callback", provider_callback, ["GET", "POST"])
    add("/signout", "signout_page", signout_page, ["GET"])
    add("/signout", "signout", signout, ["POST"])
    add("/error", "error", error_page, ["GET"])
    add("/_log", "log", client_log, ["POST"])


def _prefix() -> str:
    found = ext().settings.pages.authjs_api_url
    assert found is not None
    return found


def session() -> Response:
    """The session, or ``{}`` when there is none (next-auth v4's answer)."""
    found = get_session()
    return private(jsonify(found if found is not None else {}))


def session_update() -> Response:
    """``update(data)``: body ``{"csrfToken", "data"}``; the session after, or ``{}``."""
    answer = update_answer()
    if answer.code is None and answer.body is None:
        answer = data({})  # next-auth v4's client reads {} as "no session"
    return render_session(answer)


def providers() -> Response:
    return provider_list(lambda p: f"{common.base_url()}{_prefix()}/signin/{p.id}")


def signin_page() -> Response:
    """``/signin``: our sign-in page, with what the client asked for."""
    args = request.args
    location = sign_in_url(callbackUrl=args.get("callbackUrl"), error=args.get("error"))
    return render(go(location, as_json=False))


def signout_page() -> Response:
    location = ext().settings.pages.sign_out_url
    callback_url = common.callback_url()
    query = f"?{urlencode({'callbackUrl': callback_url})}" if callback_url else ""
    return render(go(request.script_root + location + query, as_json=False))


def error_page() -> Response:
    """``/error?error=Code``: where next-auth sends a failure. As next-auth's route, a sign-in
    failure goes to the sign-in page and an app's own error page gets the code; any other
    code is answered as our ``/auth/error`` answers it: the page, with the code's status
    capped below 500 (a query string alone never makes a 5xx)."""
    answer = failed(request.args.get("error", ErrorCode.DEFAULT), as_json=False)
    if answer.location is None:
        return pages.error_page()
    return render(answer)


def signin(provider: str) -> Response:
    """``signIn(<oauth provider>)``: ``{"url": <authorization URL>}``, as our endpoint."""
    return _as_authjs(sign_in_answer(provider), provider)


def provider_callback(provider: str) -> Response:
    """``signIn('credentials', ...)`` posts here; a provider's redirect may land here too."""
    return _as_authjs(callback_answer(provider), provider)


def signout() -> Response:
    return _as_authjs(sign_out_answer(), None)


def client_log() -> Response:
    """next-auth's client reports its own errors here: nothing to keep (and never trusted
    enough to log), so an API call from its logger is not a 404."""
    return Response(status=204)


def _as_authjs(answer: Answer, provider: str | None) -> Response:
    return render_authjs(answer, api_url=f"{common.base_url()}{_prefix()}", provider=provider)
