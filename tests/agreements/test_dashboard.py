"""The transition dashboard helps act: a status per wave, counts that link to the lists
they count, bids split into started and submitted, and each list as a CSV download."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from sqlalchemy import ColumnElement, select

from portal.agreements.models import Agreement, ServiceCategory
from portal.agreements.queries import Wave, wave_status
from portal.agreements.signals import bid_stages_requested, outcomes_requested
from portal.bids.models import Bid, BidStatus
from portal.providers.models import Organisation
from tests import factories
from tests.agreements.test_views import bulk_agreements
from tests.support import count_queries

TODAY = date(2026, 11, 23)
MARCH = date(2027, 3, 31)
JUNE = date(2027, 6, 30)
ENDED = date(2026, 6, 30)


@pytest.mark.parametrize(
    ("end_date", "incumbents", "registered", "reached", "status"),
    [
        (ENDED, 4, 0, 0, "Ended"),
        (MARCH, 4, 1, 0, "Behind"),  # under half registered
        (MARCH, 4, 2, 1, "In progress"),  # half is not behind
        (MARCH, 4, 4, 3, "In progress"),  # one still to read a notice
        (MARCH, 4, 4, 4, "Reached"),
    ],
)
def test_a_wave_is_behind_when_under_half_its_incumbents_registered(end_date, incumbents, registered, reached, status):
    wave = Wave(end_date, incumbents=incumbents, registered=registered, reached=reached)
    assert wave_status(wave, TODAY) == status


def _agreement(db, organisation, reference, end_date, tender=None):
    db.add(
        Agreement(
            reference=reference,
            organisation=organisation,
            service_name="Service",
            category=db.scalar(select(ServiceCategory).limit(1)),
            annual_value_pence=100_000,
            start_date=date(2024, 4, 1),
            original_end_date=end_date,
            end_date=end_date,
            replacement_tender_id=tender.id if tender else None,
        )
    )


@pytest.fixture
def waves(app, db, defaults, at):
    """March: four incumbents, one registered (behind), with a replacing tender that one
    incumbent has started a bid for and another (the registered one) submitted. June: two
    registered incumbents who have not read a notice (in progress). An ended wave."""
    at(TODAY)
    tender = factories.make_tender(app, db)
    registered = factories.make_organisation(db, name="Registered Trust")
    quiet = [Organisation(name=f"Quiet {n}", contact_email=f"quiet{n}@example.org") for n in range(3)]
    db.add_all(quiet)
    for n, organisation in enumerate([registered, *quiet]):
        _agreement(db, organisation, f"M-{n}", MARCH, tender)
    june = [factories.make_organisation(db, name=f"June {n}") for n in range(2)]
    for n, organisation in enumerate(june):
        _agreement(db, organisation, f"J-{n}", JUNE)
    _agreement(db, quiet[0], "E-1", ENDED)
    db.flush()
    db.add(Bid(tender_id=tender.id, organisation_id=registered.id, status=BidStatus.SUBMITTED))
    db.add(Bid(tender_id=tender.id, organisation_id=quiet[1].id, status=BidStatus.DRAFT))
    db.commit()
    return tender


def _row(html, text):
    rows = re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', html, re.S)
    return next(row for row in rows if text in row)


def test_each_wave_has_a_status_and_counts_that_link_to_their_lists(client, db, waves, officer, login_as):
    login_as(officer)
    html = client.get("/agreements/dashboard").get_data(as_text=True)
    headers = re.findall(r'<th scope="col"[^>]*>([^<]+)</th>', html)
    assert {"Bid started", "Bid submitted", "Status"} <= set(headers) and "Bid" not in headers

    march = _row(html, "31 March 2027")
    assert "govuk-tag--red" in march and ">Behind<" in march
    assert "/agreements/dashboard/incumbents?wave=2027-03-31&amp;show=registered" in march
    assert "/agreements/dashboard/incumbents?wave=2027-03-31&amp;show=bid-started" in march
    assert "/agreements/dashboard/incumbents?wave=2027-03-31&amp;show=bid-submitted" in march
    assert "/agreements/dashboard/incumbents?wave=2027-03-31&amp;show=unreached" in march
    numbers = re.findall(r'govuk-table__cell--numeric">(?:<a [^>]*>)?([^<]+)<', march)
    # agreements, value, incumbents, notified, read, registered, bid started, bid submitted
    assert numbers[:1] + numbers[2:8] == ["4", "4", "0", "0", "1", "1", "1"]

    june = _row(html, "30 June 2027")
    assert ">In progress<" in june
    assert ">Ended<" in _row(html, "30 June 2026")


def test_the_lists_show_who_the_count_counts(client, db, waves, officer, login_as):
    login_as(officer)
    page = client.get("/agreements/dashboard/incumbents?wave=2027-03-31&show=not-registered")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Incumbents not registered" in html and "Agreements ending 31 March 2027" in html
    assert all(f"Quiet {n}" in html for n in range(3)) and "Registered Trust" not in html
    assert "June 0" not in html

    started = client.get("/agreements/dashboard/incumbents?wave=2027-03-31&show=bid-started").get_data(as_text=True)
    assert "Quiet 1" in started and "Registered Trust" not in started and "Quiet 0" not in started

    everywhere = client.get("/agreements/dashboard/incumbents?show=unreached").get_data(as_text=True)
    assert "Quiet 0" in everywhere and "June 1" in everywhere and "Every wave still to end" in everywhere


def test_each_list_downloads_as_csv(client, db, waves, officer, login_as):
    login_as(officer)
    response = client.get("/agreements/dashboard/incumbents.csv?wave=2027-03-31&show=bid-submitted")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "incumbents-2027-03-31-bid-submitted.csv" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0][:4] == ["Provider", "Contact email", "Agreements", "Ending on"]
    assert [(row[0], row[2], row[3], row[7]) for row in rows[1:]] == [
        ("Registered Trust", "M-0", "2027-03-31", "Submitted")
    ]
    html = client.get("/agreements/dashboard/incumbents?wave=2027-03-31&show=bid-submitted").get_data(as_text=True)
    assert "/agreements/dashboard/incumbents.csv?wave=2027-03-31&amp;show=bid-submitted" in html


@pytest.mark.parametrize(
    "query",
    ["wave=2027-02-30", "wave=tomorrow", "show=everyone", "wave=9999999-01-01"],
)
@pytest.mark.parametrize("path", ["/agreements/dashboard/incumbents", "/agreements/dashboard/incumbents.csv"])
def test_a_bad_list_link_says_what_is_wrong(client, db, defaults, officer, login_as, path, query):
    login_as(officer)
    response = client.get(f"{path}?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "There is a problem" in html and response.mimetype == "text/html"


@pytest.mark.parametrize(
    "path",
    [
        "/agreements/dashboard/incumbents?wave=2027-03-31",
        "/agreements/dashboard/incumbents?show=unreached",
        "/agreements/dashboard/incumbents.csv?show=all",
    ],
)
def test_the_lists_use_a_fixed_number_of_queries(app, client, db, defaults, officer, login_as, path):
    login_as(officer)
    bulk_agreements(db, 10)
    with count_queries(app) as small:
        assert client.get(path).status_code == 200
    bulk_agreements(db, 990, start_at=10)
    with count_queries(app) as large:
        assert client.get(path).status_code == 200
    assert len(large) == len(small), f"{len(small)} queries at 10 agreements, {len(large)} at 1,000"


def test_the_csv_says_no_for_an_incumbent_without_a_bid(client, db, waves, officer, login_as):
    login_as(officer)
    rows = list(
        csv.reader(
            io.StringIO(client.get("/agreements/dashboard/incumbents.csv?wave=2027-03-31").get_data(as_text=True))
        )
    )
    bid_column = rows[0].index("Bid")
    assert "None" not in [row[bid_column] for row in rows[1:]]
    assert "No" in [row[bid_column] for row in rows[1:]]


def _read_as_a_query_of_its_own(statement: str, table: str) -> bool:
    """Whether ``statement`` reads ``table`` outside any subquery (at parenthesis depth 0)."""
    return any(
        statement[: found.start()].count("(") == statement[: found.start()].count(")")
        for found in re.finditer(rf"\bFROM {table}\b", statement)
    )


def test_no_dashboard_page_loads_every_bid(app, client, db, waves, officer, login_as):
    """The bids and awards domains are asked about the (incumbent, replacing tender) columns
    of the asking query and answer with SQL correlated on them: the pages count, filter and
    page in the database and read the bids of the rows they show, never the whole bid table."""
    asked = []

    def spy(_sender, **kwargs):
        asked.append(kwargs)  # and no answer: the real receivers answer

    bid_stages_requested.connect(spy)
    outcomes_requested.connect(spy)
    login_as(officer)
    paths = [
        "/agreements/dashboard",
        "/agreements/dashboard/incumbents?wave=2027-03-31&show=bid-started",
        "/agreements/dashboard/incumbents?show=no-bid",
        "/agreements/dashboard/incumbents.csv?show=bid-submitted",
    ]
    try:
        with count_queries(app) as statements:
            pages = [client.get(path) for path in paths]
    finally:
        bid_stages_requested.disconnect(spy)
        outcomes_requested.disconnect(spy)
    assert [page.status_code for page in pages] == [200] * len(paths)
    assert "Quiet 1" in pages[1].get_data(as_text=True)  # the bid started, found through the answer
    assert asked and all(
        isinstance(kwargs["organisation_id"], ColumnElement) and isinstance(kwargs["tender_id"], ColumnElement)
        for kwargs in asked
    )
    assert any("FROM bid" in statement for statement in statements)
    assert not [s for s in statements if _read_as_a_query_of_its_own(s, "bid")]


def test_the_lists_are_paged_in_the_database_in_the_order_of_the_csv(app, client, db, defaults, officer, login_as):
    login_as(officer)
    bulk_agreements(db, 600)  # 60 providers, each in 10 waves: 600 rows of (wave, incumbent)
    rows = list(csv.reader(io.StringIO(client.get("/agreements/dashboard/incumbents.csv?show=unreached").text)))
    listed = [(row[0], row[3]) for row in rows[1:]]
    assert len(listed) == 600
    shown = []
    for number in range(1, 14):
        html = client.get(f"/agreements/dashboard/incumbents?show=unreached&page={number}").get_data(as_text=True)
        assert "<strong>600</strong> incumbents, page " in html
        shown += re.findall(r'q=([^&"]+)&amp;ending_from=(\d{4}-\d\d-\d\d)', html)
    # Page 13 is past the last (12): it shows the last page again.
    shown = [(name.replace("+", " "), end) for name, end in shown]
    assert shown[:600] == listed and shown[600:] == listed[-50:]
