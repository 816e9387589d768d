"""What was typed when a session ended (issue 9, security item 7): kept only
for its author, in the browser it was typed in, for hours not days, and shown
back to them to use or discard, never applied on its own."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from portal.bids.models import BidAnswer, PendingSave
from portal.bids.views import DRAFT_KEY_COOKIE
from tests.bids.conftest import NOW, answer, hidden, questions_of
from tests.conftest import PASSWORD
from tests.support import csrf_token_from, post_form


def text_of(response) -> str:
    return unescape(response.get_data(as_text=True))


def kept_count(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count(PendingSave.id)))


def answers_count(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count(BidAnswer.id)))


@pytest.fixture
def browser(app, provider):
    """The provider's own browser, signed in through the form."""
    client = app.test_client()
    assert post_form(client, "/sign-in", {"email": provider.email, "password": PASSWORD}).status_code == 302
    return client


@pytest.fixture
def question_page(browser, tender, start_bid):
    """The provider's bid, and a question page open in their browser: (url, html)."""
    bid = start_bid(browser, tender)
    _selection, question, _second = questions_of(tender)
    url = f"/bids/{bid.id}/questions/{question.id}"
    return url, browser.get(url).get_data(as_text=True)


def save_after_the_session_ended(client, url, page, text="Typed while the session ended."):
    """The save a page sends once its session has gone (no CSRF token accepted)."""
    return client.post(url, data={"draft_token": hidden(page, "draft_token"), "base_version": "0", "answer": text})


def sign_in_again(client, user, next_url):
    sign_in_page = client.get(next_url)
    response = client.post(
        "/sign-in",
        data={
            "email": user.email,
            "password": PASSWORD,
            "csrf_token": csrf_token_from(sign_in_page.get_data(as_text=True)),
        },
    )
    assert response.status_code == 302
    return response.headers["Location"]


def test_a_draft_token_lifted_from_a_page_keeps_nothing(
    app, db, browser, question_page, make_user, provider, client, login_as
):
    url, page = question_page
    # Another browser, not signed in, posting the victim's token: refused, nothing kept.
    stranger = app.test_client()
    refused = save_after_the_session_ended(stranger, url, page, "Forged text.")
    assert refused.status_code == 400 and "the page had been open too long" in text_of(refused)
    # Another browser signed in as someone else: refused too.
    attacker = app.test_client()
    assert post_form(attacker, "/sign-in", {"email": make_user().email, "password": PASSWORD}).status_code == 302
    assert save_after_the_session_ended(attacker, url, page, "Forged text.").status_code == 400
    # The victim's own browser, from another site (SameSite keeps the key cookie back): refused.
    browser.delete_cookie("session")
    browser.delete_cookie(DRAFT_KEY_COOKIE, path="/bids/")
    assert save_after_the_session_ended(browser, url, page, "Forged text.").status_code == 400
    assert kept_count(db) == 0 and answers_count(db) == 0

    # The key is the browser's alone: never in a page, never sent from another site, for hours.
    opened = login_as(provider).get(url)
    cookie = next(c for c in opened.headers.getlist("Set-Cookie") if c.startswith(f"{DRAFT_KEY_COOKIE}="))
    key = cookie.split(";")[0].split("=", 1)[1]
    assert key and key not in opened.get_data(as_text=True)
    attributes = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")[1:]}
    assert "httponly" in attributes and attributes["samesite"] == "SameSite=Strict"
    assert attributes["path"] == "Path=/bids/" and attributes["max-age"] == f"Max-Age={4 * 3600}"


def test_the_draft_token_lasts_hours_not_days(db, browser, question_page, clock_at):
    url, page = question_page
    browser.delete_cookie("session")
    clock_at(NOW + timedelta(hours=4, seconds=1))
    too_old = save_after_the_session_ended(browser, url, page)
    assert too_old.status_code == 400 and "the page had been open too long" in text_of(too_old)
    assert kept_count(db) == 0
    clock_at(NOW + timedelta(hours=3, minutes=59))
    assert save_after_the_session_ended(browser, url, page).status_code == 302
    assert kept_count(db) == 1


