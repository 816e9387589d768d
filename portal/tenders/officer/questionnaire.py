"""Building a draft's questionnaire: sections of pass or fail, or scored quality, questions."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user

from portal.auth import roles
from portal.db import get_session
from portal.forms import choices, handle_form
from portal.tenders import checks, drafting
from portal.tenders.forms import PassFailQuestionForm, QualityQuestionForm, RemoveForm, SectionForm
from portal.tenders.models import QuestionKind, Tender
from portal.tenders.officer.common import OFFICERS, bp, load_tender, part_of, show_url


def _questionnaire_url(tender: Tender) -> str:
    return show_url(tender, "tender_admin.questionnaire")


@bp.route("/<int:tender_id>/questionnaire")
@roles(*OFFICERS)
def questionnaire(tender_id):
    tender = load_tender(tender_id)
    return render_template(
        "tenders/officer/questionnaire.html", tender=tender, weight_totals=checks.quality_weight_totals(tender)
    )


@bp.route("/<int:tender_id>/questionnaire/sections/new", methods=["GET", "POST"])
@roles(*OFFICERS)
def add_section(tender_id):
    tender = load_tender(tender_id)
    form = SectionForm()
    return handle_form(
        form,
        lambda: drafting.add_section(
            get_session(), current_user, tender, form.title.data, QuestionKind[form.kind.data]
        ),
        template="tenders/officer/section.html",
        context={"tender": tender, "section": None},
        redirect_to=_questionnaire_url(tender),
        success=lambda section: f"Section \u201c{section.title}\u201d has been added.",
    )


@bp.route("/<int:tender_id>/questionnaire/sections/<int:section_id>", methods=["GET", "POST"])
@roles(*OFFICERS)
def edit_section(tender_id, section_id):
    tender = load_tender(tender_id)
    section = part_of(tender.sections, section_id)
    form = SectionForm()
    if request.method == "GET":
        form.title.data, form.kind.data = section.title, section.kind.name
    return handle_form(
        form,
        lambda: drafting.update_section(
            get_session(), current_user, tender, section, form.title.data, QuestionKind[form.kind.data]
        ),
        template="tenders/officer/section.html",
        context={"tender": tender, "section": section},
        redirect_to=_questionnaire_url(tender),
        success=lambda _: f"Section \u201c{section.title}\u201d has been saved.",
    )


@bp.route("/<int:tender_id>/questionnaire/sections/<int:section_id>/remove", methods=["GET", "POST"])
@roles(*OFFICERS)
def remove_section(tender_id, section_id):
    tender = load_tender(tender_id)
    section = part_of(tender.sections, section_id)
    count = sum(1 for q in tender.questions if q.section_id == section.id)
    return handle_form(
        RemoveForm(),
        lambda: drafting.remove_section(get_session(), current_user, tender, section),
        template="tenders/officer/remove.html",
        redirect_to=_questionnaire_url(tender),
        success=f"Section \u201c{section.title}\u201d has been removed.",
        context={
            "tender": tender,
            "thing": f"the section \u201c{section.title}\u201d",
            "warning": f"Its {count} question{'s' if count != 1 else ''} will be removed too." if count else None,
            "back": _questionnaire_url(tender),
        },
    )


def _question_form(tender: Tender, kind: QuestionKind):
    if kind is QuestionKind.PASS_FAIL:
        return PassFailQuestionForm()
    form = QualityQuestionForm()
    form.lot_ids.choices = choices((lot.id, f"Lot {lot.number}: {lot.title}") for lot in tender.lots)
    return form


def _with_short_title(form, save):
    """Run the question's save, then give the question the form's short title
    (blank: none, and bidders see the question's first words). The save has
    refused a published tender already; the audit record it wrote names the question."""

    def run():
        question = save()
        question.short_title = (form.short_title.data or "").strip() or None
        get_session().flush()
        return question

    return run


@bp.route("/<int:tender_id>/questionnaire/sections/<int:section_id>/questions/new", methods=["GET", "POST"])
@roles(*OFFICERS)
def add_question(tender_id, section_id):
    tender = load_tender(tender_id)
    section = part_of(tender.sections, section_id)
    form = _question_form(tender, section.kind)
    return handle_form(
        form,
        _with_short_title(
            form,
            lambda: drafting.add_question(get_session(), current_user, tender, section, **form.question_fields()),
        ),
        template="tenders/officer/question.html",
        redirect_to=_questionnaire_url(tender),
        success="The question has been added.",
        context=lambda: {
            "tender": tender,
            "section": section,
            "question": None,
            "weight_totals": checks.quality_weight_totals(tender),
        },
    )


@bp.route("/<int:tender_id>/questionnaire/questions/<int:question_id>", methods=["GET", "POST"])
@roles(*OFFICERS)
def edit_question(tender_id, question_id):
    tender = load_tender(tender_id)
    question = part_of(tender.questions, question_id)
    section = part_of(tender.sections, question.section_id)
    form = _question_form(tender, question.kind)
    if request.method == "GET":
        form.fill_from(question)
    return handle_form(
        form,
        _with_short_title(
            form,
            lambda: (
                drafting.update_question(get_session(), current_user, tender, question, **form.question_fields())
                or question
            ),
        ),
        template="tenders/officer/question.html",
        redirect_to=_questionnaire_url(tender),
        success="The question has been saved.",
        context=lambda: {
            "tender": tender,
            "section": section,
            "question": question,
            "weight_totals": checks.quality_weight_totals(tender),
        },
    )


@bp.route("/<int:tender_id>/questionnaire/questions/<int:question_id>/remove", methods=["GET", "POST"])
@roles(*OFFICERS)
def remove_question(tender_id, question_id):
    tender = load_tender(tender_id)
    question = part_of(tender.questions, question_id)
    return handle_form(
        RemoveForm(),
        lambda: drafting.remove_question(get_session(), current_user, tender, question),
        template="tenders/officer/remove.html",
        redirect_to=_questionnaire_url(tender),
        success="The question has been removed.",
        context={
            "tender": tender,
            "thing": f"the question \u201c{question.short_title or question.text}\u201d",
            "warning": None,
            "back": _questionnaire_url(tender),
        },
    )
