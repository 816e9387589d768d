"""The register of existing agreements: status, extensions and ending notices.

Notices are the council's proof that every incumbent was told in time: each is
written once (a unique key per agreement, end date and schedule point), shown in
the provider's portal and emailed to its people in the same transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal import clock
from portal.accounts.models import User
from portal.accounts.queries import active_emails
from portal.agreements.models import (
    Agreement,
    AgreementExtension,
    AgreementStatus,
    EndingNotice,
    NoticeKind,
    NoticeRule,
    NoticeSettings,
    ServiceCategory,
    status_rules,
)
from portal.agreements.signals import replacement_requested
from portal.audit.services import record
from portal.dates import add_months
from portal.db import savepoint
from portal.errors import RuleViolation
from portal.filters import format_date
from portal.links import external_url
from portal.notifications.services import queue_email
from portal.providers.models import Organisation
from portal.providers.services import make_claim_token
from portal.signals import ask

log = logging.getLogger(__name__)

DEFAULT_CATEGORIES = ("Early Intervention & Prevention", "Disabled Children's Services", "16+ Leaving Care")
DEFAULT_SCHEDULE = (6, 3, 1)


def status_of(agreement: Agreement, today: date) -> AgreementStatus:
    """The agreement's status on ``today`` (see ``models.status_rules``)."""
    return next(
        status for status, holds in status_rules(agreement.end_date, agreement.original_end_date, today) if holds
    )


def install_defaults(session: Session) -> None:
    """The starting categories and schedule, where missing (the migration adds
    them too); refuses nothing."""
    existing = set(session.scalars(select(ServiceCategory.name)))
    session.add_all(ServiceCategory(name=name) for name in DEFAULT_CATEGORIES if name not in existing)
    if not session.scalar(select(NoticeRule.id).limit(1)):
        session.add_all(NoticeRule(months_before=m) for m in DEFAULT_SCHEDULE)
    if session.get(NoticeSettings, 1) is None:
        session.add(NoticeSettings(id=1, notify_on_extension=True))
    session.flush()


def add_category(session: Session, actor: User, name: str) -> ServiceCategory:
    """Raises RuleViolation: the name is empty or already used."""
    name = name.strip()
    if not name:
        raise RuleViolation("name", "Enter the category name")
    if session.scalar(select(ServiceCategory.id).where(ServiceCategory.name.ilike(name))):
        raise RuleViolation("name", "A category with this name already exists")
    category = ServiceCategory(name=name)
    session.add(category)
    record(session, actor, "category.added", category, name=name)
    return category


# --- Extensions ---------------------------------------------------------------


def extend(
    session: Session,
    actor: User | None,
    agreement: Agreement,
    new_end_date: date,
    reason: str,
    agreed_by: str,
    today: date,
    *,
    notify: bool = True,
    already_agreed: bool = False,
) -> AgreementExtension:
    """Extend an agreement to a later end date, keeping the history, and audit it.

    Sends the extension notice when the schedule's setting says so, unless
    ``notify`` is False (an officer importing the register may choose that).
    ``already_agreed`` records an extension agreed earlier, as the council's
    register lists it (an import): the agreement may have ended since.

    Raises:
        RuleViolation: the new end is not after the current end, the agreement
            has already ended (unless already agreed), or no reason or
            approver is given.
    """
    if new_end_date <= agreement.end_date:
        raise RuleViolation(
            "new_end_date", f"The new end date must be after the current end date, {format_date(agreement.end_date)}"
        )
    if agreement.end_date < today and not already_agreed:
        raise RuleViolation("new_end_date", "This agreement has already ended and cannot be extended")
    if not reason.strip():
        raise RuleViolation("reason", "Enter the reason for the extension")
    if not agreed_by.strip():
        raise RuleViolation("agreed_by", "Enter who agreed the extension")
    extension = AgreementExtension(
        agreement=agreement,
        previous_end_date=agreement.end_date,
        new_end_date=new_end_date,
        reason=reason.strip(),
        agreed_by=agreed_by.strip(),
        recorded_by_id=getattr(actor, "id", None),
    )
    session.add(extension)
    agreement.end_date = new_end_date
    session.flush()
    record(
        session,
        actor,
        "agreement.extended",
        agreement,
        previous_end_date=extension.previous_end_date.isoformat(),
        new_end_date=new_end_date.isoformat(),
        reason=extension.reason,
        agreed_by=extension.agreed_by,
    )
    settings = session.get(NoticeSettings, 1)
    if notify and (settings is None or settings.notify_on_extension):
        issue_notice(
            session,
            agreement.organisation,
            agreement,
            NoticeKind.EXTENSION,
            f"extension:{extension.id}",
            *_extension_text(agreement, extension),
            sent_by=actor,
        )
    return extension


# --- The notice schedule ------------------------------------------------------


