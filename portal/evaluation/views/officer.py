"""The officers' evaluation pages for a tender whose bids are open: progress per
lot, panels, conflicts, pass or fail selection, moderation, the results and the
evaluation record. Officers see every score; evaluators never reach these pages
(403), so nothing here can break the blindness of scoring."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal import clock
from portal.accounts.forms import ConfirmForm
from portal.accounts.models import Role
from portal.auth import roles
from portal.db import after_commit, get_session
from portal.errors import RuleViolation, each_violation
from portal.evaluation import arithmetic, conflicts, moderation, panel, record_export, selection
from portal.evaluation.forms import HandlingForm, PanelForm, SelectionDecisionForm, moderation_form
from portal.evaluation.models import LotEvaluationStatus, PanelRole
from portal.evaluation.policies import can_manage, can_see_progress
from portal.evaluation.state import PENDING, TenderEvaluation, load, tender_row
from portal.forms import choices, handle_form
from portal.tenders.models import Tender

bp = Blueprint("evaluation_admin", __name__, url_prefix="/tenders")


def _state(tender_id: int, *, with_results: bool = False, read_only: bool = False) -> TenderEvaluation:
    """The tender's evaluation (``read_only``: as rows, for a page that changes nothing)."""
    tender = tender_row(get_session(), tender_id) if read_only else get_session().get(Tender, tender_id)
    if tender is None or not can_see_progress(current_user, tender):
        abort(404)
    return load(get_session(), tender, with_results=with_results, read_only=read_only)


def _lot(state: TenderEvaluation, lot_id: int):
    lot = state.lot(lot_id)
    if lot is None:
        abort(404)
    return lot


def _progress_url(state: TenderEvaluation) -> str:
    return url_for("evaluation_admin.progress", tender_id=state.tender.id)


def _refused(title: str, violation: RuleViolation, back: str):
    messages = [v.message for v in each_violation(violation)]
    return render_template("evaluation/refused.html", title=title, messages=messages, back=back), 400


def _lot_action(tender_id: int, lot_id: int, service, *, refused: str, back, done, then):
    """A button on a lot (begin moderation, complete): the officer's confirmation,
    the service, and either the refusal with every reason or the next page."""
    state = _state(tender_id)
    lot = _lot(state, lot_id)
    if not can_manage(current_user, state.tender):
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        service(get_session(), current_user, state, lot, clock.now())
    except RuleViolation as violation:
        return _refused(refused, violation, back(state, lot))
    after_commit(get_session(), lambda: flash(done(lot), "success"))
    return redirect(then(state, lot))


@bp.context_processor
def _helpers():
    return {"can_manage": can_manage, "shown": arithmetic.shown}


@bp.route("/<int:tender_id>/evaluation")
@roles(Role.OFFICER)
def progress(tender_id):
    state = _state(tender_id, with_results=True, read_only=True)
    lots = []
    for lot in state.lots:
        quality = state.panel(lot, PanelRole.QUALITY)
        lots.append(
            {
                "lot": lot,
                "status": state.status_of(lot),
                "bids": state.bids_in(lot),
                "going_forward": state.bids_going_forward(lot),
                "pending": [b for b in state.bids_in(lot) if state.selection(b).status == PENDING],
                "quality": [
                    {
                        "member": m,
                        "declared": state.has_declared(m.user_id),
                        "assigned": len(state.assignments(m)),
                        "scored": state.scored_count(m),
                    }
                    for m in quality
                ],
                "price": state.panel(lot, PanelRole.PRICE),
                "moderated": sum(1 for b, q in state.answers_to_moderate(lot) if state.moderated_score(b, q)),
                "to_moderate": len(state.answers_to_moderate(lot)),
                "moderation_blockers": moderation.moderation_blockers(state, lot),
                "completion_blockers": moderation.completion_blockers(state, lot),
                "results": state.results.get(lot.id, []),
            }
        )
    open_conflicts = [d for d in state.declarations if d.has_interest and not d.handling]
    return render_template(
        "evaluation/officer/progress.html",
        state=state,
        tender=state.tender,
        lots=lots,
        here=url_for("evaluation_admin.progress", tender_id=tender_id),  # the other pages' addresses under it
        manage=can_manage(current_user, state.tender),  # asked once, not on each lot
        my_id=current_user.id,
        declared={m.user_id for m in state.members if state.has_declared(m.user_id)},
        bids_by_id={b.bid_id: b for b in state.bids},
        open_conflicts=open_conflicts,
        # the form to begin moderation shows only on a lot being scored that nothing holds back
        confirm_form=ConfirmForm()
        if any(row["status"] is LotEvaluationStatus.SCORING and not row["moderation_blockers"] for row in lots)
        else None,
    )


