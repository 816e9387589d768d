"""Mail transports: SMTP, or a local outbox folder for development.

A transport is opened once per batch: the worker sends a whole batch over one
SMTP connection instead of one handshake per message.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path


def build_message(config: dict, to_address: str, subject: str, body_text: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"]
    message["To"] = to_address
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    sender_domain = parseaddr(config["MAIL_SENDER"])[1].rpartition("@")[2] or "portal.local"
    message["Message-ID"] = make_msgid(domain=sender_domain)
    message.set_content(body_text)
    return message


@contextmanager
def open_transport(config: dict) -> Iterator[Callable[[EmailMessage], None]]:
    """Yield a ``send(message)`` function over one connection; raises if the
    transport cannot be reached (and ``send`` raises for a refused message)."""
    if config["MAIL_BACKEND"] == "outbox":
        outbox = Path(config["MAIL_OUTBOX_PATH"])
        outbox.mkdir(parents=True, exist_ok=True)

        def write(message: EmailMessage) -> None:
            name = message["Message-ID"].strip("<>").replace("@", "_")
            (outbox / f"{name}.eml").write_bytes(bytes(message))

        yield write
        return
    if config["MAIL_BACKEND"] != "smtp":
        raise ValueError(f"unknown MAIL_BACKEND {config['MAIL_BACKEND']!r}")
    smtp_class = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    with smtp_class(config["MAIL_HOST"], config["MAIL_PORT"], timeout=20) as smtp:
        if config["MAIL_USE_STARTTLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        yield smtp.send_message


def transmit(config: dict, message: EmailMessage) -> None:
    """Send one message on a connection of its own (for one-off use)."""
    with open_transport(config) as send:
        send(message)
