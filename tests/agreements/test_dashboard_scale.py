"""The transition dashboard is a summary that stays flat as the register grows: one page
of waves (landing on the first still to end), the months of the year ahead, the first
incumbents to chase; each count a click away from its paginated list. A fixed number of
queries, and a page no more than a quarter bigger with thousands of agreements."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from portal.agreements.models import Agreement, EndingNotice, NoticeKind, ServiceCategory
from portal.agreements.queries import UNREACHED_SHOWN, WAVES_PER_PAGE
from portal.providers.models import Organisation, OrganisationType
from tests.support import count_queries

TODAY = date(2026, 11, 23)
SENT = datetime(2026, 11, 1, 9, tzinfo=UTC)
REGISTERED = {
    "registered_at": SENT,
    "organisation_type": OrganisationType.OTHER,
    "address_line_1": "1 High Street",
    "town": "Maidstone",
    "postcode": "ME14 1XX",
}


def register(db, agreements, organisations, end_dates, tag):
    """``agreements`` agreements of ``organisations`` new providers, ending on ``end_dates``
    in turn; every third sent a notice, every other notice read; every fifth provider registered."""
    db.execute(
        insert(Organisation),
        [
            {
                "name": f"{tag} provider {i:04d}",
                "contact_email": f"{tag.lower()}{i}@example.org",
                **(REGISTERED if i % 5 == 0 else {}),
            }
            for i in range(organisations)
        ],
    )
    orgs = db.scalars(select(Organisation.id).where(Organisation.name.like(f"{tag} provider %"))).all()
    category = db.scalar(select(ServiceCategory.id).limit(1))
    db.execute(
        insert(Agreement),
        [
            {
                "reference": f"{tag}-{i:05d}",
                "organisation_id": orgs[i % len(orgs)],
                "service_name": "Service",
                "category_id": category,
                "annual_value_pence": 10_000_000 + i,
                "start_date": date(2024, 4, 1),
                "original_end_date": end_dates[i % len(end_dates)],
                "end_date": end_dates[i % len(end_dates)],
            }
            for i in range(agreements)
        ],
    )
    rows = db.execute(select(Agreement.id, Agreement.organisation_id).where(Agreement.reference.like(f"{tag}-%"))).all()
    db.execute(
        insert(EndingNotice),
        [
            {
                "agreement_id": agreement_id,
                "organisation_id": organisation_id,
                "kind": NoticeKind.MANUAL,
                "subject": "Your agreement is ending",
                "body": "…",
                "sent_at": SENT,
                "read_at": SENT if agreement_id % 2 else None,
            }
            for agreement_id, organisation_id in rows
            if agreement_id % 3 == 0
        ],
    )
    db.commit()


def demo_like(db):
    """About the demo's shape: four waves, two of them ended, and 100 incumbents."""
    register(db, 175, 100, [date(2026, 6, 1), date(2026, 9, 30), date(2027, 3, 31), date(2029, 3, 31)], "Small")


def large(db):
    """Three years of end dates, a new one every few days, from a year ago."""
    days = [TODAY - timedelta(days=360) + timedelta(days=3 * n) for n in range(480)]
    register(db, 3000, 600, days, "Large")


@pytest.fixture
def officer_in(officer, login_as, at, defaults):
    at(TODAY)
    login_as(officer)


def _wave_dates(html):
    table = re.search(r"<table.*?</table>", html, re.S).group(0)
    return re.findall(r"ending_from=(\d{4}-\d\d-\d\d)", table)


def test_the_dashboard_runs_the_same_queries_and_stays_small_as_the_register_grows(app, client, db, officer_in):
    demo_like(db)
    with count_queries(app) as small:
        small_page = client.get("/agreements/dashboard")
    large(db)
    with count_queries(app) as big:
        large_page = client.get("/agreements/dashboard")
    assert small_page.status_code == large_page.status_code == 200
    assert len(big) == len(small), f"{len(small)} queries at 175 agreements, {len(big)} at 3,175"
    assert len(large_page.data) <= 1.25 * len(small_page.data), (len(small_page.data), len(large_page.data))
    html = large_page.get_data(as_text=True)
    assert len(_wave_dates(html)) == WAVES_PER_PAGE
    assert html.count('<tr class="govuk-table__row">') < 60  # waves, months and the first to chase


