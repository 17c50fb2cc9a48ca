"""The built-in pages (sign-in, sign-out, error), rendered from the overridable templates.

Shared by the blueprint's views and the guards' 403 page; every page depends on the
session (or the CSRF token in it) and is never cached.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Response, current_app, render_template, url_for
from flask_wtf.csrf import generate_csrf

from .errors import describe
from .session import private

if TYPE_CHECKING:
    from .extension import JWTAuthState


def _ext() -> JWTAuthState:
    ext: JWTAuthState = current_app.extensions["jwtauth"]
    return ext


def no_store(response: Response) -> Response:
    private(response)
    return response


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


def _page_error(error: str | None) -> tuple[str | None, str | None]:
    if not error:
        return None, None
    code, _, message = describe(error)
    return code, message


def render_sign_in(
    *,
    error: str | None = None,
    callback_url: str = "",
    values: dict[str, str] | None = None,
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
    return no_store(Response(html, status=status, mimetype="text/html"))


def render_sign_out(*, callback_url: str, error: str | None = None, status: int = 200) -> Response:
    from .proxies import current_user

    code, message = _page_error(error)
    html = render_template(
        "jwtauth/sign_out.html",
        user=dict(current_user) or None,
        action=url_for("jwtauth.sign_out"),
        csrf_token=generate_csrf(),
        callback_url=callback_url,
        error=code,
        error_message=message,
        theme=_ext().settings.theme,
    )
    return no_store(Response(html, status=status, mimetype="text/html"))


def render_error(code: str, status: int | None = None) -> Response:
    ext = _ext()
    code, default_status, message = describe(code)
    status = status or default_status
    html = render_template(
        "jwtauth/error.html",
        error=code,
        error_message=message,
        status=status,
        sign_in_url=ext.sign_in_page_url(),
        theme=ext.settings.theme,
    )
    return no_store(Response(html, status=status, mimetype="text/html"))
