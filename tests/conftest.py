"""Fixtures: one app and schema per run (SQLite by default, PostgreSQL when
TEST_DATABASE_URL is set), emptied after every test; a real SMTP server; a
threaded live server for the browser; factories and sign-in helpers.

Tests commit for real and the tables are emptied afterwards, rather than
rolling back one outer transaction: the browser's live server and the
concurrency tests need data that other connections can see.
"""

from __future__ import annotations

import itertools
import os
import threading

import pytest
from werkzeug.serving import make_server

from portal import create_app
from portal.accounts.models import Role, User
from portal.accounts.passwords import hash_password
from portal.clock import now as utcnow
from portal.db import Base
from portal.providers.models import District, Organisation, OrganisationType
from tests.support import database_for_tests, post_form, start_smtp_server

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    with database_for_tests(f"portal_test_{os.getpid()}", tmp_path_factory.mktemp("db")) as url:
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
    app = create_app({
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
    })
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


@pytest.fixture(autouse=True)
def _clean_state(request, app, smtp_server):
    """Every test starts with empty tables, an empty mailbox and no throttle counts."""
    smtp_server[1].clear()
    app.extensions["throttle"].storage.reset()
    yield
    engine = app.extensions["db_engine"]
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


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


_sequence = itertools.count(1)


@pytest.fixture
def make_district(db):
    def make(name=None):
        district = District(name=name or f"District {next(_sequence)}")
        db.add(district)
        db.commit()
        return district

    return make


@pytest.fixture
def make_organisation(db, make_district):
    def make(name=None, charity_number=None, districts=None):
        n = next(_sequence)
        organisation = Organisation(
            name=name or f"Provider {n}", organisation_type=OrganisationType.REGISTERED_CHARITY,
            charity_number=charity_number or f"{1100000 + n}", address_line_1="1 High Street", town="Maidstone",
            postcode="ME14 1XQ", districts=districts or [make_district()], registered_at=utcnow(),
        )
        db.add(organisation)
        db.commit()
        return organisation

    return make


@pytest.fixture
def make_user(db, make_organisation):
    def make(role=Role.PROVIDER, organisation=None, email=None, is_organisation_admin=True, password=PASSWORD,
             verified=True):
        n = next(_sequence)
        if role is Role.PROVIDER and organisation is None:
            organisation = make_organisation()
        user = User(
            email=email or f"user{n}@example.org", full_name=f"Person {n}", role=role,
            organisation_id=organisation.id if role is Role.PROVIDER else None,
            is_organisation_admin=is_organisation_admin if role is Role.PROVIDER else False,
            password_hash=hash_password(password) if password else None,
            email_verified_at=utcnow() if verified else None,
        )
        db.add(user)
        db.commit()
        return user

    return make


@pytest.fixture
def login_as(client):
    def login(user, password=PASSWORD):
        response = post_form(client, "/sign-in", {"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        return client

    return login


@pytest.fixture(scope="session")
def live_url(app):
    """The app served over real HTTP in a background thread, for the browser."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(autouse=True)
def _push_request_context():
    """Replaces pytest-flask's fixture of this name: each test-client call then
    gets its own app context, as in production, so nothing cached on ``g``
    (the signed-in user, the database session) leaks from one request to the next."""
    yield


@pytest.fixture
def client(app):
    """Replaces pytest-flask's ``client``, which is entered as ``with
    app.test_client()`` and so keeps each request's app context pushed until
    the next call: a second client would then run inside it and see the
    first one's signed-in user."""
    return app.test_client()
