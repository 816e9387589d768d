from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Enum,
    ForeignKey,
    String,
    Table,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import now as clock_now
from portal.db import Base, UtcDateTime
from portal.files import StoredFile
from portal.providers.models import Organisation
from portal.tenders.models import Lot, Question, Tender


class BidStatus(enum.Enum):
    DRAFT = "Draft"
    SUBMITTED = "Submitted"
    WITHDRAWN = "Withdrawn"


class Bid(Base):
    """One organisation's bid for one tender: a draft its people edit together,
    and the submissions made from it.

    ``revision`` counts changes to the draft: a submission records the revision
    it was made from, so a second click or a second tab submitting the same
    draft gets the same receipt, not a new version.
    """

    __tablename__ = "bid"
    __table_args__ = (UniqueConstraint("tender_id", "organisation_id", name="uq_bid_tender_organisation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="RESTRICT"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    status: Mapped[BidStatus] = mapped_column(
        Enum(BidStatus, native_enum=False, length=20, create_constraint=True, name="bid_status"),
        default=BidStatus.DRAFT,
    )
    revision: Mapped[int] = mapped_column(default=1)
    declarations_confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    declarations_confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock_now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock_now)
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    tender: Mapped[Tender] = relationship()
    organisation: Mapped[Organisation] = relationship()
    lots: Mapped[list[BidLot]] = relationship(cascade="all, delete-orphan", order_by="BidLot.lot_id")
    answers: Mapped[list[BidAnswer]] = relationship(cascade="all, delete-orphan", order_by="BidAnswer.question_id")
    attachments: Mapped[list[BidAttachment]] = relationship(cascade="all, delete-orphan", order_by="BidAttachment.id")
    submissions: Mapped[list[Submission]] = relationship(order_by="Submission.version")


class BidLot(Base):
    """A lot the bid is for, with the annual price offered for it (pence)."""

    __tablename__ = "bid_lot"
    __table_args__ = (CheckConstraint("price_pence IS NULL OR price_pence >= 0", name="price_not_negative"),)

    bid_id: Mapped[int] = mapped_column(ForeignKey("bid.id", ondelete="CASCADE"), primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id", ondelete="RESTRICT"), primary_key=True)
    price_pence: Mapped[int | None] = mapped_column(BigInteger)

    lot: Mapped[Lot] = relationship()


class BidAnswer(Base):
    """The draft answer to one question. ``version`` rises with each save, so a
    save made from an older version is a conflict, never a silent overwrite."""

    __tablename__ = "bid_answer"
    __table_args__ = (UniqueConstraint("bid_id", "question_id", name="uq_bid_answer_question"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bid.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="RESTRICT"))
    text: Mapped[str | None] = mapped_column(Text)
    yes_no: Mapped[bool | None]
    # False once saved with "Save and come back later": written but not finished, so the
    # task shows "In progress" and the bid cannot be submitted until it is saved as done.
    is_complete: Mapped[bool] = mapped_column(default=True, server_default=true())
    version: Mapped[int] = mapped_column(default=1)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock_now)

    question: Mapped[Question] = relationship()


class BidAttachment(Base):
    __tablename__ = "bid_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bid.id", ondelete="CASCADE"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(200))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock_now)

    file: Mapped[StoredFile] = relationship()


bid_evidence = Table(
    "bid_evidence",
    Base.metadata,
    Column("bid_id", ForeignKey("bid.id", ondelete="CASCADE"), primary_key=True),
    Column("evidence_id", ForeignKey("evidence.id", ondelete="RESTRICT"), primary_key=True),
)


class Submission(Base):
    """An immutable submitted version of a bid, with its receipt.

    ``content`` is the whole bid as submitted (answers, lots, prices, files by
    hash, evidence, declarations); ``sha256`` is over its canonical JSON.
    """

    __tablename__ = "submission"
    __table_args__ = (
        UniqueConstraint("bid_id", "version", name="uq_submission_version"),
        UniqueConstraint("bid_id", "from_revision", name="uq_submission_revision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bid.id", ondelete="RESTRICT"), index=True)
    version: Mapped[int]
    from_revision: Mapped[int]
    receipt_reference: Mapped[str] = mapped_column(String(80), unique=True)
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[dict] = mapped_column(JSON)


class BidOpening(Base):
    """An officer's confirmation that the bids may be opened; two different
    officers must confirm after the deadline."""

    __tablename__ = "bid_opening"
    __table_args__ = (UniqueConstraint("tender_id", "officer_id", name="uq_bid_opening_officer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    confirmed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PendingSave(Base):
    """What someone typed when their session had run out: kept until they sign
    in again and land back on the page, so no typing is lost."""

    __tablename__ = "pending_save"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bid.id", ondelete="CASCADE"))
    question_id: Mapped[int | None] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"))
    data: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock_now)
    applied_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
