"""Accounts: verification, sign-in, passwords, invitations and staff.

Every change writes an audit record in the same transaction. Nothing here tells
a visitor whether an email address has an account. Times come in as ``now``
from the caller (a view or a command), so every verb is judged by one clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from portal import clock
from portal.accounts import throttle
from portal.accounts.models import STAFF_ROLES, EndedSession, Role, User
from portal.accounts.passwords import hash_password, needs_rehash, password_problem, verify_password
from portal.accounts.tokens import TokenInvalid, fingerprint, make_token, read_token
from portal.audit.services import record
from portal.errors import RuleViolation
from portal.links import external_url
from portal.notifications.services import queue_email


def normalise_email(value: str) -> str:
    """Addresses are kept and compared in lower case, without surrounding spaces."""
    return (value or "").strip().lower()


class SignInRefused(Exception):
    def __init__(self, message: str, locked: bool = False, unverified_user: User | None = None):
        super().__init__(message)
        self.message = message
        self.locked = locked
        self.unverified_user = unverified_user


def find_by_email(session: Session, email: str) -> User | None:
    """The account with this address, whatever its case; refuses nothing."""
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def user_for_token(session: Session, kind: str, token: str) -> User:
    """The account a link was made for (checked before its page is shown too).

    Raises:
        TokenInvalid: tampered, expired, already used, or for an account that changed since.
    """
    user_id, token_fingerprint = read_token(kind, token)
    user = session.get(User, user_id)
    if user is None or fingerprint(user) != token_fingerprint:
        raise TokenInvalid(expired=False)
    return user


def send_verification_email(session: Session, user: User) -> None:
    """Queue the link that confirms the user's address (and so lets them sign in)."""
    queue_email(
        session,
        user.email,
        "verify_email",
        user=user,
        verify_url=external_url("accounts.verify_email", token=make_token("verify", user)),
    )


def verify_email(session: Session, token: str, now: datetime) -> User:
    """Mark the address verified (following the link again changes nothing).

    Raises:
        TokenInvalid: tampered, expired, or for an account that changed since.
    """
    user = user_for_token(session, "verify", token)
    if user.email_verified_at is None:
        user.email_verified_at = now
        record(session, user, "user.email_verified", user)
    return user


def resend_verification(session: Session, email: str) -> None:
    """Send a new verification link if the address has an unverified account;
    say nothing either way. Refuses nothing."""
    user = find_by_email(session, email)
    if user and user.email_verified_at is None and user.password_hash and user.deactivated_at is None:
        send_verification_email(session, user)
        record(session, None, "user.verification_requested", user)
    else:
        # Written either way (see request_password_reset).
        record(session, None, "user.verification_requested", None)


def authenticate(session: Session, email: str, password: str, remote_addr: str, now: datetime) -> User:
    """Check the credentials under the per-account and per-address limits.

    Raises:
        SignInRefused: wrong details (one message whatever was wrong), locked
            out after too many failures, or the address not yet verified.
    """
    email = normalise_email(email)
    remote_addr = remote_addr or "unknown"
    if throttle.is_blocked("SIGN_IN_LIMIT_PER_ACCOUNT", "sign-in-account", email) or throttle.is_blocked(
        "SIGN_IN_LIMIT_PER_ADDRESS", "sign-in-address", remote_addr
    ):
        minutes = throttle.window_minutes("SIGN_IN_LIMIT_PER_ACCOUNT")
        raise SignInRefused(
            f"You have tried to sign in too many times. Wait {minutes} minutes, then try again, or reset your password",
            locked=True,
        )
    user = find_by_email(session, email)
    # Verified whether or not the account exists (against a dummy hash if not), so
    # that timing does not tell a visitor which addresses have accounts.
    password_ok = verify_password(user.password_hash if user else None, password)
    if user is None or user.deactivated_at is not None or not password_ok:
        throttle.count("SIGN_IN_LIMIT_PER_ACCOUNT", "sign-in-account", email)
        throttle.count("SIGN_IN_LIMIT_PER_ADDRESS", "sign-in-address", remote_addr)
        raise SignInRefused("Enter a correct email address and password")
    if user.email_verified_at is None:
        raise SignInRefused("You need to confirm your email address before you can sign in", unverified_user=user)
    throttle.clear("SIGN_IN_LIMIT_PER_ACCOUNT", "sign-in-account", email)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_signed_in_at = now
    record(session, user, "user.signed_in", user)
    return user


def end_session(session: Session, user: User, key: str, now: datetime) -> None:
    """Sign out one session, server-side: a copy of its cookie no longer signs anyone
    in (the user's other sessions carry on). Refuses nothing.

    Keys are kept one session lifetime, and a day more for a request that was still
    running as the session ended: after that Flask itself refuses any cookie that
    held the key (its signature is older than the lifetime allows).
    """
    session.add(EndedSession(key=key, user_id=user.id, ended_at=now))
    kept_for = current_app.permanent_session_lifetime + timedelta(days=1)
    session.execute(delete(EndedSession).where(EndedSession.ended_at < now - kept_for))


