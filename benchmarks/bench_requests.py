"""Per-request cost of a protected JSON view: bare Flask vs flask_jwtauth vs its peers.

Run from the repository root::

    .venv/bin/python benchmarks/bench_requests.py            # full run (~60-90 s, 2 cores)
    .venv/bin/python benchmarks/bench_requests.py --quick    # smoke run (a few seconds)
    .venv/bin/python benchmarks/bench_requests.py --json     # machine-readable results

Every contender serves the same view (``GET /api/me`` -> ``{"id": "1", "name": "Ann"}``)
through Flask's test client with its session cookie already set. Each is checked once
(status, body, cookie behaviour) before anything is timed, so a broken setup cannot produce
fast numbers. Contenders are interleaved in small batches, the order rotating every round,
with the garbage collector off inside a batch; a contender's figure is the median of its
per-request batch times. Its overhead is the median, over rounds, of its batch time minus
bare Flask's batch time in the same round (paired, so slow drift of the machine cancels).
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from importlib import metadata
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

SECRET = "bench-secret-0123456789abcdef0123456789abcdef"
USERS: dict[str, dict[str, str]] = {"1": {"id": "1", "name": "Ann"}}
EXPECTED = {"id": "1", "name": "Ann"}
PATH = "/api/me"
JWTAUTH_COOKIE = "jwtauth.session-token"

PEERS = ("flask-login", "flask-jwt-extended")
STEADY = "flask_jwtauth"
ROLLING = "flask_jwtauth UPDATE_AGE=0"
NO_MEMO = "flask_jwtauth MEMO_SIZE=0"
TOKEN_ONLY = "flask_jwtauth token only"


@dataclass
class Contender:
    name: str
    client: FlaskClient
    note: str

    def request(self) -> Any:
        return self.client.get(PATH)


# -- the apps -------------------------------------------------------------------------------


def _base_app() -> Flask:
    app = Flask(__name__)
    app.config.update(TESTING=True, SECRET_KEY=SECRET)
    return app


def bare_flask() -> FlaskClient:
    app = _base_app()

    @app.get(PATH)
    def me() -> Any:
        user = USERS["1"]
        return {"id": user["id"], "name": user["name"]}

    return app.test_client()


def jwtauth(*, token_only: bool = False, **config: Any) -> FlaskClient:
    """The real flow: the client opens the sign-in page, posts the form with its CSRF token,
    and keeps every cookie a browser would. ``token_only``: then drops all but the session
    token (the old, optimistic measurement, kept as an extra line)."""
    import re

    from flask_jwtauth import CredentialsProvider, JWTAuth, current_user, login_required

    app = _base_app()
    app.config.update(JWTAUTH_SECRET=SECRET, **config)

    def authorize(credentials: dict[str, str]) -> dict[str, str] | None:
        ok = credentials["username"] == "ann" and credentials["password"] == "pw"
        return USERS["1"] if ok else None

    JWTAuth(app, providers=[CredentialsProvider(authorize=authorize)])

    @app.get(PATH)
    @login_required
    def me() -> Any:
        return {"id": current_user["id"], "name": current_user["name"]}

    client = app.test_client()
    page = client.get("/auth/sign-in").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match is not None, "no CSRF field on the sign-in page"
    signed = client.post(
        "/auth/sign-in/credentials",
        data={"username": "ann", "password": "pw", "csrf_token": match.group(1)},
    )
    assert signed.status_code == 302, signed.get_data(as_text=True)
    if token_only:
        token = client.get_cookie(JWTAUTH_COOKIE)
        assert token is not None
        client = app.test_client()
        client.set_cookie(JWTAUTH_COOKIE, token.value)
    return client


def flask_login() -> FlaskClient:
    from flask_login import (  # type: ignore[import-untyped]
        LoginManager,
        UserMixin,
        current_user,
        login_required,
        login_user,
    )

    class User(UserMixin):  # type: ignore[misc]
        def __init__(self, id: str, name: str) -> None:
            self.id = id
            self.name = name

    users = {uid: User(**data) for uid, data in USERS.items()}
    app = _base_app()
    manager = LoginManager(app)

    @manager.user_loader  # type: ignore[untyped-decorator]
    def load_user(user_id: str) -> User | None:
        return users.get(user_id)

    @app.post("/login")
    def login() -> Any:
        login_user(users["1"])
        return {"ok": True}

    @app.get(PATH)
    @login_required  # type: ignore[untyped-decorator]
    def me() -> Any:
        return {"id": current_user.id, "name": current_user.name}

    client = app.test_client()
    # A real sign-in, so the session carries everything Flask-Login puts there (_id too).
    assert client.post("/login").status_code == 200
    return client


def flask_jwt_extended() -> FlaskClient:
    from flask_jwt_extended import JWTManager, create_access_token, get_jwt_identity, jwt_required

    app = _base_app()
    app.config.update(
        JWT_SECRET_KEY=SECRET,
        JWT_TOKEN_LOCATION=["cookies"],
        JWT_COOKIE_CSRF_PROTECT=False,
        JWT_ACCESS_TOKEN_EXPIRES=timedelta(hours=1),
    )
    JWTManager(app)

    @app.get(PATH)
    @jwt_required()  # type: ignore[untyped-decorator]
    def me() -> Any:
        user = USERS[get_jwt_identity()]
        return {"id": user["id"], "name": user["name"]}

    with app.app_context():
        token = create_access_token(identity="1")
    client = app.test_client()
    client.set_cookie(app.config.get("JWT_ACCESS_COOKIE_NAME", "access_token_cookie"), token)
    return client


# -- checks: a contender that is not really doing its job must not be timed ----------------


def _set_cookies(response: Any) -> list[str]:
    return list(response.headers.getlist("Set-Cookie"))


def check(contender: Contender) -> None:
    for _ in range(3):
        response = contender.request()
        assert response.status_code == 200, (contender.name, response.status_code)
        assert response.get_json() == EXPECTED, (contender.name, response.get_data())
        cookies = _set_cookies(response)
        if contender.name == ROLLING:
            assert any(c.startswith(f"{JWTAUTH_COOKIE}=") for c in cookies), contender.name
        elif contender.name in (STEADY, NO_MEMO, TOKEN_ONLY) or "revocation" in contender.name:
            assert not cookies, (contender.name, cookies)
    if contender.name == NO_MEMO:
        settings = contender.client.application.extensions["jwtauth"].settings
        assert settings.session.memo_size == 0, "MEMO_SIZE=0 was not applied"
    # Without its cookie the same view must refuse, or the contender is not protected.
    anonymous = contender.client.application.test_client()
    if contender.name != "bare flask":
        status = anonymous.get(PATH).status_code
        assert status in (401, 302), (contender.name, status)


def _redis_url() -> str | None:
    """A throwaway redis-server on a free loopback port (stopped at exit), if installed."""
    import atexit
    import shutil
    import socket
    import subprocess

    if shutil.which("redis-server") is None:
        return None
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
        stdout=subprocess.DEVNULL,
    )
    atexit.register(process.terminate)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.05)
    return None


def build() -> list[Contender]:
    import tempfile

    stores = {"memory": "memory://", "sqlite": f"sqlite:///{tempfile.mkdtemp()}/bench.db"}
    redis_url = _redis_url()
    if redis_url:
        stores["redis"] = redis_url
    revocation = [
        Contender(
            f"{STEADY} + revocation ({kind})",
            jwtauth(JWTAUTH_REVOCATION=True, JWTAUTH_STORE_URL=url),
            "one store lookup per request",
        )
        for kind, url in stores.items()
    ]
    contenders = [
        Contender("bare flask", bare_flask(), "no auth (baseline)"),
        Contender(STEADY, jwtauth(), "signed in through the form, every cookie kept"),
        Contender(TOKEN_ONLY, jwtauth(token_only=True), "holding the session token alone"),
        Contender(ROLLING, jwtauth(JWTAUTH_SESSION_UPDATE_AGE=0), "re-issued every request"),
        Contender(NO_MEMO, jwtauth(JWTAUTH_MEMO_SIZE=0), "full JWE decrypt every request"),
        Contender("flask-login", flask_login(), "signed session cookie, user_loader"),
        Contender("flask-jwt-extended", flask_jwt_extended(), "cookie mode, @jwt_required()"),
        *revocation,
    ]
    for contender in contenders:
        check(contender)
        held = sorted({cookie.key for cookie in contender.client._cookies.values()})
        contender.note += f" [cookies: {', '.join(held) or 'none'}]"
    return contenders


# -- timing ---------------------------------------------------------------------------------


def time_batch(request: Callable[[], Any], batch: int) -> float:
    """Mean µs per request over one batch, with the garbage collector held off."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter_ns()
        for _ in range(batch):
            request()
        elapsed = time.perf_counter_ns() - start
    finally:
        gc.enable()
    return elapsed / batch / 1000


