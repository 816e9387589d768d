"""The audit trail as people read it: a tender's history for its officers, and the
chain's published heads for everyone.

A tender's trail is every audit event about the tender itself or about anything that
belongs to it (lots, documents, questions, amendments, interest, clarifications, bids
and their submissions, the evaluation's and the award's rows), oldest first, in the
chain's order. The seal holds here too: until the submission deadline has passed,
events about bids and registered interest are left out, since their actors and details
name the organisations bidding.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.audit.chain import head_as_data, published_heads
from portal.audit.models import AuditEvent, AuditHead
from portal.awards.models import AssessmentSummary, AwardNotice, LotAward
from portal.bids.models import Bid, BidAnswer, BidAttachment, BidOpening, BidStatus, Submission
from portal.bids.policies import is_opened
from portal.evaluation.models import (
    ConflictDeclaration,
    LotEvaluation,
    LotResult,
    ModeratedScore,
    PanelMember,
    Score,
    SelectionDecision,
)
from portal.pagination import Page
from portal.providers.models import Organisation
from portal.tenders.models import (
    Amendment,
    Clarification,
    Interest,
    Lot,
    Question,
    QuestionnaireSection,
    Tender,
    TenderDocument,
)

PAGE_SIZE = 50
HEADS_PAGE_SIZE = 100

# Rows with a tender_id of their own.
OWNED_BY_TENDER = (
    Lot,
    TenderDocument,
    QuestionnaireSection,
    Question,
    Amendment,
    Interest,
    Clarification,
    Bid,
    BidOpening,
    PanelMember,
    ConflictDeclaration,
    LotEvaluation,
    LotAward,
    AssessmentSummary,
    AwardNotice,
)
# Rows of one of the tender's bids, or of one of its submissions.
OWNED_BY_BID = (BidAnswer, BidAttachment, Submission)
OWNED_BY_SUBMISSION = (Score, ModeratedScore, SelectionDecision)
# What names a bidder: hidden until the submission deadline has passed.
SEALED_TYPES = frozenset({"bid", "bid_answer", "bid_attachment", "submission", "interest"})
SEALED_ACTIONS = frozenset({"tender.interest_registered"})

ACTION_WORDS = {
    "tender.created": "Created the draft tender",
    "tender.details_changed": "Changed the tender's details",
    "tender.timetable_changed": "Changed the timetable",
    "tender.evaluation_method_changed": "Changed the evaluation method",
    "tender.lot_added": "Added a lot",
    "tender.lot_changed": "Changed a lot",
    "tender.lot_removed": "Removed a lot",
    "tender.section_added": "Added a questionnaire section",
    "tender.section_changed": "Changed a questionnaire section",
    "tender.section_removed": "Removed a questionnaire section",
    "tender.question_added": "Added a question",
    "tender.question_changed": "Changed a question",
    "tender.question_removed": "Removed a question",
    "tender.document_added": "Added a document",
    "tender.document_removed": "Removed a document",
    "tender.decision_linked": "Linked the authorising decision",
    "tender.conflicts_assessed": "Assessed conflicts of interest",
    "tender.agreements_linked": "Linked the agreements the tender replaces",
    "tender.published": "Published the tender",
    "tender.amended": "Amended the tender",
    "tender.closed": "Closed the tender for bids",
    "tender.evaluation": "Started the evaluation",
    "tender.awarded": "Awarded the tender",
    "tender.cancelled": "Cancelled the tender",
    "tender.termination_notice": "Told the providers of replaced agreements",
    "tender.interest_registered": "Registered interest",
    "tender.opening_confirmed": "Confirmed the opening of the bids",
    "tender.bids_opened": "Opened the bids",
    "clarification.asked": "Asked a clarification question",
    "clarification.answered": "Answered a clarification question",
    "bid.started": "Started a bid",
    "bid.lots_chosen": "Chose the lots to bid for",
    "bid.file_attached": "Attached a file to a bid",
    "bid.file_removed": "Removed a file from a bid",
    "bid.submitted": "Submitted a bid",
    "bid.withdrawn": "Withdrew a bid",
    "conflict.declared": "Declared a conflict of interest",
    "conflict.none_declared": "Declared no conflict of interest",
    "conflict.handled": "Decided on a declared conflict of interest",
    "evaluation.panel_appointed": "Appointed an evaluator",
    "evaluation.panel_removed": "Removed an evaluator",
    "score.saved": "Saved a score",
    "score.submitted": "Submitted scores",
    "score.moderated": "Agreed a moderated score",
    "price.checked": "Checked the prices",
    "selection.failure_upheld": "Upheld a failed pass or fail answer",
    "selection.failure_overridden": "Overrode a failed pass or fail answer",
    "lot_evaluation.moderation": "Moved a lot to moderation",
    "lot_evaluation.complete": "Completed a lot's evaluation",
    "award.proposed": "Proposed the award of a lot",
    "award.approved": "Approved the award of a lot",
    "award.summaries_prepared": "Prepared the assessment summaries",
    "award.summary_reworded": "Reworded an assessment summary",
    "award.summaries_sent": "Sent the assessment summaries",
    "award.notice_published": "Published the award notice",
    "award.contracts_entered": "Entered the contracts",
    "award.details_notice_published": "Published the contract details notice",
    "agreement.awarded": "Made agreements from the award",
}


def action_words(action: str) -> str:
    """The action in plain words ("tender.lot_added" is "Added a lot"); one not listed
    is spelt out from its code ("Tender: lot added")."""
    if action in ACTION_WORDS:
        return ACTION_WORDS[action]
    subject, _, verb = action.partition(".")
    subject = subject.replace("_", " ").capitalize()
    return f"{subject}: {verb.replace('_', ' ')}" if verb else subject


def _value_text(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_value_text(v) for v in value) if value else "none"
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


def details_lines(details: dict | None) -> list[str]:
    """The event's details as lines of "Label: value", in the order of their names."""
    return [
        f"{key.replace('_', ' ').capitalize()}: {_value_text(value)}" for key, value in sorted((details or {}).items())
    ]


