"""Many instances behind a real proxy (issue 23): three gunicorn instances of one app
(``multi_app.py``, two sync workers each) behind one nginx (round robin, a dead instance
skipped), sharing one real redis-server, against the upstream token service.

One fixture starts every process once for the module and stops them all at the end. Each
scenario is a test; the figures (propagation, refresh count, wrk's counts) are printed (run
with ``-s``) and quoted in docs/guides/many-machines.md. Select the module with
``pytest -m multi_instance``.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests
from proxy import HERE, Instance, Nginx, gunicorn_binary, nginx_binary, wrk_binary
from redis_server import RedisServer, require_redis
from requests.adapters import HTTPAdapter

if TYPE_CHECKING:
    from upstream_server import Upstream

pytestmark = pytest.mark.multi_instance
pytest_plugins = ["upstream_server"]

COOKIE = "jwtauth.session-token"
NAMES = ("a", "b", "c")
PASSWORD = "alice-password"
JSON = {"Accept": "application/json"}
#: The bound the scenarios hold propagation and recovery to (seconds).
PROPAGATION_BOUND = 1.0
RECOVERY_BOUND = 3.0


@dataclass
class Cluster:
    instances: list[Instance]
    nginx: Nginx
    store: RedisServer
    figures: dict[str, str] = field(default_factory=dict)

    def alive(self) -> list[Instance]:
        return [instance for instance in self.instances if instance.alive]

    def record(self, name: str, figure: str) -> None:
        self.figures[name] = figure
        print(f"\nmany instances, {name}: {figure}")


@pytest.fixture(scope="module")
def cluster(upstream_url: str) -> Iterator[Cluster]:
    """redis-server, three instances, nginx in front: started once, all stopped at the end."""
    require_redis()
    nginx_binary()
    gunicorn_binary()
    store = RedisServer()
    instances: list[Instance] = []
    nginx: Nginx | None = None
    try:
        store.start()
        settings = {"MULTI_UPSTREAM": upstream_url, "MULTI_STORE": store.url}
        instances = [
            Instance(name, "multi_app:create_app()", {**settings, "MULTI_INSTANCE": name})
            for name in NAMES
        ]
        for instance in instances:  # all three boot at once
            instance.start()
        for instance in instances:
            instance.wait_ready()
        nginx = Nginx([f"127.0.0.1:{instance.port}" for instance in instances])
        nginx.start()
        running = Cluster(instances, nginx, store)
        yield running
        print("\nmany instances, figures:")
        for name, figure in running.figures.items():
            print(f"  {name}: {figure}")
    finally:
        if nginx is not None:
            nginx.stop()
        for instance in instances:
            instance.stop()
        store.stop()


# -- helpers ----------------------------------------------------------------------------------


def instance_of(response: requests.Response) -> str:
    """``b`` for an answer of instance b (``X-Instance: b:4242``)."""
    return response.headers.get("X-Instance", "?").partition(":")[0]


def sign_in(
    base: str, password: str = PASSWORD, browser: requests.Session | None = None
) -> tuple[requests.Response, list[str]]:
    """The real form, as a browser: the CSRF token, then the credentials (JSON answers).
    The sign-in's answer, and the instances that answered the two requests."""
    browser = browser or requests.Session()
    form = browser.get(f"{base}/auth/csrf", timeout=10)
    response = browser.post(
        f"{base}/auth/sign-in/credentials",
        data={"csrf_token": form.json()["csrfToken"], "username": "alice", "password": password},
        headers=JSON,
        allow_redirects=False,
        timeout=10,
    )
    return response, [instance_of(form), instance_of(response)]


def session_of(base: str) -> str:
    response, _ = sign_in(base)
    assert response.status_code == 200, response.text
    return str(response.cookies[COOKIE])


def me(base: str, cookie: str) -> requests.Response:
    """``GET /api/me`` with the session, on a connection of its own (so that gunicorn's
    workers take turns accepting)."""
    headers = {"Cookie": f"{COOKIE}={cookie}", "Connection": "close", **JSON}
    return requests.get(f"{base}/api/me", headers=headers, timeout=10)


#: "b:4242" (instance b's worker 4242) -> [(seconds since the start, status), ...]
Answers = dict[str, list[tuple[float, int]]]


