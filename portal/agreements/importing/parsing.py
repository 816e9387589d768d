"""Checking every row of the register before anything is written.

Each bad cell is reported with its row number, column and reason; a row with
no problem becomes a ParsedRow, with its category and districts found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.services import normalise_email
from portal.agreements.importing.reading import ImportRefused
from portal.agreements.models import DeliveryMode, ServiceCategory
from portal.money import MoneyError, parse_pounds, problem_with
from portal.providers.models import District
from portal.providers.services import (
    is_valid_charity_number,
    is_valid_company_number,
    normalise_charity_number,
    normalise_company_number,
)

MAX_ROWS = 50_000
REQUIRED_COLUMNS = [
    "reference",
    "provider name",
    "service name",
    "category",
    "districts",
    "delivery modes",
    "annual value",
    "start date",
    "end date",
]
OPTIONAL_COLUMNS = [
    "charity number",
    "company number",
    "contact email",
    "extended end date",
    "extension reason",
    "extension agreed by",
]
SPEND_COLUMN = re.compile(r"^spend (\d{4})/(\d{2})$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MODE_NAMES = {re.sub(r"[^a-z]", "", m.value.lower()): m for m in DeliveryMode}
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d %B %Y", "%d %b %Y")


@dataclass
class RowError:
    row: int
    column: str
    reason: str


@dataclass
class ParsedRow:
    row: int
    reference: str
    provider_name: str
    charity_number: str | None
    company_number: str | None
    contact_email: str | None
    service_name: str
    category: ServiceCategory
    districts: list[District]
    modes: list[DeliveryMode]
    annual_value_pence: int
    start_date: date
    end_date: date
    extended_end_date: date | None
    extension_reason: str | None
    extension_agreed_by: str | None
    spend: dict[int, int] = field(default_factory=dict)


def _column_key(header) -> str:
    return re.sub(r"[\s_]+", " ", str(header or "").strip().lower())


def _parse_date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()  # noqa: DTZ007 (only the date is kept)
        except ValueError:
            continue
    return None


def _money(raw, label: str, not_money: str, fail) -> int | None:
    """Pence from a cell, through the portal's one money parser; a problem is reported, giving None."""
    try:
        amount = parse_pounds(raw)
    except MoneyError as error:
        fail(not_money if error.reason == MoneyError.NOT_MONEY else problem_with(label, error))
        return None
    if amount is None:
        fail(not_money)
    return amount


def _cell(row: list, index: int | None):
    if index is None or index >= len(row) or row[index] is None:
        return ""
    value = row[index]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, (date, datetime)) else str(value).strip()


def _columns(table: list[list]) -> tuple[list[str], dict[str, int], dict[int, int]]:
    """The header's column names, where each known column is, and the spend columns' financial years.

    Raises:
        ImportRefused: no header, missing columns, no data rows, too many rows.
    """
    if not table:
        raise ImportRefused("The selected file is empty")
    header = [_column_key(h) for h in table[0]]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ImportRefused(
            "The file is missing these columns: "
            + ", ".join(missing)
            + ". The first row must name the columns; see the template"
        )
    if len(table) < 2:
        raise ImportRefused("The file has column names but no agreements")
    if len(table) - 1 > MAX_ROWS:
        raise ImportRefused(f"The file has more than {MAX_ROWS:,} agreements: split it into smaller files")
    index = {name: header.index(name) for name in REQUIRED_COLUMNS + OPTIONAL_COLUMNS if name in header}
    spend_columns = {}
    for position, name in enumerate(header):
        match = SPEND_COLUMN.match(name)
        if match and (int(match.group(1)) + 1) % 100 == int(match.group(2)):
            spend_columns[position] = int(match.group(1))
    return header, index, spend_columns


