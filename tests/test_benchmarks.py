"""The benchmarks run (in their quickest mode) and check what they measure: a broken
contender must not produce a fast number."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_request_benchmark_signs_in_through_the_form() -> None:
    out = subprocess.run(
        [sys.executable, "benchmarks/bench_requests.py", "--quick", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    result = json.loads(out)
    rows = {row["name"]: row for row in result["contenders"]}
    assert {"bare flask", "flask_jwtauth", "flask_jwtauth token only", "flask-login"} <= set(rows)
    assert "jwtauth.session-token" in rows["flask_jwtauth"]["note"]
    assert "session," not in rows["flask_jwtauth"]["note"]  # no Flask session cookie
    assert rows["flask_jwtauth"]["overhead_us"] is not None


def test_server_benchmark_under_gunicorn_and_wrk() -> None:
    missing = [tool for tool in ("wrk",) if shutil.which(tool) is None]
    if missing or shutil.which("gunicorn", path=str(Path(sys.executable).parent)) is None:
        reason = f"needs wrk (apt-get install wrk) and gunicorn (pip): missing {missing}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    out = subprocess.run(
        [sys.executable, "benchmarks/bench_server.py", "--quick"],
        cwd=ROOT, capture_output=True, text=True, timeout=180, check=True,
    ).stdout  # fmt: skip
    for name in ("bare flask", "flask_jwtauth", "flask_jwtauth UPDATE_AGE=0", "flask-login"):
        assert f"| {name} |" in out
    assert "| flask_jwtauth | jwtauth.session-token |" in out
