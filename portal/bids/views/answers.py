"""One question per page: saving an answer, a colleague's conflicting save,
and a save that arrives after its author's session has ended.

Nothing typed is lost: a colleague's newer answer is shown beside this one
(409) instead of being overwritten; a save without a session is kept against
a signed draft token bound to its author's browser (``draft_tokens``), and
shown back to its author once they sign in again in that browser, to use or
discard: used, it goes through the same save (so it can still conflict); a
save refused by the deadline shows the text, to copy.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from portal import clock
from portal.accounts.models import Role, User
from portal.arrival import arrival_time
from portal.auth import login_manager, public
from portal.bids import display, drafting, kept, policies, queries
from portal.bids.drafting import SaveResult
from portal.bids.forms import PassFailAnswerForm, QualityAnswerForm, parse_version
from portal.bids.models import Bid
from portal.bids.policies import DeadlinePassed
from portal.bids.views import bp, csrf_failed, draft_tokens, keep_if_too_late, require_editable
from portal.db import get_session
from portal.errors import NotPermitted, RuleViolation
from portal.security import csrf
from portal.tenders.models import Question, QuestionKind
from portal.tenders.public_policies import is_open_for_bids

MAX_STASHED_CHARACTERS = 100_000  # beyond the service's 50,000 limit, so the refusal can still show it all


def _csrf_ok() -> bool:
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        return False
    return True


def _answer_form(question: Question):
    return QualityAnswerForm() if question.kind is QuestionKind.QUALITY else PassFailAnswerForm()


def _posted(question: Question, form) -> tuple[str | None, bool | None]:
    if question.kind is QuestionKind.QUALITY:
        return form.answer.data or "", None
    return None, form.yes_no


# Public on purpose: a save that arrives after the session has ended must still
# be read, so that what was typed is kept (see _keep_after_timeout) and offered
# back to its author once they sign in again. Everything else is checked here, as the
# decorators and CSRFProtect would: a signed-out GET goes to sign-in, another role
# gets 403, a non-bidder 404, and a save needs a valid CSRF token (the route is
# exempt from the global check only so that a missing session can be handled).
@bp.route("/bids/<int:bid_id>/questions/<int:question_id>", methods=["GET", "POST"])
@public
def question(bid_id, question_id):
    if request.method == "POST" and not (current_user.is_authenticated and _csrf_ok()):
        return _keep_after_timeout(bid_id, question_id)
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role is not Role.PROVIDER:
        abort(403)
    if request.method != "POST" and not request.args.get("resume"):
        return _question_page(bid_id, question_id)  # drawn from columns: no entities to load
    bid = _bid_or_404(bid_id)
    question = drafting.question_of(bid, question_id)  # NotPermitted (404): a question of another tender
    if request.method == "POST":
        if "resume" in request.form:
            return _use_or_discard_kept(bid, question, request.form["resume"])
        return _save_answer(bid, question)
    return _kept_page(bid, question, request.args["resume"])


csrf.exempt(question)


def _bid_or_404(bid_id: int) -> Bid:
    """The bid with what its question pages read (``queries.bid_for_question_page``), for
    someone who acts for its organisation; anyone else gets 404 (as ``bid_or_404``)."""
    bid = queries.bid_for_question_page(get_session(), bid_id)
    if bid is None or not policies.is_bidder(current_user, bid):
        abort(404)
    return bid


def _keep_after_timeout(bid_id: int, question_id: int):
    """A save without a usable session: keep what was typed, for its author
    to confirm once signed in again in this browser, and send them to sign in
    and land back on the page. Kept only if the draft token is genuine, recent
    and for this page, and this browser holds the key it was issued with (see
    ``draft_tokens``). (The redirect commits what is kept; a refusal keeps nothing.)"""
    data = draft_tokens.read(request.form.get("draft_token", ""), bid_id, question_id)
    if data is None:
        return csrf_failed()
    session = get_session()
    user = session.get(User, data["u"])
    bid = session.get(Bid, bid_id)
    if (
        user is None
        or bid is None
        or not user.can_sign_in
        or user.session_version != data.get("v")
        or not policies.is_bidder(user, bid)
    ):
        return csrf_failed()  # the user's sessions were ended on purpose since (a new password), or access removed
    if current_user.is_authenticated and current_user.id != user.id:
        return csrf_failed()  # someone else has signed in on this browser since
    question = drafting.question_of(bid, question_id)
    page_url = url_for("bids.question", bid_id=bid.id, question_id=question.id)
    if request.form.get("action") == "theirs":  # keeping the colleague's answer: nothing of this user's to keep
        if current_user.is_authenticated:
            return redirect(page_url)
        return redirect(url_for("accounts.sign_in", next=page_url))
    is_quality = question.kind is QuestionKind.QUALITY
    yes_no = {"yes": True, "no": False}.get(request.form.get("answer", ""))
    text = (request.form.get("answer") or "")[:MAX_STASHED_CHARACTERS]
    keep_if_too_late(text if is_quality else None)  # too late to keep it for later: shown now, to copy
    now = arrival_time()  # judged by when it was pressed, like every change to a bid
    policies.require_editable(bid, now)
    token = secrets.token_urlsafe(24)
    kept.stash(
        session,
        user.id,
        bid.id,
        question.id,
        {
            "text": text if is_quality else None,
            "yes_no": None if is_quality else yes_no,
            "base_version": parse_version(request.form.get("base_version")),
            "complete": request.form.get("action") != "later",  # which button was pressed
        },
        token=token,
        browser_key=draft_tokens.posted_key(),
        now=now,
    )
    resume_url = url_for("bids.question", bid_id=bid.id, question_id=question.id, resume=token)
    if current_user.is_authenticated:  # signed in again in another tab: the old page's token is stale
        return redirect(resume_url)
    flash("Your session had ended. Sign in again: what you typed has been kept.", "info")
    return redirect(url_for("accounts.sign_in", next=resume_url))


def _apply_save(bid: Bid, question: Question, form, save: Callable[[], SaveResult], resumed: bool = False):
    """Run one save of this answer; None once it is saved, else the page to answer with.

    A broken rule shows the page again with the text in the box (400); a
    colleague's newer answer shows both texts (409). Either way nothing is
    written (the error status rolls the request back). The deadline raises
    out of here, to the blueprint's deadline page, with what was typed."""
    try:
        result = save()
    except DeadlinePassed:
        raise
    except RuleViolation as violation:
        form.add_violation(violation)
        return _question_page(bid.id, question.id, form, status=400, resumed=resumed, bid=bid)
    if not result.saved:
        form.base_version.data = str(result.version)
        return _question_page(bid.id, question.id, form, status=409, conflict=result, resumed=resumed, bid=bid)
    return None


