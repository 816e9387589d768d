"""Jinja filters: dates and money the GOV.UK way ("31 March 2012", "£15.9m")."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Flask

LONDON = ZoneInfo("Europe/London")
# English month names, whatever the server's locale (strftime's %B follows it, and costs more).
MONTHS = (
    "",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(LONDON)
    return f"{value.day} {MONTHS[value.month]} {value.year}"


def format_datetime(value: datetime | None) -> str:
    """'31 March 2012 at 5:00pm', in London time."""
    if value is None:
        return ""
    local = value.astimezone(LONDON)
    hour = local.hour % 12 or 12
    suffix = "am" if local.hour < 12 else "pm"
    clock = (
        "midday"
        if (local.hour, local.minute) == (12, 0)
        else ("midnight" if (local.hour, local.minute) == (0, 0) else f"{hour}:{local.minute:02d}{suffix}")
    )
    return f"{format_date(local)} at {clock}"


def format_money(pence: int | Decimal | None, exact: bool = False) -> str:
    """Money from integer pence: £15.9m for millions, £250,000 otherwise."""
    if pence is None:
        return ""
    pounds = Decimal(pence) / 100
    sign = "-" if pounds < 0 else ""
    pounds = abs(pounds)
    if not exact and pounds >= 1_000_000:
        millions = (pounds / 1_000_000).quantize(Decimal("0.1"))
        text = f"{millions:f}".rstrip("0").rstrip(".")
        return f"{sign}£{text}m"
    if pounds == pounds.to_integral_value():
        return f"{sign}£{int(pounds):,}"
    return f"{sign}£{pounds:,.2f}"


def register(app: Flask) -> None:
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["money"] = format_money
