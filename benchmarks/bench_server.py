"""Throughput under a real server: each contender served by gunicorn (one sync worker) on a
loopback port, driven by Debian's ``wrk`` with every cookie of a client that signed in over
HTTP as a browser does (sign-in page, its hidden fields, form post, redirect).

    .venv/bin/python benchmarks/bench_server.py            # 10 rounds x 2 s per contender
    .venv/bin/python benchmarks/bench_server.py --quick    # 1 round x 1 s, no warm-up
    .venv/bin/python benchmarks/bench_server.py --json     # machine-readable results
    .venv/bin/python benchmarks/bench_server.py --sessions 3000   # the round-robin column

Besides the peers, flask_jwtauth with revocation on each store (memory, SQLite, Redis when
redis-server is installed), each also served to ``--sessions`` clients round robin (wrk
cycling their cookies with a Lua script), next to flask_jwtauth without revocation in the
same mode; the Redis server's commands per request are counted (INFO commandstats).

Rounds are interleaved (the order rotates each round). A contender's requests/s is its
median over rounds; its ratio to bare Flask and its overhead per request
(``1e6/rps - 1e6/rps_bare``) are medians of the same-round pairs, so drift of a shared
machine cancels. Only 127.0.0.1 is contacted; every gunicorn is stopped at the end, whatever
happens.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import wrk  # noqa: E402
from benchmarks.apps import (  # noqa: E402
    BARE,
    FLASK_LOGIN,
    FLASK_SESSION,
    JWT_EXTENDED,
    PATH,
    ROLLING,
    STEADY,
    USER,
    USER_AGENT,
    HTTPBrowser,
    sign_in,
)
from benchmarks.common import (  # noqa: E402
    CLIENT_CPU,
    SERVER_CPU,
    environment,
    fmt,
    free_port,
    markdown,
    pinned,
    redis_server,
    redis_topologies,
    stop,
    verdict,
    wait_for_port,
)
from benchmarks.many_sessions import cookie_headers, redis_calls  # noqa: E402

NAMES = (BARE, STEADY, ROLLING, FLASK_LOGIN, JWT_EXTENDED)
SESSION_COOKIE = "jwtauth.session-token"
TARGET = 0.85  # flask_jwtauth's steady throughput vs bare Flask's (issue 7)
REVOCATION_GOAL_US = 10.0  # revocation's cost over no revocation (issue 24)


@dataclass
class Spec:
    """One row: an app of :mod:`benchmarks.apps` with extra settings, served to one
    client or to ``sessions`` clients round robin; ``counted``: the Redis data nodes whose
    commands are counted (plain ``redis://`` URLs)."""

    label: str
    app: str
    config: dict[str, Any] = field(default_factory=dict)
    sessions: int = 1
    counted: tuple[str, ...] = ()


@dataclass
class Served:
    name: str
    base: str
    cookie: str  # the Cookie header a browser would send
    cookies: list[str]  # their names
    spec: Spec = field(default_factory=lambda: Spec("", ""))
    script: Path | None = None  # wrk's Lua script cycling many clients' cookies
    commands: list[float] = field(default_factory=list)  # store commands per request
    p99: list[float] = field(default_factory=list)  # each round's p99 latency, ms


def revocation_label(kind: str, sessions: int = 1) -> str:
    return f"{STEADY} + revocation ({kind})" + (f" x{sessions}" if sessions > 1 else "")


#: Flask-Session's settings for each anchor row: its defaults (the cookie and the Redis
#: entry's expiry refreshed on every request), and with that refresh off.
ANCHORS = {"": {}, " no refresh": {"SESSION_REFRESH_EACH_REQUEST": False}}


def anchor_label(variant: str, sessions: int = 1) -> str:
    return f"{FLASK_SESSION} (Redis){variant}" + (f" x{sessions}" if sessions > 1 else "")


def specs(args: argparse.Namespace, stack: ExitStack) -> list[Spec]:
    out = [Spec(name, name) for name in (NAMES if args.peers else (BARE, STEADY))]
    if not args.revocation:
        return out
    stores = {
        "memory": "memory://",
        "sqlite": f"sqlite:///{stack.enter_context(tempfile.TemporaryDirectory())}/bench.db",
    }
    nodes: dict[str, tuple[str, ...]] = {}
    anchors: list[tuple[str, dict[str, Any]]] = []
    url = stack.enter_context(redis_server())
    if url is not None:
        stores["redis"], nodes["redis"] = url, (url,)
        for kind, (store, data) in stack.enter_context(redis_topologies(args.ha)).items():
            stores[kind], nodes[kind] = store, data
        anchors = [(v, {"session_redis": url, **settings}) for v, settings in ANCHORS.items()]
    counts = [1] + ([args.sessions] if args.sessions > 1 else [])
    for sessions in counts:
        if sessions > 1:
            out.append(Spec(f"{STEADY} x{sessions}", STEADY, sessions=sessions))
        for kind, store in stores.items():
            config = {"JWTAUTH_REVOCATION": True, "JWTAUTH_STORE_URL": store}
            label = revocation_label(kind, sessions)
            out.append(Spec(label, STEADY, config, sessions, nodes.get(kind, ())))
        for variant, settings in anchors:
            label = anchor_label(variant, sessions)
            counted = (settings["session_redis"],)
            out.append(Spec(label, FLASK_SESSION, settings, sessions, counted))
    return out


def serve(spec: Spec, stack: ExitStack, logs: Path) -> tuple[Spec, subprocess.Popen[bytes], int]:
    port = free_port()
    log = stack.enter_context((logs / f"{port}.log").open("wb"))
    call = ", ".join([repr(spec.app), *(f"{k}={v!r}" for k, v in spec.config.items())])
    command = [
        sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
        "--worker-class", "sync", "--log-level", "warning", "--chdir", str(ROOT),
        f"benchmarks.apps:create({call})",
    ]  # fmt: skip
    # One hash seed for every contender: with each process's own, dicts collide differently
    # in each, a bias of some µs per process that no number of rounds averages out.
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        preexec_fn=pinned(SERVER_CPU),
    )  # fmt: skip
    stack.callback(stop, process)
    return spec, process, port


