"""Officers build, publish, amend, close and cancel tenders, and answer questions."""

from __future__ import annotations

import io

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from portal import clock, files
from portal.accounts.models import Role
from portal.accounts.views import form_page
from portal.agreements.models import ServiceCategory
from portal.auth import roles
from portal.db import commit, get_session
from portal.decisions.models import Decision
from portal.errors import RuleViolation
from portal.filters import format_datetime
from portal.forms import choices
from portal.providers.models import District
from portal.bids import services as bid_services
from portal.tenders import drafting, queries, services
from portal.tenders.forms import (AgreementsLinkForm, AmendmentForm, AnswerForm, CancelForm, ConflictsForm,
                                  DecisionLinkForm, DocumentForm, EvaluationMethodForm, LotForm, PassFailQuestionForm,
                                  PublishForm, QualityQuestionForm, RemoveForm, SectionForm, TenderDetailsForm,
                                  TimetableForm)
from portal.tenders.models import (Clarification, DocumentKind, Lot, Question, QuestionKind, Tender,
                                   TenderDocument, TenderStatus)

bp = Blueprint("tender_admin", __name__, url_prefix="/tenders")

OFFICERS = (Role.OFFICER, Role.ADMIN)
CANCELLABLE = {status for status, targets in services.TRANSITIONS.items() if TenderStatus.CANCELLED in targets}

# Where an officer fixes each problem on the publication checklist.
FIX_ENDPOINTS = {
    "lots": "tender_admin.add_lot", "questions": "tender_admin.questionnaire",
    "quality_weight": "tender_admin.evaluation_method", "score_descriptors": "tender_admin.evaluation_method",
    "decision_id": "tender_admin.decision", "conflicts_assessment": "tender_admin.conflicts",
}


def _fix_url(tender: Tender, field: str | None) -> str:
    endpoint = FIX_ENDPOINTS.get(field or "", "tender_admin.timetable" if field in drafting.TIMETABLE_FIELDS
                                 else "tender_admin.show")
    return url_for(endpoint, tender_id=tender.id)


def _tender(tender_id: int) -> Tender:
    """The tender with everything its pages show, loaded in a fixed number of queries."""
    tender = get_session().scalars(select(Tender).where(Tender.id == tender_id).options(
        joinedload(Tender.category), joinedload(Tender.decision),
        selectinload(Tender.lots).options(selectinload(Lot.districts), selectinload(Lot.delivery_mode_rows)),
        selectinload(Tender.documents).joinedload(TenderDocument.file), selectinload(Tender.amendments),
        selectinload(Tender.sections),
        selectinload(Tender.questions).options(selectinload(Question.lots)),
    )).unique().one_or_none()
    if tender is None:
        abort(404)
    return tender


def _part(items, item_id: int):
    """One of the tender's lots, sections, questions or documents; 404 for another tender's."""
    found = next((item for item in items if item.id == item_id), None)
    if found is None:
        abort(404)
    return found


def _saved(message: str, tender: Tender, endpoint: str = "tender_admin.show", **args):
    commit()
    flash(message, "success")
    return redirect(url_for(endpoint, tender_id=tender.id, **args))


def _category_choices(form) -> None:
    categories = get_session().scalars(select(ServiceCategory).order_by(ServiceCategory.name))
    form.category_id.choices = choices([("", "Select a category"), *((c.id, c.name) for c in categories)])


# --- The list, a new draft and its overview -----------------------------------------

@bp.route("")
@roles(*OFFICERS)
def index():
    session = get_session()
    if services.close_due(session, clock.now()):
        commit()
    return render_template("tenders/officer/index.html", tenders=queries.officer_tenders(session))


@bp.route("/new", methods=["GET", "POST"])
@roles(*OFFICERS)
def create():
    form = TenderDetailsForm()
    _category_choices(form)
    if request.method == "GET":
        form.procedure.data, form.is_light_touch.data, form.is_framework.data = "OPEN", "yes", "yes"
    if form.validate_on_submit():
        try:
            tender = drafting.create_tender(get_session(), current_user, **form.details())
        except RuleViolation as violation:
            form.add_violation(violation)
        else:
            return _saved(f"Draft {tender.reference} created. Add its timetable, lots and questions, "
                          "then publish it.", tender)
    return form_page("tenders/officer/details.html", form, tender=None)


