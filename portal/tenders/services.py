"""Tenders: building, publishing, amending, closing; interest, alerts, clarifications.

Every status change goes through ``_move`` and the TRANSITIONS table, so an
illegal one raises. A published tender's terms are frozen: they change only by
``amend``, which records what changed and why and tells every interested provider.
"""

from __future__ import annotations

from datetime import datetime


from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from portal.accounts.models import Role, User
from portal.agreements.models import Agreement, NoticeKind
from portal.agreements.services import issue_notice
from portal.audit.services import record
from portal.errors import RuleViolation
from portal.filters import format_datetime
from portal.notifications.services import queue_email
from portal.links import external_url
from portal.tenders.models import (Amendment, Clarification, Interest, QuestionKind, Tender,
                                   TenderStatus, alert_category, alert_district, lot_district)

TRANSITIONS = {
    TenderStatus.DRAFT: {TenderStatus.PUBLISHED, TenderStatus.CANCELLED},
    TenderStatus.PUBLISHED: {TenderStatus.CLOSED, TenderStatus.CANCELLED},
    TenderStatus.CLOSED: {TenderStatus.EVALUATION, TenderStatus.CANCELLED},
    TenderStatus.EVALUATION: {TenderStatus.AWARDED, TenderStatus.CANCELLED},
    TenderStatus.AWARDED: set(),
    TenderStatus.CANCELLED: set(),
}
STAMP = {
    TenderStatus.PUBLISHED: "published_at", TenderStatus.CLOSED: "closed_at",
    TenderStatus.EVALUATION: "evaluation_started_at", TenderStatus.AWARDED: "awarded_at",
    TenderStatus.CANCELLED: "cancelled_at",
}
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


def _move(session: Session, actor: User | None, tender: Tender, to: TenderStatus, now: datetime, **details) -> None:
    """The only place a tender's status changes.

    Raises:
        RuleViolation: the move is not allowed from the current status.
    """
    if to not in TRANSITIONS[tender.status]:
        raise RuleViolation(None, f"A tender that is {tender.status.value.lower()} cannot be "
                                  f"{'moved to ' + to.value.lower() if to is not TenderStatus.CANCELLED else 'cancelled'}")
    previous = tender.status
    tender.status = to
    setattr(tender, STAMP[to], now)
    record(session, actor, f"tender.{to.name.lower()}", tender, previous=previous.name, **details)


def require_draft(tender: Tender) -> None:
    """Raises RuleViolation: the tender is published, so its terms are frozen."""
    if tender.status is not TenderStatus.DRAFT:
        raise RuleViolation(None, "This tender has been published: change it by publishing an amendment")


# --- Checking and publishing --------------------------------------------------

def quality_weight_totals(tender: Tender) -> dict[int, int]:
    """For each lot number, the total weight of the quality questions that apply to it."""
    totals = {lot.number: 0 for lot in tender.lots}
    for question in tender.questions:
        if question.kind is QuestionKind.QUALITY:
            numbers = [lot.number for lot in question.lots] or list(totals)
            for number in numbers:
                totals[number] = totals.get(number, 0) + question.weight
    return totals


def timetable_problems(tender: Tender, now: datetime) -> list[RuleViolation]:
    problems = []
    if tender.submission_deadline is None:
        problems.append(RuleViolation("submission_deadline", "Enter the submission deadline"))
    elif tender.submission_deadline <= now:
        problems.append(RuleViolation("submission_deadline", "The submission deadline must be in the future"))
    if tender.clarification_deadline is None:
        problems.append(RuleViolation("clarification_deadline", "Enter when clarification questions close"))
    elif tender.submission_deadline and tender.clarification_deadline >= tender.submission_deadline:
        problems.append(RuleViolation("clarification_deadline",
                                      "Clarification questions must close before the submission deadline"))
    if tender.answers_by and tender.submission_deadline and tender.answers_by > tender.submission_deadline:
        problems.append(RuleViolation("answers_by", "Answers must be published before the submission deadline"))
    if tender.answers_by and tender.clarification_deadline and tender.answers_by < tender.clarification_deadline:
        problems.append(RuleViolation("answers_by", "Answers cannot be due before questions close"))
    if tender.contract_start_date and tender.submission_deadline and \
            tender.contract_start_date <= tender.submission_deadline.date():
        problems.append(RuleViolation("contract_start_date", "The contract must start after the submission deadline"))
    return problems


