"""Bid fixtures: a tender open for bids, built straight into the database (the
officers' publication journey is tested elsewhere), providers and helpers that
drive the bid pages as a browser would.

``open_tender()`` makes a PUBLISHED tender with two lots, one pass or fail
selection question and two quality questions with small word limits, closing
28 days after ``NOW`` (midday in London), where the clock is fixed.
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.agreements.models import ServiceCategory
from portal.bids.models import Bid
from portal.tenders.models import Lot, Question, Tender, TenderStatus
from tests.support import csrf_token_from
from tests.tenders.questionnaire import add_questionnaire

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # a Monday, midday in London (GMT)
DEADLINE = NOW + timedelta(days=28)
FIRST_LIMIT = 20
SECOND_LIMIT = 30

_sequence = itertools.count(1)


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html)
    assert match, f"no hidden {name} on the page"
    return match.group(1)


@pytest.fixture
def clock_at(app, monkeypatch):
    """Stand the app's clock at ``NOW``; call it with an aware datetime (or a
    function returning one) to move it."""

    def set_now(moment):
        monkeypatch.setitem(app.config, "FIXED_NOW", moment)
        return moment

    set_now(NOW)
    return set_now


@pytest.fixture
def open_tender(db, clock_at):
    def make(status: TenderStatus = TenderStatus.PUBLISHED, deadline: datetime = DEADLINE, **fields) -> Tender:
        n = next(_sequence)
        category = db.scalar(select(ServiceCategory).where(ServiceCategory.name == "Early help")) or ServiceCategory(
            name="Early help"
        )
        tender = Tender(
            reference=fields.pop("reference", f"KCC-B-{n:04d}"),
            title=fields.pop("title", f"Family support {n}"),
            description="Support for families.",
            category=category,
            estimated_value_pence=200_000_00,
            status=status,
            published_at=NOW - timedelta(days=1) if status is not TenderStatus.DRAFT else None,
            clarification_deadline=deadline - timedelta(days=14),
            answers_by=deadline - timedelta(days=10),
            submission_deadline=deadline,
            contract_start_date=fields.pop("contract_start_date", (NOW + timedelta(days=120)).date()),
            **fields,
        )
        db.add(tender)
        db.flush()
        for number in (1, 2):
            db.add(
                Lot(
                    tender_id=tender.id,
                    number=number,
                    title=f"Area {number}",
                    description=f"Area {number}.",
                    estimated_annual_value_pence=100_000_00,
                    max_providers=2,
                    pricing_instructions=f"Give your annual price for area {number}, including all staff costs.",
                )
            )
        add_questionnaire(
            db, tender, word_limits=(FIRST_LIMIT, SECOND_LIMIT), outreach_guidance="Describe your outreach."
        )
        db.commit()
        db.refresh(tender)
        return tender

    return make


@pytest.fixture
def tender(open_tender):
    return open_tender()


@pytest.fixture
def provider(make_user):
    return make_user()


@pytest.fixture
def colleague(make_user, provider):
    return make_user(organisation=provider.organisation, is_organisation_admin=False)


@pytest.fixture
def outsider(make_user):
    return make_user()


def questions_of(tender: Tender) -> tuple[Question, Question, Question]:
    selection, first, second = sorted(tender.questions, key=lambda q: q.position)
    return selection, first, second


@pytest.fixture
def start_bid(db):
    """POST to start the signed-in client's bid; returns the Bid."""

    def start(client, tender: Tender) -> Bid:
        token = csrf_token_from(client.get("/bids").get_data(as_text=True))
        response = client.post(f"/opportunities/{tender.reference}/bid", data={"csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        bid_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
        db.expire_all()
        return db.get(Bid, bid_id)

    return start


def answer(client, bid_id: int, question_id: int, value: str, **extra):
    """Load the question page and save ``value`` (text, or "yes"/"no") from it."""
    url = f"/bids/{bid_id}/questions/{question_id}"
    page = client.get(url).get_data(as_text=True)
    data = {
        "csrf_token": csrf_token_from(page),
        "base_version": hidden(page, "base_version"),
        "draft_token": hidden(page, "draft_token"),
        "answer": value,
        "action": "save",
        **extra,
    }
    return client.post(url, data=data)


def post_page(client, url: str, data: dict | None = None, form_url: str | None = None, **kwargs):
    token = csrf_token_from(client.get(form_url or url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **(data or {})}, **kwargs)


@pytest.fixture
def complete_bid():
    """Fill every required part of the bid through its pages."""

    def complete(client, bid: Bid, tender: Tender, lots=None):
        lots = lots or [lot.id for lot in tender.lots]
        selection, first, second = questions_of(tender)
        assert post_page(client, f"/bids/{bid.id}/lots", {"lot_ids": [str(i) for i in lots]}).status_code == 302
        assert answer(client, bid.id, selection.id, "yes").status_code == 302
        assert (
            answer(client, bid.id, first.id, "We visit schools, GP surgeries and food banks weekly.").status_code == 302
        )
        assert answer(client, bid.id, second.id, "Every member of staff is DBS checked and trained.").status_code == 302
        prices = {f"price_{lot_id}": f"{100000 + lot_id}" for lot_id in lots}
        assert post_page(client, f"/bids/{bid.id}/prices", prices).status_code == 302
        assert post_page(client, f"/bids/{bid.id}/declarations", {"confirm": "y"}).status_code == 302

    return complete