@bp.route("/<int:tender_id>")
@roles(*OFFICERS)
def show(tender_id):
    session = get_session()
    tender = _tender(tender_id)
    now = clock.now()
    if services.close_if_due(session, tender, now):
        commit()
    problems = services.publication_problems(tender, now) if tender.status is TenderStatus.DRAFT else []
    unanswered = session.scalar(select(Clarification.id).where(
        Clarification.tender_id == tender.id, Clarification.answered_at.is_(None)).limit(1)) is not None
    # Counts only: the seal keeps everything else about bids out of this page.
    bid_counts = None if tender.status is TenderStatus.DRAFT else bid_services.counts_per_lot(session, tender)
    return render_template("tenders/officer/show.html", tender=tender, problems=problems, fix_url=_fix_url,
                           weight_totals=services.quality_weight_totals(tender),
                           replaced=drafting.replaced_agreements(session, tender), unanswered=unanswered,
                           cancellable=tender.status in CANCELLABLE, bid_counts=bid_counts)


@bp.route("/<int:tender_id>/details", methods=["GET", "POST"])
@roles(*OFFICERS)
def details(tender_id):
    tender = _tender(tender_id)
    form = TenderDetailsForm()
    _category_choices(form)
    if request.method == "GET":
        form.fill_from(tender)
    if form.validate_on_submit():
        try:
            drafting.update_details(get_session(), current_user, tender, **form.details())
        except RuleViolation as violation:
            form.add_violation(violation)
        else:
            return _saved("The details have been saved.", tender)
    return form_page("tenders/officer/details.html", form, tender=tender)


# --- Timetable and evaluation method ------------------------------------------------

@bp.route("/<int:tender_id>/timetable", methods=["GET", "POST"])
@roles(*OFFICERS)
def timetable(tender_id):
    tender = _tender(tender_id)
    form = TimetableForm()
    if request.method == "GET":
        form.fill_timetable(tender)
    if form.is_submitted():
        valid = form.validate()
        values = form.timetable()  # also marks a date given without its time, or the reverse
        if valid and not form.has_errors():
            try:
                services.require_draft(tender)
                problems = drafting.check_timetable(tender, values, clock.now())
                for problem in problems:
                    form.add_violation(problem)
                if not problems:
                    drafting.set_timetable(get_session(), current_user, tender, values, clock.now())
                    return _saved("The timetable has been saved.", tender)
            except RuleViolation as violation:
                form.add_violation(violation)
    return form_page("tenders/officer/timetable.html", form, tender=tender)


@bp.route("/<int:tender_id>/evaluation-method", methods=["GET", "POST"])
@roles(*OFFICERS)
def evaluation_method(tender_id):
    tender = _tender(tender_id)
    form = EvaluationMethodForm()
    if request.method == "GET":
        form.fill_from(tender)
    if form.validate_on_submit():
        try:
            drafting.set_evaluation_method(get_session(), current_user, tender, form.quality_weight.data,
                                           form.price_weight.data, form.minimum_quality_score.data,
                                           form.descriptors())
        except RuleViolation as violation:
            form.add_violation(violation)
        else:
            return _saved("The evaluation method has been saved.", tender)
    return form_page("tenders/officer/evaluation_method.html", form, tender=tender)


# --- Lots -------------------------------------------------------------------------

def _lot_form() -> LotForm:
    form = LotForm()
    form.district_ids.choices = choices(
        (d.id, d.name) for d in get_session().scalars(select(District).order_by(District.name)))
    return form


@bp.route("/<int:tender_id>/lots/new", methods=["GET", "POST"])
@roles(*OFFICERS)
def add_lot(tender_id):
    tender = _tender(tender_id)
    form = _lot_form()
    if request.method == "GET":
        form.max_providers.data = 1
        form.pricing_instructions.data = Lot.__table__.c.pricing_instructions.default.arg
    if form.validate_on_submit():
        try:
            lot = drafting.add_lot(get_session(), current_user, tender, **form.lot_fields())
        except RuleViolation as violation:
            form.add_violation(violation)
        else:
            return _saved(f"Lot {lot.number} has been added.", tender)
    return form_page("tenders/officer/lot.html", form, tender=tender, lot=None)