def publication_problems(tender: Tender, now: datetime) -> list[RuleViolation]:
    """Everything that stops the tender being published, for the checklist."""
    problems = []
    if not tender.lots:
        problems.append(RuleViolation("lots", "Add at least one lot"))
    problems += timetable_problems(tender, now)
    if tender.quality_weight + tender.price_weight != 100:
        problems.append(RuleViolation("quality_weight", "The quality and price split must total 100%"))
    if not any(q.kind is QuestionKind.QUALITY for q in tender.questions):
        problems.append(RuleViolation("questions", "Add at least one scored quality question"))
    for number, total in sorted(quality_weight_totals(tender).items()):
        if total != 100:
            problems.append(RuleViolation("questions", f"The quality question weights for lot {number} total "
                                                       f"{total}%: they must total 100%"))
    if any(q.kind is QuestionKind.PASS_FAIL and q.passing_answer is None for q in tender.questions):
        problems.append(RuleViolation("questions", "Every pass or fail question needs the answer that passes"))
    descriptors = tender.score_descriptors or {}
    if any(not str(descriptors.get(str(score), "")).strip() for score in range(6)):
        problems.append(RuleViolation("score_descriptors", "Describe what each score from 0 to 5 means"))
    if tender.decision_id is None:
        problems.append(RuleViolation("decision_id", "Link the executive decision that authorised this tender"))
    if not tender.conflicts_assessed_at:
        problems.append(RuleViolation("conflicts_assessment", "Record the conflicts of interest assessment"))
    return problems


def publish(session: Session, actor: User, tender: Tender, now: datetime) -> None:
    """Publish a draft: it opens for bids, and matching providers and the
    incumbents it replaces are told.

    Raises:
        RuleViolation: the tender is not a draft, or anything on the checklist
            is missing (the first problem; the checklist page lists them all).
    """
    require_draft(tender)
    problems = publication_problems(tender, now)
    if problems:
        raise problems[0]
    _move(session, actor, tender, TenderStatus.PUBLISHED, now)
    _alert_matching_providers(session, tender)
    _tell_incumbents(session, actor, tender)


def record_conflicts_assessment(session: Session, actor: User, tender: Tender, assessment: str, now: datetime) -> None:
    """Raises RuleViolation: empty assessment."""
    if not assessment.strip():
        raise RuleViolation("conflicts_assessment", "Enter the conflicts of interest assessment")
    tender.conflicts_assessment = assessment.strip()
    tender.conflicts_assessed_at = now
    tender.conflicts_assessed_by_id = actor.id
    record(session, actor, "tender.conflicts_assessed", tender)


def link_agreements(session: Session, actor: User, tender: Tender, agreements: list[Agreement]) -> None:
    """Mark these agreements as replaced by the tender; their ending notices then point to it."""
    for agreement in agreements:
        agreement.replacement_tender_id = tender.id
    record(session, actor, "tender.agreements_linked", tender, agreement_ids=[a.id for a in agreements])
    if tender.status is TenderStatus.PUBLISHED:
        session.flush()
        _tell_incumbents(session, actor, tender, only=agreements)


def close_if_due(session: Session, tender: Tender, now: datetime) -> bool:
    """Close a published tender whose deadline has passed (by the server's clock)."""
    if tender.status is TenderStatus.PUBLISHED and tender.submission_deadline and tender.submission_deadline <= now:
        _move(session, None, tender, TenderStatus.CLOSED, now)
        return True
    return False


def close_due(session: Session, now: datetime) -> int:
    tenders = session.scalars(select(Tender).where(Tender.status == TenderStatus.PUBLISHED,
                                                   Tender.submission_deadline <= now)).all()
    return sum(close_if_due(session, tender, now) for tender in tenders)


def start_evaluation(session: Session, actor: User, tender: Tender, now: datetime) -> None:
    """Raises RuleViolation: the tender has not closed."""
    _move(session, actor, tender, TenderStatus.EVALUATION, now)


def award(session: Session, actor: User, tender: Tender, now: datetime) -> None:
    """Raises RuleViolation: the tender is not in evaluation."""
    _move(session, actor, tender, TenderStatus.AWARDED, now)


def cancel(session: Session, actor: User, tender: Tender, reason: str, now: datetime) -> None:
    """Raises RuleViolation: no reason, or already awarded or cancelled."""
    if not reason.strip():
        raise RuleViolation("reason", "Enter the reason for cancelling")
    _move(session, actor, tender, TenderStatus.CANCELLED, now, reason=reason.strip())
    tender.cancellation_reason = reason.strip()
    for user in interested_users(session, tender):
        queue_email(session, user.email, "tender_cancelled", tender=tender, reason=reason.strip())


