"""Officers read providers' clarification questions, see who asked, and answer them:
write the answer (rewording the question for publication if it identifies the
asker), preview it as it will be read, then send it. The draft can be changed
until it is sent; nothing reaches a provider before."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user

from portal.auth import roles
from portal.db import get_session
from portal.forms import form_page, handle_form
from portal.tenders import clarifications as service
from portal.tenders import queries
from portal.tenders.forms import AnswerForm, SendAnswerForm
from portal.tenders.models import Clarification, Tender
from portal.tenders.officer.common import OFFICERS, bp, load_tender, now


def _clarification(tender: Tender, clarification_id: int) -> Clarification:
    """One of the tender's questions; 404 for another tender's."""
    clarification = get_session().get(Clarification, clarification_id)
    if clarification is None or clarification.tender_id != tender.id:
        abort(404)
    return clarification


def _questions_url(tender: Tender, clarification: Clarification | None = None) -> str:
    anchor = f"question-{clarification.id}" if clarification is not None else None
    return url_for("tender_admin.clarifications", tender_id=tender.id, _anchor=anchor)


def _number(tender: Tender, clarification: Clarification) -> int:
    """The question's number on the officers' list (in the order asked)."""
    asked = queries.all_clarifications(get_session(), tender)
    return next((n for n, c in enumerate(asked, 1) if c.id == clarification.id), 1)


@bp.route("/<int:tender_id>/questions")
@roles(*OFFICERS)
def clarifications(tender_id):
    tender = load_tender(tender_id)
    asked = queries.all_clarifications(get_session(), tender)
    return render_template("tenders/officer/questions.html", tender=tender, asked=asked)


@bp.route("/<int:tender_id>/questions/<int:clarification_id>/answer", methods=["GET", "POST"])
@roles(*OFFICERS)
def answer(tender_id, clarification_id):
    session = get_session()
    tender = load_tender(tender_id)
    clarification = _clarification(tender, clarification_id)
    if request.method == "GET" and clarification.answered_at is not None:
        return redirect(_questions_url(tender, clarification))
    form = AnswerForm()
    if request.method == "GET":
        form.answer.data = clarification.answer
        form.audience.data = {True: "everyone", False: "asker"}.get(clarification.is_answer_for_everyone)
        form.published_question.data = clarification.public_question
    return handle_form(
        form,
        lambda: service.draft_answer(
            session,
            current_user,
            clarification,
            tender,
            form.answer.data or "",
            form.audience.data == "everyone",
            form.published_question.data,
            now(),
        ),
        template="tenders/officer/answer.html",
        context=lambda: {
            "tender": tender,
            "clarification": clarification,
            "number": _number(tender, clarification),
        },
        redirect_to=url_for("tender_admin.preview_answer", tender_id=tender.id, clarification_id=clarification.id),
        success="Your answer has been saved. Check it, then send it.",
    )


def _preview(tender: Tender, clarification: Clarification) -> dict:
    return {
        "tender": tender,
        "clarification": clarification,
        "number": _number(tender, clarification),
        "recipients": len(service.recipients_of(get_session(), clarification, tender)),
        "published_count": len(queries.published_clarifications(get_session(), tender)),
    }


@bp.route("/<int:tender_id>/questions/<int:clarification_id>/preview")
@roles(*OFFICERS)
def preview_answer(tender_id, clarification_id):
    tender = load_tender(tender_id)
    clarification = _clarification(tender, clarification_id)
    if clarification.answered_at is not None:
        return redirect(_questions_url(tender, clarification))
    if not clarification.has_draft_answer:
        return redirect(url_for("tender_admin.answer", tender_id=tender.id, clarification_id=clarification.id))
    form = SendAnswerForm(formdata=None, previewed=service.draft_digest(clarification))
    return form_page("tenders/officer/answer_preview.html", form, **_preview(tender, clarification))


@bp.route("/<int:tender_id>/questions/<int:clarification_id>/send", methods=["POST"])
@roles(*OFFICERS)
def send_answer(tender_id, clarification_id):
    session = get_session()
    tender = load_tender(tender_id)
    clarification = _clarification(tender, clarification_id)
    form = SendAnswerForm()
    organisation = clarification.organisation.name

    def sent_message(published: bool) -> str:
        if published:
            return "The answer has been published to every interested provider, without naming the asker."
        return f"The answer has been sent to {organisation} only."

    def context() -> dict:
        # Shown again after a refusal: the draft as it now stands, with its new fingerprint.
        form.previewed.data = service.draft_digest(clarification)
        return _preview(tender, clarification)

    return handle_form(
        form,
        lambda: service.send_answer(session, current_user, clarification, tender, now(), form.previewed.data or ""),
        template="tenders/officer/answer_preview.html",
        context=context,
        redirect_to=_questions_url(tender, clarification),
        success=sent_message,
    )
