"""Entering the contracts once the standstill has ended: each awarded (lot,
provider) becomes an agreement in the register, the agreements the tender
replaces are marked replaced, and the contract details notice (UK7) falls due:
within 30 days, or 120 for a light touch contract (s.53)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.agreements.awarded import AwardedPlace, create_awarded
from portal.agreements.models import Agreement
from portal.audit.services import record
from portal.awards.models import AwardNotice, LotAward
from portal.awards.policies import require_officer
from portal.awards.signals import contracts_entered
from portal.bids.models import Bid
from portal.dates import london_today
from portal.errors import RuleViolation
from portal.filters import format_date
from portal.tenders.models import Lot, Tender

DETAILS_NOTICE_DAYS = 30
DETAILS_NOTICE_DAYS_LIGHT_TOUCH = 120


def first_contract_day(notice: AwardNotice) -> date | None:
    """The first day contracts may be entered: the day after the standstill ends."""
    return notice.standstill_ends_on + timedelta(days=1) if notice.standstill_ends_on else None


@dataclass(frozen=True)
class AwardedBid:
    """One winner of one lot: the reference its contract (and its agreement) carries,
    and its price for the lot."""

    reference: str  # the agreement's, cut to the register's 40 characters
    lot: Lot
    bid: Bid
    annual_price_pence: int
    award_id: str  # the same, uncut: unique within the tender however long its reference


def awarded_bids(session: Session, tender: Tender) -> list[AwardedBid]:
    """Every awarded (lot, bid), lot by lot, numbered within the lot in bid order:
    the one numbering that agreements, contracts and open data all use."""
    awards = {a.lot_id: a for a in session.scalars(select(LotAward).where(LotAward.tender_id == tender.id))}
    found = []
    for lot in tender.lots:
        award = awards.get(lot.id)
        if award is None or award.is_no_award:
            continue
        for n, bid in enumerate(sorted(award.winners, key=lambda b: b.id), start=1):
            content = bid.submissions[-1].content if bid.submissions else {}
            price = next((item["price_pence"] for item in content.get("lots", []) if item["lot_id"] == lot.id), 0)
            award_id = f"{tender.reference}-L{lot.number}-{n:02d}"
            found.append(AwardedBid(award_id[:40], lot, bid, price or 0, award_id))
    return found


def places(session: Session, tender: Tender) -> list[AwardedPlace]:
    """Every awarded (lot, provider), with what its agreement will hold."""
    return [
        AwardedPlace(
            reference=awarded.reference,
            organisation_id=awarded.bid.organisation_id,
            service_name=f"{tender.title}: lot {awarded.lot.number}, {awarded.lot.title}",
            category_id=tender.category_id,
            annual_value_pence=awarded.annual_price_pence,
            district_ids=[d.id for d in awarded.lot.districts],
            modes=list(awarded.lot.delivery_modes),
        )
        for awarded in awarded_bids(session, tender)
    ]


def enter(session: Session, officer: User, tender: Tender, end_date: date | None, now: datetime) -> list[Agreement]:
    """Enter the awarded contracts as agreements starting on the tender's contract start date.

    Raises:
        RuleViolation: not an officer; no award notice; the standstill not yet
            over; already entered; no contract start date; an end date missing
            or not after the start.
    """
    require_officer(officer)
    notice = session.scalar(select(AwardNotice).where(AwardNotice.tender_id == tender.id))
    if notice is None:
        raise RuleViolation(None, "Publish the award notice first")
    today = london_today(now)
    first_day = first_contract_day(notice)
    if first_day and today < first_day:
        raise RuleViolation(
            None,
            f"The standstill ends at the end of {format_date(notice.standstill_ends_on)}: contracts can be entered "
            f"from {format_date(first_day)}",
        )
    if tender.contract_start_date is None:
        raise RuleViolation(None, "The tender has no contract start date")
    if end_date is None:
        raise RuleViolation("end_date", "Enter the date the contracts end")
    claimed = session.execute(
        update(AwardNotice)
        .where(AwardNotice.id == notice.id, AwardNotice.contracts_entered_at.is_(None))
        .values(contracts_entered_at=now, contracts_entered_by_id=officer.id)
    )
    if claimed.rowcount != 1:
        raise RuleViolation(None, "The contracts have already been entered")
    session.expire(notice)
    created = create_awarded(
        session, officer, tender.id, places(session, tender), tender.contract_start_date, end_date, now
    )
    days = DETAILS_NOTICE_DAYS_LIGHT_TOUCH if tender.is_light_touch else DETAILS_NOTICE_DAYS
    # "within 30 days beginning with the day" the contracts are entered: that day is the first of them.
    notice.details_notice_due_on = today + timedelta(days=days - 1)
    session.flush()
    record(
        session,
        officer,
        "award.contracts_entered",
        notice,
        tender_id=tender.id,
        agreement_ids=[a.id for a in created],
        details_notice_due_on=notice.details_notice_due_on.isoformat(),
    )
    contracts_entered.send(tender, session=session, now=now, notice=notice, agreements=created)
    return created


def record_details_notice(session: Session, officer: User, notice: AwardNotice, now: datetime) -> None:
    """The contract details notice has been published (on the central platform).

    Raises:
        RuleViolation: not an officer; the contracts not yet entered; already recorded.
    """
    require_officer(officer)
    if notice.contracts_entered_at is None:
        raise RuleViolation(None, "Enter the contracts first")
    if notice.details_notice_published_at is not None:
        raise RuleViolation(None, "The contract details notice has already been recorded")
    notice.details_notice_published_at = now
    session.flush()
    record(session, officer, "award.details_notice_published", notice, tender_id=notice.tender_id)


def details_notices_due(session: Session, today: date) -> list[tuple[AwardNotice, Tender, bool]]:
    """Contract details notices not yet published: (notice, tender, overdue), soonest due first."""
    rows = session.execute(
        select(AwardNotice, Tender)
        .join(Tender, Tender.id == AwardNotice.tender_id)
        .where(AwardNotice.contracts_entered_at.is_not(None), AwardNotice.details_notice_published_at.is_(None))
        .order_by(AwardNotice.details_notice_due_on)
    ).all()
    return [(notice, tender, notice.details_notice_due_on < today) for notice, tender in rows]
