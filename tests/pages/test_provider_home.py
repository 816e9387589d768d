"""A provider's home page says what to do next: the bid that replaces an ending
agreement and its deadline, bids to finish, evidence to add, agreements with no
replacement yet, open opportunities that fit the organisation; ended agreements
out of the way; in a fixed number of queries."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from portal.agreements.models import Agreement, EndingNotice, NoticeKind
from portal.bids.models import Bid, BidStatus
from portal.providers.models import Evidence, EvidenceKind
from portal.tenders.models import TenderStatus
from tests.factories import NOW, get_category, get_district, make_organisation, make_tender, make_user, store_pdf
from tests.support import count_queries

EIP = "Early Intervention & Prevention"
DEADLINE = datetime(2026, 12, 27, 12, 0, tzinfo=UTC)  # midday in London


@pytest.fixture
def provider(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "FIXED_NOW", NOW)
    organisation = make_organisation(db, name="Swale Young Carers", districts=[get_district(db, "Maidstone")])
    user = make_user(db, organisation=organisation)
    db.commit()
    return user


def agreement(db, user, reference, end=date(2027, 3, 31), category=EIP, replacement=None):
    row = Agreement(
        reference=reference,
        organisation_id=user.organisation_id,
        service_name=f"Service {reference}",
        category=get_category(db, category),
        annual_value_pence=8_500_000,
        start_date=date(2020, 4, 1),
        original_end_date=end,
        end_date=end,
        replacement_tender_id=replacement.id if replacement is not None else None,
    )
    db.add(row)
    db.commit()
    return row


def framework(app, db, status=TenderStatus.PUBLISHED, **fields):
    fields.setdefault("reference", "KCC-EIP-FW")
    fields.setdefault("title", "Early Intervention & Prevention services framework")
    tender = make_tender(app, db, status=status, submission_deadline=DEADLINE, **fields)
    db.commit()
    return tender


def section(html: str, heading_id: str) -> str:
    """The page from the heading with this id to the next h2."""
    after = html.split(f'id="{heading_id}"', 1)[1]
    return after.split("<h2", 1)[0]


def home(client) -> str:
    response = client.get("/dashboard")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_what_you_need_to_do_comes_first_with_the_bid_and_its_deadline(app, client, db, provider, login_as):
    agreement(db, provider, "KCC-EIP-052", replacement=framework(app, db))
    html = home(login_as(provider))
    assert html.index("What you need to do") < html.index(">Notices<") < html.index("Your agreements with")
    todo = section(html, "what-you-need-to-do")
    assert "Bid for Early Intervention &amp; Prevention services framework by midday on 27 December 2026." in todo
    assert "Your agreement KCC-EIP-052 ends 31 March 2027." in todo
    assert 'href="/opportunities/KCC-EIP-FW">Read the opportunity and start your bid</a>' in todo


def test_a_bid_in_progress_is_continued_and_a_submitted_one_is_done(app, client, db, provider, login_as):
    tender = framework(app, db)
    agreement(db, provider, "KCC-EIP-052", replacement=tender)
    bid = Bid(tender_id=tender.id, organisation_id=provider.organisation_id, status=BidStatus.DRAFT)
    db.add(bid)
    db.commit()
    todo = section(home(login_as(provider)), "what-you-need-to-do")
    assert "Finish and submit your bid for Early Intervention" in todo
    assert f'href="/bids/{bid.id}">Continue your bid</a>' in todo

    bid.status = BidStatus.SUBMITTED
    db.commit()
    todo = section(home(client), "what-you-need-to-do")
    assert "KCC-EIP-FW" not in todo and "Early Intervention &amp; Prevention services framework" not in todo


def test_other_unsubmitted_bids_are_listed_by_deadline(app, client, db, provider, login_as):
    sooner = make_tender(
        app, db, reference="KCC-SOON", title="Sooner tender", submission_deadline=NOW + timedelta(days=3)
    )
    late = make_tender(
        app, db, reference="KCC-LATE2", title="Late tender", submission_deadline=NOW + timedelta(days=30)
    )
    for tender in (late, sooner):
        db.add(Bid(tender_id=tender.id, organisation_id=provider.organisation_id, status=BidStatus.DRAFT))
    db.commit()
    todo = section(home(login_as(provider)), "what-you-need-to-do")
    assert todo.index("Sooner tender") < todo.index("Late tender")


def test_an_ending_agreement_without_a_replacement_says_none_is_published(app, client, db, provider, login_as):
    agreement(db, provider, "KCC-LC-012", category="16+ Leaving Care")
    # A draft replacement is not one the provider may know of.
    agreement(db, provider, "KCC-EIP-053", replacement=framework(app, db, status=TenderStatus.DRAFT))
    agreement(db, provider, "KCC-DCS-001", end=date(2030, 3, 31))  # not ending soon: nothing to say yet
    html = home(login_as(provider))
    todo = section(html, "what-you-need-to-do")
    assert re.search(
        r"KCC-LC-012, Service KCC-LC-012, ends 31 March 2027\. No replacement has been published yet", todo
    )
    assert "KCC-EIP-053" in todo and "KCC-EIP-FW" not in html
    assert "KCC-DCS-001" not in todo
    agreements = section(html, "agreements")
    assert agreements.count("No replacement published yet") == 2


def test_ended_agreements_are_out_of_the_way(app, client, db, provider, login_as):
    agreement(db, provider, "KCC-OLD-001", end=date(2025, 3, 31))
    agreement(db, provider, "KCC-EIP-052")
    html = home(login_as(provider))
    current = html.split('id="current-agreements"', 1)[1].split("</table>", 1)[0]
    assert "KCC-EIP-052" in current and "KCC-OLD-001" not in current
    ended = html.split('<details class="govuk-details" id="ended-agreements">', 1)[1].split("</details>", 1)[0]
    assert "Ended agreements (1)" in ended and "KCC-OLD-001" in ended


def test_evidence_is_prompted_until_there_is_some(app, client, db, provider, login_as):
    todo = section(home(login_as(provider)), "what-you-need-to-do")
    assert "Add your quality-assurance evidence" in todo and 'href="/organisation/evidence/new"' in todo
    stored = store_pdf(app, db, "Safeguarding.pdf")
    db.add(
        Evidence(
            organisation_id=provider.organisation_id,
            kind=EvidenceKind.SAFEGUARDING_POLICY,
            title="Safeguarding policy",
            file_id=stored.id,
        )
    )
    db.commit()
    todo = section(home(client), "what-you-need-to-do")
    assert "Add your quality-assurance evidence" not in todo
    assert "You have nothing to do right now" in todo


def test_open_opportunities_in_its_categories_and_districts(app, client, db, provider, login_as):
    agreement(db, provider, "KCC-EIP-052")
    make_tender(app, db, reference="KCC-FIT", title="Fits", category=EIP, districts=("Maidstone",))
    make_tender(app, db, reference="KCC-ELSEWHERE", title="Elsewhere", category=EIP, districts=("Dover",))
    make_tender(app, db, reference="KCC-OTHER-KIND", title="Other kind", category="Adult social care")
    make_tender(app, db, reference="KCC-CLOSED", category=EIP, status=TenderStatus.CLOSED)
    make_tender(app, db, reference="KCC-DRAFT", category=EIP, status=TenderStatus.DRAFT)
    db.commit()
    shown = section(home(login_as(provider)), "opportunities-for-you")
    assert 'href="/opportunities/KCC-FIT"' in shown and "Closes 21 December 2026 at midday" in shown
    for left_out in ("KCC-ELSEWHERE", "KCC-OTHER-KIND", "KCC-CLOSED", "KCC-DRAFT"):
        assert left_out not in shown


def test_a_new_organisation_sees_opportunities_in_its_districts(app, client, db, provider, login_as):
    make_tender(app, db, reference="KCC-ANY-KIND", category="Adult social care", districts=("Maidstone",))
    db.commit()
    assert "KCC-ANY-KIND" in section(home(login_as(provider)), "opportunities-for-you")


def _fill(app, db, user, n: int, start: int) -> None:
    """``n`` more of everything the page lists: agreements (current, ending with and without
    a replacement, ended), notices, bids, and open opportunities that fit."""
    for i in range(start, start + n):
        tender = make_tender(app, db, reference=f"KCC-Q-{i}", lots=1, documents=0)
        end = date(2027, 3, 31) if i % 3 else date(2024, 3, 31)
        row = agreement(db, user, f"KCC-A-{i}", end=end, replacement=tender if i % 2 else None)
        db.add(
            EndingNotice(
                agreement=row, organisation_id=user.organisation_id, kind=NoticeKind.MANUAL, subject="S", body="B"
            )
        )
        if i % 4 == 0:
            db.add(Bid(tender_id=tender.id, organisation_id=user.organisation_id, status=BidStatus.DRAFT))
        make_tender(app, db, reference=f"KCC-O-{i}", lots=1, documents=0)
    db.commit()


def test_the_page_runs_a_fixed_number_of_queries(app, client, db, provider, login_as):
    _fill(app, db, provider, 4, 0)
    login_as(provider)
    home(client)  # the first request of a client warms caches that are not the page's own
    with count_queries(app) as small:
        home(client)
    _fill(app, db, provider, 40, 4)
    with count_queries(app) as large:
        html = home(client)
    assert (
        "Finish and submit your bid" in html and "No replacement published yet" in html and "Ended agreements" in html
    )
    assert len(large) == len(small), f"{len(small)} queries with 4 of each, {len(large)} with 44"