@bp.route("/<int:tender_id>/evaluation/lots/<int:lot_id>/panel", methods=["GET", "POST"])
@roles(Role.OFFICER)
def panel_page(tender_id, lot_id):
    session = get_session()
    state = _state(tender_id)
    lot = _lot(state, lot_id)
    form = PanelForm()
    form.user_id.choices = choices(
        [("", "Select someone")]
        + [(u.id, f"{u.full_name} ({u.role.value.lower()})") for u in panel.staff_who_can_serve(session)]
    )
    form.question_ids.choices = choices(
        (q.id, f"Question {state.question_number(q)}: {q.text[:120]}") for q in state.quality_questions(lot)
    )
    if request.method == "POST" and not can_manage(current_user, state.tender):
        abort(404)

    def appoint():
        from portal.accounts.models import User

        return panel.appoint(
            session,
            current_user,
            state,
            lot.id,
            session.get(User, form.user_id.data) if form.user_id.data else None,
            PanelRole[form.role.data],
            form.question_ids.data or [],
            clock.now(),
        )

    return handle_form(
        form,
        appoint,
        template="evaluation/officer/panel.html",
        context=lambda: {
            "state": state,
            "tender": state.tender,
            "lot": lot,
            "members": state.panel(lot),
            "remove_form": ConfirmForm(),
        },
        redirect_to=url_for("evaluation_admin.panel_page", tender_id=tender_id, lot_id=lot.id),
        success=lambda member: f"{member.user.full_name} has been appointed.",
    )


@bp.route("/<int:tender_id>/evaluation/panel/<int:member_id>/remove", methods=["POST"])
@roles(Role.OFFICER)
def remove_member(tender_id, member_id):
    state = _state(tender_id)
    member = next((m for m in state.members if m.id == member_id), None)
    if member is None or not can_manage(current_user, state.tender):
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    name, lot_id = member.user.full_name, member.lot_id
    try:
        panel.remove(get_session(), current_user, state, member, clock.now())
    except RuleViolation as violation:
        return _refused(
            "They cannot be taken off the panel",
            violation,
            url_for("evaluation_admin.panel_page", tender_id=tender_id, lot_id=lot_id),
        )
    after_commit(get_session(), lambda: flash(f"{name} has been taken off the panel.", "success"))
    return redirect(url_for("evaluation_admin.panel_page", tender_id=tender_id, lot_id=lot_id))


@bp.route("/<int:tender_id>/evaluation/conflicts")
@roles(Role.OFFICER)
def conflicts_page(tender_id):
    state = _state(tender_id)
    organisations = dict(state.bidding_organisations)
    evaluators = {m.user_id: m.user for m in state.members}
    return render_template(
        "evaluation/officer/conflicts.html",
        state=state,
        tender=state.tender,
        organisations=organisations,
        evaluators=sorted(evaluators.values(), key=lambda u: u.full_name),
        declarations=sorted(
            state.declarations,
            key=lambda d: (
                evaluators.get(d.user_id).full_name if d.user_id in evaluators else "",
                organisations.get(d.organisation_id, ""),
            ),
        ),
    )


