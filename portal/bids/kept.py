"""What was typed when a session ended: kept, until its author confirms it.

A save that arrives once its author's session has ended (see
``portal/bids/views/answers.py``) is kept here against the key of the browser
it was typed in (a digest; the key itself is in that browser's cookie and
session: ``portal/bids/views/draft_tokens.py``). It is offered back only to
that author, signed in again in that browser, within ``KEEP_TYPED_TEXT_FOR``,
and applied only when they confirm it, through the usual save (so a
colleague's newer text is still a conflict). Nothing kept is applied on its own.
"""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.bids.models import PendingSave

# How long a question page's draft token lasts, and what it kept is offered back: an hour's
# session and the time to type a long answer, not days.
KEEP_TYPED_TEXT_FOR = timedelta(hours=4)


def stash(
    session: Session,
    user_id: int,
    bid_id: int,
    question_id: int | None,
    data: dict,
    token: str,
    browser_key: str,
    now: datetime,
) -> None:
    """Keep a save that arrived after the session ended, for its author to
    confirm after signing in again, in the browser holding ``browser_key``."""
    session.add(
        PendingSave(
            token=token,
            user_id=user_id,
            bid_id=bid_id,
            question_id=question_id,
            data={**data, "browser_key": browser_key},
            created_at=now,
        )
    )
    session.flush()


def find_pending(
    session: Session, user: User, token: str, bid_id: int, question_id: int, browser_keys: set[str], now: datetime
) -> PendingSave | None:
    """The save kept under ``token`` for this user and this question, if it was
    kept in a browser holding one of ``browser_keys`` less than
    ``KEEP_TYPED_TEXT_FOR`` ago and is not yet used or discarded; else None
    (another user's, another browser's, another page's, or stale: then nothing
    is shown and nothing written)."""
    pending = session.scalar(
        select(PendingSave).where(
            PendingSave.token == token,
            PendingSave.user_id == user.id,
            PendingSave.bid_id == bid_id,
            PendingSave.question_id == question_id,
            PendingSave.applied_at.is_(None),
        )
    )
    if pending is None or pending.created_at <= now - KEEP_TYPED_TEXT_FOR:
        return None
    kept_in = (pending.data or {}).get("browser_key")
    if not isinstance(kept_in, str) or not any(hmac.compare_digest(kept_in, key) for key in browser_keys):
        return None
    return pending


def take_pending(
    session: Session, user: User, token: str, bid_id: int, question_id: int, browser_keys: set[str], now: datetime
) -> PendingSave | None:
    """As ``find_pending``, and marked as used (applied, or discarded by its
    author), so it is offered only once."""
    pending = find_pending(session, user, token, bid_id, question_id, browser_keys, now)
    if pending is not None:
        pending.applied_at = now
    return pending
