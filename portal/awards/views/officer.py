"""The officers' award pages for a tender whose evaluation is complete: each
lot's decision (proposed by one officer, approved by another), the assessment
summaries (prepared, previewed, reworded, sent), the award notice and its
standstill, and the contracts entered after it. Every refusal of a service is
shown as a 400 with its message, and the request's changes are rolled back."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from portal import clock
from portal.accounts.forms import ConfirmForm
from portal.accounts.models import Role
from portal.auth import roles
from portal.awards import contracts, decisions, notice, policies, queries, summaries
from portal.awards.forms import ApproveForm, ContractsForm, NoticeForm, ProposeForm, PublishForm, reword_form
from portal.awards.models import AssessmentSummary, AwardNotice, LotAward
from portal.dates import add_months
from portal.db import get_session
from portal.decisions.models import Decision
from portal.errors import RuleViolation
from portal.evaluation import arithmetic
from portal.forms import choices, handle_form
from portal.tenders.models import Lot, Tender, TenderStatus
from portal.working_days import MANDATORY_STANDSTILL_DAYS

bp = Blueprint("award_admin", __name__, url_prefix="/tenders")


@bp.context_processor
def _helpers():
    return {"shown": arithmetic.shown}


def _tender(tender_id: int, *, read_only: bool = False) -> Tender:
    """The tender (``read_only``: a row of its columns, for a page that changes nothing)."""
    tender = queries.tender_row(get_session(), tender_id) if read_only else get_session().get(Tender, tender_id)
    if tender is None or not policies.can_see_award(current_user, tender):
        abort(404)
    return tender


def _lot(tender: Tender, lot_id: int) -> Lot:
    lot = get_session().get(Lot, lot_id)
    if lot is None or lot.tender_id != tender.id:
        abort(404)
    return lot


def _award_url(tender: Tender, anchor: str = "") -> str:
    return url_for("award_admin.award", tender_id=tender.id) + (f"#{anchor}" if anchor else "")


# --- The award page: each lot's decision, then the steps --------------------------------------


def _bid_choices(offered: list[queries.Ranked]):
    """The ranked bids as the propose form offers them (the same words after a refusal)."""
    return choices((r.bid_id, f"{r.rank}. {r.organisation} (total {arithmetic.shown(r.total_score)})") for r in offered)


def _propose_form(view: queries.LotView, formdata=None) -> ProposeForm:
    form = ProposeForm(prefix=f"lot{view.lot.id}", formdata=formdata)
    form.winner_bid_ids.choices = _bid_choices(view.offered)
    if formdata is None and view.award and not form.winner_bid_ids.data:
        form.winner_bid_ids.data = list(view.winner_ids)
    return form


def _approve_form(view: queries.LotView, decisions_offered, formdata=None) -> ApproveForm:
    form = ApproveForm(prefix=f"approve{view.lot.id}", formdata=formdata)
    form.decision_id.choices = choices([("", "No decision"), *decisions_offered])
    if formdata is None and view.award:
        form.proposal.data = view.award.proposed_at.isoformat()
    return form


def _award_context(page: queries.AwardPage, failed=None) -> dict:
    """The award page's forms, with ``failed`` (a form refused on a POST) in its place."""
    propose_forms, approve_forms = {}, {}
    for view in page.lots:
        if queries.takes_proposals(page.tender, view):  # the page shows no other lot's forms
            propose_forms[view.lot.id] = _propose_form(view, formdata=None)
            approve_forms[view.lot.id] = _approve_form(view, page.decisions, formdata=None)
    # the form to write the summaries shows only while the tender is in evaluation
    confirm_form = ConfirmForm(formdata=None) if page.tender.status is TenderStatus.EVALUATION else None
    if failed is not None:
        kind, lot_id, form = failed
        {"propose": propose_forms, "approve": approve_forms}.get(kind, {})[lot_id] = form
    today = clock.today()
    first_day = contracts.first_contract_day(page.notice) if page.notice else None
    return {
        "page": page,
        "tender": page.tender,
        "propose_forms": propose_forms,
        "approve_forms": approve_forms,
        "confirm_form": confirm_form,
        "first_contract_day": first_day,
        "in_standstill": bool(first_day and today < first_day),
        "today": today,
    }


@bp.route("/<int:tender_id>/award")
@roles(Role.OFFICER)
def award(tender_id):
    tender = _tender(tender_id, read_only=True)
    page = queries.award_page(get_session(), tender)
    return render_template("awards/officer/award.html", form=None, **_award_context(page))