@bp.route("/<int:tender_id>/evaluation/conflicts/<int:declaration_id>", methods=["GET", "POST"])
@roles(Role.OFFICER)
def handle_conflict(tender_id, declaration_id):
    state = _state(tender_id)
    declaration = next((d for d in state.declarations if d.id == declaration_id and d.has_interest), None)
    if declaration is None:
        abort(404)
    if request.method == "POST" and not can_manage(current_user, state.tender):
        abort(404)
    form = HandlingForm()
    if request.method == "GET" and declaration.handling:
        form.handling.data = declaration.handling
    return handle_form(
        form,
        lambda: conflicts.handle(get_session(), current_user, state, declaration, form.handling.data, clock.now()),
        template="evaluation/officer/conflict.html",
        context=lambda: {
            "state": state,
            "tender": state.tender,
            "declaration": declaration,
            "organisation": dict(state.bidding_organisations).get(declaration.organisation_id, ""),
        },
        redirect_to=url_for("evaluation_admin.conflicts_page", tender_id=tender_id),
        success="How the conflict is handled has been recorded, and the conflicts assessment brought up to date.",
    )


@bp.route("/<int:tender_id>/evaluation/selection")
@roles(Role.OFFICER)
def selection_page(tender_id):
    state = _state(tender_id)
    rows = [{"bid": bid, "selection": state.selection(bid)} for bid in state.bids if state.selection(bid).failures]
    return render_template(
        "evaluation/officer/selection.html",
        state=state,
        tender=state.tender,
        rows=rows,
        passed=sum(1 for bid in state.bids if not state.selection(bid).failures),
    )


@bp.route("/<int:tender_id>/evaluation/selection/<int:bid_id>/<int:question_id>", methods=["GET", "POST"])
@roles(Role.OFFICER)
def decide_selection(tender_id, bid_id, question_id):
    state = _state(tender_id)
    bid = state.bid(bid_id)
    question = next((q for q in state.pass_fail_questions if q.id == question_id), None)
    if bid is None or question is None or question not in state.selection(bid).failures:
        abort(404)
    if request.method == "POST" and not can_manage(current_user, state.tender):
        abort(404)
    form = SelectionDecisionForm()
    decided = state.decisions.get((bid.submission_id, question.id))
    return handle_form(
        form,
        lambda: selection.decide(
            get_session(),
            current_user,
            state,
            bid,
            question,
            {"uphold": True, "override": False}.get(form.decision.data),
            form.reason.data,
            clock.now(),
        ),
        template="evaluation/officer/selection_decision.html",
        context=lambda: {
            "state": state,
            "tender": state.tender,
            "bid": bid,
            "question": question,
            "question_number": state.question_number(question),
            "answer": bid.answer_to(question.id) or {},
            "decided": decided,
        },
        redirect_to=url_for("evaluation_admin.selection_page", tender_id=tender_id),
        success=lambda d: "The failure has been upheld." if d.is_upheld else "The failure has been overridden.",
    )


@bp.route("/<int:tender_id>/evaluation/lots/<int:lot_id>/moderation/start", methods=["POST"])
@roles(Role.OFFICER)
def start_moderation(tender_id, lot_id):
    return _lot_action(
        tender_id,
        lot_id,
        moderation.start,
        refused="Moderation cannot begin yet",
        back=lambda state, lot: _progress_url(state),
        done=lambda lot: f"Moderation of lot {lot.number} has begun.",
        then=lambda state, lot: url_for("evaluation_admin.moderation_page", tender_id=tender_id, lot_id=lot.id),
    )


