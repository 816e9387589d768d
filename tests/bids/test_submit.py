"""Submitting: completeness, the deadline to the second (judged by the request's
arrival, again at commit against the deadline as it then stands),
receipts and their emails, resubmission and withdrawal, double submission,
concurrent tabs and a database failure mid-submission."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from html import unescape

import pytest
import sqlalchemy.exc
from sqlalchemy import event, func, select, update

from portal.bids import submission as submitting
from portal.bids.models import Bid, BidAnswer, BidAttachment, BidStatus, Submission
from portal.notifications.models import OutgoingEmail
from portal.notifications.services import RenderedEmail, queue_rendered_parameters
from portal.tenders.models import Tender
from tests.bids.conftest import DEADLINE, answer, post_page, questions_of
from tests.conftest import PASSWORD
from tests.support import csrf_token_from, post_form


def text_of(response) -> str:
    return unescape(response.get_data(as_text=True))


def submit(client, bid_id):
    return post_page(client, f"/bids/{bid_id}/submit")


def submissions(db, bid_id=None) -> list[Submission]:
    db.expire_all()
    query = select(Submission).order_by(Submission.version)
    if bid_id is not None:
        query = query.where(Submission.bid_id == bid_id)
    return list(db.scalars(query))


@pytest.fixture
def bid(client, tender, provider, login_as, start_bid):
    login_as(provider)
    return start_bid(client, tender)


def test_submit_lists_everything_missing(client, db, tender, bid):
    response = submit(client, bid.id)
    assert response.status_code == 400
    page = text_of(response)
    assert "Your bid was not submitted" in page and "<title>Error: " in page
    selection, first, second = questions_of(tender)
    # Each problem is a link to the task that fixes it; questions are named by their short titles.
    for href, missing in (
        (f"/bids/{bid.id}/lots", "Choose at least one lot"),
        (
            f"/bids/{bid.id}/questions/{selection.id}",
            "Answer the selection question \u201cDo you hold employers' liability insurance of at least £5m?\u201d",
        ),
        (f"/bids/{bid.id}/questions/{first.id}", "Answer the quality question \u201cReaching families\u201d"),
        (f"/bids/{bid.id}/questions/{second.id}", "Answer the quality question \u201cSafeguarding\u201d"),
        (f"/bids/{bid.id}/declarations", "Confirm the declarations"),
    ):
        summary = page.split("govuk-error-summary__list", 1)[1].split("</ul>", 1)[0]
        assert f'<a href="{href}">{missing}</a>' in summary, missing
    assert submissions(db) == []

    lot = tender.lots[0]
    assert post_page(client, f"/bids/{bid.id}/lots", {"lot_ids": [str(lot.id)]}).status_code == 302
    page = text_of(submit(client, bid.id))
    assert "Give a price for lot 1, Area 1" in page and "Choose at least one lot" not in page


def test_submission_receipt_and_email(client, db, tender, bid, provider, colleague, complete_bid, mailbox):
    complete_bid(client, bid, tender)
    response = submit(client, bid.id)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/bids/{bid.id}/receipts/1")
    [submission] = submissions(db)
    assert submission.version == 1 and len(submission.sha256) == 64
    assert submission.sha256 == submitting.content_hash(submission.content)
    receipt = text_of(client.get(response.headers["Location"]))
    assert "Bid submitted" in receipt and submission.receipt_reference in receipt and submission.sha256 in receipt
    assert "23 November 2026 at 12:00:00" in receipt  # to the second, London time
    for person in (provider, colleague):
        body = mailbox.body(mailbox.last_to(person.email))
        assert submission.receipt_reference in body and submission.sha256 in body
        assert f"/bids/{bid.id}/receipts/1" in body
    assert "Submitted (version 1)" in text_of(client.get("/bids"))


def test_one_second_before_the_deadline_is_accepted(client, db, tender, bid, complete_bid, clock_at):
    complete_bid(client, bid, tender)
    clock_at(DEADLINE - timedelta(seconds=1))
    assert submit(client, bid.id).status_code == 302
    assert len(submissions(db)) == 1


def test_at_the_deadline_is_refused_with_both_times(client, db, tender, bid, complete_bid, clock_at):
    complete_bid(client, bid, tender)
    page = client.get(f"/bids/{bid.id}/submit").get_data(as_text=True)
    clock_at(DEADLINE)
    response = client.post(f"/bids/{bid.id}/submit", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 400
    message = text_of(response)
    assert "The deadline for bids was 21 December 2026 at midday" in message
    assert "The server's time is now 21 December 2026 at 12:00:00" in message
    assert submissions(db) == []


def test_the_deadline_is_judged_at_the_moment_of_commit(
    client, db, tender, bid, complete_bid, clock_at, monkeypatch, mailbox
):
    complete_bid(client, bid, tender)
    page = client.get(f"/bids/{bid.id}/submit").get_data(as_text=True)
    # The request arrives one second before the deadline; just before the commit an
    # amendment (committed meanwhile, here written in the same transaction) brings
    # the deadline forward to before that arrival: the check at commit reads it again.
    clock_at(DEADLINE - timedelta(seconds=1))
    original = submitting.before_commit
    moved = {"done": False}

    def before_commit(session, check):
        def at_commit():
            session.execute(
                update(Tender).where(Tender.id == tender.id).values(submission_deadline=DEADLINE - timedelta(seconds=2))
            )
            moved["done"] = True
            check()

        original(session, at_commit)

    monkeypatch.setattr(submitting, "before_commit", before_commit)
    response = client.post(f"/bids/{bid.id}/submit", data={"csrf_token": csrf_token_from(page)})
    assert moved["done"] is True
    assert response.status_code == 400
    assert "The server's time is now 21 December 2026 at 11:59:59" in text_of(response)
    assert submissions(db) == []
    assert db.scalar(select(Tender.submission_deadline).where(Tender.id == tender.id)) == DEADLINE  # rolled back
    db.expire_all()
    assert db.get(Bid, bid.id).status is BidStatus.DRAFT
    assert mailbox.messages == []


def test_resubmission_and_withdrawal_keep_every_version(client, db, tender, bid, complete_bid, mailbox, provider):
    complete_bid(client, bid, tender)
    assert submit(client, bid.id).status_code == 302
    _selection, first, _second = questions_of(tender)
    assert answer(client, bid.id, first.id, "A better answer about outreach.").status_code == 302
    index = text_of(client.get("/bids"))
    assert "Submitted (version 1)" in index and "Changes not yet submitted" in index
    assert submit(client, bid.id).status_code == 302
    one, two = submissions(db, bid.id)
    assert (one.version, two.version) == (1, 2) and one.sha256 != two.sha256
    assert db.get(Bid, bid.id).status is BidStatus.SUBMITTED
    receipt_two = text_of(client.get(f"/bids/{bid.id}/receipts/2"))
    assert "This is the version that counts" in receipt_two and "Version 1" in receipt_two
    assert "A newer version has been submitted" in text_of(client.get(f"/bids/{bid.id}/receipts/1"))

    assert client.get(f"/bids/{bid.id}/withdraw").status_code == 200
    withdrawn = post_page(client, f"/bids/{bid.id}/withdraw")
    assert withdrawn.status_code == 302
    db.expire_all()
    assert db.get(Bid, bid.id).status is BidStatus.WITHDRAWN
    assert "withdrawn" in mailbox.last_to(provider.email)["Subject"].lower()
    assert "Withdrawn" in text_of(client.get("/bids"))
    assert post_page(client, f"/bids/{bid.id}/withdraw").status_code == 400  # nothing left to withdraw

    # Submitting again, unchanged, after a withdrawal makes a new version.
    assert submit(client, bid.id).status_code == 302
    versions = submissions(db, bid.id)
    assert [s.version for s in versions] == [1, 2, 3]
    assert versions[2].content["answers"] == versions[1].content["answers"]
    assert db.get(Bid, bid.id).status is BidStatus.SUBMITTED


def test_a_double_click_makes_one_submission(client, db, tender, bid, complete_bid, mailbox, provider):
    complete_bid(client, bid, tender)
    page = client.get(f"/bids/{bid.id}/submit").get_data(as_text=True)
    token = csrf_token_from(page)
    first = client.post(f"/bids/{bid.id}/submit", data={"csrf_token": token})
    second = client.post(f"/bids/{bid.id}/submit", data={"csrf_token": token})
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert len(submissions(db)) == 1
    mailbox.last_to(provider.email)
    assert len([m for m in mailbox.to(provider.email) if "Bid received" in m["Subject"]]) == 1


def test_two_tabs_submitting_at_once_make_one_submission(app, db, tender, bid, client, complete_bid, colleague):
    complete_bid(client, bid, tender)
    tabs = [app.test_client(), app.test_client()]
    tokens = []
    for tab, user in zip(tabs, (colleague, colleague), strict=True):
        assert post_form(tab, "/sign-in", {"email": user.email, "password": PASSWORD}).status_code == 302
        tokens.append(csrf_token_from(tab.get(f"/bids/{bid.id}/submit").get_data(as_text=True)))
    barrier = threading.Barrier(2)
    results = [None, None]

    def press(i):
        barrier.wait()
        results[i] = tabs[i].post(f"/bids/{bid.id}/submit", data={"csrf_token": tokens[i]})

    threads = [threading.Thread(target=press, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [r.status_code for r in results] == [302, 302], [r.get_data(as_text=True)[:500] for r in results]
    assert results[0].headers["Location"] == results[1].headers["Location"]
    assert len(submissions(db)) == 1


def test_a_database_error_mid_submission_leaves_the_draft_intact(
    client, db, tender, bid, complete_bid, monkeypatch, mailbox
):
    complete_bid(client, bid, tender)
    db.expire_all()
    answers_before = {
        a.question_id: (a.text, a.yes_no, a.version)
        for a in db.scalars(select(BidAnswer).where(BidAnswer.bid_id == bid.id))
    }
    revision_before = db.get(Bid, bid.id).revision

    def broken(*_args, **_kwargs):
        raise sqlalchemy.exc.OperationalError("INSERT INTO submission", {}, Exception("disk I/O error"))

    monkeypatch.setattr(submitting, "snapshot", broken)
    response = submit(client, bid.id)
    assert response.status_code == 503
    assert (
        "Your bid was not submitted because of a problem on our side. Your draft is safe: nothing you saved "
        "has been lost. Try again."
    ) in text_of(response)
    assert submissions(db) == []
    after = db.get(Bid, bid.id)
    assert after.status is BidStatus.DRAFT and after.revision == revision_before
    assert {
        a.question_id: (a.text, a.yes_no, a.version)
        for a in db.scalars(select(BidAnswer).where(BidAnswer.bid_id == bid.id))
    } == answers_before
    assert mailbox.messages == []

    monkeypatch.undo()
    assert submit(client, bid.id).status_code == 302  # and trying again works


def test_after_the_deadline_nothing_changes(app, client, db, tender, bid, complete_bid, clock_at):
    import io

    complete_bid(client, bid, tender)
    assert submit(client, bid.id).status_code == 302
    assert (
        post_page(
            client,
            f"/bids/{bid.id}/files",
            {"file": (io.BytesIO(b"%PDF-1.4 x"), "a.pdf")},
            content_type="multipart/form-data",
        ).status_code
        == 302
    )
    db.expire_all()
    attachment = db.scalar(select(BidAttachment))
    selection, first, _second = questions_of(tender)
    page = client.get(f"/bids/{bid.id}").get_data(as_text=True)
    token = csrf_token_from(page)
    clock_at(DEADLINE)
    db.expire_all()
    before = (
        db.get(Bid, bid.id).revision,
        db.get(Bid, bid.id).status,
        db.scalar(select(func.count(Submission.id))),
        db.scalar(select(func.count(BidAnswer.id))),
        db.scalar(select(func.count(BidAttachment.id))),
    )
    posts = [
        (f"/bids/{bid.id}/lots", {"lot_ids": [str(tender.lots[0].id)]}),
        (f"/bids/{bid.id}/questions/{first.id}", {"answer": "Too late", "base_version": "1"}),
        (f"/bids/{bid.id}/questions/{selection.id}", {"answer": "no", "base_version": "1"}),
        (f"/bids/{bid.id}/prices", {f"price_{tender.lots[0].id}": "1"}),
        (f"/bids/{bid.id}/evidence", {}),
        (f"/bids/{bid.id}/declarations", {"confirm": "y"}),
        (f"/bids/{bid.id}/files/{attachment.id}/remove", {}),
        (f"/bids/{bid.id}/submit", {}),
        (f"/bids/{bid.id}/withdraw", {}),
    ]
    for url, data in posts:
        response = client.post(url, data={"csrf_token": token, **data})
        assert response.status_code == 400, url
        assert "The deadline for bids was 21 December 2026 at midday" in text_of(response), url
    late_upload = client.post(
        f"/bids/{bid.id}/files",
        data={"csrf_token": token, "file": (io.BytesIO(b"%PDF-1.4 y"), "b.pdf")},
        content_type="multipart/form-data",
    )
    assert late_upload.status_code == 400
    assert "Too late" in text_of(
        client.post(
            f"/bids/{bid.id}/questions/{first.id}",
            data={"csrf_token": token, "answer": "Too late", "base_version": "1"},
        )
    )  # what was typed is shown to copy
    db.expire_all()
    after = (
        db.get(Bid, bid.id).revision,
        db.get(Bid, bid.id).status,
        db.scalar(select(func.count(Submission.id))),
        db.scalar(select(func.count(BidAnswer.id))),
        db.scalar(select(func.count(BidAttachment.id))),
    )
    assert after == before
    task_list = text_of(client.get(f"/bids/{bid.id}"))
    assert "Bids had to be submitted by midday on 21 December 2026." in task_list
    assert "can no longer be changed" in task_list
    # Nothing offers a change after the deadline: the bid is shown read-only, with no
    # task links, "Change" links, buttons or "not yet submitted" prompts.
    assert "govuk-task-list" not in task_list and ">Change<" not in task_list and "govuk-button" not in task_list
    assert "Changes not yet submitted" not in task_list and "unless you submit again" not in task_list
    assert "We visit schools" in task_list  # the answers, read-only
    question_page = text_of(client.get(f"/bids/{bid.id}/questions/{first.id}"))
    assert "<textarea" not in question_page and "We visit schools" in question_page
    assert "Save and" not in question_page


def test_losing_the_race_to_another_tab_shows_its_receipt(app, client, db, tender, bid, complete_bid, monkeypatch):
    """The moment two tabs race on SQLite (no row lock): the other tab's
    submission commits between this one's reads and its insert."""
    if db.get_bind().dialect.name != "sqlite":
        pytest.skip("PostgreSQL serialises the two submitters with the row lock instead")
    complete_bid(client, bid, tender)
    original = submitting.snapshot

    def other_tab_commits_first(the_bid):
        content = original(the_bid)
        with app.extensions["db_engine"].begin() as connection:
            connection.execute(
                Submission.__table__.insert().values(
                    bid_id=the_bid.id,
                    version=1,
                    from_revision=the_bid.revision,
                    receipt_reference="OTHER-TAB-1",
                    submitted_at=DEADLINE - timedelta(days=1),
                    sha256="0" * 64,
                    content={},
                )
            )
        return content

    monkeypatch.setattr(submitting, "snapshot", other_tab_commits_first)
    queued_before = db.scalar(select(func.count(OutgoingEmail.id)))
    response = submit(client, bid.id)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/bids/{bid.id}/receipts/1")
    assert [s.receipt_reference for s in submissions(db)] == ["OTHER-TAB-1"]
    db.expire_all()
    assert db.get(Bid, bid.id).status is BidStatus.DRAFT  # the lost race wrote nothing of its own
    assert db.scalar(select(func.count(OutgoingEmail.id))) == queued_before


