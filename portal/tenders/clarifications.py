"""Clarification questions: providers ask before questions close; officers
answer privately to the asker's organisation, or publish the answer to everyone
without saying who asked.

Answering takes three steps: the officer writes the answer (``draft_answer``,
which may reword the question for publication), previews it as every provider
will read it, then sends it (``send_answer``). Nothing is emailed, and no
provider sees anything, until it is sent."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from portal.accounts.models import Role, User
from portal.accounts.queries import active_emails
from portal.audit.services import record
from portal.errors import RuleViolation, RuleViolations
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


def _open_for_answers(actor: User, clarification: Clarification, tender: Tender, now: datetime) -> None:
    if clarification.answered_at is not None:
        raise RuleViolation(None, "This question has already been answered")
    if not policies.can_answer(actor, tender, now):
        raise RuleViolation(None, "Questions can only be answered while the tender is open")


def draft_answer(
    session: Session,
    actor: User,
    clarification: Clarification,
    tender: Tender,
    text: str,
    publish_to_all: bool,
    published_question: str | None,
    now: datetime,
) -> Clarification:
    """Save the answer as a draft (nobody but officers sees it yet), with who it is
    for and, for everyone, the question as it will be published: the officer may
    reword it to leave out what identifies the asker. The draft can be rewritten
    until it is sent (``send_answer``).

    Raises:
        RuleViolation: empty or too long answer or wording, already answered, or the
            tender not open for bids (``policies.can_answer``).
    """
    _open_for_answers(actor, clarification, tender, now)
    problems = []
    if not text.strip():
        problems.append(RuleViolation("answer", "Enter the answer"))
    wording = (published_question or "").strip() if publish_to_all else ""
    if publish_to_all and not wording:
        problems.append(RuleViolation("published_question", "Enter the question as it will be published"))
    if len(wording) > MAX_QUESTION_LENGTH:
        problems.append(
            RuleViolation("published_question", f"The question must be {MAX_QUESTION_LENGTH:,} characters or fewer")
        )
    if problems:
        raise RuleViolations(problems)
    # Only a real rewording is kept: the original stays the question's record.
    reworded = wording if wording and wording != clarification.question else None
    values = {"answer": text.strip(), "is_answer_for_everyone": publish_to_all, "published_question": reworded}
    # The database decides against a colleague sending the answer meanwhile.
    _update_unless_changed(session, clarification, values, [], "This question has already been answered")
    record(
        session,
        actor,
        "clarification.answer_drafted",
        clarification,
        tender_id=tender.id,
        published=publish_to_all,
        reworded=reworded is not None,
    )
    return clarification


def _update_unless_changed(
    session: Session, clarification: Clarification, values: dict, still_as_read: list, refusal: str
) -> None:
    """Write ``values`` only while the question is unanswered and ``still_as_read`` holds: a
    conditional UPDATE, so of two officers at once exactly one wins and the other is refused
    with ``refusal`` (RuleViolation) rather than overwriting or sending twice."""
    changed = session.execute(
        update(Clarification)
        .where(Clarification.id == clarification.id, Clarification.answered_at.is_(None), *still_as_read)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:
        session.expire(clarification)
        raise RuleViolation(None, refusal)
    for name, value in values.items():
        set_committed_value(clarification, name, value)


def draft_digest(clarification: Clarification) -> str:
    """A fingerprint of the draft as previewed: sending checks that nobody changed it since."""
    draft = [clarification.answer, clarification.is_answer_for_everyone, clarification.published_question]
    return hashlib.sha256(json.dumps(draft).encode()).hexdigest()[:32]


def recipients_of(session: Session, clarification: Clarification, tender: Tender) -> list[str]:
    """Who the answer would be emailed to: every interested provider's people, or
    the asker's organisation only."""
    if clarification.is_answer_for_everyone:
        return sorted({user.email for user in interested_users(session, tender)})
    return sorted(set(active_emails(session, clarification.organisation_id)))


def send_answer(
    session: Session,
    actor: User,
    clarification: Clarification,
    tender: Tender,
    now: datetime,
    previewed: str | None = None,
) -> bool:
    """Send the drafted answer: published to everyone (under the published wording,
    without saying who asked) or to the asker's organisation only, and emailed to
    them. ``previewed`` is ``draft_digest`` of the draft the officer saw; True if it
    went to everyone.

    Raises:
        RuleViolation: no draft answer yet, already answered, the draft changed
            since it was previewed, or the tender not open for bids.
    """
    _open_for_answers(actor, clarification, tender, now)
    if clarification.answer is None or clarification.is_answer_for_everyone is None:
        raise RuleViolation(None, "Write the answer before you send it")
    if previewed is not None and previewed != draft_digest(clarification):
        raise RuleViolation(None, "The answer has been changed since you previewed it. Check it again, then send it")
    publish_to_all = bool(clarification.is_answer_for_everyone)
    values = {"answered_at": now, "answered_by_id": actor.id, "is_published": publish_to_all}
    # Exactly one of two officers sending at once sends it, and only what was previewed.
    as_previewed = [
        Clarification.answer == clarification.answer,
        Clarification.published_question.is_not_distinct_from(clarification.published_question),
        Clarification.is_answer_for_everyone == publish_to_all,
    ]
    _update_unless_changed(
        session,
        clarification,
        values,
        as_previewed,
        "This answer has just been changed or sent by someone else. Check it again",
    )
    record(
        session,
        actor,
        "clarification.answered",
        clarification,
        published=publish_to_all,
        reworded=clarification.published_question is not None,
    )
    tender_url = external_url("tenders.show", reference=tender.reference)
    for email in recipients_of(session, clarification, tender):
        # The email quotes the question (as published, for everyone) and the answer only: never who asked.
        queue_email(
            session,
            email,
            "clarification_answered",
            tender=tender,
            clarification=clarification,
            tender_url=tender_url,
            published=publish_to_all,
        )
    return publish_to_all


def answer(
    session: Session,
    actor: User,
    clarification: Clarification,
    tender: Tender,
    text: str,
    publish_to_all: bool,
    now: datetime,
    published_question: str | None = None,
) -> None:
    """Draft the answer and send it at once (for commands, demo data and tests; the
    officers' pages preview it in between). ``published_question`` defaults to the
    question as asked.

    Raises:
        RuleViolation: as ``draft_answer`` and ``send_answer``.
    """
    draft_answer(
        session,
        actor,
        clarification,
        tender,
        text,
        publish_to_all,
        clarification.question if published_question is None else published_question,
        now,
    )
    send_answer(session, actor, clarification, tender, now)
