"""Reading a list page's filters from its query string (GET forms in plain GOV.UK markup).

Filters come as text and are checked here, one rule each, so every list page answers a
value it cannot use the same way: the caller turns the ValueError into an error summary
and a 400, never a silently dropped filter.
"""

from __future__ import annotations

from datetime import date

from portal.input_guard import as_id

DATE_PARTS = ("day", "month", "year")


def one(args, name: str) -> str:
    """One query-string value, trimmed ("" when absent)."""
    return (args.get(name) or "").strip()


def choice(raw: str, known: list[tuple[int, str]]) -> int | None:
    """The id sent, if it is one of the choices offered; None if nothing was chosen.

    Raises:
        ValueError: an id that is not one of the choices.
    """
    if not raw:
        return None
    chosen = as_id(raw)
    if chosen is None or chosen not in {row_id for row_id, _ in known}:
        raise ValueError(raw)
    return chosen


def date_from_parts(parts: dict[str, str], label: str) -> date | None:
    """A GOV.UK date input's three boxes as a date (as ``portal.forms.DateInputField`` reads them);
    None when all three are empty.

    Raises:
        ValueError: with the message to show: a box missing, or not a real date.
    """
    if not any(parts.values()):
        return None
    missing = [part for part in DATE_PARTS if not parts[part]]
    if missing:
        raise ValueError(f"{label} must include a {' and '.join(missing)}")
    day, month, year = (parts[part] for part in DATE_PARTS)
    try:
        if len(year) != 4 or not all(part.isascii() and part.isdigit() for part in (day, month, year)):
            raise ValueError
        return date(int(year), int(month), int(day))
    except (ValueError, OverflowError) as error:
        raise ValueError(f"{label} must be a real date") from error