@bp.route("/<int:tender_id>/award/lots/<int:lot_id>/propose", methods=["POST"])
@roles(Role.OFFICER)
def propose(tender_id, lot_id):
    session = get_session()
    tender = _tender(tender_id)
    lot = _lot(tender, lot_id)
    form = ProposeForm(prefix=f"lot{lot.id}")
    form.winner_bid_ids.choices = _bid_choices(queries.offered_bids(session, lot))
    return handle_form(
        form,
        lambda: decisions.propose(
            session,
            current_user,
            tender,
            lot,
            form.winner_bid_ids.data or [],
            form.no_award_reason.data or "",
            clock.now(),
        ),
        template="awards/officer/award.html",
        context=lambda: _award_context(queries.award_page(session, tender), ("propose", lot.id, form)),
        redirect_to=_award_url(tender, f"lot-{lot.number}"),
        success=lambda award: (
            f"No award of lot {lot.number} has been proposed. A different officer must approve it."
            if award.is_no_award
            else f"The award of lot {lot.number} has been proposed. A different officer must approve it."
        ),
    )


@bp.route("/<int:tender_id>/award/lots/<int:lot_id>/approve", methods=["POST"])
@roles(Role.OFFICER)
def approve(tender_id, lot_id):
    session = get_session()
    tender = _tender(tender_id)
    lot = _lot(tender, lot_id)
    form = ApproveForm(prefix=f"approve{lot.id}")
    offered = queries.decision_choices(session, tender)
    chosen = form.decision_id.data if request.method == "POST" else None
    form.decision_id.choices = choices([("", "No decision"), *offered])
    if chosen is not None and all(decision_id != chosen for decision_id, _ in offered):
        # An older decision than the list offers, still in the register: accepted.
        found = session.get(Decision, chosen)
        if found is not None:
            form.decision_id.choices = choices([("", "No decision"), (found.id, found.number), *offered])

    def act():
        award = session.scalar(select(LotAward).where(LotAward.lot_id == lot.id))
        if award is None:
            raise RuleViolation(None, f"Propose the award of lot {lot.number} first")
        decision = session.get(Decision, form.decision_id.data) if form.decision_id.data else None
        decisions.approve(
            session, current_user, tender, award, decision, clock.now(), seen_proposal=form.proposal.data or None
        )
        return award

    return handle_form(
        form,
        act,
        template="awards/officer/award.html",
        context=lambda: _award_context(queries.award_page(session, tender), ("approve", lot.id, form)),
        redirect_to=_award_url(tender, f"lot-{lot.number}"),
        success=f"The award of lot {lot.number} has been approved.",
    )


# --- Assessment summaries -------------------------------------------------------------------------


@bp.route("/<int:tender_id>/award/summaries/prepare", methods=["POST"])
@roles(Role.OFFICER)
def prepare_summaries(tender_id):
    session = get_session()
    tender = _tender(tender_id)
    form = ConfirmForm()
    return handle_form(
        form,
        lambda: summaries.prepare(session, current_user, tender, clock.now()),
        template="awards/officer/award.html",
        context=lambda: _award_context(queries.award_page(session, tender)),
        redirect_to=url_for("award_admin.summaries_page", tender_id=tender.id),
        success=lambda count: (
            f"{count} assessment summar{'ies have' if count != 1 else 'y has'} been written. "
            "Check each one before you send them."
        ),
    )


def _summaries_context(tender: Tender) -> dict:
    session = get_session()
    rows = queries.summary_rows(session, tender)
    return {
        "tender": tender,
        "rows": rows,
        "all_sent": bool(rows) and all(r.sent_at for r in rows),
        "has_notice": session.scalar(select(AwardNotice.id).where(AwardNotice.tender_id == tender.id)) is not None,
        "confirm_form": ConfirmForm(formdata=None),
    }


@bp.route("/<int:tender_id>/award/summaries")
@roles(Role.OFFICER)
def summaries_page(tender_id):
    tender = _tender(tender_id)
    return render_template("awards/officer/summaries.html", form=None, **_summaries_context(tender))


@bp.route("/<int:tender_id>/award/summaries/send", methods=["POST"])
@roles(Role.OFFICER)
def send_summaries(tender_id):
    session = get_session()
    tender = _tender(tender_id)
    return handle_form(
        ConfirmForm(),
        lambda: summaries.send(session, current_user, tender, clock.now()),
        template="awards/officer/summaries.html",
        context=lambda: _summaries_context(tender),
        redirect_to=_award_url(tender, "notice"),
        success=lambda count: (
            f"{count} assessment summar{'ies have' if count != 1 else 'y has'} been sent. "
            "Each bidder has been emailed that theirs is in the portal."
        ),
    )


