"""A real SMTP server (aiosmtpd) on a free loopback port, as its own process, started and
stopped by the tests; every message it receives is written to a folder the tests read.

Run directly: ``python tests/smtp_server.py PORT FOLDER [USER:PASSWORD]`` (with a login,
AUTH is required, over plain SMTP: it is loopback).
"""

from __future__ import annotations

import email
import email.policy
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from processes import free_port, stop


class SMTPServer:
    def __init__(self, folder: Path, login: str | None = None) -> None:
        self.folder = folder
        self.login = login
        self.port = free_port()
        self.process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        credentials = f"{self.login}@" if self.login else ""
        return f"smtp://{credentials}127.0.0.1:{self.port}?timeout=5"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        args = [sys.executable, __file__, str(self.port), str(self.folder)]
        if self.login:
            args.append(self.login)
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if line.strip() != "ready":
            self.stop()
            raise RuntimeError(f"the SMTP server did not start: {line!r}")

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None

    def messages(self) -> list[EmailMessage]:
        found = []
        for path in sorted(self.folder.glob("*.eml")):
            parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            assert isinstance(parsed, EmailMessage)
            found.append(parsed)
        return found

    def wait_for(self, count: int, timeout: float = 5) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while True:
            found = self.messages()
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.02)


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[SMTPServer]:
    server = SMTPServer(tmp_path / "mail")
    server.start()
    yield server
    server.stop()


def _serve(port: int, folder: Path, login: str | None) -> None:  # pragma: no cover - child
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    class Saver:
        def __init__(self) -> None:
            self.count = 0

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            self.count += 1
            name = f"{time.time_ns()}-{self.count:04d}"
            partial = folder / f"{name}.tmp"
            partial.write_bytes(envelope.original_content or envelope.content)
            os.replace(partial, folder / f"{name}.eml")
            return "250 Message accepted"

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        if isinstance(data, LoginPassword) and login is not None:
            user, _, password = login.partition(":")
            if data.login.decode() == user and data.password.decode() == password:
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    options: dict[str, Any] = {}
    if login:
        options = {
            "authenticator": authenticate,
            "auth_required": True,
            "auth_require_tls": False,
        }
    controller = Controller(Saver(), hostname="127.0.0.1", port=port, **options)
    controller.start()
    print("ready", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


if __name__ == "__main__":  # pragma: no cover - the child process
    import signal
    import warnings

    # AUTH without TLS is what the tests want, on loopback.
    warnings.simplefilter("ignore")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    _serve(int(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else None)
