"""The Atom feed of new opportunities: well-formed Atom 1.0, newest first, drafts never,
cancelled ones saying so, titles escaped, stable ids, absolute links, one fixed query count."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from defusedxml import ElementTree as ET

from portal.tenders.models import Amendment, TenderStatus
from tests import factories
from tests.factories import NOW
from tests.support import count_queries

NS = {"atom": "http://www.w3.org/2005/Atom"}
BASE = "http://127.0.0.1:5000"  # the configured BASE_URL under test
TAG = re.compile(r"^tag:127\.0\.0\.1,\d{4}-\d{2}-\d{2}:opportunity:[A-Za-z0-9-]+$")


@pytest.fixture(autouse=True)
def at_now(app, monkeypatch):
    monkeypatch.setitem(app.config, "FIXED_NOW", NOW)


def feed(client):
    response = client.get("/opportunities.atom")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    return ET.fromstring(response.data)


def entries(root) -> list[dict]:
    return [
        {
            "id": e.findtext("atom:id", namespaces=NS),
            "title": e.findtext("atom:title", namespaces=NS),
            "updated": e.findtext("atom:updated", namespaces=NS),
            "published": e.findtext("atom:published", namespaces=NS),
            "link": e.find("atom:link", NS).get("href"),
            "summary": e.findtext("atom:summary", namespaces=NS),
        }
        for e in root.findall("atom:entry", NS)
    ]


def make_tender(app, db, published_at=None, **fields):
    """tests.factories.make_tender, published when told (the factory publishes a day before NOW)."""
    tender = factories.make_tender(app, db, documents=0, **fields)
    if published_at is not None:
        tender.published_at = published_at
    db.flush()
    return tender


@pytest.fixture
def tenders(app, db):
    """An open tender published a day ago; one published two days ago with a title full of
    markup, since amended; a cancelled one; a draft."""
    made = {
        "open": make_tender(app, db, reference="KCC-OPEN", title="Young carers support"),
        "markup": make_tender(
            app,
            db,
            reference="KCC-MARKUP",
            title='Carers <b>&</b> "families" <script>',
            value_pence=1_500_000_00,
            published_at=NOW - timedelta(days=2),
        ),
        "cancelled": make_tender(
            app,
            db,
            reference="KCC-GONE",
            title="Short breaks",
            status=TenderStatus.CANCELLED,
            published_at=NOW - timedelta(days=5),
            cancelled_at=NOW - timedelta(hours=3),
            cancellation_reason="Provided in house.",
        ),
        "draft": make_tender(app, db, reference="KCC-DRAFT", title="Secret draft", status=TenderStatus.DRAFT),
    }
    db.add(
        Amendment(
            tender_id=made["markup"].id, number=1, reason="More time", changes=[], published_at=NOW - timedelta(hours=5)
        )
    )
    db.commit()
    return made


def test_the_feed_lists_published_opportunities_newest_first(client, tenders):
    root = feed(client)
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    assert root.findtext("atom:id", namespaces=NS) == f"{BASE}/opportunities.atom"
    assert root.find("atom:link[@rel='self']", NS).get("href") == f"{BASE}/opportunities.atom"
    assert root.find("atom:link[@rel='alternate']", NS).get("href") == f"{BASE}/opportunities"
    assert root.findtext("atom:author/atom:name", namespaces=NS)
    found = entries(root)
    assert [e["link"] for e in found] == [
        f"{BASE}/opportunities/KCC-OPEN",
        f"{BASE}/opportunities/KCC-MARKUP",
        f"{BASE}/opportunities/KCC-GONE",
    ]
    opened, markup, cancelled = found
    assert opened["title"] == "Young carers support"
    # 28 days after NOW: Monday 21 December 2026 at noon, GMT.
    assert opened["summary"] == "Closes 21 December 2026 at midday. Estimated value £250,000."
    assert opened["published"] == opened["updated"] == "2026-11-22T12:00:00Z"
    assert markup["summary"] == "Closes 21 December 2026 at midday. Estimated value £1.5m."
    assert markup["updated"] == "2026-11-23T07:00:00Z" and markup["published"] == "2026-11-21T12:00:00Z"
    assert cancelled["title"] == "Cancelled: Short breaks"
    assert cancelled["summary"] == "Cancelled on 23 November 2026. Estimated value £250,000."
    assert cancelled["updated"] == "2026-11-23T09:00:00Z"
    # The feed's own updated is its newest entry's.
    assert root.findtext("atom:updated", namespaces=NS) == "2026-11-23T09:00:00Z"
    for entry in found:
        assert TAG.match(entry["id"]), entry["id"]
    assert opened["id"] == "tag:127.0.0.1,2026-11-22:opportunity:KCC-OPEN"


def test_titles_are_escaped_not_pasted(client, tenders):
    raw = client.get("/opportunities.atom").get_data(as_text=True)
    assert "<script>" not in raw and "<b>" not in raw
    assert "Carers &lt;b&gt;&amp;&lt;/b&gt;" in raw
    (markup,) = [e for e in entries(feed(client)) if e["link"].endswith("KCC-MARKUP")]
    assert markup["title"] == 'Carers <b>&</b> "families" <script>'


def test_drafts_never_appear(client, tenders):
    raw = client.get("/opportunities.atom").get_data(as_text=True)
    assert "KCC-DRAFT" not in raw and "Secret draft" not in raw


def test_ids_are_stable(client, tenders, app, monkeypatch, db):
    before = [e["id"] for e in entries(feed(client))]
    monkeypatch.setitem(app.config, "FIXED_NOW", NOW + timedelta(days=30))
    db.add(Amendment(tender_id=tenders["open"].id, number=1, reason="Later", changes=[], published_at=NOW))
    db.commit()
    after = entries(feed(client))
    assert [e["id"] for e in after] == before
    assert after[0]["updated"] == "2026-11-23T12:00:00Z"  # the amendment moved updated, not the id
    # 30 days on, the open tender's deadline has passed: it says so, though the worker has not closed it.
    assert after[0]["summary"] == "Closed 21 December 2026 at midday. Estimated value £250,000."


def test_control_characters_are_left_out(client, app, db):
    make_tender(app, db, reference="KCC-CTRL", title="Bell\x07 and\x1b escape")
    db.commit()
    assert entries(feed(client))[0]["title"] == "Bell and escape"


def test_an_empty_feed_is_still_valid_atom(client):
    root = feed(client)
    assert root.findall("atom:entry", NS) == [] and root.findtext("atom:updated", namespaces=NS)


def test_the_feed_is_the_latest_50_in_a_fixed_number_of_queries(client, app, db):
    def count_for():
        with count_queries(app) as statements:
            root = feed(client)
        return len(statements), root

    for i in range(3):
        make_tender(app, db, lots=1, published_at=NOW - timedelta(hours=i))
    db.commit()
    few, root = count_for()
    assert len(root.findall("atom:entry", NS)) == 3
    for i in range(60):
        make_tender(app, db, lots=1, published_at=NOW - timedelta(days=1, hours=i))
    db.commit()
    many, root = count_for()
    assert many == few and len(root.findall("atom:entry", NS)) == 50


def test_the_opportunities_page_offers_the_feed(client):
    html = client.get("/opportunities").get_data(as_text=True)
    assert '<link rel="alternate" type="application/atom+xml"' in html and 'href="/opportunities.atom"' in html
    assert "Subscribe to new opportunities (Atom feed)" in html
