"""An OCDS release as it was published: built when its notice was, never changed afterwards."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import now as clock_now
from portal.db import Base, UtcDateTime


class OcdsRelease(Base):
    """One release of one contracting process (``ocid``): the notice's data as it stood
    at ``date``. ``release_id`` is derived from the event (tender reference, kind and
    number), so publishing the same event twice finds the release already made."""

    __tablename__ = "ocds_release"
    __table_args__ = (Index("ix_ocds_release_date_id", "date", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[str] = mapped_column(String(120), unique=True)
    ocid: Mapped[str] = mapped_column(String(80), index=True)
    tender_id: Mapped[int | None] = mapped_column(ForeignKey("tender.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # tender, amendment, cancellation, award, contract
    date: Mapped[datetime] = mapped_column(UtcDateTime)
    data: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock_now)


class PublishedReleaseChanged(RuntimeError):
    """Code tried to change a published release: a correction is a new release, never an edit."""


@event.listens_for(OcdsRelease, "before_update")
def _refuse_changes(_mapper, _connection, release: OcdsRelease) -> None:
    # Re-users keep copies: a release that changed after they took it would make their copy
    # silently wrong. OCDS corrects by publishing a newer release of the same ocid.
    raise PublishedReleaseChanged(f"OCDS release {release.release_id} was published and cannot change")