def measure(
    contenders: list[Contender], rounds: int, batch: int, warmup: int
) -> dict[str, list[float]]:
    for _ in range(warmup):
        for contender in contenders:
            time_batch(contender.request, batch)
    samples: dict[str, list[float]] = {c.name: [] for c in contenders}
    count = len(contenders)
    for index in range(rounds):
        shift = index % count
        for contender in contenders[shift:] + contenders[:shift]:
            samples[contender.name].append(time_batch(contender.request, batch))
    return samples


@dataclass
class Row:
    name: str
    note: str
    us: float
    p25: float
    p75: float
    overhead: float | None
    ratio: float | None


def quartiles(values: list[float]) -> tuple[float, float]:
    if len(values) < 2:
        return values[0], values[0]
    q = statistics.quantiles(values, n=4)
    return q[0], q[2]


def summarise(contenders: list[Contender], samples: dict[str, list[float]]) -> list[Row]:
    base = samples["bare flask"]
    overheads = {
        name: statistics.median(v - b for v, b in zip(values, base, strict=True))
        for name, values in samples.items()
        if name != "bare flask"
    }
    best_peer = min(overheads[p] for p in PEERS)
    rows = []
    for contender in contenders:
        values = samples[contender.name]
        p25, p75 = quartiles(values)
        overhead = overheads.get(contender.name)
        ratio = overhead / best_peer if overhead is not None and best_peer > 0 else None
        rows.append(
            Row(
                contender.name,
                contender.note,
                statistics.median(values),
                p25,
                p75,
                overhead,
                ratio,
            )
        )
    return rows


