"""Demo: procurements at the stages the other demos do not reach, so that the open data
shows every kind of release a newcomer might look for.

- KCC-DCS-SB-A, after-school short breaks: evaluated, awarded (the award notice, UK6),
  and its contracts entered once the standstill ended (the contract details notice, UK7).
- KCC-DCS-SB-X, weekend short breaks: published, amended (its deadline extended), then
  cancelled (the procurement termination notice, UK12).

Both go through the services exactly as officers would, so their releases are made by
the same code as in real use. Loaded once each (matched by reference).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.models import Role
from portal.awards import contracts, decisions, notice, summaries
from portal.awards import demo_data as award_demo
from portal.dates import LONDON
from portal.db import backdated
from portal.evaluation.demo_data import _at, _build_tender, _staff, opened_tender
from portal.tenders import lifecycle
from portal.tenders import services as tender_services
from portal.tenders.models import Tender

AWARDED = ("KCC-DCS-SB-A", "After-school short breaks for disabled children")
CANCELLED = ("KCC-DCS-SB-X", "Weekend short breaks for disabled children")


def load(session: Session, now: datetime) -> int:
    """Create the two tenders that are missing; returns how many were created."""
    return _awarded_with_contracts(session, now) + _amended_then_cancelled(session, now)


def _awarded_with_contracts(session: Session, now: datetime) -> int:
    tender = opened_tender(session, now, *AWARDED, days_closed=70)
    if tender is None:
        return 0
    award_demo.evaluate(session, tender)
    lead, second = _staff(session, Role.OFFICER)[:2]
    decided = tender.evaluation_started_at + timedelta(days=10)
    with backdated(session):
        for lot in tender.lots:
            ranked = [result.bid_id for result in decisions.ranking(session, lot) if result.rank is not None]
            winners = ranked[: lot.max_providers]
            award = decisions.propose(
                session, lead, tender, lot, winners, "" if winners else "No bid reached the quality threshold.", decided
            )
            decisions.approve(session, second, tender, award, None, decided + timedelta(hours=2))
        summaries.prepare(session, lead, tender, decided + timedelta(days=1))
        summaries.send(session, lead, tender, decided + timedelta(days=1, hours=1))
        published = notice.publish(session, lead, tender, decided + timedelta(days=2))
        entered_on = contracts.first_contract_day(published)
        contracts.enter(
            session,
            lead,
            tender,
            date(tender.contract_start_date.year + 3, 3, 31),
            _at(entered_on, 10),
        )
    return 1


def _amended_then_cancelled(session: Session, now: datetime) -> int:
    reference, title = CANCELLED
    if session.scalar(select(Tender.id).where(Tender.reference == reference)):
        return 0
    officers = _staff(session, Role.OFFICER)
    if not officers:
        return 0
    lead = officers[0]
    today = now.astimezone(LONDON).date()
    published = _at(today - timedelta(days=12), 9)
    tender = _build_tender(session, lead, _at(today + timedelta(days=16), 12), reference, title)
    tender_services.record_conflicts_assessment(
        session, lead, tender, "No officer on this procurement has declared an interest.", published
    )
    with backdated(session):
        lifecycle.publish(session, lead, tender, published)
        lifecycle.amend(
            session,
            lead,
            tender,
            "Providers asked for more time to arrange weekend staffing before bidding.",
            {"submission_deadline": tender.submission_deadline + timedelta(days=7)},
            published + timedelta(days=4),
        )
        lifecycle.cancel(
            session,
            lead,
            tender,
            "The weekend short breaks will be added as a lot of the Disabled Children's Services framework instead, "
            "so that one procurement covers them.",
            published + timedelta(days=9),
        )
    return 1
