"""The schema made by the migrations is exactly the models' schema, on this run's database."""

from __future__ import annotations

import os
import uuid

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from portal.cli import alembic_config
from portal.db import make_engine
from portal.models import metadata


@pytest.fixture
def empty_database_url(tmp_path):
    base = os.environ.get("TEST_DATABASE_URL")
    if base and base.startswith("postgresql"):
        name = f"portal_migrations_{uuid.uuid4().hex[:8]}"
        admin = create_engine(make_url(base), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        yield f"sqlite:///{tmp_path / 'migrations.db'}"


def _config(url):
    config = alembic_config(url)
    config.attributes["configure_logger"] = False
    return config


def test_upgrade_head_gives_exactly_the_models_schema_and_downgrade_base_empties_it(empty_database_url):
    config = _config(empty_database_url)
    command.upgrade(config, "head")
    engine = make_engine(empty_database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, metadata)
        assert differences == [], f"models and migrations differ: {differences}"

        command.downgrade(config, "base")
        remaining = set(inspect(engine).get_table_names()) - {"alembic_version"}
        assert remaining == set()

        command.upgrade(config, "head")  # and back up again, cleanly
        assert set(metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_check_constraints_exist_in_the_migrated_database(app):
    engine = app.extensions["db_engine"]
    names = {c["name"] for c in inspect(engine).get_check_constraints("user_account")}
    assert "ck_user_account_provider_has_organisation" in names
