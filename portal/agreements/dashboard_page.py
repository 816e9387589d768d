"""What the transition dashboard's rows show, as text, computed once per request.

The template places these strings in GOV.UK table markup; each count's link, its label and
each date and sum are made here, in one pass, rather than by a macro, ``url_for`` and
filters per cell (which cost more than reading the counts).
"""

from __future__ import annotations

from types import SimpleNamespace

from markupsafe import Markup

from portal.agreements.queries import Dashboard, Wave
from portal.filters import format_date, format_money


def _count(n: int, href: str, what: str, ending: str) -> Markup | int:
    """A count linking to the list it counts (just the number when it is nought). The link
    and label are this module's own text, dates and numbers: only the ``&`` needs escaping."""
    if not n:
        return n
    href = href.replace("&", "&amp;")
    return Markup(f'<a class="govuk-link" href="{href}" aria-label="{n} {what}, ending {ending}">{n}</a>')  # noqa: S704


def wave_rows(waves: list[Wave], incumbents_url: str, register_url: str) -> list[SimpleNamespace]:
    """Each wave's cells: its date and register link, value, the counts linking to their
    incumbent lists (with the bids' and outcomes' when the domains above answer), and the
    link to those still to reach."""
    rows = []
    for wave in waves:
        iso = wave.end_date.isoformat()
        ending = format_date(wave.end_date)
        lists = f"{incumbents_url}?wave={iso}&show="
        counts = [
            _count(wave.incumbents, lists + "all", "incumbents", ending),
            _count(wave.notified, lists + "notified", "notified", ending),
            _count(wave.read, lists + "read", "read a notice", ending),
            _count(wave.registered, lists + "registered", "registered", ending),
        ]
        bids = outcomes = ()
        if wave.bid_submitted is not None:
            bids = (
                _count(wave.bid_started, lists + "bid-started", "started a bid", ending),
                _count(wave.bid_submitted, lists + "bid-submitted", "submitted a bid", ending),
            )
        if wave.awarded is not None:
            outcomes = (
                _count(wave.awarded, lists + "awarded", "awarded", ending),
                _count(wave.not_awarded, lists + "not-awarded", "not awarded", ending),
                _count(wave.incumbents - (wave.bid_submitted or 0), lists + "no-bid", "did not bid", ending),
            )
        rows.append(
            SimpleNamespace(
                wave=wave,
                ending=ending,
                register_href=f"{register_url}?ending_from={iso}&ending_to={iso}",
                value=format_money(wave.value_pence),
                counts=counts,
                bids=bids,
                outcomes=outcomes,
                to_reach_href=lists + "unreached" if wave.status in ("Behind", "In progress") else None,
            )
        )
    return rows


def month_rows(data: Dashboard) -> list[tuple[str, int, str]]:
    """(month, agreements, value) for each month of the year ahead with agreements ending."""
    return [(month.strftime("%B %Y"), count, format_money(value)) for month, count, value in data.by_month]


def unreached_rows(data: Dashboard) -> list[SimpleNamespace]:
    """The incumbents to chase, with their dates as text."""
    return [
        SimpleNamespace(
            name=row["name"],
            email=row["contact_email"] if row["contact_email"] and not row["registered"] else None,
            next_end=format_date(row["next_end"]),
            registered="Yes" if row["registered"] else "No",
            notified=format_date(row["last_sent"]) if row["last_sent"] else "No",
            read="Yes" if row["read"] else "No",
        )
        for row in data.unreached
    ]
