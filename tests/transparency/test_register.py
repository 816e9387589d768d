"""The public contracts register: its rows, filters and CSV; a bad filter is a 400 with
an error summary; a fixed number of queries at 10 and 10,000 agreements; and nothing of
an unsuccessful bid (name, price, score) on the page or in the CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import insert, select, update

from portal.agreements.models import Agreement, agreement_district
from portal.awards import contracts, notice
from portal.awards.models import LotAward
from portal.evaluation.models import LotResult
from portal.providers.models import Organisation, OrganisationType
from portal.providers.vcse import is_vcse
from portal.transparency import register
from tests import factories
from tests.awards.world import EXPLANATION, FAILURE_REASON, award_through_summaries_sent, build_evaluated_tender
from tests.factories import NOW
from tests.support import count_queries

TODAY = date(2026, 11, 23)  # NOW in London


@pytest.fixture(autouse=True)
def clock_at(app, monkeypatch):
    """The app's clock stands at ``NOW`` (a Monday); call with an aware datetime to move it."""

    def set_now(moment):
        monkeypatch.setitem(app.config, "FIXED_NOW", moment)
        return moment

    set_now(NOW)
    return set_now


@pytest.fixture
def places(db):
    """Two categories and two districts, committed."""
    made = {
        "family": factories.get_category(db, "Early Intervention & Prevention"),
        "care": factories.get_category(db, "16+ Leaving Care"),
        "maidstone": factories.get_district(db, "Maidstone"),
        "swale": factories.get_district(db, "Swale"),
    }
    db.commit()
    return made


def organisation(db, name, kind=OrganisationType.REGISTERED_CHARITY, charity=None, company=None):
    row = Organisation(
        name=name,
        organisation_type=kind,
        charity_number=charity,
        company_number=company,
        contact_email=f"{factories.next_number()}@example.org",
    )
    db.add(row)
    db.flush()
    return row


def agreement(db, provider, category, *, reference=None, value=45_000_00, start=date(2024, 4, 1),
              end=date(2027, 3, 31), districts=(), replaced_at=None, service="Young carers support"):  # fmt: skip
    row = Agreement(
        reference=reference or f"AG-{factories.next_number():05d}",
        organisation_id=provider.id,
        service_name=service,
        category_id=category.id,
        annual_value_pence=value,
        start_date=start,
        original_end_date=end,
        end_date=end,
        replaced_at=replaced_at,
        districts=list(districts),
    )
    db.add(row)
    db.flush()
    return row


def text(response) -> str:
    return response.get_data(as_text=True)


def references(html: str) -> set[str]:
    return set(re.findall(r'<span class="govuk-!-font-weight-bold">([^<]+)</span>', html))


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


# --- The VCSE rule ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (OrganisationType.REGISTERED_CHARITY, True),
        (OrganisationType.CIO, True),
        (OrganisationType.COMMUNITY_INTEREST_COMPANY, True),
        (OrganisationType.COMPANY_LIMITED_BY_GUARANTEE, True),
        (OrganisationType.OTHER, False),
        (None, False),
    ],
)
def test_which_legal_forms_are_vcse(kind, expected):
    assert is_vcse(kind) is expected


# --- The page --------------------------------------------------------------------------------------


@pytest.fixture
def small_register(db, places):
    """Four agreements: current (a charity, Maidstone), ended (a CIC, Swale), replaced (an
    'Other' company, both districts) and current with an unknown legal form (care)."""
    carers = organisation(db, "Medway Young Carers", charity="1098765")
    lodgings = organisation(db, "Weald Lodgings CIC", OrganisationType.COMMUNITY_INTEREST_COMPANY, company="09876543")
    trading = organisation(db, "Acme 100% Services Ltd", OrganisationType.OTHER, company="01234567")
    unknown = organisation(db, "Unregistered Incumbent", None)
    made = {
        "current": agreement(db, carers, places["family"], reference="EIP-1", districts=[places["maidstone"]]),
        "ended": agreement(
            db,
            lodgings,
            places["family"],
            reference="EIP-2",
            value=1_234_567_00,
            start=date(2020, 4, 1),
            end=date(2025, 3, 31),
            districts=[places["swale"]],
        ),
        "replaced": agreement(
            db,
            trading,
            places["family"],
            reference="EIP-3",
            start=date(2025, 4, 1),
            districts=[places["maidstone"], places["swale"]],
            replaced_at=NOW - timedelta(days=3),
        ),
        "unknown": agreement(
            db, unknown, places["care"], reference="LC-1", start=date(2026, 4, 1), end=date(2029, 3, 31)
        ),
    }
    db.commit()
    return made


