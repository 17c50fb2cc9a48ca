"""``JWTAuth``: reads the settings once, then wires the session hooks, guards and blueprint."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import Blueprint, Flask

from . import log, startup_checks, transaction
from .actions import build_blueprint
from .actions.script import script_integrity, script_tag
from .answers import sign_in_url as _sign_in_url
from .callbacks import Callbacks, adapt
from .cli import jwtauth_cli
from .clock import Clock, TimeSource
from .config import ConfigurationError, Settings, load_settings
from .csrf import Csrf
from .errors import ErrorCode, SessionUnavailable
from .foreign import ForeignCookies
from .guards import deny, protect_all
from .providers.base import Provider
from .proxies import current_session, current_user, unwrap_for_json
from .refresh import Refresher
from .revocation import Revocation
from .session.engine import SessionEngine
from .session.gate import Gate
from .session.notice import ExpiryNotice
from .signing import SignedValues
from .state import JWTAuthState, ext
from .stores import MemoryStore, Store, StoreUnavailable, default_prefix, open_store
from .theme import button_text_color, link_color
from .throttle import Throttle
from .workers import share_refreshes_across_workers

F = TypeVar("F", bound=Callable[..., Any])


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
        clock: TimeSource = time.time,
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
        clock: TimeSource | None = None,
    ) -> None:
        if "jwtauth" in app.extensions:
            raise RuntimeError("JWTAuth is already set up on this app")
        now = Clock(clock or self.clock)
        by_id = _providers(providers if providers is not None else self.providers, app, now)
        settings = load_settings(app.config)
        if settings.debug:
            log.enable_debug()
        if settings.consumer and by_id:
            raise ConfigurationError(
                "JWTAUTH_CONSUMER", "a consumer signs no one in: give it no providers"
            )
        startup_checks.report(startup_checks.config_warnings(app, settings, by_id.values()))
        signed = SignedValues(settings.secrets)
        csrf = Csrf(signed, settings.cookies)
        needs_store = any(p.needs_store for p in by_id.values())
        store, revocation, throttle = _state_stores(
            app, settings, now, self.callbacks, needs_store=needs_store
        )
        for provider in by_id.values():
            if provider.needs_store and store is not None:
                provider.attach(store, settings.secrets[0])
        fail_open = settings.store.fail_open
        refresher = Refresher(by_id, settings.refresh, store, fail_open=fail_open, clock=now)
        if store is None and not settings.consumer and any(p.refreshes for p in by_id.values()):
            share_refreshes_across_workers(app, refresher, settings, now)
        gate = Gate(settings.session, now, revocation, fail_open=fail_open)
        notice = ExpiryNotice(settings.session.expiry_notice, signed.notice)
        if not settings.pages.sign_in_elsewhere:
            notice.sign_in_url = _sign_in_page_url
        engine = SessionEngine(settings, self.callbacks, now, csrf, gate, notice, refresher)
        app_state = JWTAuthState(
            settings,
            now,
            engine,
            by_id,
            self.callbacks,
            csrf,
            signed,
            transaction.codec(settings.secrets),
            ForeignCookies(settings, now),
            revocation,
            throttle,
        )
        app.extensions["jwtauth"] = app_state
        engine.init_app(app)
        if settings.access.protect_all:
            app.before_request(protect_all)
        if not settings.consumer:
            blueprint = build_blueprint(app_state)
            startup_checks.views_now_and_on_first_request(app, settings)
            app.register_blueprint(blueprint)
            _exempt_from_csrf_protect(app, blueprint)
        app.register_error_handler(SessionUnavailable, _session_unavailable)
        app.context_processor(_template_globals)
        app.cli.add_command(jwtauth_cli)
        if callable(getattr(app.json, "default", None)):
            app.json.default = unwrap_for_json(app.json.default)  # type: ignore[attr-defined]

    # -- callbacks, in NextAuth's vocabulary --------------------------------------------

    def jwt_callback(self, func: F) -> F:
        """``jwt(token, user, account, profile, trigger, session)``: shape the token; None
        ends it."""
        self.callbacks.jwt = adapt(func)
        return func

    def session_callback(self, func: F) -> F:
        """``session(session, token)``: shape what ``/auth/session`` and views see; None (or
        an exception) means there is no session."""
        self.callbacks.session = adapt(func)
        return func

    def sign_in_callback(self, func: F) -> F:
        """``sign_in(user, account, profile, credentials)``: False denies, a URL redirects."""
        self.callbacks.sign_in = adapt(func)
        return func

    def unauthorized_handler(self, func: F) -> F:
        """``handler(error, api)``: the answer when no one is signed in (instead of a 302 to
        sign-in or JSON 401). ``error`` is ``SessionRequired``/``SessionExpired``/...,
        ``api`` whether the request is an API call. Return anything a view may return, or
        None to keep the built-in answer for this request."""
        self.callbacks.unauthorized = adapt(func)
        return func

    def forbidden_handler(self, func: F) -> F:
        """``handler(error, api)``: the answer when the signed-in user lacks a role or fails
        the guard's predicate (instead of the 403 page or JSON)."""
        self.callbacks.forbidden = adapt(func)
        return func

    def throttle_key(self, func: F) -> F:
        """``key(account) -> str``: the name the failed-sign-in throttle counts ``account``
        (what the form's first non-secret field says) under, for an app whose user lookup
        treats names its own way (``ann+tag@example.com`` is ``ann@example.com``). It
        replaces the default (NFKC, casefold, strip): fold the name as the lookup does.
        A plain function, called before ``authorize()``; raising or returning something
        other than a string answers ``Configuration``."""
        self.callbacks.throttle_key = func
        return func

    def redirect_callback(self, func: F) -> F:
        """``redirect(url, base_url)``: where to go after sign-in/out (same-origin enforced)."""
        self.callbacks.redirect = adapt(func)
        return func


