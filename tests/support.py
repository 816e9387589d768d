"""Test helpers: a real SMTP server on loopback, form posting with CSRF, factories."""

from __future__ import annotations

import re
import socket
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
LINK = re.compile(r"https?://\S+")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Mailbox:
    """What arrived at the test SMTP server, read as parsed email messages."""

    def __init__(self):
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def clear(self):
        with self._lock:
            self.messages.clear()

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if m["To"] == address]

    def last_to(self, address: str, timeout: float = 5.0) -> EmailMessage:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.to(address)
            if found:
                return found[-1]
            time.sleep(0.02)
        raise AssertionError(f"no email arrived for {address}; got {[m['To'] for m in self.messages]}")

    @staticmethod
    def body(message: EmailMessage) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()

    def link_in_last(self, address: str, contains: str = "") -> str:
        links = [link for link in LINK.findall(self.body(self.last_to(address))) if contains in link]
        assert links, f"no link containing {contains!r} in the email to {address}"
        return links[0]


def start_smtp_server() -> tuple[Controller, Mailbox]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller, mailbox


def csrf_token_from(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def post_form(client, url: str, data: dict, form_url: str | None = None, **kwargs):
    """GET the page that holds the form, then POST ``data`` with its CSRF token."""
    page = client.get(form_url or url)
    assert page.status_code == 200, f"GET {form_url or url} gave {page.status_code}"
    return client.post(url, data={"csrf_token": csrf_token_from(page.get_data(as_text=True)), **data}, **kwargs)


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3] if url.count("/") >= 3 else "/"
