"""The blueprint: sign-in/sign-out/error pages and NextAuth's ``/api/auth/*`` JSON twins.

A client that asks for JSON (an ``Accept`` header preferring it, a JSON body, or the form
field ``json=true`` that NextAuth's client sends) gets JSON instead of a redirect: NextAuth's
``signIn(..., {redirect: false})``. The decision looks at the request only, never at the
path, so a ``JWTAUTH_URL_PREFIX`` under ``/api`` does not turn the browser form into JSON.

Answers, all documented in :mod:`flask_jwtauth.errors`:

- sign-in: ``302`` to the callbackUrl (JSON ``200 {"ok": true, "url": ...}``); bad
  credentials re-render the sign-in page with one generic message, ``401`` (JSON
  ``401 {"ok": false, "error": "CredentialsSignin"}``); a ``sign_in`` callback saying no:
  ``403 AccessDenied``; an ``authorize`` or callback that raises: logged, ``500
  Configuration``, no traceback.
- a missing or wrong CSRF token on any POST: ``400 CSRF`` and nothing changes.
- a JSON body that is not a flat object of strings, numbers or booleans: ``400 BadRequest``.
- an unknown provider: ``404``; a provider that cannot sign in here: ``400 OAuthSignin`` (and
  ``400 OAuthCallbackError`` on its callback route).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    request,
    url_for,
)
from flask_wtf.csrf import generate_csrf
from werkzeug.datastructures import MultiDict

from . import signals
from .callbacks import default_token
from .errors import MESSAGES, describe
from .forms import (
    MalformedBody,
    credentials_form,
    credentials_of,
    csrf_ok,
    header_token,
    submitted,
)
from .pages import no_store, render_error, render_sign_in, render_sign_out
from .providers.credentials import CredentialsProvider
from .redirects import same_origin_target
from .session import RequestState, own_copy, request_state
from .templating import AuthBlueprint, setup_templates

if TYPE_CHECKING:
    from .extension import JWTAuthState

logger = logging.getLogger("flask_jwtauth")

#: Codes shown on the sign-in page itself; the others go to the error page.
_SIGN_IN_PAGE_CODES = frozenset(
    {"CredentialsSignin", "SessionRequired", "SessionExpired", "OAuthSignin", "CSRF", "BadRequest"}
)
#: How much of a submitted (non-secret) value is echoed back into the re-rendered form.
_ECHO_LIMIT = 1024


def _ext() -> JWTAuthState:
    ext: JWTAuthState = current_app.extensions["jwtauth"]
    return ext


def _state() -> RequestState:
    state = request_state()
    assert state is not None, "the session hook did not run for this request"
    return state


def _json_mode(data: MultiDict[str, str] | None = None) -> bool:
    """Does this client want JSON back instead of a page or a redirect?"""
    if data is not None and data.get("json", "").strip().lower() in ("true", "1"):
        return True
    if request.is_json:
        return True
    best = request.accept_mimetypes.best_match(("text/html", "application/json"))
    return best == "application/json"


def _base_url() -> str:
    """The origin as NextAuth's ``baseUrl``: ``http://host`` (no trailing slash)."""
    return request.host_url.rstrip("/")


def _target(url: str | None, default: str = "/") -> str:
    """Where to send the user: the redirect callback's verdict, never another origin."""
    base = _base_url()
    wanted = url or default
    try:
        chosen = _ext().callbacks.redirect(url=wanted, base_url=base)
    except Exception:
        logger.exception("the redirect callback raised; falling back to /")
        return "/"
    return same_origin_target(chosen, base) or "/"


def _callback_url(data: MultiDict[str, str] | None = None) -> str:
    """The posted callbackUrl (or one in the query string), when it is same-origin."""
    raw = (data.get("callbackUrl") if data is not None else None) or request.args.get("callbackUrl")
    return same_origin_target(raw, _base_url()) or ""


def _redirect(location: str) -> Response:
    return no_store(current_app.make_response(redirect(location)))


def _fail(
    json_mode: bool,
    code: str,
    *,
    callback_url: str = "",
    values: dict[str, str] | None = None,
) -> Response:
    """The failure answer: JSON, the sign-in page again, or the error page.

    When the app serves its own sign-in (``JWTAUTH_SIGN_IN_ENDPOINT``) or error page
    (``JWTAUTH_ERROR_ENDPOINT``), a browser is sent there with ``?error=<Code>``, as NextAuth
    does for ``pages.signIn`` / ``pages.error``.
    """
    code, status, message = describe(code)
    if json_mode:
        response = jsonify(ok=False, error=code, message=message, status=status, url=None)
        response.status_code = status
        return no_store(response)
    settings = _ext().settings
    if code == "CSRF" and settings.sign_in_endpoint is not None:
        # Not a redirect: a forged or stale POST is answered 400, whatever pages are used.
        return render_error(code, status)
    if code in _SIGN_IN_PAGE_CODES:
        if settings.sign_in_endpoint is not None:
            params = {"error": code}
            if callback_url:
                params["callbackUrl"] = callback_url
            return _redirect(f"{_ext().sign_in_page_url()}?{urlencode(params)}")
        return render_sign_in(error=code, callback_url=callback_url, values=values, status=status)
    if settings.error_endpoint is not None:
        return _redirect(url_for(settings.error_endpoint, error=code))
    return render_error(code, status)


