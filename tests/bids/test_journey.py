"""The bid journey never throws text away and always shows the next step:
"Save and come back later", "In progress" for partly written answers, short
titles (never a word cut in half), error summary items that link to their
task, "Check and submit" offered only once the bid can be submitted, how a
question is scored, a failing selection answer said at once, plain words for
the deadline and hashes, and "What happens next" on the receipt."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

import pytest
from sqlalchemy import select

from portal.bids import display
from portal.bids.models import BidAnswer
from portal.tenders.models import Question
from tests.bids.conftest import FIRST_LIMIT, answer, post_page, questions_of
from tests.support import count_queries, csrf_token_from


def text_of(response) -> str:
    return unescape(response.get_data(as_text=True))


def task(page: str, title: str) -> str:
    """The task list item whose title is ``title``: its markup up to the next item."""
    start = page.index(f">{title}<") if f">{title}<" in page else page.index(title)
    item_start = page.rfind('<li class="govuk-task-list__item', 0, start)
    item_end = page.find("</li>", start)
    return page[item_start:item_end]


def later(client, bid_id: int, question_id: int, value: str):
    return answer(client, bid_id, question_id, value, action="later")


@pytest.fixture
def bid(client, tender, provider, login_as, start_bid):
    login_as(provider)
    return start_bid(client, tender)


# --- Short titles, never a word cut in half ------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Short enough?", "Short enough?"),
        (
            "Does your organisation have a safeguarding children policy, approved by its board?",
            "Does your organisation have a safeguarding children policy\u2026",
        ),
        (
            "Has your organisation, or any of its directors or trustees, been convicted of an offence?",
            "Has your organisation, or any of its directors or trustees\u2026",
        ),
        ("Supercalifragilisticexpialidocious" * 3, "Supercalifragilisticexpialidocious" * 3),
    ],
)
def test_first_words_end_at_a_word(text, expected):
    shown = display.first_words(text)
    assert shown == expected
    assert len(shown) <= display.TITLE_CHARACTERS or " " not in shown
    if shown.endswith("\u2026"):
        kept = shown[:-1]
        assert text.startswith(kept) and text[len(kept)] in " ,;:."  # whole words only, none cut


def test_a_question_without_a_short_title_is_named_by_its_first_words(
    client, db, open_tender, provider, login_as, start_bid
):
    tender = open_tender()
    selection, _first, _second = questions_of(tender)
    selection.text = (
        "Has your organisation, or any of its directors or trustees, been convicted of an offence that is a "
        "mandatory exclusion ground under the Procurement Act 2023?"
    )
    db.commit()
    login_as(provider)
    bid = start_bid(client, tender)
    name = "Has your organisation, or any of its directors or trustees\u2026"
    task_list = text_of(client.get(f"/bids/{bid.id}"))
    assert f">{name}<" in task_list.replace("\n", "").replace("  ", "")
    assert ">Safeguarding<" in task_list.replace("\n", "").replace("  ", "")  # the short title
    assert "How will you safeguard children?" not in task_list
    check = text_of(client.get(f"/bids/{bid.id}/submit"))
    assert f"Answer the selection question \u201c{name}\u201d" in check
    assert "convicted of an\u201d" not in check  # the old cut, mid-sentence
    page = text_of(client.get(f"/bids/{bid.id}/questions/{selection.id}"))
    assert f'<h1 class="govuk-heading-l">{name}</h1>' in page
    assert "mandatory exclusion ground under the Procurement Act 2023?" in page  # the whole question below


def test_the_question_page_has_the_short_title_the_whole_question_and_how_it_is_scored(app, client, db, tender, bid):
    _selection, first, _second = questions_of(tender)
    url = f"/bids/{bid.id}/questions/{first.id}"
    page = text_of(client.get(url))
    assert "<title>Reaching families \u2013" in page
    assert '<h1 class="govuk-heading-l">Reaching families</h1>' in page
    assert '<p class="govuk-body" id="question-text">How will you reach families who do not ask for help?</p>' in page
    details = page.split('id="scoring"', 1)[1].split("</details>", 1)[0]
    assert "How this question is scored" in details
    assert "This question carries <strong>60%</strong> of the quality marks" in details
    for score, meaning in tender.score_descriptors.items():
        assert f">{score}</dt>" in details and meaning in details
    # "Save and come back later" instead of a link that threw the text away.
    assert 'value="later" name="action"' in page and "Save and come back later" in page
    assert "without saving" not in page
    with count_queries(app) as statements:
        client.get(url)
    before = len(statements)
    first.minimum_score = 2
    db.commit()
    with count_queries(app) as statements:
        assert "A bid scoring less than 2 on this question" in text_of(client.get(url))
    assert len(statements) == before


def test_the_question_page_numbers_only_the_questions_for_the_lots_chosen(client, db, tender, bid):
    """A quality question asked only for a lot the bid did not choose has no number, and the
    others are counted without it; the lots a question is asked for are named."""
    _selection, first, second = questions_of(tender)
    lot_1, lot_2 = sorted(tender.lots, key=lambda lot: lot.number)
    first.lots = [lot_2]
    second.lots = [lot_2, lot_1]
    db.commit()
    assert post_page(client, f"/bids/{bid.id}/lots", {"lot_ids": [str(lot_1.id)]}).status_code == 302
    page = text_of(client.get(f"/bids/{bid.id}/questions/{first.id}"))
    assert '<span class="govuk-caption-l">quality question</span>' in page
    assert "of the quality marks for lot 2." in page
    page = text_of(client.get(f"/bids/{bid.id}/questions/{second.id}"))
    assert '<span class="govuk-caption-l">Question 2 of 2: quality question</span>' in page
    assert "of the quality marks for lot 1, lot 2." in page


# --- Save and come back later; "In progress" ------------------------------------------------------


def test_save_and_come_back_later_keeps_the_text_and_shows_in_progress(client, db, tender, bid, complete_bid):
    _selection, first, _second = questions_of(tender)
    too_long = " ".join(["word"] * (FIRST_LIMIT + 5))  # over the limit: kept for later, not refused
    response = later(client, bid.id, first.id, too_long)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/bids/{bid.id}")
    saved = db.scalar(select(BidAnswer).where(BidAnswer.bid_id == bid.id, BidAnswer.question_id == first.id))
    assert saved.text == too_long and saved.is_complete is False
    task_list = text_of(client.get(f"/bids/{bid.id}"))
    assert "Your answer has been saved. You can come back to this bid until midday on 21 December 2026." in task_list
    assert "In progress" in task(task_list, "Reaching families")

    # A partly written answer within the limit is still in progress until saved as done.
    assert later(client, bid.id, first.id, "We visit schools").status_code == 302
    assert "In progress" in task(text_of(client.get(f"/bids/{bid.id}")), "Reaching families")
    complete_bid(client, bid, tender)  # every task done, the first answer saved with "Save and continue"
    assert "Completed" in task(text_of(client.get(f"/bids/{bid.id}")), "Reaching families")

    assert later(client, bid.id, first.id, "We visit schools, then").status_code == 302
    check = text_of(client.get(f"/bids/{bid.id}/submit"))
    assert (
        f'<a class="govuk-link" href="/bids/{bid.id}/questions/{first.id}">'
        "Finish your answer to \u201cReaching families\u201d</a>" in check
    )
    assert "Submit bid" not in check


def test_over_the_limit_is_refused_on_save_and_continue(client, db, tender, bid):
    _selection, first, _second = questions_of(tender)
    too_long = " ".join(["word"] * (FIRST_LIMIT + 5))
    refused = answer(client, bid.id, first.id, too_long)
    assert refused.status_code == 400 and too_long in text_of(refused)
    assert db.scalar(select(BidAnswer).where(BidAnswer.bid_id == bid.id)) is None


def test_come_back_later_on_a_selection_question_with_nothing_chosen_saves_nothing(client, db, tender, bid):
    selection, _first, _second = questions_of(tender)
    response = later(client, bid.id, selection.id, "")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/bids/{bid.id}")
    assert db.scalar(select(BidAnswer).where(BidAnswer.bid_id == bid.id)) is None


# --- Check and submit: offered when it can be done; errors link to their tasks -----------------------


def test_check_and_submit_is_not_offered_until_the_bid_can_be_submitted(client, db, tender, bid, complete_bid):
    page = text_of(client.get(f"/bids/{bid.id}"))
    item = task(page, "Check and submit your bid")
    assert "Cannot start yet" in item and "<a " not in item and "Complete the tasks above first" in item
    check = text_of(client.get(f"/bids/{bid.id}/submit"))  # reached by its address: what is missing, as links
    assert f'<a class="govuk-link" href="/bids/{bid.id}/declarations">Confirm the declarations</a>' in check
    assert "Submit bid" not in check

    complete_bid(client, bid, tender)
    item = task(text_of(client.get(f"/bids/{bid.id}")), "Check and submit your bid")
    assert f'href="/bids/{bid.id}/submit"' in item and "Ready to submit" in item
    assert "Submit bid" in text_of(client.get(f"/bids/{bid.id}/submit"))


# --- A failing selection answer, said at once ------------------------------------------------------


def test_a_disqualifying_answer_is_said_at_once(client, db, tender, bid):
    selection, first, _second = questions_of(tender)
    assert db.get(Question, selection.id).passing_answer is True
    response = answer(client, bid.id, selection.id, "no")
    url = f"/bids/{bid.id}/questions/{selection.id}"
    assert response.status_code == 302 and response.headers["Location"].endswith(url)  # not on to the next
    page = text_of(client.get(url))
    warning = page.split('id="fails-selection"', 1)[1]
    assert "Your answer means your bid fails this selection question" in warning
    assert f'href="/bids/{bid.id}/questions/{first.id}">Continue</a>' in warning

    response = answer(client, bid.id, selection.id, "yes")
    assert response.headers["Location"].endswith(f"/bids/{bid.id}/questions/{first.id}")
    assert 'id="fails-selection"' not in text_of(client.get(url))


# --- Plain words: hashes under "Technical details"; what happens next --------------------------------


def test_receipt_and_files_put_hashes_under_technical_details(client, db, open_tender, provider, login_as, start_bid):
    import io

    from tests.bids.conftest import post_page

    tender = open_tender(evaluation_date=date(2027, 1, 6), intended_award_date=date(2027, 1, 31))
    login_as(provider)
    bid = start_bid(client, tender)
    from tests.bids.conftest import answer as save

    lots = [lot.id for lot in tender.lots]
    selection, first, second = questions_of(tender)
    post_page(client, f"/bids/{bid.id}/lots", {"lot_ids": [str(i) for i in lots]})
    save(client, bid.id, selection.id, "yes")
    save(client, bid.id, first.id, "Outreach in schools.")
    save(client, bid.id, second.id, "DBS checks.")
    post_page(client, f"/bids/{bid.id}/prices", {f"price_{i}": "1000" for i in lots})
    post_page(client, f"/bids/{bid.id}/declarations", {"confirm": "y"})
    post_page(
        client,
        f"/bids/{bid.id}/files",
        {"title": "Plan", "file": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "plan.pdf")},
        content_type="multipart/form-data",
    )
    files = text_of(client.get(f"/bids/{bid.id}/files"))
    assert "SHA-256</th>" not in files
    technical = files.split('id="technical-details"', 1)[1].split("</details>", 1)[0]
    assert "Technical details" in technical and re.search(r"<code[^>]*>[0-9a-f]{64}</code>", technical)

    token = csrf_token_from(client.get(f"/bids/{bid.id}/submit").get_data(as_text=True))
    response = client.post(f"/bids/{bid.id}/submit", data={"csrf_token": token})
    assert response.status_code == 302
    receipt = text_of(client.get(response.headers["Location"]))
    before_details = receipt.split('id="technical-details"', 1)[0]
    assert "SHA-256" not in before_details and "server" not in before_details
    technical = receipt.split('id="technical-details"', 1)[1].split("</details>", 1)[0]
    assert "Technical details" in technical and 'id="sha256"' in technical
    next_steps = receipt.split('id="what-happens-next"', 1)[1]
    assert "The council plans to finish evaluating bids by 6 January 2027" in next_steps
    assert "Planned for 31 January 2027" in next_steps
    assert f'href="/bids/{bid.id}/withdraw">withdraw it</a> until midday on 21 December 2026' in receipt
