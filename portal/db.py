"""Database engine, sessions, the declarative base and the unit of work.

One session per request, kept on ``flask.g``, and one transaction per request,
owned here and nowhere else: every view is wrapped by :func:`unit_of_work`,
which commits once when the view answers below 400 and rolls back otherwise
(a refused form, a conflict, any exception). Views and services never commit or
roll back; services ``flush`` (so a constraint fails inside the service, where
it can be handled). GET requests never write: their work is rolled back, except
where a view calls :func:`allow_write_on_get`. The documented exceptions: a
notice marked read when its reader opens it, the emailed email-verification
link. (A GET that only read, with nothing written or pending, ends with a COMMIT
that has nothing to keep: see :func:`unit_of_work`.)
``flask`` commands and the worker use :func:`transaction`, one per item.

The session is a :class:`PortalSession`: a SELECT of columns runs on its connection,
without the ORM's result machinery. On SQLite, writers take turns on a file lock
(:class:`SqliteWriterLock`) rather than SQLite's sleeping busy handler.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC
from functools import wraps

from flask import Flask, current_app, g, request
from sqlalchemy import CompoundSelect, Enum, MetaData, Select, create_engine, event, exc
from sqlalchemy.engine import Engine, Result, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.types import DateTime, TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database.

    SQLite keeps no zone, so values are normalised to UTC on the way in and
    marked UTC on the way out; naive datetimes are refused rather than guessed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


SQLITE_BUSY_TIMEOUT = 15  # seconds a SQLite writer waits for the one before it


class SqliteWriterLock:
    """One SQLite writer at a time, taken before a write transaction begins and
    released as it ends, that wakes the next writer the moment it is released.

    SQLite has one write lock, and a writer that finds it taken polls for it,
    sleeping a little longer each time (its busy handler: 1, 2, 5, 10 ms...), so
    under a queue of writers most of the time goes in sleeps. Writers here queue
    instead on an exclusive ``flock`` of a file beside the database (between
    processes: gunicorn's workers) behind a lock of the process's own (between its
    threads, each with its own connection), and then begin with ``BEGIN
    IMMEDIATE``, which finds the database's write lock free. The process's own lock
    and the file lock (asked for every millisecond) give up after
    ``SQLITE_BUSY_TIMEOUT`` as SQLite would ("database is locked").
    """

    def __init__(self, path: str):
        self.path = path
        self._pid = None
        self._threads = threading.Lock()
        self._file = None

    def acquire(self) -> None:
        if self._pid != os.getpid():  # a forked worker opens its own (a lock is per open file)
            self._threads, self._file, self._pid = threading.Lock(), None, os.getpid()
        if not self._threads.acquire(timeout=SQLITE_BUSY_TIMEOUT):
            raise sqlite3.OperationalError("database is locked")
        try:
            if self._file is None:
                self._file = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._wait_for_other_processes()
        except BaseException:
            self._threads.release()
            raise

    def _wait_for_other_processes(self) -> None:
        # Asked every millisecond rather than waited for, so that a writer in another
        # process (a command's long transaction) makes this one fail after the timeout,
        # as SQLite would, instead of waiting until gunicorn kills the worker.
        give_up_at = time.monotonic() + SQLITE_BUSY_TIMEOUT
        while True:
            try:
                fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > give_up_at:
                    raise sqlite3.OperationalError("database is locked") from None
                time.sleep(0.001)

    def release(self) -> None:
        fcntl.flock(self._file, fcntl.LOCK_UN)
        self._threads.release()


# The statements with which a write transaction begins: pysqlite begins one before
# INSERT, UPDATE, DELETE and REPLACE; the portal says BEGIN IMMEDIATE itself (savepoint).
_BEGINS_WRITING = ("INSERT", "UPDATE", "DELETE", "REPLAC", "BEGIN ", "SAVEPO")


def _sqlite_connection_class(writers: SqliteWriterLock) -> type[sqlite3.Connection]:
    class WriterCursor(sqlite3.Cursor):
        """Takes ``writers`` before a statement that begins a write transaction, and lets
        go of it once a statement has ended the transaction (a COMMIT or ROLLBACK in SQL)."""

        def execute(self, statement, parameters=()):
            try:
                self.connection.before(statement)
                return super().execute(statement, parameters)
            finally:
                self.connection.after()

        def executemany(self, statement, parameters):
            try:
                self.connection.before(statement)
                return super().executemany(statement, parameters)
            finally:
                self.connection.after()

    class WriterConnection(sqlite3.Connection):
        """A connection that takes ``writers`` before it begins to write and lets go of
        it once its transaction has ended, however it ends."""

        holds_writer_lock = False

        def cursor(self, factory=WriterCursor):
            return super().cursor(factory)

        def before(self, statement: str) -> None:
            if self.holds_writer_lock or self.in_transaction or statement.lstrip()[:6].upper() not in _BEGINS_WRITING:
                return
            writers.acquire()
            self.holds_writer_lock = True
            if not statement.lstrip().upper().startswith("BEGIN"):
                self.execute("BEGIN IMMEDIATE")  # (through a cursor of ours: a failure lets go, ``after``)

        def after(self) -> None:
            if self.holds_writer_lock and not self.in_transaction:
                self.let_go()

        def let_go(self) -> None:
            if self.holds_writer_lock:
                self.holds_writer_lock = False
                writers.release()

        def commit(self):
            try:
                super().commit()
            finally:
                self.after()

        def rollback(self):
            try:
                super().rollback()
            finally:
                self.let_go()

        def close(self):
            try:
                super().close()
            finally:
                self.let_go()

        def __del__(self):  # a connection dropped without being closed lets go too
            self.let_go()

    return WriterConnection


def make_engine(url: str, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        database = make_url(url).database
        connect_args = {"timeout": SQLITE_BUSY_TIMEOUT}
        writers = None
        if database and database != ":memory:" and not database.startswith("file:"):
            writers = SqliteWriterLock(database + "-writer.lock")
            connect_args["factory"] = _sqlite_connection_class(writers)
        engine = create_engine(url, echo=echo, connect_args=connect_args)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    engine = create_engine(url, echo=echo)
    _ping_connections_back_from_idle(engine)
    return engine


PING_AFTER_IDLE_SECONDS = 1.0  # a pooled connection unused for longer is pinged before use
_RETURNED_AT = "portal.returned_to_pool_at"


def _ping_connections_back_from_idle(engine: Engine) -> None:
    """Ping a pooled connection before it is used only if it has been idle for a while.

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout: one more round trip on
    every request, and on PostgreSQL a request is a handful of them (issue 13's
    submission). Under load a connection goes back to work within milliseconds of
    its last request, which has just proven it alive; the ones that may have died
    (a database restarted, a server that dropped idle connections) are the idle ones,
    and those are pinged. A ping that finds the connection dead invalidates the
    pool's connections opened before it, and the pool connects afresh, as
    pre-ping would; a request that meets a connection dropped in the last second
    fails like any database error (and invalidates the pool in the same way).
    """

    @event.listens_for(engine, "checkin")
    def _remember_when_returned(_dbapi_connection, record) -> None:
        record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy) -> None:
        returned_at = record.info.get(_RETURNED_AT)  # none yet: connected just now
        if returned_at is None or time.monotonic() - returned_at < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            if engine.dialect.is_disconnect(error, dbapi_connection, None):
                raise exc.InvalidatePoolError() from error  # the pool connects afresh
            raise


def _is_select_of_columns(statement) -> bool:
    """Whether ``statement`` is a SELECT of columns (and expressions of them), or a UNION of
    such SELECTs, not of mapped entities or bundles: its rows are plain rows, with nothing
    for the ORM to build. Worked out once per statement: statements are immutable, and most
    are built once and run on every request."""
    if not isinstance(statement, (Select, CompoundSelect)):
        return False
    answer = _SELECTS_OF_COLUMNS.get(statement)
    if answer is None:
        answer = _SELECTS_OF_COLUMNS[statement] = _selects_columns_only(statement)
    return answer


_SELECTS_OF_COLUMNS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # statement -> bool


def _selects_columns_only(statement) -> bool:
    if isinstance(statement, CompoundSelect):
        return all(_selects_columns_only(part) for part in statement.selects)
    if not isinstance(statement, Select):
        return False
    for column in statement._raw_columns:  # what select() was given, before any compiling
        marks = column._annotations
        if "bundle" in marks or ("parententity" in marks and column.is_selectable):
            return False
    return True


def _wrote_in_with(result: Result) -> bool:
    """Whether the statement just run wrote in its WITH (PostgreSQL's data-modifying CTEs,
    however deep in the statement they were written: the compiled statement lists every CTE
    it rendered)."""
    ctes = getattr(result.context.compiled, "ctes", None)
    return bool(ctes) and any(isinstance(cte.element, UpdateBase) for cte in ctes)


class PortalSession(Session):
    """The ORM session, except that a SELECT of columns runs on the session's connection.

    Through the ORM's execution path such a statement pays about 0.1 ms more than on the
    connection (the ORM's result set-up, per execution), for rows that are the same: most
    page reads select only the columns they show, so that was a large share of every
    page's time (issue 13). Pending changes are still flushed first, as autoflush would.
    A SELECT of columns that writes in its WITH (a data-modifying CTE) runs there too, and
    counts as a write, as a flush does. Entities, bundles, DML and any call with options
    go through the ORM as before.
    """

    def execute(self, statement, params=None, **options) -> Result:
        if options or not _is_select_of_columns(statement):
            return super().execute(statement, params, **options)
        return self._on_connection(statement, params)

    def scalar(self, statement, params=None, **options):
        if options or not _is_select_of_columns(statement):
            return super().scalar(statement, params, **options)
        return self._on_connection(statement, params).scalar()

    def scalars(self, statement, params=None, **options):
        if options or not _is_select_of_columns(statement):
            return super().scalars(statement, params, **options)
        return self._on_connection(statement, params).scalars()

    def _on_connection(self, statement, params) -> Result:
        if self.autoflush and not self._flushing:
            self.flush()  # does nothing when there is nothing pending
        result = self.connection().execute(statement, params)
        if _wrote_in_with(result):
            self.info["wrote"] = True
        return result


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class WriteOnGet(RuntimeError):
    """A GET request wrote to the database without saying it may (raised under test)."""


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"], app.config["SQL_ECHO"])
    app.extensions["db_engine"] = engine
    maker = sessionmaker(bind=engine, expire_on_commit=False, class_=PortalSession)
    # Once for every session the maker makes (listening per session costs on every request).
    event.listen(maker, "after_flush", _note_write)
    event.listen(maker, "do_orm_execute", _note_statement_write)
    app.extensions["db_sessionmaker"] = maker

    @app.teardown_request
    def _close_request_session(exc):
        # Closed per request, not per app context: a test keeps one app context
        # across its client calls, and they must not share state.
        close_session()

    app.teardown_appcontext(lambda exc: close_session())


def get_session() -> Session:
    """The current request's (or command's) session, made on first use."""
    if "db_session" not in g:
        session = current_app.extensions["db_sessionmaker"]()
        _forget_queued(session)
        g.db_session = session
    return g.db_session


def _note_write(session: Session, _flush_context) -> None:
    session.info["wrote"] = True


def _note_statement_write(orm_execute_state) -> None:
    # Anything but a SELECT given to session.execute (an INSERT, UPDATE or DELETE, or
    # text) counts as a write, as a flush does. (A SELECT of columns does not come here:
    # PortalSession runs it on the connection, and notes there whether its WITH wrote.
    # A SELECT of entities that writes in its WITH would not be noticed: the portal has none.)
    if not orm_execute_state.is_select:
        orm_execute_state.session.info["wrote"] = True


def _forget_queued(session: Session) -> None:
    session.info["before_commit"] = []
    session.info["after_commit"] = []
    session.info["wrote"] = False


def close_session() -> None:
    """Roll back anything uncommitted and close the session (request teardown): closing
    ends the transaction and returns the connection to the pool, which rolls it back."""
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def discard() -> None:
    """Roll back the current session's work and forget its queued checks and
    callbacks: used before an error page is drawn, so the page can still query."""
    session = g.get("db_session")
    if session is not None:
        session.rollback()
        _forget_queued(session)


_PREPARERS: list[Callable[[Session], None]] = []


def prepare_before_checks(prepare: Callable[[Session], None]) -> None:
    """Run ``prepare(session)`` at every commit, before the last-moment checks: work that may
    wait (the audit chain's lock) then happens before the clock is judged, never after it."""
    _PREPARERS.append(prepare)


def _commit(session: Session) -> None:
    """Commit, running the last-moment checks first and the callbacks after.

    Checks registered with :func:`before_commit` run at the last moment before
    the commit (the bid deadline is judged there); one that raises rolls
    everything back and its exception reaches the caller. Anything registered with
    :func:`prepare_before_checks` runs just before them.
    """
    try:
        for prepare in _PREPARERS:
            prepare(session)
        for check in session.info.get("before_commit", []):
            check()
        session.commit()
    except Exception:
        session.rollback()
        _forget_queued(session)
        raise
    callbacks = session.info.get("after_commit", [])
    _forget_queued(session)
    for callback in callbacks:
        callback()


def allow_write_on_get() -> None:
    """Let this GET request's changes commit: the documented exceptions only
    (a notice marked read when its reader opens it, an email link followed)."""
    g.write_on_get_allowed = True


def unit_of_work(view: Callable) -> Callable:
    """Wrap a view in the request's one transaction.

    The view's answer is made into a response here, so a commit that fails (a
    deadline judged at the last moment, a constraint) is an exception of the
    view itself and reaches the blueprint's error handlers.
    """

    @wraps(view)
    def run_in_transaction(*args, **kwargs):
        response = current_app.make_response(view(*args, **kwargs))
        session = g.get("db_session")
        if session is None:
            return response
        writes_allowed = request.method not in SAFE_METHODS or g.get("write_on_get_allowed", False)
        if response.status_code < 400 and writes_allowed:
            _commit(session)
        else:
            wrote = session.info.get("wrote")
            if wrote and not writes_allowed and current_app.config.get("TESTING"):
                raise WriteOnGet(f"{request.method} {request.path} wrote to the database")
            if wrote or response.status_code >= 400:
                discard()
            elif not (session.new or session.dirty or session.deleted):
                # A page that only read, with nothing pending, ends its transaction with a
                # COMMIT, which has nothing to keep: on PostgreSQL a ROLLBACK makes psycopg
                # forget the statements it had prepared on the connection, so every page
                # would have each of its statements parsed and planned again (issue 13).
                session.commit()
        return response

    return run_in_transaction


def wrap_views_in_unit_of_work(app: Flask) -> None:
    """Give every route the unit of work (called once every blueprint is registered)."""
    for endpoint, view in list(app.view_functions.items()):
        if endpoint != "static":
            app.view_functions[endpoint] = unit_of_work(view)


@contextmanager
def transaction() -> Iterator[Session]:
    """One unit of work outside a request (a command, the worker, one item of a job):
    commits when the block ends, rolls back if it raises."""
    session = get_session()
    try:
        yield session
    except BaseException:
        discard()
        raise
    _commit(session)


@contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """A SAVEPOINT inside the current transaction: what fails inside it (a
    unique key lost to a concurrent request) is undone alone, and the service
    can carry on, e.g. by reading the row that won.

    Python 3.11's sqlite3 opens a transaction only before its first write, so
    a SAVEPOINT issued first would itself start the transaction, and releasing
    it would commit: a real transaction is begun first.
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite" and not connection.connection.driver_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    with session.begin_nested():
        yield


def enum_type(cls, name: str, length: int = 20) -> Enum:
    """A status column's type: the enum's names as strings with a named check constraint
    (the same on SQLite and PostgreSQL, and changed by a migration like any constraint)."""
    return Enum(cls, native_enum=False, length=length, create_constraint=True, name=name)


def before_commit(session: Session, check) -> None:
    """Run ``check`` just before the session's transaction commits."""
    session.info.setdefault("before_commit", []).append(check)


@contextmanager
def backdated(session: Session) -> Iterator[None]:
    """For demo data told as of an earlier moment (a bid submitted days ago): the
    last-moment checks queued inside, which judge the live clock at commit, are
    dropped. Requests never use it: a provider's submission is judged as it commits."""
    checks = session.info.setdefault("before_commit", [])
    queued = len(checks)
    try:
        yield
    finally:
        del checks[queued:]


def after_commit(session: Session, callback) -> None:
    """Run ``callback`` once the session's transaction has committed."""
    session.info.setdefault("after_commit", []).append(callback)
