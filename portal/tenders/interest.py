"""Who hears about a tender: organisations that registered interest, and
providers whose alert choices match it when it is published."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from portal.accounts.models import Role, User
from portal.accounts.queries import is_active_verified
from portal.audit.services import record
from portal.errors import RuleViolation
from portal.links import external_url
from portal.notifications.services import queue_email
from portal.tenders.models import Interest, Tender, TenderStatus, alert_category, alert_district, lot_district
from portal.tenders.public_policies import is_open_for_bids


def register_interest(session: Session, user: User, tender: Tender, now: datetime | None = None) -> Interest:
    """Register the user's organisation's interest (once: a second time returns the first).

    Raises:
        RuleViolation: the user is not a provider, or the tender is not open
            (not published, or, when ``now`` is given, past its deadline).
    """
    if user.role is not Role.PROVIDER or user.organisation_id is None:
        raise RuleViolation(None, "Only providers can register interest")
    if tender.status is not TenderStatus.PUBLISHED or (now is not None and not is_open_for_bids(tender, now)):
        raise RuleViolation(None, "This opportunity is not open")
    existing = session.scalar(
        select(Interest).where(Interest.tender_id == tender.id, Interest.organisation_id == user.organisation_id)
    )
    if existing:
        return existing
    interest = Interest(tender_id=tender.id, organisation_id=user.organisation_id, registered_by_id=user.id)
    session.add(interest)
    session.flush()
    record(session, user, "tender.interest_registered", tender, organisation_id=user.organisation_id)
    return interest


def has_interest(session: Session, organisation_id: int | None, tender: Tender) -> bool:
    return bool(organisation_id) and bool(
        session.scalar(
            select(Interest.id).where(Interest.tender_id == tender.id, Interest.organisation_id == organisation_id)
        )
    )


def interested_users(session: Session, tender: Tender) -> list[User]:
    """Everyone able to act for an organisation that registered interest."""
    return list(
        session.scalars(
            select(User)
            .join(Interest, Interest.organisation_id == User.organisation_id)
            .where(Interest.tender_id == tender.id, is_active_verified())
            .order_by(User.id)
        )
    )


def set_alert_preferences(session: Session, user: User, category_ids: list[int], district_ids: list[int]) -> None:
    """Replace the user's alert choices (none of either means no alerts)."""
    session.execute(alert_category.delete().where(alert_category.c.user_id == user.id))
    session.execute(alert_district.delete().where(alert_district.c.user_id == user.id))
    if category_ids:
        session.execute(alert_category.insert(), [{"user_id": user.id, "category_id": c} for c in set(category_ids)])
    if district_ids:
        session.execute(alert_district.insert(), [{"user_id": user.id, "district_id": d} for d in set(district_ids)])
    record(
        session,
        user,
        "alerts.changed",
        user,
        category_ids=sorted(set(category_ids)),
        district_ids=sorted(set(district_ids)),
    )


def alert_preferences(session: Session, user: User) -> tuple[list[int], list[int]]:
    return (
        list(session.scalars(select(alert_category.c.category_id).where(alert_category.c.user_id == user.id))),
        list(session.scalars(select(alert_district.c.district_id).where(alert_district.c.user_id == user.id))),
    )


def matching_alert_users(session: Session, tender: Tender) -> list[User]:
    """Providers who asked for alerts matching this tender.

    A user matches when the tender's category is one they chose (or they chose
    no category) and one of its lots covers a district they chose (or they
    chose no district); a user who chose neither gets no alerts.
    """
    lot_ids = [lot.id for lot in tender.lots]
    chose_category = exists().where(alert_category.c.user_id == User.id)
    chose_district = exists().where(alert_district.c.user_id == User.id)
    category_ok = or_(
        ~chose_category,
        exists().where(alert_category.c.user_id == User.id, alert_category.c.category_id == tender.category_id),
    )
    district_ok = or_(
        ~chose_district,
        exists().where(
            alert_district.c.user_id == User.id,
            alert_district.c.district_id == lot_district.c.district_id,
            lot_district.c.lot_id.in_(lot_ids),
        ),
    )
    return list(
        session.scalars(
            select(User)
            .where(
                User.role == Role.PROVIDER,
                is_active_verified(),
                or_(chose_category, chose_district),
                category_ok,
                district_ok,
            )
            .order_by(User.id)
        )
    )


def alert_matching_providers(session: Session, tender: Tender) -> None:
    """Queue the new-opportunity email to every provider whose alerts match (on publication)."""
    tender_url = external_url("tenders.show", reference=tender.reference)
    for user in matching_alert_users(session, tender):
        queue_email(session, user.email, "tender_alert", tender=tender, tender_url=tender_url)
