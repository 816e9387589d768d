"""Officers read providers' clarification questions, see who asked, and answer them."""

from __future__ import annotations

from flask import abort, render_template
from flask_login import current_user

from portal.auth import roles
from portal.db import get_session
from portal.forms import handle_form
from portal.tenders import clarifications as service
from portal.tenders import queries
from portal.tenders.forms import AnswerForm
from portal.tenders.models import Clarification, Tender
from portal.tenders.officer.common import OFFICERS, bp, load_tender, now, show_url


def _answer_form(clarification: Clarification, submitted: bool = False) -> AnswerForm:
    """Each question's answer form; ids carry the question's id so that the page's ids are unique."""
    form = AnswerForm() if submitted else AnswerForm(formdata=None)
    form.answer.id = f"answer-{clarification.id}"
    form.audience.id = f"audience-{clarification.id}"
    form.submit.id = f"submit-{clarification.id}"
    return form


def _page(tender: Tender, failed: tuple[int, AnswerForm] | None = None) -> dict:
    """What the questions page shows: every question, and a form for each unanswered
    one (``failed``: the question whose answer was refused, with its form)."""
    asked = queries.all_clarifications(get_session(), tender)
    forms = {c.id: _answer_form(c) for c in asked if c.answered_at is None}
    if failed is not None:
        forms[failed[0]] = failed[1]
    return {"tender": tender, "asked": asked, "forms": forms}


@bp.route("/<int:tender_id>/questions")
@roles(*OFFICERS)
def clarifications(tender_id):
    return render_template("tenders/officer/questions.html", form=None, **_page(load_tender(tender_id)))


@bp.route("/<int:tender_id>/questions/<int:clarification_id>/answer", methods=["POST"])
@roles(*OFFICERS)
def answer(tender_id, clarification_id):
    session = get_session()
    tender = load_tender(tender_id)
    clarification = session.get(Clarification, clarification_id)
    if clarification is None or clarification.tender_id != tender.id:
        abort(404)
    form = _answer_form(clarification, submitted=True)

    def reply() -> bool:
        publish_to_all = form.audience.data == "everyone"
        service.answer(session, current_user, clarification, tender, form.answer.data, publish_to_all, now())
        return publish_to_all

    return handle_form(
        form,
        reply,
        template="tenders/officer/questions.html",
        context=lambda: _page(tender, failed=(clarification.id, form)),
        redirect_to=show_url(tender, "tender_admin.clarifications"),
        success=lambda published: (
            "The answer has been published to every interested provider, without naming the asker."
            if published
            else f"The answer has been sent to {clarification.organisation.name} only."
        ),
    )
