"""Providers prepare, submit, resubmit and withdraw bids.

Every route loads the bid and answers 404 unless the signed-in user acts for
the organisation that owns it. Every change is refused once the deadline has
passed by the server's clock (``_require_editable``, before the form is read),
and the services judge it again at the moment of commit.
"""

from __future__ import annotations

import re
import secrets

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from wtforms import ValidationError

from portal import clock, csrf
from portal.accounts.forms import ConfirmForm
from portal.accounts.models import Role, User
from portal.accounts.views import form_page
from portal.auth import login_manager, public, roles
from portal.bids import display, queries, services
from portal.bids.forms import (DeclarationsForm, EvidenceForm, LotsForm, PassFailAnswerForm, QualityAnswerForm,
                               SubmitBidForm, UploadForm, WithdrawForm, parse_version, prices_form)
from portal.bids.models import Bid, BidAnswer, BidStatus, Submission
from portal.bids.services import DeadlinePassed, Incomplete
from portal.db import commit, get_session
from portal.downloads import attachment as send_attachment
from portal.errors import RuleViolation
from portal.forms import choices
from portal.providers.models import Evidence
from portal.tenders.models import Question, QuestionKind, Tender
from portal.tenders.public_policies import can_view
from portal.text import paragraphs

bp = Blueprint("bids", __name__)

DRAFT_TOKEN_SALT = "bid-draft"
DRAFT_TOKEN_MAX_AGE = 7 * 24 * 3600
MAX_STASHED_CHARACTERS = 100_000  # beyond the service's 50,000 limit, so the refusal can still show it all

DECLARATIONS = (
    "The information in this bid is true, complete and accurate, and we will tell the council at once if it "
    "changes before a contract is awarded.",
    "We have not colluded with any other organisation over this bid, its prices or whether to bid, and have not "
    "offered or received any inducement in connection with it.",
    "We have declared to the council every actual or potential conflict of interest, including any link with "
    "the council's staff or councillors.",
    "We will comply with the law and statutory guidance on safeguarding children and adults at risk, including "
    "safer recruitment and Disclosure and Barring Service checks.",
)


@bp.context_processor
def _helpers():
    return {"countdown": display.countdown, "status_label": display.status_label,
            "status_tag_class": display.status_tag_class, "has_unsubmitted_changes": display.has_unsubmitted_changes,
            "datetime_seconds": services.format_datetime_seconds, "paragraphs": paragraphs,
            "word_count": services.word_count}


@bp.errorhandler(DeadlinePassed)
def _deadline_passed(error: DeadlinePassed):
    """Any change at or after the deadline: nothing was written (the request's
    transaction is rolled back), and the page says both times."""
    return _deadline_page(error)


@bp.errorhandler(RuleViolation)
def _refused_by_rule(error: RuleViolation):
    return _refused("You cannot change this bid", error.message)


# --- Helpers -------------------------------------------------------------------------------

def _bid(bid_id: int) -> Bid:
    """The bid, for someone who acts for its organisation; anyone else gets 404."""
    bid = get_session().get(Bid, bid_id)
    if bid is None or not services.is_bidder(current_user, bid):
        abort(404)
    return bid


def _require_editable(bid: Bid):
    """The server's time now, if the bid may still change (checked before the
    form is read, so a late POST is refused whatever it holds).

    Raises DeadlinePassed or RuleViolation, each a 400 page."""
    now = clock.now()
    services.require_editable(bid, now)
    return now


def _deadline_page(error: DeadlinePassed, kept_text: str | None = None):
    bid_id = (request.view_args or {}).get("bid_id")
    return render_template("bids/deadline_passed.html", message=error.message, deadline=error.deadline,
                           server_time=error.server_time, bid_id=bid_id, kept_text=kept_text), 400


def _refused(title: str, message: str, status: int = 400):
    return render_template("errors/400.html", title=title, description=message), status


def _csrf_failed():
    return render_template("errors/400.html", title="There is a problem with your request", description=None,
                           csrf_failed=True), 400


def _discard(session) -> None:
    """Roll back, and forget any check or email queued for a commit that will not happen."""
    session.rollback()
    session.info["before_commit"] = []
    session.info["after_commit"] = []


