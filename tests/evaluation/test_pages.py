"""The evaluation pages, end to end through HTTP: two evaluators declare and score
independently, the officer decides selection, moderates and completes the lot,
and the ranking follows. Blindness is checked by crawling every page an
evaluator can reach while the other has scores on record."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook
from sqlalchemy import func, select

from portal.evaluation.models import LotEvaluation, LotEvaluationStatus, LotResult, ModeratedScore, Score
from tests.support import csrf_token_from, post_form, sign_in_through_session

EXPLANATION = "The bid names weekly outreach at schools and food banks and a follow-up for every referral made."


def legends_have_text(html: str) -> bool:
    """Every fieldset's legend says what the group asks (axe has no rule for an empty legend)."""
    legends = re.findall(r"<legend[^>]*>(.*?)</legend>", html, re.S)
    return all(re.sub(r"<[^>]+>", "", legend).strip() for legend in legends)


def client_for(app, user):
    client = app.test_client()
    sign_in_through_session(client, user)
    return client


def appoint(officer, world, user, role="QUALITY", lot=None):
    lot = lot or world.lots[0]
    url = f"/tenders/{world.tender.id}/evaluation/lots/{lot.id}/panel"
    response = post_form(officer, url, {"user_id": user.id, "role": role})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response


def declare(client, world, interests=None):
    interests = interests or {}
    data = {}
    for org in world.organisations:
        if org.id in interests:
            data[f"interest_{org.id}"] = "yes"
            data[f"details_{org.id}"] = interests[org.id]
        else:
            data[f"interest_{org.id}"] = "no"
    return post_form(client, f"/evaluation/tenders/{world.tender.id}/declaration", data)


def score(client, world, bid, question, value, explanation=EXPLANATION, lot=None, **extra):
    lot = lot or world.lots[0]
    url = f"/evaluation/lots/{lot.id}/bids/{bid.id}/questions/{question.id}"
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    html = page.get_data(as_text=True)
    assert legends_have_text(html), url
    sha = re.search(r'name="submission_sha256" type="hidden" value="([0-9a-f]+)"', html) or re.search(
        r'name="submission_sha256" value="([0-9a-f]+)"', html
    )
    data = {
        "csrf_token": csrf_token_from(html),
        "score": str(value),
        "explanation": explanation,
        "improvement": "",
        "submission_sha256": sha.group(1) if sha else "",
        **extra,
    }
    return client.post(url, data=data)