def test_on_postgresql_the_one_statement_writes_nothing_else_when_the_revision_was_submitted(
    client, db, tender, bid, complete_bid, provider
):
    """The submission, the bid's status and the receipts are one statement on PostgreSQL: if
    a submission from the same revision is already there, it returns no id and neither
    marks the bid nor queues a receipt. (Through the view the bid's row lock makes this race
    unreachable on PostgreSQL; the statement still refuses it.)"""
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite writes the three separately (see the race above)")
    complete_bid(client, bid, tender)
    revision = db.get(Bid, bid.id).revision
    row = {
        "bid_id": bid.id,
        "version": 1,
        "from_revision": revision,
        "submitted_at": DEADLINE - timedelta(days=1),
        "submitted_by_id": provider.id,
        "receipt_reference": "OTHER-TAB-1",
        "sha256": "0" * 64,
        "content": {},
    }
    db.execute(Submission.__table__.insert().values(**row))
    db.commit()
    queued_before = db.scalar(select(func.count(OutgoingEmail.id)))
    again = row | {"version": 2, "receipt_reference": "THIS-TAB-2", "status": BidStatus.SUBMITTED}
    again |= queue_rendered_parameters([provider.email], RenderedEmail("Bid received", "Body"), DEADLINE)
    assert db.execute(submitting._SUBMIT_ON_POSTGRESQL, again).scalar() is None
    db.commit()
    db.expire_all()
    assert db.get(Bid, bid.id).status is BidStatus.DRAFT
    assert db.scalar(select(func.count(OutgoingEmail.id))) == queued_before
    assert [s.receipt_reference for s in submissions(db)] == ["OTHER-TAB-1"]

    # From a newer revision it is written, with the bid's status; nobody to email, no email.
    newer = again | {"from_revision": revision + 1, "email_to": []}
    assert db.execute(submitting._SUBMIT_ON_POSTGRESQL, newer).scalar() is not None
    db.commit()
    db.expire_all()
    assert db.get(Bid, bid.id).status is BidStatus.SUBMITTED
    assert db.scalar(select(func.count(OutgoingEmail.id))) == queued_before


