"""Accounts: verification, sign-in, passwords, invitations and staff.

Every change writes an audit record in the same transaction. Nothing here tells
a visitor whether an email address has an account.
"""

from __future__ import annotations


from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import clock
from portal.accounts import throttle
from portal.accounts.models import STAFF_ROLES, Role, User
from portal.accounts.passwords import hash_password, needs_rehash, password_problem, verify_password
from portal.accounts.tokens import TokenInvalid, fingerprint, make_token, read_token
from portal.audit.services import record

from portal.errors import RuleViolation
from portal.notifications.services import queue_email
from portal.providers.services import normalise_email
from portal.links import external_url


class SignInRefused(Exception):
    def __init__(self, message: str, locked: bool = False, unverified_user: User | None = None):
        super().__init__(message)
        self.message = message
        self.locked = locked
        self.unverified_user = unverified_user


def find_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def _user_for_token(session: Session, kind: str, token: str) -> User:
    """Raises TokenInvalid for a bad, expired or already used token."""
    user_id, token_fingerprint = read_token(kind, token)
    user = session.get(User, user_id)
    if user is None or fingerprint(user) != token_fingerprint:
        raise TokenInvalid(expired=False)
    return user


def verify_email(session: Session, token: str) -> User:
    """Mark the address verified.

    Raises:
        TokenInvalid: tampered, expired, or for an account that changed since.
    """
    user = _user_for_token(session, "verify", token)
    if user.email_verified_at is None:
        user.email_verified_at = clock.now()
        record(session, user, "user.email_verified", user)
    return user


def resend_verification(session: Session, email: str) -> None:
    """Send a new verification link if the address has an unverified account."""
    from portal.providers.services import send_verification_email

    user = find_by_email(session, email)
    if user and user.email_verified_at is None and user.password_hash and user.deactivated_at is None:
        send_verification_email(session, user)


def authenticate(session: Session, email: str, password: str, remote_addr: str) -> User:
    """Check the credentials under the per-account and per-address limits.

    Raises:
        SignInRefused: wrong details (one message whatever was wrong), locked
            out after too many failures, or the address not yet verified.
    """
    email = normalise_email(email)
    remote_addr = remote_addr or "unknown"
    if throttle.is_blocked("SIGN_IN_LIMIT_PER_ACCOUNT", "sign-in-account", email) or \
            throttle.is_blocked("SIGN_IN_LIMIT_PER_ADDRESS", "sign-in-address", remote_addr):
        minutes = throttle.window_minutes("SIGN_IN_LIMIT_PER_ACCOUNT")
        raise SignInRefused(
            f"You have tried to sign in too many times. Wait {minutes} minutes, then try again, "
            "or reset your password", locked=True)
    user = find_by_email(session, email)
    if user is None or user.deactivated_at is not None or not verify_password(user.password_hash if user else None, password):
        throttle.count("SIGN_IN_LIMIT_PER_ACCOUNT", "sign-in-account", email)
        throttle.count("SIGN_IN_LIMIT_PER_ADDRESS", "sign-in-address", remote_addr)
        raise SignInRefused("Enter a correct email address and password")
    if user.email_verified_at is None:
        raise SignInRefused("You need to confirm your email address before you can sign in", unverified_user=user)
    throttle.clear("SIGN_IN_LIMIT_PER_ACCOUNT", "sign-in-account", email)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_signed_in_at = clock.now()
    record(session, user, "user.signed_in", user)
    return user


def request_password_reset(session: Session, email: str) -> None:
    """Email a reset link if the address has an account; say nothing either way."""
    user = find_by_email(session, email)
    if user is None or user.deactivated_at is not None or user.password_hash is None:
        return
    queue_email(session, user.email, "password_reset", user=user,
                reset_url=external_url("accounts.reset_password", token=make_token("reset", user)))
    record(session, None, "user.password_reset_requested", user)


def _set_password(session: Session, user: User, new_password: str, action: str, actor: User | None) -> None:
    problem = password_problem(new_password, user.email)
    if problem:
        raise RuleViolation("password", problem)
    user.password_hash = hash_password(new_password)
    # Every other session, on every device, ends now.
    user.session_version += 1
    record(session, actor or user, action, user)


def reset_password(session: Session, token: str, new_password: str) -> User:
    """Set a new password from a reset link; the link then stops working.

    Raises:
        TokenInvalid: tampered, expired or already used.
        RuleViolation: the password is too short, too long or too common.
    """
    user = _user_for_token(session, "reset", token)
    _set_password(session, user, new_password, "user.password_reset", None)
    # Following the emailed link proves the address too.
    user.email_verified_at = user.email_verified_at or clock.now()
    return user


def change_password(session: Session, user: User, current_password: str, new_password: str) -> None:
    """Raises RuleViolation: the current password is wrong, or the new one is weak."""
    if not verify_password(user.password_hash, current_password):
        raise RuleViolation("current_password", "Your current password is not correct")
    _set_password(session, user, new_password, "user.password_changed", user)


def accept_invitation(session: Session, token: str, full_name: str, password: str) -> User:
    """Set the invited person's password; following the link verifies the address.

    Raises:
        TokenInvalid: tampered, expired, withdrawn, or already accepted.
        RuleViolation: a weak password.
    """
    user = _user_for_token(session, "invite", token)
    if not user.is_pending_invitation:
        raise TokenInvalid(expired=False)
    user.full_name = full_name.strip() or user.full_name
    _set_password(session, user, password, "user.invitation_accepted", None)
    user.email_verified_at = clock.now()
    return user


def invitation_user(session: Session, token: str) -> User:
    user = _user_for_token(session, "invite", token)
    if not user.is_pending_invitation:
        raise TokenInvalid(expired=False)
    return user


def create_staff(session: Session, actor: User | None, email: str, full_name: str, role: Role,
                 password: str | None = None) -> User:
    """Create a council staff account (officer, evaluator or administrator).

    Without a password the person is emailed a link to set one. ``actor`` is
    None when made by the ``flask users create-staff`` command.

    Raises:
        RuleViolation: not a staff role, the address already has an account, a weak password.
    """
    if role not in STAFF_ROLES:
        raise RuleViolation("role", "Choose a staff role")
    email = normalise_email(email)
    if find_by_email(session, email):
        raise RuleViolation("email", "An account with this email address already exists")
    user = User(email=email, full_name=full_name.strip(), role=role, invited_by_id=getattr(actor, "id", None),
                invited_at=clock.now())
    session.add(user)
    session.flush()
    if password is not None:
        _set_password(session, user, password, "user.password_set", actor)
        user.email_verified_at = clock.now()
    else:
        queue_email(session, email, "staff_invitation", user=user,
                    accept_url=external_url("accounts.accept_invitation", token=make_token("invite", user)))
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


def deactivate_staff(session: Session, actor: User, user: User) -> None:
    """Raises RuleViolation: deactivating yourself or a provider here."""
    if user.role is Role.PROVIDER:
        raise RuleViolation(None, "Provider accounts are managed by their organisation")
    if user.id == actor.id:
        raise RuleViolation(None, "You cannot deactivate your own account")
    user.deactivated_at = clock.now()
    user.session_version += 1
    record(session, actor, "user.deactivated", user)


def reactivate_staff(session: Session, actor: User, user: User) -> None:
    if user.role is Role.PROVIDER:
        raise RuleViolation(None, "Provider accounts are managed by their organisation")
    user.deactivated_at = None
    record(session, actor, "user.reactivated", user)