def _answers(session, bid: Bid) -> dict[int, BidAnswer]:
    return {a.question_id: a for a in session.scalars(select(BidAnswer).where(BidAnswer.bid_id == bid.id))}


def _overview(session, bid: Bid, now) -> dict:
    """What the task list and the check page both show."""
    answers = _answers(session, bid)
    questions = services.questions_for(bid)
    today = clock.today()
    contract_start = bid.tender.contract_start_date
    evidence = [(e, display.evidence_warning(e.expires_on, today, contract_start))
                for e in services.chosen_evidence(session, bid)]
    return {
        "bid": bid, "tender": bid.tender, "now": now, "is_editable": services.is_open(bid.tender, now),
        "questions": questions, "answers": answers,
        "selection": [q for q in questions if q.kind is QuestionKind.PASS_FAIL],
        "quality": [q for q in questions if q.kind is QuestionKind.QUALITY],
        "question_status": display.question_status, "missing": services.missing_items(session, bid),
        "failed": services.failed_selection_questions(bid), "current": services.current_submission(bid),
        "latest": display.latest_submission(bid), "evidence": evidence, "declarations": DECLARATIONS,
    }


def _status(text: str) -> dict:
    """A task's status as the GOV.UK task list shows it."""
    if text == display.COMPLETED:
        return {"text": text}
    if text == display.IN_PROGRESS:
        return {"tag": {"text": text, "classes": "govuk-tag--light-blue"}}
    if text == display.NOT_STARTED:
        return {"tag": {"text": text, "classes": "govuk-tag--blue"}}
    return {"text": text, "classes": "govuk-task-list__status--cannot-start-yet"}


def _task_sections(overview: dict) -> list[dict]:
    """The task list: each part of the bid, its page and how far it has got."""
    bid, answers = overview["bid"], overview["answers"]

    def question_item(question):
        return {"title": {"text": question.text}, "href": url_for("bids.question", bid_id=bid.id,
                                                                 question_id=question.id),
                "hint": {"text": f"Up to {question.word_limit:,} words"} if question.word_limit else None,
                "status": _status(display.question_status(question, answers.get(question.id)))}

    priced = [bl for bl in bid.lots if bl.price_pence is not None]
    prices_status = ("Choose lots first" if not bid.lots else display.COMPLETED if len(priced) == len(bid.lots)
                     else display.IN_PROGRESS if priced else display.NOT_STARTED)
    files = len(bid.attachments)
    chosen = overview["evidence"]
    flagged = sum(1 for _e, warning in chosen if warning)
    evidence_hint = f"{flagged} flagged: check the dates" if flagged else None
    sections = [
        {"heading": "Lots", "items": [{
            "title": {"text": "Choose the lots you are bidding for"}, "href": url_for("bids.lots", bid_id=bid.id),
            "hint": {"text": ", ".join(f"Lot {bl.lot.number}" for bl in sorted(bid.lots, key=lambda b: b.lot.number))}
            if bid.lots else None,
            "status": _status(display.COMPLETED if bid.lots else display.NOT_STARTED)}]},
        {"heading": "Selection questions (pass or fail)", "items": [question_item(q) for q in overview["selection"]]},
        {"heading": "Quality questions", "items": [question_item(q) for q in overview["quality"]]},
        {"heading": "Prices", "items": [{
            "title": {"text": "Price schedule"}, "href": url_for("bids.prices", bid_id=bid.id) if bid.lots else None,
            "status": _status(prices_status)}]},
        {"heading": "Supporting information", "items": [
            {"title": {"text": "Supporting documents"}, "href": url_for("bids.files", bid_id=bid.id),
             "status": _status(f"{files} file{'s' if files != 1 else ''}" if files else "Optional")},
            {"title": {"text": "Quality-assurance evidence"}, "href": url_for("bids.evidence", bid_id=bid.id),
             "hint": {"text": evidence_hint} if evidence_hint else None,
             "status": _status(f"{len(chosen)} chosen" if chosen else "Optional")}]},
        {"heading": "Declarations", "items": [{
            "title": {"text": "Confirm the declarations"}, "href": url_for("bids.declarations", bid_id=bid.id),
            "status": _status(display.COMPLETED if bid.declarations_confirmed_at else display.NOT_STARTED)}]},
    ]
    if overview["current"] is not None and not display.has_unsubmitted_changes(bid):
        submit_status = f"Submitted (version {overview['current'].version})"
    elif overview["missing"]:
        submit_status = "Cannot submit yet"
    else:
        submit_status = "Ready to submit"
    sections.append({"heading": "Submit", "items": [{
        "title": {"text": "Check and submit your bid"}, "href": url_for("bids.check", bid_id=bid.id),
        "status": _status(submit_status)}]})
    return [section for section in sections if section["items"]]


