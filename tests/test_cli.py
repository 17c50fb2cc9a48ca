"""``flask jwtauth secret|decode|config|check``, through Flask's CLI runner."""

from __future__ import annotations

import json

from conftest import AppFactory
from support import SECRET, FakeClock

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
    assert "valid; the session ends " in result.stderr
    assert "exp: " in result.stderr and "from now)" in result.stderr


def test_decode_reads_stdin_and_reports_expiry(make_app: AppFactory, clock: FakeClock) -> None:
    app, _ = make_app(JWTAUTH_SESSION_MAX_AGE=10)
    token = JWTAuthTestClient(app).sign_in({"id": "7"})
    clock.advance(11)
    result = app.test_cli_runner().invoke(args=["jwtauth", "decode"], input=token + "\n")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["sub"] == "7"
    assert "expired; the session ends " in result.stderr
    assert "(1 second ago)" in result.stderr  # exp, in human terms


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


def test_decode_picks_the_session_out_of_a_whole_cookie_header(make_app: AppFactory) -> None:
    app, _ = make_app(JWTAUTH_COOKIE_CHUNK_SIZE=1024)
    client = JWTAuthTestClient(app)
    client.sign_in({"id": "7", "name": "A" * 3000})  # chunked
    jar = {}  # what the browser holds
    index = 0
    while (chunk := client.get_cookie(f"jwtauth.session-token.{index}")) is not None:
        jar[chunk.key] = chunk.value
        index += 1
    assert index >= 2
    header = "Cookie: theme=dark; " + "; ".join(f"{k}={v}" for k, v in jar.items())
    result = app.test_cli_runner().invoke(args=["jwtauth", "decode", header])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["name"] == "A" * 3000
    missing = app.test_cli_runner().invoke(args=["jwtauth", "decode", "Cookie: theme=dark"])
    assert missing.exit_code != 0 and "no jwtauth.session-token" in missing.output


def test_config_shows_effective_settings_with_secrets_masked(make_app: AppFactory) -> None:
    app, _ = make_app(
        JWTAUTH_SESSION_MAX_AGE=600,
        JWTAUTH_STORE_URL="redis://:hunter2-password@cache:6379/0",
        JWTAUTH_PROVIDER_GITHUB_CLIENT_SECRET="gh-secret-value-0123",
    )
    result = app.test_cli_runner().invoke(args=["jwtauth", "config"])
    assert result.exit_code == 0, result.output
    lines = dict(line.split(" = ", 1) for line in result.output.splitlines())
    assert lines["JWTAUTH_SESSION_MAX_AGE"] == "600  (set)"
    assert lines["JWTAUTH_SESSION_UPDATE_AGE"].endswith("(default)")
    assert "masked" in lines["JWTAUTH_SECRET"]
    assert "hunter2" not in result.output and "gh-secret-value" not in result.output
    assert SECRET not in result.output
    assert "redis://***@cache:6379/0" in lines["JWTAUTH_STORE_URL"]


def test_check_fails_a_pipeline_on_a_warning(make_app: AppFactory) -> None:
    good, _ = make_app()
    ok = good.test_cli_runner().invoke(args=["jwtauth", "check"])
    assert ok.exit_code == 0 and "no warnings" in ok.output
    bad, _ = make_app(JWTAUTH_COOKIE_SECURE=False, TESTING=False)
    failed = bad.test_cli_runner().invoke(args=["jwtauth", "check"])
    assert failed.exit_code == 1
    assert "JWTAUTH_COOKIE_SECURE" in failed.output
