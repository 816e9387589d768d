"""Providers' clarification questions: the deadline, the limits, and privacy:
a published answer never says who asked, on the page or in the email."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.accounts.models import Role
from portal.errors import RuleViolation
from portal.tenders import services
from portal.tenders.models import Clarification, Interest
from tests.conftest import PASSWORD
from tests.support import Mailbox, csrf_token_from, post_form
from tests.tenders.factories_public import NOW

DEADLINE = NOW + timedelta(days=14)  # 7 December 2026, midday in London
QUESTION = "Can a consortium of two charities bid for a single lot?"
ANSWER = "Yes. Name a lead organisation that signs the agreement on behalf of the consortium."


def signed_in(app, user):
    client = app.test_client()
    assert post_form(client, "/sign-in", {"email": user.email, "password": PASSWORD}).status_code == 302
    return client


def _count(db):
    return db.scalar(select(func.count(Clarification.id)))


@pytest.fixture
def tender(tender_factory):
    return tender_factory(reference="KCC-CLAR-1", clarification_deadline=DEADLINE)


def test_provider_asks_before_the_deadline(app, client, db, tender, make_user, login_as, fixed_now):
    fixed_now(DEADLINE - timedelta(seconds=1))
    provider = make_user()
    login_as(provider)
    page = client.get("/opportunities/KCC-CLAR-1").get_data(as_text=True)
    assert 'href="/opportunities/KCC-CLAR-1/questions/new"' in page and "before 7 December 2026 at midday" in page
    form = client.get("/opportunities/KCC-CLAR-1/questions/new")
    assert form.status_code == 200 and 'maxlength="5000"' in form.get_data(as_text=True)
    response = post_form(client, "/opportunities/KCC-CLAR-1/questions/new", {"question": f"  {QUESTION}  "})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Question sent" in html and "will answer your question" in html
    assert "Published answers never name the organisation or the person who asked" in html
    saved = db.scalar(select(Clarification))
    assert (saved.question, saved.organisation_id, saved.asked_by_id, saved.asked_at) == (
        QUESTION,
        provider.organisation_id,
        provider.id,
        DEADLINE - timedelta(seconds=1),
    )
    assert saved.answered_at is None and not saved.is_published
    # Asking registers interest, so the asker hears of the answer and of changes.
    interested = db.scalar(select(Interest.organisation_id).where(Interest.tender_id == tender.id))
    assert interested == provider.organisation_id
    page = client.get("/opportunities/KCC-CLAR-1").get_data(as_text=True)
    assert "Your questions" in page and QUESTION in page and "Not answered yet" in page


@pytest.mark.parametrize("moment", [DEADLINE, DEADLINE + timedelta(seconds=1), DEADLINE + timedelta(days=3)])
def test_questions_are_refused_at_and_after_the_deadline(
    app, client, db, tender, make_user, login_as, fixed_now, moment
):
    provider = make_user()
    login_as(provider)
    token = csrf_token_from(client.get("/opportunities/KCC-CLAR-1/questions/new").get_data(as_text=True))
    fixed_now(moment)  # the form was opened in time; it is sent too late
    response = client.post("/opportunities/KCC-CLAR-1/questions/new", data={"csrf_token": token, "question": QUESTION})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Clarification questions closed at 7 December 2026 at midday" in html
    assert _count(db) == 0
    assert client.get("/opportunities/KCC-CLAR-1/questions/new").status_code == 400
    page = client.get("/opportunities/KCC-CLAR-1").get_data(as_text=True)
    assert "Clarification questions closed at 7 December 2026 at midday." in page
    assert "/questions/new" not in page


def test_the_service_judges_the_deadline_too(app, db, tender, make_user):
    provider = make_user()
    with pytest.raises(RuleViolation, match="closed at 7 December 2026 at midday"):
        services.ask(db, provider, tender, QUESTION, DEADLINE)
    assert services.ask(db, provider, tender, QUESTION, DEADLINE - timedelta(microseconds=1)).id
    db.rollback()


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "Enter your question"),
        ("   \r\n  ", "Enter your question"),
        ("x" * 5001, "Your question must be 5,000 characters or fewer"),
    ],
)
def test_empty_or_too_long_questions_are_refused(client, db, tender, make_user, login_as, text, message):
    login_as(make_user())
    response = post_form(client, "/opportunities/KCC-CLAR-1/questions/new", {"question": text})
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert _count(db) == 0


def test_a_question_of_exactly_the_limit_is_accepted(client, db, tender, make_user, login_as):
    login_as(make_user())
    response = post_form(client, "/opportunities/KCC-CLAR-1/questions/new", {"question": "x" * 5000})
    assert response.status_code == 200 and _count(db) == 1


def test_only_providers_ask(app, client, db, tender, make_user):
    assert client.get("/opportunities/KCC-CLAR-1/questions/new").status_code == 302
    officer = signed_in(app, make_user(role=Role.OFFICER))
    assert officer.get("/opportunities/KCC-CLAR-1/questions/new").status_code == 403


def test_closed_tender_takes_no_questions(client, db, tender_factory, make_user, login_as):
    from portal.tenders.models import TenderStatus

    tender_factory(reference="KCC-CLAR-2", status=TenderStatus.CLOSED)
    login_as(make_user())
    response = client.get("/opportunities/KCC-CLAR-2/questions/new")
    assert response.status_code == 400
    assert "This opportunity is not open for questions" in response.get_data(as_text=True)
    page = client.get("/opportunities/KCC-CLAR-2").get_data(as_text=True)
    assert "This opportunity is not taking clarification questions." in page and "/questions/new" not in page


# --- Privacy -----------------------------------------------------------------------------


@pytest.fixture
def asker(make_organisation, make_user):
    organisation = make_organisation(name="Secretive Swale Trust")
    return make_user(organisation=organisation, email="alexandra.asker@secretive.example.org")


def _answer(app, officer, clarification_id, tender_id, publish_to_all):
    """As the officers' page does: answer in one unit of work, which queues the emails."""
    from portal.db import transaction
    from portal.tenders.models import Tender

    with app.test_request_context(), transaction() as session:
        clarification = session.get(Clarification, clarification_id)
        services.answer(
            session,
            session.get(type(officer), officer.id),
            clarification,
            session.get(Tender, tender_id),
            ANSWER,
            publish_to_all,
            NOW + timedelta(days=1),
        )