@bp.route("/<int:tender_id>/award/summaries/<int:summary_id>", methods=["GET", "POST"])
@roles(Role.OFFICER)
def summary(tender_id, summary_id):
    session = get_session()
    tender = _tender(tender_id)
    row = session.get(AssessmentSummary, summary_id)
    if row is None or row.tender_id != tender.id:
        abort(404)
    criteria = row.content.get("criteria", [])
    form = reword_form(
        criteria,
        data={f"explanation_{c['question_id']}": c["explanation"] for c in criteria}
        if request.method == "GET"
        else None,
    )

    def act():
        explanations = {
            c["question_id"]: getattr(form, f"explanation_{c['question_id']}").data
            for c in criteria
            if hasattr(form, f"explanation_{c['question_id']}")
        }
        summaries.reword(session, current_user, row, explanations, clock.now())

    return handle_form(
        form,
        act,
        template="awards/officer/summary.html",
        context=lambda: {"tender": tender, "summary": row, "content": row.content},
        redirect_to=url_for("award_admin.summary", tender_id=tender.id, summary_id=row.id),
        success=f"The wording of {row.content['organisation']}'s summary has been saved.",
    )


# --- The award notice and its standstill ----------------------------------------------------------


@bp.route("/<int:tender_id>/award/notice", methods=["GET", "POST"])
@roles(Role.OFFICER)
def notice_page(tender_id):
    session = get_session()
    tender = _tender(tender_id)
    published = session.scalar(select(AwardNotice).where(AwardNotice.tender_id == tender.id))
    if tender.is_light_touch:
        form = NoticeForm(data={"voluntary_standstill": "yes", "standstill_days": MANDATORY_STANDSTILL_DAYS})
    else:
        form = PublishForm()
    counts = queries.summary_counts(session, tender)

    def act():
        if tender.is_light_touch:
            return notice.publish(
                session,
                current_user,
                tender,
                clock.now(),
                voluntary_standstill=form.voluntary_standstill.data == "yes",
                standstill_days=form.standstill_days.data,
            )
        return notice.publish(session, current_user, tender, clock.now())

    def published_message(row: AwardNotice) -> str:
        if row.standstill_ends_on is None:
            return "The award notice has been published, with no standstill. You can enter the contracts now."
        return (
            f"The award notice has been published. The standstill ends at the end of "
            f"{row.standstill_ends_on.day} {row.standstill_ends_on:%B %Y}."
        )

    return handle_form(
        form,
        act,
        template="awards/officer/notice.html",
        context=lambda: {
            "tender": tender,
            "notice": published,
            "summaries": counts,
            "first_contract_day": contracts.first_contract_day(published) if published else None,
            "mandatory_days": MANDATORY_STANDSTILL_DAYS,
        },
        redirect_to=url_for("award_admin.notice_page", tender_id=tender.id),
        success=published_message,
    )


# --- Contracts and the contract details notice ----------------------------------------------------


def _contracts_context(tender: Tender, published: AwardNotice | None, contracts_form: ContractsForm) -> dict:
    created, replaced = queries.contract_agreements(get_session(), tender)
    first_day = contracts.first_contract_day(published) if published else None
    return {
        "tender": tender,
        "notice": published,
        "first_contract_day": first_day,
        "in_standstill": bool(first_day and clock.today() < first_day),
        "created": created,
        "replaced": replaced,
        "confirm_form": ConfirmForm(formdata=None),
        "contracts_form": contracts_form,
    }


def _default_end(tender: Tender):
    if tender.contract_start_date is None:
        return None
    return add_months(tender.contract_start_date, 36) - timedelta(days=1)


@bp.route("/<int:tender_id>/award/contracts", methods=["GET", "POST"])
@roles(Role.OFFICER)
def contracts_page(tender_id):
    session = get_session()
    tender = _tender(tender_id)
    published = session.scalar(select(AwardNotice).where(AwardNotice.tender_id == tender.id))
    form = ContractsForm(data={"end_date": _default_end(tender)})
    return handle_form(
        form,
        lambda: contracts.enter(session, current_user, tender, form.end_date.data, clock.now()),
        template="awards/officer/contracts.html",
        context=lambda: _contracts_context(tender, published, form),
        redirect_to=url_for("award_admin.contracts_page", tender_id=tender.id),
        success=lambda created: (
            f"The contracts have been entered: {len(created)} new "
            f"agreement{'s are' if len(created) != 1 else ' is'} in the register."
        ),
    )


@bp.route("/<int:tender_id>/award/details-notice", methods=["POST"])
@roles(Role.OFFICER)
def details_notice(tender_id):
    session = get_session()
    tender = _tender(tender_id)
    published = session.scalar(select(AwardNotice).where(AwardNotice.tender_id == tender.id))

    def act():
        if published is None:
            raise RuleViolation(None, "Publish the award notice first")
        contracts.record_details_notice(session, current_user, published, clock.now())

    return handle_form(
        ConfirmForm(),
        act,
        template="awards/officer/contracts.html",
        context=lambda: _contracts_context(
            tender, published, ContractsForm(formdata=None, data={"end_date": _default_end(tender)})
        ),
        redirect_to=url_for("award_admin.contracts_page", tender_id=tender.id),
        success="The contract details notice has been recorded as published.",
    )