# --- The organisation's bids ------------------------------------------------------------------

@bp.route("/bids")
@roles(Role.PROVIDER)
def index():
    now = clock.now()
    bids = queries.organisation_bids(get_session(), current_user.organisation_id, now)
    return render_template("bids/index.html", bids=bids, now=now)


@bp.route("/opportunities/<reference>/bid", methods=["POST"])
@roles(Role.PROVIDER)
def start(reference):
    session = get_session()
    tender = session.scalar(select(Tender).where(Tender.reference == reference))
    if tender is None or not can_view(current_user, tender):
        abort(404)
    try:
        bid = services.start_bid(session, current_user, tender, clock.now())
        commit()
    except RuleViolation as violation:
        _discard(session)
        return _refused("You cannot bid for this opportunity", violation.message)
    except IntegrityError:
        # A colleague started the organisation's bid at the same moment: use theirs.
        _discard(session)
        bid = session.scalar(select(Bid).where(Bid.tender_id == tender.id,
                                               Bid.organisation_id == current_user.organisation_id))
        if bid is None:
            raise
    return redirect(url_for("bids.show", bid_id=bid.id))


@bp.route("/bids/<int:bid_id>")
@roles(Role.PROVIDER)
def show(bid_id):
    bid = _bid(bid_id)
    overview = _overview(get_session(), bid, clock.now())
    return render_template("bids/show.html", sections=_task_sections(overview), **overview)


@bp.route("/bids/<int:bid_id>/lots", methods=["GET", "POST"])
@roles(Role.PROVIDER)
def lots(bid_id):
    bid = _bid(bid_id)
    now = _require_editable(bid) if request.method == "POST" else clock.now()
    form = LotsForm()
    lot_ids = {lot.id for lot in bid.tender.lots}
    form.lot_ids.choices = choices((lot.id, f"Lot {lot.number}: {lot.title}") for lot in bid.tender.lots)
    if request.method == "GET":
        form.lot_ids.data = [bl.lot_id for bl in bid.lots]
    elif form.validate():
        chosen = form.lot_ids.data or []
        if not set(chosen) <= lot_ids:
            abort(404)  # a lot of another tender: a tampered form
        try:
            services.choose_lots(get_session(), current_user, bid, chosen, now)
        except RuleViolation as violation:
            form.add_violation(violation)
        else:
            commit()
            return redirect(url_for("bids.show", bid_id=bid.id))
    return form_page("bids/lots.html", form, bid=bid, is_editable=services.is_open(bid.tender, now))


# --- One question per page ---------------------------------------------------------------------

def _draft_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=DRAFT_TOKEN_SALT)


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
# be read, so that what was typed is kept (see _keep_after_timeout) and saved
# once its author signs in again. Everything else is checked here, as the
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
    bid = _bid(bid_id)
    question = services.question_of(bid, question_id)  # NotPermitted (404): a question of another tender
    if request.method == "POST":
        return _save_answer(bid, question)
    if request.args.get("resume"):
        return _resume(bid, question, request.args["resume"])
    return _question_page(bid, question)


csrf.exempt(question)