def _done(json_mode: bool, url: str) -> Response:
    if json_mode:
        # Absolute, as NextAuth's client expects (it reads ``new URL(data.url)``).
        absolute = f"{_base_url()}{url}" if url.startswith("/") else url
        return no_store(jsonify(ok=True, url=absolute))
    return _redirect(url)


# -- pages ---------------------------------------------------------------------------------


def sign_in_page() -> Response:
    callback = _callback_url()
    error = request.args.get("error")
    return render_sign_in(
        error=(error if error in MESSAGES else "Default") if error else None,
        callback_url=callback,
    )


def sign_out_page() -> Response:
    """The confirmation page. It never signs anyone out: only the POST does."""
    callback = _callback_url() or "/"
    return render_sign_out(callback_url=callback)


def error_page() -> Response:
    code, status, _ = describe(request.args.get("error") or "Default")
    # The page only reports; the request that failed already carried its status. A query
    # string alone must not make this page answer 5xx.
    return render_error(code, status if status < 500 else 200)


# -- actions -------------------------------------------------------------------------------


def sign_in_provider(provider: str) -> Response:
    ext = _ext()
    found = ext.providers.get(provider)
    if found is None:
        abort(404)
    try:
        data = submitted()
    except MalformedBody:
        return _fail(True, "BadRequest")
    json_mode = _json_mode(data)
    callback_url = _callback_url(data)
    if not isinstance(found, CredentialsProvider):
        return _fail(json_mode, "OAuthSignin", callback_url=callback_url)
    form = credentials_form(found, data)
    values = {f.name: data.get(f.name, "")[:_ECHO_LIMIT] for f in found.fields if not f.secret}
    if not form.validate():
        if "csrf_token" in form.errors:
            return _fail(json_mode, "CSRF", callback_url=callback_url, values=values)
        signals.send(signals.sign_in_failed, provider=provider, error="CredentialsSignin")
        return _fail(json_mode, "CredentialsSignin", callback_url=callback_url, values=values)
    credentials = credentials_of(found, form)
    try:
        user = found.authorize(credentials)
        claims = default_token(user) if user is not None else None
    except Exception:
        logger.exception("authorize() of provider %r raised", provider)
        signals.send(signals.sign_in_failed, provider=provider, error="Configuration")
        return _fail(json_mode, "Configuration")
    if claims is None:
        signals.send(signals.sign_in_failed, provider=provider, error="CredentialsSignin")
        return _fail(json_mode, "CredentialsSignin", callback_url=callback_url, values=values)
    account = {"provider": found.id, "type": found.type, "providerAccountId": claims["sub"]}
    return complete_sign_in(user, account, claims, credentials, callback_url, json_mode)


def provider_callback(provider: str) -> Response:
    """``POST /auth/callback/<provider>``: where a provider hands the user back.

    Credentials post here too in NextAuth; a provider whose round trip cannot complete
    here answers ``OAuthCallbackError``.
    """
    found = _ext().providers.get(provider)
    if found is None:
        abort(404)
    if isinstance(found, CredentialsProvider):
        return sign_in_provider(provider)
    try:
        json_mode = _json_mode(submitted())
    except MalformedBody:
        json_mode = True
    return _fail(json_mode, "OAuthCallbackError")


def complete_sign_in(
    user: Any,
    account: dict[str, Any],
    claims: dict[str, Any],
    credentials: dict[str, str] | None,
    callback_url: str,
    json_mode: bool,
) -> Response:
    """Shared by every provider: sign_in callback, jwt callback, new session, response.

    The ``sign_in`` callback may return True (go on), False/None (``AccessDenied``), or a URL:
    the user is sent there (same-origin only) *without* being signed in, as in NextAuth.
    """
    ext = _ext()
    callbacks = ext.callbacks
    provider = account["provider"]
    try:
        if callbacks.sign_in is not None:
            verdict = callbacks.sign_in(user=user, account=account, credentials=credentials)
            if verdict is False or verdict is None:
                signals.send(signals.sign_in_failed, provider=provider, error="AccessDenied")
                return _fail(json_mode, "AccessDenied")
            if isinstance(verdict, str):
                return _done(json_mode, _target(verdict))
        token: Any = ext.engine.mint(claims)
        if callbacks.jwt is not None:
            token = callbacks.jwt(token=token, user=user, account=account, trigger="sign_in")
    except Exception:
        logger.exception("a sign-in callback raised")
        signals.send(signals.sign_in_failed, provider=provider, error="Configuration")
        return _fail(json_mode, "Configuration")
    if token is None:
        signals.send(signals.sign_in_failed, provider=provider, error="AccessDenied")
        return _fail(json_mode, "AccessDenied")
    if not isinstance(token, dict):
        logger.error("the jwt callback returned %s, not a dict or None", type(token).__name__)
        signals.send(signals.sign_in_failed, provider=provider, error="Configuration")
        return _fail(json_mode, "Configuration")
    ext.engine.start(_state(), token)
    signals.send(signals.user_signed_in, user=user, account=account, token=own_copy(token))
    return _done(json_mode, _target(callback_url))