def schedule(session: Session) -> tuple[list[int], bool]:
    """The months before an end date when notices go, largest first, and
    whether an extension sends a notice."""
    months = sorted(session.scalars(select(NoticeRule.months_before)), reverse=True)
    settings = session.get(NoticeSettings, 1)
    return months, settings.notify_on_extension if settings else True


def set_schedule(session: Session, actor: User, months: list[int], notify_on_extension: bool) -> None:
    """Replace the schedule.

    Raises:
        RuleViolation: a point outside 1 to 24 months, or the same point twice.
    """
    if any(m < 1 or m > 24 for m in months):
        raise RuleViolation("months", "Each notice must be between 1 and 24 months before the end date")
    if len(set(months)) != len(months):
        raise RuleViolation("months", "Enter each number of months once")
    session.execute(delete(NoticeRule))
    session.add_all(NoticeRule(months_before=m) for m in sorted(months, reverse=True))
    settings = session.get(NoticeSettings, 1) or NoticeSettings(id=1)
    settings.notify_on_extension = notify_on_extension
    session.add(settings)
    record(
        session,
        actor,
        "notice_schedule.changed",
        None,
        months=sorted(months, reverse=True),
        notify_on_extension=notify_on_extension,
    )


@dataclass(frozen=True)
class DueNotice:
    agreement_id: int
    months_before: int
    schedule_key: str


def due_notices(session: Session, today: date) -> list[DueNotice]:
    """The scheduled notices due today and not yet sent.

    For each agreement still running, only the nearest schedule point that has
    been reached is due: an agreement imported two months before its end gets
    the 1-month notice when that comes, and the 3-month one now, not a 6-month
    one as well. Keys include the end date, so an extension starts afresh.
    """
    months, _ = schedule(session)
    if not months:
        return []
    # A month's margin: month arithmetic clips (30 September + 6 months is
    # 30 March, yet 31 March - 6 months is 30 September), so the exact test is below.
    horizon = add_months(today, max(months) + 1)
    rows = session.execute(
        select(Agreement.id, Agreement.end_date).where(Agreement.end_date >= today, Agreement.end_date <= horizon)
    ).all()
    sent = set(
        session.execute(
            select(EndingNotice.agreement_id, EndingNotice.schedule_key)
            .join(Agreement)
            .where(
                EndingNotice.kind == NoticeKind.SCHEDULED, Agreement.end_date >= today, Agreement.end_date <= horizon
            )
        ).all()
    )
    due = []
    for agreement_id, end_date in rows:
        reached = [m for m in months if add_months(end_date, -m) <= today]
        if not reached:
            continue
        nearest = min(reached)
        key = f"end:{end_date.isoformat()}:{nearest}m"
        if (agreement_id, key) not in sent:
            due.append(DueNotice(agreement_id, nearest, key))
    return due


def issue_scheduled_notice(session: Session, due: DueNotice) -> EndingNotice:
    """Write one scheduled notice and queue its emails, in the caller's transaction.

    Raises:
        IntegrityError: another sender wrote the same notice first (its unique
            key), at the flush, before any email is queued.
    """
    agreement = session.get(Agreement, due.agreement_id)
    return issue_notice(
        session,
        agreement.organisation,
        agreement,
        NoticeKind.SCHEDULED,
        due.schedule_key,
        *_ending_text(agreement, due.months_before),
    )


@dataclass
class IssuedNotices:
    sent: int = 0
    skipped: int = 0


def issue_due_notices(session: Session, today: date) -> IssuedNotices:
    """Write every scheduled notice due ``today`` in the caller's one transaction
    (an officer's "send due notices now").

    Each is written in a savepoint, so a notice that a worker running at the
    same moment sent first (the unique key) is skipped, not an error, and the
    others still go. Refuses nothing.
    """
    result = IssuedNotices()
    for due in due_notices(session, today):
        try:
            with savepoint(session):
                issue_scheduled_notice(session, due)
        except IntegrityError:
            result.skipped += 1
        else:
            result.sent += 1
    if result.skipped:
        log.info("notices: %s already sent by another run", result.skipped)
    return result


def send_manual_notice(
    session: Session, actor: User, agreements: list[Agreement], subject: str, body: str
) -> list[EndingNotice]:
    """An officer's own notice to the providers of these agreements: one notice
    per agreement in each portal, one email per organisation.

    Raises:
        RuleViolation: no agreements chosen, or no subject or message.
    """
    if not agreements:
        raise RuleViolation(None, "Choose at least one agreement")
    if not subject.strip():
        raise RuleViolation("subject", "Enter a subject")
    if not body.strip():
        raise RuleViolation("body", "Enter the message")
    notices = []
    by_organisation: dict[int, list[Agreement]] = {}
    for agreement in agreements:
        by_organisation.setdefault(agreement.organisation_id, []).append(agreement)
    for group in by_organisation.values():
        for index, agreement in enumerate(group):
            notices.append(
                issue_notice(
                    session,
                    agreement.organisation,
                    agreement,
                    NoticeKind.MANUAL,
                    None,
                    subject.strip(),
                    body.strip(),
                    sent_by=actor,
                    send_email=index == 0,
                )
            )
    record(
        session, actor, "notice.sent_by_hand", None, subject=subject.strip(), agreement_ids=[a.id for a in agreements]
    )
    return notices


