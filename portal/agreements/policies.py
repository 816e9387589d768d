"""Who may see and change the agreements register and its notices."""

from __future__ import annotations

from portal.accounts.models import Role

REGISTER_ROLES = (Role.OFFICER, Role.ADMIN)


def can_manage_register(user) -> bool:
    """Procurement officers keep the register; administrators may help."""
    return user.is_authenticated and user.role in REGISTER_ROLES


def can_read_notice(user, notice) -> bool:
    """A provider sees only its own organisation's notices."""
    return (
        user.is_authenticated
        and user.role is Role.PROVIDER
        and user.organisation_id is not None
        and notice.organisation_id == user.organisation_id
    )