def _identities(asker, db):
    from portal.providers.models import Organisation

    return [db.get(Organisation, asker.organisation_id).name, asker.full_name, asker.email, asker.email.split("@")[1]]


def test_a_published_answer_never_says_who_asked(app, client, db, tender, asker, make_user, mailbox: Mailbox):
    rival = make_user(email="rival@another.example.org")
    rival_client = signed_in(app, rival)
    post_form(rival_client, "/opportunities/KCC-CLAR-1/interest", {}, form_url="/opportunities/KCC-CLAR-1")
    asker_client = signed_in(app, asker)
    assert post_form(asker_client, "/opportunities/KCC-CLAR-1/questions/new", {"question": QUESTION}).status_code == 200
    clarification = db.scalar(select(Clarification))
    mailbox.clear()

    _answer(app, make_user(role=Role.OFFICER), clarification.id, tender.id, publish_to_all=True)

    public_page = client.get("/opportunities/KCC-CLAR-1").get_data(as_text=True)
    rival_page = rival_client.get("/opportunities/KCC-CLAR-1").get_data(as_text=True)
    email = Mailbox.body(mailbox.last_to(rival.email))
    subject = mailbox.last_to(rival.email)["Subject"]
    for seen_by, text in (
        ("the public", public_page),
        ("another provider", rival_page),
        ("another provider's email", email + subject),
    ):
        assert QUESTION in text and ANSWER in text, seen_by
        for identity in _identities(asker, db):
            assert identity not in text, f"{identity!r} shown to {seen_by}"
    # The asker's organisation hears of the answer too, and sees it as its own.
    assert ANSWER in Mailbox.body(mailbox.last_to(asker.email))
    own = asker_client.get("/opportunities/KCC-CLAR-1").get_data(as_text=True)
    assert "published to every provider without saying who asked" in own


def test_a_private_answer_is_seen_only_by_the_askers_organisation(
    app, client, db, tender, asker, make_user, mailbox: Mailbox
):
    colleague = make_user(organisation=asker.organisation, email="colleague@secretive.example.org")
    rival = make_user(email="rival@another.example.org")
    rival_client = signed_in(app, rival)
    post_form(rival_client, "/opportunities/KCC-CLAR-1/interest", {}, form_url="/opportunities/KCC-CLAR-1")
    assert (
        post_form(signed_in(app, asker), "/opportunities/KCC-CLAR-1/questions/new", {"question": QUESTION}).status_code
        == 200
    )
    clarification = db.scalar(select(Clarification))
    mailbox.clear()

    _answer(app, make_user(role=Role.OFFICER), clarification.id, tender.id, publish_to_all=False)

    colleague_page = signed_in(app, colleague).get("/opportunities/KCC-CLAR-1").get_data(as_text=True)
    assert ANSWER in colleague_page and "to your organisation only" in colleague_page
    for text in (
        client.get("/opportunities/KCC-CLAR-1").get_data(as_text=True),
        rival_client.get("/opportunities/KCC-CLAR-1").get_data(as_text=True),
    ):
        assert QUESTION not in text and ANSWER not in text
    assert ANSWER in Mailbox.body(mailbox.last_to(colleague.email))
    assert mailbox.to(rival.email) == []