@dataclass(frozen=True)
class TrailRow:
    """One event as the trail shows it."""

    position: int | None
    occurred_at: datetime
    who: str
    action: str
    object_type: str
    object_id: int | None
    details: dict
    hash: str | None

    @property
    def what(self) -> str:
        return action_words(self.action)

    @property
    def details_lines(self) -> list[str]:
        return details_lines(self.details)


def is_sealed(tender: Tender, now: datetime) -> bool:
    """Whether the tender's bids are still sealed: the seal the bid pages keep
    (``bids.policies.is_opened``): until two officers have opened them after the deadline."""
    return not is_opened(tender, now)


def _of(object_type: str, ids) -> ColumnElement[bool]:
    return and_(AuditEvent.object_type == object_type, AuditEvent.object_id.in_(ids))


def _tender_condition(session: Session, tender_id: int, sealed: bool) -> ColumnElement[bool]:
    """The events of the tender and of everything belonging to it, as one condition."""
    # A bid never submitted stays its organisation's own, opened or not: officers never see drafts.
    bid_ids = select(Bid.id).where(Bid.tender_id == tender_id, Bid.status != BidStatus.DRAFT)
    draft_ids = select(Bid.id).where(Bid.tender_id == tender_id, Bid.status == BidStatus.DRAFT)
    submission_ids = select(Submission.id).where(Submission.bid_id.in_(bid_ids))
    conditions = [and_(AuditEvent.object_type == Tender.__tablename__, AuditEvent.object_id == tender_id)]
    conditions += [_of(m.__tablename__, select(m.id).where(m.tender_id == tender_id)) for m in OWNED_BY_TENDER]
    conditions += [_of(m.__tablename__, select(m.id).where(m.bid_id.in_(bid_ids))) for m in OWNED_BY_BID]
    conditions += [
        _of(m.__tablename__, select(m.id).where(m.submission_id.in_(submission_ids))) for m in OWNED_BY_SUBMISSION
    ]
    conditions.append(
        _of(
            LotResult.__tablename__,
            select(LotResult.id).where(LotResult.lot_id.in_(select(Lot.id).where(Lot.tender_id == tender_id))),
        )
    )
    # An event about no object that names the tender (the agreements an award made).
    # PostgreSQL compares the JSON value as text (a cast of something not a number would
    # fail); SQLite's json_extract gives the number itself.
    named = AuditEvent.details["tender_id"]
    if session.get_bind().dialect.name == "postgresql":
        names_tender = named.as_string() == str(tender_id)
    else:
        names_tender = named.as_integer() == tender_id
    conditions.append(and_(AuditEvent.object_type == "", names_tender))
    condition = and_(or_(*conditions), ~_of(Bid.__tablename__, draft_ids))
    if sealed:
        condition = and_(
            condition, AuditEvent.object_type.not_in(SEALED_TYPES), AuditEvent.action.not_in(SEALED_ACTIONS)
        )
    return condition


