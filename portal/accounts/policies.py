"""Who may manage council staff accounts."""

from __future__ import annotations

from portal.accounts.models import Role

STAFF_ADMIN_ROLES = (Role.ADMIN,)


def can_manage_staff(user) -> bool:
    """Administrators, and no one else, create staff accounts and change their roles.

    Refuses everyone signed out and every other role (providers, officers, evaluators).
    """
    return bool(user.is_authenticated and user.role in STAFF_ADMIN_ROLES)
