from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    Enum,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import now as clock_now
from portal.dates import add_months
from portal.db import Base, UtcDateTime
from portal.providers.models import District, Organisation

ENDING_SOON_MONTHS = 6


class DeliveryMode(enum.Enum):
    FACE_TO_FACE = "Face-to-face"
    OUTREACH = "Outreach"
    VIRTUAL = "Virtual"


class AgreementStatus(enum.Enum):
    """Derived from the dates, never stored: see :func:`status_rules`."""

    ACTIVE = "Active"
    EXTENDED = "Extended"
    ENDING_SOON = "Ending soon"
    ENDED = "Ended"


def status_rules(end_date, original_end_date, today: date):
    """The one definition of an agreement's status: the first rule that holds
    gives it. Ended after its end date; ending soon within six months of it;
    extended if it has been; otherwise active.

    It is written once for both readers: given an agreement's dates it gives
    booleans (``status_of``); given the columns it gives SQL conditions (the
    register's status filter), so the page and the filter cannot disagree.
    """
    return (
        (AgreementStatus.ENDED, end_date < today),
        (AgreementStatus.ENDING_SOON, end_date <= add_months(today, ENDING_SOON_MONTHS)),
        (AgreementStatus.EXTENDED, end_date != original_end_date),
        (AgreementStatus.ACTIVE, True),
    )


class NoticeKind(enum.Enum):
    SCHEDULED = "Scheduled"
    EXTENSION = "Extension granted"
    MANUAL = "Sent by an officer"
    REPLACEMENT = "Replacement opportunity published"


class ServiceCategory(Base):
    """A kind of service the council commissions (Early Intervention & Prevention...)."""

    __tablename__ = "service_category"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)


agreement_district = Table(
    "agreement_district",
    Base.metadata,
    Column("agreement_id", ForeignKey("agreement.id", ondelete="CASCADE"), primary_key=True),
    Column("district_id", ForeignKey("district.id", ondelete="RESTRICT"), primary_key=True),
)


class AgreementDeliveryMode(Base):
    __tablename__ = "agreement_delivery_mode"

    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id", ondelete="CASCADE"), primary_key=True)
    mode: Mapped[DeliveryMode] = mapped_column(
        Enum(DeliveryMode, native_enum=False, length=20, create_constraint=True, name="delivery_mode"), primary_key=True
    )


