"""Who may do what to an organisation and its people."""

from __future__ import annotations


def can_manage_colleagues(user, organisation) -> bool:
    """An organisation's own administrators, and no one else, manage its people.

    Refuses everyone signed out, staff, and the organisation's other members.
    """
    return bool(
        user.is_authenticated
        and user.organisation_id is not None
        and user.organisation_id == organisation.id
        and user.is_organisation_admin
    )


def can_remove(user, member) -> bool:
    """An organisation's administrator may remove its other members.

    Refuses removing oneself, and anyone outside the user's organisation.
    """
    return member.organisation is not None and can_manage_colleagues(user, member.organisation) and member.id != user.id


def can_change_details(user, organisation) -> bool:
    """An organisation's administrators change its details; its other members see them only.

    Refuses everyone signed out, staff, other organisations' people, and members who are not administrators.
    """
    return can_manage_colleagues(user, organisation)
