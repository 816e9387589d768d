from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, Date, Enum, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import now as clock_now
from portal.db import Base, UtcDateTime


class OrganisationType(enum.Enum):
    REGISTERED_CHARITY = "Registered charity"
    CIO = "Charitable incorporated organisation"
    COMPANY_LIMITED_BY_GUARANTEE = "Company limited by guarantee"
    COMMUNITY_INTEREST_COMPANY = "Community interest company"
    OTHER = "Other"


class District(Base):
    """An area of the council that providers serve and services are delivered in."""

    __tablename__ = "district"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)


organisation_district = Table(
    "organisation_district",
    Base.metadata,
    Column("organisation_id", ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True),
    Column("district_id", ForeignKey("district.id", ondelete="RESTRICT"), primary_key=True),
)


class Organisation(Base):
    """A voluntary or community sector provider that bids for and holds agreements.

    An incumbent imported from the agreements register exists before anyone
    from it registers: it has a name, its numbers and a contact email, and
    ``registered_at`` is empty until someone registers it (claiming this row).
    """

    __tablename__ = "organisation"
    __table_args__ = (
        CheckConstraint(
            "registered_at IS NULL OR charity_number IS NOT NULL OR company_number IS NOT NULL"
            " OR organisation_type = 'OTHER'",
            name="has_registration_number",
        ),
        CheckConstraint(
            "registered_at IS NULL OR (organisation_type IS NOT NULL AND address_line_1 IS NOT NULL"
            " AND town IS NOT NULL AND postcode IS NOT NULL)",
            name="registered_has_address",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160), index=True)
    organisation_type: Mapped[OrganisationType | None] = mapped_column(
        Enum(OrganisationType, native_enum=False, length=40, create_constraint=True, name="organisation_type")
    )
    charity_number: Mapped[str | None] = mapped_column(String(10), unique=True)
    company_number: Mapped[str | None] = mapped_column(String(8), unique=True)
    address_line_1: Mapped[str | None] = mapped_column(String(120))
    address_line_2: Mapped[str | None] = mapped_column(String(120))
    town: Mapped[str | None] = mapped_column(String(80))
    postcode: Mapped[str | None] = mapped_column(String(8))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    registered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock_now)

    @property
    def is_registered(self) -> bool:
        return self.registered_at is not None

    districts: Mapped[list[District]] = relationship(secondary=organisation_district, order_by=District.name)
    members: Mapped[list[User]] = relationship(  # noqa: F821
        back_populates="organisation", order_by="User.full_name"
    )


class EvidenceKind(enum.Enum):
    SAFEGUARDING_POLICY = "Safeguarding policy"
    INSURANCE = "Insurance certificate"
    DBS_POLICY = "DBS checking policy"
    ACCOUNTS = "Annual accounts"
    ACCREDITATION = "Accreditation"
    OTHER = "Other"


class Evidence(Base):
    """A quality-assurance document the organisation keeps current, once, for every bid."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    kind: Mapped[EvidenceKind] = mapped_column(
        Enum(EvidenceKind, native_enum=False, length=30, create_constraint=True, name="evidence_kind")
    )
    title: Mapped[str] = mapped_column(String(200))
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id", ondelete="RESTRICT"))
    expires_on: Mapped[date | None] = mapped_column(Date)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock_now)
    reminder_sent_for: Mapped[date | None] = mapped_column(Date)  # the expiry date last reminded about
    archived_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    file: Mapped[StoredFile] = relationship()  # noqa: F821
