"""Making a release when its notice is published.

Each verb builds the release from the data as it stands at that moment, in the same
transaction as the notice, and stores it; it is never rebuilt or changed (the model
refuses updates). The release id comes from the event, so publishing the same event
again returns the release already stored, unchanged: a retried request, a second
worker or the backfill command cannot make a duplicate or a different version.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal import db
from portal.agreements.models import Agreement
from portal.awards.models import AwardNotice
from portal.tenders.models import Amendment, Tender, TenderStatus
from portal.transparency.ocds import build
from portal.transparency.ocds.models import OcdsRelease


def _publish(
    session: Session, tender: Tender, kind: str, number: int, when: datetime, make: Callable[[], dict]
) -> OcdsRelease:
    release_id = build.release_id_of(tender, kind, number)
    existing = session.scalar(select(OcdsRelease).where(OcdsRelease.release_id == release_id))
    if existing is not None:
        return existing
    data = make()
    release = OcdsRelease(
        release_id=release_id, ocid=data["ocid"], tender_id=tender.id, kind=kind, date=when, data=data
    )
    try:
        with db.savepoint(session):
            session.add(release)
            session.flush()
    except IntegrityError:  # the same event published at the same moment elsewhere: theirs stands
        return session.scalar(select(OcdsRelease).where(OcdsRelease.release_id == release_id))
    return release


def tender_published(session: Session, tender: Tender) -> OcdsRelease:
    """The tender notice (UK4)."""
    return _publish(session, tender, "tender", 1, tender.published_at, lambda: build.tender_release(tender))


def tender_amended(session: Session, tender: Tender, amendment: Amendment) -> OcdsRelease:
    """A published amendment to an open tender."""
    return _publish(
        session,
        tender,
        "amendment",
        amendment.number,
        amendment.published_at,
        lambda: build.amendment_release(tender, amendment),
    )


def tender_cancelled(session: Session, tender: Tender) -> OcdsRelease:
    """The procurement termination notice (UK12) of a tender that had been published."""
    return _publish(session, tender, "cancellation", 1, tender.cancelled_at, lambda: build.cancellation_release(tender))


def award_notice_published(session: Session, tender: Tender, notice: AwardNotice) -> OcdsRelease:
    """The contract award notice (UK6)."""
    return _publish(
        session, tender, "award", 1, notice.published_at, lambda: build.award_release(session, tender, notice)
    )


def contracts_entered(session: Session, tender: Tender, notice: AwardNotice, agreements) -> OcdsRelease:
    """The contract details notice (UK7)."""
    return _publish(
        session,
        tender,
        "contract",
        1,
        notice.contracts_entered_at,
        lambda: build.contract_release(session, tender, notice, agreements),
    )


def publish_missing(session: Session) -> int:
    """Make the releases of notices published before open data existed (an upgraded
    portal, demo data written straight to the tables). They are built from the data as
    it is now, so a tender amended since shows its amended terms in its first release;
    releases made at their event are never touched. Returns how many were made."""
    before = session.scalar(select(OcdsRelease.id).order_by(OcdsRelease.id.desc()).limit(1)) or 0
    tenders = session.scalars(
        select(Tender).where(Tender.status != TenderStatus.DRAFT, Tender.published_at.is_not(None)).order_by(Tender.id)
    ).all()
    notices = {n.tender_id: n for n in session.scalars(select(AwardNotice))}
    for tender in tenders:
        tender_published(session, tender)
        for amendment in tender.amendments:
            tender_amended(session, tender, amendment)
        if tender.status is TenderStatus.CANCELLED:
            tender_cancelled(session, tender)
        notice = notices.get(tender.id)
        if notice is not None:
            award_notice_published(session, tender, notice)
            if notice.contracts_entered_at is not None:
                agreements = session.scalars(
                    select(Agreement).where(Agreement.awarded_from_tender_id == tender.id)
                ).all()
                contracts_entered(session, tender, notice, agreements)
    return session.scalar(select(func.count(OcdsRelease.id)).where(OcdsRelease.id > before))
