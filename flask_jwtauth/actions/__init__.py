"""The blueprint: one small module per endpoint, as Auth.js's ``lib/actions``, each a thin
adapter from HTTP to the flow."""

from __future__ import annotations

from flask import Blueprint

from ..state import JWTAuthState
from ..templating import AuthBlueprint, setup_templates
from . import authjs
from .callback import callback
from .common import limit_body
from .email import verify_request_page
from .info import csrf, providers
from .pages import error_page, sign_in_page, sign_out_page, to_sign_in_page
from .script import script, serve_script
from .session import session, update_session
from .sign_in import sign_in
from .sign_out import sign_out


def build_blueprint(app_state: JWTAuthState) -> Blueprint:
    """Routes at the configured URLs; a page pointed at the app's own view is not served."""
    pages = app_state.settings.pages
    prefix = "" if pages.url_prefix == "/" else pages.url_prefix
    bp = AuthBlueprint("jwtauth", "flask_jwtauth", template_folder="templates")
    bp.record_once(setup_templates)
    bp.before_request(limit_body)
    if pages.sign_in_endpoint is None and not pages.sign_in_elsewhere:
        bp.add_url_rule(pages.sign_in_url, "sign_in", sign_in_page, methods=["GET"])
    if pages.sign_out_endpoint is None:
        bp.add_url_rule(pages.sign_out_url, "sign_out_page", sign_out_page, methods=["GET"])
    if pages.error_endpoint is None:
        bp.add_url_rule(pages.error_url, "error", error_page, methods=["GET"])
    bp.add_url_rule(f"{prefix}/sign-in/<provider>", "sign_in_provider", sign_in, methods=["POST"])
    # Enter in the address bar on the form's action URL: the page, never a bare 405.
    bp.add_url_rule(
        f"{prefix}/sign-in/<provider>", "sign_in_provider_page", to_sign_in_page, methods=["GET"]
    )
    bp.add_url_rule(f"{prefix}/callback/<provider>", "callback", callback, methods=["GET", "POST"])
    bp.add_url_rule(f"{prefix}/sign-out", "sign_out", sign_out, methods=["POST"])
    if any(p.type == "email" for p in app_state.providers.values()):
        bp.add_url_rule(
            f"{prefix}/verify-request", "verify_request", verify_request_page, methods=["GET"]
        )
    bp.add_url_rule(f"{prefix}/session", "session", session, methods=["GET"])
    bp.add_url_rule(f"{prefix}/session", "update_session", update_session, methods=["POST"])
    bp.add_url_rule(f"{prefix}/csrf", "csrf", csrf, methods=["GET"])
    bp.add_url_rule(f"{prefix}/providers", "providers", providers, methods=["GET"])
    script()  # read and hashed once, at start-up
    bp.add_url_rule(f"{prefix}/jwtauth.js", "script", serve_script, methods=["GET"])
    if pages.authjs_api_url is not None:
        authjs.register(bp, pages.authjs_api_url)
    return bp
