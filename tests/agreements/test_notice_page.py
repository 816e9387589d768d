"""The ending notice leads to the bid: it links the replacement opportunity, offers
"Start your bid" (or "Continue your bid"), says the deadline in plain words, and its
email carries the same link."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from portal.agreements.models import Agreement, EndingNotice, NoticeKind
from portal.agreements.services import issue_notice
from portal.bids.models import Bid, BidStatus
from portal.tenders.models import TenderStatus
from tests.factories import NOW, get_category, make_organisation, make_tender, make_user
from tests.support import csrf_token_from

END = date(2027, 3, 31)
# Midday in London (GMT in December) on 27 December 2026.
DEADLINE = datetime(2026, 12, 27, 12, 0, tzinfo=UTC)


@pytest.fixture
def world(app, db, monkeypatch):
    """A provider whose agreement KCC-EIP-052 ends on 31 March 2027, and its notice."""
    monkeypatch.setitem(app.config, "FIXED_NOW", NOW)
    organisation = make_organisation(db, name="Swale Young Carers")
    user = make_user(db, organisation=organisation)
    agreement = Agreement(
        reference="KCC-EIP-052",
        organisation_id=organisation.id,
        service_name="Young carers support",
        category=get_category(db, "Early Intervention & Prevention"),
        annual_value_pence=8_500_000,
        start_date=date(2024, 4, 1),
        original_end_date=END,
        end_date=END,
    )
    notice = EndingNotice(
        agreement=agreement,
        organisation_id=organisation.id,
        kind=NoticeKind.SCHEDULED,
        subject="Your agreement KCC-EIP-052 ends on 31 March 2027",
        body="Your agreement KCC-EIP-052 ends on 31 March 2027.",
    )
    db.add_all([agreement, notice])
    db.commit()
    return {"organisation": organisation, "user": user, "agreement": agreement, "notice": notice}


def _replace(app, db, agreement, status=TenderStatus.PUBLISHED, **fields):
    tender = make_tender(
        app,
        db,
        reference="KCC-EIP-FW",
        title="Early Intervention & Prevention services framework",
        status=status,
        submission_deadline=DEADLINE,
        **fields,
    )
    agreement.replacement_tender_id = tender.id
    db.commit()
    return tender


def _main(html: str) -> str:
    return html.split('<main class="govuk-main-wrapper', 1)[1].split("</main>", 1)[0]


def test_the_notice_links_the_opportunity_and_offers_to_start_the_bid(app, client, db, world, login_as):
    _replace(app, db, world["agreement"])
    login_as(world["user"])
    html = _main(client.get(f"/notices/{world['notice'].id}").get_data(as_text=True))
    assert 'href="/opportunities/KCC-EIP-FW"' in html
    assert "Bids must be submitted by midday on 27 December 2026" in html
    assert "If you do not bid, your agreement ends on 31 March 2027" in html
    # The button starts the bid (a POST with its CSRF token), not a page to find it from.
    form = re.search(r'<form method="post" action="/opportunities/KCC-EIP-FW/bid"[^>]*>(.*?)</form>', html, re.S)
    assert form and "Start your bid" in form.group(1) and 'name="csrf_token"' in form.group(1)
    assert "Continue your bid" not in html


def test_the_start_button_starts_the_bid(app, client, db, world, login_as):
    _replace(app, db, world["agreement"])
    login_as(world["user"])
    html = client.get(f"/notices/{world['notice'].id}").get_data(as_text=True)
    response = client.post("/opportunities/KCC-EIP-FW/bid", data={"csrf_token": csrf_token_from(_main(html))})
    assert response.status_code == 302 and re.match(r".*/bids/\d+$", response.headers["Location"])


def test_an_organisation_with_a_bid_is_offered_to_continue_it(app, client, db, world, login_as):
    tender = _replace(app, db, world["agreement"])
    bid = Bid(tender_id=tender.id, organisation_id=world["organisation"].id, status=BidStatus.SUBMITTED)
    db.add(bid)
    db.commit()
    login_as(world["user"])
    html = _main(client.get(f"/notices/{world['notice'].id}").get_data(as_text=True))
    assert "Continue your bid" in html and f'href="/bids/{bid.id}"' in html
    assert "Start your bid" not in html


def test_a_draft_replacement_is_not_revealed(app, client, db, world, login_as):
    _replace(app, db, world["agreement"], status=TenderStatus.DRAFT)
    login_as(world["user"])
    html = _main(client.get(f"/notices/{world['notice'].id}").get_data(as_text=True))
    assert "KCC-EIP-FW" not in html and "Start your bid" not in html
    assert "No replacement opportunity has been published yet" in html


def test_without_a_replacement_the_notice_says_so(client, world, login_as):
    login_as(world["user"])
    html = _main(client.get(f"/notices/{world['notice'].id}").get_data(as_text=True))
    assert "No replacement opportunity has been published yet" in html
    assert "Start your bid" not in html


def test_after_the_deadline_the_notice_offers_no_bid(app, client, db, world, login_as, monkeypatch):
    _replace(app, db, world["agreement"])
    monkeypatch.setitem(app.config, "FIXED_NOW", datetime(2026, 12, 28, 9, tzinfo=UTC))
    login_as(world["user"])
    html = _main(client.get(f"/notices/{world['notice'].id}").get_data(as_text=True))
    assert 'href="/opportunities/KCC-EIP-FW"' in html
    assert "Start your bid" not in html and "Bids must be submitted" not in html
    assert "no longer open for bids" in html


def test_the_email_carries_the_opportunity_link_and_deadline(app, db, world, mailbox):
    _replace(app, db, world["agreement"])
    with app.app_context():
        issue_notice(
            db,
            world["organisation"],
            world["agreement"],
            NoticeKind.MANUAL,
            None,
            "Your agreement KCC-EIP-052 is ending",
            "It ends on 31 March 2027.",
        )
        db.commit()
    body = mailbox.body(mailbox.last_to(world["user"].email))
    base = app.config["BASE_URL"].rstrip("/")
    assert f"{base}/opportunities/KCC-EIP-FW" in body
    assert "Bids must be submitted by midday on 27 December 2026" in body
    assert "If you do not bid, your agreement ends on 31 March 2027" in body


def test_the_email_without_a_replacement_has_no_opportunity_link(app, db, world, mailbox):
    with app.app_context():
        issue_notice(db, world["organisation"], world["agreement"], NoticeKind.MANUAL, None, "Ending", "It ends.")
        db.commit()
    body = mailbox.body(mailbox.last_to(world["user"].email))
    assert "/opportunities/" not in body and "/notices/" in body


def test_a_scheduled_notice_never_names_a_draft_replacement(app, db, world):
    from portal.agreements.services import replacement_sentence

    _replace(app, db, world["agreement"], status=TenderStatus.DRAFT)
    db.refresh(world["agreement"])
    assert "KCC-EIP-FW" not in replacement_sentence(world["agreement"])
    assert "preparing new opportunities" in replacement_sentence(world["agreement"])
