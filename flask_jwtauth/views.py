"""The blueprint: sign-in/sign-out/error pages and NextAuth's ``/api/auth/*`` JSON twins.

A client that asks for JSON (Accept header, a JSON body, ``json=true``) gets JSON instead of
a redirect: NextAuth's ``signIn(..., {redirect: false})``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf.csrf import generate_csrf
from werkzeug.datastructures import MultiDict

from . import signals
from .callbacks import default_token
from .errors import MESSAGES, describe
from .forms import CsrfForm, MalformedBody, credentials_form, credentials_of, submitted
from .guards import wants_json
from .providers.credentials import CredentialsProvider
from .redirects import same_origin_target
from .session import RequestState, request_state

if TYPE_CHECKING:
    from .extension import JWTAuthState

logger = logging.getLogger("flask_jwtauth")


def _ext() -> JWTAuthState:
    ext: JWTAuthState = current_app.extensions["jwtauth"]
    return ext


def _state() -> RequestState:
    state = request_state()
    assert state is not None, "the session hook did not run for this request"
    return state


def _json_mode(data: MultiDict[str, str] | None = None) -> bool:
    if data is not None and data.get("json", "").lower() == "true":
        return True
    return wants_json()


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "private, no-store"
    response.vary.add("Cookie")
    return response


def _target(url: str | None, default: str = "/") -> str:
    """Where to send the user: the redirect callback's verdict, never another origin."""
    ext = _ext()
    base = request.host_url
    wanted = url or default
    try:
        chosen = ext.callbacks.redirect(url=wanted, base_url=base)
    except Exception:
        logger.exception("the redirect callback raised; falling back to /")
        return "/"
    return same_origin_target(chosen, base) or "/"


def _page_error(code: str | None) -> tuple[str | None, str | None]:
    if not code:
        return None, None
    code, _, message = describe(code)
    return code, message


def _provider_views(ext: JWTAuthState) -> list[dict[str, Any]]:
    return [
        {
            "id": p.id,
            "name": p.name,
            "type": p.type,
            "action": url_for("jwtauth.sign_in_provider", provider=p.id),
            "fields": getattr(p, "fields", ()),
        }
        for p in ext.providers.values()
    ]


