"""Importing the agreements register from CSV or Excel.

The whole file is read and checked before anything is written: every bad row is
reported with its row number, column and reason, and nothing is imported until
the file is clean. Importing the same file again changes nothing.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation


from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal.accounts.models import User
from portal.agreements.models import (Agreement, AgreementDeliveryMode, AgreementExtension, AgreementSpend,
                                      DeliveryMode, ServiceCategory)
from portal.audit.services import record
from portal.notifications.services import queue_email
from portal.providers.models import District, Organisation
from portal.links import external_url
from portal.providers.services import (is_valid_charity_number, is_valid_company_number, make_claim_token,
                                       normalise_charity_number, normalise_company_number, normalise_email)

MAX_IMPORT_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000

REQUIRED_COLUMNS = ["reference", "provider name", "service name", "category", "districts", "delivery modes",
                    "annual value", "start date", "end date"]
OPTIONAL_COLUMNS = ["charity number", "company number", "contact email", "extended end date",
                    "extension reason", "extension agreed by"]
SPEND_COLUMN = re.compile(r"^spend (\d{4})/(\d{2})$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MODE_NAMES = {re.sub(r"[^a-z]", "", m.value.lower()): m for m in DeliveryMode}


class ImportRefused(Exception):
    """The file as a whole cannot be read: wrong type, empty, too big, wrong columns."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


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


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    providers_created: int = 0
    invitations_sent: int = 0


def _column_key(header) -> str:
    return re.sub(r"[\s_]+", " ", str(header or "").strip().lower())


def read_table(filename: str, content: bytes) -> list[list]:
    """Rows of cells from a CSV or .xlsx file, judged by content, not by name.

    Raises:
        ImportRefused: empty, too large, or neither CSV nor Excel.
    """
    if not content:
        raise ImportRefused("The selected file is empty")
    if len(content) > MAX_IMPORT_BYTES:
        raise ImportRefused(f"The selected file must be smaller than {MAX_IMPORT_BYTES // (1024 * 1024)}MB")
    if content[:4] == b"PK\x03\x04":
        return _read_xlsx(content)
    if b"\x00" in content[:4096]:
        raise ImportRefused("The selected file must be a CSV or Excel (.xlsx) file")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportRefused("The selected file must be a CSV or Excel (.xlsx) file")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [row for row in csv.reader(io.StringIO(text), dialect) if any(cell.strip() for cell in row)]


def _read_xlsx(content: bytes) -> list[list]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            if "xl/workbook.xml" not in archive.namelist():
                raise ImportRefused("The selected file must be a CSV or Excel (.xlsx) file")
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise ImportRefused("The selected file must be a CSV or Excel (.xlsx) file") from error
    sheet = workbook.worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)
            if any(cell not in (None, "") for cell in row)]
    workbook.close()
    return rows


def _parse_date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d %B %Y", "%d %b %Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _parse_pence(value) -> int | None:
    text = re.sub(r"[£,\s]", "", str(value))
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    if amount != amount.quantize(Decimal("0.01")):
        return None
    return int(amount * 100)


def _cell(row: list, index: int | None) -> str:
    if index is None or index >= len(row) or row[index] is None:
        return ""
    value = row[index]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, (date, datetime)) else str(value).strip()