def test_on_postgresql_the_submission_statement_writes_only_its_own_columns(app, client, db, tender, bid, complete_bid):
    """The one statement's three writes share their parameters: a parameter named like
    another column of their tables would be written too. The columns are pinned here."""
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite writes the three separately")
    complete_bid(client, bid, tender)
    seen = []
    engine = app.extensions["db_engine"]
    listener = lambda *args: seen.append(args[2])  # noqa: E731  (the statement's text)
    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert submit(client, bid.id).status_code == 302
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    [statement] = [s for s in seen if s.lstrip().startswith("WITH new_submission")]

    def listed(pattern: str) -> set[str]:  # the columns an INSERT names
        return {name.strip() for name in re.search(pattern, statement).group(1).split(",")}

    submission_columns = "bid_id version from_revision receipt_reference submitted_at submitted_by_id sha256 content"
    assert listed(r"INSERT INTO submission \(([^)]*)\)") == set(submission_columns.split())
    assert set(re.findall(r"(\w+)=", re.search(r"UPDATE bid SET (.*?) WHERE", statement).group(1))) == {
        "status",
        "submitted_at",
        "withdrawn_at",
    }
    email_columns = "to_address subject body_text created_at attempts"
    assert listed(r"INSERT INTO outgoing_email \(([^)]*)\)") == set(email_columns.split())