def render_sign_in(
    *, error: str | None = None, callback_url: str = "", values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    ext = _ext()
    code, message = _page_error(error)
    html = render_template(
        "jwtauth/sign_in.html",
        providers=_provider_views(ext),
        values=values or {},
        csrf_token=generate_csrf(),
        callback_url=callback_url,
        error=code,
        error_message=message,
        theme=ext.settings.theme,
    )
    return _no_store(Response(html, status=status, mimetype="text/html"))


def render_error(code: str, status: int | None = None) -> Response:
    ext = _ext()
    code, default_status, message = describe(code)
    html = render_template(
        "jwtauth/error.html",
        error=code,
        error_message=message,
        status=status or default_status,
        sign_in_url=ext.sign_in_page_url(),
        theme=ext.settings.theme,
    )
    return _no_store(Response(html, status=status or default_status, mimetype="text/html"))


def _fail(json_mode: bool, code: str, *, callback_url: str = "", values: dict[str, str] | None = None) -> Response:
    code, status, message = describe(code)
    if json_mode:
        response = jsonify(ok=False, error=code, message=message, status=status)
        response.status_code = status
        return _no_store(response)
    if code in ("AccessDenied", "Configuration"):
        return render_error(code, status)
    return render_sign_in(error=code, callback_url=callback_url, values=values, status=status)


def _done(json_mode: bool, url: str) -> Response:
    if json_mode:
        return _no_store(jsonify(ok=True, url=url))
    return _no_store(redirect(url))


# -- pages ---------------------------------------------------------------------------------


def sign_in_page() -> Response:
    callback = same_origin_target(request.args.get("callbackUrl"), request.host_url) or ""
    error = request.args.get("error")
    return render_sign_in(error=error if error in MESSAGES else None if not error else "Default",
                          callback_url=callback)


def sign_out_page() -> Response:
    from .proxies import current_user

    callback = same_origin_target(request.args.get("callbackUrl"), request.host_url) or "/"
    html = render_template(
        "jwtauth/sign_out.html",
        user=dict(current_user) or None,
        action=url_for("jwtauth.sign_out"),
        csrf_token=generate_csrf(),
        callback_url=callback,
        theme=_ext().settings.theme,
    )
    return _no_store(Response(html, mimetype="text/html"))


def error_page() -> Response:
    return render_error(request.args.get("error") or "Default")


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
    if not isinstance(found, CredentialsProvider):
        return _fail(json_mode, "OAuthSignin")
    form = credentials_form(found, data)
    callback_url = same_origin_target(data.get("callbackUrl"), request.host_url) or ""
    values = {f.name: data.get(f.name, "") for f in found.fields if not f.secret}
    if not form.validate():
        if "csrf_token" in form.errors:
            return _fail(json_mode, "CSRF", callback_url=callback_url, values=values)
        signals.sign_in_failed.send(current_app._get_current_object(), provider=provider, error="CredentialsSignin")
        return _fail(json_mode, "CredentialsSignin", callback_url=callback_url, values=values)
    credentials = credentials_of(found, form)
    try:
        user = found.authorize(credentials)
        claims = default_token(user) if user is not None else None
    except Exception:
        logger.exception("authorize() of provider %r raised", provider)
        signals.sign_in_failed.send(current_app._get_current_object(), provider=provider, error="Configuration")
        return _fail(json_mode, "Configuration")
    if claims is None:
        signals.sign_in_failed.send(current_app._get_current_object(), provider=provider, error="CredentialsSignin")
        return _fail(json_mode, "CredentialsSignin", callback_url=callback_url, values=values)
    account = {"provider": found.id, "type": found.type, "providerAccountId": claims["sub"]}
    return complete_sign_in(user, account, claims, credentials, callback_url, json_mode)


def complete_sign_in(
    user: Any,
    account: dict[str, Any],
    claims: dict[str, Any],
    credentials: dict[str, str] | None,
    callback_url: str,
    json_mode: bool,
) -> Response:
    """Shared by every provider: sign_in callback, jwt callback, new session, response."""
    ext = _ext()
    callbacks = ext.callbacks
    try:
        if callbacks.sign_in is not None:
            verdict = callbacks.sign_in(user=user, account=account, credentials=credentials)
            if verdict is False or verdict is None:
                signals.sign_in_failed.send(current_app._get_current_object(), provider=account["provider"], error="AccessDenied")
                return _fail(json_mode, "AccessDenied")
            if isinstance(verdict, str):
                return _done(json_mode, _target(verdict))
        token = ext.engine.mint(claims)
        if callbacks.jwt is not None:
            token = callbacks.jwt(token=token, user=user, account=account, trigger="sign_in")
            if token is None:
                return _fail(json_mode, "AccessDenied")
    except Exception:
        logger.exception("a sign-in callback raised")
        return _fail(json_mode, "Configuration")
    state = _state()
    ext.engine.start(state, token)
    signals.user_signed_in.send(current_app._get_current_object(), user=user, account=account, token=dict(token))
    return _done(json_mode, _target(callback_url))


def _csrf_ok(token: str | None) -> bool:
    form = CsrfForm(formdata=MultiDict({"csrf_token": token or ""}))
    return bool(form.validate())


def sign_out() -> Response:
    try:
        data = submitted()
    except MalformedBody:
        return _fail(True, "BadRequest")
    json_mode = _json_mode(data)
    if not _csrf_ok(data.get("csrf_token")):
        return _fail(json_mode, "CSRF")
    state = _state()
    ended = dict(state.token) if state.token is not None else None
    _ext().engine.end(state)
    signals.user_signed_out.send(current_app._get_current_object(), token=ended)
    return _done(json_mode, _target(data.get("callbackUrl")))


def session() -> Response:
    from .proxies import get_session

    return _no_store(jsonify(get_session()))


def update_session() -> Response:
    body: Any = request.get_json(silent=True) if request.is_json else request.form.to_dict()
    if not isinstance(body, dict):
        return _fail(True, "BadRequest")
    header = request.headers.get("X-CSRFToken") or request.headers.get("X-CSRF-Token")
    token = header or body.get("csrfToken") or body.get("csrf_token")
    if not _csrf_ok(token if isinstance(token, str) else None):
        return _fail(True, "CSRF")
    state = _state()
    if state.token is None:
        return _fail(True, "SessionRequired")
    data = body.get("data", {k: v for k, v in body.items() if k not in ("csrfToken", "csrf_token")})
    ext = _ext()
    if ext.callbacks.jwt is not None:
        try:
            updated = ext.callbacks.jwt(token=dict(state.token), user=None, account=None, trigger="update", session=data)
        except Exception:
            logger.exception("the jwt callback raised on update")
            return _fail(True, "Configuration")
        if updated is None:
            ext.engine.end(state)
            return _no_store(jsonify(None))
        state.token = updated
    ext.engine.touch(state)
    signals.session_updated.send(current_app._get_current_object(), token=dict(state.token))
    return session()


def csrf() -> Response:
    return _no_store(jsonify(csrfToken=generate_csrf()))


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
    bp = Blueprint("jwtauth", __name__, template_folder="templates")
    if s.sign_in_endpoint is None:
        bp.add_url_rule(s.sign_in_url, "sign_in", sign_in_page, methods=["GET"])
    if s.sign_out_endpoint is None:
        bp.add_url_rule(s.sign_out_url, "sign_out_page", sign_out_page, methods=["GET"])
    if s.error_endpoint is None:
        bp.add_url_rule(s.error_url, "error", error_page, methods=["GET"])
    bp.add_url_rule(f"{prefix}/sign-in/<provider>", "sign_in_provider", sign_in_provider, methods=["POST"])
    bp.add_url_rule(f"{prefix}/callback/<provider>", "callback", sign_in_provider, methods=["POST"])
    bp.add_url_rule(f"{prefix}/sign-out", "sign_out", sign_out, methods=["POST"])
    bp.add_url_rule(f"{prefix}/session", "session", session, methods=["GET"])
    bp.add_url_rule(f"{prefix}/session", "update_session", update_session, methods=["POST"])
    bp.add_url_rule(f"{prefix}/csrf", "csrf", csrf, methods=["GET"])
    bp.add_url_rule(f"{prefix}/providers", "providers", providers, methods=["GET"])
    return bp