@bp.route("/<int:tender_id>/lots/<int:lot_id>", methods=["GET", "POST"])
@roles(*OFFICERS)
def edit_lot(tender_id, lot_id):
    tender = _tender(tender_id)
    lot = _part(tender.lots, lot_id)
    form = _lot_form()
    if request.method == "GET":
        form.fill_from(lot)
    if form.validate_on_submit():
        try:
            drafting.update_lot(get_session(), current_user, tender, lot, **form.lot_fields())
        except RuleViolation as violation:
            form.add_violation(violation)
        else:
            return _saved(f"Lot {lot.number} has been saved.", tender)
    return form_page("tenders/officer/lot.html", form, tender=tender, lot=lot)


@bp.route("/<int:tender_id>/lots/<int:lot_id>/remove", methods=["GET", "POST"])
@roles(*OFFICERS)
def remove_lot(tender_id, lot_id):
    tender = _tender(tender_id)
    lot = _part(tender.lots, lot_id)
    form = RemoveForm()
    if form.validate_on_submit():
        try:
            drafting.remove_lot(get_session(), current_user, tender, lot)
        except RuleViolation as violation:
            form.add_violation(violation)
        else:
            return _saved(f"Lot \u201c{lot.title}\u201d has been removed. The other lots have been renumbered.", tender)
    return form_page("tenders/officer/remove.html", form, tender=tender, thing=f"lot {lot.number}: {lot.title}",
                     warning="Quality questions that applied only to this lot will apply to every lot.",
                     back=url_for("tender_admin.show", tender_id=tender.id))


# --- Questionnaire ---------------------------------------------------------------

@bp.route("/<int:tender_id>/questionnaire")
@roles(*OFFICERS)
def questionnaire(tender_id):
    tender = _tender(tender_id)
    return render_template("tenders/officer/questionnaire.html", tender=tender,
                           weight_totals=services.quality_weight_totals(tender))


@bp.route("/<int:tender_id>/questionnaire/sections/new", methods=["GET", "POST"])
@roles(*OFFICERS)
def add_section(tender_id):
    tender = _tender(tender_id)
    form = SectionForm()
    if form.validate_on_submit():
        try:
            section = drafting.add_section(get_session(), current_user, tender, form.title.data,
                                           QuestionKind[form.kind.data])
        except RuleViolation as violation:
            form.add_violation(violation)
        else:
            return _saved(f"Section \u201c{section.title}\u201d has been added.", tender, "tender_admin.questionnaire")
    return form_page("tenders/officer/section.html", form, tender=tender, section=None)


@bp.route("/<int:tender_id>/questionnaire/sections/<int:section_id>", methods=["GET", "POST"])
@roles(*OFFICERS)
def edit_section(tender_id, section_id):
    tender = _tender(tender_id)
    section = _part(tender.sections, section_id)
    form = SectionForm()
    if request.method == "GET":
        form.title.data, form.kind.data = section.title, section.kind.name
    if form.validate_on_submit():
        try:
            drafting.update_section(get_session(), current_user, tender, section, form.title.data,
                                    QuestionKind[form.kind.data])
        except RuleViolation as violation:
            form.add_violation(violation)
        else:
            return _saved(f"Section \u201c{section.title}\u201d has been saved.", tender, "tender_admin.questionnaire")
    return form_page("tenders/officer/section.html", form, tender=tender, section=section)


@bp.route("/<int:tender_id>/questionnaire/sections/<int:section_id>/remove", methods=["GET", "POST"])
@roles(*OFFICERS)
def remove_section(tender_id, section_id):
    tender = _tender(tender_id)
    section = _part(tender.sections, section_id)
    form = RemoveForm()
    if form.validate_on_submit():
        try:
            drafting.remove_section(get_session(), current_user, tender, section)
        except RuleViolation as violation:
            form.add_violation(violation)
        else:
            return _saved(f"Section \u201c{section.title}\u201d has been removed.", tender,
                          "tender_admin.questionnaire")
    count = sum(1 for q in tender.questions if q.section_id == section.id)
    return form_page("tenders/officer/remove.html", form, tender=tender, thing=f"the section \u201c{section.title}\u201d",
                     warning=f"Its {count} question{'s' if count != 1 else ''} will be removed too." if count else None,
                     back=url_for("tender_admin.questionnaire", tender_id=tender.id))


