"""A local mail server beside the example, so that "Sign in by email" works out of the box:
aiosmtpd (PyPI) as its own process on a free loopback port, writing every message to a
Maildir in the instance folder, which the example's ``/mail`` page shows. Stopped with the
example (``children``). ``EXAMPLE_DEMO_MAIL=0`` turns it off.
"""

from __future__ import annotations

import mailbox
import socket
import subprocess
import sys
import time
from email.message import Message
from pathlib import Path

from . import children

START_TIMEOUT = 15.0


class DemoMail:
    """The running server: its ``url`` for ``EmailProvider`` and its ``maildir``."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, maildir: Path) -> None:
        self.process = process
        self.url = f"smtp://127.0.0.1:{port}?timeout=5"
        self.maildir = maildir

    def stop(self) -> None:
        children.stop_process(self.process)


def start_demo_mail(instance: Path) -> DemoMail:
    maildir = instance / "mail"
    maildir.parent.mkdir(parents=True, exist_ok=True)
    mailbox.Maildir(str(maildir), create=True)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    command = [
        sys.executable, "-W", "ignore", "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
        "-c", "aiosmtpd.handlers.Mailbox", str(maildir),
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    mail = DemoMail(process, port, maildir)
    children.adopt(mail.stop)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return mail
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                mail.stop()
                raise RuntimeError("the demo mail server did not start") from None
            time.sleep(0.05)


def received(maildir: Path, limit: int = 10) -> list[dict[str, str]]:
    """The newest messages first: who to, the subject, the plain-text body."""
    box = mailbox.Maildir(str(maildir), create=False)
    messages = sorted(box, key=lambda message: message.get_date(), reverse=True)
    return [
        {"to": str(m["To"]), "subject": str(m["Subject"]), "text": _text(m)}
        for m in messages[:limit]
    ]


def _text(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                return payload.decode(part.get_content_charset() or "utf-8", "replace")
    return ""