# --- Amendments -----------------------------------------------------------------

def _display(value) -> str:
    if isinstance(value, datetime):
        return format_datetime(value)
    if hasattr(value, "isoformat"):
        from portal.filters import format_date

        return format_date(value)
    return "" if value is None else str(value)


def amend(session: Session, actor: User, tender: Tender, reason: str, changes: dict, now: datetime) -> Amendment:
    """Change a published tender's terms openly: record each change and the
    reason, and tell every provider that registered interest.

    Raises:
        RuleViolation: not published, no reason, nothing changed, a field that
            cannot be amended, a deadline moved earlier, or a timetable that no
            longer makes sense.
    """
    if tender.status is not TenderStatus.PUBLISHED:
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
        raise problems[0]
    number = len(tender.amendments) + 1
    amendment = Amendment(tender_id=tender.id, number=number, reason=reason.strip(), published_by_id=actor.id,
                          published_at=now, changes=[
                              {"field": k, "label": AMENDABLE[k], "before": _display(before[k]),
                               "after": _display(changed[k])} for k in changed])
    tender.amendments.append(amendment)  # keeps the collection, and so the next number, current
    session.flush()
    record(session, actor, "tender.amended", tender, number=number, reason=amendment.reason,
           changes=amendment.changes)
    for user in interested_users(session, tender):
        queue_email(session, user.email, "tender_amended", tender=tender, amendment=amendment,
                    tender_url=external_url("tenders.show", reference=tender.reference))
    return amendment


# --- Interest and alerts ----------------------------------------------------------

def register_interest(session: Session, user: User, tender: Tender) -> Interest | None:
    """Raises RuleViolation: the tender is not open, or the user is not a provider."""
    if user.role is not Role.PROVIDER or user.organisation_id is None:
        raise RuleViolation(None, "Only providers can register interest")
    if tender.status is not TenderStatus.PUBLISHED:
        raise RuleViolation(None, "This opportunity is not open")
    existing = session.scalar(select(Interest).where(Interest.tender_id == tender.id,
                                                     Interest.organisation_id == user.organisation_id))
    if existing:
        return existing
    interest = Interest(tender_id=tender.id, organisation_id=user.organisation_id, registered_by_id=user.id)
    session.add(interest)
    session.flush()
    record(session, user, "tender.interest_registered", tender, organisation_id=user.organisation_id)
    return interest


def has_interest(session: Session, organisation_id: int | None, tender: Tender) -> bool:
    return bool(organisation_id) and bool(session.scalar(select(Interest.id).where(
        Interest.tender_id == tender.id, Interest.organisation_id == organisation_id)))


def interested_users(session: Session, tender: Tender) -> list[User]:
    """Everyone able to act for an organisation that registered interest."""
    return list(session.scalars(select(User).join(Interest, Interest.organisation_id == User.organisation_id).where(
        Interest.tender_id == tender.id, User.deactivated_at.is_(None), User.email_verified_at.is_not(None))))


def set_alert_preferences(session: Session, user: User, category_ids: list[int], district_ids: list[int]) -> None:
    """Replace the user's alert choices (none of either means no alerts)."""
    session.execute(alert_category.delete().where(alert_category.c.user_id == user.id))
    session.execute(alert_district.delete().where(alert_district.c.user_id == user.id))
    if category_ids:
        session.execute(alert_category.insert(), [{"user_id": user.id, "category_id": c} for c in set(category_ids)])
    if district_ids:
        session.execute(alert_district.insert(), [{"user_id": user.id, "district_id": d} for d in set(district_ids)])
    record(session, user, "alerts.changed", user, category_ids=sorted(set(category_ids)),
           district_ids=sorted(set(district_ids)))


def alert_preferences(session: Session, user: User) -> tuple[list[int], list[int]]:
    return (list(session.scalars(select(alert_category.c.category_id).where(alert_category.c.user_id == user.id))),
            list(session.scalars(select(alert_district.c.district_id).where(alert_district.c.user_id == user.id))))


def matching_alert_users(session: Session, tender: Tender) -> list[User]:
    """Providers who asked for alerts matching this tender.

    A user matches when the tender's category is one they chose (or they chose
    no category) and one of its lots covers a district they chose (or they
    chose no district); a user who chose neither gets no alerts.
    """
    lot_ids = [lot.id for lot in tender.lots]
    chose_category = exists().where(alert_category.c.user_id == User.id)
    chose_district = exists().where(alert_district.c.user_id == User.id)
    category_ok = or_(~chose_category, exists().where(alert_category.c.user_id == User.id,
                                                      alert_category.c.category_id == tender.category_id))
    district_ok = or_(~chose_district, exists().where(
        alert_district.c.user_id == User.id, alert_district.c.district_id == lot_district.c.district_id,
        lot_district.c.lot_id.in_(lot_ids)))
    return list(session.scalars(select(User).where(
        User.role == Role.PROVIDER, User.deactivated_at.is_(None), User.email_verified_at.is_not(None),
        or_(chose_category, chose_district), category_ok, district_ok).order_by(User.id)))


