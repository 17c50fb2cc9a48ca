"""Sending the sign-in email over SMTP, with the standard library, configured by one URL.

``smtp://user:password@host:port``: plain SMTP (port 25 by default), upgraded with
STARTTLS when the URL says ``?starttls=true`` or its scheme is ``smtp+starttls://`` (port
587 by default); ``smtps://``: TLS from the first byte (port 465 by default). User and
password are percent-decoded (``%40`` for ``@``). ``?timeout=10`` bounds each network step
(connect, every command and reply), in seconds; 10 by default. TLS verifies the server's
certificate and name with the system's trust store.

Anything that goes wrong (refused, unreachable, timed out, bad login, refused sender) raises
:class:`SendFailed`, which the email provider answers with a page saying the email could
not be sent; a recipient the server refuses is not one of them (see :meth:`SMTPMailer.send`).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

logger = logging.getLogger("flask_jwtauth")

DEFAULT_TIMEOUT = 10.0
_PORTS = {"plain": 25, "starttls": 587, "tls": 465}
_TRUE = ("1", "true", "yes", "on")


class SendFailed(Exception):
    """The email could not be handed to the mail server (or the app's ``send`` failed)."""


@dataclass(frozen=True)
class SMTPServer:
    host: str
    port: int
    #: ``plain``, ``starttls`` or ``tls`` (implicit TLS).
    security: str
    user: str | None = None
    password: str | None = None
    timeout: float = DEFAULT_TIMEOUT

    def __repr__(self) -> str:  # never the password
        return f"SMTPServer({self.security}://{self.host}:{self.port})"


def parse_server(url: str) -> SMTPServer:
    """The server a URL names; ValueError (saying what is accepted) for anything else."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    query = {k.lower(): v[-1] for k, v in parse_qs(parts.query).items()}
    if scheme == "smtps":
        security = "tls"
    elif scheme == "smtp+starttls":
        security = "starttls"
    elif scheme == "smtp":
        security = "starttls" if query.get("starttls", "").lower() in _TRUE else "plain"
    else:
        raise ValueError(
            f"{scheme or url!r}: use smtp://host:port, smtp+starttls://... or smtps://..."
        )
    if not parts.hostname:
        raise ValueError("the URL names no host: smtp://user:password@host:port")
    try:
        port = parts.port or _PORTS[security]
        timeout = float(query.get("timeout", DEFAULT_TIMEOUT))
    except ValueError as exc:
        raise ValueError(f"a bad port or timeout: {exc}") from None
    if not 0 < timeout <= 120:
        raise ValueError(f"timeout: expected seconds between 0 and 120, got {timeout}")
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    return SMTPServer(parts.hostname, port, security, user, password, timeout)


def build_message(sender: str, to: str, subject: str, text: str, html: str | None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip("> ") or None)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message


class SMTPMailer:
    """``send(to, subject, text, html)`` through one SMTP server, one connection per email."""

    def __init__(self, server: SMTPServer, sender: str) -> None:
        self.server = server
        self.sender = sender

    def __call__(self, to: str, subject: str, text: str, html: str | None) -> None:
        self.send(to, subject, text, html)

    def send(self, to: str, subject: str, text: str, html: str | None) -> None:
        """Hand the email over; :class:`SendFailed` when that fails.

        A recipient the server refuses (``550 no such user`` from a server that knows the
        mailboxes) is logged and otherwise treated as sent: answering differently would
        tell whoever typed the address whether that mailbox exists."""
        message = build_message(self.sender, to, subject, text, html)
        server = self.server
        context = ssl.create_default_context()
        try:
            smtp: smtplib.SMTP
            if server.security == "tls":
                smtp = smtplib.SMTP_SSL(
                    server.host, server.port, timeout=server.timeout, context=context
                )
            else:
                smtp = smtplib.SMTP(server.host, server.port, timeout=server.timeout)
            with smtp:
                if server.security == "starttls":
                    smtp.starttls(context=context)
                if server.user is not None:
                    smtp.login(server.user, server.password or "")
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused:
            logger.warning("the mail server refused the recipient of a sign-in email")
        except (OSError, smtplib.SMTPException) as exc:
            # socket.timeout and ssl.SSLError are OSErrors too.
            raise SendFailed(f"{server!r}: {type(exc).__name__}: {exc}") from exc
