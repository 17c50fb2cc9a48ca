"""The pytest plugin, as a user's suite meets it: a tiny app and its tests, run by pytester
in a nested pytest session that loads the plugin from its entry point."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

USER_SUITE = '''
import pytest
from flask import Flask
from flask_jwtauth import JWTAuth, CredentialsProvider, current_user, login_required


@pytest.fixture
def app():
    app = Flask(__name__)
    app.config.update(TESTING=True, JWTAUTH_SECRET="user-suite-secret-0123456789abcdefgh",
                      JWTAUTH_SESSION_MAX_AGE=60)
    JWTAuth(app, providers=[CredentialsProvider(authorize=lambda c: None)])

    @app.get("/api/me")
    @login_required
    def me():
        return {"name": current_user["name"]}

    return app


def test_signed_in(jwtauth_client):
    client = jwtauth_client({"id": "1", "name": "Ann"})
    assert client.get("/api/me").get_json() == {"name": "Ann"}


def test_each_call_is_a_new_client(jwtauth_client):
    ann, anonymous = jwtauth_client({"id": "1", "name": "Ann"}), jwtauth_client()
    assert ann.get("/api/me").status_code == 200
    assert anonymous.get("/api/me").status_code == 401


def test_sign_out(jwtauth_client):
    client = jwtauth_client({"id": "1", "name": "Ann"})
    client.sign_out()
    assert client.get("/api/me").status_code == 401


def test_expiry_without_sleeping(jwtauth_client, jwtauth_clock):
    client = jwtauth_client({"id": "1", "name": "Ann"})
    jwtauth_clock.advance(59)
    assert client.get("/api/me").status_code == 200
    jwtauth_clock.advance(61)
    assert client.get("/api/me").status_code == 401
'''


def test_the_plugins_fixtures_in_a_users_suite(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user_app=USER_SUITE)
    result = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider", "-W", "error")
    result.assert_outcomes(passed=4)


def test_a_suite_without_an_app_fixture_is_not_disturbed(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="def test_nothing():\n    assert True\n")
    result = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider", "-W", "error")
    result.assert_outcomes(passed=1)  # loaded (see the test above), and harmless
