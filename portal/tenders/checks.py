"""What must be true of a tender before it is published, and of any timetable;
and that a draft's terms change only while it is a draft.

Each check returns every problem it finds (``RuleViolation``s naming the field
to fix), so the checklist, the timetable form and the amendment form show them
all at once. The verbs in ``drafting`` and ``lifecycle`` raise them.
"""

from __future__ import annotations

from datetime import datetime

from portal.errors import RuleViolation
from portal.tenders import policies
from portal.tenders.models import DocumentKind, QuestionKind, Tender

TIMETABLE_FIELDS = (
    "clarification_deadline",
    "answers_by",
    "submission_deadline",
    "evaluation_date",
    "intended_award_date",
    "standstill_end_date",
    "contract_start_date",
)


def require_draft(actor, tender: Tender) -> None:
    """Raises RuleViolation: the tender is published, so its terms are frozen (``policies.can_edit``)."""
    if not policies.can_edit(actor, tender):
        raise RuleViolation(None, "This tender has been published: change it by publishing an amendment")


def quality_weight_totals(tender: Tender) -> dict[int, int]:
    """For each lot number, the total weight of the quality questions that apply to it."""
    totals = {lot.number: 0 for lot in tender.lots}
    for question in tender.questions:
        if question.kind is QuestionKind.QUALITY:
            numbers = [lot.number for lot in question.lots] or list(totals)
            for number in numbers:
                totals[number] = totals.get(number, 0) + question.weight
    return totals


def timetable_problems(tender, now: datetime) -> list[RuleViolation]:
    """Everything wrong with a timetable (a tender, or anything with its timetable's attributes)."""
    problems = []
    if tender.submission_deadline is None:
        problems.append(RuleViolation("submission_deadline", "Enter the submission deadline"))
    elif tender.submission_deadline <= now:
        problems.append(RuleViolation("submission_deadline", "The submission deadline must be in the future"))
    if tender.clarification_deadline is None:
        problems.append(RuleViolation("clarification_deadline", "Enter when clarification questions close"))
    elif tender.submission_deadline and tender.clarification_deadline >= tender.submission_deadline:
        problems.append(
            RuleViolation("clarification_deadline", "Clarification questions must close before the submission deadline")
        )
    if tender.answers_by and tender.submission_deadline and tender.answers_by > tender.submission_deadline:
        problems.append(RuleViolation("answers_by", "Answers must be published before the submission deadline"))
    if tender.answers_by and tender.clarification_deadline and tender.answers_by < tender.clarification_deadline:
        problems.append(RuleViolation("answers_by", "Answers cannot be due before questions close"))
    if (
        tender.contract_start_date
        and tender.submission_deadline
        and tender.contract_start_date <= tender.submission_deadline.date()
    ):
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
    if tender.tie_break is None:
        problems.append(RuleViolation("tie_break", "Choose how bids with equal total scores are ranked"))
    if not any(q.kind is QuestionKind.QUALITY for q in tender.questions):
        problems.append(RuleViolation("questions", "Add at least one scored quality question"))
    for number, total in sorted(quality_weight_totals(tender).items()):
        if total != 100:
            problems.append(
                RuleViolation(
                    "questions", f"The quality question weights for lot {number} total {total}%: they must total 100%"
                )
            )
    if any(q.kind is QuestionKind.PASS_FAIL and q.passing_answer is None for q in tender.questions):
        problems.append(RuleViolation("questions", "Every pass or fail question needs the answer that passes"))
    descriptors = tender.score_descriptors or {}
    if any(not str(descriptors.get(str(score), "")).strip() for score in range(6)):
        problems.append(RuleViolation("score_descriptors", "Describe what each score from 0 to 5 means"))
    if tender.decision_id is None:
        problems.append(RuleViolation("decision_id", "Link the executive decision that authorised this tender"))
    if not tender.conflicts_assessed_at:
        problems.append(RuleViolation("conflicts_assessment", "Record the conflicts of interest assessment"))
    # The council said its Equality Impact Assessments "will be published": a framework goes out with its own.
    if tender.is_framework and not any(d.kind is DocumentKind.EQUALITY_IMPACT_ASSESSMENT for d in tender.documents):
        problems.append(RuleViolation("documents", "Upload the framework's Equality Impact Assessment"))
    return problems