def test_a_new_password_voids_the_tokens_of_the_sessions_it_ended(db, browser, question_page, provider):
    url, page = question_page
    browser.delete_cookie("session")
    db.expire_all()
    db.merge(provider).session_version += 1  # as changing the password does: every session ends
    db.commit()
    assert save_after_the_session_ended(browser, url, page).status_code == 400
    assert kept_count(db) == 0


def test_what_was_kept_is_shown_to_use_or_discard_never_applied_on_its_own(db, browser, question_page, provider):
    url, page = question_page
    browser.delete_cookie("session")
    kept = save_after_the_session_ended(browser, url, page)
    assert kept.status_code == 302 and kept_count(db) == 1
    resume_url = sign_in_again(browser, provider, kept.headers["Location"])
    assert "resume=" in resume_url

    for _ in range(2):  # shown, and shown again: landing on it writes nothing
        landed = browser.get(resume_url)
        assert landed.status_code == 200
        shown = text_of(landed)
        assert "Use what you typed before you were signed out?" in shown
        assert "Typed while the session ended." in shown and "Use this text" in shown and "Discard it" in shown
        assert answers_count(db) == 0 and db.scalar(select(PendingSave)).applied_at is None

    discarded = browser.post(
        url,
        data={
            "csrf_token": csrf_token_from(landed.get_data(as_text=True)),
            "resume": hidden(landed.get_data(as_text=True), "resume"),
            "action": "discard",
        },
        follow_redirects=True,
    )
    assert discarded.status_code == 200 and discarded.request.path == url
    assert "What you typed before you were signed out has been discarded." in text_of(discarded)
    assert answers_count(db) == 0 and db.scalar(select(PendingSave)).applied_at is not None
    again = browser.get(resume_url)  # offered once only
    assert again.status_code == 302 and again.headers["Location"].endswith(url)


def test_what_was_kept_is_offered_only_in_the_browser_it_was_kept_in(app, db, browser, question_page, provider):
    url, page = question_page
    browser.delete_cookie("session")
    kept = save_after_the_session_ended(browser, url, page, "Kept in the first browser.")
    resume_url = kept.headers["Location"].split("next=", 1)[1].replace("%3F", "?").replace("%3D", "=")

    # The link, opened by its author signed in in another browser (sent to them, say): nothing offered.
    elsewhere = app.test_client()
    assert post_form(elsewhere, "/sign-in", {"email": provider.email, "password": PASSWORD}).status_code == 302
    opened = elsewhere.get(resume_url)
    assert opened.status_code == 302 and opened.headers["Location"].endswith(url)
    token = resume_url.split("resume=", 1)[1]
    used = elsewhere.post(
        url,
        data={
            "csrf_token": csrf_token_from(elsewhere.get(url).get_data(as_text=True)),
            "resume": token,
            "action": "use",
        },
    )
    assert used.status_code == 302
    assert answers_count(db) == 0 and db.scalar(select(PendingSave)).applied_at is None

    # In the browser it was kept in, it is offered.
    resume_url = sign_in_again(browser, provider, kept.headers["Location"])
    assert "Kept in the first browser." in text_of(browser.get(resume_url))


def test_using_what_was_kept_over_a_colleagues_newer_answer_shows_both(
    app, db, browser, question_page, provider, colleague, login_as, client
):
    url, page = question_page
    browser.delete_cookie("session")
    kept = save_after_the_session_ended(browser, url, page, "My text, kept.")
    login_as(colleague)
    bid_id, question_id = (int(part) for part in url.split("/")[2::2])
    assert answer(client, bid_id, question_id, "The colleague's text.").status_code == 302

    resume_url = sign_in_again(browser, provider, kept.headers["Location"])
    landed = browser.get(resume_url).get_data(as_text=True)
    assert "The colleague's text." in unescape(landed)  # the answer saved now, beside what was kept
    conflict = browser.post(
        url, data={"csrf_token": csrf_token_from(landed), "resume": hidden(landed, "resume"), "action": "use"}
    )
    assert conflict.status_code == 409
    shown = text_of(conflict)
    assert "My text, kept." in shown and "The colleague's text." in shown and "Keep my text" in shown
    db.expire_all()
    assert db.scalar(select(BidAnswer)).text == "The colleague's text."
    assert db.scalar(select(PendingSave)).applied_at is None  # nothing written: still kept
