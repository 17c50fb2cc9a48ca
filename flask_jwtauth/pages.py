"""The built-in pages (sign-in, sign-out, error), rendered from the overridable templates.

Shared by the endpoints and the guards' 403 page; every page depends on the session (or the
CSRF token bound to it) and is never cached. Messages come from :mod:`errors`, one table.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from flask import Response, current_app, render_template, request, url_for

from .errors import SESSION_ENDED, ErrorCode, SessionUnavailable, describe
from .headers import private
from .proxies import current_user
from .redirects import same_origin_target
from .session.state import request_state
from .startup_checks import uncovered_host_notice
from .state import JWTAuthState, ext


def _provider_views(app_state: JWTAuthState) -> list[dict[str, Any]]:
    views = []
    for p in app_state.providers.values():
        page = p.page()
        views.append(
            {
                "id": p.id,
                "name": p.name,
                "type": p.type,
                "action": url_for("jwtauth.sign_in_provider", provider=p.id),
                "fields": page.get("fields", ()),
                "label": _label(p.type, p.name),
                "logo": page.get("logo"),
            }
        )
    return views


#: A credentials provider keeps this name unless the app names it: its button is then
#: plain "Sign in" (as when it is the only provider), never "Sign in with Credentials".
DEFAULT_CREDENTIALS_NAME = "Credentials"

#: Codes that inform rather than report a failure: shown as a notice, not in error red.
NOTICES = SESSION_ENDED | {ErrorCode.SESSION_REQUIRED, ErrorCode.SIGN_IN_CANCELLED}


def _label(kind: str, name: str) -> str:
    if kind == "credentials" and (not name or name == DEFAULT_CREDENTIALS_NAME):
        return "Sign in"
    return f"Sign in with {name}"


def _page_error(error: str | None) -> tuple[str | None, str | None]:
    if not error:
        return None, None
    code, _, message = describe(error)
    return code, message


def _settle() -> None:
    """Our own pages render even when the session cannot be vouched for right now (the
    upstream or the store is down): as for a visitor without one, never a 503 loop."""
    state = request_state()
    if state is not None:
        with suppress(SessionUnavailable):
            state.engine.resolve(state)


def _html(template: str, status: int, **context: Any) -> Response:
    html = render_template(
        template,
        theme=ext().settings.theme,
        status=status,
        home_url=request.script_root + "/",
        debug=current_app.debug,
        **context,
    )
    response = private(Response(html, status=status, mimetype="text/html"))
    # A page with a sign-in or sign-out form is never framed (clickjacking).
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = "frame-ancestors 'none'"
    return response


def render_sign_in(
    *,
    error: str | None = None,
    reason: str | None = None,
    callback_url: str = "",
    values: dict[str, str] | None = None,
    status: int = 200,
    message: str | None = None,
) -> Response:
    """``message``: the app's own safe text for the error (``CredentialsSignin``'s
    ``safe_message``), shown instead of the generic one."""
    _settle()
    app_state = ext()
    code, generic = _page_error(error)
    message = message if code is not None and message else generic
    if current_app.debug:
        notice = uncovered_host_notice(app_state.settings.cookies.domain, request.host)
        if notice is not None:  # the silent loop of a cookie the browser refuses
            code, message = code or "Configuration", f"{message} {notice}" if message else notice
    return _html(
        "jwtauth/sign_in.html",
        status,
        providers=_provider_views(app_state),
        values=values or {},
        csrf_token=app_state.csrf.token(),
        callback_url=callback_url,
        error=code,
        error_code=reason,
        error_message=message,
        notice=code in NOTICES,
    )


def render_sign_out(*, callback_url: str, error: str | None = None, status: int = 200) -> Response:
    _settle()
    code, message = _page_error(error)
    # Cancel goes back where the user came from, when that is a page of this origin.
    back = same_origin_target(request.referrer, request.host_url.rstrip("/"))
    return _html(
        "jwtauth/sign_out.html",
        status,
        user=dict(current_user) or None,
        action=url_for("jwtauth.sign_out"),
        csrf_token=ext().csrf.token(),
        callback_url=callback_url,
        cancel_url=back,
        error=code,
        error_message=message,
    )


def render_error(code: str, status: int | None = None, *, retry: bool = True) -> Response:
    """The error page. ``retry``: it answers the request that failed (a guard's 503), so
    "Try again" is that request again; not on the page that only reports a code."""
    _settle()
    code, default_status, message = describe(code)
    status = status or default_status
    return _html(
        "jwtauth/error.html",
        status,
        error=code,
        error_message=message,
        sign_in_url=ext().sign_in_page_url(),
        retry_url=request.script_root + request.full_path.rstrip("?") if retry else None,
    )