def _keep_after_timeout(bid_id: int, question_id: int):
    """A save without a usable session: keep what was typed against the signed
    draft token, and send its author to sign in and land back on the page."""
    try:
        data = _draft_serializer().loads(request.form.get("draft_token", ""), max_age=DRAFT_TOKEN_MAX_AGE)
    except BadData:
        return _csrf_failed()
    if not isinstance(data, dict) or data.get("b") != bid_id or data.get("q") != question_id:
        return _csrf_failed()
    session = get_session()
    user = session.get(User, data.get("u")) if isinstance(data.get("u"), int) else None
    bid = session.get(Bid, bid_id)
    if user is None or bid is None or not user.can_sign_in or not services.is_bidder(user, bid):
        return _csrf_failed()
    if current_user.is_authenticated and current_user.id != user.id:
        return _csrf_failed()  # someone else has signed in on this browser since
    question = services.question_of(bid, question_id)
    page_url = url_for("bids.question", bid_id=bid.id, question_id=question.id)
    if request.form.get("action") == "theirs":  # keeping the colleague's answer: nothing of this user's to keep
        if current_user.is_authenticated:
            return redirect(page_url)
        return redirect(url_for("accounts.sign_in", next=page_url))
    yes_no = {"yes": True, "no": False}.get(request.form.get("answer", ""))
    text = (request.form.get("answer") or "")[:MAX_STASHED_CHARACTERS]
    try:
        services.require_editable(bid, clock.now())
    except DeadlinePassed as error:  # too late to keep it for later: show it now, to copy
        return _deadline_page(error, kept_text=text if question.kind is QuestionKind.QUALITY else None)
    token = secrets.token_urlsafe(24)
    services.stash(session, user.id, bid.id, question.id, {
        "text": text if question.kind is QuestionKind.QUALITY else None,
        "yes_no": yes_no if question.kind is QuestionKind.PASS_FAIL else None,
        "base_version": parse_version(request.form.get("base_version"))}, token=token)
    commit()
    resume_url = url_for("bids.question", bid_id=bid.id, question_id=question.id, resume=token)
    if current_user.is_authenticated:  # signed in again in another tab: the old page's token is stale
        return redirect(resume_url)
    flash("Your session had ended. Sign in again: what you typed has been kept.", "info")
    return redirect(url_for("accounts.sign_in", next=resume_url))


def _resume(bid: Bid, question: Question, token: str):
    """Apply what was kept when the session ended, through the same save (so a
    colleague's newer text is still a conflict, never overwritten)."""
    session = get_session()
    pending = services.take_pending(session, current_user, token)
    page_url = url_for("bids.question", bid_id=bid.id, question_id=question.id)
    if pending is None or pending.bid_id != bid.id or pending.question_id != question.id:
        _discard(session)
        return redirect(page_url)
    data = pending.data or {}
    text, yes_no = data.get("text"), data.get("yes_no")
    form = _answer_form(question)
    form.answer.data = text if question.kind is QuestionKind.QUALITY else {True: "yes", False: "no"}.get(yes_no)
    form.base_version.data = str(int(data.get("base_version") or 0))
    try:
        result = services.save_answer(session, current_user, bid, question, text, yes_no,
                                      int(data.get("base_version") or 0), clock.now())
    except DeadlinePassed as error:
        _discard(session)
        return _deadline_page(error, kept_text=text)
    except RuleViolation as violation:
        # Not applied: the kept text stays kept (this link works again) and is in the box.
        _discard(session)
        form.add_violation(violation)
        return _question_page(bid, question, form, status=400, resumed=True)
    if not result.saved:
        _discard(session)
        form.base_version.data = str(result.version)
        return _question_page(bid, question, form, status=409, conflict=result, resumed=True)
    commit()
    flash("We saved what you typed before you were signed out.", "success")
    return redirect(page_url)