class Agreement(Base):
    """An existing service agreement with a provider, from the council's register.

    ``end_date`` is the current end: the original end, or the newest extension's.
    """

    __tablename__ = "agreement"
    __table_args__ = (
        CheckConstraint("annual_value_pence >= 0", name="annual_value_not_negative"),
        CheckConstraint("original_end_date >= start_date", name="ends_after_start"),
        CheckConstraint("end_date >= original_end_date", name="extension_only_later"),
        # The waves (end dates) and their incumbents in order, with the value and replacing
        # tender, so that the dashboard groups, counts and sums by end date from the index alone.
        Index(
            "ix_agreement_end_date_organisation",
            "end_date",
            "organisation_id",
            "annual_value_pence",
            "replacement_tender_id",
        ),
        # An incumbent's agreements in a wave (the incumbents still to chase).
        Index("ix_agreement_organisation_end_date", "organisation_id", "end_date"),
        # The register's default order, read from the index rather than sorted per page.
        Index("ix_agreement_end_date_reference", "end_date", "reference"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    service_name: Mapped[str] = mapped_column(String(200))
    category_id: Mapped[int] = mapped_column(ForeignKey("service_category.id", ondelete="RESTRICT"), index=True)
    annual_value_pence: Mapped[int] = mapped_column(BigInteger)
    # Indexed: the public contracts register lists newest start first, a page at a time.
    start_date: Mapped[date] = mapped_column(Date, index=True)
    original_end_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    # The new opportunity that replaces this agreement, once the council links one.
    replacement_tender_id: Mapped[int | None] = mapped_column(ForeignKey("tender.id", ondelete="SET NULL"), index=True)
    # An agreement made by an award: the tender it was awarded from (its lot is named in service_name).
    awarded_from_tender_id: Mapped[int | None] = mapped_column(ForeignKey("tender.id", ondelete="SET NULL"), index=True)
    # When the replacing tender's contracts were entered; the provider's own new agreement, if it won one.
    replaced_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("agreement.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock_now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock_now, onupdate=clock_now)

    organisation: Mapped[Organisation] = relationship()
    category: Mapped[ServiceCategory] = relationship()
    replacement_tender: Mapped[Tender | None] = relationship(foreign_keys=[replacement_tender_id])  # noqa: F821
    districts: Mapped[list[District]] = relationship(secondary=agreement_district, order_by=District.name)
    delivery_mode_rows: Mapped[list[AgreementDeliveryMode]] = relationship(
        cascade="all, delete-orphan", order_by=AgreementDeliveryMode.mode
    )
    extensions: Mapped[list[AgreementExtension]] = relationship(
        back_populates="agreement", cascade="all, delete-orphan", order_by="AgreementExtension.id"
    )
    spend: Mapped[list[AgreementSpend]] = relationship(
        cascade="all, delete-orphan", order_by="AgreementSpend.financial_year"
    )

    @property
    def delivery_modes(self) -> list[DeliveryMode]:
        return [row.mode for row in self.delivery_mode_rows]


class AgreementExtension(Base):
    """One extension of an agreement; the history is kept, newest last."""

    __tablename__ = "agreement_extension"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id", ondelete="CASCADE"), index=True)
    previous_end_date: Mapped[date] = mapped_column(Date)
    new_end_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    agreed_by: Mapped[str] = mapped_column(String(120))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock_now)

    agreement: Mapped[Agreement] = relationship(back_populates="extensions")

    __table_args__ = (CheckConstraint("new_end_date > previous_end_date", name="extends_later"),)


class AgreementSpend(Base):
    """Spend on an agreement in one financial year (April to March), in pence.

    ``financial_year`` is the year it starts: 2010 is 2010/11.
    """

    __tablename__ = "agreement_spend"
    __table_args__ = (
        UniqueConstraint("agreement_id", "financial_year", name="uq_agreement_spend_year"),
        CheckConstraint("amount_pence >= 0", name="amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id", ondelete="CASCADE"))
    financial_year: Mapped[int]
    amount_pence: Mapped[int] = mapped_column(BigInteger)


class NoticeRule(Base):
    """The council's notice schedule: a notice this many months before an agreement ends."""

    __tablename__ = "notice_rule"
    __table_args__ = (CheckConstraint("months_before > 0 AND months_before <= 24", name="months_in_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    months_before: Mapped[int] = mapped_column(unique=True)


class NoticeSettings(Base):
    """One row: whether granting an extension sends a notice."""

    __tablename__ = "notice_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    notify_on_extension: Mapped[bool] = mapped_column(default=True)


class EndingNotice(Base):
    """A notice to a provider that an agreement is ending (or was extended, or
    an officer's own message). ``schedule_key`` makes each scheduled notice
    unique per agreement, so it is sent once however many senders race."""

    __tablename__ = "ending_notice"
    __table_args__ = (
        UniqueConstraint("agreement_id", "schedule_key", name="uq_ending_notice_schedule"),
        Index("ix_ending_notice_org_read", "organisation_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreement.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    kind: Mapped[NoticeKind] = mapped_column(
        Enum(NoticeKind, native_enum=False, length=20, create_constraint=True, name="notice_kind")
    )
    schedule_key: Mapped[str | None] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock_now)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    emailed_to: Mapped[int] = mapped_column(default=0)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    read_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    agreement: Mapped[Agreement | None] = relationship()
    organisation: Mapped[Organisation] = relationship()
