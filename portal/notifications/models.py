from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import now
from portal.db import Base, UtcDateTime


class OutgoingEmail(Base):
    """An email queued in the same transaction as the change it reports.

    The worker (``flask jobs run``) sends it after the commit. One that failed
    stays unsent with ``next_attempt_at`` pushed back, so a mail server outage
    loses nothing and slows no one down.
    """

    __tablename__ = "outgoing_email"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body_text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