def check(session: Session, table: list[list]) -> tuple[list[ParsedRow], list[RowError]]:
    """Check every row; returns the parsed rows and every error found.

    Raises:
        ImportRefused: no header, missing columns, no data rows, too many rows.
    """
    header, index, spend_columns = _columns(table)
    categories = {c.name.lower(): c for c in session.scalars(select(ServiceCategory))}
    districts = {d.name.lower(): d for d in session.scalars(select(District))}
    parsed, errors, seen = [], [], {}
    for number, row in enumerate(table[1:], start=2):

        def value(column, row=row):
            return _cell(row, index.get(column))

        def fail(column, reason, number=number):
            errors.append(RowError(number, column, reason))

        before = len(errors)
        reference = str(value("reference"))
        if not reference:
            fail("reference", "Enter the agreement reference")
        elif len(reference) > 40:
            fail("reference", "Reference must be 40 characters or fewer")
        elif reference.lower() in seen:
            fail("reference", f"Duplicate reference: also on row {seen[reference.lower()]}")
        else:
            seen[reference.lower()] = number
        provider_name = str(value("provider name"))
        if not provider_name:
            fail("provider name", "Enter the provider's name")
        elif len(provider_name) > 160:
            fail("provider name", "Provider name must be 160 characters or fewer")
        charity = normalise_charity_number(str(value("charity number")))
        if charity and not is_valid_charity_number(charity):
            fail("charity number", f"Charity number {charity} is not in the correct format")
        company = normalise_company_number(str(value("company number")))
        if company and not is_valid_company_number(company):
            fail("company number", f"Companies House number {company} is not in the correct format")
        contact = normalise_email(str(value("contact email"))) or None
        if contact and not EMAIL.match(contact):
            fail("contact email", f"{contact} is not an email address")
        service_name = str(value("service name"))
        if not service_name:
            fail("service name", "Enter the service name")
        elif len(service_name) > 200:
            fail("service name", "Service name must be 200 characters or fewer")
        category = categories.get(str(value("category")).lower())
        if category is None:
            fail("category", f"Unknown category \u201c{value('category')}\u201d")
        row_districts = _districts(str(value("districts")), districts, lambda reason: fail("districts", reason))
        modes = _modes(str(value("delivery modes")), lambda reason: fail("delivery modes", reason))
        annual = _money(
            value("annual value"),
            "Annual value",
            f"Annual value \u201c{value('annual value')}\u201d is not an amount of money",
            lambda reason: fail("annual value", reason),
        )
        start = _parse_date(value("start date"))
        if start is None:
            fail("start date", f"Start date \u201c{value('start date')}\u201d is not a real date: use 31/03/2012")
        end = _parse_date(value("end date"))
        if end is None:
            fail("end date", f"End date \u201c{value('end date')}\u201d is not a real date: use 31/03/2012")
        elif start is not None and end < start:
            fail("end date", "End date must be on or after the start date")
        extended = None
        if value("extended end date"):
            extended = _parse_date(value("extended end date"))
            if extended is None:
                fail(
                    "extended end date",
                    f"Extended end date \u201c{value('extended end date')}\u201d is not a real date",
                )
            elif end is not None and extended <= end:
                fail("extended end date", "Extended end date must be after the end date")
            elif not value("extension reason"):
                fail("extension reason", "Enter the reason for the extension")
        spend = {}
        for position, year in spend_columns.items():
            raw = _cell(row, position)
            if raw == "":
                continue
            amount = _money(
                raw,
                "Spend",
                f"\u201c{raw}\u201d is not an amount of money",
                lambda reason, column=header[position]: fail(column, reason),
            )
            if amount is not None:
                spend[year] = amount
        if len(errors) == before:
            parsed.append(
                ParsedRow(
                    row=number,
                    reference=reference,
                    provider_name=provider_name,
                    charity_number=charity,
                    company_number=company,
                    contact_email=contact,
                    service_name=service_name,
                    category=category,
                    districts=row_districts,
                    modes=modes,
                    annual_value_pence=annual,
                    start_date=start,
                    end_date=end,
                    extended_end_date=extended,
                    extension_reason=str(value("extension reason")) or None,
                    extension_agreed_by=str(value("extension agreed by")) or None,
                    spend=spend,
                )
            )
    return parsed, errors


def _districts(text: str, known: dict[str, District], fail) -> list[District]:
    found = []
    if not text.strip():
        fail("Enter at least one district")
    for name in re.split(r"[;|]", text):
        if name.strip():
            district = known.get(name.strip().lower())
            if district is None:
                fail(f"Unknown district \u201c{name.strip()}\u201d")
            elif district not in found:
                found.append(district)
    return found


def _modes(text: str, fail) -> list[DeliveryMode]:
    found = []
    for name in re.split(r"[;|,]", text):
        key = re.sub(r"[^a-z]", "", name.lower())
        if key:
            mode = MODE_NAMES.get(key)
            if mode is None:
                fail(f"Unknown delivery mode \u201c{name.strip()}\u201d: use face-to-face, outreach or virtual")
            elif mode not in found:
                found.append(mode)
    if not text.strip():
        fail("Enter at least one delivery mode")
    return found