def _kept_page(bid: Bid, question: Question, token: str):
    """Where sign-in lands after a session ended mid-answer: what was kept, for
    its author to use or discard (never applied without asking). Writes nothing.

    Nothing kept for this user, page and browser: the page itself."""
    session = get_session()
    pending = kept.find_pending(
        session, current_user, token, bid.id, question.id, draft_tokens.held_keys(), clock.now()
    )
    if pending is None:
        return redirect(url_for("bids.question", bid_id=bid.id, question_id=question.id))
    data = pending.data or {}
    keep_if_too_late(data.get("text"))
    require_editable(bid)  # past the deadline: the deadline page, with the text to copy
    draft_tokens.adopt_cookie_key()
    answer = queries.answers_by_question(session, bid).get(question.id)
    saved_by = session.get(User, answer.updated_by_id) if answer is not None and answer.updated_by_id else None
    number, total = _position(bid, question)
    return render_template(
        "bids/kept.html",
        bid=bid,
        question=question,
        token=token,
        text=data.get("text"),
        yes_no=data.get("yes_no"),
        answer=answer,
        saved_by=saved_by,
        number=number,
        total=total,
    )


def _use_or_discard_kept(bid: Bid, question: Question, token: str):
    """The author's choice on the kept page. Used, it goes through the same
    save (so a colleague's newer text is still a conflict, never overwritten);
    refused or in conflict, nothing is written and it stays kept. Discarded,
    it is never offered again."""
    session = get_session()
    now = arrival_time()  # the save below is judged by when this choice reached the portal
    page_url = url_for("bids.question", bid_id=bid.id, question_id=question.id)
    pending = kept.take_pending(session, current_user, token, bid.id, question.id, draft_tokens.held_keys(), now)
    if pending is None:
        return redirect(page_url)
    if request.form.get("action") == "discard":
        flash("What you typed before you were signed out has been discarded.", "success")
        return redirect(page_url)
    data = pending.data or {}
    text, yes_no = data.get("text"), data.get("yes_no")
    base_version = int(data.get("base_version") or 0)
    complete = data.get("complete", True) is not False
    form = _answer_form(question)
    form.answer.data = text if question.kind is QuestionKind.QUALITY else {True: "yes", False: "no"}.get(yes_no)
    form.base_version.data = str(base_version)
    keep_if_too_late(text)
    refused = _apply_save(
        bid,
        question,
        form,
        resumed=True,
        save=lambda: drafting.save_answer(
            session, current_user, bid, question, text, yes_no, base_version, now, complete=complete
        ),
    )
    if refused is not None:
        return refused
    flash("We saved what you typed before you were signed out.", "success")
    return redirect(page_url)