def _rows(session: Session, condition, limit: int | None = None, offset: int = 0) -> list[TrailRow]:
    query = (
        select(
            AuditEvent.position,
            AuditEvent.occurred_at,
            User.full_name,
            Organisation.name.label("organisation"),
            AuditEvent.action,
            AuditEvent.object_type,
            AuditEvent.object_id,
            AuditEvent.details,
            AuditEvent.hash,
        )
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .where(condition)
        .order_by(AuditEvent.position, AuditEvent.id)
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    return [
        TrailRow(
            position=row.position,
            occurred_at=row.occurred_at,
            who=(f"{row.full_name} ({row.organisation})" if row.organisation else row.full_name)
            if row.full_name
            else "The portal",
            action=row.action,
            object_type=row.object_type,
            object_id=row.object_id,
            details=row.details or {},
            hash=row.hash,
        )
        for row in session.execute(query)
    ]


def tender_trail(session: Session, tender: Tender, now: datetime, number: int) -> tuple[list[TrailRow], Page]:
    """One page of the tender's trail, oldest first: two queries (a count, the page) however long it is."""
    condition = _tender_condition(session, tender.id, is_sealed(tender, now))
    total = session.scalar(select(func.count(AuditEvent.id)).where(condition)) or 0
    page = Page(number=number, size=PAGE_SIZE, total=total)
    return _rows(session, condition, limit=PAGE_SIZE, offset=page.offset), page


def whole_tender_trail(session: Session, tender: Tender, now: datetime) -> list[TrailRow]:
    """The tender's whole trail, oldest first (the download), in one query."""
    return _rows(session, _tender_condition(session, tender.id, is_sealed(tender, now)))


CSV_COLUMNS = ["Position", "When (UTC)", "Who", "What", "Action", "Object", "Object id", "Details", "Hash"]


def trail_csv_rows(rows: list[TrailRow]) -> list[list]:
    """The download's rows (the caller makes every cell safe for a spreadsheet)."""
    return [
        [
            row.position,
            row.occurred_at.isoformat(timespec="seconds"),
            row.who,
            row.what,
            row.action,
            row.object_type,
            row.object_id if row.object_id is not None else "",
            "; ".join(row.details_lines),
            row.hash or "",
        ]
        for row in rows
    ]


# --- Published heads --------------------------------------------------------------------------


def heads_page(session: Session, number: int) -> tuple[list[AuditHead], Page]:
    """One page of the published heads, newest day first, in two queries."""
    total = session.scalar(select(func.count(AuditHead.id))) or 0
    page = Page(number=number, size=HEADS_PAGE_SIZE, total=total)
    heads = list(
        session.scalars(select(AuditHead).order_by(AuditHead.day.desc()).offset(page.offset).limit(HEADS_PAGE_SIZE))
    )
    return heads, page


def heads_as_data(session: Session) -> list[dict]:
    """Every published head as open data, oldest day first: day, records (the chain's
    length then, which is the head's position), hash and when it was published."""
    return [head_as_data(h) for h in published_heads(session)]
