"""The app's ``async def`` code (issue 18, item 6): callbacks, ``authorize()`` and the
refresh hook all run through one runner (``flask_jwtauth.run.run_sync``, Flask's
``ensure_sync``); without asgiref, registering one fails at once, naming the extra."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask
from support import SECRET, FakeClock, attempt_sign_in

from flask_jwtauth import (
    AsyncSupportMissing,
    CredentialsProvider,
    JWTAuth,
    Tokens,
    access_token,
    current_session,
    login_required,
)
from flask_jwtauth import run as run_module
from flask_jwtauth.providers.oauth import OAuthProvider


def in_a_worker_thread(scenario: Callable[[], None]) -> None:
    """As a WSGI server runs requests: asgiref refuses a thread whose event loop is running
    (the e2e tests keep one running in the main thread)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(scenario).result()


def test_async_authorize_jwt_callback_and_refresh_hook(clock: FakeClock) -> None:
    ran: list[str] = []
    grants = iter(range(1, 100))

    def tokens() -> Tokens:
        n = next(grants)
        return Tokens(access_token=f"at-{n}", expires_at=clock.now + 60, refresh_token=f"rt-{n}")

    async def authorize(credentials: dict[str, str]) -> Any:
        ran.append("authorize")
        if credentials["password"] != "pw":
            return None
        return {"id": "1", "name": credentials["username"]}, tokens()

    async def refresh(current: Tokens) -> Tokens:
        ran.append(f"refresh {current.refresh_token}")
        return tokens()

    app = Flask(__name__)
    app.config.update(TESTING=True, JWTAUTH_SECRET=SECRET)
    auth = JWTAuth(app, providers=[CredentialsProvider(authorize, refresh=refresh)], clock=clock)

    @auth.jwt_callback
    async def jwt(token: dict[str, Any], trigger: str | None) -> dict[str, Any]:
        ran.append(f"jwt {trigger}")
        return {**token, "by": "async jwt"}

    @auth.session_callback
    async def session(session: dict[str, Any], token: dict[str, Any]) -> dict[str, Any]:
        return {**session, "by": token["by"]}

    @app.get("/api/upstream")
    @login_required
    def upstream() -> Any:
        return {"access_token": access_token(), "by": current_session["by"]}

    def scenario() -> None:
        client = app.test_client()
        assert attempt_sign_in(client, "ann", "wrong").status_code == 302
        assert client.get_cookie("jwtauth.session-token") is None
        assert attempt_sign_in(client, "ann", "pw").status_code == 302
        assert client.get("/api/upstream").get_json() == {
            "access_token": "at-1",
            "by": "async jwt",
        }
        clock.advance(3600)  # the access token has expired, the session has not
        assert client.get("/api/upstream").get_json()["access_token"] == "at-2"

    in_a_worker_thread(scenario)
    assert ran[:3] == ["authorize", "authorize", "jwt sign_in"]
    assert "refresh rt-1" in ran


@pytest.fixture
def without_asgiref(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run_module, "_asgiref_installed", lambda: False)


async def _async_hook(*args: Any, **kwargs: Any) -> Any:
    return None


def _sync_hook(*args: Any, **kwargs: Any) -> Any:
    return None


FIX = 'pip install "flask-jwtauth[async]"'


@pytest.mark.usefixtures("without_asgiref")
@pytest.mark.parametrize(
    "register",
    [
        pytest.param(lambda auth: auth.jwt_callback(_async_hook), id="jwt-callback"),
        pytest.param(lambda auth: auth.session_callback(_async_hook), id="session-callback"),
        pytest.param(lambda auth: auth.sign_in_callback(_async_hook), id="sign-in-callback"),
        pytest.param(lambda auth: CredentialsProvider(_async_hook), id="authorize"),
        pytest.param(
            lambda auth: CredentialsProvider(_sync_hook, refresh=_async_hook), id="refresh"
        ),
        pytest.param(lambda auth: OAuthProvider("corp", "Corp", profile=_async_hook), id="profile"),
    ],
)
def test_an_async_hook_without_asgiref_fails_at_registration(
    register: Callable[[JWTAuth], Any],
) -> None:
    with pytest.raises(AsyncSupportMissing, match="async def") as raised:
        register(JWTAuth())
    assert FIX in str(raised.value)


@pytest.mark.usefixtures("without_asgiref")
def test_plain_hooks_need_no_asgiref() -> None:
    auth = JWTAuth(providers=[CredentialsProvider(_sync_hook, refresh=_sync_hook)])
    auth.jwt_callback(_sync_hook)
    auth.session_callback(_sync_hook)
    OAuthProvider("corp", "Corp", profile=_sync_hook)


def test_an_async_hook_put_in_place_later_fails_clearly_at_first_use(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A hook that bypassed registration (set as an attribute) still gets the message, not
    Flask's "install Flask with the 'async' extra in order to use async views"."""
    monkeypatch.setattr(run_module, "_asgiref_installed", lambda: False)
    with Flask(__name__).app_context(), pytest.raises(AsyncSupportMissing) as raised:
        run_module.run_sync(_async_hook)
    assert FIX in str(raised.value)
    assert run_module.run_sync(_sync_hook) is _sync_hook
