"""pytest fixtures for apps that use flask_jwtauth (loaded by the ``pytest11`` entry point).

They build on the suite's own ``app`` fixture (the Flask convention, as pytest-flask's):

``jwtauth_client(user=None, *, claims=None, secure=False)``
    A new test client, signed in as ``user`` through the real flow when one is given. Each
    call is a new client with its own cookies.
``jwtauth_clock``
    The app runs on a clock frozen at the real time for the test; ``advance(s)`` moves it
    (expiry, rolling, an access token due for refresh, throttling windows and other entries
    of a memory or SQLite store) without sleeping. Redis keeps its own time.

Nothing is imported from the app until a fixture is used, so the plugin costs nothing to
suites that do not use it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest


@pytest.fixture
def jwtauth_client(request: pytest.FixtureRequest) -> Callable[..., Any]:
    from .testing import JWTAuthTestClient

    def make(
        user: Any = None,
        *,
        claims: dict[str, Any] | None = None,
        secure: bool = False,
        app: Any = None,
    ) -> JWTAuthTestClient:
        flask_app = app if app is not None else request.getfixturevalue("app")
        return JWTAuthTestClient(
            flask_app, flask_app.response_class, user=user, claims=claims, secure=secure
        )

    return make


@pytest.fixture
def jwtauth_clock(request: pytest.FixtureRequest) -> Iterator[Any]:
    from .testing import TestClock, use_clock

    app = request.getfixturevalue("app")
    with use_clock(app, TestClock(time.time())) as clock:
        yield clock
