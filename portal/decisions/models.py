from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import now as clock_now
from portal.db import Base, UtcDateTime


class Decision(Base):
    """An executive decision, as the council publishes it (e.g. 22/00094)."""

    __tablename__ = "decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    decision_maker: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(80))
    is_key_decision: Mapped[bool] = mapped_column(default=False)
    is_subject_to_call_in: Mapped[bool] = mapped_column(default=False)
    is_urgent: Mapped[bool] = mapped_column(default=False)
    is_exempt: Mapped[bool] = mapped_column(default=False)
    lead_officer: Mapped[str | None] = mapped_column(String(120))
    division: Mapped[str | None] = mapped_column(String(120))
    reasons: Mapped[str] = mapped_column(Text)
    decision_text: Mapped[str] = mapped_column(Text)
    decision_date: Mapped[date] = mapped_column(Date)
    publication_date: Mapped[date] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock_now)

    documents: Mapped[list[DecisionDocument]] = relationship(
        cascade="all, delete-orphan", order_by="DecisionDocument.id"
    )


class DecisionDocument(Base):
    __tablename__ = "decision_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decision.id", ondelete="CASCADE"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(200))

    file: Mapped[StoredFile] = relationship()  # noqa: F821
