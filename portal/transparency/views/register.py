"""The public contracts register: a page and a CSV of the same filtered rows."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, render_template, request, url_for
from markupsafe import Markup

from portal import clock
from portal.auth import public
from portal.db import get_session
from portal.downloads import spreadsheet_cell
from portal.filters import format_date, format_money
from portal.links import external_url
from portal.money import pence_as_pounds_text
from portal.pagination import page_number
from portal.transparency import register
from portal.transparency.forms import read_filters

bp = Blueprint("contracts", __name__)

CSV_COLUMNS = [
    "Reference",
    "Provider",
    "Charity number",
    "Company number",
    "VCSE",
    "Service",
    "Category",
    "Value per year (£)",
    "Start date",
    "End date",
    "Status",
    "Tender reference",
    "Tender",
    "Tender page",
    "Decision",
    "Decision page",
]


# The tag colour of each status.
STATUS_TAGS = {
    register.ContractStatus.CURRENT: "govuk-tag--green",
    register.ContractStatus.ENDED: "govuk-tag--grey",
    register.ContractStatus.REPLACED: "govuk-tag--blue",
}


def _escaped(text: str) -> str:
    """Text made safe in HTML, exactly as Jinja's autoescape writes it (markupsafe's entities)."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;").replace("'", "&#39;")
    )


def _table_rows(rows: list[register.ContractRow]) -> Markup:
    """The table's rows, drawn here rather than in the template: fifty rows of a dozen texts
    each cost more in Jinja (an escape and a generator step per text, filters and ``url_for``
    per row) than the rest of the page (issue 13). Plain GOV.UK table markup, every text
    escaped; the dates, money and status labels are the portal's own, and safe."""
    # A decision's address from its id (url_for once, not per row); a tender's by url_for once per tender.
    prefix, _, suffix = url_for("decisions.show", decision_id=0).rpartition("/0")
    tender_urls: dict[str, str] = {}
    out = []
    for row in rows:
        if row.tender_reference:
            reference = row.tender_reference
            url = tender_urls.get(reference)
            if url is None:
                url = tender_urls[reference] = _escaped(url_for("tenders.show", reference=reference))
            tender = (
                f'<a class="govuk-link" href="{url}">{_escaped(row.tender_title or "")}'
                f'<span class="govuk-visually-hidden"> (tender {_escaped(reference)})</span></a>'
            )
        else:
            tender = "Entered before this portal"
        decision_id = row.decision_id
        decision = (
            f'<br><a class="govuk-link" href="{prefix}/{decision_id}{suffix}">'
            f"Decision {_escaped(row.decision_number or '')}</a>"
            if decision_id
            else ""
        )
        charity = (
            f'<br><span class="govuk-!-font-size-16">Charity {_escaped(row.charity_number)}</span>'
            if row.charity_number
            else ""
        )
        company = (
            f'<br><span class="govuk-!-font-size-16">Company {_escaped(row.company_number)}</span>'
            if row.company_number
            else ""
        )
        out.append(
            '<tr class="govuk-table__row">\n'
            f'<td class="govuk-table__cell"><span class="govuk-!-font-weight-bold">{_escaped(row.reference)}</span>'
            f'<br>{_escaped(row.service)}<br><span class="govuk-hint govuk-!-font-size-16 govuk-!-margin-bottom-0">'
            f"{_escaped(row.category)}</span></td>\n"
            f'<td class="govuk-table__cell">{_escaped(row.provider)}\n{charity}{company}\n'
            f'<br><span class="govuk-!-font-size-16">VCSE: {row.vcse_text}</span></td>\n'
            f'<td class="govuk-table__cell govuk-table__cell--numeric">{format_money(row.annual_value_pence)}</td>\n'
            f'<td class="govuk-table__cell">{format_date(row.start_date)} to {format_date(row.end_date)}</td>\n'
            f'<td class="govuk-table__cell"><strong class="govuk-tag {STATUS_TAGS[row.status]}">'
            f"{row.status.value}</strong></td>\n"
            f'<td class="govuk-table__cell">\n{tender}{decision}\n</td>\n</tr>\n'
        )
    return Markup("".join(out))  # noqa: S704 - every text in it is escaped above  # nosec B704


def _filters():
    session = get_session()
    choices = register.filter_choices(session)
    return session, choices, read_filters(request.args, choices)


def _page_url(query_args: dict[str, str]):
    """A page's address from its number, with the filters: url_for once, not once per link."""
    first = url_for("contracts.index", **query_args, page=1)
    if not first.endswith("page=1"):  # url_for adds the page last; were it ever not to, ask it each time
        return lambda number: url_for("contracts.index", **query_args, page=number)
    prefix = first.removesuffix("1")
    return lambda number: f"{prefix}{number}"


def _page(form, choices, rows=(), page=None, status=200):
    query_args = form.query_args()
    return render_template(
        "transparency/register.html",
        form=None,  # the base template's WTForms error summary: this page draws its own
        filters=form,
        choices=choices,
        statuses=list(register.ContractStatus),
        table_rows=_table_rows(rows),
        page=page,
        page_url=_page_url(query_args),
        csv_url=url_for("contracts.download", **query_args),
        is_filtered=bool(query_args),
    ), status


@bp.route("/contracts")
@public
def index():
    session, choices, form = _filters()
    if form.parsed is None:
        return _page(form, choices, status=400)
    rows, page = register.register_page(session, form.parsed, clock.today(), page_number(request.args.get("page")))
    return _page(form, choices, rows, page)


def csv_row(row: register.ContractRow) -> list:
    """One row of the CSV: the page's columns, with the links made absolute."""
    return [
        row.reference,
        row.provider,
        row.charity_number or "",
        row.company_number or "",
        row.vcse_text,
        row.service,
        row.category,
        pence_as_pounds_text(row.annual_value_pence),
        row.start_date.isoformat(),
        row.end_date.isoformat(),
        row.status.value,
        row.tender_reference or "",
        row.tender_title or "",
        external_url("tenders.show", reference=row.tender_reference) if row.tender_reference else "",
        row.decision_number or "",
        external_url("decisions.show", decision_id=row.decision_id) if row.decision_id else "",
    ]


@bp.route("/contracts.csv")
@public
def download():
    session, choices, form = _filters()
    if form.parsed is None:
        # The person who followed a bad link sees what is wrong with it, on the page.
        return _page(form, choices, status=400)
    today = clock.today()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in register.register_all(session, form.parsed, today):
        writer.writerow([spreadsheet_cell(value) for value in csv_row(row)])
    return Response(
        out.getvalue().encode("utf-8-sig"),  # with a BOM, so Excel reads the £ and the names right
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=contracts-register-{today.isoformat()}.csv"},
    )
