"""Working days as the Procurement Act 2023 counts them (``portal.working_days``):
weekends, Christmas Day, Good Friday and a bank holiday in any part of the UK are
not working days, and the standstill is 8 working days beginning with the day of
publication."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from portal import clock
from portal.working_days import MANDATORY_STANDSTILL_DAYS, bank_holiday_names, is_working_day, standstill_end


def working_days_between(first: date, last: date) -> list[date]:
    """The working days from ``first`` to ``last``, both included."""
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return [day for day in days if is_working_day(day)]


def test_standstill_from_christmas_eve_2024_skips_every_nations_holidays():
    # Tuesday 24 December 2024 counts as day 1; Christmas Day, Boxing Day, New Year's
    # Day and 2 January (a Scottish bank holiday only) do not count, nor do weekends.
    published = date(2024, 12, 24)
    assert published.strftime("%A") == "Tuesday"
    end = standstill_end(published)
    assert end == date(2025, 1, 8)
    assert end.strftime("%A") == "Wednesday"
    counted = working_days_between(published, end)
    assert counted == [
        date(2024, 12, 24),
        date(2024, 12, 27),
        date(2024, 12, 30),
        date(2024, 12, 31),
        date(2025, 1, 3),
        date(2025, 1, 6),
        date(2025, 1, 7),
        date(2025, 1, 8),
    ]
    for holiday in (date(2024, 12, 25), date(2024, 12, 26), date(2025, 1, 1), date(2025, 1, 2)):
        assert holiday not in counted


def test_standstill_skips_st_patricks_day_a_northern_irish_holiday():
    # Thursday 13 March 2025: Monday 17 March is a bank holiday in Northern Ireland only.
    published = date(2025, 3, 13)
    assert published.strftime("%A") == "Thursday"
    end = standstill_end(published)
    assert end == date(2025, 3, 25)  # 24 March were 17 March counted
    assert date(2025, 3, 17) not in working_days_between(published, end)
    assert bank_holiday_names(2025)[date(2025, 3, 17)] == "Saint Patrick's Day"


def test_a_friday_publication_counts_the_friday_and_skips_the_weekends():
    published = date(2025, 2, 7)
    assert published.strftime("%A") == "Friday"
    end = standstill_end(published)
    assert end == date(2025, 2, 18)
    counted = working_days_between(published, end)
    assert counted[0] == published
    assert len(counted) == MANDATORY_STANDSTILL_DAYS
    assert all(day.weekday() < 5 for day in counted)


def test_a_publication_on_a_bank_holiday_starts_counting_the_next_working_day():
    published = date(2025, 5, 26)  # Spring Bank Holiday, everywhere in the UK
    assert not is_working_day(published)
    end = standstill_end(published)
    assert end == date(2025, 6, 5)
    assert working_days_between(published, end)[0] == date(2025, 5, 27)


def test_good_friday_and_easter_monday_are_not_working_days():
    assert not is_working_day(date(2025, 4, 18))  # Good Friday
    assert not is_working_day(date(2025, 4, 21))  # Easter Monday (not in Scotland, but in the rest of the UK)
    # Thursday 17 April 2025: day 1; Good Friday, the weekend and Easter Monday skipped.
    assert standstill_end(date(2025, 4, 17)) == date(2025, 4, 30)


@pytest.mark.parametrize(
    ("day", "where"),
    [
        (date(2025, 1, 1), "everywhere"),
        (date(2025, 4, 18), "everywhere (Good Friday)"),
        (date(2025, 12, 25), "everywhere (Christmas Day)"),
        (date(2025, 8, 25), "England, Wales and Northern Ireland"),
        (date(2025, 4, 21), "England, Wales and Northern Ireland (Easter Monday)"),
        (date(2025, 1, 2), "Scotland"),
        (date(2025, 8, 4), "Scotland (summer bank holiday)"),
        (date(2025, 12, 1), "Scotland (St Andrew's Day, observed)"),
        (date(2025, 3, 17), "Northern Ireland (St Patrick's Day)"),
        (date(2025, 7, 14), "Northern Ireland (Battle of the Boyne, observed)"),
        (date(2027, 12, 27), "everywhere (Christmas Day falling on a Saturday, observed)"),
        (date(2027, 12, 28), "everywhere (Boxing Day falling on a Sunday, observed)"),
    ],
)
def test_a_bank_holiday_in_any_nation_is_not_a_working_day(day, where):
    assert day.weekday() < 5, "a weekday, so only the holiday makes it not a working day"
    assert not is_working_day(day), where


def test_ordinary_weekdays_are_working_days_and_weekends_are_not():
    assert is_working_day(date(2025, 3, 18))  # a Tuesday
    assert is_working_day(date(2025, 8, 11))  # a Monday in August with no holiday
    assert not is_working_day(date(2025, 3, 15))  # Saturday
    assert not is_working_day(date(2025, 3, 16))  # Sunday


def test_the_standstill_length_is_counted_in_working_days():
    published = date(2025, 3, 18)  # a Tuesday
    assert standstill_end(published, 1) == published
    assert standstill_end(published, 3) == date(2025, 3, 20)
    assert standstill_end(published, 10) == date(2025, 3, 31)
    with pytest.raises(ValueError, match="at least one"):
        standstill_end(published, 0)


@pytest.mark.parametrize("years_ahead", [1, 2])
def test_the_installed_holidays_library_knows_the_coming_years(years_ahead):
    # Fails when the installed library cannot give the UK's bank holidays for the
    # coming years: upgrade it. (The clock outside an app is the machine's.)
    year = clock.now().year + years_ahead
    names = bank_holiday_names(year)
    found = set(names.values())
    for expected in (
        "New Year's Day",
        "Good Friday",
        "Easter Monday",
        "Christmas Day",
        "Boxing Day",
        "New Year Holiday",  # Scotland
        "Saint Patrick's Day",  # Northern Ireland
        "Battle of the Boyne",  # Northern Ireland
        "Summer Bank Holiday",  # Scotland
        "Late Summer Bank Holiday",  # England, Wales, Northern Ireland
    ):
        assert expected in found, f"the holidays library does not know {expected} in {year}"
    assert all(day.year == year for day in names)
    assert not is_working_day(next(day for day, name in names.items() if name == "Good Friday"))
