"""Working days, as the Procurement Act 2023 counts them: every day except
Saturdays, Sundays, Christmas Day, Good Friday and a bank holiday in any part of
the United Kingdom (England and Wales, Scotland or Northern Ireland).

The bank holidays come from the maintained ``holidays`` library, which ships
its calendars with the package (no network). A test fails when the library
stops knowing next year's holidays, so an out-of-date install is noticed.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import holidays

# Every nation's bank holidays: a day off anywhere in the UK is not a working day.
NATIONS = ("ENG", "WLS", "SCT", "NIR")
MANDATORY_STANDSTILL_DAYS = 8  # s.51(2): eight working days beginning with the day the notice is published


@cache
def _bank_holidays(year: int) -> frozenset[date]:
    days = set()
    for nation in NATIONS:
        days |= set(holidays.country_holidays("GB", subdiv=nation, years=year))
    return frozenset(days)


def bank_holiday_names(year: int) -> dict[date, str]:
    """Every UK bank holiday of the year with its name (for pages and tests)."""
    names: dict[date, str] = {}
    for nation in NATIONS:
        for day, name in holidays.country_holidays("GB", subdiv=nation, years=year).items():
            names.setdefault(day, name)
    return names


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def standstill_end(published_on: date, days: int = MANDATORY_STANDSTILL_DAYS) -> date:
    """The last day of a standstill of ``days`` working days beginning with the day
    of publication (counted as the first if it is a working day). A contract may be
    entered from the day after."""
    if days < 1:
        raise ValueError("a standstill lasts at least one working day")
    day, counted = published_on, 0
    while True:
        if is_working_day(day):
            counted += 1
            if counted == days:
                return day
        day += timedelta(days=1)


def bank_holidays_between(start: date, end: date, nations: tuple[str, ...] = NATIONS) -> list[tuple[date, str]]:
    """The bank holidays from ``start`` to ``end`` (both included), oldest first, with
    their names; of the given nations only (every UK nation unless told)."""
    found: dict[date, str] = {}
    for year in range(start.year, end.year + 1):
        for nation in nations:
            for day, name in holidays.country_holidays("GB", subdiv=nation, years=year).items():
                if start <= day <= end:
                    found.setdefault(day, name)
    return sorted(found.items())
