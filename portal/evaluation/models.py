"""What evaluation records: who is on each lot's panel, what they declared, the
pass or fail decisions, every individual score, the moderated scores and each
lot's results.

Individual scores are never changed once their evaluator submits them; the
moderated score sits beside them, so both stay on record (s.98 of the
Procurement Act 2023: records that explain each material decision).
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.clock import now as clock_now
from portal.db import Base, UtcDateTime, enum_type
from portal.tenders.models import Lot, Question

SCALE_TOP = 5  # scores run from 0 to 5, each with the descriptor the tender published
SCORE_REQUIRED = "Select a score from 0 to 5"


class PanelRole(enum.Enum):
    QUALITY = "Quality evaluator"
    PRICE = "Price evaluator"


class LotEvaluationStatus(enum.Enum):
    SCORING = "Scoring"
    MODERATION = "Moderation"
    COMPLETE = "Complete"


panel_member_question = Table(
    "panel_member_question",
    Base.metadata,
    Column("panel_member_id", ForeignKey("panel_member.id", ondelete="CASCADE"), primary_key=True),
    Column("question_id", ForeignKey("question.id", ondelete="CASCADE"), primary_key=True),
)


class PanelMember(Base):
    """Someone appointed to evaluate one lot: quality (every quality question of the
    lot, or the questions listed) or price.

    ``submitted_at`` is when a quality evaluator submitted their scores (they are
    locked from then), or when the price evaluator confirmed the prices checked.
    """

    __tablename__ = "panel_member"
    __table_args__ = (UniqueConstraint("lot_id", "user_id", "role", name="uq_panel_member_lot_user_role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"), index=True)
    role: Mapped[PanelRole] = mapped_column(enum_type(PanelRole, "panel_role"))
    appointed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    appointed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock_now)
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    lot: Mapped[Lot] = relationship()
    questions: Mapped[list[Question]] = relationship(secondary=panel_member_question, order_by=Question.position)


class ConflictDeclaration(Base):
    """One evaluator's answer, for one tender, about one bidding organisation:
    whether they have any interest in it (personal, professional or financial,
    direct or indirect: s.81). An interest removes them from that bid; the
    officer records how the conflict is handled."""

    __tablename__ = "conflict_declaration"
    __table_args__ = (
        UniqueConstraint("tender_id", "user_id", "organisation_id", name="uq_conflict_declaration_user_organisation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    has_interest: Mapped[bool]
    details: Mapped[str] = mapped_column(Text, default="")
    declared_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock_now)
    handling: Mapped[str | None] = mapped_column(Text)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    handled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class SelectionDecision(Base):
    """An officer's decision on a pass or fail answer that did not match the
    answer that passes: the failure upheld (the bid goes no further) or
    overridden, each with its reason (kept for the bidder's feedback)."""

    __tablename__ = "selection_decision"
    __table_args__ = (UniqueConstraint("submission_id", "question_id", name="uq_selection_decision_answer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="RESTRICT"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="RESTRICT"))
    is_upheld: Mapped[bool]
    reason: Mapped[str] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock_now)


class Score(Base):
    """One evaluator's score for one answer of one submitted bid.

    Tied to the immutable submission (its id and the SHA-256 of its content as
    scored), never the draft. ``locked_at`` is set when the evaluator submits
    their scores; a locked score is never changed.
    """

    __tablename__ = "score"
    __table_args__ = (
        UniqueConstraint("evaluator_id", "question_id", "submission_id", name="uq_score_evaluator_answer"),
        CheckConstraint(f"score >= 0 AND score <= {SCALE_TOP}", name="score_on_scale"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="RESTRICT"), index=True)
    submission_sha256: Mapped[str] = mapped_column(String(64))
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="RESTRICT"))
    evaluator_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"), index=True)
    score: Mapped[int]
    explanation: Mapped[str] = mapped_column(Text)
    improvement: Mapped[str] = mapped_column(Text, default="")
    saved_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock_now)
    locked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ModeratedScore(Base):
    """The panel's agreed score for one answer, recorded by the moderator, with
    the reason (required where it differs from any individual score)."""

    __tablename__ = "moderated_score"
    __table_args__ = (
        UniqueConstraint("submission_id", "question_id", name="uq_moderated_score_answer"),
        CheckConstraint(f"score >= 0 AND score <= {SCALE_TOP}", name="score_on_scale"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="RESTRICT"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="RESTRICT"))
    score: Mapped[int]
    reason: Mapped[str] = mapped_column(Text, default="")
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    moderated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock_now)


class LotEvaluation(Base):
    """Where one lot's evaluation stands: scoring, then moderation, then complete
    (the results below recorded and the ranking fixed)."""

    __tablename__ = "lot_evaluation"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id", ondelete="CASCADE"), unique=True)
    status: Mapped[LotEvaluationStatus] = mapped_column(
        enum_type(LotEvaluationStatus, "lot_evaluation_status"), default=LotEvaluationStatus.SCORING
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock_now)
    moderation_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class LotResult(Base):
    """A bid's result in one lot, recorded when the lot's evaluation is completed:
    its weighted quality score, price score, total and rank, or why it went no
    further. Figures are recorded as shown: 2 decimal places, rounded half up from
    the exact figures the ranking was decided on."""

    __tablename__ = "lot_result"
    __table_args__ = (UniqueConstraint("lot_id", "bid_id", name="uq_lot_result_bid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id", ondelete="CASCADE"), index=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bid.id", ondelete="RESTRICT"))
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="RESTRICT"))
    quality_percent: Mapped[Decimal | None] = mapped_column(Numeric(9, 4))
    quality_score: Mapped[Decimal | None] = mapped_column(Numeric(9, 4))
    price_pence: Mapped[int | None] = mapped_column(BigInteger)
    price_score: Mapped[Decimal | None] = mapped_column(Numeric(9, 4))
    total_score: Mapped[Decimal | None] = mapped_column(Numeric(9, 4))
    rank: Mapped[int | None]
    is_eligible: Mapped[bool]
    reason: Mapped[str] = mapped_column(Text, default="")
