"""Calendar helpers: whole-month arithmetic, financial years, London 'today'."""

from __future__ import annotations

import calendar
from datetime import date, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (or earlier), clipped to the month's end."""
    month_index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(month_index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last_day))


def london_today(now: datetime) -> date:
    return now.astimezone(LONDON).date()


def financial_year_of(day: date) -> int:
    """The April-to-March year a date falls in, by its starting year (2010 = 2010/11)."""
    return day.year if day.month >= 4 else day.year - 1


def financial_year_label(start_year: int) -> str:
    return f"{start_year}/{(start_year + 1) % 100:02d}"
