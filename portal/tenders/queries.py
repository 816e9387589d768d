"""Reading tenders for the public pages and the officers' lists, in a fixed
number of queries whatever the number of tenders, lots and documents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from portal.agreements.models import DeliveryMode
from portal.dates import LONDON
from portal.tenders.models import (Clarification, Lot, LotDeliveryMode, Question, Tender, TenderDocument,
                                   TenderStatus, lot_district)

PUBLIC_STATUSES = (TenderStatus.PUBLISHED, TenderStatus.CLOSED, TenderStatus.EVALUATION, TenderStatus.AWARDED,
                   TenderStatus.CANCELLED)
PAGE_SIZE = 20


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


def _lot_options():
    return selectinload(Tender.lots).options(selectinload(Lot.districts), selectinload(Lot.delivery_mode_rows))


def opportunities(session: Session, f: OpportunityFilter, page: int = 1) -> tuple[list[Tender], int]:
    """Published opportunities matching the filters, soonest closing first."""
    query = select(Tender).where(Tender.status.in_(
        [TenderStatus.PUBLISHED] if f.show == "open" else list(PUBLIC_STATUSES)))
    if f.text:
        like = f"%{f.text.strip().lower()}%"
        query = query.where(or_(func.lower(Tender.title).like(like), func.lower(Tender.description).like(like),
                                func.lower(Tender.reference).like(like),
                                exists().where(Lot.tender_id == Tender.id, or_(
                                    func.lower(Lot.title).like(like), func.lower(Lot.description).like(like)))))
    if f.category_id:
        query = query.where(Tender.category_id == f.category_id)
    if f.district_id:
        query = query.where(exists().where(Lot.tender_id == Tender.id, lot_district.c.lot_id == Lot.id,
                                           lot_district.c.district_id == f.district_id))
    if f.mode:
        query = query.where(exists().where(Lot.tender_id == Tender.id, LotDeliveryMode.lot_id == Lot.id,
                                           LotDeliveryMode.mode == f.mode))
    if f.closing_before:
        end_of_day = datetime.combine(f.closing_before, time(23, 59, 59), tzinfo=LONDON)
        query = query.where(Tender.submission_deadline <= end_of_day)
    if f.min_value_pence is not None:
        query = query.where(Tender.estimated_value_pence >= f.min_value_pence)
    if f.max_value_pence is not None:
        query = query.where(Tender.estimated_value_pence <= f.max_value_pence)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(
        query.options(joinedload(Tender.category), _lot_options())
        .order_by(Tender.submission_deadline, Tender.id).limit(PAGE_SIZE).offset((max(page, 1) - 1) * PAGE_SIZE)
    ).unique().all()
    return rows, total


def tender_by_reference(session: Session, reference: str) -> Tender | None:
    """A tender with everything its page shows."""
    return session.scalars(
        select(Tender).where(Tender.reference == reference).options(
            joinedload(Tender.category), joinedload(Tender.decision), _lot_options(),
            selectinload(Tender.documents).joinedload(TenderDocument.file),
            selectinload(Tender.amendments),
            selectinload(Tender.questions).options(selectinload(Question.lots), joinedload(Question.section)),
            selectinload(Tender.sections))
    ).unique().one_or_none()


def published_clarifications(session: Session, tender: Tender) -> list[Clarification]:
    return session.scalars(select(Clarification).where(
        Clarification.tender_id == tender.id, Clarification.is_published.is_(True)
    ).order_by(Clarification.answered_at)).all()


def officer_tenders(session: Session) -> list[Tender]:
    return session.scalars(select(Tender).options(joinedload(Tender.category))
                           .order_by(Tender.created_at.desc())).unique().all()