@bp.route("/<int:tender_id>/evaluation/lots/<int:lot_id>/moderation")
@roles(Role.OFFICER)
def moderation_page(tender_id, lot_id):
    state = _state(tender_id, read_only=True)
    lot = _lot(state, lot_id)
    status = state.status_of(lot)
    rows = []
    if status is not LotEvaluationStatus.SCORING:  # the answers are listed once moderation has begun
        # Each answer's page is under the moderation page (``moderate``'s route): its address
        # is made once here, not by url_for on each row.
        here = url_for("evaluation_admin.moderation_page", tender_id=tender_id, lot_id=lot.id)
        rows = [
            {
                "bid": bid,
                "question": q,
                "number": state.question_number(q),
                "href": f"{here}/{bid.bid_id}/{q.id}",
                "moderated": state.moderated_score(bid, q),
                "locked": ", ".join(str(s.score) for s in state.scores_for(bid, q) if s.locked_at) or "None",
            }
            for bid, q in state.answers_to_moderate(lot)
        ]
    blockers = moderation.completion_blockers(state, lot)
    return render_template(
        "evaluation/officer/moderation.html",
        state=state,
        tender=state.tender,
        lot=lot,
        rows=rows,
        status=status,
        blockers=blockers,
        # the form to complete the lot shows only then
        confirm_form=ConfirmForm() if status is LotEvaluationStatus.MODERATION and not blockers else None,
    )


@bp.route(
    "/<int:tender_id>/evaluation/lots/<int:lot_id>/moderation/<int:bid_id>/<int:question_id>",
    methods=["GET", "POST"],
)
@roles(Role.OFFICER)
def moderate(tender_id, lot_id, bid_id, question_id):
    state = _state(tender_id)
    lot = _lot(state, lot_id)
    bid = state.bid(bid_id)
    question = next((q for q in state.quality_questions(lot) if q.id == question_id), None)
    if bid is None or question is None or bid not in state.bids_going_forward(lot):
        abort(404)
    if request.method == "POST" and not can_manage(current_user, state.tender):
        abort(404)
    existing = state.moderated_score(bid, question)
    descriptors = state.tender.score_descriptors or {}
    form = moderation_form(
        descriptors,
        data={"score": str(existing.score), "reason": existing.reason}
        if existing and request.method == "GET"
        else None,
    )
    scores = sorted(state.scores_for(bid, question), key=lambda s: s.evaluator_id)
    names = {m.user_id: m.user.full_name for m in state.members}
    values = [s.score for s in scores if s.locked_at]

    def following():
        rows = state.answers_to_moderate(lot)
        for b, q in rows:
            if state.moderated_score(b, q) is None and (b.bid_id, q.id) != (bid.bid_id, question.id):
                return url_for(
                    "evaluation_admin.moderate", tender_id=tender_id, lot_id=lot.id, bid_id=b.bid_id, question_id=q.id
                )
        return url_for("evaluation_admin.moderation_page", tender_id=tender_id, lot_id=lot.id)

    return handle_form(
        form,
        lambda: moderation.moderate(
            get_session(),
            current_user,
            state,
            lot,
            bid,
            question,
            int(form.score.data),
            form.reason.data,
            clock.now(),
        ),
        template="evaluation/officer/moderate.html",
        context=lambda: {
            "state": state,
            "tender": state.tender,
            "lot": lot,
            "bid": bid,
            "question": question,
            "question_number": state.question_number(question),
            "answer": bid.answer_to(question.id) or {},
            "scores": [s for s in scores if s.locked_at],
            "names": names,
            "spread": (max(values) - min(values)) if values else None,
            "lot_status": state.status_of(lot),
        },
        redirect_to=lambda _row: following(),
        success="The agreed score has been saved.",
    )


@bp.route("/<int:tender_id>/evaluation/lots/<int:lot_id>/complete", methods=["POST"])
@roles(Role.OFFICER)
def complete(tender_id, lot_id):
    return _lot_action(
        tender_id,
        lot_id,
        moderation.complete,
        refused="The evaluation of this lot cannot be completed yet",
        back=lambda state, lot: url_for("evaluation_admin.moderation_page", tender_id=tender_id, lot_id=lot.id),
        done=lambda lot: f"The evaluation of lot {lot.number} is complete: its ranking is fixed.",
        then=lambda state, lot: _progress_url(state) + f"#lot-{lot.number}",
    )


@bp.route("/<int:tender_id>/evaluation/record.xlsx")
@roles(Role.OFFICER)
def record(tender_id):
    state = _state(tender_id, with_results=True)
    return record_export.response(state)
