"""The register as CSV and Excel, exactly the rows the officer filtered."""

from __future__ import annotations

import csv
import io
from datetime import date

from portal.agreements.models import Agreement
from portal.agreements.services import status_of
from portal.dates import financial_year_label
from portal.downloads import spreadsheet_cell, xlsx

COLUMNS = [
    "Reference",
    "Provider",
    "Charity number",
    "Company number",
    "Service",
    "Category",
    "Districts",
    "Delivery modes",
    "Annual value (£)",
    "Start date",
    "Original end date",
    "End date",
    "Status",
    "Extensions",
]


def rows(agreements: list[Agreement], today: date) -> tuple[list[str], list[list]]:
    years = sorted({s.financial_year for a in agreements for s in a.spend})
    header = COLUMNS + [f"Spend {financial_year_label(y)} (£)" for y in years]
    body = []
    for a in agreements:
        spend = {s.financial_year: s.amount_pence for s in a.spend}
        body.append(
            [
                a.reference,
                a.organisation.name,
                a.organisation.charity_number or "",
                a.organisation.company_number or "",
                a.service_name,
                a.category.name,
                "; ".join(d.name for d in a.districts),
                "; ".join(m.value for m in a.delivery_modes),
                a.annual_value_pence / 100,
                a.start_date,
                a.original_end_date,
                a.end_date,
                status_of(a, today).value,
                len(a.extensions),
            ]
            + [spend[y] / 100 if y in spend else "" for y in years]
        )
    return header, body


def to_csv(header: list[str], body: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in body:
        writer.writerow([spreadsheet_cell(v.isoformat() if isinstance(v, date) else v) for v in row])
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(header: list[str], body: list[list]) -> bytes:
    return xlsx([("Agreements", header, body)])
