"""The processes the example starts beside itself (the demo OpenID provider, seed 002's
upstream token service), stopped when the example stops: at exit, and on ``SIGTERM``.

``kill PID`` sends ``SIGTERM``, whose default action ends a Python process at once, without
its exit handlers: the children were left running, holding their ports. The handler here
stops them first, then does what was there before (werkzeug's reloader exits, a server its
own shutdown, by default the process ends by the signal as it would have).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

_stops: list[Callable[[], None]] = []
_lock = threading.Lock()
_installed = False


def adopt(stop: Callable[[], None]) -> None:
    """``stop`` (idempotent) runs when the example exits or is sent ``SIGTERM``."""
    global _installed
    with _lock:
        _stops.append(stop)
        if _installed:
            return
        _installed = True
    atexit.register(stop_all)
    # Signal handlers belong to the main thread (an app made in another thread, as under
    # the reloader, relies on its exit: werkzeug turns SIGTERM into a normal exit there).
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_sigterm(signal.getsignal(signal.SIGTERM)))


def stop_process(process: subprocess.Popen[Any]) -> None:
    """Terminate a child, kill it if it has not gone within five seconds, and close the
    pipe it wrote to, if any."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None:
        process.stdout.close()


def stop_all() -> None:
    with _lock:
        stops = list(reversed(_stops))
        _stops.clear()
    for stop in stops:
        with contextlib.suppress(Exception):
            stop()


Handler = Callable[[int, FrameType | None], object] | int | signal.Handlers | None


def _on_sigterm(previous: Handler) -> Callable[[int, FrameType | None], None]:
    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        stop_all()
        if callable(previous):
            previous(signum, frame)
        elif previous != signal.SIG_IGN:
            # The default action, now that the children are gone: end by the signal.
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)

    return on_sigterm
