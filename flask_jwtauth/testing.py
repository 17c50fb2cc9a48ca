"""Sign a test client in without the form, as Flask-Login's ``FlaskLoginClient`` does.

``app.test_client_class = JWTAuthTestClient``; then ``app.test_client(user={"id": "1"})``
starts with a valid session cookie for that user (the jwt callback runs with trigger
``"sign_in"``, as for a real sign-in).
"""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from .cookies import split


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
        """Give this client a session for ``user``; returns the cookie value it set."""
        ext = self.application.extensions["jwtauth"]
        with self.application.test_request_context(
            base_url="https://localhost" if secure else None
        ):
            token: str = ext.engine.issue(user, extra=claims, secure=secure)
        policy = ext.engine.policy
        name = policy.name_for(secure)
        # As a browser would hold it: numbered chunks when large, none left over from before.
        self.delete_cookie(name, path=policy.path)
        index = 0
        while self.get_cookie(f"{name}.{index}", path=policy.path) is not None:
            self.delete_cookie(f"{name}.{index}", path=policy.path)
            index += 1
        for key, value in split(token, name, policy.chunk_size).items():
            self.set_cookie(key, value, path=policy.path)
        return token
