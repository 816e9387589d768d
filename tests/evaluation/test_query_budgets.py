"""The evaluator's home, the score sheet, the officer's progress page, the
moderation list and the evaluation record run the same number of SQL queries with
2 bids as with 50: everything a page shows is loaded by ``state.load`` in a fixed
number of queries, whatever the number of bids, scores or declarations."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.evaluation import conflicts, moderation, scoring
from portal.evaluation.models import PanelMember, PanelRole
from portal.evaluation.state import load
from tests.evaluation.test_pages import EXPLANATION, client_for
from tests.evaluation.world import build_opened_tender
from tests.factories import NOW
from tests.support import count_queries


def _ready(app, db, bids: int):
    """A tender with ``bids`` bids, both evaluators declared, every answer scored and
    submitted, moderation begun: every page has the most it can show."""
    world = build_opened_tender(app, db, bids=bids, passes=[True] * (bids - 1) + [False])
    lot = world.lots[0]
    officer = world.officers[0]
    for evaluator in world.evaluators:
        db.add(PanelMember(tender_id=world.tender.id, lot_id=lot.id, user_id=evaluator.id, role=PanelRole.QUALITY))
    db.add(PanelMember(tender_id=world.tender.id, lot_id=lot.id, user_id=world.officers[1].id, role=PanelRole.PRICE))
    db.flush()
    with app.app_context():
        for evaluator in world.evaluators:
            state = load(db, world.tender)
            conflicts.declare(db, evaluator, state, {org.id: (False, "") for org in world.organisations}, NOW)
        state = load(db, world.tender)
        failed = state.bid(world.bids[-1].id)
        from portal.evaluation import selection

        selection.decide(db, officer, state, failed, world.pass_fail_questions[0], True, "No policy.", NOW)
        for evaluator in world.evaluators:
            state = load(db, world.tender, scores_of=evaluator.id)
            member = next(m for m in state.memberships(evaluator.id))
            for bid, question in state.assignments(member):
                scoring.save_score(db, evaluator, state, lot, bid, question, 3, EXPLANATION, "", bid.sha256, NOW)
            state = load(db, world.tender, scores_of=evaluator.id)
            scoring.submit_scores(db, evaluator, state, lot, NOW)
        moderation.start(db, officer, load(db, world.tender), lot, NOW)
    db.commit()
    return world


def _queries(app, client, url: str) -> int:
    with count_queries(app) as statements:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(statements)


@pytest.mark.parametrize(
    "page",
    ["evaluator home", "score sheet", "evaluator lot", "officer progress", "moderation", "moderation sheet", "record"],
)
def test_pages_run_the_same_number_of_queries_with_2_and_50_bids(app, db, page):
    counts = []
    for bids in (2, 50):
        world = _ready(app, db, bids)
        tender, lot, bid, question = world.tender, world.lots[0], world.bids[0], world.quality_questions[0]
        evaluator = client_for(app, world.evaluators[0])
        officer = client_for(app, world.officers[0])
        client, url = {
            "evaluator home": (evaluator, "/evaluation/"),
            "score sheet": (evaluator, f"/evaluation/lots/{lot.id}/bids/{bid.id}/questions/{question.id}"),
            "evaluator lot": (evaluator, f"/evaluation/lots/{lot.id}"),
            "officer progress": (officer, f"/tenders/{tender.id}/evaluation"),
            "moderation": (officer, f"/tenders/{tender.id}/evaluation/lots/{lot.id}/moderation"),
            "moderation sheet": (
                officer,
                f"/tenders/{tender.id}/evaluation/lots/{lot.id}/moderation/{bid.id}/{question.id}",
            ),
            "record": (officer, f"/tenders/{tender.id}/evaluation/record.xlsx"),
        }[page]
        client.get(url)  # the first request warms what is loaded once per process
        counts.append(_queries(app, client, url))
        assert db.scalar(select(PanelMember.id).where(PanelMember.tender_id == tender.id)) is not None
    assert counts[0] == counts[1], f"{page}: {counts[0]} queries with 2 bids, {counts[1]} with 50"
