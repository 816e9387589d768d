"""Agreements made by an award: when a tender's contracts are entered, each
awarded (lot, provider) becomes an agreement in the register, and each agreement
the tender replaces is marked replaced (by the provider's own new agreement, when
it won one). The awards domain calls these verbs; agreements never import awards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.agreements.models import Agreement, AgreementDeliveryMode, DeliveryMode
from portal.audit.services import record
from portal.errors import RuleViolation
from portal.providers.models import District


@dataclass(frozen=True)
class AwardedPlace:
    """One awarded (lot, provider), as the award describes it."""

    reference: str
    organisation_id: int
    service_name: str
    category_id: int
    annual_value_pence: int
    district_ids: list[int]
    modes: list[DeliveryMode]


def create_awarded(
    session: Session,
    actor: User,
    tender_id: int,
    places: list[AwardedPlace],
    start_date: date,
    end_date: date,
    now: datetime,
) -> list[Agreement]:
    """Add an agreement for each awarded place, then mark the agreements the tender
    replaces as replaced. Returns the new agreements.

    Raises:
        RuleViolation: the end date is not after the start date; a reference already used.
    """
    if end_date <= start_date:
        raise RuleViolation("end_date", "The contracts must end after they start")
    references = [p.reference for p in places]
    if session.scalar(select(Agreement.id).where(Agreement.reference.in_(references)).limit(1)):
        raise RuleViolation(None, "These contracts have already been entered in the register")
    districts = {d.id: d for d in session.scalars(select(District))}
    created = []
    for place in places:
        agreement = Agreement(
            reference=place.reference,
            organisation_id=place.organisation_id,
            service_name=place.service_name[:200],
            category_id=place.category_id,
            annual_value_pence=place.annual_value_pence,
            start_date=start_date,
            original_end_date=end_date,
            end_date=end_date,
            awarded_from_tender_id=tender_id,
            districts=[districts[i] for i in place.district_ids if i in districts],
            delivery_mode_rows=[AgreementDeliveryMode(mode=mode) for mode in place.modes],
        )
        session.add(agreement)
        created.append(agreement)
    session.flush()
    new_by_organisation = {}
    for agreement in created:
        new_by_organisation.setdefault(agreement.organisation_id, agreement)
    replaced = list(
        session.scalars(
            select(Agreement).where(Agreement.replacement_tender_id == tender_id, Agreement.replaced_at.is_(None))
        )
    )
    for old in replaced:
        old.replaced_at = now
        successor = new_by_organisation.get(old.organisation_id)
        old.replaced_by_id = successor.id if successor else None
    session.flush()
    record(
        session,
        actor,
        "agreement.awarded",
        None,
        tender_id=tender_id,
        agreement_ids=[a.id for a in created],
        replaced_ids=[a.id for a in replaced],
    )
    return created
