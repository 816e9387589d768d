"""Evaluation fixtures: the clock stood at ``NOW``, an opened tender ready to
evaluate (``tests.evaluation.world``), committed, and an app context for tests
that call services directly.

The schema comes from ``alembic upgrade head`` (tests/conftest.py), migration
0007 making the evaluation tables.
"""

from __future__ import annotations

import pytest

from tests.evaluation.world import build_opened_tender
from tests.factories import NOW


@pytest.fixture(autouse=True)
def clock_at(app, monkeypatch):
    """The app's clock stands at ``NOW``; call with an aware datetime to move it."""

    def set_now(moment):
        monkeypatch.setitem(app.config, "FIXED_NOW", moment)
        return moment

    set_now(NOW)
    return set_now


@pytest.fixture
def opened(app, db):
    """``build_opened_tender`` with its defaults (or the arguments given), committed."""

    def make(**options):
        world = build_opened_tender(app, db, **options)
        db.commit()
        return world

    return make


@pytest.fixture
def world(opened):
    """Two bids, one lot, one pass or fail and two quality questions, two evaluators."""
    return opened()


@pytest.fixture
def in_app(app):
    """An app context, so the clock (and anything defaulting to it) reads ``NOW``:
    for tests that call services directly (never for tests that use the client)."""
    with app.app_context():
        yield
