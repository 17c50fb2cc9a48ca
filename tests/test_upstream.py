"""The example's upstream token service, over real HTTP, through the example's own client.

Its clock is moved with the test controls, never slept through; only the delay tests wait
(a few hundred milliseconds of the server's own sleep).
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

import pytest
import requests

from example.upstream import create_app, main
from example.upstream_client import (
    Grant,
    UpstreamRefused,
    UpstreamUnavailable,
    get_resource,
    password_grant,
    refresh_grant,
)
from example.upstream_tokens import TokenService, demo_accounts

if TYPE_CHECKING:  # imported by pytest_plugins, so that pytest rewrites its asserts
    from upstream_server import Upstream

pytest_plugins = ["upstream_server"]

PASSWORDS = {"alice": "alice-password", "admin": "admin-password"}
JSON = {"Content-Type": "application/json"}


def sign_in(upstream: Upstream, username: str = "alice") -> Grant:
    return password_grant(upstream.url, username, PASSWORDS[username])


def refused(call: Any, *args: Any, **kwargs: Any) -> UpstreamRefused:
    with pytest.raises(UpstreamRefused) as info:
        call(*args, **kwargs)
    return info.value


def test_password_grant_gives_short_lived_tokens_and_the_user(upstream: Upstream) -> None:
    grant = password_grant(upstream.url, "alice", "alice-password", clock=lambda: 1000.0)
    assert (grant.expires_at, grant.refresh_expires_at) == (1030.0, 1600.0)
    assert grant.token_type == "Bearer"
    assert grant.user == {
        "id": "1",
        "username": "alice",
        "name": "Alice Example",
        "email": "alice@example.com",
        "roles": [],
    }
    assert sign_in(upstream, "admin").user["roles"] == ["admin"]
    resource = get_resource(upstream.url, grant.access_token)
    assert resource["user"]["id"] == "1"
    assert "Alice Example" in resource["message"]
    assert "access_token" not in repr(grant) and grant.access_token not in repr(grant)
    stats = upstream.stats()
    assert (stats["password_grants"], stats["sign_ins"], stats["resource_calls"]) == (2, 2, 1)


def test_wrong_credentials_are_refused(upstream: Upstream) -> None:
    for username, password in [("alice", "admin-password"), ("mallory", "x"), ("ALICE", "")]:
        error = refused(password_grant, upstream.url, username, password)
        expected = "invalid_grant" if password else "invalid_request"
        assert (error.status, error.error) == (400, expected)
    assert password_grant(upstream.url, "ALICE", "alice-password").user["username"] == "alice"
    stats = upstream.stats()
    assert (stats["password_grants"], stats["sign_ins"]) == (4, 1)


@pytest.mark.parametrize(
    ("request_kwargs", "status", "error"),
    [
        ({"data": {}}, 400, "unsupported_grant_type"),
        ({"data": {"grant_type": "client_credentials"}}, 400, "unsupported_grant_type"),
        ({"data": {"grant_type": "refresh_token"}}, 400, "invalid_request"),
        ({"json": {"grant_type": "refresh_token", "refresh_token": 7}}, 400, "invalid_request"),
        ({"data": {"password": "x" * 20_000}}, 413, "request_entity_too_large"),
        ({"data": "{not json", "headers": JSON}, 400, "unsupported_grant_type"),
    ],
)  # fmt: skip
def test_bad_token_requests_get_oauth_errors(
    upstream: Upstream, request_kwargs: dict[str, Any], status: int, error: str
) -> None:
    response = requests.post(f"{upstream.url}/token", timeout=5, **request_kwargs)
    assert (response.status_code, response.json()["error"]) == (status, error)


def test_json_bodies_and_bearer_errors(upstream: Upstream) -> None:
    body = {"grant_type": "password", "username": "admin", "password": "admin-password"}
    response = requests.post(f"{upstream.url}/token", json=body, timeout=5)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    for headers in [{}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer nope"}]:
        answer = requests.get(f"{upstream.url}/resource", headers=headers, timeout=5)
        assert answer.status_code == 401
        assert answer.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert requests.get(f"{upstream.url}/token", timeout=5).status_code == 405


def test_refresh_rotates_the_pair(upstream: Upstream) -> None:
    first = sign_in(upstream)
    second = refresh_grant(upstream.url, first.refresh_token, clock=lambda: 2000.0)
    assert second.access_token != first.access_token
    assert second.refresh_token != first.refresh_token
    assert (second.expires_at, second.refresh_expires_at) == (2030.0, 2600.0)
    assert second.user["username"] == "alice"
    assert get_resource(upstream.url, second.access_token)["user"]["username"] == "alice"
    stats = upstream.stats()
    assert (stats["refresh_grants"], stats["refreshes_succeeded"]) == (1, 1)
    assert stats["reuse_detections"] == 0


def test_reuse_revokes_the_whole_family_and_only_it(upstream: Upstream) -> None:
    first = sign_in(upstream)
    second = refresh_grant(upstream.url, first.refresh_token)
    newest = refresh_grant(upstream.url, second.refresh_token)
    other_sign_in = sign_in(upstream)

    assert refused(refresh_grant, upstream.url, first.refresh_token).error == "invalid_grant"
    # The newest tokens descend from the reused one: they stop working too.
    assert refused(refresh_grant, upstream.url, newest.refresh_token).error == "invalid_grant"
    assert refused(get_resource, upstream.url, newest.access_token).status == 401
    assert refused(get_resource, upstream.url, second.access_token).status == 401
    # Another sign-in of the same user is another family.
    assert get_resource(upstream.url, other_sign_in.access_token)["user"]["username"] == "alice"
    refresh_grant(upstream.url, other_sign_in.refresh_token)
    stats = upstream.stats()
    assert (stats["reuse_detections"], stats["families_revoked"]) == (1, 1)
    assert (stats["refreshes_succeeded"], stats["refreshes_refused"]) == (3, 2)


def test_access_tokens_expire_on_the_service_clock(upstream: Upstream) -> None:
    grant = sign_in(upstream)
    upstream.advance(29)
    assert get_resource(upstream.url, grant.access_token)["access_token_expires_in"] == 1
    upstream.advance(1)
    assert refused(get_resource, upstream.url, grant.access_token).error == "invalid_token"
    renewed = refresh_grant(upstream.url, grant.refresh_token)
    assert get_resource(upstream.url, renewed.access_token)["user"]["id"] == "1"


def test_refresh_tokens_expire_and_each_rotation_starts_a_new_lifetime(upstream: Upstream) -> None:
    grant = sign_in(upstream)
    for _ in range(2):
        upstream.advance(599)
        grant = refresh_grant(upstream.url, grant.refresh_token)
    upstream.advance(600)
    assert refused(refresh_grant, upstream.url, grant.refresh_token).error == "invalid_grant"
    stats = upstream.stats()
    assert (stats["reuse_detections"], stats["families_revoked"]) == (0, 0)


def test_ttls_can_be_set_and_reset_restores_them(upstream: Upstream) -> None:
    upstream.set_ttls(access=5, refresh=20)
    grant = password_grant(upstream.url, "alice", "alice-password", clock=lambda: 0.0)
    assert (grant.expires_at, grant.refresh_expires_at) == (5.0, 20.0)
    upstream.advance(5)
    assert refused(get_resource, upstream.url, grant.access_token).status == 401
    upstream.advance(15)
    assert refused(refresh_grant, upstream.url, grant.refresh_token).error == "invalid_grant"
    upstream.reset()
    settings = upstream.control()
    assert (settings["access_ttl"], settings["refresh_ttl"]) == (30, 600)
    assert abs(settings["now"] - time.time()) < 5 and not settings["frozen"]
    assert refused(get_resource, upstream.url, grant.access_token).status == 401  # forgotten


def test_injected_failures_answer_503_and_spend_nothing(upstream: Upstream) -> None:
    grant = sign_in(upstream)
    upstream.fail_next(2)
    for _ in range(2):
        with pytest.raises(UpstreamUnavailable, match="503"):
            refresh_grant(upstream.url, grant.refresh_token)
    refresh_grant(upstream.url, grant.refresh_token)
    stats = upstream.stats()
    assert (stats["injected_failures"], stats["refresh_grants"]) == (2, 3)
    assert (stats["refreshes_succeeded"], stats["reuse_detections"]) == (1, 0)


def test_a_timeout_in_fail_mode_spends_nothing(upstream: Upstream) -> None:
    grant = sign_in(upstream)
    upstream.delay_next(1, 400, then="fail")
    started = time.monotonic()
    with pytest.raises(UpstreamUnavailable, match="in time"):
        refresh_grant(upstream.url, grant.refresh_token, timeout=0.1)
    assert time.monotonic() - started < 0.4
    upstream.wait_for_stats(lambda s: s["injected_failures"] == 1)
    refresh_grant(upstream.url, grant.refresh_token)
    stats = upstream.stats()
    assert (stats["injected_delays"], stats["refreshes_succeeded"]) == (1, 1)
    assert stats["reuse_detections"] == 0


def test_a_refresh_the_client_gave_up_on_still_rotates(upstream: Upstream) -> None:
    """The hazard a refreshing app must know: retrying after a timeout can be a reuse."""
    grant = sign_in(upstream)
    upstream.delay_next(2, 300, then="process")
    with pytest.raises(UpstreamUnavailable):
        refresh_grant(upstream.url, grant.refresh_token, timeout=0.1)
    upstream.wait_for_stats(lambda s: s["refreshes_succeeded"] == 1)
    started = time.monotonic()
    assert refused(refresh_grant, upstream.url, grant.refresh_token).error == "invalid_grant"
    assert time.monotonic() - started >= 0.3  # a slow answer inside the timeout is just slow
    stats = upstream.stats()
    assert (stats["reuse_detections"], stats["families_revoked"]) == (1, 1)


def test_a_call_delayed_across_a_reset_leaves_the_new_state_alone(upstream: Upstream) -> None:
    """Slow work left by one test never lands in the next one's fresh service."""
    grant = sign_in(upstream)
    upstream.delay_next(1, 300, then="process")
    outcome: list[Exception] = []

    def call() -> None:
        try:
            refresh_grant(upstream.url, grant.refresh_token)
        except Exception as exc:
            outcome.append(exc)

    thread = threading.Thread(target=call)
    thread.start()
    upstream.wait_for_stats(lambda s: s["injected_delays"] == 1)  # it is asleep server-side
    upstream.reset()
    thread.join(timeout=5)
    assert len(outcome) == 1 and isinstance(outcome[0], UpstreamUnavailable), outcome
    assert set(upstream.stats().values()) == {0}