def sign_out() -> Response:
    try:
        data = submitted()
    except MalformedBody:
        return _fail(True, "BadRequest")
    json_mode = _json_mode(data)
    if not csrf_ok(data.get("csrf_token")):
        if json_mode:
            return _fail(True, "CSRF")
        callback = _callback_url(data) or "/"
        return render_sign_out(callback_url=callback, error="CSRF", status=400)
    state = _state()
    ended = own_copy(state.token) if state.token is not None else None
    _ext().engine.end(state)
    signals.send(signals.user_signed_out, token=ended)
    return _done(json_mode, _target(data.get("callbackUrl")))


def _session_json() -> Response:
    from .proxies import get_session

    try:
        return no_store(jsonify(get_session()))
    except Exception:
        logger.exception("the session callback raised, or returned something not JSON")
        return _fail(True, "Configuration")


def session() -> Response:
    """``GET /auth/session``: the session callback's output, or ``null``; never cached."""
    return _session_json()


def update_session() -> Response:
    """``POST /auth/session``: NextAuth's ``update(data)``.

    Body ``{"data": ...}`` (JSON, or form fields); CSRF token in ``X-CSRFToken`` (or
    ``csrfToken`` in the body). The jwt callback runs with ``trigger="update"`` and
    ``session=<data>``; its result becomes the session (None ends it).
    """
    body: Any = request.get_json(silent=True) if request.is_json else request.form.to_dict()
    if not isinstance(body, dict):
        return _fail(True, "BadRequest")
    if not csrf_ok(header_token() or body.get("csrfToken") or body.get("csrf_token")):
        return _fail(True, "CSRF")
    state = _state()
    if state.token is None:
        return _fail(True, "SessionRequired")
    if "data" in body:
        data = body["data"]
    else:
        data = {k: v for k, v in body.items() if k not in ("csrfToken", "csrf_token")}
    ext = _ext()
    if ext.callbacks.jwt is not None:
        try:
            updated = ext.callbacks.jwt(
                token=own_copy(state.token), user=None, account=None, trigger="update", session=data
            )
        except Exception:
            logger.exception("the jwt callback raised on update")
            return _fail(True, "Configuration")
        if updated is None:
            ext.engine.end(state)
            return no_store(jsonify(None))
        if not isinstance(updated, dict):
            logger.error("the jwt callback returned %s, not a dict or None", type(updated).__name__)
            return _fail(True, "Configuration")
        state.token = updated
    ext.engine.touch(state)
    signals.send(signals.session_updated, token=own_copy(state.token))
    return _session_json()


def csrf() -> Response:
    return no_store(jsonify(csrfToken=generate_csrf()))


def providers() -> Response:
    out = {}
    for p in _ext().providers.values():
        out[p.id] = {
            "id": p.id,
            "name": p.name,
            "type": p.type,
            "signinUrl": url_for("jwtauth.sign_in_provider", provider=p.id, _external=True),
            "callbackUrl": url_for("jwtauth.callback", provider=p.id, _external=True),
        }
    return jsonify(out)


def build_blueprint(ext: JWTAuthState) -> Blueprint:
    """Routes at the configured URLs; a page pointed at the app's own view is not served."""
    s = ext.settings
    prefix = "" if s.url_prefix == "/" else s.url_prefix
    bp = AuthBlueprint("jwtauth", __name__, template_folder="templates")
    bp.record_once(setup_templates)
    if s.sign_in_endpoint is None:
        bp.add_url_rule(s.sign_in_url, "sign_in", sign_in_page, methods=["GET"])
    if s.sign_out_endpoint is None:
        bp.add_url_rule(s.sign_out_url, "sign_out_page", sign_out_page, methods=["GET"])
    if s.error_endpoint is None:
        bp.add_url_rule(s.error_url, "error", error_page, methods=["GET"])
    bp.add_url_rule(
        f"{prefix}/sign-in/<provider>", "sign_in_provider", sign_in_provider, methods=["POST"]
    )
    bp.add_url_rule(
        f"{prefix}/callback/<provider>", "callback", provider_callback, methods=["POST"]
    )
    bp.add_url_rule(f"{prefix}/sign-out", "sign_out", sign_out, methods=["POST"])
    bp.add_url_rule(f"{prefix}/session", "session", session, methods=["GET"])
    bp.add_url_rule(f"{prefix}/session", "update_session", update_session, methods=["POST"])
    bp.add_url_rule(f"{prefix}/csrf", "csrf", csrf, methods=["GET"])
    bp.add_url_rule(f"{prefix}/providers", "providers", providers, methods=["GET"])
    return bp
