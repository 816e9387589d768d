"""Building a draft: its details, timetable, evaluation method, lots (a list, and each
lot's form) and documents.

Each page follows the one form flow (``portal.forms.handle_form``); the verbs
in ``tenders.drafting`` refuse a published tender, and each page's template
says so by asking ``policies.can_edit``.
"""

from __future__ import annotations

from flask import current_app, render_template, request
from flask_login import current_user

from portal.auth import roles
from portal.db import get_session
from portal.downloads import attachment
from portal.forms import handle_form
from portal.tenders import checks, drafting
from portal.tenders.choices import category_choices, district_choices
from portal.tenders.forms import (
    DocumentForm,
    EvaluationMethodForm,
    LotForm,
    RemoveForm,
    TenderDetailsForm,
    TimetableForm,
)
from portal.tenders.models import DocumentKind, Lot, TieBreak
from portal.tenders.officer.common import OFFICERS, bid_window_warnings, bp, load_tender, now, part_of, show_url
from portal.tenders.price_rule import price_rule


@bp.route("/<int:tender_id>/details", methods=["GET", "POST"])
@roles(*OFFICERS)
def details(tender_id):
    tender = load_tender(tender_id)
    form = TenderDetailsForm()
    form.category_id.choices = category_choices(get_session(), "Select a category")
    if request.method == "GET":
        form.fill_from(tender)
    return handle_form(
        form,
        lambda: drafting.update_details(get_session(), current_user, tender, **form.details()),
        template="tenders/officer/details.html",
        context={"tender": tender},
        redirect_to=show_url(tender),
        success="The details have been saved.",
    )


@bp.route("/<int:tender_id>/timetable", methods=["GET", "POST"])
@roles(*OFFICERS)
def timetable(tender_id):
    tender = load_tender(tender_id)
    form = TimetableForm()
    if request.method == "GET":
        form.fill_timetable(tender)
    return handle_form(
        form,
        lambda: drafting.set_timetable(get_session(), current_user, tender, form.values, now()),
        template="tenders/officer/timetable.html",
        context={"tender": tender, "warnings": bid_window_warnings(tender)},
        redirect_to=show_url(tender),
        success="The timetable has been saved.",
    )


@bp.route("/<int:tender_id>/evaluation-method", methods=["GET", "POST"])
@roles(*OFFICERS)
def evaluation_method(tender_id):
    tender = load_tender(tender_id)
    form = EvaluationMethodForm()
    if request.method == "GET":
        form.fill_from(tender)
    return handle_form(
        form,
        lambda: drafting.set_evaluation_method(
            get_session(),
            current_user,
            tender,
            form.quality_weight.data,
            form.price_weight.data,
            form.minimum_quality_score.data,
            form.descriptors(),
            TieBreak[form.tie_break.data],
        ),
        template="tenders/officer/evaluation_method.html",
        context={"tender": tender, "price_rule": price_rule(tender)},
        redirect_to=show_url(tender),
        success="The evaluation method has been saved.",
    )


# --- Lots -------------------------------------------------------------------------


@bp.route("/<int:tender_id>/lots")
@roles(*OFFICERS)
def lots(tender_id):
    tender = load_tender(tender_id)
    return render_template(
        "tenders/officer/lots.html", tender=tender, weight_totals=checks.quality_weight_totals(tender)
    )


def _lot_form() -> LotForm:
    form = LotForm()
    form.district_ids.choices = district_choices(get_session())
    return form


@bp.route("/<int:tender_id>/lots/new", methods=["GET", "POST"])
@roles(*OFFICERS)
def add_lot(tender_id):
    tender = load_tender(tender_id)
    form = _lot_form()
    if request.method == "GET":
        form.max_providers.data = 1
        form.pricing_instructions.data = Lot.__table__.c.pricing_instructions.default.arg
    return handle_form(
        form,
        lambda: drafting.add_lot(get_session(), current_user, tender, **form.lot_fields()),
        template="tenders/officer/lot.html",
        context={"tender": tender, "lot": None},
        redirect_to=show_url(tender, "tender_admin.lots"),
        success=lambda lot: f"Lot {lot.number} has been added.",
    )


@bp.route("/<int:tender_id>/lots/<int:lot_id>", methods=["GET", "POST"])
@roles(*OFFICERS)
def edit_lot(tender_id, lot_id):
    tender = load_tender(tender_id)
    lot = part_of(tender.lots, lot_id)
    form = _lot_form()
    if request.method == "GET":
        form.fill_from(lot)
    return handle_form(
        form,
        lambda: drafting.update_lot(get_session(), current_user, tender, lot, **form.lot_fields()),
        template="tenders/officer/lot.html",
        context={"tender": tender, "lot": lot},
        redirect_to=show_url(tender, "tender_admin.lots"),
        success=f"Lot {lot.number} has been saved.",
    )


@bp.route("/<int:tender_id>/lots/<int:lot_id>/remove", methods=["GET", "POST"])
@roles(*OFFICERS)
def remove_lot(tender_id, lot_id):
    tender = load_tender(tender_id)
    lot = part_of(tender.lots, lot_id)
    return handle_form(
        RemoveForm(),
        lambda: drafting.remove_lot(get_session(), current_user, tender, lot),
        template="tenders/officer/remove.html",
        redirect_to=show_url(tender, "tender_admin.lots"),
        success=f"Lot \u201c{lot.title}\u201d has been removed. The other lots have been renumbered.",
        context={
            "tender": tender,
            "thing": f"lot {lot.number}: {lot.title}",
            "back": show_url(tender, "tender_admin.lots"),
            "warning": "Quality questions that applied only to this lot will apply to every lot.",
        },
    )


# --- Documents --------------------------------------------------------------------


@bp.route("/<int:tender_id>/documents", methods=["GET", "POST"])
@roles(*OFFICERS)
def documents(tender_id):
    tender = load_tender(tender_id)
    form = DocumentForm()

    def upload():
        limit = current_app.config["MAX_FILE_BYTES"]
        # One byte over the limit is enough to know the file is too large.
        return drafting.add_document(
            get_session(),
            current_user,
            tender,
            DocumentKind[form.kind.data],
            form.title.data,
            form.file.data.filename,
            form.file.data.read(limit + 1),
            limit,
        )

    return handle_form(
        form,
        upload,
        template="tenders/officer/documents.html",
        context={"tender": tender},
        redirect_to=show_url(tender, "tender_admin.documents"),
        success=lambda document: f"\u201c{document.title}\u201d has been uploaded.",
    )


@bp.route("/<int:tender_id>/documents/<int:document_id>/file")
@roles(*OFFICERS)
def document_file(tender_id, document_id):
    # A draft's documents are not public: kept out of every cache.
    return attachment(part_of(load_tender(tender_id).documents, document_id).file, private=True)


@bp.route("/<int:tender_id>/documents/<int:document_id>/remove", methods=["GET", "POST"])
@roles(*OFFICERS)
def remove_document(tender_id, document_id):
    tender = load_tender(tender_id)
    document = part_of(tender.documents, document_id)
    back = show_url(tender, "tender_admin.documents")
    return handle_form(
        RemoveForm(),
        lambda: drafting.remove_document(get_session(), current_user, tender, document),
        template="tenders/officer/remove.html",
        redirect_to=back,
        success=f"\u201c{document.title}\u201d has been removed.",
        context={"tender": tender, "thing": f"\u201c{document.title}\u201d", "warning": None, "back": back},
    )