def _refresh_all(upstream: Upstream, tokens: list[str]) -> list[Grant | Exception]:
    """Refresh every token at once, one thread each, released together by a barrier."""
    barrier = threading.Barrier(len(tokens))
    outcomes: list[Grant | Exception] = [RuntimeError("did not run")] * len(tokens)

    def run(i: int) -> None:
        barrier.wait(timeout=5)
        try:
            outcomes[i] = refresh_grant(upstream.url, tokens[i])
        except Exception as exc:
            outcomes[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(tokens))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    return outcomes


def test_twenty_concurrent_refreshes_of_one_token_are_one_success_and_a_reuse(
    upstream: Upstream,
) -> None:
    grant = sign_in(upstream)
    outcomes = _refresh_all(upstream, [grant.refresh_token] * 20)
    winners = [o for o in outcomes if isinstance(o, Grant)]
    losers = [o for o in outcomes if isinstance(o, UpstreamRefused)]
    assert (len(winners), len(losers)) == (1, 19), outcomes
    assert {loser.error for loser in losers} == {"invalid_grant"}
    # Reuse revoked the family, so even the one winner's fresh tokens are dead.
    assert refused(get_resource, upstream.url, winners[0].access_token).status == 401
    assert refused(refresh_grant, upstream.url, winners[0].refresh_token).error == "invalid_grant"
    stats = upstream.stats()
    assert (stats["refresh_grants"], stats["refreshes_succeeded"]) == (21, 1)
    assert (stats["reuse_detections"], stats["families_revoked"]) == (19, 1)


