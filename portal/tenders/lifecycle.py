"""A tender's life after drafting: publishing, amending, closing, evaluation,
award and cancelling, and who is told. (Its authority, the decision,
conflicts assessment and replaced agreements, is ``authority``'s.)

Every status change goes through ``machine.MACHINE``, so an illegal one
raises. A published tender's terms are frozen: they change only by ``amend``,
which records what changed and why and tells every interested provider.
Closing at the deadline is a guarded conditional UPDATE, so however many
callers race to close a tender (the worker, an officer confirming the opening),
it closes once and is audited once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from portal.accounts.models import User
from portal.accounts.queries import active_emails
from portal.audit.services import record
from portal.errors import RuleViolation, RuleViolations
from portal.filters import format_date, format_datetime
from portal.links import external_url
from portal.notifications.services import queue_email
from portal.signals import ask
from portal.tenders import policies
from portal.tenders.authority import tell_incumbents
from portal.tenders.checks import publication_problems, require_draft, timetable_problems
from portal.tenders.interest import alert_matching_providers, interested_users
from portal.tenders.machine import MACHINE
from portal.tenders.models import Amendment, Tender, TenderStatus
from portal.tenders.signals import bidders_requested, tender_amended, tender_cancelled, tender_published

AMENDABLE = {
    "description": "Description",
    "clarification_deadline": "Clarification questions close",
    "answers_by": "Answers published by",
    "submission_deadline": "Submission deadline",
    "evaluation_date": "Evaluation",
    "intended_award_date": "Intended award",
    "standstill_end_date": "Standstill ends",
    "contract_start_date": "Contract start",
}


# --- Publishing -------------------------------------------------------------------------


def publish(session: Session, actor: User, tender: Tender, now: datetime) -> None:
    """Publish a draft: it opens for bids, and matching providers and the
    incumbents it replaces are told.

    Raises:
        RuleViolation: the tender is not a draft.
        RuleViolations: every problem on the publication checklist.
    """
    require_draft(actor, tender)
    RuleViolations.raise_any(publication_problems(tender, now))
    MACHINE.move(session, actor, tender, TenderStatus.PUBLISHED, now)
    alert_matching_providers(session, tender)
    tell_incumbents(session, actor, tender)
    tender_published.send(tender, session=session, now=now)


# --- Closing, evaluation, award, cancelling ----------------------------------------------


def close_if_due(session: Session, tender: Tender, now: datetime) -> bool:
    """Close a published tender whose deadline has passed (by the server's clock);
    True only if this call closed it.

    The database decides: ``UPDATE ... WHERE status = 'PUBLISHED' AND deadline <= now``
    changes the row for exactly one of any callers racing, and only that one
    stamps and audits it. A loser sees the tender as the winner left it.
    """
    if not (MACHINE.can_move(tender.status, TenderStatus.CLOSED) and tender.status_at(now) is TenderStatus.CLOSED):
        return False
    won = (
        session.execute(
            update(Tender)
            .where(Tender.id == tender.id, Tender.status == TenderStatus.PUBLISHED, Tender.submission_deadline <= now)
            .values(status=TenderStatus.CLOSED, closed_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )
    if not won:
        session.expire(tender, ["status", "closed_at"])  # another caller closed it: read what it wrote
        return False
    set_committed_value(tender, "status", TenderStatus.CLOSED)
    set_committed_value(tender, "closed_at", now)
    record(session, None, "tender.closed", tender, previous=TenderStatus.PUBLISHED.name)
    return True


def close_due(session: Session, now: datetime) -> int:
    """Close every published tender whose deadline has passed; how many this call closed."""
    tenders = session.scalars(
        select(Tender)
        .where(Tender.status == TenderStatus.PUBLISHED, Tender.submission_deadline <= now)
        .order_by(Tender.id)
    ).all()
    return sum(close_if_due(session, tender, now) for tender in tenders)


def start_evaluation(session: Session, actor: User, tender: Tender, now: datetime) -> None:
    """Raises RuleViolation: the tender has not closed."""
    MACHINE.move(session, actor, tender, TenderStatus.EVALUATION, now)


def award(session: Session, actor: User, tender: Tender, now: datetime) -> None:
    """Raises RuleViolation: the tender is not in evaluation."""
    MACHINE.move(session, actor, tender, TenderStatus.AWARDED, now)


def cancel(session: Session, actor: User, tender: Tender, reason: str, now: datetime) -> None:
    """Cancel the tender; once it was published, that is its procurement termination
    notice: the reason is shown on its page and emailed to every organisation that
    registered interest or started a bid.

    Raises:
        RuleViolation: no reason, or already awarded or cancelled.
    """
    if not reason.strip():
        raise RuleViolation("reason", "Enter the reason for cancelling")
    was_published = tender.status is not TenderStatus.DRAFT
    MACHINE.move(session, actor, tender, TenderStatus.CANCELLED, now, reason=reason.strip())
    tender.cancellation_reason = reason.strip()
    if not was_published:
        return
    # The procurement termination notice (UK12): the reason is published on the opportunity's page, and
    # every organisation that registered interest or started a bid is told.
    addresses = {user.email for user in interested_users(session, tender)}
    for organisation_id in ask(bidders_requested, tender, set(), session=session):
        addresses.update(active_emails(session, organisation_id))
    for address in sorted(addresses):
        queue_email(session, address, "tender_cancelled", tender=tender, reason=reason.strip())
    record(session, actor, "tender.termination_notice", tender, recipients=len(addresses))
    tender_cancelled.send(tender, session=session, now=now)


# --- Amendments -----------------------------------------------------------------


def _display(value) -> str:
    if isinstance(value, datetime):
        return format_datetime(value)
    if hasattr(value, "isoformat"):
        return format_date(value)
    return "" if value is None else str(value)


def amend(session: Session, actor: User, tender: Tender, reason: str, changes: dict, now: datetime) -> Amendment:
    """Change a published tender's terms openly: record each change and the
    reason, and tell every provider that registered interest.

    Raises:
        RuleViolation: not open for bids (``policies.can_amend``), no reason,
            nothing changed, a field that cannot be amended, or a deadline
            moved earlier.
        RuleViolations: every way the timetable would no longer make sense.
    """
    if not policies.can_amend(actor, tender, now):
        raise RuleViolation(None, "Only a tender that is open for bids can be amended")
    if not reason.strip():
        raise RuleViolation("reason", "Enter the reason for the amendment")
    unknown = set(changes) - set(AMENDABLE)
    if unknown:
        raise RuleViolation(None, f"These cannot be amended: {', '.join(sorted(unknown))}")
    changed = {k: v for k, v in changes.items() if getattr(tender, k) != v}
    if not changed:
        raise RuleViolation(None, "Nothing has changed")
    if "submission_deadline" in changed and changed["submission_deadline"] < tender.submission_deadline:
        raise RuleViolation("submission_deadline", "The submission deadline can only be extended, not brought forward")
    before = {k: getattr(tender, k) for k in changed}
    for key, value in changed.items():
        setattr(tender, key, value)
    problems = timetable_problems(tender, now)
    if problems:
        for key, value in before.items():
            setattr(tender, key, value)
        raise RuleViolations(problems)
    amendment = Amendment(
        tender_id=tender.id,
        number=len(tender.amendments) + 1,
        reason=reason.strip(),
        published_by_id=actor.id,
        published_at=now,
        changes=[
            {"field": k, "label": AMENDABLE[k], "before": _display(before[k]), "after": _display(changed[k])}
            for k in changed
        ],
    )
    tender.amendments.append(amendment)  # keeps the collection, and so the next number, current
    session.flush()
    record(
        session,
        actor,
        "tender.amended",
        tender,
        number=amendment.number,
        reason=amendment.reason,
        changes=amendment.changes,
    )
    tender_url = external_url("tenders.show", reference=tender.reference)
    for user in interested_users(session, tender):
        queue_email(session, user.email, "tender_amended", tender=tender, amendment=amendment, tender_url=tender_url)
    tender_amended.send(tender, session=session, now=now, amendment=amendment)
    return amendment
