"""The schema made by the migrations is exactly the models' schema, on this run's database."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from portal.cli import alembic_config
from portal.db import make_engine
from portal.models import metadata
from tests.support import database_for_tests


@pytest.fixture
def empty_database_url(tmp_path):
    with database_for_tests("portal_migrations", tmp_path, sqlite_name="migrations.db") as url:
        yield url


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
