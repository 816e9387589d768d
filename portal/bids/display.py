"""How a bid's state reads on the page: its status, the time left, each task's
progress and the warnings on QA evidence. Pure functions of what is loaded."""

from __future__ import annotations

import re
from datetime import date, datetime

from flask import url_for

from portal.bids.models import Bid, BidAnswer, BidStatus, Submission
from portal.dates import LONDON
from portal.filters import format_date, format_datetime
from portal.tenders.models import Question, QuestionKind

NOT_STARTED = "Not started"
IN_PROGRESS = "In progress"
COMPLETED = "Completed"

WORD = re.compile(r"\S+")
TITLE_CHARACTERS = 60  # the longest stand-in title: about one line of a task list


def word_count(text: str | None) -> int:
    return len(WORD.findall(text or ""))


def first_words(text: str | None, limit: int = TITLE_CHARACTERS) -> str:
    """The text whole if it fits in ``limit`` characters, else as many whole
    words as fit, ending "…": never a word cut in half."""
    words = (text or "").split()
    whole = " ".join(words)
    if len(whole) <= limit:
        return whole
    kept = ""
    for word in words:
        if len(kept) + len(word) + (1 if kept else 0) > limit - 1:  # room for the "…"
            break
        kept = f"{kept} {word}" if kept else word
    if not kept:  # one word longer than the limit: it is shown whole rather than cut
        return words[0]
    return kept.rstrip(",;:.-\u2013\u2014") + "\u2026"


def question_title(question: Question) -> str:
    """The question's name on the task list, its page's heading and the check
    page: the officer's short title, or else the question's first words."""
    return (question.short_title or "").strip() or first_words(question.text)


def deadline_words(deadline: datetime) -> str:
    """'midday on 27 December 2026', with the portal's own wording of times and dates."""
    clock = format_datetime(deadline).rsplit(" at ", 1)[1]  # "midday", "5:30pm": as every page says it
    return f"{clock} on {format_date(deadline)}"


def format_datetime_seconds(value: datetime) -> str:
    """'21 December 2026 at 12:00:00' in London time: receipts and the deadline are shown to the second."""
    local = value.astimezone(LONDON)
    return f"{local.day} {local:%B %Y} at {local:%H:%M:%S}"


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


def latest_submission(bid: Bid) -> Submission | None:
    return bid.submissions[-1] if bid.submissions else None


def current_submission(bid: Bid) -> Submission | None:
    """The version that counts: the newest, while the bid stands submitted."""
    if bid.status is not BidStatus.SUBMITTED or not bid.submissions:
        return None
    return bid.submissions[-1]


def status_label(bid: Bid) -> str:
    if bid.status is BidStatus.SUBMITTED and bid.submissions:
        return f"Submitted (version {bid.submissions[-1].version})"
    return bid.status.value


def has_unsubmitted_changes(bid: Bid) -> bool:
    """Submitted, and changed since: the receipt no longer matches the draft."""
    latest = latest_submission(bid)
    return bid.status is BidStatus.SUBMITTED and latest is not None and bid.revision > latest.from_revision


def status_tag_class(bid: Bid) -> str:
    return {
        BidStatus.DRAFT: "govuk-tag--blue",
        BidStatus.SUBMITTED: "govuk-tag--green",
        BidStatus.WITHDRAWN: "govuk-tag--grey",
    }[bid.status]


def is_written(question: Question, answer: BidAnswer | None) -> bool:
    """Something has been saved: a yes or no, or some text."""
    if answer is None:
        return False
    if question.kind is QuestionKind.PASS_FAIL:
        return answer.yes_no is not None
    return bool((answer.text or "").strip())


def is_over_limit(question: Question, answer: BidAnswer | None) -> bool:
    return bool(answer is not None and question.word_limit and word_count(answer.text) > question.word_limit)


def is_answered(question: Question, answer: BidAnswer | None) -> bool:
    """Ready to submit: written, within the word limit, and saved as done
    ("Save and continue"), not to come back to later."""
    return (
        is_written(question, answer)
        and answer.is_complete is not False
        and not (question.kind is QuestionKind.QUALITY and is_over_limit(question, answer))
    )


def question_status(question: Question, answer: BidAnswer | None) -> str:
    """ "Not started" until something is written; "In progress" for a partly
    written answer (saved to come back to later, or over the word limit);
    "Completed" once it can be submitted."""
    if not is_written(question, answer):
        return NOT_STARTED
    return COMPLETED if is_answered(question, answer) else IN_PROGRESS


def fails_selection(question: Question, answer: BidAnswer | None) -> bool:
    """A selection question answered with the answer that fails it."""
    return (
        question.kind is QuestionKind.PASS_FAIL
        and answer is not None
        and answer.yes_no is not None
        and question.passing_answer is not None
        and answer.yes_no != question.passing_answer
    )