def test_a_withdrawal_refused_at_the_moment_of_commit_is_not_announced(
    client, db, tender, bid, complete_bid, clock_at, monkeypatch, mailbox, provider
):
    complete_bid(client, bid, tender)
    assert submit(client, bid.id).status_code == 302
    assert "Bid received" in mailbox.last_to(provider.email)["Subject"]  # the receipt, delivered
    mailbox.clear()
    page = client.get(f"/bids/{bid.id}/withdraw").get_data(as_text=True)
    clock_at(DEADLINE - timedelta(seconds=1))
    original = submitting.before_commit

    def before_commit(session, check):
        def at_commit():
            # The deadline, as it stands at commit, is before the request arrived.
            session.execute(
                update(Tender).where(Tender.id == tender.id).values(submission_deadline=DEADLINE - timedelta(seconds=2))
            )
            check()

        original(session, at_commit)

    monkeypatch.setattr(submitting, "before_commit", before_commit)
    response = client.post(f"/bids/{bid.id}/withdraw", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 400
    assert "The server's time is now 21 December 2026 at 11:59:59" in text_of(response)
    db.expire_all()
    assert db.get(Bid, bid.id).status is BidStatus.SUBMITTED
    assert "has been withdrawn" not in text_of(client.get(f"/bids/{bid.id}"))
    assert mailbox.messages == []


def test_after_the_deadline_the_lists_stop_prompting_to_submit_changes(
    client, db, tender, bid, complete_bid, clock_at, mailbox
):
    complete_bid(client, bid, tender)
    assert submit(client, bid.id).status_code == 302
    _selection, first, _second = questions_of(tender)
    assert answer(client, bid.id, first.id, "A better answer about outreach.").status_code == 302
    assert "Changes not yet submitted" in text_of(client.get("/bids"))
    assert "changes not yet submitted" in text_of(client.get("/dashboard"))
    clock_at(tender.submission_deadline + timedelta(minutes=1))
    # Too late to submit them: the lists no longer suggest it.
    assert "Changes not yet submitted" not in text_of(client.get("/bids"))
    assert "changes not yet submitted" not in text_of(client.get("/dashboard"))
