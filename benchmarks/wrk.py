"""Debian's ``wrk``, run and read: one run's throughput, request count and p99 latency, and
the Lua script that sends each request the next client's cookies."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import pinned

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


@dataclass
class Run:
    rps: float
    requests: int
    p99_ms: float
    output: str


def run(
    url: str,
    *,
    seconds: int,
    connections: int,
    headers: dict[str, str] | None = None,
    script: Path | None = None,
    cpu: int | None = None,
) -> Run:
    """One wrk run (on core ``cpu`` if given); an error, a socket error or a non-2xx answer
    raises (a broken contender must stop the benchmark, not yield fast numbers)."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "--latency"]
    if script is not None:
        command += ["-s", str(script)]
    for key, value in (headers or {}).items():
        command += ["-H", f"{key}: {value}"]
    command.append(url)
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 30, preexec_fn=pinned(cpu)
    )
    out = done.stdout
    if done.returncode != 0 or "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk failed for {url}:\n{out}{done.stderr}")
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    count = re.search(r"(\d+) requests in", out)
    p99 = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
    if rps is None or count is None or p99 is None:
        raise RuntimeError(f"wrk's output lacks Requests/sec, a request count or a p99:\n{out}")
    latency = float(p99.group(1)) * _UNITS[p99.group(2)]
    return Run(float(rps.group(1)), int(count.group(1)), latency, out)


def cycling_script(path: str, headers: list[str], user_agent: str, directory: Path) -> Path:
    """A wrk script sending the next client's Cookie header with each request."""
    script = directory / f"cookies-{len(headers)}-{id(headers)}.lua"
    lines = [f"local cookies = {{{', '.join(_lua_string(h) for h in headers)}}}"]
    lines += [
        "local i = 0",
        "request = function()",
        "  i = i % #cookies + 1",
        f"  return wrk.format('GET', {_lua_string(path)}, "
        f"{{['Cookie'] = cookies[i], ['User-Agent'] = {_lua_string(user_agent)}}})",
        "end",
    ]
    script.write_text("\n".join(lines) + "\n")
    return script


def _lua_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
