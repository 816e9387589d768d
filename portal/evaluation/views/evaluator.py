"""The evaluator's pages. Every one is drawn from ``state.load(..., scores_of=
the evaluator)``, which reads no other evaluator's scores: blind by construction.

Nothing of a bid is shown until the evaluator has declared their interests in
every bidding organisation; a bid they declared an interest in is not theirs to
see (404), nor is any answer they are not assigned.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import bindparam, select

from portal import clock
from portal.accounts.forms import ConfirmForm
from portal.accounts.models import Role
from portal.auth import roles
from portal.db import after_commit, get_session
from portal.errors import NotPermitted, RuleViolation
from portal.evaluation import conflicts, scoring
from portal.evaluation.forms import declaration_form, score_form
from portal.evaluation.models import PanelMember, PanelRole
from portal.evaluation.policies import READABLE, is_readable
from portal.evaluation.state import TENDER_SHOWN, TenderEvaluation, load
from portal.forms import add_violation, form_page
from portal.tenders.models import Lot, Tender

bp = Blueprint("evaluation", __name__, url_prefix="/evaluation")

EVALUATORS = (Role.EVALUATOR, Role.OFFICER)  # an officer may be a lot's price evaluator


def _tender_state(tender: Tender, *, read_only: bool = False) -> TenderEvaluation:
    """The evaluator's view of the tender: their own scores only (``read_only``: as rows,
    for a page that changes nothing)."""
    if not is_readable(tender):
        abort(404)
    state = load(get_session(), tender, scores_of=current_user.id, read_only=read_only)
    if not state.memberships(current_user.id):
        abort(404)
    return state


_TENDER_OF_LOT = select(Tender).join(Lot, Lot.tender_id == Tender.id).where(Lot.id == bindparam("lot_id"))
_TENDER_ROW_OF_LOT = (  # the columns a page that changes nothing reads
    select(*TENDER_SHOWN)
    .join(Lot.__table__, Lot.__table__.c.tender_id == Tender.__table__.c.id)
    .where(Lot.__table__.c.id == bindparam("lot_id"))
)


def _lot_state(lot_id: int, *, read_only: bool = False) -> tuple[TenderEvaluation, Lot, list[PanelMember]]:
    session, by_lot = get_session(), {"lot_id": lot_id}
    # the lot itself comes with the state
    if read_only:
        tender = session.connection().execute(_TENDER_ROW_OF_LOT, by_lot).one_or_none()
    else:
        tender = session.scalar(_TENDER_OF_LOT, by_lot)
    if tender is None:
        abort(404)
    state = _tender_state(tender, read_only=read_only)
    lot = state.lot(lot_id)
    members = [m for m in state.memberships(current_user.id) if m.lot_id == lot.id]
    if not members:
        abort(404)
    return state, lot, members


@bp.route("/")
@roles(*EVALUATORS)
def home():
    session = get_session()
    tender_ids = session.scalars(
        select(PanelMember.tender_id).where(PanelMember.user_id == current_user.id).distinct()
    ).all()
    tenders = session.scalars(
        select(Tender)
        .where(Tender.id.in_(tender_ids), Tender.status.in_(READABLE), Tender.evaluation_started_at.is_not(None))
        .order_by(Tender.evaluation_date)
    ).all()
    work = []
    for tender in tenders:  # one state per tender the evaluator is on: a fixed number of queries per tender
        state = load(session, tender, scores_of=current_user.id)
        declared = state.has_declared(current_user.id)
        lots = []
        for member in state.memberships(current_user.id):
            assigned = state.assignments(member)
            lots.append(
                {
                    "member": member,
                    "lot": member.lot,
                    "assigned": len(assigned),
                    "scored": state.scored_count(member),
                    "bids": len(state.bids_going_forward(member.lot)),
                }
            )
        to_do = (not declared) + sum(1 for row in lots if row["member"].submitted_at is None)
        work.append({"tender": tender, "declared": declared, "lots": lots, "to_do": to_do})
    return render_template("evaluation/home.html", work=work, to_do=sum(w["to_do"] for w in work), today=clock.today())


@bp.route("/tenders/<int:tender_id>/declaration", methods=["GET", "POST"])
@roles(*EVALUATORS)
def declaration(tender_id):
    tender = get_session().get(Tender, tender_id)
    if tender is None:
        abort(404)
    state = _tender_state(tender)
    organisations = state.bidding_organisations
    form = declaration_form(organisations)
    if request.method == "GET":
        for org_id, _name in organisations:
            existing = state.declaration(current_user.id, org_id)
            if existing:
                form[f"interest_{org_id}"].data = "yes" if existing.has_interest else "no"
                form[f"details_{org_id}"].data = existing.details
    elif form.validate():
        answers = {
            org_id: (
                {"yes": True, "no": False}.get(form[f"interest_{org_id}"].data),
                form[f"details_{org_id}"].data or "",
            )
            for org_id, _name in organisations
        }
        try:
            conflicts.declare(get_session(), current_user, state, answers, clock.now())
        except RuleViolation as violation:
            add_violation(form, violation)
        else:
            after_commit(get_session(), lambda: flash("Your declaration has been recorded.", "success"))
            return redirect(url_for("evaluation.home"))
    return form_page("evaluation/declaration.html", form, tender=tender, state=state)


@bp.route("/lots/<int:lot_id>")
@roles(*EVALUATORS)
def lot(lot_id):
    state, lot, members = _lot_state(lot_id, read_only=True)
    quality = next((m for m in members if m.role is PanelRole.QUALITY), None)
    price = next((m for m in members if m.role is PanelRole.PRICE), None)
    rows = []
    if quality:
        by_bid, me = {}, current_user.id
        # Each answer's score sheet is under the lot's page (``score_sheet``'s route): its
        # address is made once here, not by url_for on each row.
        here = url_for("evaluation.lot", lot_id=lot.id)
        for bid, question in state.assignments(quality):
            by_bid.setdefault(bid.bid_id, {"bid": bid, "answers": []})["answers"].append(
                {
                    "question": question,
                    "number": state.question_number(question),
                    "href": f"{here}/bids/{bid.bid_id}/questions/{question.id}",
                    "score": state.score_of(me, bid, question),
                }
            )
        rows = list(by_bid.values())
    declared = state.has_declared(current_user.id)
    owed = sum(len(r["answers"]) for r in rows)
    scored = sum(1 for r in rows for a in r["answers"] if a["score"])
    return render_template(
        "evaluation/lot.html",
        state=state,
        tender=state.tender,
        lot=lot,
        quality=quality,
        price=price,
        declared=declared,
        rows=rows,
        owed=owed,
        scored=scored,
        submit_form=ConfirmForm() if declared and quality and not quality.submitted_at else None,  # shown only then
    )


def _next_unscored(state: TenderEvaluation, member: PanelMember, just_saved: tuple[int, int]):
    """The next answer the evaluator has not scored, skipping the one just saved
    (``state`` was loaded before that save)."""
    for bid, question in state.assignments(member):
        if (bid.bid_id, question.id) != just_saved and state.score_of(current_user.id, bid, question) is None:
            return bid, question
    return None


@bp.route("/lots/<int:lot_id>/bids/<int:bid_id>/questions/<int:question_id>", methods=["GET", "POST"])
@roles(*EVALUATORS)
def score_sheet(lot_id, bid_id, question_id):
    state, lot, _members = _lot_state(lot_id)
    bid = state.bid(bid_id)
    question = next((q for q in state.quality_questions(lot) if q.id == question_id), None)
    if bid is None or question is None:
        abort(404)
    try:
        member = scoring.require_assigned(state, current_user, lot, bid, question)
    except NotPermitted:
        abort(404)
    existing = state.score_of(current_user.id, bid, question)
    descriptors = state.tender.score_descriptors or {}
    locked = member.submitted_at is not None or (existing is not None and existing.locked_at is not None)
    if request.method == "GET":
        form = score_form(
            descriptors,
            data={
                "score": str(existing.score) if existing else None,
                "explanation": existing.explanation if existing else "",
                "improvement": existing.improvement if existing else "",
                "submission_sha256": bid.sha256,
            },
        )
    else:
        form = score_form(descriptors)
        if form.validate():
            try:
                scoring.save_score(
                    get_session(),
                    current_user,
                    state,
                    lot,
                    bid,
                    question,
                    int(form.score.data),
                    form.explanation.data,
                    form.improvement.data,
                    form.submission_sha256.data or "",
                    clock.now(),
                )
            except RuleViolation as violation:
                add_violation(form, violation)
            else:
                after_commit(get_session(), lambda: flash("Your score has been saved.", "success"))
                following = None if form.save_draft.data else _next_unscored(state, member, (bid.bid_id, question.id))
                if following is not None:
                    return redirect(
                        url_for(
                            "evaluation.score_sheet",
                            lot_id=lot.id,
                            bid_id=following[0].bid_id,
                            question_id=following[1].id,
                        )
                    )
                return redirect(url_for("evaluation.lot", lot_id=lot.id))
    assigned = state.assignments(member)
    position = next(i for i, (b, q) in enumerate(assigned, start=1) if (b.bid_id, q.id) == (bid.bid_id, question.id))
    return form_page(
        "evaluation/score_sheet.html",
        form,
        state=state,
        tender=state.tender,
        lot=lot,
        bid=bid,
        question=question,
        question_number=state.question_number(question),
        answer=bid.answer_to(question.id) or {},
        descriptors=sorted(descriptors.items(), key=lambda item: int(item[0])),
        expired=bid.expired_evidence(state.tender.contract_start_date),
        locked=locked,
        position=position,
        assigned=len(assigned),
    )


@bp.route("/lots/<int:lot_id>/submit", methods=["POST"])
@roles(*EVALUATORS)
def submit_scores(lot_id):
    state, lot, _members = _lot_state(lot_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        count = scoring.submit_scores(get_session(), current_user, state, lot, clock.now())
    except NotPermitted:
        abort(404)
    except RuleViolation as violation:
        return render_template(
            "errors/page.html", title="Your scores cannot be submitted yet", description=violation.message
        ), 400
    after_commit(
        get_session(),
        lambda: flash(
            f"Your {count} score{'s' if count != 1 else ''} for lot {lot.number} have been submitted.", "success"
        ),
    )
    return redirect(url_for("evaluation.home"))


@bp.route("/lots/<int:lot_id>/prices", methods=["GET", "POST"])
@roles(*EVALUATORS)
def prices(lot_id):
    state, lot, members = _lot_state(lot_id)
    member = next((m for m in members if m.role is PanelRole.PRICE), None)
    if member is None:
        abort(404)
    declared = state.has_declared(current_user.id)
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            scoring.confirm_prices(get_session(), current_user, state, lot, clock.now())
        except RuleViolation as violation:
            add_violation(form, violation)
        else:
            after_commit(get_session(), lambda: flash("You have confirmed the prices are checked.", "success"))
            return redirect(url_for("evaluation.home"))
    bids = (
        [b for b in state.bids_going_forward(lot) if not state.is_conflicted(current_user.id, b.organisation_id)]
        if declared
        else []
    )
    return form_page(
        "evaluation/prices.html",
        form,
        state=state,
        tender=state.tender,
        lot=lot,
        member=member,
        bids=bids,
        declared=declared,
    )
