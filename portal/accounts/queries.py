"""What other domains read about accounts."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from portal.accounts.models import Role, User

# The table's own columns: the rules below also go into statements of plain columns
# (``bids.queries``), which mapped attributes would turn into ORM statements.
_users = User.__table__.c


def is_active_verified() -> ColumnElement[bool]:
    """The people who can act and be written to: not removed, address confirmed."""
    return _users.deactivated_at.is_(None) & _users.email_verified_at.is_not(None)


def is_active_member_of(organisation_id) -> ColumnElement[bool]:
    """An organisation's people who are written to about its work (its providers, active
    and verified); ``organisation_id`` a value or a bound parameter."""
    return (_users.organisation_id == organisation_id) & (_users.role == Role.PROVIDER) & is_active_verified()


# Built once, with a bound parameter: withdrawals, clarifications, tender and agreement
# notices email them (a submission reads them with the bid: ``bids.queries.bid_to_submit``).
_ACTIVE_EMAILS = select(User.email).where(is_active_member_of(bindparam("organisation_id"))).order_by(User.email)


def active_emails(session: Session, organisation_id: int) -> list[str]:
    """The addresses of an organisation's active, verified people, in order."""
    return list(session.scalars(_ACTIVE_EMAILS, {"organisation_id": organisation_id}))
