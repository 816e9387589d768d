"""Clarification questions: providers ask before questions close; officers
answer privately to the asker's organisation, or publish the answer to everyone
without saying who asked."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from portal.accounts.models import Role, User
from portal.accounts.queries import active_emails
from portal.audit.services import record
from portal.errors import RuleViolation
from portal.filters import format_datetime
from portal.links import external_url
from portal.notifications.services import queue_email
from portal.tenders import policies
from portal.tenders.interest import interested_users, register_interest
from portal.tenders.models import Clarification, Tender, TenderStatus

MAX_QUESTION_LENGTH = 5000


def ask(session: Session, user: User, tender: Tender, question: str, now: datetime) -> Clarification:
    """A provider's question, before clarification questions close; asking
    registers the organisation's interest.

    Raises:
        RuleViolation: the tender is not open, questions have closed (with the
            time they closed), or the question is empty or too long.
    """
    if user.role is not Role.PROVIDER or user.organisation_id is None:
        raise RuleViolation(None, "Only providers can ask clarification questions")
    if tender.status is not TenderStatus.PUBLISHED:
        raise RuleViolation(None, "This opportunity is not open for questions")
    if tender.clarification_deadline is None or now >= tender.clarification_deadline:
        raise RuleViolation(
            "question",
            "Clarification questions closed at "
            f"{format_datetime(tender.clarification_deadline)}. "
            "Questions can no longer be asked",
        )
    if not question.strip():
        raise RuleViolation("question", "Enter your question")
    if len(question) > MAX_QUESTION_LENGTH:
        raise RuleViolation("question", f"Your question must be {MAX_QUESTION_LENGTH:,} characters or fewer")
    clarification = Clarification(
        tender_id=tender.id,
        organisation_id=user.organisation_id,
        asked_by_id=user.id,
        question=question.strip(),
        asked_at=now,
    )
    session.add(clarification)
    session.flush()
    record(session, user, "clarification.asked", clarification, tender_id=tender.id)
    register_interest(session, user, tender)
    return clarification


def answer(
    session: Session,
    actor: User,
    clarification: Clarification,
    tender: Tender,
    text: str,
    publish_to_all: bool,
    now: datetime,
) -> None:
    """Answer a question: privately to the asker, or published to everyone
    without saying who asked, and emailed to every interested provider.

    Raises:
        RuleViolation: empty answer, already answered, or the tender not open
            for bids (``policies.can_answer``).
    """
    if not text.strip():
        raise RuleViolation("answer", "Enter the answer")
    if clarification.answered_at is not None:
        raise RuleViolation(None, "This question has already been answered")
    if not policies.can_answer(actor, tender, now):
        raise RuleViolation(None, "Questions can only be answered while the tender is open")
    clarification.answer = text.strip()
    clarification.answered_at = now
    clarification.answered_by_id = actor.id
    clarification.is_published = publish_to_all
    record(session, actor, "clarification.answered", clarification, published=publish_to_all)
    tender_url = external_url("tenders.show", reference=tender.reference)
    if publish_to_all:
        recipients = {user.email for user in interested_users(session, tender)}
    else:
        recipients = set(active_emails(session, clarification.organisation_id))
    for email in sorted(recipients):
        # The email quotes the question and answer only: never who asked.
        queue_email(
            session,
            email,
            "clarification_answered",
            tender=tender,
            clarification=clarification,
            tender_url=tender_url,
            published=publish_to_all,
        )