def request_password_reset(session: Session, email: str) -> None:
    """Email a reset link if the address has an account; say nothing either way.
    Refuses nothing."""
    user = find_by_email(session, email)
    if user is None or user.deactivated_at is not None or user.password_hash is None:
        # Written either way: a request that commits a write takes measurably longer
        # than one that writes nothing, and would tell which addresses have accounts.
        record(session, None, "user.password_reset_requested", None)
        return
    queue_email(
        session,
        user.email,
        "password_reset",
        user=user,
        reset_url=external_url("accounts.reset_password", token=make_token("reset", user)),
    )
    record(session, None, "user.password_reset_requested", user)


def _set_password(session: Session, user: User, new_password: str, action: str, actor: User | None) -> None:
    problem = password_problem(new_password, user.email)
    if problem:
        raise RuleViolation("password", problem)
    user.password_hash = hash_password(new_password)
    # Every other session, on every device, ends now.
    user.session_version += 1
    record(session, actor or user, action, user)


def reset_password(session: Session, token: str, new_password: str, now: datetime) -> User:
    """Set a new password from a reset link; the link then stops working.

    Raises:
        TokenInvalid: tampered, expired or already used.
        RuleViolation: the password is too short, too long or too common.
    """
    user = user_for_token(session, "reset", token)
    _set_password(session, user, new_password, "user.password_reset", None)
    # Following the emailed link proves the address too.
    user.email_verified_at = user.email_verified_at or now
    return user


def change_password(session: Session, user: User, current_password: str, new_password: str) -> None:
    """Change the user's own password; their other sessions end.

    Raises:
        RuleViolation: the current password is wrong, or the new one is too
            short, too long or too common.
    """
    if not verify_password(user.password_hash, current_password):
        raise RuleViolation("current_password", "Your current password is not correct")
    _set_password(session, user, new_password, "user.password_changed", user)


def accept_invitation(session: Session, token: str, full_name: str, password: str, now: datetime) -> User:
    """Set the invited person's password; following the link verifies the address.

    Raises:
        TokenInvalid: tampered, expired, withdrawn, or already accepted.
        RuleViolation: a weak password.
    """
    user = user_for_token(session, "invite", token)
    if not user.is_pending_invitation:
        raise TokenInvalid(expired=False)
    user.full_name = full_name.strip() or user.full_name
    _set_password(session, user, password, "user.invitation_accepted", None)
    user.email_verified_at = now
    return user


def invitation_user(session: Session, token: str) -> User:
    """The invited person, for the page where they accept.

    Raises:
        TokenInvalid: tampered, expired, withdrawn, or already accepted.
    """
    user = user_for_token(session, "invite", token)
    if not user.is_pending_invitation:
        raise TokenInvalid(expired=False)
    return user


def create_staff(
    session: Session,
    actor: User | None,
    email: str,
    full_name: str,
    role: Role,
    password: str | None = None,
    now: datetime | None = None,
) -> User:
    """Create a council staff account (officer, evaluator or administrator).

    Without a password the person is emailed a link to set one. ``actor`` is
    None when made by the ``flask users create-staff`` command, which may
    leave ``now`` to the portal's clock.

    Raises:
        RuleViolation: not a staff role, the address already has an account, a weak password.
    """
    if role not in STAFF_ROLES:
        raise RuleViolation("role", "Choose a staff role")
    email = normalise_email(email)
    if find_by_email(session, email):
        raise RuleViolation("email", "An account with this email address already exists")
    now = now or clock.now()
    user = User(
        email=email, full_name=full_name.strip(), role=role, invited_by_id=getattr(actor, "id", None), invited_at=now
    )
    session.add(user)
    session.flush()
    if password is not None:
        _set_password(session, user, password, "user.password_set", actor)
        user.email_verified_at = now
    else:
        queue_email(
            session,
            email,
            "staff_invitation",
            user=user,
            accept_url=external_url("accounts.accept_invitation", token=make_token("invite", user)),
        )
    record(session, actor, "user.staff_created", user, email=email, role=role.name)
    return user


def change_role(session: Session, actor: User, user: User, role: Role) -> None:
    """Change a staff member's role; it applies from their next page.

    Raises:
        RuleViolation: making a provider staff or staff a provider, or an
            administrator demoting themselves (the council must keep one).
    """
    if user.role is Role.PROVIDER or role is Role.PROVIDER:
        raise RuleViolation("role", "Only council staff roles can be changed here")
    if user.id == actor.id and role is not Role.ADMIN:
        raise RuleViolation("role", "You cannot remove your own administrator role")
    if user.role is role:
        return
    previous = user.role
    user.role = role
    record(session, actor, "user.role_changed", user, previous=previous.name, new=role.name)


def deactivate_staff(session: Session, actor: User, user: User, now: datetime) -> None:
    """Stop a staff member signing in; their sessions end at once.

    Raises:
        RuleViolation: deactivating yourself, or a provider (their organisation
            manages them).
    """
    if user.role is Role.PROVIDER:
        raise RuleViolation(None, "Provider accounts are managed by their organisation")
    if user.id == actor.id:
        raise RuleViolation(None, "You cannot deactivate your own account")
    user.deactivated_at = now
    user.session_version += 1
    record(session, actor, "user.deactivated", user)


def reactivate_staff(session: Session, actor: User, user: User) -> None:
    """Let a deactivated staff member sign in again.

    Raises:
        RuleViolation: a provider (their organisation manages them).
    """
    if user.role is Role.PROVIDER:
        raise RuleViolation(None, "Provider accounts are managed by their organisation")
    user.deactivated_at = None
    record(session, actor, "user.reactivated", user)