def _alert_matching_providers(session: Session, tender: Tender) -> None:
    tender_url = external_url("tenders.show", reference=tender.reference)
    for user in matching_alert_users(session, tender):
        queue_email(session, user.email, "tender_alert", tender=tender, tender_url=tender_url)


def _tell_incumbents(session: Session, actor: User | None, tender: Tender, only: list[Agreement] | None = None) -> None:
    agreements = only if only is not None else list(session.scalars(
        select(Agreement).where(Agreement.replacement_tender_id == tender.id)))
    for agreement in agreements:
        deadline = format_datetime(tender.submission_deadline) if tender.submission_deadline else "to be confirmed"
        issue_notice(
            session, agreement.organisation, agreement, NoticeKind.REPLACEMENT, f"replacement:{tender.id}",
            f"A new opportunity replaces your agreement {agreement.reference}",
            f"Your agreement {agreement.reference}, {agreement.service_name}, ends on "
            f"{_display(agreement.end_date)}. It is replaced by the opportunity \u201c{tender.title}\u201d "
            f"({tender.reference}), now open for bids. The deadline for bids is {deadline}.", sent_by=actor)


# --- Clarifications -------------------------------------------------------------

MAX_QUESTION_LENGTH = 5000


def ask(session: Session, user: User, tender: Tender, question: str, now: datetime) -> Clarification:
    """A provider's question, before clarification questions close.

    Raises:
        RuleViolation: the tender is not open, questions have closed (with the
            time they closed), or the question is empty or too long.
    """
    if user.role is not Role.PROVIDER or user.organisation_id is None:
        raise RuleViolation(None, "Only providers can ask clarification questions")
    if tender.status is not TenderStatus.PUBLISHED:
        raise RuleViolation(None, "This opportunity is not open for questions")
    if tender.clarification_deadline is None or now >= tender.clarification_deadline:
        raise RuleViolation("question", "Clarification questions closed at "
                                        f"{format_datetime(tender.clarification_deadline)}. "
                                        "Questions can no longer be asked")
    if not question.strip():
        raise RuleViolation("question", "Enter your question")
    if len(question) > MAX_QUESTION_LENGTH:
        raise RuleViolation("question", f"Your question must be {MAX_QUESTION_LENGTH:,} characters or fewer")
    clarification = Clarification(tender_id=tender.id, organisation_id=user.organisation_id, asked_by_id=user.id,
                                   question=question.strip(), asked_at=now)
    session.add(clarification)
    session.flush()
    record(session, user, "clarification.asked", clarification, tender_id=tender.id)
    register_interest(session, user, tender)
    return clarification


def answer(session: Session, actor: User, clarification: Clarification, tender: Tender, text: str, publish_to_all: bool,
           now: datetime) -> None:
    """Answer a question: privately to the asker, or published to everyone
    without saying who asked, and emailed to every interested provider.

    Raises:
        RuleViolation: empty answer, already answered, or the tender not open.
    """
    if not text.strip():
        raise RuleViolation("answer", "Enter the answer")
    if clarification.answered_at is not None:
        raise RuleViolation(None, "This question has already been answered")
    if tender.status is not TenderStatus.PUBLISHED:
        raise RuleViolation(None, "Questions can only be answered while the tender is open")
    clarification.answer = text.strip()
    clarification.answered_at = now
    clarification.answered_by_id = actor.id
    clarification.is_published = publish_to_all
    record(session, actor, "clarification.answered", clarification, published=publish_to_all)
    tender_url = external_url("tenders.show", reference=tender.reference)
    if publish_to_all:
        recipients = {u.email for u in interested_users(session, tender)}
    else:
        recipients = set(session.scalars(select(User.email).where(
            User.organisation_id == clarification.organisation_id, User.deactivated_at.is_(None),
            User.email_verified_at.is_not(None))))
    for email in sorted(recipients):
        # The email quotes the question and answer only: never who asked.
        queue_email(session, email, "clarification_answered", tender=tender, clarification=clarification,
                    tender_url=tender_url, published=publish_to_all)
