"""The public opportunities: search and filters, the opportunity page, documents,
registering interest, alert preferences, and a fixed number of queries."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from portal.accounts.models import Role
from portal.agreements.models import DeliveryMode, ServiceCategory
from portal.providers.models import District
from portal.tenders import services
from portal.tenders.models import (
    Amendment,
    Interest,
    Question,
    QuestionKind,
    QuestionnaireSection,
    Tender,
    TenderStatus,
)
from tests.conftest import PASSWORD
from tests.support import count_queries, csrf_token_from, post_form
from tests.tenders.factories_public import NOW, PDF, build_tender, get_category, get_district

LONDON = ZoneInfo("Europe/London")


def signed_in(app, user):
    """A client of its own, signed in as ``user``."""
    client = app.test_client()
    assert post_form(client, "/sign-in", {"email": user.email, "password": PASSWORD}).status_code == 302
    return client


def references_in(html: str) -> set[str]:
    return set(re.findall(r"KCC-[A-Z]+-\d+", html))


# --- The list -----------------------------------------------------------------------


def test_list_shows_open_opportunities_with_their_details(client, tender_factory):
    tender_factory(
        reference="KCC-OPEN-1",
        title="Family Hubs outreach",
        value_pence=15_900_000_00,
        submission_deadline=datetime(2027, 3, 31, 17, 0, tzinfo=LONDON),
        lots=3,
        districts=("Swale", "Maidstone"),
        modes=(DeliveryMode.OUTREACH, DeliveryMode.VIRTUAL),
    )
    tender_factory(reference="KCC-DRAFT-1", status=TenderStatus.DRAFT)
    tender_factory(reference="KCC-CLOSED-1", status=TenderStatus.CLOSED)
    tender_factory(reference="KCC-AWARD-1", status=TenderStatus.AWARDED)

    response = client.get("/opportunities")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert references_in(html) == {"KCC-OPEN-1"}
    assert "1 opportunity" in html
    for shown in (
        "Family Hubs outreach",
        "Early Intervention &amp; Prevention",
        "£15.9m",
        "31 March 2027 at 5:00pm",
        "Maidstone, Swale",
        "Outreach, Virtual",
    ):
        assert shown in html, shown
    assert re.search(r"Lots\s*</dt>\s*<dd[^>]*>\s*3\s*</dd>", html)

    everything = client.get("/opportunities?show=y").get_data(as_text=True)
    assert references_in(everything) == {"KCC-OPEN-1", "KCC-CLOSED-1", "KCC-AWARD-1"}  # never the draft
    assert "3 opportunities" in everything


@pytest.fixture
def two_tenders(tender_factory):
    """A matches every filter below; B matches none of them."""
    tender_factory(
        reference="KCC-A-1",
        title="Family Hubs transformation",
        category="Early Intervention & Prevention",
        districts=("Swale",),
        modes=(DeliveryMode.OUTREACH,),
        value_pence=500_000_00,
        submission_deadline=datetime(2027, 1, 15, 12, 0, tzinfo=UTC),
    )
    tender_factory(
        reference="KCC-B-1",
        title="Short breaks for disabled children",
        description="Overnight and day short breaks.",
        category="Disabled Children's Services",
        districts=("Dartford",),
        modes=(DeliveryMode.VIRTUAL,),
        value_pence=2_000_000_00,
        submission_deadline=datetime(2027, 3, 1, 12, 0, tzinfo=UTC),
    )


def _id_of(db, model, name):
    return db.scalar(select(model.id).where(model.name == name))


@pytest.mark.parametrize(
    "query",
    [
        "q=hubs",
        "q=KCC-A",
        "category={category}",
        "district={district}",
        "mode=OUTREACH",
        "closing_before=15&closing_before=1&closing_before=2027",
        "value_to=500000",
        "value_to=£500,000",
    ],
)
def test_each_filter_narrows_the_results(client, db, two_tenders, query):
    assert references_in(client.get("/opportunities").get_data(as_text=True)) == {"KCC-A-1", "KCC-B-1"}
    query = query.format(
        category=_id_of(db, ServiceCategory, "Early Intervention & Prevention"), district=_id_of(db, District, "Swale")
    )
    response = client.get(f"/opportunities?{query}")
    assert response.status_code == 200
    assert references_in(response.get_data(as_text=True)) == {"KCC-A-1"}


@pytest.mark.parametrize("query", ["q=%25", "q=_", "q=hubs%25"])
def test_search_wildcards_are_matched_as_typed(client, two_tenders, query):
    response = client.get(f"/opportunities?{query}")
    assert response.status_code == 200 and references_in(response.get_data(as_text=True)) == set()


def test_value_from_narrows_the_other_way(client, two_tenders):
    html = client.get("/opportunities?value_from=500000.01").get_data(as_text=True)
    assert references_in(html) == {"KCC-B-1"}
    html = client.get("/opportunities?value_from=500000&value_to=500000").get_data(as_text=True)
    assert references_in(html) == {"KCC-A-1"}


@pytest.mark.parametrize(
    "query, message",
    [
        ("closing_before=31&closing_before=2&closing_before=2027", "Closing on or before must be a real date"),
        ("closing_before=31&closing_before=&closing_before=2027", "Closing on or before must include a month"),
        ("closing_before=1&closing_before=1&closing_before=27", "Closing on or before must be a real date"),
        ("closing_before=x&closing_before=y&closing_before=z", "Closing on or before must be a real date"),
        ("closing_before=1", "Closing on or before must include a month and year"),
        ("value_from=lots", "Value from (£) must be an amount in pounds"),
        ("value_to=-5", "Value to (£) must be an amount in pounds"),
        ("value_from=NaN", "Value from (£) must be an amount in pounds"),
        ("value_from=9e99", "Value from (£) must be an amount in pounds"),
        ("value_from=10&value_to=5", "Value to must be the same as or more than value from"),
    ],
)
def test_bad_filters_show_an_error_summary(client, two_tenders, query, message):
    response = client.get(f"/opportunities?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "govuk-error-summary" in html and message in html
    assert html.count("<title>Error: ") == 1
    assert references_in(html) == set()


def test_unknown_filter_values_are_ignored_not_errors(client, two_tenders):
    response = client.get("/opportunities?category=abc&mode=TELEPATHY&page=-3")
    assert response.status_code == 200
    assert references_in(response.get_data(as_text=True)) == {"KCC-A-1", "KCC-B-1"}
    html = client.get("/opportunities?district=999999").get_data(as_text=True)
    assert references_in(html) == set() and "0 opportunities" in html


def test_results_are_paged(client, app, db, fixed_now):
    from portal.tenders.queries import PAGE_SIZE

    for i in range(PAGE_SIZE + 5):
        build_tender(
            app,
            db,
            reference=f"KCC-PAGE-{i:03d}",
            lots=1,
            documents=0,
            commit=False,
            submission_deadline=NOW + timedelta(days=20, hours=i),
        )
    db.commit()
    first = client.get("/opportunities").get_data(as_text=True)
    assert len(references_in(first)) == PAGE_SIZE and "KCC-PAGE-000" in first
    assert f"{PAGE_SIZE + 5} opportunities" in first and "Page 1 of 2" in first and 'rel="next"' in first
    assert 'aria-label="Pages of opportunities"' in first
    second = client.get("/opportunities?page=2").get_data(as_text=True)
    assert references_in(second) == {f"KCC-PAGE-{i:03d}" for i in range(PAGE_SIZE, PAGE_SIZE + 5)}
    assert 'rel="prev"' in second and 'rel="next"' not in second
    # The filters survive paging.
    paged = client.get("/opportunities?q=KCC-PAGE&page=2").get_data(as_text=True)
    assert "q=KCC-PAGE" in paged and "page=1" in paged


# --- The opportunity page -------------------------------------------------------------------


@pytest.fixture
def full_tender(app, db, tender_factory):
    tender = tender_factory(
        reference="KCC-FULL-1",
        title="Family Hubs outreach",
        lots=2,
        documents=2,
        districts=("Swale", "Maidstone"),
        modes=(DeliveryMode.OUTREACH,),
        value_pence=15_900_000_00,
        quality_weight=60,
        price_weight=40,
        minimum_quality_score=55,
        description="First paragraph of the description.\n\nSecond paragraph.",
    )
    tender.decision.number, tender.decision.title = "22/00094", "Family Hubs Transformation"
    db.add(
        Amendment(
            tender_id=tender.id,
            number=1,
            reason="More time for providers to form partnerships",
            changes=[
                {
                    "field": "submission_deadline",
                    "label": "Submission deadline",
                    "before": "21 December 2026 at midday",
                    "after": "11 January 2027 at midday",
                }
            ],
            published_at=NOW,
        )
    )
    section = QuestionnaireSection(tender_id=tender.id, position=1, title="Quality", kind=QuestionKind.QUALITY)
    db.add(section)
    db.flush()
    db.add(
        Question(
            tender_id=tender.id,
            section_id=section.id,
            position=1,
            kind=QuestionKind.QUALITY,
            text="How will you reach families who do not ask for help?",
            word_limit=1500,
            weight=100,
            lots=list(tender.lots),
        )
    )
    db.commit()
    return tender


def test_the_opportunity_page_shows_everything_a_provider_needs(client, db, full_tender):
    response = client.get("/opportunities/KCC-FULL-1")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.count("<h1") == 1
    for shown in (
        "Family Hubs outreach",
        "First paragraph of the description.",
        "Second paragraph.",
        "Open for bids",
        "Early Intervention &amp; Prevention",
        "Open procedure",
        "£15.9m",
        "22/00094 – Family Hubs Transformation",
        f'href="/decisions/{full_tender.decision_id}"',
        # timetable
        "7 December 2026 at midday",
        "11 December 2026 at midday",
        "21 December 2026 at midday",
        "28 December 2026",
        "1 April 2027",
        # lots
        "Lot 1: Lot 1 area services",
        "Lot 2: Lot 2 area services",
        "Maidstone, Swale",
        "Outreach",
        "£100,000",
        # evaluation
        "60% on quality",
        "40% on price",
        "at least <strong>55%</strong>",
        "Excellent: exceeds the requirement",
        "How will you reach families who do not ask for help?",
        "Up to 1,500 words",
        "100%",
        # documents
        "Specification part 1",
        "Specification part 2",
        "PDF, 1KB",
        # amendments
        "Amendment 1, published 23 November 2026 at midday",
        "More time for providers to form partnerships",
        "11 January 2027 at midday",
    ):
        assert shown in html, shown
    documents = full_tender.documents
    assert f'href="/opportunities/KCC-FULL-1/documents/{documents[0].id}"' in html
    # Signed out: an invitation to sign in, no provider actions.
    assert "Register interest" not in html and "Sign in</a> or" in html


def test_draft_is_hidden_from_the_public_and_providers_but_previewed_by_officers(
    app, client, db, tender_factory, make_user, login_as
):
    tender_factory(reference="KCC-DRAFT-9", status=TenderStatus.DRAFT, title="Not yet announced")
    assert client.get("/opportunities/KCC-DRAFT-9").status_code == 404
    assert client.get("/opportunities/KCC-NOPE-1").status_code == 404
    login_as(make_user())
    assert client.get("/opportunities/KCC-DRAFT-9").status_code == 404
    assert "KCC-DRAFT-9" not in client.get("/opportunities?show=y").get_data(as_text=True)
    for role, status in ((Role.EVALUATOR, 404), (Role.OFFICER, 200), (Role.ADMIN, 200)):
        response = signed_in(app, make_user(role=role)).get("/opportunities/KCC-DRAFT-9")
        assert response.status_code == status, role
        if status == 200:
            assert "This is a preview" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "status", [TenderStatus.CLOSED, TenderStatus.EVALUATION, TenderStatus.AWARDED, TenderStatus.CANCELLED]
)
def test_published_tenders_stay_public_after_closing(client, tender_factory, status):
    tender_factory(reference="KCC-PAST-1", status=status)
    response = client.get("/opportunities/KCC-PAST-1")
    assert response.status_code == 200 and status.value in response.get_data(as_text=True)


# --- Documents -----------------------------------------------------------------------------------


def test_documents_download_as_attachments(client, tender_factory):
    tender = tender_factory(reference="KCC-DOC-1", documents=1)
    document = tender.documents[0]
    response = client.get(f"/opportunities/KCC-DOC-1/documents/{document.id}")
    assert response.status_code == 200
    assert response.data == PDF
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="Specification part 1.pdf"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "public" not in response.headers["Cache-Control"]  # never kept by a shared cache


def test_a_document_with_an_accented_name_downloads(app, client, db, tender_factory):
    from portal.tenders.models import DocumentKind, TenderDocument
    from tests.tenders.factories_public import store_pdf

    tender = tender_factory(reference="KCC-DOC-5", documents=0)
    stored = store_pdf(app, db, "Café – spécification.pdf")
    db.add(TenderDocument(tender_id=tender.id, kind=DocumentKind.OTHER, title="Café", file_id=stored.id))
    db.commit()
    document = db.scalar(select(TenderDocument).where(TenderDocument.tender_id == tender.id))
    response = client.get(f"/opportunities/KCC-DOC-5/documents/{document.id}")
    assert response.status_code == 200 and response.data == PDF
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; ") and "filename*=UTF-8''Caf%C3%A9" in disposition


def test_document_404s(app, client, db, tender_factory, make_user):
    one = tender_factory(reference="KCC-DOC-2", documents=1)
    other = tender_factory(reference="KCC-DOC-3", documents=1)
    draft = tender_factory(reference="KCC-DOC-4", documents=1, status=TenderStatus.DRAFT)
    assert client.get(f"/opportunities/KCC-DOC-2/documents/{other.documents[0].id}").status_code == 404
    assert client.get("/opportunities/KCC-DOC-2/documents/999999").status_code == 404
    assert client.get(f"/opportunities/KCC-NONE/documents/{one.documents[0].id}").status_code == 404
    draft_url = f"/opportunities/KCC-DOC-4/documents/{draft.documents[0].id}"
    assert client.get(draft_url).status_code == 404
    previewed = signed_in(app, make_user(role=Role.OFFICER)).get(draft_url)
    assert previewed.status_code == 200 and previewed.data == PDF
    assert "no-store" in previewed.headers["Cache-Control"]


# --- Registering interest -------------------------------------------------------------------------


def _interest_count(db, tender):
    return db.scalar(select(func.count(Interest.id)).where(Interest.tender_id == tender.id))


def test_provider_registers_interest_once(client, db, tender_factory, make_user, login_as):
    tender = tender_factory(reference="KCC-INT-1")
    provider = make_user()
    login_as(provider)
    page = client.get("/opportunities/KCC-INT-1").get_data(as_text=True)
    assert "Register interest" in page and "You have registered interest" not in page
    response = post_form(client, "/opportunities/KCC-INT-1/interest", {}, form_url="/opportunities/KCC-INT-1")
    assert response.status_code == 302 and response.headers["Location"] == "/opportunities/KCC-INT-1"
    page = client.get("/opportunities/KCC-INT-1").get_data(as_text=True)
    assert "You have registered interest. We will email" in page  # the success banner
    assert "<strong>You have registered interest</strong>" in page
    again = client.post("/opportunities/KCC-INT-1/interest", data={"csrf_token": csrf_token_from(page)})
    assert again.status_code == 302
    assert "already registered interest" in client.get("/opportunities/KCC-INT-1").get_data(as_text=True)
    assert _interest_count(db, tender) == 1
    interest = db.scalar(select(Interest).where(Interest.tender_id == tender.id))
    assert interest.organisation_id == provider.organisation_id and interest.registered_by_id == provider.id


def test_only_providers_register_interest(app, client, db, tender_factory, make_user, login_as):
    tender = tender_factory(reference="KCC-INT-2")
    anonymous = post_form(client, "/opportunities/KCC-INT-2/interest", {}, form_url="/sign-in")
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/sign-in")
    officer = make_user(role=Role.OFFICER)
    login_as(officer)
    token = csrf_token_from(client.get("/opportunities/KCC-INT-2").get_data(as_text=True))
    assert client.post("/opportunities/KCC-INT-2/interest", data={"csrf_token": token}).status_code == 403
    assert _interest_count(db, tender) == 0


@pytest.mark.parametrize(
    "status, code", [(TenderStatus.CLOSED, 400), (TenderStatus.AWARDED, 400), (TenderStatus.DRAFT, 404)]
)
def test_interest_only_in_open_tenders(client, db, tender_factory, make_user, login_as, status, code):
    tender = tender_factory(reference="KCC-INT-3", status=status)
    login_as(make_user())
    token = csrf_token_from(client.get("/opportunities").get_data(as_text=True))
    if status is not TenderStatus.DRAFT:
        assert "Register interest" not in client.get("/opportunities/KCC-INT-3").get_data(as_text=True)
    response = client.post("/opportunities/KCC-INT-3/interest", data={"csrf_token": token})
    assert response.status_code == code
    if code == 400:
        assert "This opportunity is not open" in response.get_data(as_text=True)
    assert _interest_count(db, tender) == 0


def test_interest_without_a_csrf_token_is_refused(client, db, tender_factory, make_user, login_as):
    tender = tender_factory(reference="KCC-INT-4")
    login_as(make_user())
    assert client.post("/opportunities/KCC-INT-4/interest").status_code == 400
    assert _interest_count(db, tender) == 0


# --- Alerts ----------------------------------------------------------------------------------------


def test_alert_preferences_are_saved_and_cleared(client, db, tender_factory, make_user, login_as):
    tender_factory()  # makes the category and district
    maidstone = db.scalar(select(District.id).where(District.name == "Maidstone"))
    category = db.scalar(select(ServiceCategory.id).where(ServiceCategory.name == "Early Intervention & Prevention"))
    provider = make_user()
    login_as(provider)
    home = client.get("/dashboard").get_data(as_text=True)
    assert 'href="/alerts">Opportunity alerts</a>' in home
    assert 'href="/alerts"' in client.get("/opportunities").get_data(as_text=True)
    page = client.get("/alerts").get_data(as_text=True)
    assert "If you choose nothing, alerts are turned off" in page
    response = post_form(client, "/alerts", {"category_ids": [str(category)], "district_ids": [str(maidstone)]})
    assert response.status_code == 302
    assert services.alert_preferences(db, provider) == ([category], [maidstone])
    page = client.get("/alerts").get_data(as_text=True)
    assert "Your alert choices have been saved" in page
    assert re.search(rf'value="{category}"\s+checked', page)

    response = post_form(client, "/alerts", {})
    assert response.status_code == 302
    assert services.alert_preferences(db, provider) == ([], [])
    assert "Opportunity alerts are turned off" in client.get("/alerts").get_data(as_text=True)


def test_alert_choices_must_come_from_the_lists(client, db, make_user, login_as):
    provider = make_user()
    login_as(provider)
    response = post_form(client, "/alerts", {"category_ids": ["999999"]})
    assert response.status_code == 400 and "Select categories from the list" in response.get_data(as_text=True)
    assert services.alert_preferences(db, provider) == ([], [])


def test_alerts_are_for_providers_only(app, client, make_user, login_as):
    assert client.get("/alerts").status_code == 302
    login_as(make_user(role=Role.OFFICER))
    assert client.get("/alerts").status_code == 403


def test_matching_alert_users(app, db, tender_factory, make_user):
    tender = tender_factory(category="Early Intervention & Prevention", districts=("Swale",))
    other_category = get_category(db, "Disabled Children's Services").id
    other_district = get_district(db, "Dartford")
    db.commit()
    swale = db.scalar(select(District.id).where(District.name == "Swale"))

    def user_with(categories, districts, role=Role.PROVIDER):
        user = make_user(role=role)
        services.set_alert_preferences(db, user, categories, districts)
        db.commit()
        return user

    category_only = user_with([tender.category_id], [])
    wrong_category_only = user_with([other_category], [])
    district_only = user_with([], [swale])
    wrong_district_only = user_with([], [other_district.id])
    both = user_with([tender.category_id, other_category], [swale])
    category_but_not_district = user_with([tender.category_id], [other_district.id])
    district_but_not_category = user_with([other_category], [swale])
    neither = user_with([], [])
    make_user()  # never chose anything
    matched = services.matching_alert_users(db, tender)
    assert [u.id for u in matched] == [category_only.id, district_only.id, both.id]
    assert not {
        wrong_category_only.id,
        wrong_district_only.id,
        category_but_not_district.id,
        district_but_not_category.id,
        neither.id,
    } & {u.id for u in matched}


# --- A fixed number of queries -----------------------------------------------------------------------


def _bulk(app, db, tenders, lots, documents, start):
    for i in range(tenders):
        build_tender(
            app,
            db,
            reference=f"KCC-Q-{start + i:04d}",
            lots=lots,
            documents=documents,
            commit=False,
            districts=("Swale", "Maidstone", "Dartford"),
            modes=tuple(DeliveryMode),
        )
    db.commit()


@pytest.mark.parametrize("persona", ["anonymous", "provider"])
@pytest.mark.parametrize("which", ["list", "tender"])
def test_pages_use_a_fixed_number_of_queries(app, client, db, fixed_now, make_user, login_as, persona, which):
    if persona == "provider":
        login_as(make_user())
    url = "/opportunities?show=y" if which == "list" else "/opportunities/KCC-Q-0000"
    _bulk(app, db, 2, 2, 1, 0)
    with count_queries(app) as small:
        assert client.get(url).status_code == 200
    db.execute(Tender.__table__.delete())
    db.commit()
    _bulk(app, db, 30, 12, 5, 0)
    with count_queries(app) as large:
        html = client.get(url).get_data(as_text=True)
    assert (
        ("Lot 12: " in html and "Specification part 5" in html) if which == "tender" else ("30 opportunities" in html)
    )
    assert len(large) == len(small), f"{len(small)} queries for 2 small tenders, {len(large)} for 30 large ones"


def test_the_equality_impact_assessment_is_shown_on_the_opportunity_and_its_decision(app, client, db, tender_factory):
    from portal.tenders.models import DocumentKind, TenderDocument
    from tests.tenders.factories_public import store_pdf

    tender = tender_factory(reference="KCC-EIA-1", documents=1)
    assert 'id="equality-impact-assessment"' not in client.get("/opportunities/KCC-EIA-1").get_data(as_text=True)
    stored = store_pdf(app, db, "EIA.pdf")
    eia = TenderDocument(
        tender_id=tender.id,
        kind=DocumentKind.EQUALITY_IMPACT_ASSESSMENT,
        title="Equality Impact Assessment",
        file_id=stored.id,
    )
    db.add(eia)
    db.commit()
    link = f'href="/opportunities/KCC-EIA-1/documents/{eia.id}"'
    page = client.get("/opportunities/KCC-EIA-1").get_data(as_text=True)
    assert 'id="equality-impact-assessment"' in page and link in page
    decision = client.get(f"/decisions/{tender.decision_id}").get_data(as_text=True)
    assert link in decision and "Equality Impact Assessment" in decision