def check(session: Session, table: list[list]) -> tuple[list[ParsedRow], list[RowError]]:
    """Check every row; returns the parsed rows and every error found.

    Raises:
        ImportRefused: no header, missing columns, no data rows, too many rows.
    """
    if not table:
        raise ImportRefused("The selected file is empty")
    header = [_column_key(h) for h in table[0]]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ImportRefused("The file is missing these columns: " + ", ".join(missing)
                            + ". The first row must name the columns; see the template")
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

    categories = {c.name.lower(): c for c in session.scalars(select(ServiceCategory))}
    districts = {d.name.lower(): d for d in session.scalars(select(District))}
    parsed, errors, seen = [], [], {}
    for number, row in enumerate(table[1:], start=2):
        def value(column):
            return _cell(row, index.get(column))

        def fail(column, reason):
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
        row_districts = []
        if not str(value("districts")).strip():
            fail("districts", "Enter at least one district")
        for name in re.split(r"[;|]", str(value("districts"))):
            if name.strip():
                district = districts.get(name.strip().lower())
                if district is None:
                    fail("districts", f"Unknown district \u201c{name.strip()}\u201d")
                elif district not in row_districts:
                    row_districts.append(district)
        modes = []
        for name in re.split(r"[;|,]", str(value("delivery modes"))):
            key = re.sub(r"[^a-z]", "", name.lower())
            if key:
                mode = MODE_NAMES.get(key)
                if mode is None:
                    fail("delivery modes", f"Unknown delivery mode \u201c{name.strip()}\u201d: use face-to-face, "
                                           "outreach or virtual")
                elif mode not in modes:
                    modes.append(mode)
        if not str(value("delivery modes")).strip():
            fail("delivery modes", "Enter at least one delivery mode")
        annual = _parse_pence(value("annual value"))
        if annual is None:
            fail("annual value", f"Annual value \u201c{value('annual value')}\u201d is not an amount of money")
        elif annual < 0:
            fail("annual value", "Annual value must not be negative")
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
                fail("extended end date", f"Extended end date \u201c{value('extended end date')}\u201d is not a real date")
            elif end is not None and extended <= end:
                fail("extended end date", "Extended end date must be after the end date")
            elif not value("extension reason"):
                fail("extension reason", "Enter the reason for the extension")
        spend = {}
        for position, year in spend_columns.items():
            raw = _cell(row, position)
            if raw == "":
                continue
            amount = _parse_pence(raw)
            if amount is None:
                fail(header[position], f"\u201c{raw}\u201d is not an amount of money")
            elif amount < 0:
                fail(header[position], "Spend must not be negative")
            else:
                spend[year] = amount
        if len(errors) == before:
            parsed.append(ParsedRow(
                row=number, reference=reference, provider_name=provider_name, charity_number=charity,
                company_number=company, contact_email=contact, service_name=service_name, category=category,
                districts=row_districts, modes=modes, annual_value_pence=annual, start_date=start, end_date=end,
                extended_end_date=extended, extension_reason=str(value("extension reason")) or None,
                extension_agreed_by=str(value("extension agreed by")) or None, spend=spend))
    return parsed, errors


class ProviderIndex:
    """Finds providers by charity number, then Companies House number, then name."""

    def __init__(self, session: Session):
        organisations = list(session.scalars(select(Organisation)))
        self.by_charity = {o.charity_number: o for o in organisations if o.charity_number}
        self.by_company = {o.company_number: o for o in organisations if o.company_number}
        self.by_name = {}
        for organisation in organisations:
            self.by_name.setdefault(organisation.name.lower(), organisation)

    def find(self, row: ParsedRow) -> Organisation | None:
        return (row.charity_number and self.by_charity.get(row.charity_number)) or \
            (row.company_number and self.by_company.get(row.company_number)) or \
            self.by_name.get(row.provider_name.lower())

    def add(self, organisation: Organisation) -> None:
        if organisation.charity_number:
            self.by_charity[organisation.charity_number] = organisation
        if organisation.company_number:
            self.by_company[organisation.company_number] = organisation
        self.by_name.setdefault(organisation.name.lower(), organisation)


def check_providers(session: Session, rows: list[ParsedRow]) -> list[RowError]:
    """Rows whose provider is new to the council need a contact email to be invited."""
    index = ProviderIndex(session)
    errors, new_names = [], set()
    for row in rows:
        if index.find(row) is None and row.provider_name.lower() not in new_names:
            new_names.add(row.provider_name.lower())
            if not row.contact_email:
                errors.append(RowError(row.row, "contact email",
                                       f"{row.provider_name} is new to the portal: enter a contact email to invite it"))
    return errors


