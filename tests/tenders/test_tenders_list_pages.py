"""The officers' list of tenders stays flat as tenders grow: a page at a time (newest
first), a fixed number of queries, a page no bigger than a quarter more than with a
handful of tenders, and a filter by the status each tender shows."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from portal.tenders.models import Lot, Tender, TenderStatus
from portal.tenders.queries import OFFICER_PAGE_SIZE
from tests.support import count_queries
from tests.tenders.conftest import NOW

STATUSES = list(TenderStatus)


@pytest.fixture
def signed_in_officer(officer, login_as, clock_at):
    login_as(officer)
    return officer


def bulk_tenders(db, category, n, start_at=0, lots=12):
    """n tenders (titles as long as the demo's), each status in turn, with ``lots`` lots each;
    the newest is the one with the lowest number."""
    db.execute(
        insert(Tender),
        [
            {
                "reference": f"BT-{start_at + i:04d}",
                "title": f"Bulk tender {start_at + i} for support services in the districts",
                "category_id": category.id,
                "status": STATUSES[(start_at + i) % len(STATUSES)],
                "created_at": NOW - timedelta(days=start_at + i + 1),
                "submission_deadline": NOW + timedelta(days=30 - (start_at + i) % 60),
            }
            for i in range(n)
        ],
    )
    ids = db.scalars(select(Tender.id).where(Tender.reference.like("BT-%")).order_by(Tender.id)).all()
    if lots:
        db.execute(
            insert(Lot),
            [{"tender_id": t, "number": k, "title": f"Lot {k}"} for t in ids[-n:] for k in range(1, lots + 1)],
        )
    db.commit()


def _listed(html):
    return re.findall(r'href="/tenders/(\d+)"', html)


def test_the_list_runs_the_same_queries_and_stays_small_as_tenders_grow(
    app, client, db, signed_in_officer, make_category
):
    category = make_category("Early Intervention & Prevention")
    bulk_tenders(db, category, 20)  # a tenth of the benchmark's large data
    with count_queries(app) as small:
        small_page = client.get("/tenders")
    bulk_tenders(db, category, 180, start_at=20)  # 200 tenders, 12 lots each
    with count_queries(app) as large:
        large_page = client.get("/tenders")
    assert small_page.status_code == large_page.status_code == 200
    assert len(large) == len(small), f"{len(small)} queries at 20 tenders, {len(large)} at 200"
    assert not any(" lot" in statement.lower().split("from", 1)[-1] for statement in large)  # no lots read
    assert len(_listed(large_page.get_data(as_text=True))) == OFFICER_PAGE_SIZE
    assert len(large_page.data) <= 1.25 * len(small_page.data), (len(small_page.data), len(large_page.data))


def test_pages_go_newest_first_and_a_page_past_the_last_shows_the_last(client, db, signed_in_officer, make_category):
    bulk_tenders(db, make_category(), 2 * OFFICER_PAGE_SIZE + 1, lots=0)
    newest_first = db.scalars(select(Tender.id).order_by(Tender.created_at.desc(), Tender.id.desc())).all()
    first = client.get("/tenders").get_data(as_text=True)
    assert [int(i) for i in _listed(first)] == newest_first[:OFFICER_PAGE_SIZE]
    assert 'aria-label="Pages of tenders"' in first and 'rel="next"' in first and 'rel="prev"' not in first
    second = client.get("/tenders?page=2").get_data(as_text=True)
    assert [int(i) for i in _listed(second)] == newest_first[OFFICER_PAGE_SIZE : 2 * OFFICER_PAGE_SIZE]
    last = client.get("/tenders?page=3").get_data(as_text=True)
    assert [int(i) for i in _listed(last)] == newest_first[2 * OFFICER_PAGE_SIZE :]
    assert _listed(client.get("/tenders?page=999").get_data(as_text=True)) == _listed(last)
    for odd in ("abc", "0", "-1", "²"):
        assert _listed(client.get(f"/tenders?page={odd}").get_data(as_text=True)) == _listed(first)


def test_the_status_filter_shows_what_each_tender_shows(client, db, signed_in_officer, make_category):
    category = make_category()
    bulk_tenders(db, category, 12, lots=0)
    # One open for bids whose deadline has passed: closed to everyone, before the worker records it.
    late = db.scalar(select(Tender).where(Tender.status == TenderStatus.PUBLISHED).limit(1))
    late.submission_deadline = NOW - timedelta(minutes=1)
    db.commit()
    everything = client.get("/tenders").get_data(as_text=True)
    assert "All (12)" in everything and "Open (1)" in everything and "Closed (3)" in everything

    closed = client.get("/tenders?status=closed").get_data(as_text=True)
    shown = {int(i) for i in _listed(closed)}
    assert late.id in shown and len(shown) == 3
    assert all(status == "Closed" for status in re.findall(r'<strong class="govuk-tag [^"]*">([^<]+)<', closed))
    assert 'aria-current="page">Closed (3)' in closed

    published = client.get("/tenders?status=published").get_data(as_text=True)
    assert late.id not in {int(i) for i in _listed(published)} and len(_listed(published)) == 1

    drafts = client.get("/tenders?status=draft").get_data(as_text=True)
    assert {int(i) for i in _listed(drafts)} == set(
        db.scalars(select(Tender.id).where(Tender.status == TenderStatus.DRAFT))
    )
    # An unknown status shows them all.
    assert len(_listed(client.get("/tenders?status=nonsense").get_data(as_text=True))) == min(12, OFFICER_PAGE_SIZE)


def test_page_links_keep_the_status(client, db, signed_in_officer, make_category):
    bulk_tenders(db, make_category(), len(STATUSES) * (OFFICER_PAGE_SIZE + 1), lots=0)
    drafts = client.get("/tenders?status=draft").get_data(as_text=True)
    assert 'href="/tenders?status=draft&amp;page=2"' in drafts
    second = client.get("/tenders?status=draft&page=2").get_data(as_text=True)
    assert len(_listed(second)) == 1 and "Draft" in second
