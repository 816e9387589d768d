"""Public opportunity pages, interest, alerts and providers' clarification questions.

Pages never write: a tender past its deadline is shown closed (``Tender.status_at``)
and the worker records the closing.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal import clock
from portal.accounts.forms import ConfirmForm
from portal.accounts.models import Role
from portal.agreements.models import DeliveryMode
from portal.auth import public, roles
from portal.dates import LONDON
from portal.db import get_session
from portal.downloads import attachment
from portal.errors import RuleViolation
from portal.filters import format_date, format_datetime
from portal.forms import form_page, handle_form
from portal.pagination import page_number
from portal.signals import ask as ask_signal
from portal.tenders import clarifications, interest, queries
from portal.tenders.choices import category_choices, district_choices
from portal.tenders.models import DocumentKind, QuestionKind, Tender, TenderDocument, TenderStatus
from portal.tenders.price_rule import price_rule
from portal.tenders.public_forms import AlertPreferencesForm, ClarificationForm, read_filters
from portal.tenders.public_policies import (
    can_ask,
    can_register_interest,
    can_view,
    is_open_for_bids,
    is_provider,
    questions_open,
)
from portal.tenders.signals import own_bid_requested
from portal.text import paragraphs

bp = Blueprint("tenders", __name__)


SUMMARY_LENGTH = 160  # about one line of a result at desktop width


def one_line(text: str | None, limit: int = SUMMARY_LENGTH) -> str:
    """The first paragraph of ``text``, cut at a word boundary (never mid-word) with
    an ellipsis when it is longer than ``limit`` characters."""
    first = next((line.strip() for line in (text or "").splitlines() if line.strip()), "")
    if len(first) <= limit:
        return first
    # With no space within the limit, the first word is shown whole: never cut mid-word.
    cut = first[: limit + 1].rsplit(None, 1)[0] if " " in first[: limit + 1] else first.split(None, 1)[0]
    if cut == first:
        return first
    return cut.rstrip(" ,;:.-–") + "…"


def closing_text(tender: Tender | queries.OpportunityResult, now: datetime) -> str:
    """'Closes 27 December 2026 at midday (in 28 days)', or when it closed."""
    deadline = tender.submission_deadline
    if deadline is None:
        return "Closing date to be confirmed"
    if deadline <= now:
        return f"Closed {format_datetime(deadline)}"
    days = (deadline.astimezone(LONDON).date() - now.astimezone(LONDON).date()).days
    when = "today" if days == 0 else ("tomorrow" if days == 1 else f"in {days:,} days")
    return f"Closes {format_datetime(deadline)} ({when})"


def districts_text(result: queries.OpportunityResult, district_count: int) -> str:
    """The districts the lots cover: "All Kent districts" rather than every name."""
    names = result.districts
    if names and len(names) >= district_count:
        return "All districts"
    return ", ".join(names) or "Districts not stated"


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def what_you_need(page: queries.Opportunity) -> list[dict]:
    """What a bid for the tender asks for, as the rows of a summary list ("What you need
    to bid"): the pass or fail questions, the written answers and their total word
    limit, the price, and the documents to read. Worked out from the opportunity as
    read for its page (no further queries)."""
    lots, documents = page.lots, page.documents
    pass_fail = [q for q in page.questions if q.kind is QuestionKind.PASS_FAIL]
    quality = [q for q in page.questions if q.kind is QuestionKind.QUALITY]
    rows = []
    if pass_fail:
        rows.append(
            {
                "key": "Pass or fail questions",
                "value": f"{_plural(len(pass_fail), 'question')} answered yes or no: "
                "the wrong answer to any of them means the bid cannot go further",
            }
        )
    if quality:
        words = sum(q.word_limit or 0 for q in quality)
        text = _plural(len(quality), "written answer")
        if words and all(q.word_limit for q in quality):
            text += f", up to {words:,} words in total"
        if any(q.lots and len(q.lots) < len(lots) for q in quality):
            text += " if you bid for every lot (some questions are for some lots only)"
        rows.append({"key": "Written answers", "value": text})
    if lots:
        templates = [d for d in documents if d.kind is DocumentKind.PRICING_TEMPLATE]
        price = "An annual price for each lot you bid for"
        if len(lots) > 1:
            price += f" (there are {len(lots):,} lots: you can bid for one or more)"
        if templates:
            price += ", using the pricing template"
        rows.append({"key": "Price", "value": price})
    if documents:
        rows.append(
            {
                "key": "Documents to read",
                "value": _plural(len(documents), "document") + ", listed under Documents below",
                "href": "#documents-heading",
            }
        )
    return rows


def key_dates(tender: Tender) -> list[tuple[str, str]]:
    """The dates a bidder plans around, in the order they come, as (label, when); a date
    not yet set is "To be confirmed" (the formatters give "" for none)."""
    dates = [
        (
            "Clarification questions close",
            format_datetime(tender.clarification_deadline),
        ),
        ("Bids close", format_datetime(tender.submission_deadline)),
        ("Evaluation", format_date(tender.evaluation_date)),
        ("Award planned", format_date(tender.intended_award_date)),
        ("Contract starts", format_date(tender.contract_start_date)),
    ]
    return [(label, when or "To be confirmed") for label, when in dates]


def timetable(tender: Tender) -> list[tuple[str, str]]:
    """The whole timetable, as (label, when), "To be confirmed" for a date not yet set."""
    dates = [
        ("Published", format_datetime(tender.published_at)),
        ("Clarification questions close", format_datetime(tender.clarification_deadline)),
        ("Answers published by", format_datetime(tender.answers_by)),
        ("Submission deadline", format_datetime(tender.submission_deadline)),
        ("Evaluation", format_date(tender.evaluation_date)),
        ("Intended award", format_date(tender.intended_award_date)),
        ("Standstill ends", format_date(tender.standstill_end_date)),
        ("Contract starts", format_date(tender.contract_start_date)),
    ]
    return [(label, when or "To be confirmed") for label, when in dates]


@bp.route("/opportunities")
@public
def index():
    session = get_session()
    now = clock.now()
    categories, districts = queries.filter_choices(session)
    form = read_filters(request.args, categories, districts)
    tenders, page, status = [], None, 200
    if form.parsed is not None:
        tenders, page = queries.opportunities(session, form.parsed, page_number(request.args.get("page")), now)
    else:
        status = 400
    query_args = form.query_args()
    return render_template(
        "tenders/public/index.html",
        filters=form,  # not "form": the base template draws a WTForms form's errors by itself
        categories=categories,
        districts=districts,
        modes=[(mode.name, mode.value) for mode in DeliveryMode],
        sort_orders=queries.SORT_ORDERS,
        tenders=tenders,
        page=page,
        now=now,
        page_url=lambda number: url_for("tenders.index", **query_args, page=number),
        one_line=one_line,
        closing_text=lambda tender: closing_text(tender, now),
        districts_text=lambda result: districts_text(result, len(districts)),
        is_provider=is_provider(current_user),
    ), status


def _tender(reference: str) -> Tender:
    """The tender for a form or a download: 404 unless the user may see it."""
    tender = get_session().scalar(select(Tender).where(Tender.reference == reference))
    if tender is None or not can_view(current_user, tender):
        abort(404)
    return tender


@bp.route("/opportunities/<reference>")
@public
def show(reference):
    session = get_session()
    page = queries.opportunity(session, reference)
    if page is None or not can_view(current_user, page.tender):
        abort(404)
    tender = page.tender
    now = clock.now()
    provider = is_provider(current_user)
    organisation_id = current_user.organisation_id if provider else None
    published, own_questions = queries.page_clarifications(session, tender, organisation_id)
    interested, own_bid = False, None
    if provider:
        interested = interest.has_interest(session, organisation_id, tender)
        # The bid, if any, is the bids domain's to find.
        own_bid = ask_signal(own_bid_requested, tender, session=session, organisation_id=organisation_id)
    return render_template(
        "tenders/public/show.html",
        tender=tender,
        category_name=page.category_name,
        decision=page.decision,
        lots=page.lots,
        documents=page.documents,
        amendments=page.amendments,
        published=published,
        own_questions=own_questions,
        interested=interested,
        quality_questions=[q for q in page.questions if q.kind is QuestionKind.QUALITY],
        key_dates=key_dates(tender),
        timetable=timetable(tender),
        what_you_need=what_you_need(page),
        is_provider=provider,
        can_register_interest=can_register_interest(current_user, tender, now),
        can_ask=can_ask(current_user, tender, now),
        price_rule=price_rule(tender),
        descriptors=sorted((tender.score_descriptors or {}).items(), key=lambda item: int(item[0])),
        paragraphs=paragraphs,
        is_draft=tender.status is TenderStatus.DRAFT,
        # Only a provider is offered the forms: a CSRF token for anyone else would be made for
        # nothing (and, for a visitor, would start a session just to hold it).
        interest_form=ConfirmForm() if provider else None,
        now=now,
        shown_status=tender.status_at(now),
        own_bid=own_bid,
        bids_open=is_open_for_bids(tender, now),
    )


@bp.route("/opportunities/<reference>/documents/<int:document_id>")
@public
def document(reference, document_id):
    tender = _tender(reference)
    found = get_session().get(TenderDocument, document_id, options=[joinedload(TenderDocument.file)])
    if found is None or found.tender_id != tender.id:
        abort(404)
    return attachment(found.file, private=not queries.is_public(tender))


@bp.route("/opportunities/<reference>/interest", methods=["POST"])
@roles(Role.PROVIDER)
def register_interest(reference):
    session = get_session()
    tender = _tender(reference)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    already = interest.has_interest(session, current_user.organisation_id, tender)
    try:
        interest.register_interest(session, current_user, tender, clock.now())
    except RuleViolation as violation:
        return render_template(
            "errors/400.html", title="You cannot register interest", description=violation.message
        ), 400
    flash(
        "Your organisation had already registered interest in this opportunity."
        if already
        else "You have registered interest. We will email your organisation about any changes to this opportunity.",
        "success",
    )
    return redirect(url_for("tenders.show", reference=tender.reference))


@bp.route("/opportunities/<reference>/questions/new", methods=["GET", "POST"])
@roles(Role.PROVIDER)
def ask(reference):
    session = get_session()
    tender = _tender(reference)
    now = clock.now()
    if not questions_open(tender, now):
        return render_template("tenders/public/questions_closed.html", tender=tender), 400
    form = ClarificationForm()
    if form.validate_on_submit():
        try:
            clarifications.ask(session, current_user, tender, form.question.data, now)
        except RuleViolation as violation:
            form.add_violation(violation)
        else:
            # A confirmation page, not a redirect: the question is not shown anywhere else yet.
            return render_template("tenders/public/question_sent.html", tender=tender)
    return form_page("tenders/public/ask.html", form, tender=tender)


@bp.route("/alerts", methods=["GET", "POST"])
@roles(Role.PROVIDER)
def alerts():
    session = get_session()
    form = AlertPreferencesForm()
    form.category_ids.choices = category_choices(session)
    form.district_ids.choices = district_choices(session)
    if request.method == "GET":
        form.category_ids.data, form.district_ids.data = interest.alert_preferences(session, current_user)

    def save() -> bool:
        category_ids, district_ids = form.category_ids.data or [], form.district_ids.data or []
        interest.set_alert_preferences(session, current_user, category_ids, district_ids)
        return bool(category_ids or district_ids)

    return handle_form(
        form,
        save,
        template="tenders/public/alerts.html",
        redirect_to=url_for("tenders.alerts"),
        success=lambda wanted: (
            "Your alert choices have been saved."
            if wanted
            else "Opportunity alerts are turned off. You will not get emails about new opportunities."
        ),
    )
