"""The unit of work: one transaction per request, owned by portal/db.py.

A request that answers below 400 commits once; a refusal (400 and above) or
any exception rolls back; a GET never writes unless the view says it may; a
check registered for the last moment before commit can still stop it; and a
savepoint lets a service recover from a lost unique-key race without losing
the rest of its transaction.
"""

from __future__ import annotations

import pytest
from flask import abort, request
from sqlalchemy import event, func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError

from portal import create_app
from portal import db as portal_db
from portal.auth import public
from portal.providers.models import District
from tests import factories


class TooLate(Exception):
    pass


@pytest.fixture(scope="module")
def uow_app(app):
    """A second app on the same database, with routes that write and then answer in each way."""
    test_app = create_app(
        {
            **{
                k: app.config[k]
                for k in (
                    "DATABASE_URL",
                    "INSTANCE_PATH",
                    "MAIL_BACKEND",
                    "MAIL_HOST",
                    "MAIL_PORT",
                    "RATELIMIT_STORAGE_URI",
                )
            },
            "TESTING": True,
            "PROPAGATE_UNEXPECTED": False,
            "WTF_CSRF_ENABLED": False,
        }
    )

    def add(name: str):
        session = portal_db.get_session()
        session.add(District(name=name))
        session.flush()

    def route(rule, methods=("POST",)):
        def register(view):
            test_app.add_url_rule(rule, view.__name__, portal_db.unit_of_work(public(view)), methods=list(methods))
            return view

        return register

    @route("/uow/ok")
    def ok():
        add("Committed")
        return "", 302

    @route("/uow/refused")
    def refused():
        add("Refused")
        return "There is a problem", 400

    @route("/uow/not-found")
    def not_found():
        add("Not found")
        abort(404)

    @route("/uow/boom")
    def boom():
        add("Boom")
        raise RuntimeError("something broke")

    @route("/uow/get-writes", methods=("GET",))
    def get_writes():
        add("Written on GET")
        return "ok"

    @route("/uow/get-may-write", methods=("GET",))
    def get_may_write():
        portal_db.allow_write_on_get()
        add("Read receipt")
        return "ok"

    @route("/uow/get-reads", methods=("GET",))
    def get_reads():
        return str(len(portal_db.get_session().scalars(select(District.name)).all()))

    @route("/uow/get-changes-unflushed", methods=("GET",))
    def get_changes_unflushed():
        district = portal_db.get_session().scalar(select(District))
        district.name = "Changed on GET"  # never flushed
        return "ok"

    @route("/uow/get-executes-a-write", methods=("GET",))
    def get_executes_a_write():
        portal_db.get_session().execute(update(District).values(name="Updated on GET"))
        return "ok"

    @route("/uow/get-selects-from-a-write", methods=("GET",))
    def get_selects_from_a_write():
        # A SELECT of columns that writes in its WITH (PostgreSQL): run on the connection
        # (PortalSession), yet a write like any other, however deep the CTE is named.
        table = District.__table__
        renamed = update(table).values(name="Renamed in a CTE").returning(table.c.id).cte("renamed")
        statement = select(renamed.c.id)
        if request.args.get("nested"):
            statement = select(table.c.name).where(table.c.id.in_(select(renamed.c.id)))
        return str(len(portal_db.get_session().execute(statement).all()))

    @route("/uow/too-late")
    def too_late():
        add("Too late")

        def deadline_check():
            raise TooLate

        portal_db.before_commit(portal_db.get_session(), deadline_check)
        return "", 302

    @test_app.errorhandler(TooLate)
    def _too_late(_error):
        return "The deadline has passed", 400

    @route("/uow/race")
    def race():
        session = portal_db.get_session()
        add("Before the race")
        session.add(District(name="Raced"))
        session.flush()
        try:
            with portal_db.savepoint(session):
                session.add(District(name="Raced"))  # a concurrent request's twin: the unique key refuses it
                session.flush()
        except IntegrityError:
            pass
        add("After the race")
        return "", 302

    yield test_app
    test_app.extensions["db_engine"].dispose()


def names(db) -> set[str]:
    db.rollback()
    return set(db.scalars(select(District.name)))


def test_a_successful_post_commits_once(uow_app, db):
    assert uow_app.test_client().post("/uow/ok").status_code == 302
    assert names(db) == {"Committed"}


@pytest.mark.parametrize("path, status", [("/uow/refused", 400), ("/uow/not-found", 404), ("/uow/boom", 500)])
def test_a_refused_or_failed_request_writes_nothing(uow_app, db, path, status):
    assert uow_app.test_client().post(path).status_code == status
    assert names(db) == set()


def assert_refused_as_a_write_on_get(uow_app, path: str) -> None:
    uow_app.config["PROPAGATE_UNEXPECTED"] = True
    try:
        with pytest.raises(portal_db.WriteOnGet):
            uow_app.test_client().get(path)
    finally:
        uow_app.config["PROPAGATE_UNEXPECTED"] = False