def signed_in(spec: Spec, port: int, logs: Path) -> Served:
    base = f"http://127.0.0.1:{port}"
    browser = HTTPBrowser(base)
    sign_in(spec.app, browser)
    # What a browser sends to PATH: cookies whose Path covers it (the expiry marker, scoped
    # to the sign-in page, is not sent to the API).
    jar = [c for c in browser.session.cookies if PATH.startswith(c.path or "/")]
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    served = Served(spec.label, base, cookie, [c.name for c in jar], spec)
    if spec.sessions > 1:
        many = [cookie, *cookie_headers(spec.app, spec.config, spec.sessions - 1)]
        served.script = wrk.cycling_script(PATH, many, USER_AGENT, logs)
    return served


def headers(served: Served) -> dict[str, str]:
    out = {"User-Agent": USER_AGENT}
    if served.cookie:
        out["Cookie"] = served.cookie
    return out


def check(served: Served) -> None:
    """What wrk will send must get the view, and nothing less may."""
    for _ in range(3):
        response = requests.get(served.base + PATH, headers=headers(served), timeout=5)
        assert response.status_code == 200, (served.name, response.status_code)
        assert response.json() == USER, (served.name, response.text)
        set_cookies = response.raw.headers.getlist("Set-Cookie")
        if served.name == ROLLING:
            assert any(c.startswith(f"{SESSION_COOKIE}=") for c in set_cookies), served.name
        elif refreshes_each_request(served.spec):
            assert any(c.startswith("session=") for c in set_cookies), served.name
        else:
            assert not set_cookies, (served.name, set_cookies)
    if served.name != BARE:
        assert served.cookies, f"{served.name}: the sign-in left no cookie"
        bare = requests.get(served.base + PATH, headers={"User-Agent": USER_AGENT}, timeout=5)
        assert bare.status_code in (302, 401), (served.name, bare.status_code)


def refreshes_each_request(spec: Spec) -> bool:
    """Flask-Session's default: every answer sets the session cookie again."""
    return spec.app == FLASK_SESSION and spec.config.get("SESSION_REFRESH_EACH_REQUEST", True)


