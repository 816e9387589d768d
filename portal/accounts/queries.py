"""What other domains read about accounts."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from portal.accounts.models import Role, User


def is_active_verified() -> ColumnElement[bool]:
    """The people who can act and be written to: not removed, address confirmed."""
    return User.deactivated_at.is_(None) & User.email_verified_at.is_not(None)


# Built once, with a bound parameter: every submission and withdrawal emails them.
_ACTIVE_EMAILS = (
    select(User.email)
    .where(User.organisation_id == bindparam("organisation_id"), User.role == Role.PROVIDER, is_active_verified())
    .order_by(User.email)
)


def active_emails(session: Session, organisation_id: int) -> list[str]:
    """The addresses of an organisation's active, verified people, in order."""
    return list(session.scalars(_ACTIVE_EMAILS, {"organisation_id": organisation_id}))
