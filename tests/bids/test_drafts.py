"""Drafts: start, save, leave and resume; colleagues' edit conflicts; a session
that ends mid-answer; earlier answers copied in; answers refused."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

from sqlalchemy import func, select

from portal.bids.models import Bid, BidAnswer, PendingSave
from portal.tenders.models import Interest, TenderStatus
from tests.bids.conftest import DEADLINE, answer, hidden, questions_of
from tests.conftest import PASSWORD
from tests.support import csrf_token_from


def text_of(response) -> str:
    return unescape(response.get_data(as_text=True))


def test_start_save_leave_and_resume(app, client, db, tender, provider, colleague, login_as, start_bid):
    login_as(provider)
    bid = start_bid(client, tender)
    assert bid.organisation_id == provider.organisation_id and bid.status.name == "DRAFT"
    assert db.scalar(select(Interest).where(Interest.tender_id == tender.id))  # starting registers interest
    again = start_bid(client, tender)
    assert again.id == bid.id  # one bid per organisation

    task_list = text_of(client.get(f"/bids/{bid.id}"))
    assert "Not started" in task_list and "Closes in 28 days" in task_list
    assert (
        "Bids must be submitted by midday on 21 December 2026. We go by the time our system receives your bid"
        in task_list
    )
    assert "server" not in task_list.lower()  # no developer language

    _selection, first, second = questions_of(tender)
    saved = answer(client, bid.id, first.id, "Outreach in schools and surgeries.")
    assert saved.status_code == 302
    assert saved.headers["Location"].endswith(f"/bids/{bid.id}/questions/{second.id}")  # the next unanswered one

    # Leave, and come back in another browser as a colleague: the text is there.
    other = app.test_client()
    login_as_colleague = other.post(
        "/sign-in",
        data={
            "email": colleague.email,
            "password": PASSWORD,
            "csrf_token": csrf_token_from(other.get("/sign-in").get_data(as_text=True)),
        },
    )
    assert login_as_colleague.status_code == 302
    page = text_of(other.get(f"/bids/{bid.id}/questions/{first.id}"))
    assert "Outreach in schools and surgeries." in page
    assert 'data-maxwords="20"' in page and "govuk-character-count" in page  # the live word count
    assert "Describe your outreach." in page
    assert "Completed" in text_of(other.get(f"/bids/{bid.id}"))


def test_over_long_answer_is_refused_and_kept_in_the_box(client, db, tender, provider, login_as, start_bid):
    login_as(provider)
    bid = start_bid(client, tender)
    _selection, first, _second = questions_of(tender)
    long_text = " ".join(f"word{i}" for i in range(21))
    response = answer(client, bid.id, first.id, long_text)
    assert response.status_code == 400
    page = text_of(response)
    assert "Your answer is 21 words: it must be 20 words or fewer" in page
    assert long_text in page  # kept in the textarea
    assert db.scalar(select(func.count(BidAnswer.id))) == 0

    huge = "a" * 50_001
    response = answer(client, bid.id, first.id, huge)
    assert response.status_code == 400 and "50,000 characters or fewer" in text_of(response)
    assert db.scalar(select(func.count(BidAnswer.id))) == 0


def test_selection_question_needs_yes_or_no(client, db, tender, provider, login_as, start_bid):
    login_as(provider)
    bid = start_bid(client, tender)
    selection, _first, _second = questions_of(tender)
    assert answer(client, bid.id, selection.id, "").status_code == 400
    assert answer(client, bid.id, selection.id, "maybe").status_code == 400
    assert db.scalar(select(func.count(BidAnswer.id))) == 0
    assert answer(client, bid.id, selection.id, "no").status_code == 302
    warning = text_of(client.get(f"/bids/{bid.id}"))
    assert "does not meet this requirement" in warning  # a failing selection answer is flagged


def test_edit_conflict_keeps_both_texts(app, db, tender, provider, colleague, start_bid):
    from tests.support import post_form

    first_client, second_client = app.test_client(), app.test_client()
    for c, user in ((first_client, provider), (second_client, colleague)):
        assert post_form(c, "/sign-in", {"email": user.email, "password": PASSWORD}).status_code == 302
    bid = start_bid(first_client, tender)
    _selection, question, _second = questions_of(tender)
    url = f"/bids/{bid.id}/questions/{question.id}"
    assert answer(first_client, bid.id, question.id, "First draft.").status_code == 302

    # Both open the page at version 1.
    page_a = first_client.get(url).get_data(as_text=True)
    page_b = second_client.get(url).get_data(as_text=True)
    assert hidden(page_a, "base_version") == hidden(page_b, "base_version") == "1"

    def save(c, page, text, action="save"):
        return c.post(
            url,
            data={
                "csrf_token": csrf_token_from(page),
                "base_version": hidden(page, "base_version"),
                "draft_token": hidden(page, "draft_token"),
                "answer": text,
                "action": action,
            },
        )

    assert save(first_client, page_a, "Provider's improved text.").status_code == 302
    conflict = save(second_client, page_b, "Colleague's different text.")
    assert conflict.status_code == 409
    shown = text_of(conflict)
    assert "Provider's improved text." in shown and "Colleague's different text." in shown
    assert "Saved by a colleague" in shown and "Keep my text" in shown and "Use my colleague's text" in shown
    db.expire_all()
    saved = db.scalar(select(BidAnswer).where(BidAnswer.bid_id == bid.id, BidAnswer.question_id == question.id))
    assert saved.text == "Provider's improved text." and saved.version == 2  # nothing overwritten

    # "Use my colleague's text" writes nothing.
    conflict_page = conflict.get_data(as_text=True)
    assert hidden(conflict_page, "base_version") == "2"
    assert save(second_client, conflict_page, "Colleague's different text.", "theirs").status_code == 302
    db.expire_all()
    assert db.get(BidAnswer, saved.id).text == "Provider's improved text."

    # "Keep my text" saves over it, on purpose.
    assert save(second_client, conflict_page, "Colleague's different text.", "force").status_code == 302
    db.expire_all()
    kept = db.get(BidAnswer, saved.id)
    assert kept.text == "Colleague's different text." and kept.version == 3 and kept.updated_by_id == colleague.id


def test_session_timeout_keeps_what_was_typed(app, db, tender, provider, start_bid):
    from tests.support import post_form

    browser = app.test_client()
    assert post_form(browser, "/sign-in", {"email": provider.email, "password": PASSWORD}).status_code == 302
    bid = start_bid(browser, tender)
    _selection, question, _second = questions_of(tender)
    url = f"/bids/{bid.id}/questions/{question.id}"
    page = browser.get(url).get_data(as_text=True)
    token, base = hidden(page, "draft_token"), hidden(page, "base_version")

    # The session runs out while the user types: the cookie is gone.
    browser.delete_cookie("session")
    assert browser.get(url).status_code == 302  # a signed-out GET goes to sign in
    response = browser.post(
        url,
        data={
            "csrf_token": csrf_token_from(page),
            "draft_token": token,
            "base_version": base,
            "answer": "Typed while the session ended.",
        },
    )
    assert response.status_code == 302
    assert "/sign-in?next=" in response.headers["Location"]
    assert db.scalar(select(func.count(BidAnswer.id))) == 0
    assert db.scalar(select(func.count(PendingSave.id))) == 1

    sign_in_page = browser.get(response.headers["Location"])
    assert "Your session had ended. Sign in again: what you typed has been kept." in text_of(sign_in_page)
    signed_in = browser.post(
        "/sign-in",
        data={
            "email": provider.email,
            "password": PASSWORD,
            "csrf_token": csrf_token_from(sign_in_page.get_data(as_text=True)),
        },
    )
    assert signed_in.status_code == 302 and "resume=" in signed_in.headers["Location"]
    landed = browser.get(signed_in.headers["Location"], follow_redirects=True)
    assert landed.status_code == 200 and landed.request.path == url
    # What was kept is shown, to use or discard: "Use this text" saves it.
    confirmed = browser.post(
        url,
        data={
            "csrf_token": csrf_token_from(landed.get_data(as_text=True)),
            "resume": hidden(landed.get_data(as_text=True), "resume"),
            "action": "use",
        },
        follow_redirects=True,
    )
    shown = text_of(confirmed)
    assert "We saved what you typed before you were signed out" in shown
    assert "Typed while the session ended." in shown
    db.expire_all()
    saved = db.scalar(select(BidAnswer).where(BidAnswer.bid_id == bid.id))
    assert saved.text == "Typed while the session ended." and saved.updated_by_id == provider.id
    assert db.scalar(select(PendingSave)).applied_at is not None


def test_a_timed_out_save_after_the_deadline_is_shown_not_kept(
    app, db, tender, provider, login_as, client, start_bid, clock_at
):
    login_as(provider)
    bid = start_bid(client, tender)
    _selection, question, _second = questions_of(tender)
    url = f"/bids/{bid.id}/questions/{question.id}"
    clock_at(DEADLINE - timedelta(minutes=30))  # the page opened in the last half hour (a token lasts hours)
    page = client.get(url).get_data(as_text=True)
    clock_at(DEADLINE)
    client.delete_cookie("session")  # the session ends; the browser is the same one
    response = client.post(
        url,
        data={
            "draft_token": hidden(page, "draft_token"),
            "base_version": "0",
            "answer": "Typed as the deadline passed.",
        },
    )
    assert response.status_code == 400
    shown = text_of(response)
    assert "The deadline for bids was 21 December 2026 at midday" in shown
    assert "Typed as the deadline passed." in shown  # to copy: it cannot be saved now
    assert db.scalar(select(func.count(PendingSave.id))) == 0


def test_timed_out_save_without_a_valid_token_is_refused(app, db, tender, provider, login_as, client, start_bid):
    login_as(provider)
    bid = start_bid(client, tender)
    _selection, question, _second = questions_of(tender)
    url = f"/bids/{bid.id}/questions/{question.id}"
    page = client.get(url).get_data(as_text=True)
    stranger = app.test_client()
    for token in ("", "forged", hidden(page, "draft_token") + "x"):
        response = stranger.post(url, data={"draft_token": token, "answer": "Sneaky"})
        assert response.status_code == 400 and "the page had been open too long" in text_of(response)
    # A token for another question cannot be replayed here.
    other_url = f"/bids/{bid.id}/questions/{questions_of(tender)[2].id}"
    assert stranger.post(other_url, data={"draft_token": hidden(page, "draft_token"), "answer": "x"}).status_code == 400
    assert db.scalar(select(func.count(PendingSave.id))) == 0
    assert db.scalar(select(func.count(BidAnswer.id))) == 0


def test_copy_an_earlier_answer(client, db, open_tender, tender, provider, login_as, start_bid):
    login_as(provider)
    earlier_tender = open_tender(title="Youth work")
    earlier = start_bid(client, earlier_tender)
    _s, earlier_question, _q = questions_of(earlier_tender)
    assert (
        answer(client, earlier.id, earlier_question.id, "Our detached youth workers go where families are.").status_code
        == 302
    )

    bid = start_bid(client, tender)
    _selection, question, _second = questions_of(tender)
    url = f"/bids/{bid.id}/questions/{question.id}"
    page = text_of(client.get(url))
    assert "Copy an earlier answer" in page and "Youth work" in page
    copied = text_of(client.get(url + "?copy=0"))
    assert "An earlier answer has been copied into the box" in copied
    assert ">Our detached youth workers go where families are.</textarea>" in copied
    assert db.scalar(select(func.count(BidAnswer.id)).where(BidAnswer.bid_id == bid.id)) == 0  # not saved


def test_bids_cannot_start_on_draft_or_closed_tenders(client, db, open_tender, provider, login_as, clock_at):
    login_as(provider)
    token = csrf_token_from(client.get("/bids").get_data(as_text=True))
    draft = open_tender(status=TenderStatus.DRAFT)
    assert client.post(f"/opportunities/{draft.reference}/bid", data={"csrf_token": token}).status_code == 404
    closed = open_tender(status=TenderStatus.CLOSED)
    refused = client.post(f"/opportunities/{closed.reference}/bid", data={"csrf_token": token})
    assert refused.status_code == 400 and "This opportunity is not open for bids" in text_of(refused)
    late = open_tender(deadline=DEADLINE)
    clock_at(DEADLINE)
    refused = client.post(f"/opportunities/{late.reference}/bid", data={"csrf_token": token})
    assert refused.status_code == 400 and "The deadline for bids was 21 December 2026 at midday" in text_of(refused)
    assert client.post("/opportunities/NO-SUCH/bid", data={"csrf_token": token}).status_code == 404
    assert db.scalar(select(func.count(Bid.id))) == 0


def colleague_first(app, monkeypatch, table, **row):
    """Make a colleague's request commit ``row`` just before this request's
    insert (the moment two requests race), whichever database runs the tests."""
    from contextlib import contextmanager

    from portal.bids import drafting

    original = drafting.savepoint

    @contextmanager
    def raced(session):
        with app.extensions["db_engine"].begin() as connection:
            connection.execute(table.insert().values(**row))
        with original(session):
            yield

    monkeypatch.setattr(drafting, "savepoint", raced)


def test_starting_the_bid_as_a_colleague_does_uses_theirs(
    app, client, db, tender, provider, colleague, login_as, monkeypatch
):
    from portal.clock import now

    login_as(provider)
    colleague_first(
        app,
        monkeypatch,
        Bid.__table__,
        tender_id=tender.id,
        organisation_id=provider.organisation_id,
        created_by_id=colleague.id,
        created_at=now(),
        updated_at=now(),
        status="DRAFT",
        revision=1,
    )
    token = csrf_token_from(client.get("/bids").get_data(as_text=True))
    response = client.post(f"/opportunities/{tender.reference}/bid", data={"csrf_token": token})
    assert response.status_code == 302
    theirs = db.scalar(select(Bid))
    assert response.headers["Location"].endswith(f"/bids/{theirs.id}") and theirs.created_by_id == colleague.id
    assert db.scalar(select(func.count(Bid.id))) == 1


def test_saving_the_first_answer_as_a_colleague_does_is_a_conflict(
    app, client, db, tender, provider, colleague, login_as, start_bid, monkeypatch
):
    from portal.clock import now

    login_as(provider)
    bid = start_bid(client, tender)
    _selection, question, _second = questions_of(tender)
    url = f"/bids/{bid.id}/questions/{question.id}"
    page = client.get(url).get_data(as_text=True)
    colleague_first(
        app,
        monkeypatch,
        BidAnswer.__table__,
        bid_id=bid.id,
        question_id=question.id,
        text="The colleague's first answer.",
        version=1,
        updated_by_id=colleague.id,
        updated_at=now(),
    )
    conflict = client.post(
        url,
        data={
            "csrf_token": csrf_token_from(page),
            "base_version": "0",
            "action": "save",
            "draft_token": hidden(page, "draft_token"),
            "answer": "My first answer.",
        },
    )
    assert conflict.status_code == 409
    shown = text_of(conflict)
    assert "The colleague's first answer." in shown and "My first answer." in shown
    db.expire_all()
    [saved] = db.scalars(select(BidAnswer)).all()
    assert saved.text == "The colleague's first answer." and saved.version == 1


def test_a_database_failure_outside_submission_is_the_usual_error_page(
    client, db, tender, provider, login_as, start_bid, monkeypatch
):
    """Only submitting has its own "not submitted" page; elsewhere a database
    failure is the service's usual page, and nothing is written."""
    import sqlalchemy.exc

    from portal.bids import drafting
    from tests.bids.conftest import post_page

    login_as(provider)
    bid = start_bid(client, tender)

    def broken(*_args, **_kwargs):
        raise sqlalchemy.exc.OperationalError("UPDATE bid", {}, Exception("disk I/O error"))

    monkeypatch.setattr(drafting, "choose_lots", broken)
    response = post_page(client, f"/bids/{bid.id}/lots", {"lot_ids": [str(tender.lots[0].id)]})
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in text_of(response)
    assert "Your bid was not submitted" not in text_of(response)
