"""Both benchmarks run in their quickest mode and report every contender with the cookies
its real sign-in left: a contender whose sign-in or check broke stops the script instead."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def table(out: str) -> dict[str, dict[str, str]]:
    """The markdown table of a report: contender -> column -> cell."""
    lines = [line for line in out.splitlines() if line.startswith("| ")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    rows = ([cell.strip() for cell in line.strip("|").split("|")] for line in lines[1:])
    return {row[0]: dict(zip(header, row, strict=True)) for row in rows}


def test_request_benchmark_signs_in_through_the_form_and_keeps_every_cookie() -> None:
    rows = table(run("benchmarks/bench_requests.py", "--rounds", "2", "--requests", "5",
                     "--warmup", "0"))  # fmt: skip
    expected = {
        "bare flask": "-",
        "flask_jwtauth": "jwtauth.session-token",
        "flask_jwtauth token only": "jwtauth.session-token",
        "flask_jwtauth UPDATE_AGE=0": "jwtauth.session-token",
        "flask_jwtauth MEMO_SIZE=0": "jwtauth.session-token",
        "flask-login": "session",
        "flask-jwt-extended": "access_token_cookie, csrf_access_token",
        "flask_jwtauth + revocation (memory)": "jwtauth.session-token",
        "flask_jwtauth + revocation (sqlite)": "jwtauth.session-token",
    }
    for name, cookies in expected.items():
        assert name in rows, f"{name} missing from the table"
        # Whatever else a sign-in leaves (a CSRF cookie, Flask's session) is listed too.
        assert set(cookies.split(", ")) <= set(rows[name]["cookies"].split(", ")), rows[name]
    assert rows["flask_jwtauth token only"]["cookies"] == "jwtauth.session-token"
    assert rows["flask-login"]["vs flask-login"] == "1.00x"
    for name in expected.keys() - {"bare flask"}:
        float(rows[name]["overhead µs"])  # a number, not "-"


def test_server_benchmark_under_gunicorn_and_wrk() -> None:
    missing = [tool for tool in ("wrk",) if shutil.which(tool) is None]
    missing += [m for m in ("gunicorn", "requests") if importlib.util.find_spec(m) is None]
    if missing:
        reason = f"bench_server needs wrk (apt-get install wrk) and gunicorn, requests: {missing}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    out = run("benchmarks/bench_server.py", "--quick")
    rows = table(out)
    peers = {
        "bare flask",
        "flask_jwtauth",
        "flask_jwtauth UPDATE_AGE=0",
        "flask-login",
        "flask-jwt-extended",
    }
    kinds = ["memory", "sqlite"] + (["redis"] if shutil.which("redis-server") else [])
    if "redis" in kinds and shutil.which("redis-cli"):
        kinds += ["sentinel", "cluster"]
    revocation = {f"flask_jwtauth + revocation ({kind})" for kind in kinds}
    anchors: set[str] = set()
    if "redis" in kinds:
        anchors = {"flask-login + flask-session (Redis)",
                   "flask-login + flask-session (Redis) no refresh"}  # fmt: skip
    many = {"flask_jwtauth x20"} | {f"{name} x20" for name in revocation | anchors}
    assert set(rows) == peers | revocation | anchors | many
    assert "revocation: at most +10 µs" in out
    if "redis" in kinds:
        assert "Redis commands/request" in out
        # Counted at the store: Flask-Session reads (GET) and, by default, writes (SET) the
        # session on every request; our revocation reads the feed, not the store, per request.
        commands = {name: row["Redis cmds/req"] for name, row in rows.items()}
        assert float(commands["flask-login + flask-session (Redis)"]) >= 1.9
        assert float(commands["flask-login + flask-session (Redis) no refresh"]) >= 0.9
        for kind in kinds[2:]:  # counted at each store's data nodes, summed
            assert float(commands[f"flask_jwtauth + revocation ({kind}) x20"]) < 0.1
    assert rows["bare flask"]["cookies sent"] == "-"
    assert "jwtauth.session-token" in rows["flask_jwtauth"]["cookies sent"]
    assert "session" in rows["flask-login"]["cookies sent"].split(", ")
    for row in rows.values():
        assert float(row["requests/s"]) > 0
    assert "target flask_jwtauth steady >= 0.85x" in out