def poll(instances: Iterable[Instance], cookie: str, wanted: int, start: float) -> Answers:
    """Ask every instance directly, round after round, until every worker of every instance
    has answered ``wanted`` (or 5 s have passed): who answered what, when."""
    instances = list(instances)
    workers = {f"{i.name}:{pid}" for i in instances for pid in i.worker_pids()}
    answers: Answers = defaultdict(list)
    deadline = start + 5.0
    while True:
        for instance in instances:
            response = me(instance.url, cookie)
            who = response.headers.get("X-Instance", f"{instance.name}:?")
            answers[who].append((time.monotonic() - start, response.status_code))
        done = {who for who, seen in answers.items() if any(s == wanted for _, s in seen)}
        if workers <= done or time.monotonic() > deadline:
            assert workers <= done, f"workers that never answered {wanted}: {workers - done}"
            return dict(answers)


def settled(answers: Answers, wanted: int) -> dict[str, float]:
    """When each worker first answered ``wanted``; it answered nothing else afterwards."""
    first: dict[str, float] = {}
    for who, seen in answers.items():
        at = next(t for t, status in seen if status == wanted)
        after = [status for t, status in seen if t >= at]
        assert set(after) == {wanted}, f"{who} went back: {seen}"
        first[who] = at
    return first


def statuses_of(answers: Answers) -> set[int]:
    return {status for seen in answers.values() for _, status in seen}


def revoke(base: str, cookie: str) -> tuple[requests.Response, float]:
    """Revoke the session of ``cookie`` with the app's admin route on ``base``: the answer,
    and the time (monotonic) just before it was asked."""
    sid = me(base, cookie).json()["sid"]
    start = time.monotonic()
    response = requests.post(f"{base}/admin/revoke", json={"sid": sid}, timeout=10)
    assert response.status_code == 200, response.text
    return response, start


def refused_everywhere(
    instances: Iterable[Instance], cookie: str, start: float
) -> tuple[dict[str, float], Answers]:
    """When each worker of each instance first refused the session (never accepting it
    again afterwards), and every answer polled."""
    answers = poll(instances, cookie, 401, start)
    assert statuses_of(answers) <= {200, 401}, answers
    return settled(answers, 401), answers


