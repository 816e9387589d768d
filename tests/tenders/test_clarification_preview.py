"""Answering a clarification question in three steps: write the answer (and, for
everyone, the question's wording as published, to leave out what identifies the
asker), preview it as providers will read it, then send it. Nothing reaches a
provider before it is sent; the draft can be rewritten until then; every step is
audited; a preview that has gone stale is not sent."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.tenders import services
from portal.tenders.models import Clarification
from tests.support import Mailbox, csrf_token_from, post_form, sign_in_through_session
from tests.tenders.conftest import NOW, commit_and_send
from tests.tenders.test_officer_views import draft, fresh, previewed_digest, refused, send

ORIGINAL = "We run the youth club in Thanet for the Margate Sailing Trust. Will TUPE apply to our staff?"
REWORDED = "Will TUPE apply to the staff of current providers?"
ANSWER = "Yes, TUPE is likely to apply: see the staff list in the specification."


@pytest.fixture
def asked(app, db, make_tender, make_organisation, make_user):
    tender = make_tender(published=True)
    organisation = make_organisation(name="Margate Sailing Trust")
    asker = make_user(organisation=organisation)
    other = make_user()
    with app.test_request_context():
        services.register_interest(db, other, tender)
        clarification = services.ask(db, asker, tender, ORIGINAL, NOW)
        commit_and_send(db)
    return tender, clarification, asker, other


@pytest.fixture
def officer_client(client, officer, login_as, clock_at):
    login_as(officer)
    return client


def actions(db) -> list[str]:
    db.expire_all()
    return list(
        db.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.action.like("clarification.%"))
            .order_by(AuditEvent.position)  # the chain's order: without one, PostgreSQL may return any
        )
    )


def test_a_saved_draft_reaches_nobody_and_can_be_rewritten(officer_client, app, db, asked, mailbox: Mailbox):
    tender, clarification, asker, _other = asked
    mailbox.clear()
    response = draft(officer_client, tender, clarification, "A first go.", "everyone", REWORDED)
    assert response.headers["Location"] == f"/tenders/{tender.id}/questions/{clarification.id}/preview"
    saved = fresh(db, Clarification, clarification.id)
    assert saved.answer == "A first go." and saved.answered_at is None and saved.is_published is False
    assert mailbox.messages == []
    assert actions(db) == ["clarification.asked", "clarification.answer_drafted"]

    # The form comes back filled with the draft, which can be rewritten.
    form = officer_client.get(f"/tenders/{tender.id}/questions/{clarification.id}/answer").get_data(as_text=True)
    assert "A first go." in form and REWORDED in form
    draft(officer_client, tender, clarification, ANSWER, "everyone", REWORDED)
    assert fresh(db, Clarification, clarification.id).answer == ANSWER
    listing = officer_client.get(f"/tenders/{tender.id}/questions").get_data(as_text=True)
    assert "Not sent yet" in listing and "Check and send the answer" in listing

    # Nobody outside the council sees a draft, not even the asker.
    asker_client = app.test_client()
    sign_in_through_session(asker_client, asker)
    for reader in (app.test_client(), asker_client):
        page = reader.get(f"/opportunities/{tender.reference}").get_data(as_text=True)
        assert ANSWER not in page and REWORDED not in page
    assert "Not answered yet" in asker_client.get(f"/opportunities/{tender.reference}").get_data(as_text=True)


def test_the_preview_shows_the_answer_as_everyone_will_read_it(officer_client, asked):
    tender, clarification, _asker, _other = asked
    draft(officer_client, tender, clarification, ANSWER, "everyone", REWORDED)
    html = officer_client.get(f"/tenders/{tender.id}/questions/{clarification.id}/preview").get_data(as_text=True)
    assert "How every provider will see it" in html
    preview = html.split('id="answer-preview"')[1].split("</dl>")[0]
    assert REWORDED in preview and ANSWER in preview
    assert ORIGINAL not in preview and "Margate Sailing Trust" not in preview
    # The asker's people and the other interested provider's.
    assert "emailed to 2 people" in " ".join(html.split())
    assert "Publish the answer to everyone" in html
    assert f'href="/tenders/{tender.id}/questions/{clarification.id}/answer"' in html


def test_a_reworded_question_is_published_and_the_original_stays_with_the_asker(
    officer_client, app, db, asked, mailbox: Mailbox
):
    tender, clarification, asker, other = asked
    mailbox.clear()
    draft(officer_client, tender, clarification, ANSWER, "everyone", REWORDED)
    assert send(officer_client, tender, clarification).status_code == 302
    saved = fresh(db, Clarification, clarification.id)
    assert saved.is_published and saved.answered_at == NOW
    assert saved.question == ORIGINAL and saved.published_question == REWORDED  # both on record
    assert actions(db) == ["clarification.asked", "clarification.answer_drafted", "clarification.answered"]
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "clarification.answered"))
    assert event.details["reworded"] is True and event.details["published"] is True

    # Everyone reads the rewording, never the original.
    public = app.test_client().get(f"/opportunities/{tender.reference}").get_data(as_text=True)
    assert REWORDED in public and ANSWER in public and "Thanet" not in public
    body = Mailbox.body(mailbox.last_to(other.email))
    assert REWORDED in body and ANSWER in body and "Thanet" not in body
    # The asker is emailed the rewording too (the email goes to everyone alike), and keeps
    # their own wording in their list of questions.
    assert REWORDED in Mailbox.body(mailbox.last_to(asker.email))
    asker_client = app.test_client()
    sign_in_through_session(asker_client, asker)
    own = asker_client.get(f"/opportunities/{tender.reference}").get_data(as_text=True)
    assert ORIGINAL in own.split('id="own-questions"')[1]
    assert ORIGINAL not in own.split('id="own-questions"')[0]

    # Once sent, it cannot be changed.
    refused(
        post_form(
            officer_client,
            f"/tenders/{tender.id}/questions/{clarification.id}/answer",
            {"answer": "Changed", "audience": "everyone", "published_question": REWORDED},
            form_url=f"/tenders/{tender.id}/questions",
        ),
        "This question has already been answered",
    )
    assert officer_client.get(f"/tenders/{tender.id}/questions/{clarification.id}/answer").status_code == 302
    assert officer_client.get(f"/tenders/{tender.id}/questions/{clarification.id}/preview").status_code == 302
    assert fresh(db, Clarification, clarification.id).answer == ANSWER


def test_a_private_answer_keeps_no_rewording(officer_client, db, asked, mailbox: Mailbox):
    tender, clarification, asker, other = asked
    mailbox.clear()
    draft(officer_client, tender, clarification, "Only for you.", "asker", REWORDED)
    saved = fresh(db, Clarification, clarification.id)
    assert saved.published_question is None and saved.is_answer_for_everyone is False
    html = officer_client.get(f"/tenders/{tender.id}/questions/{clarification.id}/preview").get_data(as_text=True)
    assert "This will be sent to Margate Sailing Trust only" in html and ORIGINAL in html
    assert send(officer_client, tender, clarification).status_code == 302
    assert ORIGINAL in Mailbox.body(mailbox.last_to(asker.email))
    assert mailbox.to(other.email) == []


def test_a_stale_preview_is_not_sent(officer_client, db, asked, mailbox: Mailbox):
    tender, clarification, *_ = asked
    mailbox.clear()
    draft(officer_client, tender, clarification, "What I checked.", "everyone")
    preview_url = f"/tenders/{tender.id}/questions/{clarification.id}/preview"
    seen = officer_client.get(preview_url).get_data(as_text=True)
    # A colleague rewrites the draft meanwhile.
    draft(officer_client, tender, clarification, "What a colleague wrote.", "everyone")
    response = officer_client.post(
        f"/tenders/{tender.id}/questions/{clarification.id}/send",
        data={"csrf_token": csrf_token_from(seen), "previewed": previewed_digest(seen)},
    )
    html = refused(response, "The answer has been changed since you previewed it")
    assert "What a colleague wrote." in html  # the preview shows the draft as it now is
    assert fresh(db, Clarification, clarification.id).answered_at is None and mailbox.messages == []
    # Checked again, it goes.
    assert send(officer_client, tender, clarification).status_code == 302
    assert fresh(db, Clarification, clarification.id).answer == "What a colleague wrote."


def test_nothing_to_send_before_an_answer_is_written(officer_client, db, asked, mailbox: Mailbox):
    tender, clarification, *_ = asked
    mailbox.clear()
    preview = officer_client.get(f"/tenders/{tender.id}/questions/{clarification.id}/preview")
    assert preview.headers["Location"] == f"/tenders/{tender.id}/questions/{clarification.id}/answer"
    token = csrf_token_from(officer_client.get(f"/tenders/{tender.id}/questions").get_data(as_text=True))
    response = officer_client.post(
        f"/tenders/{tender.id}/questions/{clarification.id}/send", data={"csrf_token": token, "previewed": "x"}
    )
    refused(response, "Write the answer before you send it")
    assert fresh(db, Clarification, clarification.id).answered_at is None and mailbox.messages == []


def test_a_closed_tender_takes_no_answers(officer_client, db, asked, clock_at):
    tender, clarification, *_ = asked
    draft(officer_client, tender, clarification, ANSWER, "everyone")
    clock_at(tender.submission_deadline)
    page = officer_client.get(f"/tenders/{tender.id}/questions/{clarification.id}/answer").get_data(as_text=True)
    assert "Questions can only be answered while the tender is open" in page and "Save and preview" not in page
    preview = officer_client.get(f"/tenders/{tender.id}/questions/{clarification.id}/preview").get_data(as_text=True)
    assert "Publish the answer to everyone" not in preview