def _question_form(tender: Tender, kind: QuestionKind):
    if kind is QuestionKind.PASS_FAIL:
        return PassFailQuestionForm()
    form = QualityQuestionForm()
    form.lot_ids.choices = choices((lot.id, f"Lot {lot.number}: {lot.title}") for lot in tender.lots)
    return form


@bp.route("/<int:tender_id>/questionnaire/sections/<int:section_id>/questions/new", methods=["GET", "POST"])
@roles(*OFFICERS)
def add_question(tender_id, section_id):
    tender = _tender(tender_id)
    section = _part(tender.sections, section_id)
    form = _question_form(tender, section.kind)
    if form.validate_on_submit():
        try:
            drafting.add_question(get_session(), current_user, tender, section, **form.question_fields())
        except RuleViolation as violation:
            form.add_violation(violation)
        else:
            return _saved("The question has been added.", tender, "tender_admin.questionnaire")
    return form_page("tenders/officer/question.html", form, tender=tender, section=section, question=None,
                     weight_totals=services.quality_weight_totals(tender))


@bp.route("/<int:tender_id>/questionnaire/questions/<int:question_id>", methods=["GET", "POST"])
@roles(*OFFICERS)
def edit_question(tender_id, question_id):
    tender = _tender(tender_id)
    question = _part(tender.questions, question_id)
    section = _part(tender.sections, question.section_id)
    form = _question_form(tender, question.kind)
    if request.method == "GET":
        form.fill_from(question)
    if form.validate_on_submit():
        try:
            drafting.update_question(get_session(), current_user, tender, question, **form.question_fields())
        except RuleViolation as violation:
            form.add_violation(violation)
        else:
            return _saved("The question has been saved.", tender, "tender_admin.questionnaire")
    return form_page("tenders/officer/question.html", form, tender=tender, section=section, question=question,
                     weight_totals=services.quality_weight_totals(tender))


@bp.route("/<int:tender_id>/questionnaire/questions/<int:question_id>/remove", methods=["GET", "POST"])
@roles(*OFFICERS)
def remove_question(tender_id, question_id):
    tender = _tender(tender_id)
    question = _part(tender.questions, question_id)
    form = RemoveForm()
    if form.validate_on_submit():
        try:
            drafting.remove_question(get_session(), current_user, tender, question)
        except RuleViolation as violation:
            form.add_violation(violation)
        else:
            return _saved("The question has been removed.", tender, "tender_admin.questionnaire")
    return form_page("tenders/officer/remove.html", form, tender=tender,
                     thing=f"the question \u201c{question.text[:120]}\u201d", warning=None,
                     back=url_for("tender_admin.questionnaire", tender_id=tender.id))


# --- Documents --------------------------------------------------------------------

@bp.route("/<int:tender_id>/documents", methods=["GET", "POST"])
@roles(*OFFICERS)
def documents(tender_id):
    tender = _tender(tender_id)
    form = DocumentForm()
    if form.validate_on_submit():
        upload = form.file.data
        if upload is None or not getattr(upload, "filename", ""):
            form.file.errors = ["Select a file"]
        else:
            limit = current_app.config["MAX_FILE_BYTES"]
            try:
                document = drafting.add_document(get_session(), current_user, tender, DocumentKind[form.kind.data],
                                                 form.title.data, upload.filename, upload.read(limit + 1), limit)
            except RuleViolation as violation:
                form.add_violation(violation)
            else:
                return _saved(f"\u201c{document.title}\u201d has been uploaded.", tender, "tender_admin.documents")
    return form_page("tenders/officer/documents.html", form, tender=tender)


@bp.route("/<int:tender_id>/documents/<int:document_id>/file")
@roles(*OFFICERS)
def document_file(tender_id, document_id):
    document = _part(_tender(tender_id).documents, document_id)
    return send_file(io.BytesIO(files.read(document.file)), mimetype=document.file.content_type,
                     as_attachment=True, download_name=document.file.filename)


