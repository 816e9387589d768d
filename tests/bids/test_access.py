"""Who may see and change a bid, and tampered ids: another organisation's
people get 404 on every bid route; ids from elsewhere are 404 too."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from portal.accounts.models import Role
from portal.bids.models import Bid, BidAnswer, BidAttachment, BidLot
from tests.bids.conftest import answer, post_page, questions_of
from tests.support import csrf_token_from


@pytest.fixture
def started(client, tender, provider, login_as, start_bid, complete_bid):
    login_as(provider)
    bid = start_bid(client, tender)
    complete_bid(client, bid, tender)
    assert (
        post_page(
            client,
            f"/bids/{bid.id}/files",
            {"file": (io.BytesIO(b"%PDF-1.4 z"), "a.pdf")},
            content_type="multipart/form-data",
        ).status_code
        == 302
    )
    assert post_page(client, f"/bids/{bid.id}/submit").status_code == 302
    return bid


def bid_urls(db, bid: Bid, tender) -> list[str]:
    attachment = db.scalar(select(BidAttachment).where(BidAttachment.bid_id == bid.id))
    question = questions_of(tender)[1]
    return [
        f"/bids/{bid.id}",
        f"/bids/{bid.id}/lots",
        f"/bids/{bid.id}/questions/{question.id}",
        f"/bids/{bid.id}/prices",
        f"/bids/{bid.id}/files",
        f"/bids/{bid.id}/files/{attachment.id}",
        f"/bids/{bid.id}/evidence",
        f"/bids/{bid.id}/declarations",
        f"/bids/{bid.id}/submit",
        f"/bids/{bid.id}/receipts/1",
        f"/bids/{bid.id}/withdraw",
    ]


def test_another_organisation_gets_404_everywhere(app, db, tender, started, outsider, login_as):
    from tests.conftest import PASSWORD
    from tests.support import post_form

    other = app.test_client()
    assert post_form(other, "/sign-in", {"email": outsider.email, "password": PASSWORD}).status_code == 302
    token = csrf_token_from(other.get("/bids").get_data(as_text=True))
    db.expire_all()
    revision = db.get(Bid, started.id).revision
    for url in bid_urls(db, started, tender):
        assert other.get(url).status_code == 404, url
        if (
            not url.endswith(f"/files/{db.scalar(select(BidAttachment.id))}")
            and "/receipts/" not in url
            and url != f"/bids/{started.id}"
        ):
            response = other.post(
                url, data={"csrf_token": token, "answer": "Hijack", "confirm": "y", "base_version": "9"}
            )
            assert response.status_code == 404, url
    attachment_id = db.scalar(select(BidAttachment.id))
    assert other.post(f"/bids/{started.id}/files/{attachment_id}/remove", data={"csrf_token": token}).status_code == 404
    assert "Family support" not in other.get("/bids").get_data(as_text=True)
    db.expire_all()
    assert db.get(Bid, started.id).revision == revision
    assert db.scalar(select(func.count(BidAttachment.id))) == 1


def test_staff_are_refused_the_provider_pages(app, db, tender, started, make_user):
    from tests.conftest import PASSWORD
    from tests.support import post_form

    officer = make_user(role=Role.OFFICER)
    staff = app.test_client()
    assert post_form(staff, "/sign-in", {"email": officer.email, "password": PASSWORD}).status_code == 302
    for url in bid_urls(db, started, tender):
        assert staff.get(url).status_code == 403, url
    assert staff.get("/bids").status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(app, db, tender, started):
    anonymous = app.test_client()
    for url in bid_urls(db, started, tender):
        response = anonymous.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in?next="), url


def test_tampered_ids_are_404(client, db, open_tender, tender, provider, login_as, start_bid):
    login_as(provider)
    bid = start_bid(client, tender)
    elsewhere = open_tender()
    foreign_question = questions_of(elsewhere)[1]
    foreign_lot = elsewhere.lots[0]

    assert client.get(f"/bids/{bid.id}/questions/{foreign_question.id}").status_code == 404
    assert answer(client, bid.id, questions_of(tender)[1].id, "Fine").status_code == 302
    page = client.get(f"/bids/{bid.id}/questions/{questions_of(tender)[1].id}").get_data(as_text=True)
    assert (
        client.post(
            f"/bids/{bid.id}/questions/{foreign_question.id}",
            data={"csrf_token": csrf_token_from(page), "answer": "Sneaky", "base_version": "0"},
        ).status_code
        == 404
    )

    assert post_page(client, f"/bids/{bid.id}/lots", {"lot_ids": [str(foreign_lot.id)]}).status_code == 404
    assert db.scalar(select(func.count(BidLot.bid_id))) == 0
    assert post_page(client, f"/bids/{bid.id}/lots", {"lot_ids": ["nonsense"]}).status_code == 400

    assert post_page(client, f"/bids/{bid.id}/lots", {"lot_ids": [str(tender.lots[0].id)]}).status_code == 302
    # A price for a lot not in the bid (the tender's other lot, or another tender's).
    for lot_id in (tender.lots[1].id, foreign_lot.id):
        assert post_page(client, f"/bids/{bid.id}/prices", {f"price_{lot_id}": "100"}).status_code == 404
    assert db.scalar(select(BidLot.price_pence)) is None
    assert client.get("/bids/999999").status_code == 404
    assert client.get(f"/bids/{bid.id}/receipts/1").status_code == 404
    assert db.scalar(select(func.count(BidAnswer.id))) == 1


@pytest.mark.parametrize(
    "value, message",
    [
        ("-5", "must not be negative"),
        ("12.345", "must be an amount in pounds"),
        ("ten pounds", "must be an amount in pounds"),
        ("2000000000", "£1,000,000,000 or less"),
    ],
)
def test_prices_are_money(client, db, tender, provider, login_as, start_bid, value, message):
    login_as(provider)
    bid = start_bid(client, tender)
    lot = tender.lots[0]
    assert post_page(client, f"/bids/{bid.id}/lots", {"lot_ids": [str(lot.id)]}).status_code == 302
    response = post_page(client, f"/bids/{bid.id}/prices", {f"price_{lot.id}": value})
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert db.scalar(select(BidLot.price_pence)) is None
    assert post_page(client, f"/bids/{bid.id}/prices", {f"price_{lot.id}": "£125,000.50"}).status_code == 302
    db.expire_all()
    assert db.scalar(select(BidLot.price_pence)) == 12_500_050
    page = client.get(f"/bids/{bid.id}/prices").get_data(as_text=True)
    assert 'value="125000.50"' in page and "Give your annual price for area 1" in page