def apply(session: Session, actor: User, rows: list[ParsedRow], filename: str) -> ImportSummary:
    """Write checked rows: create new agreements, update changed ones, leave the same ones alone.

    New incumbents are recorded with their contact email and invited to register.
    """
    summary = ImportSummary()
    index = ProviderIndex(session)
    existing = {a.reference.lower(): a for a in session.scalars(
        select(Agreement).where(Agreement.reference.in_([r.reference for r in rows])).options(
            selectinload(Agreement.organisation), selectinload(Agreement.category),
            selectinload(Agreement.districts), selectinload(Agreement.delivery_mode_rows),
            selectinload(Agreement.extensions), selectinload(Agreement.spend)))}
    invited = []
    for row in rows:
        organisation = index.find(row)
        if organisation is None:
            organisation = Organisation(name=row.provider_name, charity_number=row.charity_number,
                                        company_number=row.company_number, contact_email=row.contact_email)
            session.add(organisation)
            index.add(organisation)
            invited.append(organisation)
            summary.providers_created += 1
        elif not organisation.is_registered and row.contact_email and not organisation.contact_email:
            organisation.contact_email = row.contact_email
        agreement = existing.get(row.reference.lower())
        if agreement is None:
            agreement = Agreement(reference=row.reference)
            session.add(agreement)
            changed = True
            summary.created += 1
        else:
            changed = None
        if _update(agreement, organisation, row, actor) and changed is None:
            summary.updated += 1
        elif changed is None:
            summary.unchanged += 1
    session.flush()
    for organisation in invited:
        queue_email(session, organisation.contact_email, "incumbent_invitation", organisation=organisation,
                    register_url=external_url("providers.register", claim=make_claim_token(organisation)))
        summary.invitations_sent += 1
    record(session, actor, "agreements.imported", None, filename=filename, created=summary.created,
           updated=summary.updated, unchanged=summary.unchanged, providers_created=summary.providers_created)
    return summary


def _update(agreement: Agreement, organisation: Organisation, row: ParsedRow, actor: User) -> bool:
    """Bring the agreement in line with the row; True if anything changed."""
    wanted = {
        "organisation": organisation, "service_name": row.service_name, "category": row.category,
        "annual_value_pence": row.annual_value_pence, "start_date": row.start_date,
        "original_end_date": row.end_date,
    }
    changed = False
    for name, new in wanted.items():
        if getattr(agreement, name) is not new and getattr(agreement, name) != new:
            setattr(agreement, name, new)
            changed = True
    if {d.id for d in agreement.districts} != {d.id for d in row.districts}:
        agreement.districts = list(row.districts)
        changed = True
    if set(agreement.delivery_modes) != set(row.modes):
        agreement.delivery_mode_rows = [AgreementDeliveryMode(mode=m) for m in row.modes]
        changed = True
    latest_end = agreement.extensions[-1].new_end_date if agreement.extensions else row.end_date
    if row.extended_end_date and row.extended_end_date > latest_end:
        agreement.extensions.append(AgreementExtension(
            previous_end_date=latest_end, new_end_date=row.extended_end_date, reason=row.extension_reason or "",
            agreed_by=row.extension_agreed_by or "Recorded in the imported register",
            recorded_by_id=getattr(actor, "id", None)))
        changed = True
    end = max(row.extended_end_date or row.end_date, latest_end)
    if agreement.end_date != end:
        agreement.end_date = end
        changed = True
    current_spend = {s.financial_year: s for s in agreement.spend}
    for year, amount in row.spend.items():
        if year not in current_spend:
            agreement.spend.append(AgreementSpend(financial_year=year, amount_pence=amount))
            changed = True
        elif current_spend[year].amount_pence != amount:
            current_spend[year].amount_pence = amount
            changed = True
    return changed
