"""The transition dashboard's table rows, as GOV.UK table markup, made once per request.

The page's tables hold some two hundred cells; rendered cell by cell in Jinja (an escape
and a generator step each, a macro, ``url_for`` and a filter for many) they cost more than
reading the counts. Here each row is one string: its links, labels, dates and sums made in
one pass, every text from the database escaped, and the template places the rows in its
tables. The markup is what the template wrote before, cell for cell.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from portal.agreements.queries import WAVE_STATUSES, Dashboard, Wave
from portal.filters import format_date, format_money

_NUMBER = '<td class="govuk-table__cell govuk-table__cell--numeric">{}</td>'
_COUNT = '<a class="govuk-link" href="{}" aria-label="{} {}, ending {}">{}</a>'
_REACH = (
    '<br><a class="govuk-link govuk-body-s" href="{}">{} to reach'
    '<span class="govuk-visually-hidden">, ending {}</span></a>'
)


def _count(n: int, href: str, what: str, ending: str) -> str:
    """A count's cell, linking to the list it counts (just the number when it is nought)."""
    return _NUMBER.format(_COUNT.format(href, n, what, ending, n) if n else n)


def wave_rows(waves: list[Wave], incumbents_url: str, register_url: str) -> Markup:
    """Each wave's row: its date linking to its agreements, value, the counts linking to
    their incumbent lists (with the bids' and outcomes' when the domains above answer), and
    its status, with a link to those still to reach. The URLs are the endpoints' (given) with
    a query string of ISO dates and list keys, escaped as HTML attributes (``&amp;``)."""
    incumbents_url, register_url = escape(incumbents_url), escape(register_url)
    rows = []
    for wave in waves:
        iso = wave.end_date.isoformat()
        ending = format_date(wave.end_date)
        lists = f"{incumbents_url}?wave={iso}&amp;show="
        cells = [
            f'<tr class="govuk-table__row"><td class="govuk-table__cell"><a class="govuk-link" '
            f'href="{register_url}?ending_from={iso}&amp;ending_to={iso}">{ending}</a></td>',
            _NUMBER.format(wave.agreements),
            _NUMBER.format(format_money(wave.value_pence)),
            _count(wave.incumbents, lists + "all", "incumbents", ending),
            _count(wave.notified, lists + "notified", "notified", ending),
            _count(wave.read, lists + "read", "read a notice", ending),
            _count(wave.registered, lists + "registered", "registered", ending),
        ]
        if wave.bid_submitted is not None:
            cells += [
                _count(wave.bid_started, lists + "bid-started", "started a bid", ending),
                _count(wave.bid_submitted, lists + "bid-submitted", "submitted a bid", ending),
            ]
        if wave.awarded is not None:
            cells += [
                _count(wave.awarded, lists + "awarded", "awarded", ending),
                _count(wave.not_awarded, lists + "not-awarded", "not awarded", ending),
                _count(wave.incumbents - (wave.bid_submitted or 0), lists + "no-bid", "did not bid", ending),
            ]
        reach = ""
        if wave.status in ("Behind", "In progress"):
            reach = _REACH.format(lists + "unreached", wave.incumbents - wave.reached, ending)
        cells.append(
            f'<td class="govuk-table__cell"><strong class="govuk-tag {WAVE_STATUSES[wave.status]}">'
            f"{wave.status}</strong>{reach}</td></tr>"
        )
        rows.append("".join(cells))
    return Markup("".join(rows))  # noqa: S704 - our own markup, dates and numbers  # nosec B704


def month_rows(data: Dashboard) -> Markup:
    """A row for each month of the year ahead with agreements ending, and for later ones."""
    months = [(month.strftime("%B %Y"), count, value) for month, count, value in data.by_month]
    if data.later[0]:
        months.append(("Later", *data.later))
    return Markup(  # noqa: S704 - our own markup, month names and numbers  # nosec B704
        "".join(
            f'<tr class="govuk-table__row"><td class="govuk-table__cell">{month}</td>'
            + _NUMBER.format(count)
            + _NUMBER.format(format_money(value))
            + "</tr>"
            for month, count, value in months
        )
    )


def unreached_rows(data: Dashboard) -> Markup:
    """A row for each incumbent to chase: its name (and contact email while unregistered,
    both escaped), next wave to chase, and whether it registered, was sent and read a notice."""
    rows = []
    for row in data.unreached:
        email = ""
        if row["contact_email"] and not row["registered"]:
            email = f'<br><span class="govuk-body-s">{escape(row["contact_email"])}</span>'
        rows.append(
            f'<tr class="govuk-table__row"><td class="govuk-table__cell">{escape(row["name"])}{email}</td>'
            f'<td class="govuk-table__cell">{format_date(row["next_end"])}</td>'
            f'<td class="govuk-table__cell">{"Yes" if row["registered"] else "No"}</td>'
            f'<td class="govuk-table__cell">{format_date(row["last_sent"]) if row["last_sent"] else "No"}</td>'
            f'<td class="govuk-table__cell">{"Yes" if row["read"] else "No"}</td></tr>'
        )
    return Markup("".join(rows))  # noqa: S704 - the names and emails are escaped  # nosec B704
