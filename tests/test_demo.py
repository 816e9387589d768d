"""flask demo load: the council, districts, providers and staff, loaded idempotently."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.accounts.models import Role, User
from portal.demo import DEMO_PASSWORD, KENT_DISTRICTS
from portal.providers.models import District, Organisation
from tests.support import post_form


def table_counts(db):
    return tuple(db.scalar(select(func.count()).select_from(model)) for model in (District, Organisation, User))


def test_demo_load_is_idempotent_and_prints_sign_in_details(app, db, client):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    counts = table_counts(db)
    assert counts[0] == len(KENT_DISTRICTS) == 12
    assert DEMO_PASSWORD in first.output and "officer@kent.example.gov.uk" in first.output
    roles = set(db.scalars(select(User.role)))
    assert roles == {Role.PROVIDER, Role.OFFICER, Role.EVALUATOR, Role.ADMIN}

    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    assert table_counts(db) == counts

    for email in ("officer@kent.example.gov.uk", "provider@medway-young-carers.example.org"):
        response = post_form(client, "/sign-in", {"email": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302
        post_form(client, "/sign-out", {}, form_url="/account")


def test_db_is_empty_command(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "is-empty"]).exit_code == 0
    runner.invoke(args=["demo", "load"])
    assert runner.invoke(args=["db", "is-empty"]).exit_code == 1
