"""The executive decisions register: officers record decisions; anyone reads them."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from portal.accounts.models import Role
from portal.accounts.views import form_page
from portal.auth import public, roles
from portal.db import commit, get_session
from portal.decisions import services
from portal.decisions.forms import DecisionForm, DecisionDocumentForm
from portal.decisions.models import Decision, DecisionDocument
from portal.downloads import attachment
from portal.errors import RuleViolation
from portal.tenders.models import Tender
from portal.tenders.public_policies import can_preview_drafts
from portal.tenders.queries import PUBLIC_STATUSES
from portal.text import paragraphs

bp = Blueprint("decisions", __name__)

RECORDING_ROLES = (Role.OFFICER, Role.ADMIN)
PAGE_SIZE = 25


@bp.route("/decisions")
@public
def index():
    session = get_session()
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1
    total = session.scalar(select(func.count(Decision.id)))
    decisions = session.scalars(select(Decision).order_by(Decision.decision_date.desc(), Decision.id.desc())
                                .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    pages = max(1, -(-total // PAGE_SIZE))
    return render_template("decisions/index.html", decisions=decisions, total=total, page=page, pages=pages,
                           can_record=current_user.is_authenticated and current_user.role in RECORDING_ROLES)


def _decision(decision_id: int) -> Decision:
    decision = get_session().get(Decision, decision_id, options=[
        selectinload(Decision.documents).joinedload(DecisionDocument.file)])
    if decision is None:
        abort(404)
    return decision


@bp.route("/decisions/<int:decision_id>")
@public
def show(decision_id):
    decision = _decision(decision_id)
    query = select(Tender).where(Tender.decision_id == decision.id)
    if not can_preview_drafts(current_user):
        query = query.where(Tender.status.in_(PUBLIC_STATUSES))
    tenders = get_session().scalars(query.order_by(Tender.reference)).all()
    return render_template("decisions/show.html", decision=decision, tenders=tenders, paragraphs=paragraphs,
                           can_record=current_user.is_authenticated and current_user.role in RECORDING_ROLES)


@bp.route("/decisions/<int:decision_id>/documents/<int:document_id>")
@public
def document(decision_id, document_id):
    found = get_session().get(DecisionDocument, document_id, options=[joinedload(DecisionDocument.file)])
    if found is None or found.decision_id != decision_id:
        abort(404)
    return attachment(found.file)


@bp.route("/decisions/new", methods=["GET", "POST"])
@roles(*RECORDING_ROLES)
def new():
    form = DecisionForm()
    if form.validate_on_submit():
        yes = {"yes": True, "no": False}
        data = services.DecisionData(
            number=form.number.data, title=form.title.data, decision_maker=form.decision_maker.data,
            status=form.status.data, is_key_decision=yes.get(form.is_key_decision.data),
            is_subject_to_call_in=yes.get(form.is_subject_to_call_in.data), is_urgent=yes.get(form.is_urgent.data),
            is_exempt=yes.get(form.is_exempt.data), lead_officer=form.lead_officer.data,
            division=form.division.data, reasons=form.reasons.data, decision_text=form.decision_text.data,
            decision_date=form.decision_date.data, publication_date=form.publication_date.data)
        problems = services.decision_problems(get_session(), data)
        if problems:
            for violation in problems:
                form.add_violation(violation)
        else:
            decision = services.record_decision(get_session(), current_user, data)
            commit()
            flash(f"Decision {decision.number} recorded. Add its accompanying documents, if it has any.", "success")
            return redirect(url_for("decisions.add_document", decision_id=decision.id))
    return form_page("decisions/new.html", form)


@bp.route("/decisions/<int:decision_id>/documents/new", methods=["GET", "POST"])
@roles(*RECORDING_ROLES)
def add_document(decision_id):
    session = get_session()
    decision = _decision(decision_id)
    form = DecisionDocumentForm()
    if form.validate_on_submit():
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            form.file.errors = ["Select a file"]
        else:
            max_bytes = current_app.config["MAX_FILE_BYTES"]
            try:
                services.add_document(session, current_user, decision, form.title.data, upload.filename,
                                      upload.read(max_bytes + 1), max_bytes)
            except RuleViolation as violation:
                form.add_violation(violation)
            else:
                commit()
                flash(f"\u201c{form.title.data.strip()}\u201d added to decision {decision.number}.", "success")
                return redirect(url_for("decisions.show", decision_id=decision.id))
    return form_page("decisions/add_document.html", form, decision=decision)
