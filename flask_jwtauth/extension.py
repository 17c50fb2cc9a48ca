"""``JWTAuth``: reads the settings once, then wires the session hooks, guards and blueprint."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import Flask, current_app, request, url_for

from .callbacks import Callbacks, adapt
from .cli import jwtauth_cli
from .config import ConfigurationError, Settings, load_settings
from .guards import protect_all
from .providers.base import Provider
from .proxies import current_session, current_user, unwrap_for_json
from .session import Clock, SessionEngine
from .tokens import derive_signing_key
from .views import build_blueprint

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class JWTAuthState:
    """What one app's requests need, in ``app.extensions["jwtauth"]``."""

    settings: Settings
    engine: SessionEngine
    providers: dict[str, Provider]
    callbacks: Callbacks

    def sign_in_page_url(self) -> str:
        """The sign-in page's URL, under the app's mount point (SCRIPT_NAME) when it has one."""
        endpoint = self.settings.sign_in_endpoint
        if endpoint:
            return url_for(endpoint)
        return request.script_root + self.settings.sign_in_url


class JWTAuth:
    """NextAuth's session model for Flask: ``JWTAuth(app, providers=[...])``.

    Or the factory form, ``auth = JWTAuth(providers=[...])`` then ``auth.init_app(app)``.
    Callbacks registered with the decorators below apply to every app it is bound to.
    """

    def __init__(
        self,
        app: Flask | None = None,
        providers: Iterable[Provider] = (),
        *,
        clock: Clock = time.time,
    ) -> None:
        self.providers = list(providers)
        self.clock = clock
        self.callbacks = Callbacks()
        if app is not None:
            self.init_app(app)

    def init_app(
        self,
        app: Flask,
        providers: Iterable[Provider] | None = None,
        *,
        clock: Clock | None = None,
    ) -> None:
        if "jwtauth" in app.extensions:
            raise RuntimeError("JWTAuth is already set up on this app")
        chosen = list(providers) if providers is not None else self.providers
        by_id: dict[str, Provider] = {}
        for provider in chosen:
            if not isinstance(provider, Provider):
                raise ConfigurationError("providers", f"{provider!r} is not a Provider")
            if provider.id in by_id:
                raise ConfigurationError("providers", f"two providers have the id {provider.id!r}")
            by_id[provider.id] = provider
        settings = load_settings(app.config)
        if app.secret_key is None:
            # Flask-WTF keeps its CSRF token in Flask's signed session, which needs a key.
            app.secret_key = derive_signing_key(settings.secrets[0], "flask_jwtauth.flask-secret")
        engine = SessionEngine(settings, self.callbacks, clock or self.clock)
        state = JWTAuthState(settings, engine, by_id, self.callbacks)
        app.extensions["jwtauth"] = state
        engine.init_app(app)
        if settings.protect_all:
            app.before_request(protect_all)
        app.register_blueprint(build_blueprint(state))
        app.context_processor(_template_globals)
        app.cli.add_command(jwtauth_cli)
        if callable(getattr(app.json, "default", None)):
            app.json.default = unwrap_for_json(app.json.default)  # type: ignore[attr-defined]

    # -- callbacks, in NextAuth's vocabulary --------------------------------------------

    def jwt_callback(self, func: F) -> F:
        """``jwt(token, user, account, trigger, session)``: shape the token; None ends it."""
        self.callbacks.jwt = adapt(func)
        return func

    def session_callback(self, func: F) -> F:
        """``session(session, token)``: shape what ``/auth/session`` and views see."""
        self.callbacks.session = adapt(func)
        return func

    def sign_in_callback(self, func: F) -> F:
        """``sign_in(user, account, credentials)``: False denies, a URL string redirects."""
        self.callbacks.sign_in = adapt(func)
        return func

    def redirect_callback(self, func: F) -> F:
        """``redirect(url, base_url)``: where to go after sign-in/out (same-origin enforced)."""
        self.callbacks.redirect = adapt(func)
        return func


def sign_in_url(callback_url: str | None = None) -> str:
    """The current app's sign-in page (its own view when ``JWTAUTH_SIGN_IN_ENDPOINT`` is
    set), optionally with a ``callbackUrl``: for links and redirects in the app's code."""
    base: str = current_app.extensions["jwtauth"].sign_in_page_url()
    return f"{base}?{urlencode({'callbackUrl': callback_url})}" if callback_url else base


def _template_globals() -> dict[str, Any]:
    return {
        "current_user": current_user,
        "current_session": current_session,
        "jwtauth_sign_in_url": sign_in_url,
    }
