"""Throughput under a real server: each contender served by gunicorn (one sync worker) on a
loopback port, driven by Debian's ``wrk`` with every cookie of a client that signed in over
HTTP as a browser does (sign-in page, its hidden fields, form post, redirect).

    .venv/bin/python benchmarks/bench_server.py            # 10 rounds x 2 s per contender
    .venv/bin/python benchmarks/bench_server.py --quick    # 1 round x 1 s, no warm-up
    .venv/bin/python benchmarks/bench_server.py --json     # machine-readable results

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
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.apps import (  # noqa: E402
    BARE,
    FLASK_LOGIN,
    JWT_EXTENDED,
    PATH,
    ROLLING,
    STEADY,
    USER,
    USER_AGENT,
    Answer,
    sign_in,
)
from benchmarks.common import (  # noqa: E402
    environment,
    fmt,
    free_port,
    markdown,
    stop,
    verdict,
    wait_for_port,
)

NAMES = (BARE, STEADY, ROLLING, FLASK_LOGIN, JWT_EXTENDED)
SESSION_COOKIE = "jwtauth.session-token"
TARGET = 0.85  # flask_jwtauth's steady throughput vs bare Flask's (issue 7)


class HTTPBrowser:
    """``requests`` as a browser: its jar keeps every cookie; redirects are the caller's."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT

    def _url(self, path: str) -> str:
        parts = urlsplit(path)
        return self.base + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    @staticmethod
    def _answer(response: requests.Response) -> Answer:
        raw = response.raw.headers.getlist("Set-Cookie") if response.raw else []
        return Answer(response.status_code, response.text, response.headers.get("Location"), raw)

    def get(self, path: str) -> Answer:
        return self._answer(self.session.get(self._url(path), allow_redirects=False, timeout=5))

    def post(self, path: str, data: dict[str, str]) -> Answer:
        response = self.session.post(self._url(path), data=data, allow_redirects=False, timeout=5)
        return self._answer(response)


@dataclass
class Served:
    name: str
    base: str
    cookie: str  # the Cookie header a browser would send
    cookies: list[str]  # their names


def serve(name: str, stack: ExitStack, logs: Path) -> tuple[str, subprocess.Popen[bytes], int]:
    port = free_port()
    log = stack.enter_context((logs / f"{port}.log").open("wb"))
    command = [
        sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
        "--worker-class", "sync", "--log-level", "warning", "--chdir", str(ROOT),
        f"benchmarks.apps:create({name!r})",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    stack.callback(stop, process)
    return name, process, port


def signed_in(name: str, port: int) -> Served:
    base = f"http://127.0.0.1:{port}"
    browser = HTTPBrowser(base)
    sign_in(name, browser)
    jar = browser.session.cookies
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return Served(name, base, cookie, [c.name for c in jar])


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
        else:
            assert not set_cookies, (served.name, set_cookies)
    if served.name != BARE:
        assert served.cookies, f"{served.name}: the sign-in left no cookie"
        bare = requests.get(served.base + PATH, headers={"User-Agent": USER_AGENT}, timeout=5)
        assert bare.status_code in (302, 401), (served.name, bare.status_code)


def drive(served: Served, seconds: int, connections: int) -> float:
    """Requests/s over one wrk run; an error or a non-2xx answer stops the benchmark."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s"]
    for key, value in headers(served).items():
        command += ["-H", f"{key}: {value}"]
    command.append(served.base + PATH)
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30)
    out = done.stdout
    if done.returncode != 0 or "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk failed for {served.name}:\n{out}{done.stderr}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if match is None:
        raise RuntimeError(f"no Requests/sec in wrk's output:\n{out}")
    return float(match.group(1))


Samples = dict[str, list[float]]


def run(args: argparse.Namespace, names: tuple[str, ...]) -> tuple[list[Served], Samples]:
    with ExitStack() as stack:
        logs = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        started = [serve(name, stack, logs) for name in names]
        served = []
        for name, process, port in started:
            if not wait_for_port(port, 30, process):
                log = (logs / f"{port}.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"gunicorn for {name} did not start:\n{log}")
            served.append(signed_in(name, port))
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


def report(rows: list[Row], args: argparse.Namespace) -> str:
    header = ["contender", "requests/s", "vs bare flask", "best vs best", "overhead µs",
              "vs flask-login", "cookies sent"]  # fmt: skip
    cells = [
        [r.name, f"{r.rps:.0f}", f"{r.ratio:.3f}x", f"{r.best:.3f}x", fmt(r.overhead, ".1f"),
         fmt(r.vs_login, ".2f", "x"), ", ".join(r.cookies) or "-"]
        for r in rows
    ]  # fmt: skip
    steady = next(r for r in rows if r.name == STEADY)
    return "\n".join([
        f"gunicorn, 1 sync worker per contender; wrk -t1 -c{args.connections}; "
        f"{args.rounds} interleaved rounds x {args.seconds} s; medians",
        ", ".join(f"{k} {v}" for k, v in environment().items()),
        "",
        markdown(header, cells, [False, True, True, True, True, True, False]),
        "",
        "vs bare flask = median of same-round throughput ratios; best vs best = best round "
        "over bare flask's best round; overhead = median of same-round "
        "1e6/rps - 1e6/rps(bare flask); vs flask-login = overhead / Flask-Login's",
        "",
        f"target flask_jwtauth steady >= {TARGET}x bare flask's throughput: "
        f"{steady.ratio:.3f}x -> {verdict(steady.ratio >= TARGET)} "
        f"(best rounds: {steady.best:.3f}x)",
    ])  # fmt: skip


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="interleaved rounds (default 10)")
    parser.add_argument("--seconds", type=int, default=2, help="wrk -d per run (default 2)")
    parser.add_argument("--connections", type=int, default=4, help="wrk -c (default 4)")
    parser.add_argument("--quick", action="store_true", help="1 round x 1 s, no warm-up")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    args.warmup = not args.quick
    if args.quick:
        args.rounds, args.seconds = 1, 1
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
    served, samples = run(args, NAMES)
    rows = summarise(served, samples)
    if args.json:
        result: dict[str, Any] = {
            "rounds": args.rounds,
            "seconds": args.seconds,
            "connections": args.connections,
            "environment": environment(),
            "samples": samples,
            "contenders": [r.__dict__ for r in rows],
        }
        json.dump(result, sys.stdout)
        print()
    else:
        print(report(rows, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
