"""Building a draft tender, part by part: details, timetable, evaluation method,
lots, questionnaire and documents.

Every function here refuses a tender that has been published (its terms then
change only through ``lifecycle.amend``; ``policies.can_edit`` says which), writes
an audit event and flushes; none commits. The authorising decision and the
replaced agreements are ``authority``'s; publishing, amending, closing and
cancelling are ``lifecycle``'s.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from types import SimpleNamespace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import files
from portal.accounts.models import User
from portal.agreements.models import DeliveryMode, ServiceCategory
from portal.audit.services import record
from portal.errors import RuleViolation, RuleViolations
from portal.providers.models import District
from portal.tenders.checks import TIMETABLE_FIELDS, require_draft, timetable_problems
from portal.tenders.models import (
    DocumentKind,
    Lot,
    LotDeliveryMode,
    Procedure,
    Question,
    QuestionKind,
    QuestionnaireSection,
    Tender,
    TenderDocument,
    TenderStatus,
    TieBreak,
)

DETAIL_FIELDS = (
    "reference",
    "title",
    "description",
    "category_id",
    "estimated_value_pence",
    "procedure",
    "is_light_touch",
    "is_framework",
)
SCORES = tuple(str(score) for score in range(6))


def _json(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.name
    return value


# --- Details ----------------------------------------------------------------------


def _check_details(session: Session, details: dict, tender_id: int | None) -> dict:
    """Raises RuleViolation: empty reference or title, a reference already used,
    an unknown category or a negative value."""
    details = dict(details)
    details["reference"] = (details.get("reference") or "").strip()
    details["title"] = (details.get("title") or "").strip()
    details["description"] = (details.get("description") or "").strip()
    if not details["reference"]:
        raise RuleViolation("reference", "Enter the reference")
    if not details["title"]:
        raise RuleViolation("title", "Enter the title")
    clash = select(Tender.id).where(func.lower(Tender.reference) == details["reference"].lower())
    if tender_id is not None:
        clash = clash.where(Tender.id != tender_id)
    if session.scalar(clash.limit(1)) is not None:
        raise RuleViolation("reference", "A tender with this reference already exists")
    if details.get("category_id") is None or session.get(ServiceCategory, details["category_id"]) is None:
        raise RuleViolation("category_id", "Select the service category")
    if details.get("estimated_value_pence") is None or details["estimated_value_pence"] < 0:
        raise RuleViolation("estimated_value_pence", "Enter the estimated total value, in pounds")
    if not isinstance(details.get("procedure"), Procedure):
        raise RuleViolation("procedure", "Select the procedure")
    return details


def create_tender(session: Session, actor: User, **details) -> Tender:
    """Start a draft.

    Raises:
        RuleViolation: see ``_check_details``.
    """
    details = _check_details(session, {k: details.get(k) for k in DETAIL_FIELDS}, None)
    tender = Tender(status=TenderStatus.DRAFT, created_by_id=actor.id, **details)
    session.add(tender)
    session.flush()
    record(session, actor, "tender.created", tender, reference=tender.reference)
    return tender


def update_details(session: Session, actor: User, tender: Tender, **details) -> None:
    """Raises RuleViolation: the tender is published, or see ``_check_details``."""
    require_draft(actor, tender)
    details = _check_details(session, {k: details.get(k) for k in DETAIL_FIELDS}, tender.id)
    changed = {k: v for k, v in details.items() if getattr(tender, k) != v}
    for key, value in changed.items():
        setattr(tender, key, value)
    record(session, actor, "tender.details_changed", tender, fields=sorted(changed))


# --- Timetable --------------------------------------------------------------------


def _timetable_problems(tender: Tender, values: dict, now: datetime) -> list[RuleViolation]:
    """What would be wrong with the tender's timetable if it took these values
    (the tender itself is not touched)."""
    candidate = SimpleNamespace(**{name: getattr(tender, name) for name in TIMETABLE_FIELDS})
    for name in TIMETABLE_FIELDS:
        if name in values:
            setattr(candidate, name, values[name])
    return timetable_problems(candidate, now)


def set_timetable(session: Session, actor: User, tender: Tender, values: dict, now: datetime) -> None:
    """Set the draft's timetable, all of it or nothing.

    Raises:
        RuleViolation: the tender is published, or a value that is not part of
            the timetable.
        RuleViolations: every way the timetable does not make sense.
    """
    require_draft(actor, tender)
    unknown = set(values) - set(TIMETABLE_FIELDS)
    if unknown:
        raise RuleViolation(None, f"Not part of the timetable: {', '.join(sorted(unknown))}")
    RuleViolations.raise_any(_timetable_problems(tender, values, now))
    for name, value in values.items():
        setattr(tender, name, value)
    record(session, actor, "tender.timetable_changed", tender, **{k: _json(v) for k, v in values.items()})


# --- Evaluation method --------------------------------------------------------------


def set_evaluation_method(
    session: Session,
    actor: User,
    tender: Tender,
    quality_weight: int,
    price_weight: int,
    minimum_quality_score: int,
    descriptors: dict[str, str],
    tie_break: TieBreak | None = None,
) -> None:
    """Set the split, the minimum quality score, the score descriptors and the tie-break rule.

    Raises RuleViolation: the tender is published, a percentage out of 0 to
    100, a split that does not total 100, a score left undescribed, or no
    tie-break rule (when the tender has none yet)."""
    require_draft(actor, tender)
    for field, value, label in (
        ("quality_weight", quality_weight, "Quality"),
        ("price_weight", price_weight, "Price"),
        ("minimum_quality_score", minimum_quality_score, "The minimum quality score"),
    ):
        if value is None or not 0 <= value <= 100:
            raise RuleViolation(field, f"{label} must be between 0% and 100%")
    if quality_weight + price_weight != 100:
        raise RuleViolation(
            "price_weight", f"Quality and price must total 100%: they total {quality_weight + price_weight}%"
        )
    cleaned = {}
    for score in SCORES:
        text = (descriptors.get(score) or "").strip()
        if not text:
            raise RuleViolation(f"descriptor_{score}", f"Describe what a score of {score} means")
        cleaned[score] = text
    if tie_break is None and tender.tie_break is None:
        raise RuleViolation("tie_break", "Select how bids with equal scores are ranked")
    tender.tie_break = tie_break or tender.tie_break
    tender.quality_weight, tender.price_weight = quality_weight, price_weight
    tender.minimum_quality_score = minimum_quality_score
    tender.score_descriptors = cleaned
    record(
        session,
        actor,
        "tender.evaluation_method_changed",
        tender,
        quality_weight=quality_weight,
        price_weight=price_weight,
        minimum_quality_score=minimum_quality_score,
        tie_break=tender.tie_break.name,
    )


# --- Lots -------------------------------------------------------------------------


def _apply_lot(
    session: Session,
    lot: Lot,
    title: str,
    description: str,
    district_ids: list[int],
    modes: list[DeliveryMode],
    estimated_annual_value_pence: int,
    max_providers: int,
    pricing_instructions: str,
) -> None:
    title = (title or "").strip()
    if not title:
        raise RuleViolation("title", "Enter the lot's title")
    districts = list(session.scalars(select(District).where(District.id.in_(set(district_ids or [])))))
    if not districts or len(districts) != len(set(district_ids)):
        raise RuleViolation("district_ids", "Select the districts the lot covers")
    if not modes:
        raise RuleViolation("modes", "Select how the services are delivered")
    if estimated_annual_value_pence is None or estimated_annual_value_pence < 0:
        raise RuleViolation("estimated_annual_value_pence", "Enter the estimated annual value, in pounds")
    if max_providers is None or max_providers < 1:
        raise RuleViolation("max_providers", "The lot must appoint at least 1 provider")
    lot.title = title
    lot.description = (description or "").strip()
    lot.districts = sorted(districts, key=lambda d: d.name)
    wanted = list(dict.fromkeys(modes))
    kept = [row for row in lot.delivery_mode_rows if row.mode in wanted]
    lot.delivery_mode_rows = kept + [LotDeliveryMode(mode=m) for m in wanted if m not in {r.mode for r in kept}]
    lot.estimated_annual_value_pence = estimated_annual_value_pence
    lot.max_providers = max_providers
    lot.pricing_instructions = (pricing_instructions or "").strip()


def add_lot(session: Session, actor: User, tender: Tender, **fields) -> Lot:
    """Add a lot, numbered after the last one.

    Raises:
        RuleViolation: the tender is published; no title, districts or delivery
            modes; a negative value; fewer than one provider to appoint.
    """
    require_draft(actor, tender)
    lot = Lot(number=max((lot.number for lot in tender.lots), default=0) + 1)
    _apply_lot(session, lot, **fields)
    tender.lots.append(lot)
    session.flush()
    record(session, actor, "tender.lot_added", tender, lot_id=lot.id, number=lot.number)
    return lot


def update_lot(session: Session, actor: User, tender: Tender, lot: Lot, **fields) -> None:
    """Raises RuleViolation: as ``add_lot``."""
    require_draft(actor, tender)
    _apply_lot(session, lot, **fields)
    session.flush()
    record(session, actor, "tender.lot_changed", tender, lot_id=lot.id, number=lot.number)


def remove_lot(session: Session, actor: User, tender: Tender, lot: Lot) -> None:
    """Remove a lot and renumber the rest from 1; a quality question that
    applied only to it then applies to every lot.

    Raises:
        RuleViolation: the tender is published.
    """
    require_draft(actor, tender)
    number = lot.number
    for question in tender.questions:
        if lot in question.lots:
            question.lots.remove(lot)
    tender.lots.remove(lot)
    session.flush()  # the old numbers must be gone before the unique numbers move down
    for position, remaining in enumerate(tender.lots, start=1):
        remaining.number = position
    session.flush()
    record(session, actor, "tender.lot_removed", tender, number=number)


# --- Questionnaire ---------------------------------------------------------------


def add_section(session: Session, actor: User, tender: Tender, title: str, kind: QuestionKind) -> QuestionnaireSection:
    """Raises RuleViolation: the tender is published, or no title."""
    require_draft(actor, tender)
    if not (title or "").strip():
        raise RuleViolation("title", "Enter the section's title")
    section = QuestionnaireSection(
        tender_id=tender.id,
        title=title.strip(),
        kind=kind,
        position=max((s.position for s in tender.sections), default=0) + 1,
    )
    tender.sections.append(section)
    session.flush()
    record(session, actor, "tender.section_added", tender, section_id=section.id, kind=kind.name)
    return section


def update_section(
    session: Session, actor: User, tender: Tender, section: QuestionnaireSection, title: str, kind: QuestionKind
) -> None:
    """Raises RuleViolation: the tender is published, no title, or a change of
    kind while the section still has questions of the old kind."""
    require_draft(actor, tender)
    if not (title or "").strip():
        raise RuleViolation("title", "Enter the section's title")
    if kind is not section.kind and any(q.section_id == section.id for q in tender.questions):
        raise RuleViolation("kind", "Remove the section's questions before changing its kind")
    section.title, section.kind = title.strip(), kind
    record(session, actor, "tender.section_changed", tender, section_id=section.id)


def remove_section(session: Session, actor: User, tender: Tender, section: QuestionnaireSection) -> None:
    """Remove a section and its questions. Raises RuleViolation: the tender is published."""
    require_draft(actor, tender)
    for question in [q for q in tender.questions if q.section_id == section.id]:
        tender.questions.remove(question)
    tender.sections.remove(section)
    session.flush()
    record(session, actor, "tender.section_removed", tender, section_id=section.id)


def _apply_question(
    tender: Tender,
    question: Question,
    kind: QuestionKind,
    text: str,
    guidance: str,
    passing_answer: bool | None,
    word_limit: int | None,
    weight: int | None,
    lot_ids: list[int] | None,
    minimum_score: int | None = None,
) -> None:
    if not (text or "").strip():
        raise RuleViolation("text", "Enter the question")
    if kind is QuestionKind.PASS_FAIL:
        if passing_answer is None:
            raise RuleViolation("passing_answer", "Select the answer that passes")
        word_limit, weight, lots, minimum_score = None, 0, [], None
    else:
        if word_limit is not None and word_limit < 1:
            raise RuleViolation("word_limit", "The word limit must be at least 1")
        if weight is None or not 0 <= weight <= 100:
            raise RuleViolation("weight", "The weight must be between 0% and 100%")
        by_id = {lot.id: lot for lot in tender.lots}
        if any(lot_id not in by_id for lot_id in lot_ids or []):
            raise RuleViolation("lot_ids", "Select lots of this tender")
        top = int(SCORES[-1])
        if minimum_score is not None and not 0 <= minimum_score <= top:
            raise RuleViolation("minimum_score", f"The minimum score must be between 0 and {top}")
        passing_answer = None
        lots = sorted((by_id[i] for i in set(lot_ids or [])), key=lambda lot: lot.number)
    question.text, question.guidance = text.strip(), (guidance or "").strip()
    question.passing_answer, question.word_limit, question.weight, question.lots = (
        passing_answer,
        word_limit,
        weight,
        lots,
    )
    question.minimum_score = minimum_score


def add_question(
    session: Session,
    actor: User,
    tender: Tender,
    section: QuestionnaireSection,
    text: str,
    guidance: str = "",
    passing_answer: bool | None = None,
    word_limit: int | None = None,
    weight: int | None = 0,
    lot_ids: list[int] | None = None,
    minimum_score: int | None = None,
) -> Question:
    """Add a question of the section's kind, after the tender's last question.

    Raises:
        RuleViolation: the tender is published; no text; a pass or fail
            question without the answer that passes; a quality question's weight
            outside 0 to 100, word limit below 1 or minimum score off the
            scale; a lot of another tender.
    """
    require_draft(actor, tender)
    question = Question(
        tender_id=tender.id,
        section_id=section.id,
        kind=section.kind,
        position=max((q.position for q in tender.questions), default=0) + 1,
    )
    _apply_question(
        tender, question, section.kind, text, guidance, passing_answer, word_limit, weight, lot_ids, minimum_score
    )
    tender.questions.append(question)
    session.flush()
    record(session, actor, "tender.question_added", tender, question_id=question.id, kind=section.kind.name)
    return question


def update_question(
    session: Session,
    actor: User,
    tender: Tender,
    question: Question,
    text: str,
    guidance: str = "",
    passing_answer: bool | None = None,
    word_limit: int | None = None,
    weight: int | None = 0,
    lot_ids: list[int] | None = None,
    minimum_score: int | None = None,
) -> None:
    """Raises RuleViolation: as ``add_question``."""
    require_draft(actor, tender)
    _apply_question(
        tender, question, question.kind, text, guidance, passing_answer, word_limit, weight, lot_ids, minimum_score
    )
    session.flush()
    record(session, actor, "tender.question_changed", tender, question_id=question.id)


def remove_question(session: Session, actor: User, tender: Tender, question: Question) -> None:
    """Raises RuleViolation: the tender is published."""
    require_draft(actor, tender)
    tender.questions.remove(question)
    session.flush()
    record(session, actor, "tender.question_removed", tender, question_id=question.id)


# --- Documents --------------------------------------------------------------------


def add_document(
    session: Session,
    actor: User,
    tender: Tender,
    kind: DocumentKind,
    title: str,
    filename: str,
    content: bytes,
    max_bytes: int,
) -> TenderDocument:
    """Keep an uploaded document with the draft.

    Raises:
        RuleViolation: the tender is published, no title, or the file is empty,
            too large or not an allowed type by its content (``files.store``).
    """
    require_draft(actor, tender)
    if not (title or "").strip():
        raise RuleViolation("title", "Enter the document's title")
    stored = files.store(session, actor, filename, content, max_bytes)
    document = TenderDocument(tender_id=tender.id, kind=kind, title=title.strip(), file_id=stored.id)
    document.file = stored
    tender.documents.append(document)
    session.flush()
    record(
        session, actor, "tender.document_added", tender, document_id=document.id, sha256=stored.sha256, kind=kind.name
    )
    return document


def remove_document(session: Session, actor: User, tender: Tender, document: TenderDocument) -> None:
    """Raises RuleViolation: the tender is published."""
    require_draft(actor, tender)
    tender.documents.remove(document)
    session.flush()
    record(session, actor, "tender.document_removed", tender, document_id=document.id)
