"""Importing the agreements register from CSV or Excel.

The whole file is read and checked before anything is written: every bad row is
reported with its row number, column and reason, and nothing is imported until
the file is clean. Importing the same file again changes nothing.

``import_register`` is the one service; ``reading``, ``parsing`` and
``applying`` are its steps.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.agreements.importing import reading
from portal.agreements.importing.applying import ImportSummary, apply, check_providers
from portal.agreements.importing.parsing import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, RowError, check
from portal.agreements.importing.reading import ImportRefused, read_table
from portal.errors import RuleViolation

__all__ = [
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "ImportProblems",
    "ImportRefused",
    "ImportSummary",
    "RowError",
    "import_register",
    "upload_limit",
]


class ImportProblems(RuleViolation):
    """Rows of the file are wrong: nothing was imported. ``rows`` lists every problem."""

    def __init__(self, rows: list[RowError]):
        count = len(rows)
        super().__init__(
            "file",
            f"The file has {count} problem{'s' if count != 1 else ''}. Nothing has been "
            "imported. Correct the rows listed and upload it again",
        )
        self.rows = rows


def upload_limit() -> int:
    """How many bytes of an upload to read: one more than allowed, so too large a file is told apart."""
    return reading.MAX_IMPORT_BYTES + 1


def import_register(
    session: Session, actor: User, filename: str, data: bytes, today: date, *, send_extension_notices: bool = True
) -> ImportSummary:
    """Import a register file: read it, check every row, check that new
    providers can be invited, and only then write it (see ``applying.apply``).

    Raises:
        ImportRefused: the file cannot be read as a register (empty, too large,
            not CSV or Excel, columns missing, no rows, too many rows).
        ImportProblems: rows are wrong (every problem found, by row and column);
            nothing is written.
    """
    rows, problems = check(session, read_table(filename, data))
    if not problems:
        problems = check_providers(session, rows)
    if problems:
        raise ImportProblems(problems)
    return apply(session, actor, rows, filename, today, send_extension_notices)
