"""Public opportunity pages, interest, alerts and providers' clarification questions."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal import clock
from portal.accounts.forms import ConfirmForm
from portal.accounts.models import Role
from portal.accounts.views import form_page
from portal.agreements.models import DeliveryMode, ServiceCategory
from portal.auth import public, roles
from portal.bids import services as bid_services
from portal.bids.models import Bid
from portal.db import commit, get_session
from portal.downloads import attachment
from portal.errors import RuleViolation
from portal.forms import choices
from portal.providers.models import District
from portal.tenders import queries, services
from portal.tenders.models import Clarification, QuestionKind, Tender, TenderDocument, TenderStatus
from portal.tenders.public_forms import AlertPreferencesForm, ClarificationForm, OpportunityFilterForm
from portal.tenders.public_policies import (can_ask, can_register_interest, can_view, is_provider,
                                            questions_open)
from portal.text import paragraphs

bp = Blueprint("tenders", __name__)


def districts_of(tender: Tender) -> list[str]:
    """Every district any lot covers, by name."""
    return sorted({district.name for lot in tender.lots for district in lot.districts})


def modes_of(tender: Tender) -> list[str]:
    """Every delivery mode any lot offers, in the enum's order."""
    used = {mode for lot in tender.lots for mode in lot.delivery_modes}
    return [mode.value for mode in DeliveryMode if mode in used]


def _filter_choices(form: OpportunityFilterForm, session) -> None:
    form.category.choices = choices([("", "Any category"), *(
        (str(c.id), c.name) for c in session.scalars(select(ServiceCategory).order_by(ServiceCategory.name)))])
    form.district.choices = choices([("", "Any district"), *(
        (str(d.id), d.name) for d in session.scalars(select(District).order_by(District.name)))])
    form.mode.choices = choices([("", "Any delivery mode"), *((m.name, m.value) for m in DeliveryMode)])


def _as_id(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@bp.route("/opportunities")
@public
def index():
    session = get_session()
    form = OpportunityFilterForm(request.args)
    _filter_choices(form, session)
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1
    tenders, total, status = [], 0, 200
    if form.validate():
        f = queries.OpportunityFilter(
            text=(form.q.data or "").strip(), category_id=_as_id(form.category.data),
            district_id=_as_id(form.district.data), mode=DeliveryMode.__members__.get(form.mode.data or ""),
            closing_before=form.closing_before.data, min_value_pence=form.value_from.pence,
            max_value_pence=form.value_to.pence, show="all" if form.show.data else "open")
        tenders, total = queries.opportunities(session, f, page)
    else:
        status = 400
    pages = max(1, -(-total // queries.PAGE_SIZE))
    query_args = request.args.to_dict(flat=False)
    query_args.pop("page", None)
    return render_template("tenders/public/index.html", form=form, tenders=tenders, total=total, page=page,
                           pages=pages, query_args=query_args, districts_of=districts_of, modes_of=modes_of,
                           is_provider=is_provider(current_user)), status


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
    tender = queries.tender_by_reference(session, reference)
    if tender is None or not can_view(current_user, tender):
        abort(404)
    now = clock.now()
    # Only the question and the answer leave this function: nothing about who asked.
    published = [{"question": c.question, "answer": c.answer, "answered_at": c.answered_at}
                 for c in queries.published_clarifications(session, tender)]
    own_questions, interested, own_bid = [], False, None
    if is_provider(current_user):
        interested = services.has_interest(session, current_user.organisation_id, tender)
        own_bid = session.scalar(select(Bid).where(Bid.tender_id == tender.id,
                                                   Bid.organisation_id == current_user.organisation_id))
        own_questions = session.scalars(select(Clarification).where(
            Clarification.tender_id == tender.id, Clarification.organisation_id == current_user.organisation_id
        ).order_by(Clarification.asked_at, Clarification.id)).all()
    quality_questions = [q for q in tender.questions if q.kind is QuestionKind.QUALITY]
    return render_template(
        "tenders/public/show.html", tender=tender, published=published, own_questions=own_questions,
        interested=interested, quality_questions=quality_questions, districts_of=districts_of,
        is_provider=is_provider(current_user), can_register_interest=can_register_interest(current_user, tender),
        can_ask=can_ask(current_user, tender, now), questions_open=questions_open(tender, now),
        descriptors=sorted((tender.score_descriptors or {}).items(), key=lambda item: int(item[0])),
        paragraphs=paragraphs, is_draft=tender.status is TenderStatus.DRAFT, interest_form=ConfirmForm(), now=now,
        own_bid=own_bid, bids_open=bid_services.is_open(tender, now))


@bp.route("/opportunities/<reference>/documents/<int:document_id>")
@public
def document(reference, document_id):
    tender = _tender(reference)
    found = get_session().get(TenderDocument, document_id, options=[joinedload(TenderDocument.file)])
    if found is None or found.tender_id != tender.id:
        abort(404)
    return attachment(found.file, private=tender.status not in queries.PUBLIC_STATUSES)


@bp.route("/opportunities/<reference>/interest", methods=["POST"])
@roles(Role.PROVIDER)
def register_interest(reference):
    session = get_session()
    tender = _tender(reference)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    already = services.has_interest(session, current_user.organisation_id, tender)
    try:
        services.register_interest(session, current_user, tender)
    except RuleViolation as violation:
        return render_template("errors/400.html", title="You cannot register interest",
                               description=violation.message), 400
    commit()
    flash("Your organisation had already registered interest in this opportunity." if already else
          "You have registered interest. We will email your organisation about any changes to this opportunity.",
          "success")
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
            services.ask(session, current_user, tender, form.question.data, now)
        except RuleViolation as violation:
            form.add_violation(violation)
        else:
            commit()
            return render_template("tenders/public/question_sent.html", tender=tender)
    return form_page("tenders/public/ask.html", form, tender=tender)


@bp.route("/alerts", methods=["GET", "POST"])
@roles(Role.PROVIDER)
def alerts():
    session = get_session()
    form = AlertPreferencesForm()
    form.category_ids.choices = choices(
        (c.id, c.name) for c in session.scalars(select(ServiceCategory).order_by(ServiceCategory.name)))
    form.district_ids.choices = choices(
        (d.id, d.name) for d in session.scalars(select(District).order_by(District.name)))
    if request.method == "GET":
        form.category_ids.data, form.district_ids.data = services.alert_preferences(session, current_user)
    if form.validate_on_submit():
        category_ids, district_ids = form.category_ids.data or [], form.district_ids.data or []
        services.set_alert_preferences(session, current_user, category_ids, district_ids)
        commit()
        flash("Your alert choices have been saved." if category_ids or district_ids else
              "Opportunity alerts are turned off. You will not get emails about new opportunities.", "success")
        return redirect(url_for("tenders.alerts"))
    return form_page("tenders/public/alerts.html", form)
