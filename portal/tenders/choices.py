"""The category and district lists the tender forms offer, built in one place.

Values are ids (``text_values`` for a field that keeps what was sent as text,
as the opportunities filter does); an optional ``placeholder`` comes first
with the empty value.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.agreements.models import ServiceCategory
from portal.forms import choices
from portal.providers.models import District


def category_choices(session: Session, placeholder: str | None = None, text_values: bool = False) -> list:
    """Service categories by name."""
    return _choices(
        session.execute(select(ServiceCategory.id, ServiceCategory.name).order_by(ServiceCategory.name)),
        placeholder,
        text_values,
    )


def district_choices(session: Session, placeholder: str | None = None, text_values: bool = False) -> list:
    """The council's districts by name."""
    return _choices(
        session.execute(select(District.id, District.name).order_by(District.name)), placeholder, text_values
    )


def _choices(rows, placeholder: str | None, text_values: bool) -> list:
    pairs = [(str(row_id) if text_values else row_id, name) for row_id, name in rows]
    return choices([("", placeholder), *pairs] if placeholder is not None else pairs)
