"""What the decisions pages read, in a fixed number of queries, selecting the columns shown."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import bindparam, func, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from portal.decisions.models import Decision
from portal.pagination import Page

PAGE_SIZE = 25

# Built once: only the page's limit and offset change.
_COUNT = select(func.count(Decision.id))
_PAGE = (
    select(
        Decision.id,
        Decision.number,
        Decision.title,
        Decision.decision_maker,
        Decision.status,
        Decision.decision_date,
    )
    .order_by(Decision.decision_date.desc(), Decision.id.desc())
    .limit(bindparam("size"))
    .offset(bindparam("offset"))
)


def register_page(session: Session, number: int = 1) -> tuple[list[Row], Page]:
    """One page of the register, newest decision first (a page past the last shows the
    last), as rows of the columns the list shows; two queries whatever the number."""
    page = Page(number, PAGE_SIZE, session.scalar(_COUNT))
    page = replace(page, number=min(page.number, page.count))
    return session.execute(_PAGE, {"size": page.size, "offset": page.offset}).all(), page