def _save_answer(bid: Bid, question: Question):
    session = get_session()
    form = _answer_form(question)
    text, yes_no = _posted(question, form)
    try:
        now = _require_editable(bid)
    except DeadlinePassed as error:
        return _deadline_page(error, kept_text=text)
    action = request.form.get("action", "save")
    page_url = url_for("bids.question", bid_id=bid.id, question_id=question.id)
    if action == "theirs":
        flash("Your colleague's answer has been kept. Your text was not saved.", "success")
        return redirect(page_url)
    if not form.validate():
        return _question_page(bid, question, form, status=400)
    text, yes_no = _posted(question, form)
    base_version = parse_version(form.base_version.data)
    try:
        try:
            result = services.save_answer(session, current_user, bid, question, text, yes_no, base_version, now,
                                          force=action == "force")
        except IntegrityError:
            # A colleague saved the first answer to this question at the same moment:
            # try again, now against their answer (a conflict unless the texts agree).
            _discard(session)
            result = services.save_answer(session, current_user, bid, question, text, yes_no, base_version, now,
                                          force=action == "force")
    except DeadlinePassed as error:
        _discard(session)
        return _deadline_page(error, kept_text=text)
    except RuleViolation as violation:
        _discard(session)
        form.add_violation(violation)
        return _question_page(bid, question, form, status=400)
    if not result.saved:
        _discard(session)
        form.base_version.data = str(result.version)
        return _question_page(bid, question, form, status=409, conflict=result)
    try:
        commit()
    except DeadlinePassed as error:
        return _deadline_page(error, kept_text=text)
    return redirect(_next_url(session, bid, question))


def _next_url(session, bid: Bid, question: Question) -> str:
    """The next question not yet answered, or the task list."""
    answers = _answers(session, bid)
    questions = services.questions_for(bid)
    position = next((i for i, q in enumerate(questions) if q.id == question.id), -1)
    for following in questions[position + 1:]:
        if not display.is_answered(following, answers.get(following.id)):
            return url_for("bids.question", bid_id=bid.id, question_id=following.id)
    return url_for("bids.show", bid_id=bid.id)


def _question_page(bid: Bid, question: Question, form=None, status: int = 200, conflict=None,
                   resumed: bool = False):
    session = get_session()
    now = clock.now()
    answer = _answers(session, bid).get(question.id)
    copied = False
    earlier = services.earlier_answers(session, bid) if question.kind is QuestionKind.QUALITY else []
    if form is None:
        form = _answer_form(question)
        if answer is not None:
            form.answer.data = answer.text if question.kind is QuestionKind.QUALITY else \
                {True: "yes", False: "no"}.get(answer.yes_no)
        form.base_version.data = str(answer.version if answer is not None else 0)
        copy = request.args.get("copy", "")
        if copy.isdigit() and int(copy) < len(earlier):
            form.answer.data = earlier[int(copy)]["text"]
            copied = True
    form.draft_token.data = _draft_serializer().dumps({"u": current_user.id, "b": bid.id, "q": question.id})
    colleague = None
    if conflict is not None and answer is not None and answer.updated_by_id:
        colleague = session.get(User, answer.updated_by_id)
    questions = services.questions_for(bid)
    number = next((i for i, q in enumerate(questions, start=1) if q.id == question.id), None)
    return render_template(
        "bids/question.html", form=form, bid=bid, question=question, answer=answer, conflict=conflict,
        colleague=colleague, earlier=earlier, copied=copied, resumed=resumed, number=number,
        total=len(questions), is_editable=services.is_open(bid.tender, now), now=now,
        last_saved_by=session.get(User, answer.updated_by_id) if answer is not None and answer.updated_by_id
        else None), status


# --- Prices, files, evidence and declarations ---------------------------------------------------

PRICE_FIELD = re.compile(r"price_(\d+)")


@bp.route("/bids/<int:bid_id>/prices", methods=["GET", "POST"])
@roles(Role.PROVIDER)
def prices(bid_id):
    bid = _bid(bid_id)
    now = _require_editable(bid) if request.method == "POST" else clock.now()
    bid_lots = sorted(bid.lots, key=lambda bl: bl.lot.number)
    if request.method == "POST" and not bid_lots:
        return redirect(url_for("bids.lots", bid_id=bid.id))
    if request.method == "POST":
        chosen = {bl.lot_id for bl in bid_lots}
        for key in request.form:
            match = PRICE_FIELD.fullmatch(key)
            if key.startswith("price_") and (match is None or int(match.group(1)) not in chosen):
                abort(404)  # a lot not in this bid: a tampered form
    form = prices_form(bid_lots, fill_from_draft=request.method == "GET")
    if request.method == "POST" and form.validate():
        try:
            services.save_prices(get_session(), current_user, bid,
                                 {bl.lot_id: form[f"price_{bl.lot_id}"].pence for bl in bid_lots}, now)
        except RuleViolation as violation:
            form.add_violation(violation)
        else:
            commit()
            return redirect(url_for("bids.show", bid_id=bid.id))
    return form_page("bids/prices.html", form, bid=bid, bid_lots=bid_lots,
                     is_editable=services.is_open(bid.tender, now))


