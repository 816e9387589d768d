"""Who may record the council's executive decisions (anyone may read them)."""

from __future__ import annotations

from portal.accounts.models import Role

RECORDING_ROLES = (Role.OFFICER, Role.ADMIN)


def can_record(user) -> bool:
    """Procurement officers record decisions and add their documents; administrators may help.

    Refuses everyone signed out, providers and evaluators.
    """
    return bool(user.is_authenticated and user.role in RECORDING_ROLES)