def test_concurrent_refreshes_of_different_families_all_succeed(upstream: Upstream) -> None:
    tokens = [sign_in(upstream).refresh_token for _ in range(20)]
    outcomes = _refresh_all(upstream, tokens)
    assert all(isinstance(o, Grant) for o in outcomes), outcomes
    stats = upstream.stats()
    assert (stats["refreshes_succeeded"], stats["reuse_detections"]) == (20, 0)


def test_revoke_user_ends_that_users_families_without_a_reuse(upstream: Upstream) -> None:
    alice_one, alice_two, admin = sign_in(upstream), sign_in(upstream), sign_in(upstream, "admin")
    upstream.revoke_user("Alice")
    for grant in (alice_one, alice_two):
        assert refused(refresh_grant, upstream.url, grant.refresh_token).error == "invalid_grant"
        assert refused(get_resource, upstream.url, grant.access_token).status == 401
    refresh_grant(upstream.url, admin.refresh_token)
    stats = upstream.stats()
    assert (stats["families_revoked"], stats["reuse_detections"]) == (2, 0)


@pytest.mark.parametrize(
    "body",
    [
        '{"advance": -1}',
        '{"advance": NaN}',
        '{"fail_next": true}',
        '{"freeze": 1}',
        '{"access_ttl": 0}',
        '{"delay_ms": 600000}',
        '{"delay_then": "later"}',
        '{"reset": "everything"}',
        '{"revoke_user": ""}',
        '{"nope": 1}',
        "[1]",
        "{not json",
    ],
)
def test_bad_controls_are_refused_and_change_nothing(upstream: Upstream, body: str) -> None:
    response = requests.post(
        f"{upstream.url}/_control",
        data=body,
        headers=JSON,
        timeout=5,
    )
    assert (response.status_code, response.json()["error"]) == (400, "invalid_request")
    assert upstream.control()["access_ttl"] == 30


def test_controls_exist_only_when_asked_for() -> None:
    for enabled, status in [(False, 404), (True, 200)]:
        app = create_app(TokenService(demo_accounts()), test_controls=enabled)
        assert app.test_client().post("/_control", json={"advance": 1}).status_code == status


@pytest.mark.parametrize("args", [["--port", "70000"], ["--access-ttl", "0"], ["--port", "x"]])
def test_the_command_line_refuses_bad_options(args: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(args)
    assert info.value.code == 2


def test_the_clock_can_be_held_set_and_released(upstream: Upstream) -> None:
    held = upstream.control()
    assert held["frozen"]
    assert upstream.control(advance=2.5)["now"] == held["now"] + 2.5
    assert upstream.control(now=1_700_000_000, advance=1)["now"] == 1_700_000_001
    released = upstream.control(freeze=False)
    assert not released["frozen"] and released["now"] >= 1_700_000_001
    assert upstream.control()["now"] - released["now"] < 5  # runs on from there
