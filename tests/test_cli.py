"""``flask jwtauth secret`` and ``flask jwtauth decode``, through Flask's CLI runner."""

from __future__ import annotations

import json

from conftest import AppFactory
from support import FakeClock

from flask_jwtauth import JWTAuth, JWTAuthTestClient


def test_secret_prints_a_fresh_random_value(make_app: AppFactory) -> None:
    app, _ = make_app()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["jwtauth", "secret"])
    second = runner.invoke(args=["jwtauth", "secret"])
    assert first.exit_code == 0
    assert len(first.output.strip()) >= 43  # 32 random bytes, base64url
    assert first.output != second.output


def test_decode_prints_the_claims_of_a_valid_cookie(make_app: AppFactory) -> None:
    app, _ = make_app()
    token = JWTAuthTestClient(app).sign_in({"id": "7", "name": "Ann"})
    result = app.test_cli_runner().invoke(args=["jwtauth", "decode", token])
    assert result.exit_code == 0, result.output
    claims = json.loads(result.stdout)
    assert claims["sub"] == "7" and claims["name"] == "Ann"
    assert result.stderr.startswith("valid; exp ")


def test_decode_reads_stdin_and_reports_expiry(make_app: AppFactory, clock: FakeClock) -> None:
    app, _ = make_app(JWTAUTH_SESSION_MAX_AGE=10)
    token = JWTAuthTestClient(app).sign_in({"id": "7"})
    clock.advance(11)
    result = app.test_cli_runner().invoke(args=["jwtauth", "decode"], input=token + "\n")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["sub"] == "7"
    assert result.stderr.startswith("expired; exp ")


def test_decode_rejects_a_foreign_or_tampered_token(make_app: AppFactory) -> None:
    app, _ = make_app()
    token = JWTAuthTestClient(app).sign_in({"id": "7"})
    runner = app.test_cli_runner()
    for bad in ("not-a-token", token[:-4] + "AAAA"):
        result = runner.invoke(args=["jwtauth", "decode", bad])
        assert result.exit_code == 1
        assert "not a valid session token for this app" in result.output
        assert "Traceback" not in result.output


def test_commands_come_with_the_extension() -> None:
    from flask import Flask

    app = Flask(__name__)
    app.config["JWTAUTH_SECRET"] = "cli-test-Qm9vN2xLr8TzX4pWc6dYb3sHa1uJk5eF"
    assert app.test_cli_runner().invoke(args=["jwtauth", "secret"]).exit_code != 0
    JWTAuth(app)
    assert app.test_cli_runner().invoke(args=["jwtauth", "secret"]).exit_code == 0