def evidence_warning(expires_on: date | None, today: date, contract_start: date | None) -> str | None:
    """Why a piece of QA evidence will not do for this bid, if it will not."""
    if expires_on is None:
        return None
    if expires_on < today:
        return "Expired"
    if contract_start is not None and expires_on < contract_start:
        return "Expires before the contract starts"
    return None


# --- The task list --------------------------------------------------------------------------


def task_status(text: str) -> dict:
    """A task's status as the GOV.UK task list shows it."""
    if text == COMPLETED:
        return {"text": text}
    if text == IN_PROGRESS:
        return {"tag": {"text": text, "classes": "govuk-tag--light-blue"}}
    if text == NOT_STARTED:
        return {"tag": {"text": text, "classes": "govuk-tag--blue"}}
    return {"text": text, "classes": "govuk-task-list__status--cannot-start-yet"}


def task_sections(overview: dict) -> list[dict]:
    """The task list: each part of the bid, its page and how far it has got.

    ``overview`` is what the task list and the check page both show (the bid,
    its answers by question, the questions split into selection and quality,
    the evidence chosen with its warnings, the current submission and what is
    missing)."""
    bid, answers = overview["bid"], overview["answers"]

    def question_item(question):
        return {
            "title": {"text": question_title(question)},
            "href": url_for("bids.question", bid_id=bid.id, question_id=question.id),
            "hint": {"text": f"Up to {question.word_limit:,} words"} if question.word_limit else None,
            "status": task_status(question_status(question, answers.get(question.id))),
        }

    priced = [bl for bl in bid.lots if bl.price_pence is not None]
    prices_status = (
        "Choose lots first"
        if not bid.lots
        else COMPLETED
        if len(priced) == len(bid.lots)
        else IN_PROGRESS
        if priced
        else NOT_STARTED
    )
    files = len(bid.attachments)
    chosen = overview["evidence"]
    flagged = sum(1 for _e, warning in chosen if warning)
    evidence_hint = f"{flagged} flagged: check the dates" if flagged else None
    sections = [
        {
            "heading": "Lots",
            "items": [
                {
                    "title": {"text": "Choose the lots you are bidding for"},
                    "href": url_for("bids.lots", bid_id=bid.id),
                    "hint": {
                        "text": ", ".join(f"Lot {bl.lot.number}" for bl in sorted(bid.lots, key=lambda b: b.lot.number))
                    }
                    if bid.lots
                    else None,
                    "status": task_status(COMPLETED if bid.lots else NOT_STARTED),
                }
            ],
        },
        {"heading": "Selection questions (pass or fail)", "items": [question_item(q) for q in overview["selection"]]},
        {"heading": "Quality questions", "items": [question_item(q) for q in overview["quality"]]},
        {
            "heading": "Prices",
            "items": [
                {
                    "title": {"text": "Price schedule"},
                    "href": url_for("bids.prices", bid_id=bid.id) if bid.lots else None,
                    "status": task_status(prices_status),
                }
            ],
        },
        {
            "heading": "Supporting information",
            "items": [
                {
                    "title": {"text": "Supporting documents"},
                    "href": url_for("bids.files", bid_id=bid.id),
                    "status": task_status(f"{files} file{'s' if files != 1 else ''}" if files else "Optional"),
                },
                {
                    "title": {"text": "Quality-assurance evidence"},
                    "href": url_for("bids.evidence", bid_id=bid.id),
                    "hint": {"text": evidence_hint} if evidence_hint else None,
                    "status": task_status(f"{len(chosen)} chosen" if chosen else "Optional"),
                },
            ],
        },
        {
            "heading": "Declarations",
            "items": [
                {
                    "title": {"text": "Confirm the declarations"},
                    "href": url_for("bids.declarations", bid_id=bid.id),
                    "status": task_status(COMPLETED if bid.declarations_confirmed_at else NOT_STARTED),
                }
            ],
        },
    ]
    if overview["current"] is not None and not has_unsubmitted_changes(bid):
        submit_status = f"Submitted (version {overview['current'].version})"
    elif overview["missing"]:
        submit_status = "Cannot start yet" if overview["current"] is None else "Cannot submit yet"
    else:
        submit_status = "Ready to submit"
    # The task list pattern: a step that cannot be done yet is not a link, so the
    # happy path never leads to a refusal.
    can_check = not overview["missing"] or overview["current"] is not None
    sections.append(
        {
            "heading": "Submit",
            "items": [
                {
                    "title": {"text": "Check and submit your bid"},
                    "href": url_for("bids.check", bid_id=bid.id) if can_check else None,
                    "hint": None if can_check else {"text": "Complete the tasks above first"},
                    "status": task_status(submit_status),
                }
            ],
        }
    )
    return [section for section in sections if section["items"]]