def mark_read(session: Session, user: User, notice: EndingNotice, now: datetime) -> bool:
    """The first time someone from the organisation opens a notice, record it.

    Returns whether anything was recorded: False when the notice was already
    read, or is not for the user's organisation (who may read it at all is
    ``policies.can_read_notice``). Raises nothing.
    """
    if notice.read_at is not None or user.organisation_id != notice.organisation_id:
        return False
    notice.read_at = now
    notice.read_by_id = user.id
    record(session, user, "notice.read", notice)
    return True


# --- Writing notices ------------------------------------------------------------


def recipients(session: Session, organisation: Organisation) -> list[str]:
    """Everyone who can act for the organisation, or its contact address if
    nobody from it has registered yet."""
    emails = active_emails(session, organisation.id)
    if not emails and organisation.contact_email:
        emails = [organisation.contact_email]
    return emails


def issue_notice(
    session: Session,
    organisation: Organisation,
    agreement: Agreement | None,
    kind: NoticeKind,
    schedule_key: str | None,
    subject: str,
    body: str,
    sent_by: User | None = None,
    send_email: bool = True,
) -> EndingNotice:
    """Write a notice to an organisation (about an agreement, or none) and, unless
    ``send_email`` is False, queue its email to everyone who acts for it.

    Raises:
        IntegrityError: a notice with the same agreement and ``schedule_key``
            exists (checked at the flush, before any email is queued).
    """
    notice = EndingNotice(
        agreement=agreement,
        organisation=organisation,
        kind=kind,
        schedule_key=schedule_key,
        subject=subject,
        body=body,
        sent_by_id=getattr(sent_by, "id", None),
    )
    session.add(notice)
    session.flush()  # the unique key is checked here, before any email is queued
    emails = recipients(session, organisation) if send_email else []
    # The email carries the replacement opportunity's link and deadline, as the notice's page does.
    replacement = (
        ask(replacement_requested, agreement, session=session, organisation_id=organisation.id, now=clock.now())
        if emails and agreement is not None
        else None
    )
    for email in emails:
        queue_email(
            session,
            email,
            "ending_notice",
            notice=notice,
            organisation=organisation,
            notice_url=_notice_url(organisation, notice),
            replacement=replacement,
            opportunity_url=external_url("tenders.show", reference=replacement.reference) if replacement else None,
        )
    notice.emailed_to = len(emails)
    record(
        session,
        sent_by,
        "notice.sent",
        notice,
        kind=kind.name,
        agreement_id=getattr(agreement, "id", None),
        organisation_id=organisation.id,
        emailed_to=len(emails),
    )
    return notice


def _notice_url(organisation: Organisation, notice: EndingNotice) -> str:
    if organisation.is_registered:
        return external_url("agreements.notice", notice_id=notice.id)
    return external_url("providers.register", claim=make_claim_token(organisation))


def replacement_sentence(agreement: Agreement) -> str:
    """What replaces the agreement; the tenders domain links replacements."""
    replacement = getattr(agreement, "replacement_tender", None)
    # A draft is the council's own until it is published: its title goes to nobody before then.
    if replacement is None or replacement.published_at is None:
        return (
            "The council is preparing new opportunities to replace it. We will tell you when one is "
            "published, and you will be able to bid."
        )
    return f"It is replaced by the opportunity \u201c{replacement.title}\u201d ({replacement.reference})."


def _ending_text(agreement: Agreement, months_before: int) -> tuple[str, str]:
    plural = "month" if months_before == 1 else "months"
    subject = f"Your agreement {agreement.reference} ends on {format_date(agreement.end_date)}"
    body = (
        f"Your agreement {agreement.reference}, {agreement.service_name}, ends on "
        f"{format_date(agreement.end_date)}: about {months_before} {plural} from now.\n\n"
        f"{replacement_sentence(agreement)}"
    )
    return subject, body


def _extension_text(agreement: Agreement, extension: AgreementExtension) -> tuple[str, str]:
    subject = f"Your agreement {agreement.reference} has been extended to {format_date(extension.new_end_date)}"
    body = (
        f"Your agreement {agreement.reference}, {agreement.service_name}, was due to end on "
        f"{format_date(extension.previous_end_date)}. It has been extended to "
        f"{format_date(extension.new_end_date)}.\n\nReason: {extension.reason}\n\n"
        f"{replacement_sentence(agreement)}"
    )
    return subject, body


def days_left(agreement: Agreement, today: date) -> int:
    """Days from ``today`` to the agreement's end (negative once it has ended)."""
    return (agreement.end_date - today).days
