"""Per-app state, in ``app.extensions["jwtauth"]``: what views, pages and guards read.

Imported by them, never the other way round, so the modules that serve requests form no
import circle with the extension that wires them.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, request, url_for

from .callbacks import Callbacks
from .clock import Clock
from .config import Settings
from .csrf import Csrf
from .foreign import ForeignCookies
from .providers.base import Provider
from .revocation import Revocation
from .session.engine import SessionEngine
from .signing import SignedValues
from .throttle import Throttle
from .tokens import JWECodec


@dataclass
class JWTAuthState:
    """What one app's requests need."""

    settings: Settings
    #: The app's one clock: sessions, stores, throttling, refresh and transactions ask it.
    clock: Clock
    engine: SessionEngine
    providers: dict[str, Provider]
    callbacks: Callbacks
    csrf: Csrf
    #: The app's short signed values (CSRF, the expiry notice, the sign-in form's values).
    signed: SignedValues
    #: Seals the OAuth round trip's transaction cookie.
    transactions: JWECodec
    foreign: ForeignCookies
    revocation: Revocation | None = None
    throttle: Throttle | None = None

    def sign_in_page_url(self) -> str:
        """The sign-in page's URL, under the app's mount point (SCRIPT_NAME) when it has one."""
        pages = self.settings.pages
        if pages.sign_in_endpoint:
            return url_for(pages.sign_in_endpoint)
        if pages.sign_in_elsewhere:
            return pages.sign_in_url
        return request.script_root + pages.sign_in_url


def ext(app: Flask | None = None) -> JWTAuthState:
    """The current (or given) app's state; a clear error when JWTAuth was not set up."""
    target = app if app is not None else current_app
    found = target.extensions.get("jwtauth")
    if found is None:
        raise RuntimeError("JWTAuth is not set up on this app: call JWTAuth(app)")
    assert isinstance(found, JWTAuthState)
    return found
