"""Publishing a tender and what surrounds it: the conflicts assessment, the
authorising decision, the agreements it replaces, publishing, amending and
cancelling."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from portal.auth import roles
from portal.db import get_session
from portal.decisions.models import Decision
from portal.filters import format_date, format_datetime
from portal.forms import choices, handle_form
from portal.tenders import authority, checks, lifecycle, policies
from portal.tenders.forms import (
    AgreementsLinkForm,
    AmendmentForm,
    CancelForm,
    ConflictsForm,
    DecisionLinkForm,
    PublishForm,
)
from portal.tenders.models import TenderStatus
from portal.tenders.officer.common import OFFICERS, bid_window_warnings, bp, fix_url, load_tender, now, show_url


@bp.route("/<int:tender_id>/conflicts", methods=["GET", "POST"])
@roles(*OFFICERS)
def conflicts(tender_id):
    tender = load_tender(tender_id)
    form = ConflictsForm()
    if request.method == "GET":
        form.conflicts_assessment.data = tender.conflicts_assessment
    return handle_form(
        form,
        lambda: authority.record_conflicts_assessment(
            get_session(), current_user, tender, form.conflicts_assessment.data, now()
        ),
        template="tenders/officer/conflicts.html",
        context={"tender": tender},
        redirect_to=show_url(tender),
        success="The conflicts of interest assessment has been recorded.",
    )


@bp.route("/<int:tender_id>/decision", methods=["GET", "POST"])
@roles(*OFFICERS)
def decision(tender_id):
    tender = load_tender(tender_id)
    form = DecisionLinkForm()
    decisions = get_session().scalars(select(Decision).order_by(Decision.decision_date.desc(), Decision.number.desc()))
    form.decision_id.choices = choices(
        [
            ("", "Select a decision"),
            *((d.id, f"{d.number}: {d.title} (decided {format_date(d.decision_date)})") for d in decisions),
        ]
    )
    if request.method == "GET":
        form.decision_id.data = tender.decision_id
    return handle_form(
        form,
        lambda: authority.link_decision(get_session(), current_user, tender, form.decision_id.data),
        template="tenders/officer/decision.html",
        context={"tender": tender},
        redirect_to=show_url(tender),
        success="The authorising decision has been linked.",
    )


@bp.route("/<int:tender_id>/agreements", methods=["GET", "POST"])
@roles(*OFFICERS)
def agreements(tender_id):
    session = get_session()
    tender = load_tender(tender_id)
    candidates = authority.replaceable_agreements(session, tender)
    form = AgreementsLinkForm()
    form.agreement_ids.choices = choices(
        (a.id, f"{a.reference}: {a.service_name}, {a.organisation.name}, ends {format_date(a.end_date)}")
        for a in candidates
    )

    def linked_message(linked) -> str:
        told = " Their providers have been told." if tender.status is TenderStatus.PUBLISHED else ""
        return f"{len(linked)} agreement{'s' if len(linked) != 1 else ''} linked.{told}"

    return handle_form(
        form,
        lambda: authority.link_replaced_agreements(session, current_user, tender, form.agreement_ids.data, now()),
        template="tenders/officer/agreements.html",
        redirect_to=show_url(tender),
        success=linked_message,
        context=lambda: {
            "tender": tender,
            "candidates": candidates,
            "replaced": authority.replaced_agreements(session, tender),
        },
    )


def _check_page(tender) -> dict:
    """What the check page shows: the problems left (for a draft), the timetable's
    warnings, and every part of the tender with its change link."""
    problems = checks.publication_problems(tender, now()) if policies.can_publish(current_user, tender) else []
    return {
        "tender": tender,
        "problems": problems,
        "fix_url": fix_url,
        "warnings": bid_window_warnings(tender),
        "weight_totals": checks.quality_weight_totals(tender),
        "replaced": authority.replaced_agreements(get_session(), tender),
        "bid_counts": None,
    }


@bp.route("/<int:tender_id>/check")
@roles(*OFFICERS)
def check(tender_id):
    tender = load_tender(tender_id)
    return render_template("tenders/officer/check.html", form=PublishForm(formdata=None), **_check_page(tender))


@bp.route("/<int:tender_id>/publish", methods=["GET", "POST"])
@roles(*OFFICERS)
def publish(tender_id):
    if request.method == "GET":  # the publish button lives on the check page
        return redirect(url_for("tender_admin.check", tender_id=tender_id))
    tender = load_tender(tender_id)
    return handle_form(
        PublishForm(),
        lambda: lifecycle.publish(get_session(), current_user, tender, now()),
        template="tenders/officer/check.html",
        context=lambda: _check_page(tender),
        redirect_to=show_url(tender),
        success=lambda _: (
            f"{tender.reference} has been published. It is open for bids until "
            f"{format_datetime(tender.submission_deadline)}."
        ),
    )


@bp.route("/<int:tender_id>/amend", methods=["GET", "POST"])
@roles(*OFFICERS)
def amend(tender_id):
    tender = load_tender(tender_id)
    form = AmendmentForm()
    if request.method == "GET":
        form.description.data = tender.description
        form.fill_timetable(tender)
    return handle_form(
        form,
        lambda: lifecycle.amend(get_session(), current_user, tender, form.reason.data, form.changes(), now()),
        template="tenders/officer/amend.html",
        context={"tender": tender},
        redirect_to=show_url(tender),
        success=lambda amendment: (
            f"Amendment {amendment.number} has been published. Every provider that registered interest has been told."
        ),
    )


@bp.route("/<int:tender_id>/cancel", methods=["GET", "POST"])
@roles(*OFFICERS)
def cancel(tender_id):
    tender = load_tender(tender_id)
    form = CancelForm()
    return handle_form(
        form,
        lambda: lifecycle.cancel(get_session(), current_user, tender, form.reason.data, now()),
        template="tenders/officer/cancel.html",
        context={"tender": tender},
        redirect_to=show_url(tender),
        success=f"{tender.reference} has been cancelled.",
    )
