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

from ..headers import private, vary_accept
from ..proxies import get_session
from ..state import ext
from . import common
from .callback import callback
from .info import csrf, provider_list
from .session import update_session
from .sign_in import sign_in
from .sign_out import sign_out


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
    response = update_session()
    if response.status_code == 200 and response.get_json(silent=True) is None:
        return private(jsonify({}))
    return response


def providers() -> Response:
    return provider_list(lambda p: f"{common.base_url()}{_prefix()}/signin/{p.id}")


def signin_page() -> Response:
    """``/signin``: our sign-in page, with what the client asked for."""
    params = {k: v for k in ("callbackUrl", "error") if (v := request.args.get(k))}
    location = ext().sign_in_page_url()
    return common.redirect_to(f"{location}?{urlencode(params)}" if params else location)


def signout_page() -> Response:
    location = ext().settings.pages.sign_out_url
    callback_url = common.callback_url()
    query = f"?{urlencode({'callbackUrl': callback_url})}" if callback_url else ""
    return common.redirect_to(request.script_root + location + query)


def error_page() -> Response:
    """``/error?error=Code``: where next-auth sends a failure; ours shows it."""
    return common.fail(False, request.args.get("error", "Default"))


def signin(provider: str) -> Response:
    """``signIn(<oauth provider>)``: ``{"url": <authorization URL>}``, as our endpoint."""
    return _as_authjs(sign_in(provider), provider)


def provider_callback(provider: str) -> Response:
    """``signIn('credentials', ...)`` posts here; a provider's redirect may land here too."""
    return _as_authjs(callback(provider), provider)


def signout() -> Response:
    return _as_authjs(sign_out(), None)


def client_log() -> Response:
    """next-auth's client reports its own errors here: nothing to keep (and never trusted
    enough to log), so an API call from its logger is not a 404."""
    return Response(status=204)


def _as_authjs(response: Response, provider: str | None) -> Response:
    """Our JSON answer in next-auth's shape: ``{"url": ...}`` for success and failure alike;
    a failure's code rides in the URL's query (``error``, ``code``), with our status."""
    if not response.is_json:
        return response
    body = response.get_json(silent=True)
    if not isinstance(body, dict):
        return response
    if body.get("ok") and isinstance(body.get("url"), str):
        shaped = jsonify(url=body["url"])
    elif isinstance(body.get("error"), str):
        error = body["error"]
        if error == "CSRF":
            url = f"{common.base_url()}{_prefix()}/signin?csrf=true"
        else:
            params = {"error": error}
            if provider is not None:
                params["provider"] = provider
            if isinstance(body.get("code"), str):
                params["code"] = body["code"]
            url = f"{common.base_url()}{_prefix()}/error?{urlencode(params)}"
        shaped = jsonify(url=url)
        shaped.status_code = response.status_code
    else:
        return response
    for name, value in response.headers.items():
        if name.lower() in ("set-cookie", "retry-after"):
            shaped.headers.add(name, value)
    return vary_accept(private(shaped))
