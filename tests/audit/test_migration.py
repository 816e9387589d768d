"""Migration 0009 chains the audit events written before it, in the order they were written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.orm import Session

from portal.audit import chain
from portal.cli import alembic_config
from portal.db import make_engine
from tests.support import database_for_tests


@pytest.fixture
def fresh_database_url(tmp_path):
    with database_for_tests("portal_audit_migration", tmp_path, sqlite_name="audit-migration.db") as url:
        yield url


def test_upgrading_chains_the_existing_events_in_id_order(fresh_database_url):
    config = alembic_config(fresh_database_url)
    config.attributes["configure_logger"] = False
    command.upgrade(config, "0008")
    engine = make_engine(fresh_database_url)
    try:
        start = datetime(2026, 11, 1, 9, 30, 15, 123456, tzinfo=UTC)
        with engine.begin() as connection:
            for n in range(2500):  # more than one batch
                connection.execute(
                    text(
                        "INSERT INTO audit_event (occurred_at, actor_id, action, object_type, object_id, details) "
                        "VALUES (:at, NULL, :action, 'tender', :n, :details)"
                    ),
                    {
                        "at": (start + timedelta(seconds=n)).strftime("%Y-%m-%d %H:%M:%S.%f")
                        + ("" if engine.dialect.name == "sqlite" else "+00"),
                        "action": "tender.created",
                        "n": n,
                        "details": f'{{"reference": "KCC-{n}", "word": "\\u00e9t\\u00e9"}}',
                    },
                )
        command.upgrade(config, "0009")
        with Session(engine) as session:
            result = chain.verify(session)
            assert result.ok, result.problems
            assert result.records == 2500
            first = session.execute(text("SELECT position FROM audit_event ORDER BY id LIMIT 3")).scalars().all()
            assert first == [1, 2, 3]
        command.downgrade(config, "0008")
    finally:
        engine.dispose()