def drive(served: Served, seconds: int, connections: int) -> float:
    """Requests/s over one wrk run (its p99 and store commands kept on ``served``)."""
    counted = served.spec.counted
    before = redis_calls(counted) if counted else 0
    url = served.base + PATH
    if served.script is not None:
        done = wrk.run(url, seconds=seconds, connections=connections, script=served.script,
                       cpu=CLIENT_CPU)  # fmt: skip
    else:
        done = wrk.run(url, seconds=seconds, connections=connections, headers=headers(served),
                       cpu=CLIENT_CPU)  # fmt: skip
    if counted:
        served.commands.append((redis_calls(counted) - before) / max(done.requests, 1))
    served.p99.append(done.p99_ms)
    return done.rps


Samples = dict[str, list[float]]


def run(args: argparse.Namespace) -> tuple[list[Served], Samples]:
    with ExitStack() as stack:
        logs = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        started = [serve(spec, stack, logs) for spec in specs(args, stack)]
        served = []
        for spec, process, port in started:
            if not wait_for_port(port, 30, process):
                log = (logs / f"{port}.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"gunicorn for {spec.label} did not start:\n{log}")
            try:
                served.append(signed_in(spec, port, logs))
            except Exception as exc:
                log = (logs / f"{port}.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"signing in to {spec.label} failed: {exc}\n{log}") from exc
        for s in served:
            check(s)
        for s in served if args.warmup else []:
            drive(s, 1, args.connections)
        samples: Samples = {s.name: [] for s in served}
        for index in range(args.rounds):
            shift = index % len(served)
            for s in served[shift:] + served[:shift]:
                samples[s.name].append(drive(s, args.seconds, args.connections))
    return served, samples


@dataclass
class Row:
    name: str
    cookies: list[str]
    rps: float
    ratio: float  # to bare Flask's throughput
    best: float  # best round's requests/s over bare Flask's best (the least disturbed runs)
    overhead: float | None  # µs per request over bare Flask
    vs_login: float | None


def summarise(served: list[Served], samples: Samples) -> list[Row]:
    bare = samples[BARE]

    def paired(name: str) -> tuple[float, float]:
        pairs = list(zip(samples[name], bare, strict=True))
        ratio = statistics.median(v / b for v, b in pairs)
        return ratio, statistics.median(1e6 / v - 1e6 / b for v, b in pairs)

    login = paired(FLASK_LOGIN)[1] if FLASK_LOGIN in samples else None
    rows = []
    for s in served:
        ratio, overhead = paired(s.name)
        over = None if s.name == BARE else overhead
        vs = over / login if over is not None and login else None
        best = max(samples[s.name]) / max(bare)
        rps = statistics.median(samples[s.name])
        rows.append(Row(s.name, s.cookies, rps, ratio, best, over, vs))
    return rows


def report(
    rows: list[Row], args: argparse.Namespace, served: list[Served], samples: Samples
) -> str:
    header = ["contender", "requests/s", "vs bare flask", "best vs best", "overhead µs",
              "vs flask-login", "p99 ms", "Redis cmds/req", "cookies sent"]  # fmt: skip
    commands = {s.name: statistics.mean(s.commands) for s in served if s.commands}
    p99 = {s.name: statistics.median(s.p99) for s in served}
    cells = [
        [r.name, f"{r.rps:.0f}", f"{r.ratio:.3f}x", f"{r.best:.3f}x", fmt(r.overhead, ".1f"),
         fmt(r.vs_login, ".2f", "x"), f"{p99[r.name]:.2f}", fmt(commands.get(r.name), ".4f"),
         ", ".join(r.cookies) or "-"]
        for r in rows
    ]  # fmt: skip
    steady = next(r for r in rows if r.name == STEADY)
    return "\n".join([
        f"gunicorn, 1 sync worker per contender; wrk -t1 -c{args.connections}; "
        + ("the server on core 0, wrk on core 1; " if pinned(SERVER_CPU) else "")
        + f"{args.rounds} interleaved rounds x {args.seconds} s; medians",
        ", ".join(f"{k} {v}" for k, v in environment().items()),
        "",
        markdown(header, cells, [False, True, True, True, True, True, True, True, False]),
        "",
        "vs bare flask = median of same-round throughput ratios; best vs best = best round "
        "over bare flask's best round; overhead = median of same-round "
        "1e6/rps - 1e6/rps(bare flask); vs flask-login = overhead / Flask-Login's; "
        "p99 = median over rounds of wrk's 99th percentile latency",
        "",
        f"target flask_jwtauth steady >= {TARGET}x bare flask's throughput: "
        f"{steady.ratio:.3f}x -> {verdict(steady.ratio >= TARGET)} "
        f"(best rounds: {steady.best:.3f}x)",
        *revocation_report(served, samples),
    ])  # fmt: skip


def added(samples: Samples, name: str, base: str) -> float:
    """Median over rounds of µs per request over ``base`` in the same round."""
    pairs = zip(samples[name], samples[base], strict=True)
    return statistics.median(1e6 / v - 1e6 / b for v, b in pairs)


def revocation_report(served: list[Served], samples: Samples) -> list[str]:
    """Revocation's cost over flask_jwtauth without it, with one client and with many, and
    the Redis commands per request; the goal is issue 24's."""
    by_label = {s.name: s for s in served}
    lines = []
    for s in served:
        spec = s.spec
        if not spec.config.get("JWTAUTH_REVOCATION"):
            continue
        base = STEADY if spec.sessions == 1 else f"{STEADY} x{spec.sessions}"
        if base not in by_label:
            continue
        cost = added(samples, s.name, base)
        commands = ""
        if s.commands:
            commands = f"; {statistics.mean(s.commands):.4f} Redis commands/request"
        goal = verdict(cost <= REVOCATION_GOAL_US and (not s.commands or max(s.commands) < 0.01))
        lines.append(f"{s.name}: {cost:+.1f} µs over {base}{commands} -> {goal}")
    if lines:
        goal = f"revocation: at most +{REVOCATION_GOAL_US:.0f} µs, < 0.01 commands/request"
        lines[:0] = ["", goal]
    return lines


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="interleaved rounds (default 10)")
    parser.add_argument("--seconds", type=int, default=2, help="wrk -d per run (default 2)")
    parser.add_argument("--connections", type=int, default=4, help="wrk -c (default 4)")
    parser.add_argument("--quick", action="store_true", help="1 round x 1 s, no warm-up")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--sessions", type=int, default=3000, help="clients round robin (default 3000; 1: none)"
    )
    parser.add_argument(
        "--no-revocation", dest="revocation", action="store_false", help="the peers only"
    )
    parser.add_argument(
        "--no-peers", dest="peers", action="store_false",
        help="no Flask-Login, Flask-JWT-Extended or UPDATE_AGE=0 rows (bare and steady stay)",
    )  # fmt: skip
    parser.add_argument(
        "--no-ha", dest="ha", action="store_false", help="no Redis Sentinel or Cluster rows"
    )
    args = parser.parse_args(argv)
    args.warmup = not args.quick
    if args.quick:
        args.rounds, args.seconds, args.sessions = 1, 1, min(args.sessions, 20)
    if args.rounds < 1 or args.seconds < 1 or args.connections < 1:
        parser.error("--rounds, --seconds and --connections must be >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    missing = [t for t in ("wrk",) if shutil.which(t) is None]
    missing += [m for m in ("gunicorn",) if importlib.util.find_spec(m) is None]
    if missing:
        print(f"missing: {', '.join(missing)} (apt-get install wrk; pip install gunicorn)",
              file=sys.stderr)  # fmt: skip
        return 2
    served, samples = run(args)
    rows = summarise(served, samples)
    if args.json:
        result: dict[str, Any] = {
            "rounds": args.rounds,
            "seconds": args.seconds,
            "connections": args.connections,
            "environment": environment(),
            "samples": samples,
            "contenders": [r.__dict__ for r in rows],
            "redis_commands_per_request": {s.name: s.commands for s in served if s.commands},
        }
        json.dump(result, sys.stdout)
        print()
    else:
        print(report(rows, args, served, samples))
    return 0


if __name__ == "__main__":
    sys.exit(main())
