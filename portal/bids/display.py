"""How a bid's state reads on the page: its status, the time left, each task's
progress and the warnings on QA evidence. Pure functions of what is loaded."""

from __future__ import annotations

from datetime import date, datetime

from portal.bids.models import Bid, BidAnswer, BidStatus
from portal.bids.services import word_count
from portal.dates import LONDON
from portal.tenders.models import Question, QuestionKind

NOT_STARTED = "Not started"
IN_PROGRESS = "In progress"
COMPLETED = "Completed"


def time_of_day(moment: datetime) -> str:
    """'12:00pm', '5:30pm' in London time."""
    local = moment.astimezone(LONDON)
    return f"{local.hour % 12 or 12}:{local.minute:02d}{'am' if local.hour < 12 else 'pm'}"


def countdown(deadline: datetime | None, now: datetime) -> str:
    """The time left in words, by the server's clock and London's calendar."""
    if deadline is None:
        return "No deadline set"
    if now >= deadline:
        return "Closed"
    days = (deadline.astimezone(LONDON).date() - now.astimezone(LONDON).date()).days
    if days == 0:
        return f"Closes today at {time_of_day(deadline)}"
    if days == 1:
        return f"Closes tomorrow at {time_of_day(deadline)}"
    return f"Closes in {days} days"


def latest_submission(bid: Bid):
    return bid.submissions[-1] if bid.submissions else None


def status_label(bid: Bid) -> str:
    if bid.status is BidStatus.SUBMITTED and bid.submissions:
        return f"Submitted (version {bid.submissions[-1].version})"
    return bid.status.value


def has_unsubmitted_changes(bid: Bid) -> bool:
    """Submitted, and changed since: the receipt no longer matches the draft."""
    latest = latest_submission(bid)
    return bid.status is BidStatus.SUBMITTED and latest is not None and bid.revision > latest.from_revision


def status_tag_class(bid: Bid) -> str:
    return {BidStatus.DRAFT: "govuk-tag--blue", BidStatus.SUBMITTED: "govuk-tag--green",
            BidStatus.WITHDRAWN: "govuk-tag--grey"}[bid.status]


def is_answered(question: Question, answer: BidAnswer | None) -> bool:
    if answer is None:
        return False
    if question.kind is QuestionKind.PASS_FAIL:
        return answer.yes_no is not None
    text = (answer.text or "").strip()
    return bool(text) and not (question.word_limit and word_count(text) > question.word_limit)


def question_status(question: Question, answer: BidAnswer | None) -> str:
    if answer is None:
        return NOT_STARTED
    return COMPLETED if is_answered(question, answer) else IN_PROGRESS


def evidence_warning(expires_on: date | None, today: date, contract_start: date | None) -> str | None:
    """Why a piece of QA evidence will not do for this bid, if it will not."""
    if expires_on is None:
        return None
    if expires_on < today:
        return "Expired"
    if contract_start is not None and expires_on < contract_start:
        return "Expires before the contract starts"
    return None
