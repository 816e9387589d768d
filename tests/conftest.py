"""Fixtures: one app and schema per test process (SQLite by default, PostgreSQL when
TEST_DATABASE_URL is set; under pytest-xdist every worker has its own database,
SMTP server and live server), emptied after every test; a real SMTP server; a
threaded live server for the browser; factories, shared worlds and sign-in helpers.

Tests commit for real and the tables are emptied afterwards, rather than
rolling back one outer transaction: the browser's live server and the
concurrency tests need data that other connections can see.

A test that only reads a large arrangement can share it with others through
``shared_worlds`` (the access matrix does): built once per process, left in the
tables between the tests that use it, checked by fingerprint before each of
them and restored when a test changed it; the next test that does not use it
finds the tables emptied as usual.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

import pytest
from werkzeug.serving import make_server

from portal import create_app
from portal.accounts.models import Role
from tests import factories
from tests.factories import PASSWORD
from tests.support import (
    copy_rows,
    database_for_tests,
    empty_tables,
    fingerprint,
    post_form,
    restore_rows,
    sign_in_through_session,
    start_smtp_server,
)

__all__ = ["PASSWORD"]  # many tests import it from here


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    # Under pytest-xdist each worker is its own process with its own temporary folder, so
    # its own SQLite file; on PostgreSQL the database name gets a random suffix as well.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with database_for_tests(f"portal_test_{worker}_{os.getpid()}", tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="session")
def smtp_server():
    controller, mailbox = start_smtp_server()
    yield controller, mailbox
    controller.stop()


@pytest.fixture(scope="session")
def app(database_url, smtp_server, tmp_path_factory):
    from alembic import command

    from portal.cli import alembic_config

    controller, _ = smtp_server
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "INSTANCE_PATH": str(tmp_path_factory.mktemp("instance")),
            "MAIL_BACKEND": "smtp",
            "MAIL_HOST": controller.hostname,
            "MAIL_PORT": controller.port,
            "RATELIMIT_STORAGE_URI": "memory://",
            "SERVER_NAME": None,
            "PROPAGATE_UNEXPECTED": False,
            "PASSWORD_HASH_TIME_COST": 1,
            "PASSWORD_HASH_MEMORY_KIB": 1024,
        }
    )
    config = alembic_config(database_url)
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")
    _, mailbox = smtp_server
    mailbox.deliver = lambda: _deliver_queued_mail(app)
    yield app
    app.extensions["db_engine"].dispose()


def _deliver_queued_mail(app):
    """What the worker does every couple of seconds, done when a test reads its mail."""
    from portal.jobs import send_mail

    with app.app_context():
        send_mail(app)


class SharedWorlds:
    """Arrangements built once per test process and shared by the tests that use them.

    ``use(name, build)`` leaves the tables holding exactly the rows ``build`` first
    made: built on first use (``build`` commits and returns the objects tests refer
    to, detached from any session), then copied; before every later use the tables'
    fingerprint is compared with the copy's, and the copy restored if a test changed
    anything (or another world, or nothing, is in the tables). So every test starts
    from the same rows, and only the tests that changed them pay for a restore.
    """

    BUILDING = "<being built>"

    def __init__(self, engine):
        self.engine = engine
        self.held: str | None = None  # the world the tables hold between tests, if any
        self._worlds: dict[str, tuple[dict, dict, dict]] = {}  # name -> (objects, rows, fingerprint)

    def use(self, name: str, build: Callable[[], dict]) -> dict:
        if name not in self._worlds:
            self.held = self.BUILDING  # a build that fails still leaves rows for _clean_state to empty
            empty_tables(self.engine)
            objects = build()
            self._worlds[name] = (objects, copy_rows(self.engine), fingerprint(self.engine))
        else:
            objects, rows, prints = self._worlds[name]
            if self.held != name or fingerprint(self.engine) != prints:
                restore_rows(self.engine, rows)
                assert fingerprint(self.engine) == prints, f"{name}: the restore did not give the world back"
        self.held = name
        return dict(objects)

    def held_fingerprint(self) -> dict[str, tuple[int, str]]:
        """The fingerprint of the world the tables held when the test began (``use`` made sure)."""
        return self._worlds[self.held][2]

    def forget(self) -> None:
        """The tables were emptied: they hold no world."""
        self.held = None


@pytest.fixture(scope="session")
def shared_worlds(app) -> SharedWorlds:
    return SharedWorlds(app.extensions["db_engine"])


@pytest.fixture(autouse=True)
def _clean_state(request, app, smtp_server):
    """Every test starts with an empty mailbox and no throttle counts, and with empty
    tables unless it uses ``shared_worlds`` (which then fills them); it ends by emptying
    the tables, unless it uses a shared world (left for the next test that wants it)."""
    smtp_server[1].clear()
    app.extensions["throttle"].storage.reset()
    # The fixtures the test asks for, directly or through others (this one does not ask for
    # shared_worlds, or every test would seem to use it).
    keeps_world = "shared_worlds" in request.node.fixturenames
    worlds = request.getfixturevalue("shared_worlds")
    engine = app.extensions["db_engine"]
    if worlds.held is not None and not keeps_world:
        empty_tables(engine)
        worlds.forget()
    yield
    if not keeps_world:
        empty_tables(engine)


@pytest.fixture
def mailbox(smtp_server):
    return smtp_server[1]


@pytest.fixture
def db(app):
    """A session for arranging and checking data outside requests."""
    session = app.extensions["db_sessionmaker"]()
    yield session
    session.rollback()
    session.close()


@pytest.fixture
def make_district(db):
    """tests.factories.make_district, committed."""

    def make(name=None):
        district = factories.make_district(db, name)
        db.commit()
        return district

    return make


@pytest.fixture
def make_organisation(db):
    """tests.factories.make_organisation, committed."""

    def make(name=None, charity_number=None, districts=None):
        organisation = factories.make_organisation(db, name, charity_number, districts)
        db.commit()
        return organisation

    return make


@pytest.fixture
def make_user(db):
    """tests.factories.make_user, committed: a verified user who signs in with ``PASSWORD``."""

    def make(
        role=Role.PROVIDER, organisation=None, email=None, is_organisation_admin=True, password=PASSWORD, verified=True
    ):
        user = factories.make_user(db, role, organisation, email, is_organisation_admin, password, verified)
        db.commit()
        return user

    return make


@pytest.fixture
def login_as(client):
    """Sign a user in on ``client`` through the session (no form, no password check):
    what every test not about signing in itself needs. Returns the client."""

    def login(user):
        sign_in_through_session(client, user)
        return client

    return login


@pytest.fixture
def sign_in_through_form(client):
    """Sign in on ``client`` as a person does, through the sign-in form (recording the
    sign-in's time and audit row): for tests about what signing in does."""

    def sign_in(user, password=PASSWORD):
        response = post_form(client, "/sign-in", {"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        return client

    return sign_in


@pytest.fixture(scope="session")
def live_url(app):
    """The app served over real HTTP in a background thread, for the browser."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def client(app):
    """A test client, not entered as ``with app.test_client()``: each call then gets its
    own app context, as in production, so nothing cached on ``g`` (the signed-in user,
    the database session) leaks from one request, or one client, to the next."""
    return app.test_client()
