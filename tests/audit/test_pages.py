"""The published heads (public, page and JSON) and a tender's audit trail for its officers (page and CSV)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import update

from portal.accounts.models import Role
from portal.audit import chain
from portal.audit.services import record
from portal.bids.models import Bid, BidStatus
from portal.tenders.models import Clarification, Tender
from tests import factories
from tests.support import count_queries

MOMENT = datetime(2026, 11, 23, 14, 5, tzinfo=UTC)  # 2:05pm in London (GMT)


@pytest.fixture
def at(app, monkeypatch):
    """Stand the portal's clock at a moment."""

    def stand(moment: datetime) -> None:
        monkeypatch.setitem(app.config, "FIXED_NOW", moment)

    stand(MOMENT)
    return stand


@pytest.fixture
def world(app, db, at):
    """A published tender (its deadline 28 days on) with an officer, a provider who has
    started a bid and asked a question, and events about the tender, its bid and its question."""
    with app.app_context():
        officer = factories.make_user(db, Role.OFFICER)
        officer.full_name = "Priya Shah"
        provider = factories.make_user(db, Role.PROVIDER)
        provider.full_name = '=HYPERLINK("http://evil.example","click")'
        tender = factories.make_tender(app, db, submission_deadline=MOMENT + timedelta(days=28))
        other = factories.make_tender(app, db)
        bid = Bid(
            tender_id=tender.id,
            organisation_id=provider.organisation_id,
            created_by_id=provider.id,
            status=BidStatus.SUBMITTED,
        )
        question = Clarification(
            tender_id=tender.id, organisation_id=provider.organisation_id, asked_by_id=provider.id, question="When?"
        )
        db.add_all([bid, question])
        db.flush()
        record(db, officer, "tender.published", tender, previous="DRAFT")
        record(db, provider, "bid.started", bid, tender_id=tender.id)
        record(db, provider, "tender.interest_registered", tender, organisation_id=provider.organisation_id)
        record(db, provider, "clarification.asked", question, tender_id=tender.id)
        record(db, None, "agreement.awarded", None, tender_id=tender.id, agreement_ids=[4, 5])
        record(db, officer, "tender.amended", other, number=1)  # another tender's
        record(db, None, "agreement.awarded", None, tender_id=other.id, agreement_ids=[6])
        db.commit()
    return {"officer": officer, "provider": provider, "tender": tender, "other": other, "bid": bid}


def test_the_published_heads_page_explains_and_lists_each_day(app, db, client, at):
    assert "Nothing has been published yet" in client.get("/audit-trail/heads").get_data(as_text=True)
    with app.app_context():
        for n in range(3):
            record(db, None, "test.event", None, n=n)
            db.commit()
            chain.publish_head(db, date(2026, 11, 28 + n))
            db.commit()
    response = client.get("/audit-trail/heads")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "fingerprint" in page and "heads as data (JSON)" in page
    head = chain.head(db)
    assert f"<code>{head[1]}</code>" in page
    assert page.index("30 November 2026") < page.index("29 November 2026") < page.index("28 November 2026")

    data = client.get("/audit-trail/heads.json").get_json()
    assert [h["day"] for h in data["heads"]] == ["2026-11-28", "2026-11-29", "2026-11-30"]
    assert data["heads"][-1] == {
        "day": "2026-11-30",
        "records": 3,
        "hash": head[1],
        "published_at": MOMENT.isoformat(),
    }
    assert "SHA-256" in data["formula"]


def test_the_heads_page_runs_the_same_queries_however_many_days(app, db, client, at):
    counts = []
    for days in (3, 130):
        with app.app_context():
            record(db, None, "test.event", None)
            db.commit()
            start = date(2026, 1, 1) + timedelta(days=len(counts) * 200)
            for n in range(days):
                chain.publish_head(db, start + timedelta(days=n))
            db.commit()
        with count_queries(app) as statements:
            assert client.get("/audit-trail/heads").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1]


def test_officers_and_administrators_read_a_tenders_trail_and_nobody_else(app, db, client, login_as, world, make_user):
    url = f"/tenders/{world['tender'].id}/audit-trail"
    assert client.get(url).status_code == 302  # signed out: to sign in
    for role in (Role.PROVIDER, Role.EVALUATOR):
        assert login_as(make_user(role)).get(url).status_code == 403
        assert client.get(url + ".csv").status_code == 403
    for role in (Role.OFFICER, Role.ADMIN):
        assert login_as(make_user(role)).get(url).status_code == 200
        assert client.get(url + ".csv").status_code == 200
    assert client.get("/tenders/999999/audit-trail").status_code == 404
    assert client.get("/tenders/999999/audit-trail.csv").status_code == 404


