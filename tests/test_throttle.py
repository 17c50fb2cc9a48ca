"""Failed sign-ins: 429 with Retry-After past the limits, the same whether or not the account
exists, and never a lock-out of the real user by someone else's failures."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import AppFactory
from flask.testing import FlaskClient
from support import csrf_token, session_cookie

from flask_jwtauth import sign_in_throttled


def attempt(client: FlaskClient, username: str, password: str, address: str) -> Any:
    return client.post(
        "/auth/sign-in/credentials",
        data={"username": username, "password": password, "csrf_token": csrf_token(client)},
        environ_base={"REMOTE_ADDR": address},
        headers={"Accept": "application/json"},
    )


@pytest.mark.parametrize("username", ["ann", "nobody-at-all"])
def test_five_failures_then_429_the_same_for_any_account(
    make_app: AppFactory, username: str
) -> None:
    app, _ = make_app()
    client = app.test_client()
    for _ in range(5):
        assert attempt(client, username, "wrong", "10.0.0.1").status_code == 401
    refused = attempt(client, username, "wrong", "10.0.0.1")
    assert refused.status_code == 429
    assert refused.get_json()["error"] == "TooManyRequests"
    assert int(refused.headers["Retry-After"]) == 15 * 60
    # Even the right password waits: the pair is throttled, not the check.
    assert attempt(client, username, "pw-ann", "10.0.0.1").status_code == 429


def test_the_window_ends(make_app: AppFactory, clock: Any) -> None:
    app, _ = make_app(JWTAUTH_THROTTLE_WINDOW=60)
    client = app.test_client()
    for _ in range(5):
        attempt(client, "ann", "wrong", "10.0.0.1")
    assert attempt(client, "ann", "pw-ann", "10.0.0.1").status_code == 429
    clock.advance(61)
    assert attempt(client, "ann", "pw-ann", "10.0.0.1").status_code == 200


def test_a_flood_from_many_addresses_does_not_lock_the_real_user_out(
    make_app: AppFactory,
) -> None:
    app, _ = make_app()
    alerts: list[str] = []
    sign_in_throttled.connect(lambda sender, **kw: alerts.append(kw["address"]), app, weak=False)
    attacker = app.test_client()
    for n in range(120):  # 4 tries each from 30 addresses: under the per-pair limit
        attempt(attacker, "ann", f"guess-{n}", f"198.51.100.{n // 4}")
    # The account is under attack: addresses that failed for it are refused now...
    assert attempt(attacker, "ann", "guess", "198.51.100.1").status_code == 429
    assert "198.51.100.1" in alerts
    # ...but the real user, from an address that never failed, signs in.
    user = app.test_client()
    response = attempt(user, "ann", "pw-ann", "203.0.113.7")
    assert response.status_code == 200 and session_cookie(user) is not None


def test_one_address_guessing_many_accounts(make_app: AppFactory) -> None:
    app, _ = make_app()
    client = app.test_client()
    for n in range(50):
        attempt(client, f"user{n}", "wrong", "192.0.2.9")
    assert attempt(client, "someone-new", "wrong", "192.0.2.9").status_code == 429
    assert attempt(client, "someone-new", "wrong", "192.0.2.10").status_code == 401


def test_page_mode_429(make_app: AppFactory) -> None:
    app, _ = make_app()
    client = app.test_client()
    for _ in range(5):
        client.post(
            "/auth/sign-in/credentials",
            data={"username": "ann", "password": "x", "csrf_token": csrf_token(client)},
        )
    page = client.post(
        "/auth/sign-in/credentials",
        data={"username": "ann", "password": "x", "csrf_token": csrf_token(client)},
    )
    assert page.status_code == 429 and "Too many failed attempts" in page.get_data(as_text=True)
    assert page.headers["Retry-After"]


def test_throttle_can_be_switched_off(make_app: AppFactory) -> None:
    app, _ = make_app(JWTAUTH_THROTTLE=False)
    client = app.test_client()
    for _ in range(8):
        assert attempt(client, "ann", "wrong", "10.0.0.1").status_code == 401