class FromAddress(HTTPAdapter):
    """Connections from another loopback address (127.0.0.7): another client."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


# -- the scenarios ----------------------------------------------------------------------------


def test_a_session_made_on_one_instance_is_read_on_every_other(
    cluster: Cluster, upstream: Upstream
) -> None:
    response, answered = sign_in(cluster.nginx.url)
    assert response.status_code == 200, response.text
    # Round robin: the CSRF token came from one instance, the sign-in went to the next.
    assert len(set(answered)) == 2
    cookie = str(response.cookies[COOKIE])
    reads = {instance.name: me(instance.url, cookie) for instance in cluster.instances}
    assert {name: r.status_code for name, r in reads.items()} == dict.fromkeys(NAMES, 200)
    assert {name: instance_of(r) for name, r in reads.items()} == {n: n for n in NAMES}
    assert len({r.json()["sid"] for r in reads.values()}) == 1  # one session, read thrice
    assert len({r.json()["user"] for r in reads.values()}) == 1
    # Through nginx, three requests in a row: one to each instance, all signed in.
    through = [me(cluster.nginx.url, cookie) for _ in NAMES]
    assert {instance_of(r) for r in through} == set(NAMES)
    assert [r.status_code for r in through] == [200, 200, 200]
    cluster.record(
        "a. sessions",
        f"signed in on {answered[1]}, read on {', '.join(NAMES)} (one sid); "
        f"3 reads through nginx answered by {', '.join(sorted(instance_of(r) for r in through))}",
    )


def test_b_a_revocation_is_refused_on_every_instance_within_a_second(
    cluster: Cluster, upstream: Upstream
) -> None:
    cookie = session_of(cluster.nginx.url)
    assert all(me(i.url, cookie).status_code == 200 for i in cluster.instances)
    revoked, start = revoke(cluster.nginx.url, cookie)
    refused_at, answers = refused_everywhere(cluster.instances, cookie, start)
    workers = sum(len(i.worker_pids()) for i in cluster.instances)
    assert len(refused_at) == workers  # every worker of every instance
    propagation = max(refused_at.values())
    last_accepted = max((t for seen in answers.values() for t, s in seen if s == 200), default=0)
    assert propagation < PROPAGATION_BOUND, refused_at
    assert me(cluster.nginx.url, cookie).status_code == 401
    cluster.record(
        "b. revocation",
        f"revoked on {instance_of(revoked)}; refused by all {workers} workers of "
        f"{len(cluster.instances)} instances within {propagation:.3f} s (last 200 at "
        f"{last_accepted:.3f} s; {sum(len(s) for s in answers.values())} polls)",
    )


def test_c_racing_requests_refresh_once_at_the_upstream(
    cluster: Cluster, upstream: Upstream
) -> None:
    upstream.set_ttls(access=5)  # shorter than JWTAUTH_REFRESH_MARGIN (10 s): due at once
    cookie = session_of(cluster.nginx.url)
    upstream.set_ttls(access=3600)  # the renewed token is not due again
    assert upstream.stats()["refresh_grants"] == 0
    # The upstream takes 300 ms: the other requests arrive on every worker meanwhile.
    upstream.delay_next(1, 300, then="process")
    headers = {"Cookie": f"{COOKIE}={cookie}", **JSON}

    def one(_: int) -> requests.Response:
        return requests.get(f"{cluster.nginx.url}/api/resource", headers=headers, timeout=30)

    with ThreadPoolExecutor(30) as pool:
        responses = list(pool.map(one, range(30)))
    assert [r.status_code for r in responses] == [200] * 30
    tokens = {r.json()["access_token"] for r in responses}
    assert len(tokens) == 1  # all 30 ended with the one renewed token
    answered = {instance_of(r) for r in responses}
    assert answered == set(NAMES)
    stats = upstream.stats()
    assert stats["refresh_grants"] == 1, stats
    assert stats["reuse_detections"] == 0 and stats["families_revoked"] == 0, stats
    # The renewed session, as any of the 30 answers set it, reads on every instance
    # with that token and no further refresh.
    renewed = str(responses[-1].cookies[COOKIE])
    for instance in cluster.instances:
        again = requests.get(
            f"{instance.url}/api/resource", cookies={COOKIE: renewed}, headers=JSON, timeout=10
        )
        assert again.status_code == 200 and again.json()["access_token"] in tokens
    assert upstream.stats()["refresh_grants"] == 1
    cluster.record(
        "c. refresh",
        f"30 racing requests over instances {', '.join(sorted(answered))}: 30 x 200, "
        f"{stats['refresh_grants']} refresh grant at the upstream, 1 access token, "
        f"{stats['reuse_detections']} reuse detections",
    )


def test_d_failed_sign_ins_are_counted_across_instances(
    cluster: Cluster, upstream: Upstream
) -> None:
    attacker = requests.Session()
    attacker.mount("http://", FromAddress("127.0.0.7"))
    # Through nginx the app sees the client's address (ProxyFix), not nginx's 127.0.0.1.
    seen = attacker.get(f"{cluster.nginx.url}/address", timeout=10).json()["address"]
    assert seen == "127.0.0.7"
    attempts = [sign_in(cluster.nginx.url, "wrong", attacker) for _ in range(5)]
    assert [r.status_code for r, _ in attempts] == [401] * 5
    spread = {answered[1] for _, answered in attempts}
    assert len(spread) >= 2, spread  # the five failures landed on several instances
    # The sixth, whichever instance gets it: refused. Sent to each one directly.
    sixth = {i.name: sign_in(i.url, "wrong", attacker)[0] for i in cluster.instances}
    assert {name: r.status_code for name, r in sixth.items()} == dict.fromkeys(NAMES, 429)
    assert {name: instance_of(r) for name, r in sixth.items()} == {n: n for n in NAMES}
    # Even the right password, from that address; the real user elsewhere signs in.
    assert sign_in(cluster.nginx.url, PASSWORD, attacker)[0].status_code == 429
    assert sign_in(cluster.nginx.url)[0].status_code == 200
    cluster.record(
        "d. throttle",
        f"5 wrong passwords from 127.0.0.7 answered 401 by {', '.join(sorted(spread))}; "
        f"the 6th answered 429 by each of {', '.join(NAMES)}",
    )


WRK_TOTAL = re.compile(r"(\d+) requests in ([\d.]+)s")
WRK_NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")
WRK_SOCKET_ERRORS = re.compile(
    r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)"
)
WRK_ANSWERED = re.compile(r"answered by (\S+): (\d+)")


def test_e_an_instance_killed_under_load_loses_no_request_and_no_session(
    cluster: Cluster, upstream: Upstream, tmp_path: Path
) -> None:
    wrk = wrk_binary()
    victim = cluster.instances[-1]
    assert victim.alive
    cookies = [session_of(cluster.nginx.url) for _ in range(8)]
    jar = tmp_path / "cookies.txt"
    jar.write_text("".join(f"{COOKIE}={cookie}\n" for cookie in cookies))
    script = HERE / "soak" / "instances.lua"
    load = subprocess.Popen(
        [wrk, "-t1", "-c8", "-d3s", "-s", str(script), cluster.nginx.url, "--", str(jar)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        time.sleep(1.0)  # a second of load on all three, then one machine is lost
        victim.kill()
        out, _ = load.communicate(timeout=30)
    finally:
        if load.poll() is None:
            load.kill()
            load.communicate()
    assert load.returncode == 0, out
    total = WRK_TOTAL.search(out)
    assert total is not None, out
    requests_made = int(total.group(1))
    non_2xx = int(found.group(1)) if (found := WRK_NON_2XX.search(out)) else 0
    errors = WRK_SOCKET_ERRORS.search(out)
    connect, read, write, timeout = map(int, errors.groups()) if errors else (0, 0, 0, 0)
    answered = {name: int(count) for name, count in WRK_ANSWERED.findall(out)}
    log = cluster.nginx.error_log()
    # Retried on the next instance: refused connections, and answers cut before their
    # headers. An answer cut after its headers reached nginx cannot be retried (nginx has
    # passed them on): that connection is closed, wrk's "read" error, at most one per
    # worker of the killed instance.
    errors_logged = [line for line in log.splitlines() if "[error]" in line]
    retried = sum(
        "connect() failed" in line or "while reading response header" in line
        for line in errors_logged
    )
    cut = sum("while reading upstream" in line for line in errors_logged)
    assert non_2xx == 0, out
    assert (connect, write, timeout) == (0, 0, 0), out
    assert read <= victim.workers and cut <= victim.workers, out + log
    assert sum(answered.values()) == requests_made, out
    assert answered.get(victim.name, 0) > 0  # it served before it died
    assert set(answered) == set(NAMES), answered
    # No session lost: each still reads on every remaining instance, and through nginx.
    remaining = cluster.alive()
    assert [i.name for i in remaining] == [n for n in NAMES if n != victim.name]
    statuses = [me(i.url, c).status_code for c in cookies for i in remaining]
    statuses += [me(cluster.nginx.url, c).status_code for c in cookies]
    assert statuses == [200] * len(statuses)
    cluster.record(
        "e. instance killed",
        f"wrk -t1 -c8 -d3s through nginx, {victim.name} SIGKILLed after 1 s: {requests_made} "
        f"requests ({float(total.group(2)):.2f} s), {non_2xx} non-2xx, {read} connection(s) "
        f"cut mid-answer; answered by {answered}; {retried} retried by nginx on another "
        f"instance; {len(cookies)} sessions read on the remaining instances",
    )


def test_f_the_store_stopped_fails_closed_and_recovers_without_a_restart(
    cluster: Cluster, upstream: Upstream
) -> None:
    remaining = cluster.alive()
    assert remaining
    cookie = session_of(cluster.nginx.url)
    assert all(me(i.url, cookie).status_code == 200 for i in remaining)
    revoked_before = session_of(cluster.nginx.url)
    refused_everywhere(remaining, revoked_before, revoke(cluster.nginx.url, revoked_before)[1])

    cluster.store.stop()
    start = time.monotonic()
    down = poll(remaining, cookie, 503, start)
    assert statuses_of(down) <= {200, 503}, down  # fails closed, never a 500
    closed_within = max(settled(down, 503).values())
    outage = [me(i.url, cookie) for i in remaining]
    assert all(r.status_code == 503 and r.headers.get("Retry-After") for r in outage)
    # What needs no store still answers.
    assert all(requests.get(f"{i.url}/plain", timeout=10).status_code == 200 for i in remaining)

    cluster.store.start()  # the same port, empty (no persistence); the apps are not touched
    start = time.monotonic()
    up = poll(remaining, cookie, 200, start)
    assert statuses_of(up) <= {200, 503}, up
    recovered_within = max(settled(up, 200).values())
    assert recovered_within < RECOVERY_BOUND, up
    assert me(cluster.nginx.url, cookie).status_code == 200
    # The restarted Redis forgot the revocation made before; the running processes did not.
    refused_everywhere(remaining, revoked_before, time.monotonic())
    # A revocation made after the restart reaches every instance as before.
    _, start = revoke(remaining[0].url, cookie)
    propagation = max(refused_everywhere(remaining, cookie, start)[0].values())
    assert propagation < PROPAGATION_BOUND
    cluster.record(
        "f. store stopped",
        f"every worker of {len(remaining)} instances answered 503 (Retry-After "
        f"{outage[0].headers['Retry-After']}), never 500, within {closed_within:.3f} s; "
        f"redis-server restarted on its port: 200 again within {recovered_within:.3f} s; "
        f"a revocation made before still refused, a new one refused everywhere within "
        f"{propagation:.3f} s",
    )
