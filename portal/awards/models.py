"""What the award records: each lot's decision and its winners, each bidder's
assessment summary, and the tender's award notice with its standstill and the
contracts entered after it."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import JSON

from portal.bids.models import Bid
from portal.clock import now as clock_now
from portal.db import Base, UtcDateTime, enum_type


class LotAwardStatus(enum.Enum):
    PROPOSED = "Proposed"
    APPROVED = "Approved"


class Outcome(enum.Enum):
    """A bidder's outcome in one lot, as its assessment summary says."""

    AWARDED = "Successful"
    NOT_AWARDED = "Not successful"
    FAILED_SELECTION = "Did not pass selection"
    BELOW_THRESHOLD = "Below a minimum score"
    NO_AWARD = "No award was made"


award_winner = Table(
    "award_winner",
    Base.metadata,
    Column("lot_award_id", ForeignKey("lot_award.id", ondelete="CASCADE"), primary_key=True),
    Column("bid_id", ForeignKey("bid.id", ondelete="RESTRICT"), primary_key=True),
)


class LotAward(Base):
    """The award decision for one lot: the bids awarded (or no award, with the
    reason), proposed by one officer and approved by a different one."""

    __tablename__ = "lot_award"
    __table_args__ = (
        CheckConstraint("approved_by_id IS NULL OR approved_by_id <> proposed_by_id", name="two_officers"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id", ondelete="CASCADE"), unique=True)
    status: Mapped[LotAwardStatus] = mapped_column(enum_type(LotAwardStatus, "lot_award_status"))
    is_no_award: Mapped[bool] = mapped_column(default=False)
    no_award_reason: Mapped[str] = mapped_column(Text, default="")
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    proposed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock_now)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decision.id", ondelete="SET NULL"))

    winners: Mapped[list[Bid]] = relationship(secondary=award_winner, order_by=Bid.id)


class AssessmentSummary(Base):
    """What one bidder is told about its bid in one lot (s.50 of the Procurement Act
    2023, reg 31): every criterion with its weighting, the scores available, its
    score and explanation, its totals, and for an unsuccessful bid the winner's.

    ``content`` is written from the evaluation when the summaries are prepared;
    the officer may reword explanations (``content`` changes, scores never do).
    Summaries are private: never published, never in open data.
    """

    __tablename__ = "assessment_summary"
    __table_args__ = (UniqueConstraint("lot_id", "bid_id", name="uq_assessment_summary_bid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id", ondelete="CASCADE"))
    bid_id: Mapped[int] = mapped_column(ForeignKey("bid.id", ondelete="RESTRICT"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    outcome: Mapped[Outcome] = mapped_column(enum_type(Outcome, "award_outcome"))
    content: Mapped[dict] = mapped_column(JSON)
    prepared_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock_now)
    edited_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class AwardNotice(Base):
    """The tender's contract award notice (UK6) and what follows it: the
    standstill (computed in working days, never typed), the contracts entered
    after it and the contract details notice (UK7) that is then due."""

    __tablename__ = "award_notice"
    __table_args__ = (CheckConstraint("standstill_days IS NULL OR standstill_days >= 1", name="standstill_days"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), unique=True)
    published_at: Mapped[datetime] = mapped_column(UtcDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    is_voluntary_standstill: Mapped[bool] = mapped_column(default=False)
    standstill_days: Mapped[int | None]  # None: no standstill (a light touch contract may choose none)
    standstill_ends_on: Mapped[date | None] = mapped_column(Date)
    contracts_entered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    contracts_entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    details_notice_due_on: Mapped[date | None] = mapped_column(Date)
    details_notice_published_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