def test_the_dashboard_lands_on_the_first_wave_still_to_end_and_pages_through_the_rest(client, db, officer_in):
    days = [TODAY - timedelta(days=30 * n) for n in range(1, 6)] + [TODAY + timedelta(days=7 * n) for n in range(9)]
    register(db, 28, 14, days, "Wave")
    ordered = sorted(d.isoformat() for d in days)  # 5 ended, then 9 still to end (today's is not ended)
    landing = client.get("/agreements/dashboard").get_data(as_text=True)
    first_to_end = ordered.index(TODAY.isoformat())
    page = first_to_end // WAVES_PER_PAGE + 1
    assert _wave_dates(landing) == ordered[(page - 1) * WAVES_PER_PAGE : page * WAVES_PER_PAGE]
    assert TODAY.isoformat() in _wave_dates(landing) and 'aria-label="Pages of waves"' in landing

    first = client.get("/agreements/dashboard?page=1").get_data(as_text=True)
    assert _wave_dates(first) == ordered[:WAVES_PER_PAGE] and ">Ended<" in first
    second = client.get("/agreements/dashboard?page=2").get_data(as_text=True)
    assert _wave_dates(second) == ordered[WAVES_PER_PAGE : 2 * WAVES_PER_PAGE]
    last_page = -(-len(ordered) // WAVES_PER_PAGE)
    last = client.get(f"/agreements/dashboard?page={last_page}").get_data(as_text=True)
    assert _wave_dates(client.get("/agreements/dashboard?page=999").get_data(as_text=True)) == _wave_dates(last)
    assert _wave_dates(client.get("/agreements/dashboard?page=abc").get_data(as_text=True)) == _wave_dates(first)


def test_each_count_leads_to_the_list_it_counts(client, db, officer_in):
    demo_like(db)
    html = client.get("/agreements/dashboard").get_data(as_text=True)
    links = re.findall(r'href="(/agreements/dashboard/incumbents\?wave=[^"]+)"[^>]*>(\d+)(?: to reach)?<', html)
    assert {re.search(r"show=([\w-]+)", url).group(1) for url, _ in links} >= {
        "all",
        "notified",
        "read",
        "registered",
        "unreached",
    }
    for url, count in links:
        listed = client.get(url.replace("&amp;", "&")).get_data(as_text=True)
        assert f"<strong>{count}</strong> incumbent" in listed, url


def test_the_incumbents_to_chase_are_capped_with_the_whole_list_a_click_away(client, db, officer_in):
    demo_like(db)
    html = client.get("/agreements/dashboard").get_data(as_text=True)
    chase = re.search(r"<table[^>]*>\s*<caption[^>]*>Incumbents to chase.*?</table>", html, re.S).group(0)
    assert chase.count('<tr class="govuk-table__row">') == 1 + UNREACHED_SHOWN
    total = int(re.search(r"the \d+ whose agreements end soonest of ([\d,]+)", html).group(1).replace(",", ""))
    assert 'href="/agreements/dashboard/incumbents?show=unreached"' in html
    full = client.get("/agreements/dashboard/incumbents?show=unreached").get_data(as_text=True)
    # The list is one row per wave and incumbent: here every incumbent has agreements in one wave still to end.
    assert f"<strong>{total}</strong> incumbents" in full and total > UNREACHED_SHOWN


def test_the_incumbents_to_chase_are_the_same_when_read_only_up_to_a_full_wave(db, monkeypatch, defaults):
    """The chase list reads agreements only up to the first wave with enough providers not
    reached; what it shows is what reading every agreement still to end shows."""
    from portal.agreements import queries

    # Waves of about a hundred agreements a month, as councils' agreements end.
    register(db, 3000, 600, [TODAY + timedelta(days=30 * n) for n in range(-6, 24)], "Monthly")
    seen = []
    real = queries._unreached

    def spy(session, today, shown, waves=(), **stored):
        bounding = [w.end_date for w in waves if w.end_date >= today and w.incumbents - w.reached >= shown]
        seen.append(min(bounding, default=None))
        return real(session, today, shown, waves, **stored)

    monkeypatch.setattr(queries, "_unreached", spy)
    for page in (None, 1, 3):
        shown = queries.dashboard(db, TODAY, page=page)
        every = real(db, TODAY, UNREACHED_SHOWN)  # no waves given: no bound, and counted
        assert (shown.unreached, shown.unreached_total) == every
    assert seen[0] is not None and seen[0] >= TODAY  # the landing page's waves did bound the read
