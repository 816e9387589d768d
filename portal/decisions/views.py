"""The executive decisions register: officers record decisions; anyone reads them."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from portal import clock
from portal.auth import public, roles
from portal.db import get_session
from portal.decisions import policies, queries, services
from portal.decisions.call_in import effect_of
from portal.decisions.forms import DecisionDocumentForm, DecisionForm
from portal.decisions.models import Decision, DecisionDocument
from portal.decisions.signals import linked_tenders_requested
from portal.downloads import attachment
from portal.forms import handle_form
from portal.pagination import page_number
from portal.signals import ask
from portal.text import paragraphs

bp = Blueprint("decisions", __name__)


@bp.route("/decisions")
@public
def index():
    decisions, page = queries.register_page(get_session(), page_number(request.args.get("page")))
    return render_template(
        "decisions/index.html",
        decisions=decisions,
        page=page,
        page_url=lambda number: url_for("decisions.index", page=number),
        can_record=policies.can_record(current_user),
    )


def _decision(decision_id: int) -> Decision:
    decision = get_session().get(
        Decision, decision_id, options=[selectinload(Decision.documents).joinedload(DecisionDocument.file)]
    )
    if decision is None:
        abort(404)
    return decision


@bp.route("/decisions/<int:decision_id>")
@public
def show(decision_id):
    decision = _decision(decision_id)
    # The tenders made under a decision belong to the tenders domain, above this one: it answers if it is there.
    tenders = ask(linked_tenders_requested, decision, default=[], session=get_session(), user=current_user)
    return render_template(
        "decisions/show.html",
        decision=decision,
        effect=effect_of(decision, clock.today()),
        tenders=tenders,
        paragraphs=paragraphs,
        can_record=policies.can_record(current_user),
    )


@bp.route("/decisions/<int:decision_id>/documents/<int:document_id>")
@public
def document(decision_id, document_id):
    found = get_session().get(DecisionDocument, document_id, options=[joinedload(DecisionDocument.file)])
    if found is None or found.decision_id != decision_id:
        abort(404)
    return attachment(found.file)


def _decision_data(form: DecisionForm) -> services.DecisionData:
    yes = {"yes": True, "no": False}
    return services.DecisionData(
        number=form.number.data,
        title=form.title.data,
        decision_maker=form.decision_maker.data,
        status=form.status.data,
        is_key_decision=yes.get(form.is_key_decision.data),
        is_subject_to_call_in=yes.get(form.is_subject_to_call_in.data),
        is_urgent=yes.get(form.is_urgent.data),
        is_exempt=yes.get(form.is_exempt.data),
        lead_officer=form.lead_officer.data,
        division=form.division.data,
        reasons=form.reasons.data,
        decision_text=form.decision_text.data,
        decision_date=form.decision_date.data,
        publication_date=form.publication_date.data,
    )


@bp.route("/decisions/new", methods=["GET", "POST"])
@roles(*policies.RECORDING_ROLES)
def new():
    form = DecisionForm()
    return handle_form(
        form,
        lambda: services.record_decision(get_session(), current_user, _decision_data(form)),
        template="decisions/new.html",
        redirect_to=lambda decision: url_for("decisions.add_document", decision_id=decision.id),
        success=lambda decision: f"Decision {decision.number} recorded. Add its accompanying documents, if it has any.",
    )


@bp.route("/decisions/<int:decision_id>/documents/new", methods=["GET", "POST"])
@roles(*policies.RECORDING_ROLES)
def add_document(decision_id):
    decision = _decision(decision_id)
    form = DecisionDocumentForm()

    def add():
        max_bytes = current_app.config["MAX_FILE_BYTES"]
        upload = form.file.data
        return services.add_document(
            get_session(),
            current_user,
            decision,
            form.title.data,
            upload.filename,
            upload.read(max_bytes + 1),
            max_bytes,
        )

    return handle_form(
        form,
        add,
        template="decisions/add_document.html",
        redirect_to=url_for("decisions.show", decision_id=decision.id),
        success=lambda document: f"\u201c{document.title}\u201d added to decision {decision.number}.",
        context={"decision": decision},
    )