@bp.route("/bids/<int:bid_id>/files", methods=["GET", "POST"])
@roles(Role.PROVIDER)
def files(bid_id):
    bid = _bid(bid_id)
    session = get_session()
    now = _require_editable(bid) if request.method == "POST" else clock.now()
    form = UploadForm()
    if request.method == "POST" and form.validate():
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            form.file.errors = [*form.file.errors, "Select a file to upload"]
        else:
            try:
                added = services.attach(session, current_user, bid, upload.filename, upload.read(),
                                        form.title.data or "", now)
            except RuleViolation as violation:
                _discard(session)
                form.add_violation(violation)
            else:
                commit()
                flash(f"\u201c{added.title}\u201d has been uploaded.", "success")
                return redirect(url_for("bids.files", bid_id=bid.id))
    return form_page("bids/files.html", form, bid=bid, remove_form=ConfirmForm(),
                     is_editable=services.is_open(bid.tender, now),
                     total_bytes=sum(a.file.size for a in bid.attachments),
                     max_file_mb=current_app.config["MAX_FILE_BYTES"] // (1024 * 1024),
                     max_bid_mb=current_app.config["MAX_BID_BYTES"] // (1024 * 1024))


@bp.route("/bids/<int:bid_id>/files/<int:attachment_id>")
@roles(Role.PROVIDER)
def download(bid_id, attachment_id):
    bid = _bid(bid_id)
    found = next((a for a in bid.attachments if a.id == attachment_id), None)
    if found is None:
        abort(404)
    return send_attachment(found.file, private=True)


@bp.route("/bids/<int:bid_id>/files/<int:attachment_id>/remove", methods=["POST"])
@roles(Role.PROVIDER)
def remove_file(bid_id, attachment_id):
    bid = _bid(bid_id)
    now = _require_editable(bid)
    found = next((a for a in bid.attachments if a.id == attachment_id), None)
    title = found.title if found is not None else ""
    services.remove_attachment(get_session(), current_user, bid, attachment_id, now)  # NotPermitted: 404
    commit()
    flash(f"\u201c{title}\u201d has been removed.", "success")
    return redirect(url_for("bids.files", bid_id=bid.id))


@bp.route("/bids/<int:bid_id>/evidence", methods=["GET", "POST"])
@roles(Role.PROVIDER)
def evidence(bid_id):
    bid = _bid(bid_id)
    session = get_session()
    now = _require_editable(bid) if request.method == "POST" else clock.now()
    available = session.scalars(select(Evidence).where(
        Evidence.organisation_id == bid.organisation_id, Evidence.archived_at.is_(None))
        .order_by(Evidence.kind, Evidence.title)).all()
    form = EvidenceForm()
    if request.method == "GET":
        form.evidence_ids.data = [e.id for e in services.chosen_evidence(session, bid)]
    elif form.validate():
        services.choose_evidence(session, current_user, bid, form.evidence_ids.data or [], now)  # NotPermitted: 404
        commit()
        return redirect(url_for("bids.show", bid_id=bid.id))
    today = clock.today()
    rows = [(e, display.evidence_warning(e.expires_on, today, bid.tender.contract_start_date)) for e in available]
    manage_url = url_for("evidence.index") if "evidence.index" in current_app.view_functions else None
    return form_page("bids/evidence.html", form, bid=bid, rows=rows, chosen=set(form.evidence_ids.data or []),
                     manage_url=manage_url, is_editable=services.is_open(bid.tender, now))


@bp.route("/bids/<int:bid_id>/declarations", methods=["GET", "POST"])
@roles(Role.PROVIDER)
def declarations(bid_id):
    bid = _bid(bid_id)
    now = _require_editable(bid) if request.method == "POST" else clock.now()
    form = DeclarationsForm()
    if request.method == "GET":
        form.confirm.data = bid.declarations_confirmed_at is not None
    elif form.validate():
        try:
            services.confirm_declarations(get_session(), current_user, bid, bool(form.confirm.data), now)
        except RuleViolation as violation:
            form.add_violation(violation)
        else:
            commit()
            return redirect(url_for("bids.show", bid_id=bid.id))
    confirmed_by = get_session().get(User, bid.declarations_confirmed_by_id) \
        if bid.declarations_confirmed_by_id else None
    return form_page("bids/declarations.html", form, bid=bid, declarations=DECLARATIONS, confirmed_by=confirmed_by,
                     is_editable=services.is_open(bid.tender, now))


# --- Check, submit, receipts and withdrawal ---------------------------------------------------------

@bp.route("/bids/<int:bid_id>/submit")
@roles(Role.PROVIDER)
def check(bid_id):
    bid = _bid(bid_id)
    return render_template("bids/check.html", form=SubmitBidForm(), **_overview(get_session(), bid, clock.now()))


@bp.route("/bids/<int:bid_id>/submit", methods=["POST"])
@roles(Role.PROVIDER)
def submit(bid_id):
    bid = _bid(bid_id)
    session = get_session()
    _require_editable(bid)
    form = SubmitBidForm()
    try:
        submission, _is_new = services.submit(session, current_user, bid)
        commit()
    except Incomplete as incomplete:
        _discard(session)
        form.form_errors.extend(incomplete.missing)
        return render_template("bids/check.html", form=form, **_overview(session, bid, clock.now())), 400
    except DeadlinePassed as error:
        _discard(session)
        return _deadline_page(error)
    except RuleViolation as violation:
        _discard(session)
        return _refused("Your bid was not submitted", violation.message)
    except IntegrityError:
        # Another tab (or a colleague) submitted this same draft a moment earlier:
        # theirs is the submission, and its receipt is this one's too.
        _discard(session)
        submission = session.scalar(select(Submission).where(
            Submission.bid_id == bid.id, Submission.from_revision == bid.revision))
        if submission is None:
            return _not_submitted()
    except SQLAlchemyError:
        current_app.logger.exception("bid %s: submission failed", bid.id)
        _discard(session)
        return _not_submitted()
    return redirect(url_for("bids.receipt", bid_id=bid.id, version=submission.version))


def _not_submitted():
    return render_template("bids/not_submitted.html", bid_id=(request.view_args or {}).get("bid_id")), 503


@bp.route("/bids/<int:bid_id>/receipts/<int:version>")
@roles(Role.PROVIDER)
def receipt(bid_id, version):
    bid = _bid(bid_id)
    submission = next((s for s in bid.submissions if s.version == version), None)
    if submission is None:
        abort(404)
    current = services.current_submission(bid)
    return render_template("bids/receipt.html", bid=bid, submission=submission, current=current,
                           others=[s for s in reversed(bid.submissions) if s.version != version],
                           now=clock.now())


@bp.route("/bids/<int:bid_id>/withdraw", methods=["GET", "POST"])
@roles(Role.PROVIDER)
def withdraw(bid_id):
    bid = _bid(bid_id)
    form = WithdrawForm()
    if request.method == "POST":
        _require_editable(bid)
        try:
            services.withdraw(get_session(), current_user, bid)
            commit()
        except DeadlinePassed as error:
            return _deadline_page(error)
        except RuleViolation as violation:
            return _refused("Your bid cannot be withdrawn", violation.message)
        flash("Your bid has been withdrawn. Its submitted versions are kept. You can submit it again until "
              "the deadline.", "success")
        return redirect(url_for("bids.show", bid_id=bid.id))
    now = clock.now()
    return render_template("bids/withdraw.html", form=form, bid=bid, now=now,
                           current=services.current_submission(bid),
                           is_editable=services.is_open(bid.tender, now),
                           is_submitted=bid.status is BidStatus.SUBMITTED)
