from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import now as clock_now
from portal.db import Base, UtcDateTime


class AuditEvent(Base):
    """One change, who made it and when; written in the same transaction as the change.

    Each event is a link of a hash chain (portal/audit/chain.py): ``position`` is its
    place in the chain, ``hash`` a SHA-256 over its own fields and ``prev_hash``, the
    hash of the event before it. They are set as the transaction commits, so they are
    empty only between the event's first flush and that commit.
    """

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock_now)
    # RESTRICT, not SET NULL: the actor is one of the hashed fields, so deleting a user
    # would silently "change" every record they made. Accounts are deactivated, never
    # deleted; the database refuses a delete that would break the chain.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"), index=True)
    action: Mapped[str] = mapped_column(String(80))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None]
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    position: Mapped[int | None] = mapped_column(unique=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))


class AuditHead(Base):
    """The chain's head as published on a day: its position (how many records the chain
    then held) and hash. Once published a head never changes; copies kept outside the
    portal let ``flask audit verify`` catch the newest records being deleted."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    position: Mapped[int]
    hash: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock_now)
