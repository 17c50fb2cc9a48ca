"""Throughput under a real server: each contender served by gunicorn (one sync worker) on a
loopback port, driven by Debian's ``wrk`` with the cookies of a client that signed in over
HTTP, as a browser would (every cookie kept).

    .venv/bin/python benchmarks/bench_server.py            # 5 rounds x 3 s per contender
    .venv/bin/python benchmarks/bench_server.py --quick    # 1 round x 1 s (a smoke run)

Rounds are interleaved (the order rotates each round); a contender's figure is the median of
its requests/s over rounds. Only loopback is ever contacted; every server is stopped at the
end, whatever happens.
"""

from __future__ import annotations

import argparse
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.server_apps import CONTENDERS  # noqa: E402

PATH = "/api/me"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start(name: str, stack: ExitStack) -> str:
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
        "--worker-class", "sync", "--log-level", "warning",
        f"benchmarks.server_apps:create({name!r})",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT)

    def stop() -> None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    stack.callback(stop)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn for {name} exited with {process.returncode}")
        try:
            requests.get(base + PATH, timeout=1)
            return base
        except requests.ConnectionError:
            time.sleep(0.1)
    raise RuntimeError(f"gunicorn for {name} did not start within 20 s")


def sign_in(name: str, base: str) -> str:
    """Sign in over HTTP as a browser would; the Cookie header it would then send."""
    client = requests.Session()
    if name.startswith("flask_jwtauth"):
        page = client.get(base + "/auth/sign-in", timeout=5).text
        match = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert match is not None, "no CSRF field on the sign-in page"
        response = client.post(
            base + "/auth/sign-in/credentials",
            data={"username": "ann", "password": "pw", "csrf_token": match.group(1)},
            allow_redirects=False,
            timeout=5,
        )
        assert response.status_code == 302, response.text
    elif name == "flask-login":
        assert client.post(base + "/login", timeout=5).status_code == 200
    header = "; ".join(f"{c.name}={c.value}" for c in client.cookies)
    check = requests.get(base + PATH, headers={"Cookie": header} if header else {}, timeout=5)
    assert check.status_code == 200, (name, check.status_code)
    if name != "bare flask":
        assert requests.get(base + PATH, timeout=5).status_code in (302, 401), name
    return header


def drive(base: str, cookie: str, seconds: float, connections: int) -> float:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{max(int(seconds), 1)}s", base + PATH]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"wrk saw errors:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert match is not None, out
    return float(match.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.seconds = 1, 1
    for tool in ("wrk",):
        if shutil.which(tool) is None:
            print(f"{tool} is missing: apt-get install {tool}", file=sys.stderr)
            return 2
    names = list(CONTENDERS)
    samples: dict[str, list[float]] = {n: [] for n in names}
    with ExitStack() as stack:
        bases = {n: start(n, stack) for n in names}
        cookies = {n: sign_in(n, bases[n]) for n in names}
        for n in names:  # warm up
            drive(bases[n], cookies[n], min(args.seconds, 1), args.connections)
        for round_ in range(args.rounds):
            order = names[round_ % len(names) :] + names[: round_ % len(names)]
            for n in order:
                samples[n].append(drive(bases[n], cookies[n], args.seconds, args.connections))
    rps = {n: statistics.median(v) for n, v in samples.items()}
    bare = rps["bare flask"]
    login_overhead = 1e6 / rps["flask-login"] - 1e6 / bare
    print(f"gunicorn 1 sync worker, wrk -t1 -c{args.connections}, "
          f"{args.rounds} rounds x {args.seconds:g} s, medians")  # fmt: skip
    print()
    print(
        "| contender | cookies sent | requests/s | vs bare flask | overhead µs | vs flask-login |"
    )
    print("|---|---|---|---|---|---|")
    for n in names:
        overhead = 1e6 / rps[n] - 1e6 / bare
        names_sent = ", ".join(c.split("=", 1)[0] for c in cookies[n].split("; ") if c) or "-"
        ratio = f"{overhead / login_overhead:.2f}x" if n != "bare flask" else "-"
        print(f"| {n} | {names_sent} | {rps[n]:.0f} | {rps[n] / bare:.3f}x | "
              f"{overhead:.1f} | {ratio} |")  # fmt: skip
    steady = rps["flask_jwtauth"] / bare
    print()
    print(f"target flask_jwtauth steady >= 0.85x bare flask: {steady:.3f}x -> "
          f"{'MET' if steady >= 0.85 else 'NOT MET'}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
