"""Recording executive decisions and their accompanying documents.

A decision is the authority for a tender: officers record it as the council
published it (number, maker, status, reasons, decision text, dates).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import files
from portal.accounts.models import User
from portal.audit.services import record
from portal.decisions.models import Decision, DecisionDocument
from portal.errors import RuleViolation, RuleViolations

NUMBER_FORMAT = re.compile(r"\d{2}/\d{5}")
STATUSES = (
    "Recommendations Approved",
    "Approved",
    "For Determination",
    "Deferred",
    "Item Called In",
    "Implemented",
    "Withdrawn",
    "Abandoned",
    "Rejected",
)


@dataclass
class DecisionData:
    number: str
    title: str
    decision_maker: str
    status: str
    is_key_decision: bool | None
    is_subject_to_call_in: bool | None
    is_urgent: bool | None
    is_exempt: bool | None
    reasons: str
    decision_text: str
    decision_date: date | None
    publication_date: date | None
    lead_officer: str | None = None
    division: str | None = None


# (field, label, maximum length or None for long text)
_REQUIRED_TEXT = (
    ("title", "Title", 200),
    ("decision_maker", "Decision maker", 200),
    ("status", "Decision status", 80),
    ("reasons", "Reasons for the decision", None),
    ("decision_text", "Decision", None),
)
_OPTIONAL_TEXT = (("lead_officer", "Lead officer", 120), ("division", "Division", 120))
_YES_NO = (
    ("is_key_decision", "Select yes if it is a key decision"),
    ("is_subject_to_call_in", "Select yes if it is subject to call-in"),
    ("is_urgent", "Select yes if it is an urgent item"),
    ("is_exempt", "Select yes if it is exempt from publication"),
)


def decision_problems(session: Session, data: DecisionData) -> list[RuleViolation]:
    """Everything wrong with the data, in the order the form asks for it (none: it may be recorded)."""
    problems = []
    number = (data.number or "").strip()
    if not number:
        problems.append(RuleViolation("number", "Enter the decision number"))
    elif not NUMBER_FORMAT.fullmatch(number):
        problems.append(
            RuleViolation("number", "Enter the decision number as two digits, a slash and five digits, like 22/00094")
        )
    elif session.scalar(select(Decision.id).where(Decision.number == number)):
        problems.append(RuleViolation("number", f"Decision {number} has already been recorded"))
    for name, label, limit in _REQUIRED_TEXT:
        value = (getattr(data, name) or "").strip()
        if not value:
            problems.append(RuleViolation(name, f"Enter the {label.lower()}"))
        elif limit and len(value) > limit:
            problems.append(RuleViolation(name, f"{label} must be {limit} characters or fewer"))
    for name, label, limit in _OPTIONAL_TEXT:
        if len((getattr(data, name) or "").strip()) > limit:
            problems.append(RuleViolation(name, f"{label} must be {limit} characters or fewer"))
    for name, message in _YES_NO:
        if not isinstance(getattr(data, name), bool):
            problems.append(RuleViolation(name, message))
    if data.decision_date is None:
        problems.append(RuleViolation("decision_date", "Enter the date of the decision"))
    if data.publication_date is None:
        problems.append(RuleViolation("publication_date", "Enter the publication date"))
    elif data.decision_date is not None and data.publication_date < data.decision_date:
        problems.append(
            RuleViolation(
                "publication_date", "The publication date must be the same as or after the date of the decision"
            )
        )
    return problems


def record_decision(session: Session, actor: User, data: DecisionData) -> Decision:
    """Record a decision as published.

    Raises:
        RuleViolations: every problem found, in the form's order: a number not
            like 22/00094 or already recorded, a missing or too long field, a
            yes or no left unanswered, a missing date, or publication before
            the decision.
    """
    RuleViolations.raise_any(decision_problems(session, data))
    decision = Decision(
        number=data.number.strip(),
        title=data.title.strip(),
        decision_maker=data.decision_maker.strip(),
        status=data.status.strip(),
        is_key_decision=data.is_key_decision,
        is_subject_to_call_in=data.is_subject_to_call_in,
        is_urgent=data.is_urgent,
        is_exempt=data.is_exempt,
        lead_officer=(data.lead_officer or "").strip() or None,
        division=(data.division or "").strip() or None,
        reasons=data.reasons.strip(),
        decision_text=data.decision_text.strip(),
        decision_date=data.decision_date,
        publication_date=data.publication_date,
        recorded_by_id=getattr(actor, "id", None),
    )
    session.add(decision)
    session.flush()
    record(session, actor, "decision.recorded", decision, number=decision.number)
    return decision


def add_document(
    session: Session, actor: User, decision: Decision, title: str, filename: str, content: bytes, max_bytes: int
) -> DecisionDocument:
    """Attach an accompanying document (a report, an equality impact assessment...).

    Raises:
        RuleViolation: no title or a title over 200 characters; an empty, too
            large or disallowed file (judged by its content, not its name).
    """
    title = (title or "").strip()
    if not title:
        raise RuleViolation("title", "Enter the document's title")
    if len(title) > 200:
        raise RuleViolation("title", "Title must be 200 characters or fewer")
    stored = files.store(session, actor, filename, content, max_bytes)
    document = DecisionDocument(decision_id=decision.id, file_id=stored.id, title=title)
    session.add(document)
    session.flush()
    record(
        session,
        actor,
        "decision.document_added",
        decision,
        document_id=document.id,
        file_id=stored.id,
        filename=stored.filename,
        sha256=stored.sha256,
    )
    return document
