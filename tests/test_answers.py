"""The one answer: error codes, the exception base, the sign-in URL builder and the JSON-or-page
rule, each tested once here (the answers themselves are checked over HTTP elsewhere)."""

from __future__ import annotations

import json

from conftest import AppFactory

from flask_jwtauth import (
    ConfigurationError,
    CredentialsSignin,
    ErrorCode,
    InvalidToken,
    JWTAuthError,
    RefreshRefused,
    RefreshUnavailable,
)
from flask_jwtauth.answers import failed, render_authjs, sign_in_url, wants_json
from flask_jwtauth.errors import MESSAGES, SessionUnavailable, describe


def test_every_code_is_its_string_and_has_a_message() -> None:
    for code in ErrorCode:
        assert code in MESSAGES
        assert code == code.value and str(code) == f"{code}" == code.value
        assert json.dumps(code) == json.dumps(code.value)
    assert describe("nonsense")[0] is ErrorCode.DEFAULT


def test_the_exceptions_share_one_base_with_their_code() -> None:
    assert CredentialsSignin("invalid_otp").error is ErrorCode.CREDENTIALS_SIGNIN
    assert CredentialsSignin("invalid_otp").code == "invalid_otp"  # the app's reason stays
    assert ConfigurationError("JWTAUTH_X", "bad").error is ErrorCode.CONFIGURATION
    assert isinstance(ConfigurationError("JWTAUTH_X", "bad"), ValueError)
    for exc in (InvalidToken(), RefreshRefused(), RefreshUnavailable(), SessionUnavailable()):
        assert isinstance(exc, JWTAuthError) and isinstance(exc.error, ErrorCode)
    assert SessionUnavailable().code == 503  # still the HTTP status Flask dispatches on


def test_the_sign_in_url_keeps_the_order_it_is_given(make_app: AppFactory) -> None:
    app = make_app()[0]
    with app.test_request_context("/"):
        assert sign_in_url() == "/auth/sign-in"
        assert (
            sign_in_url(callbackUrl="/a?b=1", error=None)
            == "/auth/sign-in?callbackUrl=%2Fa%3Fb%3D1"
        )
        assert sign_in_url(error=ErrorCode.CSRF, code="x", callbackUrl="/d") == (
            "/auth/sign-in?error=CSRF&code=x&callbackUrl=%2Fd"
        )


def test_guards_count_the_path_and_endpoints_the_json_field(make_app: AppFactory) -> None:
    app = make_app()[0]
    with app.test_request_context("/api/me", headers={"Accept": "text/html"}):
        assert wants_json(by_path=True) and not wants_json()
    with app.test_request_context("/auth/sign-in/credentials", method="POST"):
        assert wants_json({"json": "true"}) and not wants_json({})


def test_the_authjs_shape_is_read_from_the_answer(make_app: AppFactory) -> None:
    app = make_app()[0]
    with app.test_request_context("/"):
        answer = failed("CredentialsSignin", as_json=True, reason="invalid_otp")
        response = render_authjs(answer, api_url="http://h/api/auth", provider="credentials")
        assert response.status_code == 401
        assert response.get_json() == {
            "url": "http://h/api/auth/error?error=CredentialsSignin&provider=credentials&code=invalid_otp"
        }


def test_issue21_a_sign_in_cancelled_at_the_provider_goes_to_the_sign_in_page(
    make_app: AppFactory,
) -> None:
    """Issue 21, item 2: our own code for the user's "no" at the provider; Auth.js's routes
    say ``AccessDenied``, the code next-auth's pages know."""
    app = make_app()[0]
    with app.test_request_context("/"):
        page = failed(ErrorCode.SIGN_IN_CANCELLED, as_json=False, callback="/d")
        assert page.location == "/auth/sign-in?error=SignInCancelled&callbackUrl=%2Fd"
        answer = failed(ErrorCode.SIGN_IN_CANCELLED, as_json=True)
        assert answer.body["error"] == "SignInCancelled"
        response = render_authjs(answer, api_url="http://h/api/auth", provider="demo")
        assert response.get_json() == {"url": "http://h/api/auth/error?error=AccessDenied&provider=demo"}
    shown = app.test_client().get("/auth/sign-in?error=SignInCancelled").get_data(as_text=True)
    assert "Sign-in was cancelled" in shown and "permission" not in shown
