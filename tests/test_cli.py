"""``flask jwtauth secret|decode|config|check``, through Flask's CLI runner."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import AppFactory
from flask import Flask
from support import SECRET, FakeClock, attempt_sign_in, cookie_value

from flask_jwtauth import CredentialsProvider, JWTAuth, JWTAuthTestClient, Tokens

ACCESS = "ACCESS-canary-token"
REFRESH = "REFRESH-canary-token"


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
    assert lines["JWTAUTH_SESSION_UPDATE_AGE"] == "None  (derived)"  # under a day: static
    assert "masked" in lines["JWTAUTH_SECRET"]
    assert "hunter2" not in result.output and "gh-secret-value" not in result.output
    assert SECRET not in result.output
    assert "redis://:***@cache:6379/0" in lines["JWTAUTH_STORE_URL"]


def test_check_fails_a_pipeline_on_a_warning(make_app: AppFactory) -> None:
    good, _ = make_app()
    ok = good.test_cli_runner().invoke(args=["jwtauth", "check"])
    assert ok.exit_code == 0 and "no warnings" in ok.output
    bad, _ = make_app(JWTAUTH_COOKIE_SECURE=False, TESTING=False)
    failed = bad.test_cli_runner().invoke(args=["jwtauth", "check"])
    assert failed.exit_code == 1
    assert "JWTAUTH_COOKIE_SECURE" in failed.output


# -- issue 19, item 5: what the CLI prints ----------------------------------------------------


def _config_line(app: Flask, key: str) -> str:
    result = app.test_cli_runner().invoke(args=["jwtauth", "config"])
    assert result.exit_code == 0, result.output
    return dict(line.split(" = ", 1) for line in result.output.splitlines())[key]


@pytest.mark.parametrize(
    ("url", "shown", "hidden"),
    [
        # redis-py's documented form for a unix socket: the password in the query
        (
            "unix:///run/redis.sock?db=0&password=hunter2-query",
            "unix:///run/redis.sock?db=0&password=***",
            "hunter2",
        ),
        (
            "redis://cache:6379/0?PassWord=hunter2-case&Auth_Token=tok-value-1",
            "redis://cache:6379/0?PassWord=***&Auth_Token=***",
            "hunter2",
        ),
        # a raw '@' in the password: the last '@' before the host ends the userinfo
        ("redis://app:p@ss@hunter2-tail@cache:6379/0", "redis://app:***@cache:6379/0", "hunter2"),
        ("rediss://:hunter2%40enc@cache:6380/1", "rediss://:***@cache:6380/1", "hunter2"),
        ("redis://hunter2-alone@cache:6379", "redis://***@cache:6379", "hunter2"),
        # a raw '/' or '?' in the password: urlsplit would end the userinfo there
        ("redis://app:pa/hunter2?x@cache/0", "redis://app:***@cache/0", "hunter2"),
        # an '@' in a query value: more is masked, never less
        (
            "redis://cache/0?client_name=a@b&password=hunter2-q",
            "redis://***@b&password=***",
            "hunter2",
        ),
        (
            "redis://app:hunter2-both@cache/0?socket_timeout=5&secret=s3&api_key=k",
            "redis://app:***@cache/0?socket_timeout=5&secret=***&api_key=***",
            "hunter2",
        ),
    ],
)
def test_issue19_config_masks_every_secret_of_a_store_url(
    make_app: AppFactory, url: str, shown: str, hidden: str
) -> None:
    app, _ = make_app()
    app.config["JWTAUTH_STORE_URL"] = url  # set after start-up: only the printing is tested
    line = _config_line(app, "JWTAUTH_STORE_URL")
    assert hidden not in line and "tok-value" not in line and "s3&" not in line, line
    assert line == f"{shown!r}  (set)"


def test_issue19_config_masks_secrets_in_any_url_setting(make_app: AppFactory) -> None:
    app, _ = make_app(JWTAUTH_URL="https://app.example.com")
    app.config["JWTAUTH_PROVIDER_IDP_ISSUER"] = "https://sso.example.com/?token=hunter2-tok"
    line = _config_line(app, "JWTAUTH_PROVIDER_IDP_ISSUER")
    assert "hunter2" not in line and "token=***" in line
    assert _config_line(app, "JWTAUTH_URL") == "'https://app.example.com'  (set)"


def _signed_in_with_upstream_tokens(make_app: AppFactory) -> tuple[Flask, str]:
    def authorize(credentials: dict[str, str]) -> Any:
        tokens = Tokens(ACCESS, expires_at=1_700_003_600, refresh_token=REFRESH)
        return {"id": "7", "name": "Ann"}, tokens

    app, auth = make_app(providers=[CredentialsProvider(authorize=authorize)])

    @auth.jwt_callback
    def also_at_the_top(token: dict[str, Any], account: Any = None) -> dict[str, Any]:
        if account:  # as Auth.js apps keep them: accessToken, id_token...
            token["accessToken"] = ACCESS + "-top"
            token["id_token"] = "ID-canary-token"
        return token

    client = app.test_client()
    assert attempt_sign_in(client, "ann", "pw").status_code == 302
    token = cookie_value(client)
    assert token is not None
    return app, token


def test_issue19_decode_masks_upstream_tokens_unless_revealed(make_app: AppFactory) -> None:
    app, token = _signed_in_with_upstream_tokens(make_app)
    runner = app.test_cli_runner()
    masked = runner.invoke(args=["jwtauth", "decode", token])
    assert masked.exit_code == 0, masked.output
    for canary in (ACCESS, REFRESH, "ID-canary"):
        assert canary not in masked.output
    claims = json.loads(masked.stdout)
    assert claims["sub"] == "7" and claims["upstream"]["expires_at"] == 1_700_003_600
    assert "masked" in claims["upstream"]["access_token"]
    assert "masked" in claims["upstream"]["refresh_token"]
    assert "masked" in claims["accessToken"] and "masked" in claims["id_token"]
    assert "--reveal" in masked.stderr
    shown = runner.invoke(args=["jwtauth", "decode", "--reveal", token])
    assert shown.exit_code == 0, shown.output
    claims = json.loads(shown.stdout)
    assert claims["upstream"]["access_token"] == ACCESS
    assert claims["upstream"]["refresh_token"] == REFRESH
    assert claims["accessToken"] == ACCESS + "-top"


def test_decode_with_another_secret_suggests_the_secret_differs(make_app: AppFactory) -> None:
    """Getting-started's old secrets.token_urlsafe(32) in code: the server and the
    `flask jwtauth decode` process each had their own secret."""
    server, _ = make_app()
    token = JWTAuthTestClient(server).sign_in({"id": "7"})
    other, _ = make_app(JWTAUTH_SECRET="another-secret-made-by-another-process-0123")
    result = other.test_cli_runner().invoke(args=["jwtauth", "decode", token])
    assert result.exit_code == 1
    assert "no key for this token" in result.output
    assert "different secret" in result.output and "environment" in result.output


def test_config_prints_the_effective_derived_values(make_app: AppFactory) -> None:
    app, _ = make_app(JWTAUTH_SESSION_MAX_AGE=600, JWTAUTH_URL_PREFIX="/account")
    result = app.test_cli_runner().invoke(args=["jwtauth", "config"])
    assert result.exit_code == 0, result.output
    lines = dict(line.split(" = ", 1) for line in result.output.splitlines())
    assert lines["JWTAUTH_JWT_MAX_AGE"] == "600  (derived)"
    assert lines["JWTAUTH_SIGN_IN_URL"] == "'/account/sign-in'  (derived)"
    assert lines["JWTAUTH_SIGN_OUT_URL"] == "'/account/sign-out'  (derived)"
    assert lines["JWTAUTH_ERROR_URL"] == "'/account/error'  (derived)"
    assert lines["JWTAUTH_SESSION_UPDATE_AGE"] == "None  (derived)"  # static: under a day
    assert lines["JWTAUTH_STORE_PREFIX"].startswith("'jwtauth:")
    assert "None  (derived)" not in lines["JWTAUTH_SIGN_IN_URL"]

    compat, _ = make_app(JWTAUTH_AUTHJS_COMPAT=True)
    result = compat.test_cli_runner().invoke(args=["jwtauth", "config"])
    lines = dict(line.split(" = ", 1) for line in result.output.splitlines())
    assert lines["JWTAUTH_COOKIE_NAME"] == "'authjs.session-token'  (Auth.js default)"