@bp.route("/<int:tender_id>/documents/<int:document_id>/remove", methods=["GET", "POST"])
@roles(*OFFICERS)
def remove_document(tender_id, document_id):
    tender = _tender(tender_id)
    document = _part(tender.documents, document_id)
    form = RemoveForm()
    if form.validate_on_submit():
        try:
            drafting.remove_document(get_session(), current_user, tender, document)
        except RuleViolation as violation:
            form.add_violation(violation)
        else:
            return _saved(f"\u201c{document.title}\u201d has been removed.", tender, "tender_admin.documents")
    return form_page("tenders/officer/remove.html", form, tender=tender, thing=f"\u201c{document.title}\u201d",
                     warning=None, back=url_for("tender_admin.documents", tender_id=tender.id))


# --- Conflicts, decision, replaced agreements ----------------------------------------

@bp.route("/<int:tender_id>/conflicts", methods=["GET", "POST"])
@roles(*OFFICERS)
def conflicts(tender_id):
    tender = _tender(tender_id)
    form = ConflictsForm()
    if request.method == "GET":
        form.conflicts_assessment.data = tender.conflicts_assessment
    if form.validate_on_submit():
        try:
            if tender.status in (TenderStatus.AWARDED, TenderStatus.CANCELLED):
                raise RuleViolation(None, f"This tender is {tender.status.value.lower()}: its assessment is final")
            services.record_conflicts_assessment(get_session(), current_user, tender, form.conflicts_assessment.data,
                                                 clock.now())
        except RuleViolation as violation:
            form.add_violation(violation)
        else:
            return _saved("The conflicts of interest assessment has been recorded.", tender)
    return form_page("tenders/officer/conflicts.html", form, tender=tender)


@bp.route("/<int:tender_id>/decision", methods=["GET", "POST"])
@roles(*OFFICERS)
def decision(tender_id):
    tender = _tender(tender_id)
    form = DecisionLinkForm()
    decisions = get_session().scalars(select(Decision).order_by(Decision.decision_date.desc(), Decision.number.desc()))
    form.decision_id.choices = choices([("", "Select a decision"), *(
        (d.id, f"{d.number}: {d.title} (decided {d.decision_date.day} {d.decision_date:%B %Y})") for d in decisions)])
    if request.method == "GET":
        form.decision_id.data = tender.decision_id
    if form.validate_on_submit():
        try:
            drafting.link_decision(get_session(), current_user, tender, form.decision_id.data)
        except RuleViolation as violation:
            form.add_violation(violation)
        else:
            return _saved("The authorising decision has been linked.", tender)
    return form_page("tenders/officer/decision.html", form, tender=tender)


@bp.route("/<int:tender_id>/agreements", methods=["GET", "POST"])
@roles(*OFFICERS)
def agreements(tender_id):
    session = get_session()
    tender = _tender(tender_id)
    candidates = drafting.replaceable_agreements(session, tender)
    form = AgreementsLinkForm()
    form.agreement_ids.choices = choices(
        (a.id, f"{a.reference}: {a.service_name}, {a.organisation.name}, ends {a.end_date.day} {a.end_date:%B %Y}")
        for a in candidates)
    if form.validate_on_submit():
        try:
            linked = drafting.link_replaced_agreements(session, current_user, tender, form.agreement_ids.data)
        except RuleViolation as violation:
            form.add_violation(violation)
        else:
            told = " Their providers have been told." if tender.status is TenderStatus.PUBLISHED else ""
            return _saved(f"{len(linked)} agreement{'s' if len(linked) != 1 else ''} linked.{told}", tender)
    return form_page("tenders/officer/agreements.html", form, tender=tender, candidates=candidates,
                     replaced=drafting.replaced_agreements(session, tender))


# --- Publishing, amending, cancelling --------------------------------------------------