def test_the_trail_shows_who_what_when_and_details_and_keeps_bids_sealed_until_the_deadline(
    app, db, client, login_as, world, at
):
    login_as(world["officer"])
    url = f"/tenders/{world['tender'].id}/audit-trail"
    page = client.get(url).get_data(as_text=True)
    assert "Priya Shah" in page and "Published the tender" in page and "23 November 2026 at 2:05pm" in page
    assert "Previous: DRAFT" in page
    assert "Asked a clarification question" in page
    assert "Made agreements from the award" in page and "Agreement ids: 4, 5" in page
    assert "Agreement ids: 6" not in page and "Amended the tender" not in page  # the other tender's
    # Sealed: nothing of the bid, nor who registered interest.
    assert "Started a bid" not in page and "Registered interest" not in page
    assert "Bids are sealed until the submission deadline has passed" in page
    assert "3 records" in page

    at(world["tender"].submission_deadline + timedelta(seconds=1))
    page = client.get(url).get_data(as_text=True)
    assert "Started a bid" not in page, "past the deadline, but the bids not yet opened by two officers"
    opened(db, world["tender"])
    page = client.get(url).get_data(as_text=True)
    assert "Started a bid" in page and "Registered interest" in page
    assert "5 records" in page and "Bids are sealed" not in page
    # Oldest first, in the chain's order.
    assert page.index("Published the tender") < page.index("Started a bid") < page.index("Made agreements")


def test_the_officers_tender_page_links_to_the_trail(app, db, client, login_as, world):
    page = login_as(world["officer"]).get(f"/tenders/{world['tender'].id}").get_data(as_text=True)
    assert f'href="/tenders/{world["tender"].id}/audit-trail"' in page


def opened(db, tender) -> None:
    """Two officers have opened the tender's bids (the moment the seal lifts)."""
    db.execute(update(Tender).where(Tender.id == tender.id).values(evaluation_started_at=tender.submission_deadline))
    db.commit()


def test_the_download_is_the_whole_trail_with_formulas_neutralised(app, db, client, login_as, world, at):
    at(world["tender"].submission_deadline + timedelta(days=1))
    opened(db, world["tender"])
    response = login_as(world["officer"]).get(f"/tenders/{world['tender'].id}/audit-trail.csv")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:4] == ["Position", "When (UTC)", "Who", "What"]
    assert len(rows) == 1 + 5
    started = next(r for r in rows if r[4] == "bid.started")
    assert started[2].startswith("'=HYPERLINK(")  # shown as text, never run as a formula
    assert started[3] == "Started a bid"
    assert all(len(r[8]) == 64 for r in rows[1:])


def test_the_download_keeps_bids_sealed_too(app, db, client, login_as, world):
    response = login_as(world["officer"]).get(f"/tenders/{world['tender'].id}/audit-trail.csv")
    text = response.get_data(as_text=True)
    assert "bid.started" not in text and "interest_registered" not in text
    assert "clarification.asked" in text


def test_the_trail_runs_the_same_number_of_queries_with_10_and_300_events(app, db, client, login_as, at):
    counts = []
    for size in (10, 300):
        with app.app_context():
            officer = factories.make_user(db, Role.OFFICER)
            provider = factories.make_user(db, Role.PROVIDER)
            tender = factories.make_tender(app, db, submission_deadline=MOMENT - timedelta(days=1))
            bid = Bid(
                tender_id=tender.id,
                organisation_id=provider.organisation_id,
                created_by_id=provider.id,
                status=BidStatus.SUBMITTED,
            )
            db.add(bid)
            tender.evaluation_started_at = MOMENT  # opened: the trail shows everything it has
            db.flush()
            for n in range(size):
                actor, obj = (officer, tender) if n % 2 else (provider, bid)
                record(db, actor, "tender.details_changed" if n % 2 else "bid.lots_chosen", obj, n=n, lot_ids=[1, 2])
            db.commit()
        login_as(officer)
        for url in (f"/tenders/{tender.id}/audit-trail", f"/tenders/{tender.id}/audit-trail?page=2"):
            with count_queries(app) as statements:
                response = client.get(url)
            assert response.status_code == 200
            counts.append((url.endswith("page=2"), len(statements)))
        assert f"{size:,} records" in response.get_data(as_text=True)
    assert counts[0][1] == counts[2][1] and counts[1][1] == counts[3][1], counts


def test_a_page_past_the_end_shows_the_last_page(app, db, client, login_as, world):
    response = login_as(world["officer"]).get(f"/tenders/{world['tender'].id}/audit-trail?page=999")
    assert response.status_code == 200
    assert "Published the tender" in response.get_data(as_text=True)


def test_a_bid_never_submitted_stays_out_of_the_trail_even_once_opened(app, db, client, login_as, world, at):
    with app.app_context():
        draft = Bid(
            tender_id=world["tender"].id, organisation_id=factories.make_user(db, Role.PROVIDER).organisation_id
        )
        db.add(draft)
        db.flush()
        record(db, None, "bid.answer_saved", draft, tender_id=world["tender"].id)
        db.commit()
    at(world["tender"].submission_deadline + timedelta(days=1))
    opened(db, world["tender"])
    page = login_as(world["officer"]).get(f"/tenders/{world['tender'].id}/audit-trail").get_data(as_text=True)
    assert "Started a bid" in page  # the submitted bid's
    assert "answer saved" not in page.lower()
