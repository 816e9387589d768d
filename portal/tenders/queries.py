"""Reading tenders for the public pages and the officers' lists, in a fixed
number of queries whatever the number of tenders, lots and documents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from portal.agreements.models import DeliveryMode, ServiceCategory
from portal.dates import LONDON
from portal.pagination import Page
from portal.providers.models import District
from portal.tenders.models import (
    Clarification,
    Lot,
    LotDeliveryMode,
    Question,
    Tender,
    TenderDocument,
    TenderStatus,
    lot_district,
)

PUBLIC_STATUSES = (
    TenderStatus.PUBLISHED,
    TenderStatus.CLOSED,
    TenderStatus.EVALUATION,
    TenderStatus.AWARDED,
    TenderStatus.CANCELLED,
)
PAGE_SIZE = 20
OFFICER_PAGE_SIZE = 20  # a page at a time: the list's size and time stay the same however many tenders there are


def is_public(tender: Tender) -> bool:
    """Whether anyone may see the tender: it was published (and whatever became of it since).
    A draft cancelled before publication never was: nobody outside the council learns of it."""
    return tender.status in PUBLIC_STATUSES and tender.published_at is not None


def public_condition():
    """:func:`is_public` as SQL, so a list and a page can never disagree."""
    return and_(Tender.status.in_(PUBLIC_STATUSES), Tender.published_at.is_not(None))


# The opportunities list's orders: the query string's value and what the select calls it.
SORT_ORDERS = {"closing": "Closing soonest", "newest": "Newest first"}


@dataclass
class OpportunityFilter:
    text: str = ""
    category_id: int | None = None
    district_id: int | None = None
    mode: DeliveryMode | None = None
    closing_before: date | None = None
    min_value_pence: int | None = None
    max_value_pence: int | None = None
    show: str = "open"  # open, or all that have been published
    sort: str = "closing"  # a key of SORT_ORDERS


def _lot_options():
    return selectinload(Tender.lots).options(selectinload(Lot.districts), selectinload(Lot.delivery_mode_rows))


def filter_choices(session: Session) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """The categories and the districts the opportunities filters offer, each (id, name) by name."""
    categories = [
        (row_id, name)
        for row_id, name in session.execute(
            select(ServiceCategory.id, ServiceCategory.name).order_by(ServiceCategory.name)
        )
    ]
    districts = [
        (row_id, name) for row_id, name in session.execute(select(District.id, District.name).order_by(District.name))
    ]
    return categories, districts


def open_count(session: Session, now: datetime) -> int:
    """How many opportunities are open for bids at ``now`` (the start page's "Open now")."""
    return session.scalar(
        select(func.count(Tender.id)).where(Tender.status == TenderStatus.PUBLISHED, Tender.submission_deadline > now)
    )


def opportunities(session: Session, f: OpportunityFilter, page: int, now: datetime) -> tuple[list[Tender], Page]:
    """Published opportunities matching the filters, one page of them: soonest
    closing first, or (``f.sort == "newest"``) the latest published first.

    "Open" means open for bids by the server's clock at ``now``: a tender past
    its deadline is not listed as open even before the worker records its closing.
    """
    if f.show == "open":
        query = select(Tender).where(Tender.status == TenderStatus.PUBLISHED, Tender.submission_deadline > now)
    else:
        query = select(Tender).where(public_condition())
    if f.text:
        # What was typed is matched as it is: a "%" or "_" in it is a character, not a wildcard.
        typed = f.text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")

        def contains(column):
            return func.lower(column).like(f"%{typed}%", escape="\\")

        query = query.where(
            or_(
                contains(Tender.title),
                contains(Tender.description),
                contains(Tender.reference),
                exists().where(Lot.tender_id == Tender.id, or_(contains(Lot.title), contains(Lot.description))),
            )
        )
    if f.category_id:
        query = query.where(Tender.category_id == f.category_id)
    if f.district_id:
        query = query.where(
            exists().where(
                Lot.tender_id == Tender.id, lot_district.c.lot_id == Lot.id, lot_district.c.district_id == f.district_id
            )
        )
    if f.mode:
        query = query.where(
            exists().where(Lot.tender_id == Tender.id, LotDeliveryMode.lot_id == Lot.id, LotDeliveryMode.mode == f.mode)
        )
    if f.closing_before:
        end_of_day = datetime.combine(f.closing_before, time(23, 59, 59), tzinfo=LONDON)
        query = query.where(Tender.submission_deadline <= end_of_day)
    if f.min_value_pence is not None:
        query = query.where(Tender.estimated_value_pence >= f.min_value_pence)
    if f.max_value_pence is not None:
        query = query.where(Tender.estimated_value_pence <= f.max_value_pence)
    shown = Page(page, PAGE_SIZE, session.scalar(select(func.count()).select_from(query.subquery())))
    order = (
        (Tender.published_at.desc().nulls_last(), Tender.id.desc())
        if f.sort == "newest"
        else (Tender.submission_deadline, Tender.id)
    )
    rows = (
        session.scalars(
            query.options(joinedload(Tender.category), _lot_options())
            .order_by(*order)
            .limit(shown.size)
            .offset(shown.offset)
        )
        .unique()
        .all()
    )
    return list(rows), shown


def tender_by_reference(session: Session, reference: str) -> Tender | None:
    """A tender with everything its page shows."""
    return (
        session.scalars(
            select(Tender)
            .where(Tender.reference == reference)
            .options(
                joinedload(Tender.category),
                joinedload(Tender.decision),
                _lot_options(),
                selectinload(Tender.documents).joinedload(TenderDocument.file),
                selectinload(Tender.amendments),
                selectinload(Tender.questions).options(selectinload(Question.lots), joinedload(Question.section)),
                selectinload(Tender.sections),
            )
        )
        .unique()
        .one_or_none()
    )


def published_clarifications(session: Session, tender: Tender) -> list[Clarification]:
    return session.scalars(
        select(Clarification)
        .where(Clarification.tender_id == tender.id, Clarification.is_published.is_(True))
        .order_by(Clarification.answered_at)
    ).all()


# The officers' list's status filter: the query string's value and the status it shows.
OFFICER_STATUS_FILTERS = {
    "draft": TenderStatus.DRAFT,
    "published": TenderStatus.PUBLISHED,
    "closed": TenderStatus.CLOSED,
    "evaluation": TenderStatus.EVALUATION,
    "awarded": TenderStatus.AWARDED,
    "cancelled": TenderStatus.CANCELLED,
}


@dataclass(frozen=True)
class TenderRow:
    """What a row of the officers' list shows, and nothing else."""

    id: int
    reference: str
    title: str
    category: str
    submission_deadline: datetime | None
    status: TenderStatus  # as stored

    status_at = Tender.status_at  # the one rule: open for bids past its deadline shows closed


def _shown_status(status: TenderStatus, now: datetime):
    """``Tender.status_at`` as SQL: a published tender past its deadline shows as closed."""
    passed = and_(Tender.submission_deadline.is_not(None), Tender.submission_deadline <= now)
    if status is TenderStatus.PUBLISHED:
        return and_(Tender.status == TenderStatus.PUBLISHED, ~passed)
    if status is TenderStatus.CLOSED:
        return or_(Tender.status == TenderStatus.CLOSED, and_(Tender.status == TenderStatus.PUBLISHED, passed))
    return Tender.status == status


def officer_status_counts(session: Session, now: datetime) -> dict[TenderStatus, int]:
    """How many tenders show each status at ``now``. One grouped query."""
    counts = dict.fromkeys(TenderStatus, 0)
    passed = case((and_(Tender.submission_deadline.is_not(None), Tender.submission_deadline <= now), 1), else_=0)
    for status, total, past_deadline in session.execute(
        select(Tender.status, func.count(Tender.id), func.sum(passed)).group_by(Tender.status)
    ):
        if status is TenderStatus.PUBLISHED:
            counts[TenderStatus.CLOSED] += int(past_deadline or 0)
            total -= int(past_deadline or 0)
        counts[status] += total
    return counts


def officer_tenders(
    session: Session, page: int, now: datetime, status: TenderStatus | None = None, total: int | None = None
) -> tuple[list[TenderRow], Page]:
    """One page of the tenders (those showing ``status`` at ``now``, or all), newest first,
    with only the columns the list shows. ``total`` is how many match, when the caller
    has counted them already (see :func:`officer_status_counts`). A page past the last
    shows the last."""
    condition = _shown_status(status, now) if status else None
    if total is None:
        count = select(func.count(Tender.id))
        total = session.scalar(count if condition is None else count.where(condition))
    shown = Page(page, OFFICER_PAGE_SIZE, total)
    shown = Page(min(shown.number, shown.count), shown.size, shown.total)
    query = select(
        Tender.id,
        Tender.reference,
        Tender.title,
        ServiceCategory.name,
        Tender.submission_deadline,
        Tender.status,
    ).join(ServiceCategory, ServiceCategory.id == Tender.category_id)
    if condition is not None:
        query = query.where(condition)
    rows = session.execute(
        query.order_by(Tender.created_at.desc(), Tender.id.desc()).limit(shown.size).offset(shown.offset)
    ).all()
    return [
        TenderRow(
            tender_id,
            reference,
            title,
            category,
            deadline,
            tender_status,
        )
        for tender_id, reference, title, category, deadline, tender_status in rows
    ], shown


def tenders_under_decision(session: Session, decision_id: int, include_drafts: bool) -> list[Tender]:
    """The tenders a decision authorised, by reference; drafts only for those who may preview them."""
    # With their documents: the decision's page links each tender's Equality Impact Assessment.
    query = (
        select(Tender)
        .where(Tender.decision_id == decision_id)
        .options(selectinload(Tender.documents).joinedload(TenderDocument.file))
    )
    if not include_drafts:
        query = query.where(public_condition())
    return list(session.scalars(query.order_by(Tender.reference)))


def own_clarifications(session: Session, tender: Tender, organisation_id: int) -> list[Clarification]:
    """The questions one organisation asked about a tender, oldest first (only it sees them)."""
    return list(
        session.scalars(
            select(Clarification)
            .where(Clarification.tender_id == tender.id, Clarification.organisation_id == organisation_id)
            .order_by(Clarification.asked_at, Clarification.id)
        )
    )


def all_clarifications(session: Session, tender: Tender) -> list[Clarification]:
    """Every question asked about a tender, with who asked (for officers), oldest first."""
    return list(
        session.scalars(
            select(Clarification)
            .where(Clarification.tender_id == tender.id)
            .options(joinedload(Clarification.organisation))
            .order_by(Clarification.asked_at, Clarification.id)
        )
    )


def has_unanswered_clarifications(session: Session, tender: Tender) -> bool:
    return (
        session.scalar(
            select(Clarification.id)
            .where(Clarification.tender_id == tender.id, Clarification.answered_at.is_(None))
            .limit(1)
        )
        is not None
    )
