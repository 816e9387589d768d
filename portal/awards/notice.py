"""The contract award notice (UK6) and its standstill (s.50–51): published only
after every assessment summary is sent; the standstill is 8 working days beginning
with the day of publication, computed (``portal.working_days``), never typed. A
light touch contract has no mandatory standstill: the officer chooses a voluntary
one (on by default, of the length they choose), which then binds."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal import db
from portal.accounts.models import User
from portal.audit.services import record
from portal.awards.models import AssessmentSummary, AwardNotice
from portal.awards.policies import require_officer
from portal.awards.signals import award_notice_published
from portal.dates import london_today
from portal.errors import RuleViolation
from portal.tenders.lifecycle import award as mark_awarded
from portal.tenders.models import Tender, TenderStatus
from portal.working_days import MANDATORY_STANDSTILL_DAYS, standstill_end

MAX_VOLUNTARY_DAYS = 30


def publish(
    session: Session,
    officer: User,
    tender: Tender,
    now: datetime,
    *,
    voluntary_standstill: bool = True,
    standstill_days: int | None = None,
) -> AwardNotice:
    """Publish the award notice and start the standstill; the tender is then awarded.

    For a light touch contract ``voluntary_standstill`` and ``standstill_days``
    (default 8) say whether there is one and how long; otherwise the mandatory
    8 working days apply and both are ignored.

    Raises:
        RuleViolation: not an officer; the tender not in evaluation; a summary
            not prepared or not sent; a voluntary standstill of less than 1 or
            more than 30 working days; already published.
    """
    require_officer(officer)
    if tender.status is not TenderStatus.EVALUATION:
        raise RuleViolation(None, f"This tender is {tender.status.value.lower()}: its award notice cannot be published")
    sent = list(session.scalars(select(AssessmentSummary.sent_at).where(AssessmentSummary.tender_id == tender.id)))
    if not sent or any(moment is None for moment in sent):
        raise RuleViolation(None, "Send every assessment summary before publishing the award notice")
    if tender.is_light_touch:
        chosen = MANDATORY_STANDSTILL_DAYS if standstill_days is None else standstill_days  # 0 is refused, not 8
        days = chosen if voluntary_standstill else None
        if days is not None and not 1 <= days <= MAX_VOLUNTARY_DAYS:
            raise RuleViolation(
                "standstill_days", f"The standstill must be from 1 to {MAX_VOLUNTARY_DAYS} working days"
            )
    else:
        days = MANDATORY_STANDSTILL_DAYS
    published_on = london_today(now)
    notice = AwardNotice(
        tender_id=tender.id,
        published_at=now,
        published_by_id=officer.id,
        is_voluntary_standstill=tender.is_light_touch and days is not None,
        standstill_days=days,
        standstill_ends_on=standstill_end(published_on, days) if days else None,
    )
    try:
        with db.savepoint(session):
            session.add(notice)
            session.flush()
    except IntegrityError:
        raise RuleViolation(None, "The award notice has already been published") from None
    mark_awarded(session, officer, tender, now)
    record(
        session,
        officer,
        "award.notice_published",
        notice,
        tender_id=tender.id,
        standstill_days=days,
        standstill_ends_on=notice.standstill_ends_on.isoformat() if notice.standstill_ends_on else None,
    )
    award_notice_published.send(tender, session=session, now=now, notice=notice)
    return notice
