"""Test helpers: a real SMTP server on loopback, form posting with CSRF, signing in
through the session, query counting, throwaway databases (also used by the
benchmarks in tests/perf), and fingerprints, copies and restores of the tables."""

from __future__ import annotations

import hashlib
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
from flask import session
from flask_login import login_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import Table, create_engine, event, select, text
from sqlalchemy.engine import Engine, make_url

from portal.models import metadata

CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
LINK = re.compile(r"https?://\S+")
CSRF_KEY = "csrf_token"  # where Flask-WTF keeps the token's secret in the session


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


def start_smtp_server(attempts: int = 5) -> tuple[Controller, Mailbox]:
    """An SMTP server on a free loopback port. Under pytest-xdist every worker starts its
    own, so a port found free may be taken by another worker before this one binds it:
    then another port is tried."""
    mailbox = Mailbox()
    attempt = 1
    while True:
        controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
        try:
            controller.start()
        except OSError:
            if attempt == attempts:
                raise
            attempt += 1
        else:
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
def throwaway_database(
    base_url: str | None, prefix: str, tmpdir: Path, *, sqlite_name: str = "test.db", reuse_named_database: bool = True
) -> Iterator[str]:
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
    if not url.drivername.startswith("postgresql") or (reuse_named_database and url.database not in ("postgres", None)):
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
    return throwaway_database(
        base if base and base.startswith("postgresql") else None,
        prefix,
        tmpdir,
        sqlite_name=sqlite_name,
        reuse_named_database=False,
    )


def sign_in_through_session(client, user) -> None:
    """Sign ``user`` in on ``client`` with what the sign-in form leaves in the session: a
    fresh, permanent session holding Flask-Login's keys (the user id is "<id>:<session_version>",
    see portal/auth.py ``load_user``), written by Flask-Login's own ``login_user`` in a request
    context like the client's. No form, no password check, no sign-in time or audit row:
    tests about signing in itself use the form."""
    app = client.application
    with client.session_transaction() as kept, app.test_request_context(environ_base=client.environ_base):
        assert login_user(user), f"{user.email} cannot sign in (not verified, or deactivated)"
        kept.clear()
        kept.update(session)
        kept.permanent = True


def csrf_token_for(client) -> str:
    """A CSRF token valid for ``client``'s session, made by Flask-WTF's own ``generate_csrf``
    (the token a page with a form would hold), without loading such a page."""
    app = client.application
    with client.session_transaction() as kept, app.test_request_context():
        if CSRF_KEY in kept:
            session[CSRF_KEY] = kept[CSRF_KEY]
        token = generate_csrf()
        kept[CSRF_KEY] = session[CSRF_KEY]  # the secret the token is signed from, new or kept
        return token


# --- the tables: fingerprints, copies, restores ---------------------------------------------------


def _rows_as_text(engine: Engine) -> str:
    """One statement giving every row of every table as (table name, the row as text): the
    database writes the values out itself (SQLite's ``quote()`` as SQL literals, PostgreSQL a
    row's text form, both exact for the types the portal stores), nothing is converted in Python."""
    quote = engine.dialect.identifier_preparer.quote
    parts = []
    for table in metadata.sorted_tables:
        if engine.dialect.name == "sqlite":
            row = " || '|' || ".join(f"quote({quote(column.name)})" for column in table.columns)
            parts.append(f"SELECT '{table.name}', {row} FROM {quote(table.name)}")
        else:  # PostgreSQL: a row's text form
            parts.append(f"SELECT '{table.name}', CAST(t AS text) FROM {quote(table.name)} AS t")
    return "\nUNION ALL\n".join(parts)


_ROWS_AS_TEXT: dict[Engine, str] = {}


def fingerprint(engine: Engine) -> dict[str, tuple[int, str]]:
    """Each table's row count and a hash of its rows: two fingerprints are equal exactly
    when every table holds the same rows. One query, hashed as it arrives, rather than
    every row of every table materialised and kept to be compared."""
    if engine not in _ROWS_AS_TEXT:
        _ROWS_AS_TEXT[engine] = _rows_as_text(engine)
    rows: dict[str, list[str]] = {table.name: [] for table in metadata.sorted_tables}
    with engine.connect() as connection:
        for name, text_form in connection.exec_driver_sql(_ROWS_AS_TEXT[engine]):
            rows[name].append(text_form)
    prints = {}
    for name, texts in rows.items():
        digest = hashlib.blake2b(digest_size=16)
        for text_form in sorted(texts):  # in any order: a table is a set of rows
            digest.update(f"{len(text_form)}:{text_form}".encode())
        prints[name] = (len(texts), digest.hexdigest())
    return prints


def _in_key_order(table: Table):
    return select(table).order_by(*(table.primary_key.columns or table.columns))


def copy_rows(engine: Engine) -> dict[str, list[dict]]:
    """Every row of every table, to put back with :func:`restore_rows`."""
    with engine.connect() as connection:
        return {
            table.name: [dict(row) for row in connection.execute(_in_key_order(table)).mappings()]
            for table in metadata.sorted_tables
        }


def empty_tables(engine: Engine) -> None:
    """Delete every row of every table (children first)."""
    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())


def restore_rows(engine: Engine, rows: dict[str, list[dict]]) -> None:
    """Make the tables hold exactly ``rows`` again, ids included, in one transaction.

    PostgreSQL's sequences are left where they are, beyond every restored id, so rows
    made afterwards never take a restored one's id (SQLite takes the largest id plus one)."""
    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())
        for table in metadata.sorted_tables:
            if rows[table.name]:
                connection.execute(table.insert(), rows[table.name])
