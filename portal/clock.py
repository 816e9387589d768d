"""The server's clock, the only one deadlines and notices are judged by.

Tests set ``FIXED_NOW`` in the app config to stand at a chosen moment: an
aware datetime, or a function returning one (to make time pass between two
readings, as at a deadline). Nothing else may.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import current_app, has_app_context

from portal.dates import london_today


def now() -> datetime:
    if has_app_context():
        fixed = current_app.config.get("FIXED_NOW")
        if fixed is not None:
            return fixed() if callable(fixed) else fixed
    return datetime.now(UTC)


def today() -> date:
    """Today's date in London."""
    return london_today(now())
