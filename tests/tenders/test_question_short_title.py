"""The officer's question form gives each question a short title: bidders see
it as the task's name and the question page's heading (tests/bids/test_journey.py)."""

from __future__ import annotations

from html import unescape

import pytest
from sqlalchemy import select

from portal.tenders.models import Question, QuestionKind
from tests.support import post_form


@pytest.fixture
def signed_in_officer(officer, login_as, clock_at):
    login_as(officer)
    return officer


def test_a_question_gets_a_short_title_which_can_be_changed_and_removed(client, db, signed_in_officer, make_tender):
    tender = make_tender()
    quality = next(s for s in tender.sections if s.kind is QuestionKind.QUALITY)
    url = f"/tenders/{tender.id}/questionnaire/sections/{quality.id}/questions/new"
    form = unescape(client.get(url).get_data(as_text=True))
    assert 'name="short_title"' in form and "Short title (optional)" in form
    response = post_form(
        client,
        url,
        {"short_title": "  Involving young people ", "text": "How will you involve young people?", "weight": "0"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    question = db.scalar(select(Question).where(Question.text == "How will you involve young people?"))
    assert question.short_title == "Involving young people"
    overview = unescape(client.get(f"/tenders/{tender.id}/questionnaire").get_data(as_text=True))
    assert "Involving young people" in overview

    edit = f"/tenders/{tender.id}/questionnaire/questions/{question.id}"
    assert 'value="Involving young people"' in client.get(edit).get_data(as_text=True)
    assert post_form(client, edit, {"short_title": "", "text": question.text, "weight": "0"}).status_code == 302
    db.expire_all()
    assert db.get(Question, question.id).short_title is None  # the bid pages then show its first words


def test_a_pass_or_fail_question_gets_one_too_and_a_long_one_is_refused(client, db, signed_in_officer, make_tender):
    tender = make_tender()
    selection = next(s for s in tender.sections if s.kind is QuestionKind.PASS_FAIL)
    url = f"/tenders/{tender.id}/questionnaire/sections/{selection.id}/questions/new"
    data = {"text": "Do you hold public liability insurance?", "passing_answer": "yes"}
    refused = post_form(client, url, {**data, "short_title": "x" * 81})
    assert refused.status_code == 400
    assert "Short title (optional) must be 80 characters or fewer" in unescape(refused.get_data(as_text=True))
    assert post_form(client, url, {**data, "short_title": "Insurance"}).status_code == 302
    question = db.scalar(select(Question).where(Question.text == data["text"]))
    assert question.short_title == "Insurance" and question.passing_answer is True
