"""The provider's list of bids, the home page's "Your bids", the evidence
and declarations pages, and countdowns in words."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta
from html import unescape

import pytest
from sqlalchemy import select

from portal.bids import display
from portal.bids.models import Submission, bid_evidence
from portal.files import StoredFile
from portal.providers.models import Evidence, EvidenceKind
from tests.bids.conftest import DEADLINE, NOW, post_page
from tests.support import count_queries as counting_queries


def text_of(response) -> str:
    return unescape(response.get_data(as_text=True))


def queries_to_show(app, client, url: str) -> int:
    with counting_queries(app) as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(statements)


@pytest.mark.parametrize(
    "now, expected",
    [
        (DEADLINE - timedelta(days=3), "Closes in 3 days"),
        (DEADLINE - timedelta(hours=20), "Closes tomorrow at 12:00pm"),
        (DEADLINE - timedelta(hours=3), "Closes today at 12:00pm"),
        (DEADLINE - timedelta(seconds=1), "Closes today at 12:00pm"),
        (DEADLINE, "Closed"),
        (DEADLINE + timedelta(days=2), "Closed"),
    ],
)
def test_countdown_in_words(now, expected):
    assert display.countdown(DEADLINE, now) == expected


def test_countdown_uses_london_days_and_times():
    summer = datetime(2026, 7, 1, 16, 30, tzinfo=UTC)  # 5:30pm in London (BST)
    assert display.countdown(summer, summer - timedelta(hours=1)) == "Closes today at 5:30pm"
    assert display.countdown(summer, datetime(2026, 6, 30, 23, 30, tzinfo=UTC)) == "Closes today at 5:30pm"


def test_the_list_of_bids_shows_status_and_time_left(
    client, db, open_tender, tender, provider, colleague, login_as, start_bid, complete_bid, clock_at
):
    login_as(provider)
    soon = open_tender(title="Closing soon", deadline=NOW + timedelta(hours=2))
    bid = start_bid(client, tender)
    start_bid(client, soon)
    complete_bid(client, bid, tender)
    assert post_page(client, f"/bids/{bid.id}/submit").status_code == 302
    page = text_of(client.get("/bids"))
    assert page.index("Closing soon") < page.index(tender.title)  # soonest deadline first
    assert "Closes today at 2:00pm" in page and "Closes in 28 days" in page
    assert "Draft" in page and "Submitted (version 1)" in page
    clock_at(NOW + timedelta(hours=3))
    assert "Closed" in text_of(client.get("/bids"))


def test_home_page_lists_the_bids_in_one_query(app, client, db, open_tender, provider, login_as, start_bid):
    login_as(provider)

    def count_queries() -> int:
        return queries_to_show(app, client, "/dashboard")

    with_none = count_queries()
    assert "Your organisation has no bids in progress" in text_of(client.get("/dashboard"))
    start_bid(client, open_tender(title="First opportunity"))
    with_one = count_queries()
    for n in range(3):
        start_bid(client, open_tender(title=f"Another opportunity {n}"))
    page = text_of(client.get("/dashboard"))
    assert "Your bids" in page and "First opportunity" in page and "Draft" in page and "Closes in 28 days" in page
    assert count_queries() == with_one
    assert with_one <= with_none + 1


def add_evidence(db, organisation_id, title, expires_on, kind=EvidenceKind.INSURANCE):
    stored = StoredFile(
        filename=f"{title}.pdf",
        content_type="application/pdf",
        kind="PDF",
        size=10,
        sha256=f"{abs(hash(title)):064d}"[:64],
    )
    db.add(stored)
    db.flush()
    evidence = Evidence(
        organisation_id=organisation_id, kind=kind, title=title, file_id=stored.id, expires_on=expires_on
    )
    db.add(evidence)
    db.commit()
    return evidence


def test_evidence_is_referred_to_and_flagged(client, db, tender, provider, outsider, login_as, start_bid, complete_bid):
    login_as(provider)
    bid = start_bid(client, tender)
    today = NOW.date()
    expired = add_evidence(db, provider.organisation_id, "Old insurance", today - timedelta(days=1))
    early = add_evidence(
        db, provider.organisation_id, "Insurance ending soon", tender.contract_start_date - timedelta(days=1)
    )
    fine = add_evidence(
        db, provider.organisation_id, "Safeguarding policy", date(2030, 1, 1), EvidenceKind.SAFEGUARDING_POLICY
    )
    foreign = add_evidence(db, outsider.organisation_id, "Someone else's", date(2030, 1, 1))

    page = text_of(client.get(f"/bids/{bid.id}/evidence"))
    assert "Someone else's" not in page
    # Adding evidence from here comes back to this bid.
    assert f'href="/organisation/evidence?next=/bids/{bid.id}/evidence"' in page.replace("%2F", "/")
    assert page.count("Expired") == 1 and page.count("Expires before the contract starts") == 1
    assert "govuk-tag--red" in page

    chosen = post_page(
        client, f"/bids/{bid.id}/evidence", {"evidence_ids": [str(expired.id), str(early.id), str(fine.id)]}
    )
    assert chosen.status_code == 302
    assert set(db.scalars(select(bid_evidence.c.evidence_id))) == {expired.id, early.id, fine.id}
    task_list = text_of(client.get(f"/bids/{bid.id}"))
    assert "3 chosen" in task_list and "2 flagged" in task_list
    assert "Expires before the contract starts" in text_of(client.get(f"/bids/{bid.id}/submit"))

    assert post_page(client, f"/bids/{bid.id}/evidence", {"evidence_ids": [str(foreign.id)]}).status_code == 404
    assert set(db.scalars(select(bid_evidence.c.evidence_id))) == {expired.id, early.id, fine.id}

    complete_bid(client, bid, tender)
    assert post_page(client, f"/bids/{bid.id}/submit").status_code == 302
    db.expire_all()
    submission = db.scalar(select(Submission))
    assert {e["title"] for e in submission.content["evidence"]} == {
        "Old insurance",
        "Insurance ending soon",
        "Safeguarding policy",
    }


def test_declarations_must_be_confirmed(client, db, tender, provider, login_as, start_bid):
    login_as(provider)
    bid = start_bid(client, tender)
    page = text_of(client.get(f"/bids/{bid.id}/declarations"))
    for words in ("true, complete and accurate", "not colluded", "conflict of interest", "safeguarding"):
        assert words in page
    refused = post_page(client, f"/bids/{bid.id}/declarations", {})
    assert refused.status_code == 400 and "Confirm the declarations to continue" in text_of(refused)
    assert post_page(client, f"/bids/{bid.id}/declarations", {"confirm": "y"}).status_code == 302
    db.expire_all()
    assert "Confirmed by" in text_of(client.get(f"/bids/{bid.id}/declarations"))


def test_pages_work_without_scripts_of_their_own(client, db, tender, provider, login_as, start_bid, complete_bid):
    """Keyboard and no-JavaScript use: every action is a real link or button
    in a form, and no page carries inline script or event handlers (the CSP
    forbids them)."""
    login_as(provider)
    bid = start_bid(client, tender)
    complete_bid(client, bid, tender)
    urls = [
        f"/bids/{bid.id}",
        f"/bids/{bid.id}/lots",
        f"/bids/{bid.id}/prices",
        f"/bids/{bid.id}/files",
        f"/bids/{bid.id}/evidence",
        f"/bids/{bid.id}/declarations",
        f"/bids/{bid.id}/submit",
        "/bids",
    ]
    urls += [f"/bids/{bid.id}/questions/{q.id}" for q in tender.questions]
    for url in urls:
        html = client.get(url).get_data(as_text=True)
        assert "onclick" not in html and "javascript:" not in html, url
        scripts = re.findall(r"<script[^>]*>", html)
        assert all("src=" in tag or "nonce=" in tag for tag in scripts), url


def test_bid_pages_make_the_same_queries_whatever_the_number_of_files(
    app, client, db, tender, provider, login_as, start_bid, complete_bid
):
    """The check page, the files page and the task list load the bid's files,
    lots and questions with the bid: five files cost no more queries than none."""
    login_as(provider)
    bid = start_bid(client, tender)
    complete_bid(client, bid, tender)
    urls = [f"/bids/{bid.id}/submit", f"/bids/{bid.id}/files", f"/bids/{bid.id}"]
    without_files = {url: queries_to_show(app, client, url) for url in urls}
    for n in range(5):
        content = f"%PDF-1.4\n% file {n}\n%%EOF\n".encode()
        assert (
            post_page(
                client,
                f"/bids/{bid.id}/files",
                {"title": f"Document {n}", "file": (io.BytesIO(content), f"document-{n}.pdf")},
                content_type="multipart/form-data",
            ).status_code
            == 302
        )
    assert text_of(client.get(f"/bids/{bid.id}/submit")).count("document-") == 5
    assert {url: queries_to_show(app, client, url) for url in urls} == without_files
