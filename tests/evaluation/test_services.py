"""Evaluation through its services, called directly with a session: panels,
declarations and conflicts, pass or fail selection, blind scoring and locking,
moderation, completion and the constraints under them.

Each step reloads the evaluation (``state.load``), as every request does.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import Role
from portal.audit.models import AuditEvent
from portal.errors import NotPermitted, RuleViolation, each_violation
from portal.evaluation import conflicts, moderation, panel, scoring, selection, state
from portal.evaluation.models import (
    ConflictDeclaration,
    LotEvaluation,
    LotEvaluationStatus,
    LotResult,
    ModeratedScore,
    PanelMember,
    PanelRole,
    Score,
    SelectionDecision,
)
from portal.evaluation.state import FAILED, PASSED, PENDING
from portal.tenders.models import TenderStatus
from tests import factories
from tests.evaluation.world import when

pytestmark = pytest.mark.usefixtures("in_app")

EXPLANATION = "The bid names the schools and surgeries it visits each week and how it follows up referrals."


# --- Helpers -------------------------------------------------------------------------------------


def load(db, w, scores_of=None):
    return state.load(db, w.tender, scores_of=scores_of)


def count(db, model, *where):
    return db.scalar(select(func.count()).select_from(model).where(*where))


def audit(db, action):
    return db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def messages(error: RuleViolation) -> list[str]:
    return [v.message for v in each_violation(error)]


def fields(error: RuleViolation) -> set[str | None]:
    return {v.field for v in each_violation(error)}


def appoint_panel(db, w, *, quality=None, price=None):
    """Every evaluator (or those given) as quality evaluators of every lot, and the
    second officer (or the user given) as price evaluator."""
    quality = w.evaluators if quality is None else quality
    price = w.officers[1] if price is None else price
    for lot in w.lots:
        for user in quality:
            panel.appoint(db, w.officer, load(db, w), lot.id, user, PanelRole.QUALITY, [], when())
        if price:
            panel.appoint(db, w.officer, load(db, w), lot.id, price, PanelRole.PRICE, [], when())
    db.commit()


def declare_none(db, w, user, **interests):
    """``user`` declares no interest in any bidder, except ``interests`` (organisation index → details)."""
    answers = {org.id: (False, "") for org in w.organisations}
    for index, details in interests.items():
        answers[w.organisations[int(index.removeprefix("org"))].id] = (True, details)
    conflicts.declare(db, user, load(db, w), answers, when())
    db.commit()


def entrant(s, w, bid_index):
    return s.bid(w.bids[bid_index].id)


def save(db, w, user, bid_index, question_index, score=3, explanation=EXPLANATION, sha=None, lot=None):
    s = load(db, w, scores_of=user.id)
    bid = entrant(s, w, bid_index)
    question = w.quality_questions[question_index]
    row = scoring.save_score(
        db, user, s, lot or w.lot, bid, question, score, explanation, "", sha or bid.sha256, when(1)
    )
    db.commit()
    return row


def score_everything(db, w, user, scores=None, default=3):
    """``user`` scores every answer assigned to them (``scores[(bid index, question index)]`` or
    ``default``) and submits."""
    scores = scores or {}
    s = load(db, w, scores_of=user.id)
    member = scoring.quality_membership(s, user, w.lot)
    bid_index = {b.id: i for i, b in enumerate(w.bids)}
    question_index = {q.id: i for i, q in enumerate(w.quality_questions)}
    for bid, question in s.assignments(member):
        key = (bid_index[bid.bid_id], question_index[question.id])
        scoring.save_score(
            db, user, s, w.lot, bid, question, scores.get(key, default), EXPLANATION, "", bid.sha256, when(1)
        )
    db.commit()
    scoring.submit_scores(db, user, load(db, w, scores_of=user.id), w.lot, when(2))
    db.commit()


def ready_for_moderation(db, w, scores_by_evaluator=None):
    """Panel appointed, everyone declared (no interests), every evaluator scored and submitted."""
    appoint_panel(db, w)
    for user in [*w.evaluators, w.officers[1]]:
        declare_none(db, w, user)
    for i, user in enumerate(w.evaluators):
        score_everything(db, w, user, (scores_by_evaluator or {}).get(i))


def uphold_failures(db, w, bid_index, reason="No employers' liability insurance."):
    s = load(db, w)
    bid = entrant(s, w, bid_index)
    for question in s.selection(bid).failures:
        selection.decide(db, w.officer, s, bid, question, True, reason, when())
    db.commit()


# --- Panel ---------------------------------------------------------------------------------------


def test_an_officer_appoints_quality_and_price_evaluators_with_an_audit_row(db, world):
    w = world
    first, second = w.evaluators
    q2 = w.quality_questions[1]
    panel.appoint(db, w.officer, load(db, w), w.lot.id, first, PanelRole.QUALITY, [], when())
    panel.appoint(db, w.officer, load(db, w), w.lot.id, second, PanelRole.QUALITY, [q2.id], when())
    panel.appoint(db, w.officer, load(db, w), w.lot.id, w.officers[1], PanelRole.PRICE, [], when())
    db.commit()
    s = load(db, w)
    assert [(m.user_id, m.role) for m in s.panel(w.lot)] == [
        (first.id, PanelRole.QUALITY),
        (second.id, PanelRole.QUALITY),
        (w.officers[1].id, PanelRole.PRICE),
    ]
    members = {m.user_id: m for m in s.panel(w.lot)}
    assert [q.id for q in s.questions_of(members[first.id])] == [q.id for q in w.quality_questions]
    assert [q.id for q in s.questions_of(members[second.id])] == [q2.id]
    rows = audit(db, "evaluation.panel_appointed")
    assert [r.details["user_id"] for r in rows] == [first.id, second.id, w.officers[1].id]
    assert rows[1].details["question_ids"] == [q2.id] and rows[0].actor_id == w.officer.id


def test_an_evaluator_can_be_the_price_evaluator(db, world):
    w = world
    panel.appoint(db, w.officer, load(db, w), w.lot.id, w.evaluators[0], PanelRole.PRICE, [], when())
    db.commit()
    assert count(db, PanelMember, PanelMember.role == PanelRole.PRICE) == 1


@pytest.mark.parametrize(
    ("role", "panel_role", "message"),
    [
        (Role.OFFICER, PanelRole.QUALITY, "Quality evaluators must have the evaluator role"),
        (Role.PROVIDER, PanelRole.QUALITY, "Quality evaluators must have the evaluator role"),
        (Role.PROVIDER, PanelRole.PRICE, "The price evaluator must be an evaluator or a procurement officer"),
    ],
)
def test_a_role_that_cannot_serve_is_refused(db, world, role, panel_role, message):
    w = world
    user = factories.make_user(db, role)
    with pytest.raises(RuleViolation) as refused:
        panel.appoint(db, w.officer, load(db, w), w.lot.id, user, panel_role, [], when())
    assert refused.value.message == message and refused.value.field == "user_id"
    assert count(db, PanelMember) == 0


def test_only_an_officer_appoints(db, world):
    w = world
    with pytest.raises(RuleViolation, match="Only procurement officers"):
        panel.appoint(db, w.evaluators[0], load(db, w), w.lot.id, w.evaluators[1], PanelRole.QUALITY, [], when())
    assert count(db, PanelMember) == 0


def test_a_deactivated_member_of_staff_is_refused(db, world):
    w = world
    w.evaluators[0].deactivated_at = when(-60)
    db.commit()
    with pytest.raises(RuleViolation, match="has an account"):
        panel.appoint(db, w.officer, load(db, w), w.lot.id, w.evaluators[0], PanelRole.QUALITY, [], when())


def test_appointing_twice_in_the_same_role_is_refused(db, world):
    w = world
    panel.appoint(db, w.officer, load(db, w), w.lot.id, w.evaluators[0], PanelRole.QUALITY, [], when())
    db.commit()
    with pytest.raises(RuleViolation, match="already a quality evaluator for this lot"):
        panel.appoint(db, w.officer, load(db, w), w.lot.id, w.evaluators[0], PanelRole.QUALITY, [], when())
    db.rollback()
    assert count(db, PanelMember) == 1


def test_the_same_person_cannot_score_quality_and_check_prices(db, opened):
    """A price evaluator sees every price: quality is scored without them, on any lot of the tender."""
    w = opened(lots=2)
    panel.appoint(db, w.officer, load(db, w), w.lots[0].id, w.evaluators[0], PanelRole.QUALITY, [], when())
    db.commit()
    for lot in w.lots:
        with pytest.raises(RuleViolation, match="cannot score quality and check prices"):
            panel.appoint(db, w.officer, load(db, w), lot.id, w.evaluators[0], PanelRole.PRICE, [], when())
        db.rollback()
    panel.appoint(db, w.officer, load(db, w), w.lots[0].id, w.evaluators[1], PanelRole.PRICE, [], when())
    db.commit()
    with pytest.raises(RuleViolation, match="cannot score quality and check prices"):
        panel.appoint(db, w.officer, load(db, w), w.lots[1].id, w.evaluators[1], PanelRole.QUALITY, [], when())
    db.rollback()
    assert count(db, PanelMember) == 2


def test_a_question_that_is_not_a_quality_question_of_the_lot_is_refused(db, opened):
    w = opened(lots=2)
    other = opened()  # a question of another tender
    for question_id in (w.pass_fail_questions[0].id, other.quality_questions[0].id, 999_999):
        with pytest.raises(RuleViolation) as refused:
            panel.appoint(
                db, w.officer, load(db, w), w.lots[1].id, w.evaluators[0], PanelRole.QUALITY, [question_id], when()
            )
        assert refused.value.field == "question_ids"
    assert count(db, PanelMember) == 0


def test_an_unknown_lot_is_refused(db, opened):
    w, other = opened(), opened()
    with pytest.raises(RuleViolation) as refused:
        panel.appoint(db, w.officer, load(db, w), other.lot.id, w.evaluators[0], PanelRole.QUALITY, [], when())
    assert refused.value.field == "lot_id"


def test_no_appointment_once_moderation_has_begun(db, world):
    w = world
    db.add(LotEvaluation(tender_id=w.tender.id, lot_id=w.lot.id, status=LotEvaluationStatus.MODERATION))
    db.commit()
    with pytest.raises(RuleViolation, match="Moderation has begun"):
        panel.appoint(db, w.officer, load(db, w), w.lot.id, w.evaluators[0], PanelRole.QUALITY, [], when())
    assert count(db, PanelMember) == 0


def test_nothing_changes_unless_the_tender_is_in_evaluation(db, world):
    w = world
    w.tender.status = TenderStatus.AWARDED
    db.commit()
    with pytest.raises(RuleViolation, match="its evaluation cannot change now"):
        panel.appoint(db, w.officer, load(db, w), w.lot.id, w.evaluators[0], PanelRole.QUALITY, [], when())


def test_a_member_is_removed_only_before_saving_a_score(db, world):
    w = world
    appoint_panel(db, w)
    for user in w.evaluators:
        declare_none(db, w, user)
    save(db, w, w.evaluators[0], 0, 0)
    s = load(db, w)
    members = {m.user_id: m for m in s.panel(w.lot, PanelRole.QUALITY)}
    with pytest.raises(RuleViolation, match="saved scores"):
        panel.remove(db, w.officer, s, members[w.evaluators[0].id], when(3))
    panel.remove(db, w.officer, s, members[w.evaluators[1].id], when(3))
    db.commit()
    assert [m.user_id for m in load(db, w).panel(w.lot, PanelRole.QUALITY)] == [w.evaluators[0].id]
    assert [e.details["user_id"] for e in audit(db, "evaluation.panel_removed")] == [w.evaluators[1].id]


# --- Declarations and conflicts ----------------------------------------------------------------


def test_nothing_is_assigned_until_the_evaluator_has_declared(db, world):
    w = world
    appoint_panel(db, w)
    s = load(db, w)
    member = scoring.quality_membership(s, w.evaluators[0], w.lot)
    assert s.assignments(member) == []
    declare_none(db, w, w.evaluators[0])
    s = load(db, w)
    member = scoring.quality_membership(s, w.evaluators[0], w.lot)
    assert len(s.assignments(member)) == 2 * 2  # two bids × two questions


def test_every_bidding_organisation_must_be_answered(db, opened):
    w = opened(bids=3)
    appoint_panel(db, w)
    answers = {w.organisations[0].id: (False, ""), w.organisations[2].id: (False, "")}
    with pytest.raises(RuleViolation) as refused:
        conflicts.declare(db, w.evaluators[0], load(db, w), answers, when())
    assert fields(refused.value) == {f"interest_{w.organisations[1].id}"}
    assert w.organisations[1].name in refused.value.message
    db.rollback()
    assert count(db, ConflictDeclaration) == 0
    assert not load(db, w).has_declared(w.evaluators[0].id)


def test_an_interest_needs_its_details(db, world):
    w = world
    appoint_panel(db, w)
    answers = {w.organisations[0].id: (True, "   "), w.organisations[1].id: (None, "")}
    with pytest.raises(RuleViolation) as refused:
        conflicts.declare(db, w.evaluators[0], load(db, w), answers, when())
    assert fields(refused.value) == {f"details_{w.organisations[0].id}", f"interest_{w.organisations[1].id}"}
    db.rollback()
    assert count(db, ConflictDeclaration) == 0


def test_someone_not_on_the_panel_cannot_declare(db, world):
    w = world
    with pytest.raises(RuleViolation, match="not on this tender's evaluation panel"):
        conflicts.declare(db, w.evaluators[0], load(db, w), {o.id: (False, "") for o in w.organisations}, when())


def test_a_declared_conflict_removes_the_bid_from_the_evaluators_assignments(db, world):
    w = world
    appoint_panel(db, w)
    declare_none(db, w, w.evaluators[0], org0="My sister is its chief executive.")
    declare_none(db, w, w.evaluators[1])
    s = load(db, w)
    first = scoring.quality_membership(s, w.evaluators[0], w.lot)
    second = scoring.quality_membership(s, w.evaluators[1], w.lot)
    assert {b.bid_id for b, _ in s.assignments(first)} == {w.bids[1].id}
    assert {b.bid_id for b, _ in s.assignments(second)} == {w.bids[0].id, w.bids[1].id}
    assert s.is_conflicted(w.evaluators[0].id, w.organisations[0].id)
    assert not s.is_assigned(w.evaluators[0].id, w.lot, entrant(s, w, 0), w.quality_questions[0])
    declared = audit(db, "conflict.declared")
    assert [(e.actor_id, e.details["organisation_id"]) for e in declared] == [
        (w.evaluators[0].id, w.organisations[0].id)
    ]
    assert declared[0].object_type == "tender" and declared[0].object_id == w.tender.id
    assert len(audit(db, "conflict.none_declared")) == 3


def test_a_declared_interest_cannot_be_withdrawn_but_a_new_one_can_be_added(db, world):
    w = world
    appoint_panel(db, w)
    declare_none(db, w, w.evaluators[0], org0="I volunteer there.")
    with pytest.raises(RuleViolation, match="cannot be withdrawn"):
        conflicts.declare(db, w.evaluators[0], load(db, w), {o.id: (False, "") for o in w.organisations}, when(5))
    db.rollback()
    assert load(db, w).is_conflicted(w.evaluators[0].id, w.organisations[0].id)
    # "no" about the other organisation can become "yes"
    conflicts.declare(
        db,
        w.evaluators[0],
        load(db, w),
        {w.organisations[0].id: (True, "I volunteer there."), w.organisations[1].id: (True, "My former employer.")},
        when(6),
    )
    db.commit()
    s = load(db, w)
    assert s.is_conflicted(w.evaluators[0].id, w.organisations[1].id)
    assert s.declaration(w.evaluators[0].id, w.organisations[1].id).details == "My former employer."
    assert count(db, ConflictDeclaration) == 2  # the row changed, none added
    assert len(audit(db, "conflict.declared")) == 2


def test_handling_a_conflict_is_added_to_the_tenders_conflicts_assessment(db, world):
    w = world
    before = w.tender.conflicts_assessment
    appoint_panel(db, w)
    declare_none(db, w, w.evaluators[0], org1="My sister is its chief executive.")
    s = load(db, w)
    declaration = s.declaration(w.evaluators[0].id, w.organisations[1].id)
    conflicts.handle(db, w.officer, s, declaration, "Removed from scoring this bid.", when(10))
    db.commit()
    db.refresh(w.tender)
    text = w.tender.conflicts_assessment
    assert text.startswith(before)  # appended, not replaced
    assert w.evaluators[0].full_name in text and w.organisations[1].name in text
    assert "My sister is its chief executive." in text and "Handled: Removed from scoring this bid." in text
    assert w.tender.conflicts_assessed_by_id == w.officer.id
    assert declaration.handling == "Removed from scoring this bid." and declaration.handled_by_id == w.officer.id
    assert len(audit(db, "conflict.handled")) == 1
    # a second conflict handled later keeps the first
    declare_none(db, w, w.evaluators[1], org0="I was a trustee until last year.")
    s = load(db, w)
    conflicts.handle(
        db, w.officer, s, s.declaration(w.evaluators[1].id, w.organisations[0].id), "Removed from it.", when(20)
    )
    db.commit()
    db.refresh(w.tender)
    assert "Removed from scoring this bid." in w.tender.conflicts_assessment
    assert "Handled: Removed from it." in w.tender.conflicts_assessment


def test_handling_needs_a_description_and_a_declared_interest(db, world):
    w = world
    appoint_panel(db, w)
    declare_none(db, w, w.evaluators[0], org0="I volunteer there.")
    s = load(db, w)
    with pytest.raises(RuleViolation) as refused:
        conflicts.handle(db, w.officer, s, s.declaration(w.evaluators[0].id, w.organisations[0].id), " ", when())
    assert refused.value.field == "handling"
    with pytest.raises(RuleViolation, match="not a declared conflict"):
        conflicts.handle(db, w.officer, s, s.declaration(w.evaluators[0].id, w.organisations[1].id), "x", when())
    with pytest.raises(RuleViolation, match="Only procurement officers"):
        conflicts.handle(db, w.evaluators[1], s, s.declaration(w.evaluators[0].id, w.organisations[0].id), "x", when())


# --- Selection (pass or fail) --------------------------------------------------------------------


def test_a_failed_pass_or_fail_answer_holds_the_bid_back_until_decided(db, opened):
    w = opened(passes=[True, False])
    s = load(db, w)
    assert s.selection(entrant(s, w, 0)).status == PASSED
    pending = s.selection(entrant(s, w, 1))
    assert pending.status == PENDING and [q.id for q in pending.failures] == [w.pass_fail_questions[0].id]
    assert [b.bid_id for b in s.bids_going_forward(w.lot)] == [w.bids[0].id]
    appoint_panel(db, w)
    declare_none(db, w, w.evaluators[0])
    s = load(db, w)
    member = scoring.quality_membership(s, w.evaluators[0], w.lot)
    assert {b.bid_id for b, _ in s.assignments(member)} == {w.bids[0].id}


def test_an_upheld_failure_fails_the_bid_with_its_reason(db, opened):
    w = opened(passes=[True, False])
    s = load(db, w)
    bid, question = entrant(s, w, 1), w.pass_fail_questions[0]
    selection.decide(db, w.officer, s, bid, question, True, "No insurance certificate was provided.", when())
    db.commit()
    s = load(db, w)
    result = s.selection(entrant(s, w, 1))
    assert result.status == FAILED
    assert result.reason == (
        f"Failed pass or fail question 1 (\u201c{question.text}\u201d): No insurance certificate was provided."
    )
    assert [b.bid_id for b in s.bids_going_forward(w.lot)] == [w.bids[0].id]
    assert [b.bid_id for b in s.bids_in(w.lot)] == [w.bids[0].id, w.bids[1].id]
    assert [e.details["bid_id"] for e in audit(db, "selection.failure_upheld")] == [w.bids[1].id]


def test_an_overridden_failure_passes_the_bid(db, opened):
    w = opened(passes=[True, False])
    s = load(db, w)
    selection.decide(
        db, w.officer, s, entrant(s, w, 1), w.pass_fail_questions[0], False, "Certificate sent by email.", when()
    )
    db.commit()
    s = load(db, w)
    assert s.selection(entrant(s, w, 1)).status == PASSED
    assert {b.bid_id for b in s.bids_going_forward(w.lot)} == {w.bids[0].id, w.bids[1].id}
    assert len(audit(db, "selection.failure_overridden")) == 1


def test_a_selection_decision_needs_a_decision_and_a_reason_and_is_made_once(db, opened):
    w = opened(passes=[True, False])
    s = load(db, w)
    bid, question = entrant(s, w, 1), w.pass_fail_questions[0]
    with pytest.raises(RuleViolation) as refused:
        selection.decide(db, w.officer, s, bid, question, True, "  ", when())
    assert refused.value.field == "reason"
    with pytest.raises(RuleViolation) as refused:
        selection.decide(db, w.officer, s, bid, question, None, "A reason.", when())
    assert refused.value.field == "decision"
    with pytest.raises(RuleViolation, match="nothing to decide"):
        selection.decide(db, w.officer, s, entrant(s, w, 0), question, True, "A reason.", when())
    with pytest.raises(RuleViolation, match="Only procurement officers"):
        selection.decide(db, w.evaluators[0], s, bid, question, True, "A reason.", when())
    assert count(db, SelectionDecision) == 0
    selection.decide(db, w.officer, s, bid, question, True, "A reason.", when())
    db.commit()
    with pytest.raises(RuleViolation, match="already been decided"):
        selection.decide(db, w.officer, load(db, w), bid, question, False, "Another.", when())
    db.rollback()
    assert count(db, SelectionDecision) == 1


def test_evidence_expired_at_the_contract_start_is_shown_to_the_panel(db, opened):
    expired = {
        "evidence_id": 1,
        "kind": "INSURANCE",
        "title": "Insurance",
        "sha256": "a" * 64,
        "expires_on": "2027-03-31",
    }
    current = {**expired, "evidence_id": 2, "expires_on": "2027-04-01"}
    w = opened(contract_start_date=date(2027, 4, 1), bid_overrides={0: {"evidence": [expired, current]}})
    s = load(db, w)
    assert s.bids[0].expired_evidence(w.tender.contract_start_date) == [expired]
    assert s.bids[1].expired_evidence(w.tender.contract_start_date) == []


# --- Scoring -------------------------------------------------------------------------------------


@pytest.fixture
def scoring_world(db, world):
    appoint_panel(db, world)
    for user in world.evaluators:
        declare_none(db, world, user)
    return world


@pytest.mark.parametrize("score", [6, -1, None])
def test_a_score_off_the_scale_is_refused(db, scoring_world, score):
    w = scoring_world
    with pytest.raises(RuleViolation) as refused:
        save(db, w, w.evaluators[0], 0, 0, score=score)
    assert "score" in fields(refused.value)
    db.rollback()
    assert count(db, Score) == 0


@pytest.mark.parametrize("explanation", ["", "   ", "Good answer, covers outreach well."])
def test_a_missing_or_short_explanation_is_refused(db, scoring_world, explanation):
    w = scoring_world
    with pytest.raises(RuleViolation) as refused:
        save(db, w, w.evaluators[0], 0, 0, explanation=explanation)
    assert fields(refused.value) == {"explanation"}
    db.rollback()
    assert count(db, Score) == 0


def test_every_problem_is_reported_at_once(db, scoring_world):
    w = scoring_world
    with pytest.raises(RuleViolation) as refused:
        save(db, w, w.evaluators[0], 0, 0, score=9, explanation="")
    assert fields(refused.value) == {"score", "explanation"}


def test_someone_not_assigned_cannot_score(db, scoring_world):
    w = scoring_world
    outsider = factories.make_user(db, Role.EVALUATOR)
    db.commit()
    with pytest.raises(NotPermitted):
        save(db, w, outsider, 0, 0)
    with pytest.raises(NotPermitted):
        save(db, w, w.officers[1], 0, 0)  # the price evaluator scores no quality
    assert count(db, Score) == 0


def test_an_evaluator_cannot_score_a_question_not_given_to_them(db, world):
    w = world
    panel.appoint(
        db, w.officer, load(db, w), w.lot.id, w.evaluators[0], PanelRole.QUALITY, [w.quality_questions[0].id], when()
    )
    db.commit()
    declare_none(db, w, w.evaluators[0])
    save(db, w, w.evaluators[0], 0, 0)
    with pytest.raises(NotPermitted):
        save(db, w, w.evaluators[0], 0, 1)
    assert count(db, Score) == 1


def test_an_evaluator_who_has_not_declared_cannot_score(db, world):
    w = world
    appoint_panel(db, w)
    with pytest.raises(NotPermitted):
        save(db, w, w.evaluators[0], 0, 0)


def test_a_conflicted_evaluator_cannot_score_that_bid(db, world):
    w = world
    appoint_panel(db, w)
    declare_none(db, w, w.evaluators[0], org1="I am one of its trustees.")
    with pytest.raises(NotPermitted):
        save(db, w, w.evaluators[0], 1, 0)
    save(db, w, w.evaluators[0], 0, 0)  # the other bid is theirs to score
    assert count(db, Score) == 1


def test_a_bid_held_back_by_selection_cannot_be_scored(db, opened):
    w = opened(passes=[True, False])
    appoint_panel(db, w)
    declare_none(db, w, w.evaluators[0])
    with pytest.raises(NotPermitted):
        save(db, w, w.evaluators[0], 1, 0)


def test_a_score_for_another_version_of_the_bid_is_refused(db, scoring_world):
    w = scoring_world
    with pytest.raises(RuleViolation, match="not the version you were shown"):
        save(db, w, w.evaluators[0], 0, 0, sha="0" * 64)
    assert count(db, Score) == 0


def test_a_score_is_tied_to_the_submission_and_its_hash(db, scoring_world):
    w = scoring_world
    row = save(db, w, w.evaluators[0], 1, 0, score=4)
    assert row.submission_id == w.submissions[1].id and row.submission_sha256 == w.submissions[1].sha256
    assert row.evaluator_id == w.evaluators[0].id and row.question_id == w.quality_questions[0].id
    assert row.score == 4 and row.locked_at is None
    assert len(audit(db, "score.saved")) == 1


def test_saving_twice_changes_the_one_row(db, scoring_world):
    w = scoring_world
    first = save(db, w, w.evaluators[0], 0, 0, score=2)
    second = save(db, w, w.evaluators[0], 0, 0, score=4, explanation=EXPLANATION + " Strong evidence.")
    assert second.id == first.id
    rows = db.scalars(select(Score)).all()
    assert len(rows) == 1 and rows[0].score == 4 and rows[0].explanation.endswith("Strong evidence.")


def test_submitting_is_refused_while_an_answer_is_unscored(db, scoring_world):
    w = scoring_world
    save(db, w, w.evaluators[0], 0, 0)
    save(db, w, w.evaluators[0], 0, 1)
    save(db, w, w.evaluators[0], 1, 0)
    with pytest.raises(RuleViolation, match="1 of 4 are not scored yet"):
        scoring.submit_scores(db, w.evaluators[0], load(db, w, w.evaluators[0].id), w.lot, when(2))
    db.rollback()
    assert count(db, Score, Score.locked_at.is_not(None)) == 0
    assert count(db, PanelMember, PanelMember.submitted_at.is_not(None)) == 0


def test_submitting_locks_the_scores_and_no_score_changes_after(db, scoring_world):
    w = scoring_world
    score_everything(db, w, w.evaluators[0])
    assert count(db, Score, Score.evaluator_id == w.evaluators[0].id, Score.locked_at.is_(None)) == 0
    assert count(db, Score, Score.evaluator_id == w.evaluators[0].id) == 4
    s = load(db, w, w.evaluators[0].id)
    assert scoring.quality_membership(s, w.evaluators[0], w.lot).submitted_at is not None
    with pytest.raises(RuleViolation, match="cannot be changed"):
        save(db, w, w.evaluators[0], 0, 0, score=5)
    db.rollback()
    assert {row.score for row in db.scalars(select(Score))} == {3}
    with pytest.raises(RuleViolation, match="already submitted"):
        scoring.submit_scores(db, w.evaluators[0], load(db, w, w.evaluators[0].id), w.lot, when(3))
    assert len(audit(db, "score.submitted")) == 1


def test_an_evaluator_loads_their_own_scores_and_nobody_elses(db, scoring_world):
    w = scoring_world
    a, b = w.evaluators
    save(db, w, a, 0, 0, score=1)
    save(db, w, b, 0, 0, score=5)
    save(db, w, b, 1, 1, score=4)
    blind = load(db, w, scores_of=a.id)
    assert [(s.evaluator_id, s.score) for s in blind.scores] == [(a.id, 1)]
    bid, question = entrant(blind, w, 0), w.quality_questions[0]
    assert [s.evaluator_id for s in blind.scores_for(bid, question)] == [a.id]
    assert blind.score_of(b.id, bid, question) is None
    everyone = load(db, w)
    assert sorted(s.evaluator_id for s in everyone.scores) == sorted([a.id, b.id, b.id])


# --- Moderation ----------------------------------------------------------------------------------


def test_moderation_cannot_begin_while_an_evaluator_has_not_submitted(db, world):
    w = world
    appoint_panel(db, w)
    for user in w.evaluators:
        declare_none(db, w, user)
    score_everything(db, w, w.evaluators[0])
    with pytest.raises(RuleViolation) as refused:
        moderation.start(db, w.officer, load(db, w), w.lot, when(5))
    assert messages(refused.value) == [f"Waiting for scores from {w.evaluators[1].full_name}"]
    db.rollback()
    assert load(db, w).status_of(w.lot) is LotEvaluationStatus.SCORING


def test_scores_cannot_be_submitted_nor_moderation_begin_while_selection_is_pending(db, opened):
    """A bid waiting for its pass or fail decision may yet need scoring: nobody submits until it is decided."""
    w = opened(bids=3, passes=[True, True, False])
    appoint_panel(db, w)
    for user in [*w.evaluators, w.officers[1]]:
        declare_none(db, w, user)
    with pytest.raises(RuleViolation, match="waiting for a pass or fail decision"):
        score_everything(db, w, w.evaluators[0])
    db.rollback()
    with pytest.raises(RuleViolation) as refused:
        moderation.start(db, w.officer, load(db, w), w.lot, when(5))
    assert "Decide the failed pass or fail answers of 1 bid" in messages(refused.value)
    db.rollback()
    uphold_failures(db, w, 2)
    for user in w.evaluators:
        score_everything(db, w, user)
    moderation.start(db, w.officer, load(db, w), w.lot, when(6))
    db.commit()
    assert load(db, w).status_of(w.lot) is LotEvaluationStatus.MODERATION


def test_moderation_needs_a_quality_panel(db, world):
    w = world
    with pytest.raises(RuleViolation, match="Appoint at least one quality evaluator"):
        moderation.start(db, w.officer, load(db, w), w.lot, when())


def test_an_agreed_score_cannot_be_recorded_before_moderation_begins(db, world):
    w = world
    ready_for_moderation(db, w)
    s = load(db, w)
    with pytest.raises(RuleViolation, match="Moderation has not begun"):
        moderation.moderate(db, w.officer, s, w.lot, entrant(s, w, 0), w.quality_questions[0], 3, "", when(5))
    assert count(db, ModeratedScore) == 0


def test_moderation_needs_a_reason_where_the_agreed_score_differs_and_keeps_the_individual_scores(db, world):
    w = world
    # evaluator 0 gives 2 to bid 0 question 0, evaluator 1 gives 4; everything else 3
    ready_for_moderation(db, w, {0: {(0, 0): 2}, 1: {(0, 0): 4}})
    before = {(r.id, r.score, r.explanation, r.locked_at) for r in db.scalars(select(Score))}
    moderation.start(db, w.officer, load(db, w), w.lot, when(5))
    db.commit()
    s = load(db, w)
    bid0, bid1 = entrant(s, w, 0), entrant(s, w, 1)
    q0 = w.quality_questions[0]
    with pytest.raises(RuleViolation) as refused:
        moderation.moderate(db, w.officer, s, w.lot, bid0, q0, 3, "", when(6))
    assert refused.value.field == "reason"
    with pytest.raises(RuleViolation) as refused:
        moderation.moderate(db, w.officer, s, w.lot, bid0, q0, 4, "  ", when(6))  # equal to one, not to all
    assert refused.value.field == "reason"
    with pytest.raises(RuleViolation) as refused:
        moderation.moderate(db, w.officer, s, w.lot, bid1, q0, 2, "", when(6))  # both said 3
    assert refused.value.field == "reason"
    with pytest.raises(RuleViolation) as refused:
        moderation.moderate(db, w.officer, s, w.lot, bid1, q0, 6, "Off the scale.", when(6))
    assert refused.value.field == "score"
    assert count(db, ModeratedScore) == 0
    moderation.moderate(db, w.officer, s, w.lot, bid1, q0, 3, "", when(6))  # agrees with both: no reason needed
    moderation.moderate(db, w.officer, s, w.lot, bid0, q0, 3, "Agreed at the panel meeting.", when(6))
    db.commit()
    rows = {(m.submission_id, m.question_id): m for m in db.scalars(select(ModeratedScore))}
    assert rows[(bid0.submission_id, q0.id)].score == 3
    assert rows[(bid0.submission_id, q0.id)].reason == "Agreed at the panel meeting."
    assert rows[(bid1.submission_id, q0.id)].reason == ""
    assert {(r.id, r.score, r.explanation, r.locked_at) for r in db.scalars(select(Score))} == before
    events = audit(db, "score.moderated")
    assert events[-1].details["individual_scores"] == [2, 4]


def test_only_an_officer_moderates(db, world):
    w = world
    ready_for_moderation(db, w)
    with pytest.raises(RuleViolation, match="Only procurement officers"):
        moderation.start(db, w.evaluators[0], load(db, w), w.lot, when(5))


def test_moderation_cannot_begin_twice(db, world):
    w = world
    ready_for_moderation(db, w)
    moderation.start(db, w.officer, load(db, w), w.lot, when(5))
    db.commit()
    with pytest.raises(RuleViolation, match="already begun"):
        moderation.start(db, w.officers[1], load(db, w), w.lot, when(6))


# --- Completion ----------------------------------------------------------------------------------


def moderate_everything(db, w, scores=None, default=3):
    s = load(db, w)
    bid_index = {b.id: i for i, b in enumerate(w.bids)}
    question_index = {q.id: i for i, q in enumerate(w.quality_questions)}
    for bid, question in s.answers_to_moderate(w.lot):
        score = (scores or {}).get((bid_index[bid.bid_id], question_index[question.id]), default)
        moderation.moderate(db, w.officer, s, w.lot, bid, question, score, "Agreed by the panel.", when(7))
    db.commit()


def test_completion_waits_for_every_agreed_score_and_the_price_check(db, world):
    w = world
    ready_for_moderation(db, w)
    with pytest.raises(RuleViolation, match="Moderation has not begun"):
        moderation.complete(db, w.officer, load(db, w), w.lot, when(8))
    db.rollback()
    moderation.start(db, w.officer, load(db, w), w.lot, when(5))
    db.commit()
    s = load(db, w)
    moderation.moderate(db, w.officer, s, w.lot, entrant(s, w, 0), w.quality_questions[0], 3, "", when(6))
    db.commit()
    with pytest.raises(RuleViolation) as refused:
        moderation.complete(db, w.officer, load(db, w), w.lot, when(8))
    assert messages(refused.value) == [
        "Agree the score for 3 more answers",
        "Waiting for the price evaluator to confirm the prices are checked",
    ]
    db.rollback()
    moderate_everything(db, w)
    with pytest.raises(RuleViolation) as refused:
        moderation.complete(db, w.officer, load(db, w), w.lot, when(8))
    assert messages(refused.value) == ["Waiting for the price evaluator to confirm the prices are checked"]
    db.rollback()
    assert count(db, LotResult) == 0
    scoring.confirm_prices(db, w.officers[1], load(db, w), w.lot, when(8))
    db.commit()
    moderation.complete(db, w.officer, load(db, w), w.lot, when(9))
    db.commit()
    assert load(db, w).status_of(w.lot) is LotEvaluationStatus.COMPLETE
    assert count(db, LotResult) == 2


def test_the_price_check_is_confirmed_once_and_only_by_the_price_evaluator(db, world):
    w = world
    ready_for_moderation(db, w)
    with pytest.raises(NotPermitted):
        scoring.confirm_prices(db, w.evaluators[0], load(db, w), w.lot, when(8))
    scoring.confirm_prices(db, w.officers[1], load(db, w), w.lot, when(8))
    db.commit()
    with pytest.raises(RuleViolation, match="already confirmed"):
        scoring.confirm_prices(db, w.officers[1], load(db, w), w.lot, when(9))
    assert len(audit(db, "price.checked")) == 1


def test_completion_stores_each_bids_result_rank_and_reason(db, opened):
    # A: £100,000, B: £70,000, C: £35,000 but fails selection, D: below the minimum quality score.
    w = opened(
        bids=4,
        prices=[100_000_00, 70_000_00, 35_000_00, 20_000_00],
        passes=[True, True, False, True],
        minimum_quality_score=50,
    )
    uphold_failures(db, w, 2, "No insurance certificate was provided.")
    ready_for_moderation(db, w)
    moderation.start(db, w.officer, load(db, w), w.lot, when(5))
    db.commit()
    # weights 50/50: A 5 and 4 → 90% → 63; B 4 and 4 → 80% → 56; D 1 and 2 → 30%, below 50%
    moderate_everything(db, w, {(0, 0): 5, (0, 1): 4, (1, 0): 4, (1, 1): 4, (3, 0): 1, (3, 1): 2})
    scoring.confirm_prices(db, w.officers[1], load(db, w), w.lot, when(8))
    db.commit()
    stored = moderation.complete(db, w.officer, load(db, w), w.lot, when(9))
    db.commit()
    assert len(stored) == 4
    rows = {r.bid_id: r for r in db.scalars(select(LotResult).where(LotResult.lot_id == w.lot.id))}
    a, b, c, d = (rows[bid.id] for bid in w.bids)
    # By hand: A 63 + 70/100 × 30 = 63 + 21 = 84; B 56 + 30 = 86. B first.
    assert (b.rank, a.rank) == (1, 2)
    assert b.is_eligible and a.is_eligible
    assert (a.quality_percent, a.quality_score) == (Decimal("90"), Decimal("63"))
    assert (a.price_score, a.total_score) == (Decimal("21"), Decimal("84"))
    assert (b.price_score, b.total_score) == (Decimal("30"), Decimal("86"))
    assert a.price_pence == 100_000_00 and a.submission_id == w.submissions[0].id
    assert c.is_eligible is False and c.rank is None and c.total_score is None
    assert c.reason.startswith("Failed pass or fail question 1 (")
    assert c.reason.endswith("No insurance certificate was provided.")
    assert d.is_eligible is False and d.rank is None and d.price_score is None
    assert d.reason == "Below the minimum quality score (30.00% of the quality marks, where 50% is needed)"
    completed = audit(db, "lot_evaluation.complete")
    assert completed[0].details["ranking"] == [w.bids[1].id, w.bids[0].id]
    with pytest.raises(RuleViolation, match="already complete"):
        moderation.complete(db, w.officer, load(db, w), w.lot, when(10))


def test_nothing_changes_once_the_lot_is_complete(db, world):
    w = world
    ready_for_moderation(db, w)
    moderation.start(db, w.officer, load(db, w), w.lot, when(5))
    db.commit()
    moderate_everything(db, w)
    scoring.confirm_prices(db, w.officers[1], load(db, w), w.lot, when(8))
    moderation.complete(db, w.officer, load(db, w), w.lot, when(9))
    db.commit()
    s = load(db, w)
    with pytest.raises(RuleViolation, match="complete"):
        moderation.moderate(db, w.officer, s, w.lot, entrant(s, w, 0), w.quality_questions[0], 5, "Why.", when(10))
    with pytest.raises(RuleViolation, match="Moderation has begun"):
        panel.appoint(
            db, w.officer, s, w.lot.id, factories.make_user(db, Role.EVALUATOR), PanelRole.QUALITY, [], when()
        )


# --- Constraints ---------------------------------------------------------------------------------


def test_one_score_per_evaluator_question_and_submission_in_the_database(db, scoring_world):
    w = scoring_world
    row = save(db, w, w.evaluators[0], 0, 0)
    db.add(
        Score(
            submission_id=row.submission_id,
            submission_sha256=row.submission_sha256,
            question_id=row.question_id,
            evaluator_id=row.evaluator_id,
            score=4,
            explanation=EXPLANATION,
        )
    )
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()
    assert count(db, Score) == 1


def test_an_answer_counting_in_two_lots_has_one_agreed_score_settled_everywhere(db, opened):
    """Each bid answers a question once: where it counts in two lots, its agreed score
    waits for both lots' evaluators, and cannot change once either lot is complete."""
    w = opened(lots=2, bids=2)
    first, second = w.evaluators
    lot_1, lot_2 = w.lots
    panel.appoint(db, w.officer, load(db, w), lot_1.id, first, PanelRole.QUALITY, [], when())
    panel.appoint(db, w.officer, load(db, w), lot_2.id, second, PanelRole.QUALITY, [], when())
    for lot in w.lots:
        panel.appoint(db, w.officer, load(db, w), lot.id, w.officers[1], PanelRole.PRICE, [], when())
    db.commit()
    for user in (first, second, w.officers[1]):
        declare_none(db, w, user)
    question = w.quality_questions[0]
    for user, lot in ((first, lot_1), (second, lot_2)):
        s = load(db, w, scores_of=user.id)
        member = scoring.quality_membership(s, user, lot)
        for bid, q in s.assignments(member):
            scoring.save_score(db, user, s, lot, bid, q, 3, EXPLANATION, "", bid.sha256, when(1))
        db.commit()
    scoring.submit_scores(db, first, load(db, w, scores_of=first.id), lot_1, when(2))
    db.commit()
    moderation.start(db, w.officer, load(db, w), lot_1, when(3))
    db.commit()
    s = load(db, w)
    bid = entrant(s, w, 0)
    with pytest.raises(RuleViolation, match="also counts in lot 2: wait for"):
        moderation.moderate(db, w.officer, s, lot_1, bid, question, 3, "", when(4))
    db.rollback()

    scoring.submit_scores(db, second, load(db, w, scores_of=second.id), lot_2, when(5))
    db.commit()
    moderation.start(db, w.officer, load(db, w), lot_2, when(6))
    for answer_bid, q in load(db, w).answers_to_moderate(lot_2):
        moderation.moderate(db, w.officer, load(db, w), lot_2, answer_bid, q, 3, "", when(7))
    for lot in w.lots:
        scoring.confirm_prices(db, w.officers[1], load(db, w), lot, when(7))
    db.commit()
    moderation.complete(db, w.officer, load(db, w), lot_2, when(8))
    db.commit()
    s = load(db, w)
    with pytest.raises(RuleViolation, match="also counts in lot 2, whose evaluation is complete"):
        moderation.moderate(db, w.officer, s, lot_1, entrant(s, w, 0), question, 1, "Lower on reflection.", when(9))
    db.rollback()
    assert load(db, w).moderated_score(entrant(load(db, w), w, 0), question).score == 3
