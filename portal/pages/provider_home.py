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
from sqlalchemy import and_, bindparam, exists, func, select
from sqlalchemy.orm import Session

from portal import clock
from portal.agreements.models import Agreement, AgreementStatus, EndingNotice, ServiceCategory
from portal.agreements.services import status_of
from portal.agreements.signals import Replacement, deadline_in_words
from portal.bids import display as bid_display
from portal.bids.models import Bid, BidStatus, Submission
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
    organisation_name: str = ""
    tasks: list[Task] = field(default_factory=list)
    current: list = field(default_factory=list)  # agreement rows (``_AGREEMENTS``)
    ended: list = field(default_factory=list)
    replacements: dict[int, Replacement | None] = field(default_factory=dict)
    ending_soon: set[int] = field(default_factory=set)
    opportunities: list[Opportunity] = field(default_factory=list)
    has_evidence: bool = False


def _agreements_sentence(agreements: list) -> str:
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


@dataclass(frozen=True)
class _BidTender:
    """What the page shows of a bid's tender."""

    reference: str
    title: str
    submission_deadline: datetime | None


@dataclass(frozen=True)
class _LatestSubmission:
    version: int
    from_revision: int


@dataclass(frozen=True)
class _BidRow:
    """What the page reads of one of the organisation's bids: its tender, and its latest
    submission as the only one of ``submissions`` (all that ``bids.display``'s status label
    and "changes not yet submitted" read of them)."""

    id: int
    tender_id: int
    status: BidStatus
    revision: int
    tender: _BidTender
    submissions: tuple[_LatestSubmission, ...]


# The page's own statements, built once (building one costs more than running it), selecting
# table columns: their rows are read without the ORM's entities (issue 13).
_tender, _agreement, _category = Tender.__table__, Agreement.__table__, ServiceCategory.__table__
_bid, _submission, _notice = Bid.__table__, Submission.__table__, EndingNotice.__table__
_evidence, _organisation, _lot = Evidence.__table__, Organisation.__table__, Lot.__table__

# The organisation's agreements, soonest ending first, each with the tender replacing it (if any).
_AGREEMENTS = (
    select(
        _agreement.c.id,
        _agreement.c.reference,
        _agreement.c.service_name,
        _agreement.c.category_id,
        _category.c.name.label("category_name"),
        _agreement.c.original_end_date,
        _agreement.c.end_date,
        _agreement.c.replacement_tender_id,
        _tender.c.reference.label("tender_reference"),
        _tender.c.title,
        _tender.c.status,
        _tender.c.submission_deadline,
        _tender.c.published_at,
    )
    .select_from(_agreement)
    .join(_category, _category.c.id == _agreement.c.category_id)
    .outerjoin(_tender, _tender.c.id == _agreement.c.replacement_tender_id)
    .where(_agreement.c.organisation_id == bindparam("organisation_id"))
    .order_by(_agreement.c.end_date, _agreement.c.reference)
)
# Its name, whether it has any current quality-assurance evidence, and its notices, unread first,
# then newest: a row per notice (one row, without a notice, for none).
_ORGANISATION_NOTICES = (
    select(
        _organisation.c.name,
        exists()
        .where(_evidence.c.organisation_id == bindparam("organisation_id"), _evidence.c.archived_at.is_(None))
        .label("has_evidence"),
        _notice.c.id,
        _notice.c.subject,
        _notice.c.sent_at,
        _notice.c.read_at,
    )
    .select_from(_organisation)
    .outerjoin(_notice, _notice.c.organisation_id == _organisation.c.id)
    .where(_organisation.c.id == bindparam("organisation_id"))
    .order_by(_notice.c.read_at.is_not(None), _notice.c.sent_at.desc(), _notice.c.id.desc())
    .limit(100)
)
# Its bids with their tender and latest submission (by deadline; ``_bids`` puts open ones first).
_latest_version = (
    select(func.max(_submission.c.version))
    .where(_submission.c.bid_id == _bid.c.id)
    .correlate(_bid)  # the bid's own submissions: not the submission joined outside
    .scalar_subquery()
)
_BIDS = (
    select(
        _bid.c.id,
        _bid.c.tender_id,
        _bid.c.status,
        _bid.c.revision,
        _tender.c.reference,
        _tender.c.title,
        _tender.c.submission_deadline,
        _submission.c.version,
        _submission.c.from_revision,
    )
    .select_from(_bid)
    .join(_tender, _tender.c.id == _bid.c.tender_id)
    .outerjoin(_submission, and_(_submission.c.bid_id == _bid.c.id, _submission.c.version == _latest_version))
    .where(_bid.c.organisation_id == bindparam("organisation_id"))
    .order_by(_tender.c.submission_deadline, _bid.c.id)
)