def test_the_whole_evaluation_through_the_pages(app, db, opened):
    world = opened(bids=3, passes=[True, True, False])
    officer = client_for(app, world.officers[0])
    first, second = (client_for(app, e) for e in world.evaluators)
    for evaluator in world.evaluators:
        appoint(officer, world, evaluator)
    appoint(officer, world, world.officers[1], role="PRICE")

    # Nothing of the bids before declaring.
    home = first.get("/evaluation/")
    assert home.status_code == 200 and "Declare your interests" in home.get_data(as_text=True)
    q1, q2 = world.quality_questions
    bid_a, bid_b, bid_c = world.bids
    url = f"/evaluation/lots/{world.lots[0].id}/bids/{bid_a.id}/questions/{q1.id}"
    assert first.get(url).status_code == 404

    declaration_page = first.get(f"/evaluation/tenders/{world.tender.id}/declaration").get_data(as_text=True)
    assert "<legend" in declaration_page and legends_have_text(declaration_page)
    panel_page = officer.get(f"/tenders/{world.tender.id}/evaluation/lots/{world.lots[0].id}/panel")
    assert legends_have_text(panel_page.get_data(as_text=True))
    # A declaration must answer for every organisation.
    refused = post_form(first, f"/evaluation/tenders/{world.tender.id}/declaration", {})
    assert refused.status_code == 400 and "govuk-error-summary" in refused.get_data(as_text=True)
    assert declare(first, world).status_code == 302
    # The second evaluator declares an interest in the first bidder.
    assert declare(second, world, {world.organisations[0].id: "My sister chairs its trustees."}).status_code == 302
    assert second.get(url).status_code == 404  # conflicted: not theirs to see

    # The third bid failed its pass or fail answer: held back until the officer decides.
    bid_c_url = f"/evaluation/lots/{world.lots[0].id}/bids/{bid_c.id}/questions/{q1.id}"
    assert first.get(bid_c_url).status_code == 404
    pf = world.pass_fail_questions[0]
    decided = post_form(
        officer,
        f"/tenders/{world.tender.id}/evaluation/selection/{bid_c.id}/{pf.id}",
        {"decision": "uphold", "reason": "No safeguarding policy was in place."},
    )
    assert decided.status_code == 302

    # Bad input: off the scale, too short an explanation; nothing saved.
    assert score(first, world, bid_a, q1, 9).status_code == 400
    assert score(first, world, bid_a, q1, 3, explanation="Good.").status_code == 400
    assert db.scalar(select(func.count()).select_from(Score)) == 0

    # "Save and continue" goes on to the next answer not yet scored; the last goes back to the lot.
    lot_url = f"/evaluation/lots/{world.lots[0].id}"
    for (bid, q, value), following in zip(
        ((bid_a, q1, 4), (bid_a, q2, 3), (bid_b, q1, 2), (bid_b, q2, 5)),
        (
            f"/bids/{bid_a.id}/questions/{q2.id}",
            f"/bids/{bid_b.id}/questions/{q1.id}",
            f"/bids/{bid_b.id}/questions/{q2.id}",
            "",
        ),
        strict=True,
    ):
        saved = score(first, world, bid, q, value)
        assert saved.status_code == 302 and saved.headers["Location"].endswith(lot_url + following)
    for bid, q, value in ((bid_b, q1, 3), (bid_b, q2, 5)):
        assert score(second, world, bid, q, value).status_code == 302

    # Blind: nothing the first evaluator can reach shows the second's explanations or scores.
    second_marker = "SECOND-EVALUATOR-ONLY"
    db.execute(
        Score.__table__.update()
        .where(Score.evaluator_id == world.evaluators[1].id)
        .values(explanation=f"{second_marker} {EXPLANATION}")
    )
    db.commit()
    for page in (
        "/evaluation/",
        f"/evaluation/lots/{world.lots[0].id}",
        f"/evaluation/lots/{world.lots[0].id}/bids/{bid_b.id}/questions/{q1.id}",
        f"/evaluation/lots/{world.lots[0].id}/bids/{bid_b.id}/questions/{q2.id}",
        f"/tenders/{world.tender.id}/evaluation",
        f"/tenders/{world.tender.id}/evaluation/record.xlsx",
    ):
        body = first.get(page).get_data(as_text=True)
        assert second_marker not in body, page

    # Moderation cannot begin until both have submitted.
    start_url = f"/tenders/{world.tender.id}/evaluation/lots/{world.lots[0].id}/moderation/start"
    progress_url = f"/tenders/{world.tender.id}/evaluation"
    early = post_form(officer, start_url, {}, form_url=progress_url)
    assert early.status_code == 400 and "Waiting for scores" in early.get_data(as_text=True)
    for client in (first, second):
        submitted = post_form(
            client, f"/evaluation/lots/{world.lots[0].id}/submit", {}, form_url=f"/evaluation/lots/{world.lots[0].id}"
        )
        assert submitted.status_code == 302
    # Locked: a further save is refused.
    assert score(first, world, bid_a, q1, 1).status_code in (400, 200)
    assert (
        db.scalar(
            select(Score.score).where(
                Score.evaluator_id == world.evaluators[0].id,
                Score.question_id == q1.id,
                Score.submission_id == world.submissions[0].id,
            )
        )
        == 4
    )

    assert post_form(officer, start_url, {}, form_url=progress_url).status_code == 302
    moderation = f"/tenders/{world.tender.id}/evaluation/lots/{world.lots[0].id}/moderation"
    page = officer.get(moderation).get_data(as_text=True)
    assert "SECOND-EVALUATOR-ONLY" not in page  # scores, not explanations, on the list
    moderate_b_q1 = f"{moderation}/{bid_b.id}/{q1.id}"
    sheet = officer.get(moderate_b_q1).get_data(as_text=True)
    assert legends_have_text(sheet)
    assert second_marker in sheet and "spread 1" in sheet
    no_reason = post_form(officer, moderate_b_q1, {"score": "3", "reason": ""})
    assert no_reason.status_code == 400
    for bid, q, value in ((bid_a, q1, 4), (bid_a, q2, 3), (bid_b, q1, 3), (bid_b, q2, 5)):
        reason = "" if (bid, q) != (bid_b, q1) else "Agreed at the panel: the follow-up is evidenced."
        assert (
            post_form(officer, f"{moderation}/{bid.id}/{q.id}", {"score": str(value), "reason": reason}).status_code
            == 302
        )

    complete_url = f"/tenders/{world.tender.id}/evaluation/lots/{world.lots[0].id}/complete"
    blocked = post_form(officer, complete_url, {}, form_url=moderation)
    assert blocked.status_code == 400 and "price evaluator" in blocked.get_data(as_text=True)
    price_checker = client_for(app, world.officers[1])
    assert declare(price_checker, world).status_code == 302
    assert post_form(price_checker, f"/evaluation/lots/{world.lots[0].id}/prices", {}).status_code == 302
    assert post_form(officer, complete_url, {}, form_url=moderation).status_code == 302

    status = db.scalar(select(LotEvaluation.status).where(LotEvaluation.lot_id == world.lots[0].id))
    assert status is LotEvaluationStatus.COMPLETE
    results = db.scalars(select(LotResult).order_by(LotResult.bid_id)).all()
    assert [(r.bid_id, r.rank, r.is_eligible) for r in results] == [
        (bid_a.id, 2, True),
        (bid_b.id, 1, True),
        (bid_c.id, None, False),
    ]
    assert "No safeguarding policy" in results[2].reason
    assert db.scalar(select(func.count()).select_from(ModeratedScore)) == 4
    individual = db.scalar(
        select(Score.score).where(
            Score.evaluator_id == world.evaluators[0].id,
            Score.submission_id == world.submissions[1].id,
            Score.question_id == q1.id,
        )
    )
    assert individual == 2  # kept as it was, beside the agreed 3

    progress = officer.get(progress_url).get_data(as_text=True)
    assert 'id="ranking-1"' in progress
    record = officer.get(f"/tenders/{world.tender.id}/evaluation/record.xlsx")
    assert record.status_code == 200
    workbook = load_workbook(io.BytesIO(record.get_data()))
    assert workbook.sheetnames == ["Individual scores", "Moderated scores", "Results", "Selection", "Declarations"]
    assert workbook["Individual scores"].max_row == 1 + 6
    assert workbook["Results"].max_row == 1 + 3


