"""Helpers for users' own test suites, as Flask-Login's ``FlaskLoginClient`` is.

``app.test_client_class = JWTAuthTestClient``; then ``app.test_client(user={"id": "1"})``
starts with a valid session cookie for that user. It goes through the same flow as a real
sign-in (``sign_in`` and ``jwt`` callbacks with trigger ``"sign_in"``, signals), then keeps
the cookies that sign-in's response set, as a browser would. Each client has its own cookie
jar and nothing is stored on the app, so no state leaks from one client to another.

:class:`TestClock` and :func:`use_clock` move a session forward in time without sleeping
(expiry, rolling, an access token due for refresh). The pytest plugin
(:mod:`flask_jwtauth.pytest_plugin`) wraps both as fixtures.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, Response
from flask.testing import FlaskClient
from werkzeug.http import parse_cookie

from . import flow
from .session.state import request_state
from .state import ext


class TestClock:
    """Time under the test's control: ``clock.advance(61)`` instead of ``sleep(61)``."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = float(now)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@contextmanager
def use_clock(app: Flask, clock: Any) -> Iterator[Any]:
    """Run ``app`` on ``clock`` (a callable returning seconds) for the duration: sessions,
    its stores' expiry (memory and SQLite; Redis keeps its own time), throttling,
    revocation, refresh and OAuth transactions alike. The app's own clock is back
    afterwards."""
    shared = ext(app).clock
    saved = shared.source
    shared.source = clock
    try:
        yield clock
    finally:
        shared.source = saved


class JWTAuthTestClient(FlaskClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        user = kwargs.pop("user", None)
        claims = kwargs.pop("claims", None)
        secure = kwargs.pop("secure", False)
        super().__init__(*args, **kwargs)
        if user is not None:
            self.sign_in(user, claims=claims, secure=secure)

    def sign_in(
        self, user: Any, *, claims: dict[str, Any] | None = None, secure: bool = False
    ) -> str:
        """Give this client a session for ``user`` (``claims`` are added to its token);
        returns the session token it now holds."""
        app = self.application
        app_state = ext(app)
        engine = app_state.engine
        with app.test_request_context(base_url="https://localhost" if secure else None):
            engine.load()
            account = {"provider": "test", "type": "test"}
            result = flow.sign_in(user, account=account)
            if not result:
                raise ValueError(f"the sign-in of this user was refused: {result.error}")
            state = request_state()
            assert state is not None and state.token is not None
            if claims:
                state.token = {**state.token, **claims}
            response = engine.save(Response())
        return self._keep(response, secure)

    def sign_out(self, *, secure: bool = False) -> None:
        """End this client's session through the flow (signals sent, the session revoked
        when revocation is on), and drop its cookie as a browser would."""
        app = self.application
        engine = ext(app).engine
        name = engine.cookie.policy.name_for(secure)
        cookies = "; ".join(f"{key}={value}" for key, value in self._session_cookies(name))
        with app.test_request_context(
            base_url="https://localhost" if secure else None, headers={"Cookie": cookies}
        ):
            engine.load()
            flow.sign_out()
            engine.save(Response())
        self._forget(name)

    def _session_cookies(self, name: str) -> list[tuple[str, str]]:
        path = ext(self.application).engine.cookie.policy.path
        found = []
        for key in [name, *(f"{name}.{i}" for i in range(64))]:
            cookie = self.get_cookie(key, path=path)
            if cookie is not None:
                found.append((key, cookie.value))
            elif key != name:
                break
        return found

    def _forget(self, name: str) -> None:
        path = ext(self.application).engine.cookie.policy.path
        for key, _ in self._session_cookies(name):
            self.delete_cookie(key, path=path)

    def _keep(self, response: Response, secure: bool) -> str:
        """As a browser would hold it: the new cookie (or chunks), none left from before."""
        policy = ext(self.application).engine.cookie.policy
        name = policy.name_for(secure)
        self._forget(name)
        value = ""
        for header in response.headers.getlist("Set-Cookie"):
            for key, cookie_value in parse_cookie(header.split(";", 1)[0]).items():
                if cookie_value and (key == name or key.startswith(f"{name}.")):
                    self.set_cookie(key, cookie_value, path=policy.path)
                    value += cookie_value
        return value
