"""Quality-assurance evidence: documents an organisation keeps current once
(insurance, policies, accounts) and offers with every bid; and the reminders
sent before each one expires.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from portal import files
from portal.accounts.models import Role, User
from portal.accounts.queries import is_active_verified
from portal.audit.services import record
from portal.dates import london_today
from portal.errors import NotPermitted, RuleViolation
from portal.filters import format_date
from portal.links import external_url
from portal.notifications.services import queue_email
from portal.providers.models import Evidence, EvidenceKind, Organisation

REMINDER_DAYS = 30
EXPIRED = "Expired"
EXPIRES_BEFORE_START = "Expires before the contract starts"
EXPIRES_SOON = f"Expires within {REMINDER_DAYS} days"


def _require_member(user: User, evidence: Evidence | None = None) -> None:
    if user.role is not Role.PROVIDER or user.organisation_id is None:
        raise NotPermitted()
    if evidence is not None and evidence.organisation_id != user.organisation_id:
        raise NotPermitted()


def add_evidence(
    session: Session,
    user: User,
    kind: EvidenceKind,
    title: str,
    filename: str,
    content: bytes,
    expires_on: date | None,
    now: datetime,
) -> Evidence:
    """Keep a document for the user's organisation.

    Raises:
        NotPermitted: the user is not a provider.
        RuleViolation: no title, an expiry date already past, or the file is
            empty, too large or not an allowed type by its content (nothing is kept).
    """
    _require_member(user)
    title = " ".join((title or "").split())  # one line: it becomes an email subject
    if not title:
        raise RuleViolation("title", "Enter a title for the document")
    if len(title) > 200:
        raise RuleViolation("title", "Title must be 200 characters or fewer")
    if expires_on is not None and expires_on < london_today(now):
        raise RuleViolation(
            "expires_on", "The expiry date must be today or in the future: this document has already expired"
        )
    stored = files.store(session, user, filename, content, current_app.config["MAX_FILE_BYTES"])
    evidence = Evidence(
        organisation_id=user.organisation_id,
        kind=kind,
        title=title,
        file_id=stored.id,
        expires_on=expires_on,
        uploaded_by_id=user.id,
        uploaded_at=now,
    )
    evidence.file = stored
    session.add(evidence)
    session.flush()
    record(
        session,
        user,
        "evidence.added",
        evidence,
        kind=kind.name,
        title=title,
        filename=stored.filename,
        sha256=stored.sha256,
        expires_on=expires_on.isoformat() if expires_on else None,
    )
    return evidence


def archive_evidence(session: Session, user: User, evidence: Evidence, now: datetime) -> None:
    """Take a document out of use: it is no longer offered for new bids, but
    bids already submitted with it keep it.

    Raises:
        NotPermitted: the evidence belongs to another organisation.
        RuleViolation: it is already archived.
    """
    _require_member(user, evidence)
    if evidence.archived_at is not None:
        raise RuleViolation(None, "This document has already been archived")
    evidence.archived_at = now
    record(session, user, "evidence.archived", evidence, title=evidence.title)


def current_evidence(session: Session, organisation_id: int) -> list[Evidence]:
    """The organisation's evidence in use, soonest expiry first (no expiry last); refuses nothing."""
    return list(
        session.scalars(
            select(Evidence)
            .where(Evidence.organisation_id == organisation_id, Evidence.archived_at.is_(None))
            .options(selectinload(Evidence.file))
            .order_by(Evidence.expires_on.is_(None), Evidence.expires_on, Evidence.kind, Evidence.title)
        )
    )


def evidence_for(session: Session, user: User, evidence_id: int) -> Evidence:
    """One of the user's organisation's documents.

    Raises:
        NotPermitted: no such evidence, or another organisation's.
    """
    evidence = session.get(Evidence, evidence_id)
    if evidence is None:
        raise NotPermitted()
    _require_member(user, evidence)
    return evidence


def evidence_flags(evidence: Evidence, today: date, contract_start: date | None = None) -> str | None:
    """The warning to show beside a document, judged on ``today`` (London)."""
    if evidence.expires_on is None:
        return None
    if evidence.expires_on < today:
        return EXPIRED
    if contract_start is not None and evidence.expires_on < contract_start:
        return EXPIRES_BEFORE_START
    return None


def expires_soon(evidence: Evidence, today: date, days: int = REMINDER_DAYS) -> bool:
    return evidence.expires_on is not None and today <= evidence.expires_on <= today + timedelta(days=days)


def send_reminders(session: Session, today: date, days_before: int = REMINDER_DAYS) -> int:
    """Email every active, verified person of an organisation whose document
    expires within ``days_before`` days (and has not expired); returns the
    number of emails queued.

    Each expiry date is reminded about once: ``reminder_sent_for`` is claimed
    with a conditional update, so a second run (even at the same moment) skips
    it, while a renewed document with a new expiry date is reminded about again.
    Refuses nothing.
    """
    due = session.scalars(
        select(Evidence)
        .where(
            Evidence.archived_at.is_(None),
            Evidence.expires_on.is_not(None),
            Evidence.expires_on >= today,
            Evidence.expires_on <= today + timedelta(days=days_before),
            or_(Evidence.reminder_sent_for.is_(None), Evidence.reminder_sent_for != Evidence.expires_on),
        )
        .order_by(Evidence.id)
    ).all()
    if not due:
        return 0
    organisation_ids = {e.organisation_id for e in due}
    people: dict[int, list[str]] = {}
    for organisation_id, email in session.execute(
        select(User.organisation_id, User.email)
        .where(User.organisation_id.in_(organisation_ids), User.role == Role.PROVIDER, is_active_verified())
        .order_by(User.email)
    ):
        people.setdefault(organisation_id, []).append(email)
    names = dict(
        session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(organisation_ids))).all()
    )
    evidence_url = external_url("evidence.index")
    sent = 0
    for evidence in due:
        claimed = session.execute(
            update(Evidence)
            .where(
                Evidence.id == evidence.id,
                Evidence.expires_on == evidence.expires_on,
                or_(Evidence.reminder_sent_for.is_(None), Evidence.reminder_sent_for != Evidence.expires_on),
            )
            .values(reminder_sent_for=Evidence.expires_on)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not claimed:
            continue  # another run reminded about it first
        set_committed_value(evidence, "reminder_sent_for", evidence.expires_on)
        days_left = (evidence.expires_on - today).days
        for email in people.get(evidence.organisation_id, []):
            queue_email(
                session,
                email,
                "evidence_reminder",
                evidence=evidence,
                organisation_name=names[evidence.organisation_id],
                expires_on=format_date(evidence.expires_on),
                days_left=days_left,
                evidence_url=evidence_url,
            )
            sent += 1
        record(
            session,
            None,
            "evidence.reminder_sent",
            evidence,
            expires_on=evidence.expires_on.isoformat(),
            emailed=len(people.get(evidence.organisation_id, [])),
        )
    return sent