def test_evaluators_cannot_reach_officer_pages_nor_the_whole_bids(app, db, world):
    evaluator = client_for(app, world.evaluators[0])
    for url in (
        f"/tenders/{world.tender.id}/evaluation",
        f"/tenders/{world.tender.id}/evaluation/record.xlsx",
        f"/tenders/{world.tender.id}/bids",
        f"/tenders/{world.tender.id}/bids/{world.bids[0].id}",
    ):
        assert evaluator.get(url).status_code == 403, url


def test_someone_not_on_the_panel_sees_nothing(app, db, world):
    outsider = client_for(app, world.evaluators[1])
    officer = client_for(app, world.officers[0])
    appoint(officer, world, world.evaluators[0])
    assert outsider.get(f"/evaluation/lots/{world.lots[0].id}").status_code == 404
    assert outsider.get(f"/evaluation/tenders/{world.tender.id}/declaration").status_code == 404
    home = outsider.get("/evaluation/").get_data(as_text=True)
    assert "not on any evaluation panel" in home


def test_the_record_neutralises_formulas(app, db, world):
    from portal.evaluation.models import PanelMember, PanelRole

    lot, evaluator = world.lots[0], world.evaluators[0]
    db.add(PanelMember(tender_id=world.tender.id, lot_id=lot.id, user_id=evaluator.id, role=PanelRole.QUALITY))
    db.add(
        Score(
            submission_id=world.submissions[0].id,
            submission_sha256=world.submissions[0].sha256,
            question_id=world.quality_questions[0].id,
            evaluator_id=evaluator.id,
            score=3,
            explanation='=HYPERLINK("http://evil.example","click")',
            improvement="+1 more",
        )
    )
    db.commit()
    officer = client_for(app, world.officers[0])
    record = officer.get(f"/tenders/{world.tender.id}/evaluation/record.xlsx")
    assert record.headers["Content-Disposition"].startswith("attachment;")
    sheet = load_workbook(io.BytesIO(record.get_data()))["Individual scores"]
    row = [cell.value for cell in sheet[2]]
    assert row[4] == '\'=HYPERLINK("http://evil.example","click")' and row[5] == "'+1 more"
    assert sheet.cell(row=2, column=5).data_type == "s"  # text, not a formula