def _session_unavailable(exc: SessionUnavailable) -> Any:
    """A view (or the protect-all guard) read a session that cannot be vouched for now."""
    return deny(503, ErrorCode.SERVICE_UNAVAILABLE)


def _providers(chosen: Iterable[Provider], app: Flask, clock: Clock) -> dict[str, Provider]:
    by_id: dict[str, Provider] = {}
    for provider in chosen:
        if not isinstance(provider, Provider):
            raise ConfigurationError("providers", f"{provider!r} is not a Provider")
        if provider.id in by_id:
            raise ConfigurationError("providers", f"two providers have the id {provider.id!r}")
        provider.configure(app.config)
        provider.clock = clock
        by_id[provider.id] = provider
    return by_id


def _state_stores(
    app: Flask, settings: Settings, clock: Clock, callbacks: Callbacks, *, needs_store: bool
) -> tuple[Store | None, Revocation | None, Throttle | None]:
    """The store behind revocation, throttling, refresh and a provider's own state (email
    links): the configured one; for revocation or such a provider without one, an SQLite
    file in the instance folder; throttling alone counts
    in memory, and refreshes are then single-flight within the process only. Every key of
    a configured store starts with the app's prefix (``JWTAUTH_STORE_PREFIX``)."""
    config = settings.store
    url = config.url
    if url is None and (config.revocation or needs_store):
        url = f"sqlite:///{os.path.join(app.instance_path, 'jwtauth.db')}"
    store = None
    if url is not None:
        prefix = config.prefix or default_prefix(settings.secrets[0])
        try:
            store = open_store(
                url,
                timeout=config.timeout,
                clock=clock,
                prefix=prefix,
                max_entries=config.memory_max_entries,
            )
        except (ValueError, StoreUnavailable) as exc:
            raise ConfigurationError("JWTAUTH_STORE_URL", str(exc)) from None
    lifetime = settings.session.jwt_max_age + settings.session.leeway
    revocation = None
    if config.revocation and store is not None:
        revocation = Revocation(
            store, lifetime, clock, _earlier_views(store, settings), sync=config.revocation_sync
        )
    throttle = None
    if config.throttle:
        throttle = Throttle(
            store or MemoryStore(clock=clock, max_entries=config.memory_max_entries),
            config.throttle_window,
            secret=settings.secrets[0],
            ipv6_prefix=config.throttle_ipv6_prefix,
            callbacks=callbacks,
        )
    return store, revocation, throttle


def _sign_in_page_url() -> str:
    return ext().sign_in_page_url()


def _earlier_views(store: Store, settings: Settings) -> list[Store]:
    """The store under the default prefixes of the older secrets of a rotation (the first
    secret names the default prefix): revocations made before the newest secret came first
    are still read. None with an explicit JWTAUTH_STORE_PREFIX, which does not move."""
    with_prefix = getattr(store, "with_prefix", None)
    if settings.store.prefix is not None or with_prefix is None:
        return []
    return [with_prefix(default_prefix(secret)) for secret in settings.secrets[1:]]


def _exempt_from_csrf_protect(app: Flask, blueprint: Blueprint) -> None:
    """Our endpoints check their own CSRF tokens; Flask-WTF's ``CSRFProtect`` (which reads
    its token from Flask's session) must leave them alone, whether it was set up before or
    after us: at once, or on the first request by a hook that then takes itself out."""
    existing = app.extensions.get("csrf")
    if existing is not None:
        existing.exempt(blueprint)
        return

    def exempt_once() -> None:
        later = app.extensions.get("csrf")
        if later is not None:
            later.exempt(blueprint)
        # A new list: Flask is iterating the current one right now.
        app.before_request_funcs[None] = [
            f for f in app.before_request_funcs[None] if f is not exempt_once
        ]

    app.before_request_funcs.setdefault(None, []).insert(0, exempt_once)


def sign_in_url(callback_url: str | None = None) -> str:
    """The current app's sign-in page (its own view when ``JWTAUTH_SIGN_IN_ENDPOINT`` is
    set), optionally with a ``callbackUrl``: for links and redirects in the app's code."""
    return _sign_in_url(callbackUrl=callback_url)


def csrf_token() -> str:
    """A CSRF token for a form that posts to the auth endpoints (sign-out, update), bound to
    the current session, or to the visitor's CSRF cookie when no one is signed in."""
    return ext().csrf.token()


def _template_globals() -> dict[str, Any]:
    return {
        "current_user": current_user,
        "current_session": current_session,
        "jwtauth_sign_in_url": sign_in_url,
        "jwtauth_csrf_token": csrf_token,
        "jwtauth_script_tag": script_tag,
        "jwtauth_script_integrity": script_integrity,
        "jwtauth_button_text_color": button_text_color,
        "jwtauth_link_color": link_color,
    }