def test_a_get_that_writes_is_an_error_and_writes_nothing(uow_app, db):
    assert_refused_as_a_write_on_get(uow_app, "/uow/get-writes")
    assert names(db) == set()


def test_a_page_that_only_read_ends_with_a_commit_and_one_with_changes_pending_keeps_none(uow_app, db):
    """A read-only page's transaction ends with COMMIT (on PostgreSQL a ROLLBACK makes the
    driver forget its prepared statements); one holding an unflushed change is rolled back,
    and a statement that writes is a write on GET like a flush."""
    make = factories.make_district
    make(db, "Kept")
    db.commit()
    commits = []
    maker = uow_app.extensions["db_sessionmaker"]
    listener = lambda session: commits.append(session)  # noqa: E731
    event.listen(maker, "after_commit", listener)
    try:
        client = uow_app.test_client()
        assert client.get("/uow/get-reads").get_data(as_text=True) == "1"
        assert len(commits) == 1
        assert client.get("/uow/get-changes-unflushed").status_code == 200
        assert len(commits) == 1
        uow_app.config["PROPAGATE_UNEXPECTED"] = True
        with pytest.raises(portal_db.WriteOnGet):
            client.get("/uow/get-executes-a-write")
    finally:
        uow_app.config["PROPAGATE_UNEXPECTED"] = False
        event.remove(maker, "after_commit", listener)
    assert names(db) == {"Kept"}


@pytest.mark.parametrize("path", ["/uow/get-selects-from-a-write", "/uow/get-selects-from-a-write?nested=1"])
def test_a_select_that_writes_in_its_with_runs_on_the_connection_and_counts_as_a_write(uow_app, db, path):
    """A SELECT of columns over a data-modifying CTE (PostgreSQL's one-round-trip writes)
    takes PortalSession's short path, not the ORM's, but a GET that runs one is refused
    like any write, whether the CTE is selected from or named in a subquery."""
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite has no data-modifying WITH")
    factories.make_district(db, "Kept")
    db.commit()
    through_the_orm = []
    maker = uow_app.extensions["db_sessionmaker"]
    listener = lambda state: through_the_orm.append(state.statement)  # noqa: E731
    event.listen(maker, "do_orm_execute", listener)
    try:
        assert_refused_as_a_write_on_get(uow_app, path)
    finally:
        event.remove(maker, "do_orm_execute", listener)
    assert through_the_orm == []
    assert names(db) == {"Kept"}


def test_a_get_may_write_only_when_the_view_says_so(uow_app, db):
    assert uow_app.test_client().get("/uow/get-may-write").status_code == 200
    assert names(db) == {"Read receipt"}


def test_a_last_moment_check_stops_the_commit_and_reaches_the_error_handler(uow_app, db):
    response = uow_app.test_client().post("/uow/too-late")
    assert response.status_code == 400 and b"deadline has passed" in response.data
    assert names(db) == set()


def test_a_savepoint_undoes_only_the_lost_race(uow_app, db):
    assert uow_app.test_client().post("/uow/race").status_code == 302
    assert names(db) == {"Before the race", "Raced", "After the race"}
    assert db.scalar(select(func.count(District.id)).where(District.name == "Raced")) == 1


def test_a_command_transaction_commits_or_rolls_back(app, db):
    with app.app_context(), portal_db.transaction() as session:
        session.add(District(name="From a command"))
    with pytest.raises(RuntimeError), app.app_context(), portal_db.transaction() as session:
        session.add(District(name="Failed command"))
        raise RuntimeError
    assert names(db) == {"From a command"}


def test_no_module_outside_the_unit_of_work_commits():
    """Views and services never commit or roll back: only portal/db.py and the mail worker's
    claims (through db.transaction) do."""
    import pathlib
    import re

    root = pathlib.Path(portal_db.__file__).parent
    offenders = [
        f"{path.relative_to(root)}:{number}"
        for path in root.rglob("*.py")
        if path.name != "db.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\.(commit|rollback)\(\)|\bcommit\(\)", line)
    ]
    assert offenders == []


def test_backdated_drops_only_the_last_moment_checks_queued_inside(app, db):
    """Demo data told as of an earlier moment: a check queued inside ``backdated`` is
    dropped; one queued before it still runs at commit."""

    class TooLate(Exception):
        pass

    def late():
        raise TooLate

    with app.app_context():
        session = portal_db.get_session()
        portal_db.before_commit(session, late)
        with portal_db.backdated(session):
            portal_db.before_commit(session, late)
            portal_db.before_commit(session, late)
        assert session.info["before_commit"] == [late]
        session.info["before_commit"].clear()


# --- reads of columns skip the ORM's execution path (issue 13) ------------------------------


