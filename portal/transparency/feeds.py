"""An Atom 1.0 feed of new opportunities, for people who follow feeds rather than read JSON.

The newest published tenders (never drafts), newest first, each with a stable
``tag:`` id, a link to its public page on the configured base URL and a plain
English summary. The XML is built with ElementTree, which escapes every text
it is given: no tender's title or description is ever pasted into markup.
One query, whatever the number of tenders.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.filters import format_date, format_datetime, format_money
from portal.links import external_url
from portal.tenders.models import Amendment, Tender, TenderStatus
from portal.tenders.queries import PUBLIC_STATUSES

ATOM = "http://www.w3.org/2005/Atom"
FEED_SIZE = 50
CONTENT_TYPE = "application/atom+xml; charset=utf-8"
# Characters XML 1.0 cannot hold at all (ElementTree would write them and make the feed unreadable).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
ET.register_namespace("", ATOM)  # Atom as the default namespace: <feed xmlns=...>, not <ns0:feed>


@dataclass(frozen=True)
class FeedEntry:
    reference: str
    title: str
    status: TenderStatus
    published_at: datetime
    updated_at: datetime
    submission_deadline: datetime | None
    estimated_value_pence: int
    cancelled_at: datetime | None


def newest_opportunities(session: Session, limit: int = FEED_SIZE) -> list[FeedEntry]:
    """The newest published tenders (in any status after publication), newest first.

    An entry is updated when the tender was published, amended or cancelled, whichever came last.
    """
    last_amended = (
        select(Amendment.tender_id, func.max(Amendment.published_at).label("at"))
        .group_by(Amendment.tender_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Tender.reference,
            Tender.title,
            Tender.status,
            Tender.published_at,
            Tender.submission_deadline,
            Tender.estimated_value_pence,
            Tender.cancelled_at,
            last_amended.c.at,
        )
        .outerjoin(last_amended, last_amended.c.tender_id == Tender.id)
        .where(Tender.status.in_(PUBLIC_STATUSES), Tender.published_at.is_not(None))
        .order_by(Tender.published_at.desc(), Tender.id.desc())
        .limit(limit)
    ).all()
    entries = []
    for reference, title, status, published_at, deadline, value, cancelled_at, amended_at in rows:
        moments = [m for m in (published_at, amended_at, cancelled_at) if m is not None]
        entries.append(
            FeedEntry(
                reference=reference,
                title=title,
                status=status,
                published_at=published_at,
                updated_at=max(moments),
                submission_deadline=deadline,
                estimated_value_pence=value,
                cancelled_at=cancelled_at,
            )
        )
    return entries


def _text(value: str) -> str:
    return NOT_XML.sub("", value)


def _stamp(moment: datetime) -> str:
    """An RFC 3339 date-time, as Atom requires (UTC, to the second)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def entry_id(entry: FeedEntry) -> str:
    """A ``tag:`` URI (RFC 4151) that never changes: the portal's host, the day the tender
    was published (the host named it then) and its reference, which is unique and fixed."""
    return f"tag:{_authority()},{entry.published_at.date().isoformat()}:opportunity:{entry.reference}"


def _authority() -> str:
    return urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"


def entry_title(entry: FeedEntry) -> str:
    return f"Cancelled: {entry.title}" if entry.status is TenderStatus.CANCELLED else entry.title


def entry_summary(entry: FeedEntry, now: datetime) -> str:
    """When it closes (or closed, or that it was cancelled) and what it is worth, in plain English.

    A tender past its deadline has closed even before the worker records it (as ``Tender.status_at``).
    """
    if entry.status is TenderStatus.CANCELLED:
        when = f"Cancelled on {format_date(entry.cancelled_at)}." if entry.cancelled_at else "Cancelled."
    elif entry.submission_deadline is None:
        when = "Closing date to be confirmed."
    else:
        closes = format_datetime(entry.submission_deadline)
        is_open = entry.status is TenderStatus.PUBLISHED and entry.submission_deadline > now
        when = f"Closes {closes}." if is_open else f"Closed {closes}."
    return f"{when} Estimated value {format_money(entry.estimated_value_pence)}."


def atom_feed(entries: list[FeedEntry], now: datetime) -> bytes:
    """The feed as UTF-8 XML."""
    council = current_app.config["COUNCIL_NAME"]
    feed = ET.Element(f"{{{ATOM}}}feed")

    def add(parent, tag, text=None, **attributes):
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
        if text is not None:
            element.text = _text(text)
        return element

    self_url = external_url("feeds.opportunities")
    add(feed, "id", self_url)
    add(feed, "title", f"New opportunities from {council}")
    add(feed, "subtitle", "Contracts and frameworks the council is tendering for, newest first.")
    add(feed, "updated", _stamp(max((e.updated_at for e in entries), default=now)))
    add(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    add(feed, "link", rel="alternate", type="text/html", href=external_url("tenders.index"))
    author = add(feed, "author")
    add(author, "name", council)
    for entry in entries:
        item = add(feed, "entry")
        add(item, "id", entry_id(entry))
        add(item, "title", entry_title(entry))
        add(item, "published", _stamp(entry.published_at))
        add(item, "updated", _stamp(entry.updated_at))
        add(
            item,
            "link",
            rel="alternate",
            type="text/html",
            href=external_url("tenders.show", reference=entry.reference),
        )
        add(item, "summary", entry_summary(entry, now), type="text")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
