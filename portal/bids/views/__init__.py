"""Providers prepare, submit, resubmit and withdraw bids.

Every route loads the bid and answers 404 unless the signed-in user acts for
the organisation that owns it. Every change is judged by the moment its request
reached the portal (``portal.arrival``: the trusted proxy's ``X-Request-Start``,
else the moment the app began handling it), so a press made in time counts
even if it waits for a worker: it is refused if it arrived at or after the
deadline (``require_editable``, before the form is read), and the services
judge that same arrival again, against the deadline as it stands, at the
moment of commit.

The request's one transaction (``portal.db.unit_of_work``) commits what a view
did when it answers below 400 and rolls it back otherwise: these views never
commit or roll back. A refusal raised out of a view, or out of the commit
itself (the deadline judged at the last moment), reaches the error handlers
below, which draw its page.

The routes, by journey: ``drafting`` (start, the task list, lots, prices,
files, evidence, declarations), ``answers`` (one question per page, a
colleague's conflicting save, a session that ended mid-answer) and
``submission`` (check, submit, receipts, withdraw).
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, current_app, g, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from portal import clock
from portal.arrival import arrival_time
from portal.bids import display, policies, queries
from portal.bids.content import DECLARATIONS
from portal.bids.drafting import failed_selection_questions, missing_items, questions_for
from portal.bids.models import Bid
from portal.bids.policies import DeadlinePassed
from portal.bids.signals import outcome_requested
from portal.db import discard, get_session
from portal.errors import RuleViolation, unexpected_page
from portal.signals import ask
from portal.tenders.models import QuestionKind
from portal.text import paragraphs

bp = Blueprint("bids", __name__)


@bp.context_processor
def _helpers():
    return {
        "countdown": display.countdown,
        "status_label": display.status_label,
        "status_tag_class": display.status_tag_class,
        "has_unsubmitted_changes": display.has_unsubmitted_changes,
        "datetime_seconds": display.format_datetime_seconds,
        "paragraphs": paragraphs,
        "word_count": display.word_count,
        "question_title": display.question_title,
        "deadline_words": display.deadline_words,
        "task_url": task_url,
    }


def task_url(item) -> str:
    """The page of the task that fixes one of ``drafting.missing_items``."""
    return url_for(item.endpoint, **dict(item.args))


# --- Refusals ------------------------------------------------------------------------------
# Each handler undoes the request's work first (as portal.errors does), so that
# its page can still query; the request is then answered with an error status
# and nothing of it is committed.


@bp.errorhandler(DeadlinePassed)
def _deadline_passed(error: DeadlinePassed):
    """Any change at or after the deadline: nothing was written, and the page
    says both times (and shows what was typed, to copy, if there was any)."""
    discard()
    return deadline_page(error, kept_text=g.pop("bid_kept_text", None))


@bp.errorhandler(RuleViolation)
def _refused_by_rule(error: RuleViolation):
    discard()
    return refused("You cannot change this bid", error.message)


@bp.errorhandler(SQLAlchemyError)
def _database_failed(error: SQLAlchemyError):
    """A database failure while submitting (in the service or at the commit)
    says the bid was not submitted and the draft is safe; anywhere else the
    application's own page for an unexpected error answers."""
    if request.endpoint != "bids.submit":
        return unexpected_page(error)
    current_app.logger.exception("bid %s: submission failed", (request.view_args or {}).get("bid_id"))
    discard()
    return render_template("bids/not_submitted.html", bid_id=(request.view_args or {}).get("bid_id")), 503


def keep_if_too_late(text: str | None) -> None:
    """What was typed, shown on the deadline page if the deadline refuses it."""
    g.bid_kept_text = text


def deadline_page(error: DeadlinePassed, kept_text: str | None = None):
    bid_id = (request.view_args or {}).get("bid_id")
    return render_template(
        "bids/deadline_passed.html",
        message=error.message,
        deadline=error.deadline,
        server_time=error.server_time,
        bid_id=bid_id,
        kept_text=kept_text,
    ), 400


def refused(title: str, message: str, status: int = 400):
    return render_template("errors/400.html", title=title, description=message), status


def csrf_failed():
    return render_template(
        "errors/400.html", title="There is a problem with your request", description=None, csrf_failed=True
    ), 400


# --- Loading -------------------------------------------------------------------------------


def bid_or_404(bid_id: int) -> Bid:
    """The bid, with what its pages show, for someone who acts for its
    organisation; anyone else gets 404."""
    bid = queries.bid_for_pages(get_session(), bid_id)
    if bid is None or not policies.is_bidder(current_user, bid):
        abort(404)
    return bid


def bid_to_submit_or_404(bid_id: int) -> queries.BidToSubmit:
    """The bid locked, with everything a submission reads (``queries.bid_to_submit``,
    read once: the service uses it as it is), for someone who acts for its
    organisation; anyone else gets 404 (and the lock ends with the request)."""
    # Only the organisation's own bid is read, so a stranger's request locks nothing.
    user = current_user._get_current_object()  # once: each look through the proxy costs
    bid = queries.bid_to_submit(get_session(), bid_id, user.organisation_id)
    if bid is None or not policies.is_bidder(user, bid):
        abort(404)
    return bid


def require_editable(bid: Bid) -> datetime:
    """When the request arrived (``portal.arrival``), if the bid may still
    change then (checked before the form is read, so a late POST is refused
    whatever it holds). The services are given this moment as their ``now``.

    Raises DeadlinePassed or RuleViolation, each a 400 page."""
    now = arrival_time()
    policies.require_editable(bid, now)
    return now


def is_editable(bid: Bid, now: datetime) -> bool:
    return policies.can_edit(current_user, bid, now)


def award_progress(session: Session, bid: Bid):
    """What the awards domain says about the bid's "what happens next" (the
    standstill, the outcome once sent), or None; asked through a signal, since
    bids stand beneath awards."""
    return ask(outcome_requested, bid, session=session)


def overview(session: Session, bid: Bid, now: datetime) -> dict:
    """What the task list and the check page both show."""
    questions = questions_for(bid)
    contract_start = bid.tender.contract_start_date
    today = clock.today()
    evidence = [
        (e, display.evidence_warning(e.expires_on, today, contract_start))
        for e in queries.chosen_evidence(session, bid)
    ]
    return {
        "bid": bid,
        "tender": bid.tender,
        "now": now,
        "is_editable": is_editable(bid, now),
        "questions": questions,
        "answers": {a.question_id: a for a in bid.answers},
        "selection": [q for q in questions if q.kind is QuestionKind.PASS_FAIL],
        "quality": [q for q in questions if q.kind is QuestionKind.QUALITY],
        "question_status": display.question_status,
        "missing": missing_items(bid),
        "failed": failed_selection_questions(bid),
        "current": display.current_submission(bid),
        "latest": display.latest_submission(bid),
        "evidence": evidence,
        "declarations": DECLARATIONS,
    }


from portal.bids.views import answers, draft_tokens, drafting, submission  # noqa: E402,F401  (the routes)
from portal.bids.views.draft_tokens import DRAFT_KEY_COOKIE, DRAFT_TOKEN_SALT  # noqa: E402,F401  (for tests)