def test_a_select_of_columns_runs_on_the_connection_and_still_sees_pending_changes(app, db):
    """Rows of columns come straight from the session's connection (a CursorResult), not
    through the ORM's execution path, but autoflush still holds: a change made and not yet
    flushed is in what the read returns."""
    db.add(District(name="Pending"))
    result = db.execute(select(District.name).where(District.name == "Pending"))
    assert isinstance(result, CursorResult)
    assert result.scalars().all() == ["Pending"]
    assert db.scalar(select(func.count()).select_from(District)) == 1
    union = db.execute(select(District.id).union_all(select(District.id)))
    assert isinstance(union, CursorResult) and len(union.all()) == 2


def test_entities_and_calls_with_options_still_go_through_the_orm(app, db):
    db.add(District(name="Loaded"))
    entities = db.execute(select(District).where(District.name == "Loaded"))
    assert not isinstance(entities, CursorResult)
    district = entities.scalar_one()
    assert isinstance(district, District) and district in db
    with_options = db.execute(select(District.id), execution_options={"populate_existing": True})
    assert not isinstance(with_options, CursorResult) and len(with_options.all()) == 1


def test_no_autoflush_is_respected_by_column_reads(app, db):
    with db.no_autoflush:
        db.add(District(name="Not yet"))
        assert db.scalar(select(func.count()).select_from(District).where(District.name == "Not yet")) == 0
    assert db.scalar(select(func.count()).select_from(District).where(District.name == "Not yet")) == 1


def test_sqlite_writers_queue_on_the_writer_lock_and_it_is_let_go_however_a_transaction_ends(tmp_path):
    """Writers take turns (on SQLite, through the writer lock beside the database): a second
    writer waits until the first commits, and a rolled-back or failed transaction lets go
    of the lock too, so the next writer never waits for nothing."""
    import threading
    import time

    from sqlalchemy import text

    engine = portal_db.make_engine(f"sqlite:///{tmp_path / 'writers.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE row (n INTEGER PRIMARY KEY)"))
    order = []
    first_has_written = threading.Event()

    def second_writer():
        first_has_written.wait()
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO row (n) VALUES (2)"))
            order.append("second wrote")

    thread = threading.Thread(target=second_writer)
    thread.start()
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO row (n) VALUES (1)"))
        first_has_written.set()
        time.sleep(0.2)  # the second writer is waiting meanwhile
        order.append("first commits")
    thread.join(10)
    assert order == ["first commits", "second wrote"]
    assert (tmp_path / "writers.db-writer.lock").exists()

    with engine.connect() as connection:  # rolled back
        connection.execute(text("INSERT INTO row (n) VALUES (3)"))
        connection.rollback()
    with pytest.raises(IntegrityError), engine.begin() as connection:  # failed
        connection.execute(text("INSERT INTO row (n) VALUES (1)"))
    with engine.begin() as connection:  # the lock is free again, in this thread and any other
        connection.execute(text("INSERT INTO row (n) VALUES (4)"))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT n FROM row ORDER BY n")).scalars().all() == [1, 2, 4]
    engine.dispose()


def test_a_pooled_connection_is_pinged_only_after_idling_and_a_dead_one_is_replaced(database_url, monkeypatch):
    """On PostgreSQL a connection back at work within ``PING_AFTER_IDLE_SECONDS`` is used
    without a ping (one round trip less per request); one idle for longer is pinged, and
    if the database has dropped it, the pool connects afresh and the request never sees it."""
    from sqlalchemy import text

    if database_url.startswith("sqlite"):
        pytest.skip("SQLite's connections are files in this process: nothing to ping")
    engine = portal_db.make_engine(database_url)
    pings = []
    real_ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda connection: pings.append(1) or real_ping(connection))

    def backend_pid():
        with engine.connect() as connection:
            return connection.execute(text("SELECT pg_backend_pid()")).scalar()

    first = backend_pid()  # a new connection: not pinged
    monkeypatch.setattr(portal_db, "PING_AFTER_IDLE_SECONDS", 60.0)
    assert backend_pid() == first  # back within the minute: the same connection, not pinged
    assert pings == []

    monkeypatch.setattr(portal_db, "PING_AFTER_IDLE_SECONDS", 0.0)
    assert backend_pid() == first  # idle "long enough": pinged, alive, kept
    assert len(pings) == 1

    with engine.connect() as pooled, engine.connect() as killer:  # a second connection...
        assert pooled.execute(text("SELECT pg_backend_pid()")).scalar() == first  # (pinged: 2)
        pooled.close()  # ...the first back in the pool, then ended by the database
        ended = killer.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": first}).scalar()
        assert ended is True  # (waited for: the backend has exited)
    replaced = backend_pid()  # the first again, pinged, found dead: a fresh connection, no error
    assert replaced != first
    assert len(pings) == 3
    engine.dispose()