def test_the_register_shows_every_agreement_with_its_provider_value_dates_and_status(client, small_register):
    response = client.get("/contracts")
    assert response.status_code == 200
    html = text(response)
    assert references(html) == {"EIP-1", "EIP-2", "EIP-3", "LC-1"}
    assert "4 contracts" in html
    row = re.search(r"EIP-1</span>.*?</tr>", html, re.S).group(0)
    assert "Medway Young Carers" in row and "Charity 1098765" in row and "VCSE: Yes" in row
    assert "£45,000" in row and "1 April 2024 to 31 March 2027" in row and ">Current<" in row
    assert "Entered before this portal" in row
    ended = re.search(r"EIP-2</span>.*?</tr>", html, re.S).group(0)
    assert "£1.2m" in ended and "Company 09876543" in ended and ">Ended<" in ended and "VCSE: Yes" in ended
    replaced = re.search(r"EIP-3</span>.*?</tr>", html, re.S).group(0)
    assert ">Replaced<" in replaced and "VCSE: No" in replaced
    assert "VCSE: Not known" in re.search(r"LC-1</span>.*?</tr>", html, re.S).group(0)
    # Newest start first.
    assert html.index("LC-1") < html.index("EIP-3") < html.index("EIP-1") < html.index("EIP-2")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"EIP-1", "EIP-2", "EIP-3", "LC-1"}),
        ("category={care}", {"LC-1"}),
        ("district={swale}", {"EIP-2", "EIP-3"}),
        ("provider=WEALD", {"EIP-2"}),
        ("provider=100%25", {"EIP-3"}),  # a % is a character, not a wildcard
        ("provider=_", set()),
        ("in_force-day=1&in_force-month=4&in_force-year=2026", {"EIP-1", "EIP-3", "LC-1"}),
        ("in_force-day=31&in_force-month=3&in_force-year=2025", {"EIP-1", "EIP-2"}),
        ("status=current", {"EIP-1", "LC-1"}),
        ("status=ended", {"EIP-2"}),
        ("status=REPLACED", {"EIP-3"}),
        ("vcse=yes", {"EIP-1", "EIP-2"}),
        ("vcse=yes&district={maidstone}&status=current", {"EIP-1"}),
    ],
)
def test_filters(client, small_register, places, query, expected):
    url = "/contracts?" + query.format(**{name: row.id for name, row in places.items()})
    response = client.get(url)
    assert response.status_code == 200
    assert references(text(response)) == expected
    exported = csv_rows(client.get(url.replace("/contracts?", "/contracts.csv?")))
    assert {r[0] for r in exported[1:]} == expected


