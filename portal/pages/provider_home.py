"""A provider's home page: what their organisation needs to do next.

"What you need to do" comes first: the bid for each opportunity replacing an
agreement, with its deadline and the agreement's end; bids started and not yet
submitted; quality-assurance evidence until the organisation has some; and, where
an agreement is ending with no replacement published, that it has none yet. Then
open opportunities in the organisation's categories (those of its agreements) and
districts, its notices and bids, its current agreements, and its ended agreements
out of the way.

Pages stand above every domain, so this module reads tenders, bids and evidence
directly. The page runs a fixed number of queries whatever the number of
agreements, notices, bids and opportunities (``tests/pages/test_provider_home.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from flask import render_template, url_for
from flask_login import current_user
from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import Session

from portal import clock
from portal.agreements.models import Agreement, AgreementStatus, ServiceCategory
from portal.agreements.queries import provider_home
from portal.agreements.services import status_of
from portal.agreements.signals import Replacement, deadline_in_words
from portal.bids import display as bid_display
from portal.bids.models import Bid, BidStatus
from portal.bids.queries import organisation_bids
from portal.bids.receivers import replacement_of
from portal.db import get_session
from portal.filters import format_date
from portal.providers.models import Evidence, Organisation, organisation_district
from portal.tenders.models import Lot, Tender, TenderStatus, lot_district

OPPORTUNITIES_SHOWN = 5


@dataclass
class Task:
    """One thing to do (or, with ``is_waiting``, to know): a sentence and its link."""

    text: str
    link_text: str | None = None
    href: str | None = None
    detail: str = ""
    is_waiting: bool = False
    deadline: datetime | None = None  # to put the soonest first


@dataclass
class Home:
    tasks: list[Task] = field(default_factory=list)
    current: list[Agreement] = field(default_factory=list)
    ended: list[Agreement] = field(default_factory=list)
    replacements: dict[int, Replacement | None] = field(default_factory=dict)
    ending_soon: set[int] = field(default_factory=set)
    opportunities: list[Opportunity] = field(default_factory=list)
    has_evidence: bool = False


def _agreements_sentence(agreements: list[Agreement]) -> str:
    """'Your agreement KCC-EIP-052 ends 31 March 2027', or several, each with its end."""
    ends = sorted({a.end_date for a in agreements})
    references = " and ".join(", ".join(a.reference for a in agreements).rsplit(", ", 1))
    if len(agreements) == 1:
        return f"Your agreement {references} ends {format_date(ends[0])}."
    if len(ends) == 1:
        return f"Your agreements {references} end {format_date(ends[0])}."
    return f"Your agreements {references} end from {format_date(ends[0])}."


@dataclass(frozen=True)
class _TenderRow:
    """What the page reads of a tender replacing an agreement (as ``replacement_of`` asks of one)."""

    id: int
    reference: str
    title: str
    status: TenderStatus
    submission_deadline: datetime | None
    published_at: datetime | None

    status_at = Tender.status_at  # the status as every page shows it: the tender's own rule


@dataclass(frozen=True)
class Opportunity:
    """An open opportunity offered on the page."""

    reference: str
    title: str
    submission_deadline: datetime | None
    estimated_value_pence: int
    category: str


# The page's own statements, built once (building one costs more than running it).
_tender = Tender.__table__
_REPLACEMENT_TENDERS = select(
    _tender.c.id,
    _tender.c.reference,
    _tender.c.title,
    _tender.c.status,
    _tender.c.submission_deadline,
    _tender.c.published_at,
).where(_tender.c.id.in_(bindparam("ids", expanding=True)))
_HAS_EVIDENCE = (
    select(Evidence.__table__.c.id)
    .where(
        Evidence.__table__.c.organisation_id == bindparam("organisation_id"),
        Evidence.__table__.c.archived_at.is_(None),
    )
    .limit(1)
)
_ORGANISATION_NAME = select(Organisation.__table__.c.name).where(
    Organisation.__table__.c.id == bindparam("organisation_id")
)


def _opportunities_statement(by_category: bool, leaving_out: bool):
    """Open opportunities in the categories given (or any) with a lot in a district the organisation
    serves, but for those left out, soonest closing first; one statement for each of the four shapes."""
    in_its_districts = exists().where(
        Lot.tender_id == Tender.id,
        lot_district.c.lot_id == Lot.id,
        lot_district.c.district_id.in_(
            select(organisation_district.c.district_id).where(
                organisation_district.c.organisation_id == bindparam("organisation_id")
            )
        ),
    )
    query = (
        select(
            Tender.reference,
            Tender.title,
            Tender.submission_deadline,
            Tender.estimated_value_pence,
            ServiceCategory.name,
        )
        .join(ServiceCategory, ServiceCategory.id == Tender.category_id)
        .where(Tender.status == TenderStatus.PUBLISHED, Tender.submission_deadline > bindparam("now"), in_its_districts)
    )
    if by_category:
        query = query.where(Tender.category_id.in_(bindparam("category_ids", expanding=True)))
    if leaving_out:
        query = query.where(Tender.id.not_in(bindparam("leave_out", expanding=True)))
    return query.order_by(Tender.submission_deadline, Tender.id).limit(OPPORTUNITIES_SHOWN)


_OPPORTUNITIES = {(c, o): _opportunities_statement(c, o) for c in (False, True) for o in (False, True)}


def _replacements(session: Session, agreements: list[Agreement], bids: dict[int, Bid], now: datetime):
    """{agreement id: its replacement as a provider may see it, or None}: one query for the tenders."""
    ids = {a.replacement_tender_id for a in agreements if a.replacement_tender_id}
    tenders = (
        {row.id: _TenderRow(*row) for row in session.execute(_REPLACEMENT_TENDERS, {"ids": list(ids)})} if ids else {}
    )
    result = {}
    for agreement in agreements:
        tender = tenders.get(agreement.replacement_tender_id)
        bid = bids.get(tender.id) if tender is not None else None
        result[agreement.id] = replacement_of(tender, bid.id if bid is not None else None, now)
    return result


def _opportunities(
    session: Session, organisation_id: int, category_ids: set[int], leave_out: set[int], now: datetime
) -> list[Opportunity]:
    """Open opportunities in the categories of the organisation's agreements (any, if it has
    none) with a lot in a district it serves, soonest closing first: one query."""
    statement = _OPPORTUNITIES[bool(category_ids), bool(leave_out)]
    params = {"organisation_id": organisation_id, "now": now}
    if category_ids:
        params["category_ids"] = sorted(category_ids)
    if leave_out:
        params["leave_out"] = sorted(leave_out)
    return [Opportunity(*row) for row in session.execute(statement, params)]


def _tasks(home: Home, bids: list[Bid], now: datetime) -> list[Task]:
    tasks: list[Task] = []
    covered: set[str] = set()  # the replacement opportunities already asked for
    by_replacement: dict[str, list[Agreement]] = {}
    for agreement in home.current:
        replacement = home.replacements.get(agreement.id)
        if replacement is not None and replacement.is_open_for_bids:
            by_replacement.setdefault(replacement.reference, []).append(agreement)
    for reference, agreements in by_replacement.items():
        replacement = home.replacements[agreements[0].id]
        covered.add(reference)
        bid = next((b for b in bids if b.id == replacement.bid_id), None)
        deadline = replacement.deadline_in_words
        ending = _agreements_sentence(agreements)
        if bid is None:
            tasks.append(
                Task(
                    f"Bid for {replacement.title} by {deadline}.",
                    "Read the opportunity and start your bid",
                    url_for("tenders.show", reference=reference),
                    ending,
                    deadline=replacement.submission_deadline,
                )
            )
        elif bid.status is BidStatus.DRAFT:
            tasks.append(
                Task(
                    f"Finish and submit your bid for {replacement.title} by {deadline}.",
                    "Continue your bid",
                    url_for("bids.show", bid_id=bid.id),
                    ending,
                    deadline=replacement.submission_deadline,
                )
            )
        elif bid.status is BidStatus.WITHDRAWN:
            tasks.append(
                Task(
                    f"Your bid for {replacement.title} is withdrawn. Bids must be submitted by {deadline}.",
                    "Go to your bid",
                    url_for("bids.show", bid_id=bid.id),
                    ending,
                    deadline=replacement.submission_deadline,
                )
            )
    # Other bids started and not submitted, while there is still time.
    for bid in bids:
        deadline = bid.tender.submission_deadline
        if bid.status is BidStatus.DRAFT and bid.tender.reference not in covered and deadline and now < deadline:
            tasks.append(
                Task(
                    f"Finish and submit your bid for {bid.tender.title} by {deadline_in_words(deadline)}.",
                    "Continue your bid",
                    url_for("bids.show", bid_id=bid.id),
                    deadline=deadline,
                )
            )
    tasks.sort(key=lambda task: task.deadline)
    if not home.has_evidence:
        tasks.append(
            Task(
                "Add your quality-assurance evidence, such as your safeguarding policy and insurance certificate.",
                "Add a document",
                url_for("evidence.new"),
                "You add it once and include it in every bid.",
            )
        )
    for agreement in home.current:
        if agreement.id in home.ending_soon and home.replacements.get(agreement.id) is None:
            tasks.append(
                Task(
                    f"Your agreement {agreement.reference}, {agreement.service_name}, ends "
                    f"{format_date(agreement.end_date)}. No replacement has been published yet.",
                    detail="We will tell you when one is, and you will be able to bid for it.",
                    is_waiting=True,
                )
            )
    return tasks


def load(session: Session, organisation_id: int, now: datetime, today: date) -> tuple[Home, list, list[Bid]]:
    """Everything the page shows, in a fixed number of queries."""
    agreements, notices = provider_home(session, organisation_id)  # two queries
    bids = organisation_bids(session, organisation_id, now)  # one
    home = Home(
        current=[a for a in agreements if a.end_date >= today],
        ended=sorted((a for a in agreements if a.end_date < today), key=lambda a: a.end_date, reverse=True),
    )
    home.ending_soon = {a.id for a in home.current if status_of(a, today) is AgreementStatus.ENDING_SOON}
    home.replacements = _replacements(session, home.current, {b.tender_id: b for b in bids}, now)  # one
    home.has_evidence = session.scalar(_HAS_EVIDENCE, {"organisation_id": organisation_id}) is not None
    home.tasks = _tasks(home, bids, now)
    # Opportunities already on the page (bid for, or replacing an agreement) are not offered again.
    leave_out = {b.tender_id for b in bids} | {
        a.replacement_tender_id for a in home.current if home.replacements[a.id] is not None
    }
    categories = {a.category_id for a in agreements}
    home.opportunities = _opportunities(session, organisation_id, categories, leave_out, now)  # one
    return home, notices, bids


def time_left(end_date: date, today: date) -> str:
    """How long an agreement has left: "Ends today", "45 days", "7 months", or "Ended"."""
    days = (end_date - today).days
    if days < 0:
        return "Ended"
    if days == 0:
        return "Ends today"
    if days < 62:
        return f"{days} day{'s' if days != 1 else ''}"
    return f"{round(days / 30.4)} months"


def page():
    now = clock.now()
    today = clock.today()
    session = get_session()
    home, notices, bids = load(session, current_user.organisation_id, now, today)
    return render_template(
        "pages/dashboard_provider.html",
        organisation_name=session.scalar(_ORGANISATION_NAME, {"organisation_id": current_user.organisation_id}),
        time_left=lambda end_date: time_left(end_date, today),
        home=home,
        notices=notices,
        today=today,
        bids=bids,
        now=now,
        bid_countdown=bid_display.countdown,
        bid_status=bid_display.status_label,
        bid_has_unsubmitted_changes=bid_display.has_unsubmitted_changes,
    )