@bp.route("/<int:tender_id>/publish", methods=["GET", "POST"])
@roles(*OFFICERS)
def publish(tender_id):
    tender = _tender(tender_id)
    form = PublishForm()
    if form.validate_on_submit():
        try:
            services.publish(get_session(), current_user, tender, clock.now())
        except RuleViolation as violation:
            problems = services.publication_problems(tender, clock.now()) if tender.status is TenderStatus.DRAFT else []
            form.form_errors.extend(p.message for p in problems or [violation])
        else:
            return _saved(f"{tender.reference} has been published. It is open for bids until "
                          f"{format_datetime(tender.submission_deadline)}.", tender)
    problems = services.publication_problems(tender, clock.now()) if tender.status is TenderStatus.DRAFT else []
    return form_page("tenders/officer/publish.html", form, tender=tender, problems=problems, fix_url=_fix_url)


@bp.route("/<int:tender_id>/amend", methods=["GET", "POST"])
@roles(*OFFICERS)
def amend(tender_id):
    tender = _tender(tender_id)
    form = AmendmentForm()
    if request.method == "GET":
        form.description.data = tender.description
        form.fill_timetable(tender)
    if form.is_submitted():
        valid = form.validate()
        changes = form.changes()
        if valid and not form.has_errors():
            try:
                amendment = services.amend(get_session(), current_user, tender, form.reason.data, changes,
                                           clock.now())
            except RuleViolation as violation:
                form.add_violation(violation)
            else:
                return _saved(f"Amendment {amendment.number} has been published. Every provider that registered "
                              "interest has been told.", tender)
    return form_page("tenders/officer/amend.html", form, tender=tender)


@bp.route("/<int:tender_id>/cancel", methods=["GET", "POST"])
@roles(*OFFICERS)
def cancel(tender_id):
    tender = _tender(tender_id)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            services.cancel(get_session(), current_user, tender, form.reason.data, clock.now())
        except RuleViolation as violation:
            form.add_violation(violation)
        else:
            return _saved(f"{tender.reference} has been cancelled.", tender)
    return form_page("tenders/officer/cancel.html", form, tender=tender, cancellable=tender.status in CANCELLABLE)


# --- Clarification questions ------------------------------------------------------

def _answer_form(clarification: Clarification, submitted: bool = False) -> AnswerForm:
    """Each question's answer form; ids carry the question's id so that the page's ids are unique."""
    form = AnswerForm() if submitted else AnswerForm(formdata=None)
    form.answer.id = f"answer-{clarification.id}"
    form.audience.id = f"audience-{clarification.id}"
    form.submit.id = f"submit-{clarification.id}"
    return form


@bp.route("/<int:tender_id>/questions")
@roles(*OFFICERS)
def clarifications(tender_id, failed: tuple[int, AnswerForm] | None = None):
    tender = _tender(tender_id)
    asked = get_session().scalars(select(Clarification).where(Clarification.tender_id == tender.id)
                                  .options(joinedload(Clarification.organisation))
                                  .order_by(Clarification.asked_at, Clarification.id)).all()
    forms = {c.id: _answer_form(c) for c in asked if c.answered_at is None}
    form = None
    if failed is not None:
        forms[failed[0]] = form = failed[1]
    context = {"tender": tender, "asked": asked, "forms": forms, "form": form}
    if form is not None:
        return form_page("tenders/officer/questions.html", **context)
    return render_template("tenders/officer/questions.html", **context)


@bp.route("/<int:tender_id>/questions/<int:clarification_id>/answer", methods=["POST"])
@roles(*OFFICERS)
def answer(tender_id, clarification_id):
    session = get_session()
    tender = _tender(tender_id)
    clarification = session.get(Clarification, clarification_id)
    if clarification is None or clarification.tender_id != tender.id:
        abort(404)
    form = _answer_form(clarification, submitted=True)
    if form.validate_on_submit():
        publish_to_all = form.audience.data == "everyone"
        try:
            services.answer(session, current_user, clarification, tender, form.answer.data, publish_to_all,
                            clock.now())
        except RuleViolation as violation:
            form.add_violation(violation)
        else:
            return _saved("The answer has been published to every interested provider, without naming the asker."
                          if publish_to_all else f"The answer has been sent to {clarification.organisation.name} only.",
                          tender, "tender_admin.clarifications")
    return clarifications(tender_id, failed=(clarification.id, form))