def targets(rows: list[Row]) -> dict[str, Any]:
    by_name = {r.name: r for r in rows}
    best_name = min(PEERS, key=lambda p: by_name[p].overhead or 0.0)
    best = by_name[best_name].overhead or 0.0
    steady = by_name[STEADY].overhead or 0.0
    rolling = by_name[ROLLING].overhead or 0.0
    store_costs = {
        r.name.rsplit("(", 1)[1].rstrip(")"): round((r.overhead or 0.0) - steady, 1)
        for r in rows
        if "revocation" in r.name
    }
    return {
        "revocation_added_us": store_costs,
        "best_peer": best_name,
        "best_peer_overhead_us": round(best, 1),
        "steady_overhead_us": round(steady, 1),
        "rolling_overhead_us": round(rolling, 1),
        "steady_le_half_of_best_peer": steady <= best / 2,
        "steady_le_quarter_of_best_peer": steady <= best / 4,
        "rolling_lt_best_peer": rolling < best,
    }


def environment() -> dict[str, str]:
    packages = ("flask", "werkzeug", "flask-jwtauth", "joserfc", "flask-login")
    versions = {p: metadata.version(p) for p in (*packages, "flask-jwt-extended")}
    return {"python": platform.python_version(), "machine": platform.machine(), **versions}


# -- output ---------------------------------------------------------------------------------


def _fmt(value: float | None, spec: str, width: int, suffix: str = "") -> str:
    text = "-" if value is None else f"{value:{spec}}{suffix}"
    return text.rjust(width)


