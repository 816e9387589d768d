"""Award fixtures: the clock stands at ``NOW`` unless a test moves it."""

from __future__ import annotations

import pytest

from tests.factories import NOW


@pytest.fixture(autouse=True)
def clock_at(app, monkeypatch):
    """The app's clock stands at ``NOW``; call with an aware datetime to move it."""

    def set_now(moment):
        monkeypatch.setitem(app.config, "FIXED_NOW", moment)
        return moment

    set_now(NOW)
    return set_now
