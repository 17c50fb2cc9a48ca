"""What every helper that starts a real process needs: a free loopback port, and a stop
that always ends the process (terminate, then kill after a deadline), its pipes drained."""

from __future__ import annotations

import socket
import subprocess
from typing import Any


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def stop(process: subprocess.Popen[Any], timeout: float = 5) -> None:
    """Terminate, wait up to ``timeout`` (reading what it still writes to a pipe, so it
    cannot block on a full one), then kill."""
    if process.poll() is None:
        process.terminate()
    try:
        process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