def _opportunities_statement(by_category: bool, leaving_out: bool):
    """Open opportunities in the categories given (or any) with a lot in a district the organisation
    serves, but for those left out, soonest closing first; one statement for each of the four shapes."""
    in_its_districts = exists().where(
        _lot.c.tender_id == _tender.c.id,
        lot_district.c.lot_id == _lot.c.id,
        lot_district.c.district_id.in_(
            select(organisation_district.c.district_id).where(
                organisation_district.c.organisation_id == bindparam("organisation_id")
            )
        ),
    )
    query = (
        select(
            _tender.c.reference,
            _tender.c.title,
            _tender.c.submission_deadline,
            _tender.c.estimated_value_pence,
            _category.c.name,
        )
        .join(_category, _category.c.id == _tender.c.category_id)
        .where(
            _tender.c.status == TenderStatus.PUBLISHED,
            _tender.c.submission_deadline > bindparam("now"),
            in_its_districts,
        )
    )
    if by_category:
        query = query.where(_tender.c.category_id.in_(bindparam("category_ids", expanding=True)))
    if leaving_out:
        query = query.where(_tender.c.id.not_in(bindparam("leave_out", expanding=True)))
    return query.order_by(_tender.c.submission_deadline, _tender.c.id).limit(OPPORTUNITIES_SHOWN)


_OPPORTUNITIES = {(c, o): _opportunities_statement(c, o) for c in (False, True) for o in (False, True)}


def _replacements(agreements: list, bids: dict[int, _BidRow], now: datetime):
    """{agreement id: its replacement as a provider may see it, or None} (the tenders came with
    the agreements)."""
    result = {}
    for a in agreements:
        tender = None
        if a.replacement_tender_id is not None:
            tender = _TenderRow(
                a.replacement_tender_id, a.tender_reference, a.title, a.status, a.submission_deadline, a.published_at
            )
        bid = bids.get(a.replacement_tender_id) if tender is not None else None
        result[a.id] = replacement_of(tender, bid.id if bid is not None else None, now)
    return result


def _bids(session: Session, organisation_id: int, now: datetime) -> list[_BidRow]:
    """The organisation's bids, open ones first (soonest deadline first), then closed ones
    (latest first), as ``bids.queries.organisation_bids`` orders them: one query."""
    bids = [
        _BidRow(
            bid_id,
            tender_id,
            status,
            revision,
            _BidTender(reference, title, deadline),
            () if version is None else (_LatestSubmission(version, from_revision),),
        )
        for bid_id, tender_id, status, revision, reference, title, deadline, version, from_revision in session.execute(
            _BIDS, {"organisation_id": organisation_id}
        )
    ]
    is_open = [b for b in bids if b.tender.submission_deadline is None or now < b.tender.submission_deadline]
    closed = [b for b in bids if not (b.tender.submission_deadline is None or now < b.tender.submission_deadline)]
    return is_open + closed[::-1]


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


def _tasks(home: Home, bids: list[_BidRow], now: datetime) -> list[Task]:
    bid_url = _id_url("bids.show", "bid_id")
    tasks: list[Task] = []
    covered: set[str] = set()  # the replacement opportunities already asked for
    by_replacement: dict[str, list] = {}
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
                    bid_url(bid.id),
                    ending,
                    deadline=replacement.submission_deadline,
                )
            )
        elif bid.status is BidStatus.WITHDRAWN:
            tasks.append(
                Task(
                    f"Your bid for {replacement.title} is withdrawn. Bids must be submitted by {deadline}.",
                    "Go to your bid",
                    bid_url(bid.id),
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
                    bid_url(bid.id),
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


def load(session: Session, organisation_id: int, now: datetime, today: date) -> tuple[Home, list, list[_BidRow]]:
    """Everything the page shows, in a fixed number of queries."""
    asked = {"organisation_id": organisation_id}
    agreements = session.execute(_AGREEMENTS, asked).all()  # one, with the replacing tenders
    rows = session.execute(_ORGANISATION_NOTICES, asked).all()  # one: the organisation, with its notices
    organisation, notices = rows[0], [row for row in rows if row.id is not None]
    bids = _bids(session, organisation_id, now)  # one
    home = Home(
        organisation_name=organisation.name,
        current=[a for a in agreements if a.end_date >= today],
        ended=sorted((a for a in agreements if a.end_date < today), key=lambda a: a.end_date, reverse=True),
    )
    home.ending_soon = {a.id for a in home.current if status_of(a, today) is AgreementStatus.ENDING_SOON}
    home.replacements = _replacements(home.current, {b.tender_id: b for b in bids}, now)
    home.has_evidence = bool(organisation.has_evidence)
    home.tasks = _tasks(home, bids, now)
    # Opportunities already on the page (bid for, or replacing an agreement) are not offered again.
    leave_out = {b.tender_id for b in bids} | {
        a.replacement_tender_id for a in home.current if home.replacements[a.id] is not None
    }
    categories = {a.category_id for a in agreements}
    home.opportunities = _opportunities(session, organisation_id, categories, leave_out, now)  # one
    return home, notices, bids


def _id_url(endpoint: str, name: str):
    """An address of ``endpoint`` from an id: url_for once, not once per link."""
    prefix, _, suffix = url_for(endpoint, **{name: 0}).rpartition("/0")
    return lambda id_: f"{prefix}/{id_}{suffix}"


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
    home, notices, bids = load(get_session(), current_user.organisation_id, now, today)
    return render_template(
        "pages/dashboard_provider.html",
        organisation_name=home.organisation_name,
        time_left=lambda end_date: time_left(end_date, today),
        home=home,
        notices=notices,
        today=today,
        bids=bids,
        now=now,
        bid_countdown=bid_display.countdown,
        bid_status=bid_display.status_label,
        bid_has_unsubmitted_changes=bid_display.has_unsubmitted_changes,
        bid_url=_id_url("bids.show", "bid_id"),
        notice_url=_id_url("agreements.notice", "notice_id"),
    )