@pytest.mark.parametrize(
    ("query", "message", "anchor"),
    [
        ("in_force-day=31&in_force-month=2&in_force-year=2027", "In force on must be a real date", "in_force-day"),
        ("in_force-day=1&in_force-year=2027", "In force on must include a month", "in_force-day"),
        ("in_force-day=1&in_force-month=4&in_force-year=27", "In force on must be a real date", "in_force-day"),
        ("in_force-day=1_0&in_force-month=4&in_force-year=2027", "In force on must be a real date", "in_force-day"),
        ("category=99999", "Select a category from the list", "category"),
        ("category=99999999999999999999", "Select a category from the list", "category"),
        ("category=abc", "Select a category from the list", "category"),
        ("district=-1", "Select a district from the list", "district"),
        ("status=cancelled", "Select a status from the list", "status"),
        ("vcse=maybe", "Select VCSE providers only, or leave it unticked", "vcse"),
        ("provider=" + "x" * 101, "Provider name must be 100 characters or fewer", "provider"),
    ],
)
def test_a_filter_it_cannot_use_is_a_400_with_an_error_summary(client, small_register, query, message, anchor):
    for path in ("/contracts", "/contracts.csv"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400, path
        html = text(response)
        assert "govuk-error-summary" in html and f'href="#{anchor}"' in html and message in html
        assert f'id="{anchor}"' in html  # the summary's link has somewhere to go
        assert "<title>Error: " in html
        assert references(html) == set()


def test_what_was_typed_is_shown_back_escaped(client, small_register):
    html = text(client.get('/contracts?provider=<script>"x&in_force-day=40&in_force-month=1&in_force-year=2027'))
    assert "<script>" not in html and 'value="&lt;script&gt;&#34;x"' in html
    assert 'id="in_force-day" name="in_force-day" type="text" inputmode="numeric" value="40"' in html


def test_pages_and_the_csv_of_everything_filtered(client, db, places):
    provider = organisation(db, "Kent Family Trust", charity="1111111")
    for i in range(60):
        agreement(db, provider, places["family"], reference=f"P-{i:03d}", start=date(2024, 4, 1) + timedelta(days=i))
    db.commit()
    first = text(client.get("/contracts?provider=kent"))
    assert "60 contracts" in first and "Page 1 of 2" in first and len(references(first)) == 50
    assert 'href="/contracts?provider=kent&amp;page=2"' in first
    assert 'href="/contracts.csv?provider=kent"' in first
    second = text(client.get("/contracts?provider=kent&page=2"))
    assert len(references(second)) == 10 and not references(first) & references(second)
    rows = csv_rows(client.get("/contracts.csv?provider=kent"))
    assert rows[0] == register_columns()
    assert len(rows) == 61 and {r[0] for r in rows[1:]} == {f"P-{i:03d}" for i in range(60)}
    assert rows[1][:11] == [
        "P-059", "Kent Family Trust", "1111111", "", "Yes", "Young carers support",
        "Early Intervention & Prevention", "45000", "2024-05-30", "2027-03-31", "Current",
    ]  # fmt: skip


def register_columns() -> list[str]:
    from portal.transparency.views.register import CSV_COLUMNS

    return CSV_COLUMNS


def test_the_csv_neutralises_formulas(client, db, places):
    provider = organisation(db, '=HYPERLINK("http://evil.example")', OrganisationType.OTHER)
    agreement(db, provider, places["family"], reference="F-1", service="+cmd|' /C calc'!A0")
    db.commit()
    rows = csv_rows(client.get("/contracts.csv"))
    assert rows[1][1] == '\'=HYPERLINK("http://evil.example")' and rows[1][5] == "'+cmd|' /C calc'!A0"


def test_an_empty_register(client, places):
    html = text(client.get("/contracts"))
    assert "0 contracts" in html and "No contracts match" in html and "Download" not in html
    assert csv_rows(client.get("/contracts.csv")) == [register_columns()]


# --- Queries ---------------------------------------------------------------------------------------


def bulk_agreements(db, places, n: int, start_at: int = 0) -> None:
    """n agreements over n/10 providers, inserted with core bulk inserts (quick even at 10,000)."""
    providers = max(1, n // 10)
    db.execute(
        insert(Organisation),
        [
            {
                "name": f"Bulk provider {start_at + i}",
                "organisation_type": OrganisationType.CIO if i % 2 else None,
                "contact_email": f"bulk{start_at + i}@example.org",
            }
            for i in range(providers)
        ],
    )
    organisation_ids = db.scalars(
        select(Organisation.id).where(Organisation.name.like("Bulk provider %")).order_by(Organisation.id)
    ).all()[-providers:]
    db.execute(
        insert(Agreement),
        [
            {
                "reference": f"B-{start_at + i:05d}",
                "organisation_id": organisation_ids[i % providers],
                "service_name": "Service",
                "category_id": places["family"].id,
                "annual_value_pence": 100_000 + i,
                "start_date": date(2024, 4, 1) + timedelta(days=i % 700),
                "original_end_date": date(2027, 3, 31),
                "end_date": date(2027, 3, 31),
                "created_at": NOW,
                "updated_at": NOW,
            }
            for i in range(n)
        ],
    )
    ids = db.scalars(select(Agreement.id).where(Agreement.reference.like("B-%")).order_by(Agreement.id)).all()[-n:]
    district_ids = [places["maidstone"].id, places["swale"].id]
    db.execute(insert(agreement_district), [{"agreement_id": i, "district_id": district_ids[i % 2]} for i in ids])
    db.commit()


def queries_for(app, client, url: str) -> int:
    with count_queries(app) as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(statements)


FILTERED = "/contracts?district={maidstone}&vcse=yes&in_force-day=1&in_force-month=1&in_force-year=2026"


def test_the_page_and_the_csv_run_the_same_queries_at_10_and_10000_agreements(app, client, db, places, awarded):
    """With an awarded agreement among them (its lot is looked up), unfiltered and filtered."""
    urls = ["/contracts", "/contracts.csv", FILTERED, FILTERED.replace("/contracts?", "/contracts.csv?")]
    urls = [u.format(maidstone=places["maidstone"].id) for u in urls]
    bulk_agreements(db, places, 10)
    client.get("/contracts")  # warm what is loaded once per process
    small = {url: queries_for(app, client, url) for url in urls}
    bulk_agreements(db, places, 9_990, start_at=10)
    assert "10,001 contracts" in text(client.get("/contracts"))
    large = {url: queries_for(app, client, url) for url in urls}
    assert large == small
    assert small["/contracts"] <= 3, small  # the categories and districts, the count, the rows with their lots
    assert len(csv_rows(client.get("/contracts.csv"))) == 10_002


# --- Awarded contracts, and nothing of the bids that lost -----------------------------------------

WINNER, RUNNER_UP, FAILED = "Winning Hearts Family Trust", "Runner Up Carers CIO", "Failed Selection Trust"
PRICES = [93_456_78, 87_654_32, 81_234_56]  # the winner's is the highest: a lower price did not win


@pytest.fixture
def awarded(app, db, clock_at):
    """A tender of one lot with three bids: the first wins, the second ranks second, the third
    fails selection. The award is published on 23 November 2026 and the contracts entered on
    4 December 2026, after the standstill. The award decision is recorded."""
    with app.app_context():
        world = build_evaluated_tender(
            app,
            db,
            bids=3,
            passes=[True, True, False],
            prices=PRICES,
            replaced_agreements=False,
            bid_overrides={0: {"name": WINNER}, 1: {"name": RUNNER_UP}, 2: {"name": FAILED}},
        )
        award_through_summaries_sent(db, world)
        notice.publish(db, world.officer, world.tender, datetime(2026, 11, 23, 10, tzinfo=UTC))
        db.commit()
    entered_at = clock_at(datetime(2026, 12, 4, 9, tzinfo=UTC))
    with app.app_context():
        (new,) = contracts.enter(db, world.officer, world.tender, date(2030, 3, 31), entered_at)
        award_decision = factories.make_decision(db, number="26/77777", title="Award of family support")
        db.execute(update(LotAward).where(LotAward.tender_id == world.tender.id).values(decision_id=award_decision.id))
        db.commit()
    world.extra.update(agreement=new, award_decision=award_decision)
    return world


def money_texts(pence: int) -> list[str]:
    pounds = Decimal(pence) / 100
    return [f"£{pounds:,.2f}", f"{pounds:.2f}", f"£{int(pounds):,}", f"{int(pounds)}", f"{pence}"]


def test_an_awarded_contract_shows_its_lot_tender_and_decision_and_nothing_of_the_losing_bids(client, db, awarded):
    world = awarded
    agreement_row = world.extra["agreement"]
    lot = world.lots[0]
    html = text(client.get("/contracts"))
    csv_text = client.get("/contracts.csv").get_data(as_text=True)

    # The winner, its lot, price, tender and the award's decision.
    row = re.search(rf"{re.escape(agreement_row.reference)}</span>.*?</tr>", html, re.S).group(0)
    assert WINNER in row and f"Lot {lot.number}: {lot.title}" in row and "£93,456.78" in row
    assert f'href="/opportunities/{world.tender.reference}"' in row
    assert f'href="/decisions/{world.extra["award_decision"].id}"' in row and "Decision 26/77777" in row
    assert "1 April 2027 to 31 March 2030" in row and ">Current<" in row
    (exported,) = [r for r in csv_rows(client.get("/contracts.csv"))[1:] if r[0] == agreement_row.reference]
    assert exported[1] == WINNER and exported[5] == f"Lot {lot.number}: {lot.title}" and exported[7] == "93456.78"
    assert exported[13] == f"http://127.0.0.1:5000/opportunities/{world.tender.reference}"
    assert exported[15] == f"http://127.0.0.1:5000/decisions/{world.extra['award_decision'].id}"

    # Nothing of the bids that lost: names, prices, scores, explanations.
    results = db.scalars(select(LotResult)).all()
    losing_bids = {world.bids[1].id, world.bids[2].id}
    scores = set()
    for result in results:
        for figure in (result.total_score, result.quality_score, result.price_score, result.quality_percent):
            if figure is not None:
                shown = Decimal(figure).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
                scores |= {f"{shown}", f"{shown.normalize()}"} if result.bid_id in losing_bids else set()
    never = [RUNNER_UP, FAILED, EXPLANATION, FAILURE_REASON, *money_texts(PRICES[1]), *money_texts(PRICES[2])]
    never += [s for s in scores if len(s) >= 4]  # "3.00" and the like, not a lone digit
    for body, name in ((html, "page"), (csv_text, "CSV")):
        for value in never:
            assert value not in body, f"{value!r} of a losing bid is on the {name}"
    assert WINNER in csv_text


def test_the_register_rows_come_from_one_place(db, awarded):
    """register_all and register_page agree, and an awarded row knows its lot."""
    f = register.ContractFilter()
    rows, page = register.register_page(db, f, date(2026, 12, 4))
    assert rows == register.register_all(db, f, date(2026, 12, 4)) and page.total == 1
    assert rows[0].lot is not None and rows[0].lot.number == awarded.lots[0].number
