"""Tenders: frameworks and contracts, their lots, questionnaires, documents,
amendments, interest, alerts and clarification questions."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.agreements.models import DeliveryMode, ServiceCategory
from portal.clock import now as clock_now
from portal.db import Base, UtcDateTime, enum_type
from portal.decisions.models import Decision
from portal.files import StoredFile
from portal.providers.models import District, Organisation


def _enum(cls, name, length=30):
    return enum_type(cls, name, length)


class TenderStatus(enum.Enum):
    DRAFT = "Draft"
    PUBLISHED = "Open for bids"
    CLOSED = "Closed"
    EVALUATION = "In evaluation"
    AWARDED = "Awarded"
    CANCELLED = "Cancelled"


class Procedure(enum.Enum):
    OPEN = "Open procedure"
    COMPETITIVE_FLEXIBLE = "Competitive flexible procedure"


class DocumentKind(enum.Enum):
    SPECIFICATION = "Specification"
    TERMS = "Terms and conditions"
    EQUALITY_IMPACT_ASSESSMENT = "Equality Impact Assessment"
    PRICING_TEMPLATE = "Pricing template"
    OTHER = "Other"


class TieBreak(enum.Enum):
    """How bids with equal total scores are ranked, chosen before publication.

    Whatever remains equal after the rule is ranked by the earlier submission."""

    QUALITY_THEN_PRICE = "The higher quality score ranks first; if still equal, the lower price"
    PRICE_THEN_QUALITY = "The lower price ranks first; if still equal, the higher quality score"


class QuestionKind(enum.Enum):
    PASS_FAIL = "Pass or fail"  # noqa: S105 (a kind of question, not a password)
    QUALITY = "Scored quality"


DEFAULT_DESCRIPTORS = {
    "0": "No response, or the response fails to address the question",
    "1": "Very poor: major gaps or concerns, little evidence",
    "2": "Poor: some relevant content, significant weaknesses",
    "3": "Acceptable: meets the requirement with minor weaknesses",
    "4": "Good: meets the requirement fully, with convincing evidence",
    "5": "Excellent: exceeds the requirement, with strong, specific evidence",
}


class Tender(Base):
    """A framework or contract opportunity, from draft to award.

    Times are UTC; the submission deadline is judged by the server's clock.
    Once published its terms change only through an Amendment.
    """

    __tablename__ = "tender"
    __table_args__ = (
        CheckConstraint("quality_weight + price_weight = 100", name="split_totals_100"),
        CheckConstraint("quality_weight >= 0 AND price_weight >= 0", name="split_not_negative"),
        CheckConstraint("estimated_value_pence >= 0", name="value_not_negative"),
        Index("ix_tender_status_deadline", "status", "submission_deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int] = mapped_column(ForeignKey("service_category.id", ondelete="RESTRICT"), index=True)
    estimated_value_pence: Mapped[int] = mapped_column(BigInteger, default=0)
    procedure: Mapped[Procedure] = mapped_column(_enum(Procedure, "procedure"), default=Procedure.OPEN)
    is_light_touch: Mapped[bool] = mapped_column(default=True)
    is_framework: Mapped[bool] = mapped_column(default=True)
    status: Mapped[TenderStatus] = mapped_column(_enum(TenderStatus, "tender_status"), default=TenderStatus.DRAFT)
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decision.id", ondelete="RESTRICT"), index=True)

    # Timetable
    clarification_deadline: Mapped[datetime | None] = mapped_column(UtcDateTime)
    answers_by: Mapped[datetime | None] = mapped_column(UtcDateTime)
    submission_deadline: Mapped[datetime | None] = mapped_column(UtcDateTime)
    evaluation_date: Mapped[date | None] = mapped_column(Date)
    intended_award_date: Mapped[date | None] = mapped_column(Date)
    standstill_end_date: Mapped[date | None] = mapped_column(Date)
    contract_start_date: Mapped[date | None] = mapped_column(Date)

    # Evaluation method
    quality_weight: Mapped[int] = mapped_column(default=70)
    price_weight: Mapped[int] = mapped_column(default=30)
    minimum_quality_score: Mapped[int] = mapped_column(default=50)  # per cent of the quality marks
    score_descriptors: Mapped[dict] = mapped_column(JSON, default=lambda: dict(DEFAULT_DESCRIPTORS))
    # Chosen with the evaluation method; publishing needs one (the checklist says so when it is missing).
    tie_break: Mapped[TieBreak | None] = mapped_column(
        _enum(TieBreak, "tie_break"), default=TieBreak.QUALITY_THEN_PRICE
    )

    # Conflicts of interest, assessed before publication
    conflicts_assessment: Mapped[str | None] = mapped_column(Text)
    conflicts_assessed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    conflicts_assessed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    # Transitions
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock_now)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    evaluation_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    awarded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancellation_reason: Mapped[str | None] = mapped_column(Text)

    category: Mapped[ServiceCategory] = relationship()
    decision: Mapped[Decision | None] = relationship()
    lots: Mapped[list[Lot]] = relationship(back_populates="tender", cascade="all, delete-orphan", order_by="Lot.number")
    documents: Mapped[list[TenderDocument]] = relationship(cascade="all, delete-orphan", order_by="TenderDocument.id")
    sections: Mapped[list[QuestionnaireSection]] = relationship(
        cascade="all, delete-orphan", order_by="QuestionnaireSection.position"
    )
    questions: Mapped[list[Question]] = relationship(
        cascade="all, delete-orphan", viewonly=False, order_by="Question.position"
    )
    amendments: Mapped[list[Amendment]] = relationship(cascade="all, delete-orphan", order_by="Amendment.number")

    def status_at(self, now: datetime) -> TenderStatus:
        """The status as every page shows it at ``now``: a published tender whose
        submission deadline has passed is closed for bids, even before the worker
        (``flask tenders close-due``) has recorded it, since pages never write."""
        if (
            self.status is TenderStatus.PUBLISHED
            and self.submission_deadline is not None
            and self.submission_deadline <= now
        ):
            return TenderStatus.CLOSED
        return self.status

    @property
    def closed_for_bids_at(self) -> datetime | None:
        """When bids closed: the recorded closing, or the deadline before the worker has recorded it."""
        return self.closed_at or self.submission_deadline


lot_district = Table(
    "lot_district",
    Base.metadata,
    Column("lot_id", ForeignKey("lot.id", ondelete="CASCADE"), primary_key=True),
    Column("district_id", ForeignKey("district.id", ondelete="RESTRICT"), primary_key=True),
)


class LotDeliveryMode(Base):
    __tablename__ = "lot_delivery_mode"

    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id", ondelete="CASCADE"), primary_key=True)
    mode: Mapped[DeliveryMode] = mapped_column(_enum(DeliveryMode, "delivery_mode", 20), primary_key=True)


class Lot(Base):
    """A part of a tender that providers bid for separately."""

    __tablename__ = "lot"
    __table_args__ = (
        UniqueConstraint("tender_id", "number", name="uq_lot_tender_number"),
        CheckConstraint("max_providers >= 1", name="appoints_someone"),
        CheckConstraint("estimated_annual_value_pence >= 0", name="value_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    estimated_annual_value_pence: Mapped[int] = mapped_column(BigInteger, default=0)
    max_providers: Mapped[int] = mapped_column(default=1)
    pricing_instructions: Mapped[str] = mapped_column(Text, default="Give your annual price for delivering this lot.")

    tender: Mapped[Tender] = relationship(back_populates="lots")
    districts: Mapped[list[District]] = relationship(secondary=lot_district, order_by=District.name)
    delivery_mode_rows: Mapped[list[LotDeliveryMode]] = relationship(
        cascade="all, delete-orphan", order_by=LotDeliveryMode.mode
    )

    @property
    def delivery_modes(self) -> list[DeliveryMode]:
        return [row.mode for row in self.delivery_mode_rows]


class TenderDocument(Base):
    __tablename__ = "tender_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(_enum(DocumentKind, "document_kind"))
    title: Mapped[str] = mapped_column(String(200))
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id", ondelete="RESTRICT"))
    amendment_id: Mapped[int | None] = mapped_column(ForeignKey("amendment.id", ondelete="SET NULL"))

    file: Mapped[StoredFile] = relationship()


class QuestionnaireSection(Base):
    __tablename__ = "questionnaire_section"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[QuestionKind] = mapped_column(_enum(QuestionKind, "question_kind", 20))


question_lot = Table(
    "question_lot",
    Base.metadata,
    Column("question_id", ForeignKey("question.id", ondelete="CASCADE"), primary_key=True),
    Column("lot_id", ForeignKey("lot.id", ondelete="CASCADE"), primary_key=True),
)


SHORT_TITLE_LENGTH = 80


class Question(Base):
    """A selection question (pass or fail) or a scored quality question.

    A quality question applies to the lots listed, or to every lot if none are.
    """

    __tablename__ = "question"
    __table_args__ = (
        CheckConstraint("weight >= 0 AND weight <= 100", name="weight_in_range"),
        CheckConstraint("word_limit IS NULL OR word_limit > 0", name="word_limit_positive"),
        CheckConstraint("minimum_score IS NULL OR minimum_score >= 0", name="minimum_score_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_section.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    kind: Mapped[QuestionKind] = mapped_column(_enum(QuestionKind, "question_kind", 20))
    # A few words that name the question ("Safeguarding"): the bid's task list and the
    # question page's heading. None: the first words of ``text`` stand in (bids.display).
    short_title: Mapped[str | None] = mapped_column(String(SHORT_TITLE_LENGTH))
    text: Mapped[str] = mapped_column(Text)
    guidance: Mapped[str] = mapped_column(Text, default="")
    word_limit: Mapped[int | None]
    weight: Mapped[int] = mapped_column(default=0)
    passing_answer: Mapped[bool | None]  # for pass or fail: the answer that passes
    # For a quality question: a moderated score below this drops the bid, whatever its total.
    minimum_score: Mapped[int | None]

    section: Mapped[QuestionnaireSection] = relationship()
    lots: Mapped[list[Lot]] = relationship(secondary=question_lot, order_by=Lot.number)


class Amendment(Base):
    """A published change to a published tender, with its reason and what changed."""

    __tablename__ = "amendment"
    __table_args__ = (UniqueConstraint("tender_id", "number", name="uq_amendment_tender_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    changes: Mapped[list] = mapped_column(JSON, default=list)  # [{"field", "label", "before", "after"}]
    published_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock_now)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))


class Interest(Base):
    """An organisation has registered interest in a tender: it hears of every change."""

    __tablename__ = "interest"
    __table_args__ = (UniqueConstraint("tender_id", "organisation_id", name="uq_interest_tender_organisation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock_now)

    organisation: Mapped[Organisation] = relationship()


alert_category = Table(
    "alert_category",
    Base.metadata,
    Column("user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("service_category.id", ondelete="CASCADE"), primary_key=True),
)
alert_district = Table(
    "alert_district",
    Base.metadata,
    Column("user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
    Column("district_id", ForeignKey("district.id", ondelete="CASCADE"), primary_key=True),
)


class Clarification(Base):
    """A provider's question about a tender and the council's answer.

    A published answer goes to everyone and never says who asked; a private
    one goes to the asker only.

    The officer writes the answer, previews it and then sends it: until
    ``answered_at`` is stamped, ``answer`` and ``is_answer_for_everyone`` are a
    draft that only officers see. ``published_question`` is the question as the
    officer reworded it for everyone (to leave out what would identify the
    asker); the original wording stays on record and with the asker.
    """

    __tablename__ = "clarification"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    asked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    question: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock_now)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    is_published: Mapped[bool] = mapped_column(default=False)
    published_question: Mapped[str | None] = mapped_column(Text)
    is_answer_for_everyone: Mapped[bool | None] = mapped_column()

    @property
    def public_question(self) -> str:
        """The question as every provider reads it: the officer's rewording, if any."""
        return self.published_question or self.question

    @property
    def has_draft_answer(self) -> bool:
        """An answer written and saved, not yet sent."""
        return self.answered_at is None and self.answer is not None

    organisation: Mapped[Organisation] = relationship()
