"""flask demo load: the council, districts, providers and staff, loaded idempotently."""

from __future__ import annotations

from sqlalchemy import func, select

from portal import clock
from portal.accounts.models import Role, User
from portal.bids.models import Bid, BidOpening, BidStatus, Submission
from portal.bids.submission import content_hash
from portal.demo import DEMO_PASSWORD, KENT_DISTRICTS
from portal.evaluation import demo_data as evaluation_demo
from portal.evaluation import state
from portal.evaluation.models import PanelMember, PanelRole
from portal.providers.models import District, Organisation
from portal.tenders.models import Tender, TenderStatus
from tests.support import post_form


def table_counts(db):
    return tuple(
        db.scalar(select(func.count()).select_from(model))
        for model in (District, Organisation, User, Tender, Bid, Submission, BidOpening, PanelMember)
    )


def test_demo_load_is_idempotent_and_prints_sign_in_details(app, db, client):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    counts = table_counts(db)
    assert counts[0] == len(KENT_DISTRICTS) == 12
    assert DEMO_PASSWORD in first.output and "officer@kent.example.gov.uk" in first.output
    roles = set(db.scalars(select(User.role)))
    assert roles == {Role.PROVIDER, Role.OFFICER, Role.EVALUATOR, Role.ADMIN}

    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    assert table_counts(db) == counts

    for email in ("officer@kent.example.gov.uk", "provider@medway-young-carers.example.org"):
        response = post_form(client, "/sign-in", {"email": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302
        post_form(client, "/sign-out", {}, form_url="/account")


def test_demo_has_a_tender_with_opened_bids_ready_to_evaluate(app, db):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    tender = db.scalar(select(Tender).where(Tender.reference == evaluation_demo.REFERENCE))
    assert tender is not None and tender.status is TenderStatus.EVALUATION
    assert tender.submission_deadline < clock.now() and tender.evaluation_started_at >= tender.submission_deadline
    assert tender.tie_break is not None
    assert len(set(db.scalars(select(BidOpening.officer_id).where(BidOpening.tender_id == tender.id)))) == 2

    bids = db.scalars(select(Bid).where(Bid.tender_id == tender.id)).all()
    assert len(bids) == len(evaluation_demo.BIDS) and all(b.status is BidStatus.SUBMITTED for b in bids)
    for bid in bids:
        (submission,) = bid.submissions
        assert submission.submitted_at < tender.submission_deadline
        assert submission.sha256 == content_hash(submission.content)

    evaluation = state.load(db, tender)
    evaluators = {u.id for u in db.scalars(select(User).where(User.role == Role.EVALUATOR))}
    assert len(evaluators) >= 2
    for lot in evaluation.lots:
        assert {m.user_id for m in evaluation.panel(lot, PanelRole.QUALITY)} == evaluators
        assert len(evaluation.panel(lot, PanelRole.PRICE)) == 1
        assert sum(q.weight for q in evaluation.quality_questions(lot)) == 100
        assert len(evaluation.bids_going_forward(lot)) >= 2  # something to score and rank at once
    # One bid failed a pass or fail answer: the officer has a selection decision to make.
    assert [b.organisation for b in evaluation.bids if evaluation.selection(b).status == state.PENDING] == [
        "Ashford Sunflower Play Scheme"
    ]

    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    assert db.scalar(select(func.count(Tender.id)).where(Tender.reference == evaluation_demo.REFERENCE)) == 1
    assert db.scalar(select(func.count(PanelMember.id)).where(PanelMember.tender_id == tender.id)) == len(
        evaluation.members
    )


def test_db_is_empty_command(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "is-empty"]).exit_code == 0
    runner.invoke(args=["demo", "load"])
    assert runner.invoke(args=["db", "is-empty"]).exit_code == 1


def test_demo_has_a_tender_evaluated_and_ready_to_award(app, db):
    from portal.awards import demo_data as award_demo
    from portal.evaluation.models import LotEvaluation, LotEvaluationStatus, LotResult, Score

    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    tender = db.scalar(select(Tender).where(Tender.reference == award_demo.REFERENCE))
    assert tender is not None and tender.status is TenderStatus.EVALUATION
    statuses = db.scalars(select(LotEvaluation.status).where(LotEvaluation.tender_id == tender.id)).all()
    assert len(statuses) == len(tender.lots) and set(statuses) == {LotEvaluationStatus.COMPLETE}
    for lot in tender.lots:
        ranks = db.scalars(select(LotResult.rank).where(LotResult.lot_id == lot.id, LotResult.rank.is_not(None))).all()
        assert sorted(ranks) == list(range(1, len(ranks) + 1)) and len(ranks) >= 2
    # Both evaluators' scores are on record, locked, beside the agreed ones.
    evaluators = db.scalars(select(User.id).where(User.role == Role.EVALUATOR)).all()
    scorers = set(db.scalars(select(Score.evaluator_id).where(Score.locked_at.is_not(None))))
    assert set(evaluators) <= scorers
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    assert db.scalar(select(func.count()).select_from(Tender).where(Tender.reference == award_demo.REFERENCE)) == 1
