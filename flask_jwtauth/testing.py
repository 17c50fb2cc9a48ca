"""Sign a test client in without the form, as Flask-Login's ``FlaskLoginClient`` does.

``app.test_client_class = JWTAuthTestClient``; then ``app.test_client(user={"id": "1"})``
starts with a valid session cookie for that user. It goes through the same flow as a real
sign-in (``sign_in`` and ``jwt`` callbacks with trigger ``"sign_in"``, signals), then keeps
the cookies that sign-in's response set, as a browser would.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.testing import FlaskClient
from werkzeug.http import parse_cookie

from . import flow
from .context import request_state
from .state import ext


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
            token = state.token
        policy = engine.policy
        name = policy.name_for(secure)
        # As a browser would hold it: the new cookie (or chunks), none left over from before.
        self.delete_cookie(name, path=policy.path)
        index = 0
        while self.get_cookie(f"{name}.{index}", path=policy.path) is not None:
            self.delete_cookie(f"{name}.{index}", path=policy.path)
            index += 1
        value = ""
        for header in response.headers.getlist("Set-Cookie"):
            for key, cookie_value in parse_cookie(header.split(";", 1)[0]).items():
                if cookie_value and (key == name or key.startswith(f"{name}.")):
                    self.set_cookie(key, cookie_value, path=policy.path)
                    value += cookie_value
        assert token is not None
        return value
