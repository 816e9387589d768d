"""The officers' tender pages (blueprint ``tender_admin``), one module per journey:
``overview`` (the list, a new draft, a tender's overview), ``drafting`` (details,
timetable, evaluation method, lots, documents), ``questionnaire``,
``publication`` (conflicts, decision, agreements, publish, amend, cancel) and
``clarifications``."""

from __future__ import annotations

from portal.tenders.officer import clarifications, drafting, overview, publication, questionnaire  # noqa: F401
from portal.tenders.officer.common import bp

__all__ = ["bp"]