def _save_answer(bid: Bid, question: Question):
    form = _answer_form(question)
    text, _yes_no = _posted(question, form)
    keep_if_too_late(text)
    now = require_editable(bid)
    action = request.form.get("action", "save")
    if action == "theirs":
        flash("Your colleague's answer has been kept. Your text was not saved.", "success")
        return redirect(url_for("bids.question", bid_id=bid.id, question_id=question.id))
    if not form.validate():
        return _question_page(bid.id, question.id, form, status=400, bid=bid)
    text, yes_no = _posted(question, form)
    later = action == "later"
    task_list = url_for("bids.show", bid_id=bid.id)
    if later and question.kind is QuestionKind.PASS_FAIL and yes_no is None:
        return redirect(task_list)  # nothing chosen, so nothing to keep
    base_version = parse_version(form.base_version.data)
    refused = _apply_save(
        bid,
        question,
        form,
        save=lambda: drafting.save_answer(
            get_session(),
            current_user,
            bid,
            question,
            text,
            yes_no,
            base_version,
            now,
            force=action == "force",
            complete=not later,
        ),
    )
    if refused is not None:
        return refused
    if later:
        flash(
            "Your answer has been saved. You can come back to this bid until "
            f"{display.deadline_words(bid.tender.submission_deadline)}.",
            "success",
        )
        return redirect(task_list)
    if question.kind is QuestionKind.PASS_FAIL and display.fails_selection(
        question, queries.answers_by_question(get_session(), bid).get(question.id)
    ):
        # Said at once, on the question's own page, not only later on the task list.
        return redirect(url_for("bids.question", bid_id=bid.id, question_id=question.id))
    return redirect(_next_url(bid, question.id))


def _next_url(bid: Bid, question_id: int) -> str:
    """The next question not yet answered, or the task list."""
    answers = queries.answers_by_question(get_session(), bid)
    questions = drafting.questions_for(bid)
    position = next((i for i, q in enumerate(questions) if q.id == question_id), -1)
    for following in questions[position + 1 :]:
        if not display.is_answered(following, answers.get(following.id)):
            return url_for("bids.question", bid_id=bid.id, question_id=following.id)
    return url_for("bids.show", bid_id=bid.id)


def _question_page(
    bid_id: int,
    question_id: int,
    form=None,
    status: int = 200,
    conflict=None,
    resumed: bool = False,
    bid: Bid | None = None,
):
    """The question page, drawn from columns (``queries.question_page``): a fresh page (no
    ``form``), or the form sent back with its errors (400) or beside a colleague's newer answer
    (409). Someone who does not act for the bid's organisation gets 404, and a question of
    another tender 404 too (as ``_bid_or_404`` and ``drafting.question_of``)."""
    session = get_session()
    now = clock.now()
    page = queries.question_page(session, bid_id, question_id)
    if page is None or not policies.is_bidder(current_user, page):
        abort(404)
    question, answer = page.question, page.answer
    if question is None:
        raise NotPermitted()
    is_quality = question.kind is QuestionKind.QUALITY
    earlier = queries.earlier_answers(session, page.organisation_id, bid_id) if is_quality else []
    copied = False
    if form is None:
        # A fresh page: the saved answer (or an earlier one copied in) and the version it is based on.
        if answer is None:
            answer_data = None
        else:
            answer_data = answer.text if is_quality else {True: "yes", False: "no"}.get(answer.yes_no)
        base_version = str(answer.version if answer is not None else 0)
        error = None
        copy = request.args.get("copy", "")
        if copy.isdigit() and int(copy) < len(earlier):
            answer_data = earlier[int(copy)]["text"]
            copied = True
    else:
        answer_data = form.answer.data
        base_version = "" if form.base_version.data is None else str(form.base_version.data)
        error = form.answer.errors[0] if form.answer.errors else None
    fails = display.fails_selection(question, answer) and conflict is None
    saved_by = answer.saved_by if answer is not None else None
    return render_template(
        "bids/question.html",
        fails=fails,
        next_url=_next_url(bid or _bid_or_404(bid_id), question_id) if fails else None,
        title=display.question_title(question),
        form=form,
        answer_data=answer_data,
        base_version=base_version,
        draft_token=draft_tokens.issue(current_user, bid_id, question_id),
        error=error,
        page=page,
        bid_id=bid_id,
        question=question,
        is_quality=is_quality,
        answer=answer,
        conflict=conflict,
        colleague=saved_by if conflict is not None else None,
        earlier=earlier,
        copied=copied,
        resumed=resumed,
        number=page.number,
        total=page.total,
        is_editable=is_open_for_bids(page, now),
        now=now,
        last_saved_by=saved_by,
    ), status


def _position(bid: Bid, question: Question) -> tuple[int | None, int]:
    """The question's number among the bid's questions, and how many there are."""
    questions = drafting.questions_for(bid)
    return next((i for i, q in enumerate(questions, start=1) if q.id == question.id), None), len(questions)
