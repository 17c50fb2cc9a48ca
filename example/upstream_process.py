"""Start the upstream token service beside the example, as seed 002's Django backend runs
beside its Next.js app: its own process and port, stopped when the example exits or is
sent SIGTERM.

``EXAMPLE_UPSTREAM_URL`` points the example at one already running instead (the tests start
their own, with test controls).
"""

from __future__ import annotations

import re
import subprocess
import sys

from . import children

_READY = re.compile(r"ready on (http://127\.0\.0\.1:\d+)")


class UpstreamProcess:
    """The running service: its ``url``, and ``stop()`` (also run at exit)."""

    def __init__(self, process: subprocess.Popen[str], url: str) -> None:
        self.process = process
        self.url = url

    def stop(self) -> None:
        children.stop_process(self.process)


def start_upstream() -> UpstreamProcess:
    """``python -m example.upstream --port 0``, once it says it is ready."""
    process = subprocess.Popen(
        [sys.executable, "-m", "example.upstream", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = _READY.search(line)
    if match is None:
        process.kill()
        process.wait()
        raise RuntimeError(f"the upstream token service did not start: {line!r}")
    service = UpstreamProcess(process, match.group(1))
    children.adopt(service.stop)
    return service
