"""Mail transports: SMTP, or a local outbox folder for development."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path


def build_message(config: dict, to_address: str, subject: str, body_text: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"]
    message["To"] = to_address
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="portal.local")
    message.set_content(body_text)
    return message


def transmit(config: dict, message: EmailMessage) -> None:
    """Hand one message to the configured transport; raises on failure."""
    if config["MAIL_BACKEND"] == "outbox":
        outbox = Path(config["MAIL_OUTBOX_PATH"])
        outbox.mkdir(parents=True, exist_ok=True)
        name = message["Message-ID"].strip("<>").replace("@", "_")
        (outbox / f"{name}.eml").write_bytes(bytes(message))
        return
    if config["MAIL_BACKEND"] != "smtp":
        raise ValueError(f"unknown MAIL_BACKEND {config['MAIL_BACKEND']!r}")
    smtp_class = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    with smtp_class(config["MAIL_HOST"], config["MAIL_PORT"], timeout=20) as smtp:
        if config["MAIL_USE_STARTTLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)
