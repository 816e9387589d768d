"""Test helpers: a real SMTP server on loopback, form posting with CSRF, factories,
query counting and throwaway databases (also used by the benchmarks in tests/perf)."""

from __future__ import annotations

import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
LINK = re.compile(r"https?://\S+")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Mailbox:
    """What arrived at the test SMTP server, read as parsed email messages.

    Requests only queue email; reading the mailbox first runs the worker's
    delivery once (``deliver``, set by the app fixture), as the worker would.
    """

    def __init__(self):
        self._messages: list[EmailMessage] = []
        self._lock = threading.Lock()
        self.deliver = lambda: None

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self._messages.append(message)
        return "250 Message accepted for delivery"

    def clear(self):
        with self._lock:
            self._messages.clear()

    @property
    def messages(self) -> list[EmailMessage]:
        self.deliver()
        with self._lock:
            return list(self._messages)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    def last_to(self, address: str, timeout: float = 5.0) -> EmailMessage:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.to(address)
            if found:
                return found[-1]
            time.sleep(0.02)
        raise AssertionError(f"no email arrived for {address}; got {[m['To'] for m in self._messages]}")

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


@contextmanager
def count_queries(app):
    """Collect the SQL statements the app runs inside the block (to show a page
    runs a fixed number of queries whatever the data size)."""
    statements = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    engine = app.extensions["db_engine"]
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


@contextmanager
def throwaway_database(base_url: str | None, prefix: str, tmpdir: Path, *, sqlite_name: str = "test.db",
                       reuse_named_database: bool = True) -> Iterator[str]:
    """Yields a database URL for one run and drops what it created afterwards.

    * No ``base_url``: a SQLite file ``sqlite_name`` in ``tmpdir`` (left for the
      caller's temporary folder to remove).
    * A PostgreSQL URL naming the ``postgres`` database (or none): a new database
      ``<prefix>_<random>`` on that server, dropped ``WITH (FORCE)`` afterwards.
      With ``reuse_named_database=False``, any PostgreSQL URL gets one.
    * Anything else is used as it is.
    """
    if not base_url:
        yield f"sqlite:///{Path(tmpdir) / sqlite_name}"
        return
    url = make_url(base_url)
    if not url.drivername.startswith("postgresql") or (
            reuse_named_database and url.database not in ("postgres", None)):
        yield base_url
        return
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def database_for_tests(prefix: str, tmpdir: Path, sqlite_name: str = "test.db"):
    """A throwaway database for tests: on the PostgreSQL server named by
    ``TEST_DATABASE_URL`` when it names one (whichever database it names),
    otherwise a SQLite file in ``tmpdir``."""
    base = os.environ.get("TEST_DATABASE_URL")
    return throwaway_database(base if base and base.startswith("postgresql") else None, prefix, tmpdir,
                              sqlite_name=sqlite_name, reuse_named_database=False)
