from __future__ import annotations

import enum
import secrets
from datetime import datetime

from sqlalchemy import CheckConstraint, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import now as clock_now
from portal.db import Base, UtcDateTime


class Role(enum.Enum):
    PROVIDER = "Provider"
    OFFICER = "Procurement officer"
    EVALUATOR = "Evaluator"
    ADMIN = "Administrator"

    @property
    def is_staff(self) -> bool:
        return self is not Role.PROVIDER


STAFF_ROLES = (Role.OFFICER, Role.EVALUATOR, Role.ADMIN)


class User(Base):
    """Someone who signs in: a provider's member or a member of council staff.

    Providers always belong to exactly one organisation and staff to none. A user
    with no password has been invited and has not yet accepted.
    """

    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint(
            "(role = 'PROVIDER' AND (organisation_id IS NOT NULL OR deactivated_at IS NOT NULL))"
            " OR (role <> 'PROVIDER' AND organisation_id IS NULL)",
            name="provider_has_organisation",
        ),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20, create_constraint=True, name="role"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    is_organisation_admin: Mapped[bool] = mapped_column(default=False)
    email_verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Bumped on password change or removal: every existing session then ends.
    session_version: Mapped[int] = mapped_column(default=1)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    invited_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    deactivated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock_now)
    last_signed_in_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    # Named, not imported: accounts stand below providers in the domain order.
    organisation: Mapped[Organisation | None] = relationship(back_populates="members")  # noqa: F821

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    @property
    def is_active(self) -> bool:
        return self.can_sign_in

    @property
    def can_sign_in(self) -> bool:
        return self.deactivated_at is None and self.email_verified_at is not None and self.password_hash is not None

    @property
    def is_pending_invitation(self) -> bool:
        return self.password_hash is None and self.deactivated_at is None

    # This sign-in's random key, kept in the session cookie (see get_id); never stored
    # unless the session ends (EndedSession). A plain attribute: not a column.
    _session_key = None

    def new_session(self) -> None:
        """Give the next sign-in (``login_user``) a key of its own."""
        self._session_key = secrets.token_urlsafe(24)

    def continue_session(self, key: str) -> None:
        """The user was loaded from a session with this key: get_id keeps naming it."""
        self._session_key = key

    @property
    def session_key(self) -> str:
        if self._session_key is None:
            self.new_session()
        return self._session_key

    def get_id(self) -> str:
        # "<id>:<session_version>:<key>": a new version ends every session of the user
        # (a password change, a removal); an ended key ends only the session that signed out.
        return f"{self.id}:{self.session_version}:{self.session_key}"

    @property
    def is_staff(self) -> bool:
        return self.role.is_staff


class EndedSession(Base):
    """A session that signed out: its cookie, and any copy of it, signs nobody in again.

    A key is kept only as long as a cookie holding it could still be accepted (the
    session lifetime, see accounts.services.end_session); a refused cookie loses the
    user at once (auth.load_user), so it is never signed afresh.
    """

    __tablename__ = "ended_session"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    ended_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
