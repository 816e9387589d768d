"""The officers' list of tenders, a new draft, and a tender's overview.

Pages never write: a tender past its deadline is shown closed for bids
(``Tender.status_at``) and the worker records the closing.
"""

from __future__ import annotations

from flask import render_template, request, url_for
from flask_login import current_user

from portal.auth import roles
from portal.db import get_session
from portal.forms import handle_form
from portal.pagination import page_number
from portal.signals import ask
from portal.tenders import authority, checks, drafting, policies, queries
from portal.tenders.choices import category_choices
from portal.tenders.forms import TenderDetailsForm
from portal.tenders.officer.common import OFFICERS, bid_window_warnings, bp, load_tender, now, show_url, task_url
from portal.tenders.signals import bid_counts_requested


@bp.route("")
@roles(*OFFICERS)
def index():
    """One page of the tenders, newest first, filtered by the status they show (an
    unknown status shows them all)."""
    status_key = request.args.get("status", "")
    if status_key not in queries.OFFICER_STATUS_FILTERS:
        status_key = ""
    status = queries.OFFICER_STATUS_FILTERS.get(status_key)
    shown = queries.officer_tenders(get_session(), page_number(request.args.get("page")), now(), status)
    return render_template(
        "tenders/officer/index.html",
        tenders=shown.rows,
        page=shown.page,
        counts=shown.counts,
        status_key=status_key,
        status_filters=queries.OFFICER_STATUS_FILTERS,
        show_url=_show_url(),
        page_url=lambda number: url_for("tender_admin.index", status=status_key or None, page=number),
    )


def _show_url():
    """A tender's overview URL from its id, url_for built once rather than once per row."""
    prefix, _, suffix = url_for("tender_admin.show", tender_id=0).rpartition("/0")
    return lambda tender_id: f"{prefix}/{tender_id}{suffix}"


@bp.route("/new", methods=["GET", "POST"])
@roles(*OFFICERS)
def create():
    form = TenderDetailsForm()
    form.category_id.choices = category_choices(get_session(), "Select a category")
    if request.method == "GET":
        form.procedure.data, form.is_light_touch.data, form.is_framework.data = "OPEN", "yes", "yes"
    return handle_form(
        form,
        lambda: drafting.create_tender(get_session(), current_user, **form.details()),
        template="tenders/officer/details.html",
        context={"tender": None},
        redirect_to=show_url,
        success=lambda tender: (
            f"Draft {tender.reference} created. Add its timetable, lots and questions, then publish it."
        ),
    )


@bp.route("/<int:tender_id>")
@roles(*OFFICERS)
def show(tender_id):
    session = get_session()
    tender = load_tender(tender_id)
    is_draft = policies.can_publish(current_user, tender)
    problems = checks.publication_problems(tender, now()) if is_draft else []
    replaced = authority.replaced_agreements(session, tender)
    # Counts only, asked of the bids domain: the seal keeps everything else about bids out of this page.
    bid_counts = (
        ask(bid_counts_requested, tender, session=session) if policies.can_see_responses(current_user, tender) else None
    )
    return render_template(
        "tenders/officer/show.html",
        tender=tender,
        tasks=checks.builder_tasks(tender, problems, len(replaced)) if is_draft else [],
        task_url=task_url,
        warnings=bid_window_warnings(tender),
        weight_totals=checks.quality_weight_totals(tender),
        replaced=replaced,
        unanswered=queries.has_unanswered_clarifications(session, tender),
        bid_counts=bid_counts,
    )
