"""What must be true of a tender before it is published, and of any timetable;
and that a draft's terms change only while it is a draft.

Each check returns every problem it finds (``RuleViolation``s naming the field
to fix), so the task list, the timetable form and the amendment form show them
all at once. The verbs in ``drafting`` and ``lifecycle`` raise them.

``builder_tasks`` turns the problems into the draft's task list (a status per
section), and ``timetable_warnings`` says what is allowed but hard on small
providers (a short bid window, one over a bank holiday): it warns, never refuses.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from portal.dates import london_today
from portal.errors import RuleViolation
from portal.filters import format_date
from portal.tenders import policies
from portal.tenders.models import DocumentKind, QuestionKind, Tender
from portal.working_days import bank_holidays_between

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


# --- Warnings: allowed, but hard on small providers -----------------------------------

# Below this, small and volunteer-run organisations struggle to write a bid (the
# Procurement Act's minimum for an open procedure with electronic tendering).
MIN_BID_WINDOW_DAYS = 25
# The council's providers are in Kent: England's bank holidays are the days their
# staff and volunteers are away (Scotland's and Northern Ireland's are not).
BID_WINDOW_NATIONS = ("ENG",)


def bid_window(tender: Tender, now: datetime):
    """The first and last days (London) providers have to bid: from publication (or
    today, for a draft) to the submission deadline; None without a deadline."""
    if tender.submission_deadline is None:
        return None
    opens = london_today(tender.published_at or now)
    closes = london_today(tender.submission_deadline)
    return (opens, closes) if closes >= opens else None


def timetable_warnings(tender: Tender, now: datetime) -> list[str]:
    """What makes the bid window hard on small providers, in plain words: under
    ``MIN_BID_WINDOW_DAYS`` days, or spanning a bank holiday. Warnings only: a
    timetable that warns can still be saved and published."""
    window = bid_window(tender, now)
    if window is None:
        return []
    opens, closes = window
    warnings = []
    days = (closes - opens).days
    if days < MIN_BID_WINDOW_DAYS:
        warnings.append(
            f"Providers have {days} day{'s' if days != 1 else ''} to bid, from {format_date(opens)} to "
            f"{format_date(closes)}. Allow at least {MIN_BID_WINDOW_DAYS} days: small and volunteer-run "
            "organisations need time to write a bid."
        )
    holidays = bank_holidays_between(opens, closes, BID_WINDOW_NATIONS)
    if holidays:
        named = ", ".join(f"{name} ({format_date(day)})" for day, name in holidays)
        warnings.append(
            f"The bid window includes {'a bank holiday' if len(holidays) == 1 else 'bank holidays'}: {named}. "
            "Many providers' staff and volunteers are away then: allow extra days, or move the deadline."
        )
    return warnings


# --- The draft's task list -----------------------------------------------------------


class TaskStatus(enum.Enum):
    COMPLETED = "Completed"
    INCOMPLETE = "Incomplete"
    OPTIONAL = "Optional"
    NOT_STARTED = "Not yet started"
    CANNOT_START = "Cannot start yet"


@dataclass(frozen=True)
class Task:
    """One section of the draft: its status and what is still wrong with it."""

    key: str
    title: str
    status: TaskStatus
    problems: list[str] = field(default_factory=list)
    hint: str = ""


# Which task fixes each problem (by the field the problem names).
TASK_OF_FIELD = {
    "lots": "lots",
    **dict.fromkeys(TIMETABLE_FIELDS, "timetable"),
    "quality_weight": "evaluation_method",
    "tie_break": "evaluation_method",
    "score_descriptors": "evaluation_method",
    "questions": "questionnaire",
    "documents": "documents",
    "conflicts_assessment": "conflicts",
    "decision_id": "decision",
}


def builder_tasks(tender: Tender, problems: list[RuleViolation], replaced_count: int) -> list[Task]:
    """The draft's sections in the order an officer builds them, each with its
    status from ``problems`` (``publication_problems``) and its fields, then
    "Check and publish", which cannot start while any problem remains."""
    by_task: dict[str, list[str]] = {}
    for problem in problems:
        by_task.setdefault(TASK_OF_FIELD.get(problem.field or "", "check"), []).append(problem.message)

    def status(key: str, done: bool = True) -> TaskStatus:
        if by_task.get(key):
            return TaskStatus.INCOMPLETE
        return TaskStatus.COMPLETED if done else TaskStatus.OPTIONAL

    def task(key: str, title: str, state: TaskStatus, hint: str = "") -> Task:
        return Task(key, title, state, by_task.get(key, []), hint)

    lots = len(tender.lots)
    documents = len(tender.documents)
    questions = len(tender.questions)

    def count(n: int, noun: str) -> str:
        return f"{n} {noun}{'s' if n != 1 else ''}" if n else ""

    return [
        task("details", "Tender details", TaskStatus.COMPLETED),
        task("lots", "Lots", status("lots"), count(lots, "lot")),
        task("timetable", "Timetable", status("timetable")),
        task("evaluation_method", "Evaluation method", status("evaluation_method")),
        # Quality weights are set per lot, so the questionnaire waits for the lots.
        task(
            "questionnaire",
            "Questionnaire and weights",
            status("questionnaire") if lots or questions else TaskStatus.CANNOT_START,
            count(questions, "question") if lots or questions else "Add the lots first",
        ),
        task(
            "documents",
            "Documents",
            status("documents", done=bool(documents)),
            count(documents, "document"),
        ),
        task("conflicts", "Conflicts of interest assessment", status("conflicts")),
        task("decision", "Authorising decision", status("decision")),
        task(
            "agreements",
            "Agreements this tender replaces",
            status("agreements", done=bool(replaced_count)),
            f"{replaced_count} linked" if replaced_count else "",
        ),
        task(
            "check",
            "Check and publish",
            TaskStatus.CANNOT_START if problems else TaskStatus.NOT_STARTED,
            f"{len(problems)} thing{'s' if len(problems) != 1 else ''} to do first" if problems else "",
        ),
    ]
