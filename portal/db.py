"""Database engine, sessions and the declarative base.

One session per request, kept on ``flask.g``. Views call :func:`commit` once;
any exception, or a request that never commits, is rolled back in teardown.
Services only ``flush``.
"""

from __future__ import annotations

from datetime import datetime, timezone

from flask import Flask, current_app, g
from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
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
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def utcnow() -> datetime:
    """The server's clock, the only clock deadlines are judged by."""
    return datetime.now(timezone.utc)


def make_engine(url: str, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"timeout": 15})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"], app.config["SQL_ECHO"])
    app.extensions["db_engine"] = engine
    app.extensions["db_sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)

    @app.teardown_request
    def _close_request_session(exc):
        # Closed per request, not per app context: pytest-flask keeps one app
        # context across a test's client calls, and they must not share state.
        close_session(exc)

    app.teardown_appcontext(close_session)


def get_session() -> Session:
    """The current request's (or command's) session, made on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["db_sessionmaker"]()
        g.db_session.info["after_commit"] = []
    return g.db_session


def close_session(exc=None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()


def commit() -> None:
    """Commit the request's work, then run what must wait for the commit (mail).

    Checks registered with :func:`before_commit` run first, at the last moment
    before the commit (the bid deadline is judged there); one that raises
    rolls everything back.
    """
    session = get_session()
    checks = session.info.pop("before_commit", [])
    try:
        for check in checks:
            check()
    except Exception:
        session.rollback()
        raise
    session.commit()
    callbacks = session.info.get("after_commit", [])
    session.info["after_commit"] = []
    for callback in callbacks:
        callback()


def before_commit(session: Session, check) -> None:
    """Run ``check`` just before the session's transaction commits."""
    session.info.setdefault("before_commit", []).append(check)


def after_commit(session: Session, callback) -> None:
    """Run ``callback`` once the session's transaction has committed."""
    session.info.setdefault("after_commit", []).append(callback)