def print_table(rows: list[Row], goals: dict[str, Any], args: argparse.Namespace) -> None:
    print(
        f"{args.rounds} rounds x {args.batch} requests per contender, interleaved; "
        f"median per-request time (p25-p75 over batches)"
    )
    print(", ".join(f"{k} {v}" for k, v in environment().items()))
    print()
    header = (
        f"| {'contender':<28} | {'µs/request':>10} | {'p25-p75':>13} | "
        f"{'overhead µs':>11} | {'vs best peer':>12} |"
    )
    print(header)
    print("|" + "|".join("-" * (len(col)) for col in header.split("|")[1:-1]) + "|")
    for r in rows:
        spread = f"{r.p25:.0f}-{r.p75:.0f}"
        print(
            f"| {r.name:<28} | {r.us:>10.1f} | {spread:>13} | "
            f"{_fmt(r.overhead, '.1f', 11)} | {_fmt(r.ratio, '.2f', 12, 'x')} |"
        )
    print()
    print("overhead = median over rounds of (contender - bare flask) in the same round")
    print()
    best = goals["best_peer_overhead_us"]

    def verdict(ok: bool) -> str:
        return "MET" if ok else "NOT MET"

    print(f"best peer: {goals['best_peer']} (+{best} µs)")
    print(
        f"target  flask_jwtauth steady overhead <= 1/2 best peer ({best / 2:.1f} µs): "
        f"{goals['steady_overhead_us']} µs -> {verdict(goals['steady_le_half_of_best_peer'])}"
    )
    print(
        f"stretch flask_jwtauth steady overhead <= 1/4 best peer ({best / 4:.1f} µs): "
        f"{goals['steady_overhead_us']} µs -> {verdict(goals['steady_le_quarter_of_best_peer'])}"
    )
    print(
        f"target  UPDATE_AGE=0 overhead < best peer ({best:.1f} µs): "
        f"{goals['rolling_overhead_us']} µs -> {verdict(goals['rolling_lt_best_peer'])}"
    )
    limits = {"memory": 5.0, "sqlite": 15.0}
    for kind, added in goals["revocation_added_us"].items():
        limit = limits.get(kind)
        goal = (
            f"target <= +{limit:g} µs -> {verdict(added <= limit)}" if limit else "one round trip"
        )
        print(f"revocation ({kind}) adds {added:+.1f} µs over the steady state: {goal}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=None, help="rounds (default 100)")
    parser.add_argument("--batch", type=int, default=None, help="requests/batch (default 200)")
    parser.add_argument("--warmup", type=int, default=None, help="warm-up rounds (default 2)")
    parser.add_argument("--quick", action="store_true", help="a fast smoke run")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    quick = {"rounds": 8, "batch": 50, "warmup": 1}
    full = {"rounds": 100, "batch": 200, "warmup": 2}
    for key, value in (quick if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.rounds < 1 or args.batch < 1 or args.warmup < 0:
        parser.error("--rounds and --batch must be >= 1, --warmup >= 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    contenders = build()
    started = time.perf_counter()
    samples = measure(contenders, args.rounds, args.batch, args.warmup)
    seconds = time.perf_counter() - started
    rows = summarise(contenders, samples)
    goals = targets(rows)
    if args.json:
        result = {
            "rounds": args.rounds,
            "batch": args.batch,
            "seconds": round(seconds, 1),
            "environment": environment(),
            "contenders": [
                {
                    "name": r.name,
                    "note": r.note,
                    "us_per_request": round(r.us, 2),
                    "p25": round(r.p25, 2),
                    "p75": round(r.p75, 2),
                    "overhead_us": None if r.overhead is None else round(r.overhead, 2),
                    "ratio_to_best_peer": None if r.ratio is None else round(r.ratio, 3),
                }
                for r in rows
            ],
            "targets": goals,
        }
        json.dump(result, sys.stdout, indent=2)
        print()
    else:
        print_table(rows, goals, args)
        print(f"\n(measured in {seconds:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
