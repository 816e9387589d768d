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


def test_list_shows_open_opportunities_with_their_details(client, tender_factory, fixed_now):
    description = (
        "Outreach services for families in Swale and Maidstone who do not yet use a Family Hub, delivered "
        "through home visits, community venues and online sessions, with a named worker for each family "
        "and a clear plan agreed with them.\n\nSecond paragraph, never on the list."
    )
    tender_factory(
        reference="KCC-OPEN-1",
        title="Family Hubs outreach",
        description=description,
        value_pence=15_900_000_00,
        submission_deadline=datetime(2027, 3, 31, 17, 0, tzinfo=LONDON),
        lots=3,
        districts=("Swale", "Maidstone"),
        modes=(DeliveryMode.OUTREACH, DeliveryMode.VIRTUAL),
    )
    tender_factory(reference="KCC-DRAFT-1", status=TenderStatus.DRAFT, districts=("Dover",))
    tender_factory(reference="KCC-CLOSED-1", status=TenderStatus.CLOSED)
    tender_factory(reference="KCC-AWARD-1", status=TenderStatus.AWARDED)

    response = client.get("/opportunities")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert references_in(html) == {"KCC-OPEN-1"}
    assert "1 opportunity" in html
    # Title, one line of description, then when it closes, its value and its lots on one line.
    result = html[html.index('id="results"') :]
    assert result.index("Family Hubs outreach") < result.index("Outreach services") < result.index("Closes ")
    line = re.search(r'class="govuk-body govuk-!-margin-bottom-1">(Outreach services[^<]*)</p>', result)[1]
    assert line.endswith("…") and len(line) <= 161
    shown = line.removesuffix("…")
    assert description.startswith(shown) and not description[len(shown)].isalnum(), "cut mid-word"
    assert "Second paragraph" not in result
    # 23 November 2026 to 31 March 2027: 128 days.
    assert "Closes 31 March 2027 at 5:00pm (in 128 days) · £15.9m · 3 lots" in html
    for shown in ("KCC-OPEN-1", "Early Intervention &amp; Prevention", "Maidstone, Swale", "Outreach, Virtual"):
        assert shown in result, shown

    everything = client.get("/opportunities?show=y").get_data(as_text=True)
    assert references_in(everything) == {"KCC-OPEN-1", "KCC-CLOSED-1", "KCC-AWARD-1"}  # never the draft
    assert "3 opportunities" in everything


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Short.", "Short."),
        ("", ""),
        (None, ""),
        ("First line.\nSecond line.", "First line."),
        ("word " * 50, ("word " * 32).strip() + "…"),
        ("x" * 200, "x" * 200),  # one long word is never cut
        ("x" * 200 + " and more", "x" * 200 + "…"),
        ("Ends on a comma, " + "y" * 150 + " and more words here", "Ends on a comma…"),
    ],
)
def test_one_line_is_cut_at_a_word_boundary(text, expected):
    from portal.tenders.public_views import one_line

    assert one_line(text) == expected


@pytest.mark.parametrize(
    "deadline, expected",
    [
        (datetime(2026, 12, 21, 12, 0, tzinfo=UTC), "Closes 21 December 2026 at midday (in 28 days)"),
        (datetime(2026, 11, 24, 9, 0, tzinfo=UTC), "Closes 24 November 2026 at 9:00am (tomorrow)"),
        (datetime(2026, 11, 23, 17, 0, tzinfo=UTC), "Closes 23 November 2026 at 5:00pm (today)"),
        (datetime(2026, 11, 20, 12, 0, tzinfo=UTC), "Closed 20 November 2026 at midday"),
        (None, "Closing date to be confirmed"),
    ],
)
def test_closing_text(deadline, expected):
    from portal.tenders.public_views import closing_text

    assert closing_text(Tender(submission_deadline=deadline), NOW) == expected


def test_a_tender_covering_every_district_says_so(client, db, tender_factory):
    names = db.scalars(select(District.name)).all()
    tender_factory(reference="KCC-ALL-1", districts=tuple(names) or ("Swale",))
    html = client.get("/opportunities").get_data(as_text=True)
    assert "All districts" in html


def test_results_sort_by_closing_soonest_or_newest(client, db, tender_factory):
    soon = tender_factory(reference="KCC-SOON-1", submission_deadline=NOW + timedelta(days=10))
    tender_factory(reference="KCC-LATE-1", submission_deadline=NOW + timedelta(days=40))
    soon.published_at = NOW - timedelta(days=30)  # the one closing soonest was published first
    db.commit()

    def order(query=""):
        html = client.get(f"/opportunities{query}").get_data(as_text=True)
        return re.findall(r"KCC-(?:SOON|LATE)-1", html[html.index('id="results"') :])[::2]

    assert order() == order("?sort=closing") == ["KCC-SOON-1", "KCC-LATE-1"]
    assert order("?sort=newest") == ["KCC-LATE-1", "KCC-SOON-1"]
    html = client.get("/opportunities?sort=newest").get_data(as_text=True)
    assert '<select class="govuk-select" id="sort" name="sort">' in html
    assert '<option value="newest" selected>Newest first</option>' in html


def test_the_filters_are_plain_govuk_markup_and_keep_what_was_typed(client, two_tenders):
    html = client.get(
        "/opportunities?q=hubs&value_from=%C2%A31.5m&closing_before-day=1&closing_before-month=2"
        "&closing_before-year=2027&show=y&sort=newest"
    ).get_data(as_text=True)
    assert 'id="q" name="q" type="search" spellcheck="false" value="hubs"' in html
    assert 'name="value_from" type="text" spellcheck="false" value="£1.5m"' in html
    for part, value in (("day", "1"), ("month", "2"), ("year", "2027")):
        assert f'name="closing_before-{part}" type="text" inputmode="numeric" value="{value}"' in html
    assert 'id="show" name="show" type="checkbox" value="y" checked' in html
    assert "For example, 31 3 2027" in html and "2012" not in html.split("Filter opportunities")[1]


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
        "closing_before=15&closing_before=1&closing_before=2027",  # links made before the boxes had names
        "closing_before-day=15&closing_before-month=1&closing_before-year=2027",
        "value_to=500000",
        "value_to=£500,000",
        "value_to=£0.5m",
        "value_to=500k",
        "value_to=%C2%A30.5m",
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
    # As the pages write money: "£2m" is B's value, and "£1.5m" is more than A's.
    html = client.get("/opportunities?value_from=%C2%A31.5m").get_data(as_text=True)
    assert references_in(html) == {"KCC-B-1"}
    html = client.get("/opportunities?value_from=%C2%A32m&value_to=2m").get_data(as_text=True)
    assert references_in(html) == {"KCC-B-1"}


@pytest.mark.parametrize(
    "query, message",
    [
        ("closing_before=31&closing_before=2&closing_before=2027", "Closing on or before must be a real date"),
        ("closing_before=31&closing_before=&closing_before=2027", "Closing on or before must include a month"),
        ("closing_before=1&closing_before=1&closing_before=27", "Closing on or before must be a real date"),
        ("closing_before=x&closing_before=y&closing_before=z", "Closing on or before must be a real date"),
        ("closing_before=1", "Closing on or before must include a month and year"),
        (
            "closing_before-day=40&closing_before-month=13&closing_before-year=2026",
            "Closing on or before must be a real date",
        ),
        ("closing_before-day=29&closing_before-month=2&closing_before-year=2027", "must be a real date"),
        ("closing_before-day=1&closing_before-month=1", "Closing on or before must include a year"),
        (
            "closing_before-year=%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%97&closing_before-day=1&closing_before-month=1",
            "real",
        ),
        ("value_from=lots", "Value from must be an amount in pounds, like £250,000 or £1.5m"),
        ("value_to=-5", "Value to must be an amount in pounds"),
        ("value_from=NaN", "Value from must be an amount in pounds"),
        ("value_from=9e99", "Value from must be an amount in pounds"),
        ("value_from=1.5mm", "Value from must be an amount in pounds"),
        ("value_from=10&value_to=5", "Value to must be the same as or more than value from"),
        ("value_from=2m&value_to=1.5m", "Value to must be the same as or more than value from"),
        ("category=abc", "Select a category from the list"),
        ("district=999999", "Select a district from the list"),
        ("mode=TELEPATHY", "Select a delivery mode from the list"),
        ("sort=oldest", "Select a sort order from the list"),
        ("q=" + "x" * 101, "Search must be 100 characters or fewer"),
    ],
)
def test_bad_filters_show_an_error_summary(client, two_tenders, query, message):
    response = client.get(f"/opportunities?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "govuk-error-summary" in html and message in html
    assert html.count("<title>Error: ") == 1
    assert references_in(html) == set()


def test_each_error_links_to_its_box(client, two_tenders):
    html = client.get(
        "/opportunities?closing_before-day=40&closing_before-month=13&closing_before-year=2026&value_from=x&sort=z"
    ).get_data(as_text=True)
    summary = html[
        html.index("govuk-error-summary__list") : html.index("</ul>", html.index("govuk-error-summary__list"))
    ]
    assert re.findall(r'href="#([\w-]+)"', summary) == ["closing_before-day", "value_from", "sort"]
    for box in ("closing_before-day", "value_from", "sort"):
        assert f'id="{box}"' in html
    assert 'aria-describedby="value_from-hint value_from-error"' in html
    assert "govuk-input--error" in html and "govuk-select--error" in html


def test_a_bad_page_number_is_the_first_page(client, two_tenders):
    response = client.get("/opportunities?page=-3")
    assert response.status_code == 200
    assert references_in(response.get_data(as_text=True)) == {"KCC-A-1", "KCC-B-1"}


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
    paged = client.get("/opportunities?q=KCC-PAGE&sort=newest&page=2").get_data(as_text=True)
    assert "q=KCC-PAGE" in paged and "sort=newest" in paged and "page=1" in paged


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


def _summary_rows(html: str, list_id: str) -> list[tuple[str, str]]:
    start = html.index(f'id="{list_id}"')
    block = html[start : html.index("</dl>", start)]
    return [
        (re.sub(r"<[^>]+>", "", key).strip(), re.sub(r"<[^>]+>", "", value).strip())
        for key, value in re.findall(r"<dt[^>]*>(.*?)</dt>\s*<dd[^>]*>(.*?)</dd>", block, re.S)
    ]


def test_key_dates_and_what_you_need_come_first(client, db, full_tender):
    from portal.tenders.models import DocumentKind, TenderDocument
    from tests.tenders.factories_public import store_pdf

    section = QuestionnaireSection(tender_id=full_tender.id, position=0, title="Selection", kind=QuestionKind.PASS_FAIL)
    db.add(section)
    db.flush()
    for position in (1, 2):
        db.add(
            Question(
                tender_id=full_tender.id,
                section_id=section.id,
                position=10 + position,
                kind=QuestionKind.PASS_FAIL,
                text=f"Pass or fail question {position}",
                passing_answer=True,
            )
        )
    db.add(
        Question(
            tender_id=full_tender.id,
            section_id=full_tender.questions[0].section_id,
            position=20,
            kind=QuestionKind.QUALITY,
            text="How will you work with schools?",
            word_limit=750,
            weight=0,
            lots=list(full_tender.lots),
        )
    )
    stored = store_pdf(client.application, db, "Pricing.pdf")
    db.add(
        TenderDocument(tender_id=full_tender.id, kind=DocumentKind.PRICING_TEMPLATE, title="Pricing", file_id=stored.id)
    )
    db.commit()

    html = client.get("/opportunities/KCC-FULL-1").get_data(as_text=True)
    assert _summary_rows(html, "key-dates") == [
        ("Clarification questions close", "7 December 2026 at midday"),
        ("Bids close", "21 December 2026 at midday"),
        ("Evaluation", "28 December 2026"),
        ("Award planned", "12 January 2027"),
        ("Contract starts", "1 April 2027"),
    ]
    assert _summary_rows(html, "what-you-need") == [
        (
            "Pass or fail questions",
            "2 questions answered yes or no: the wrong answer to any of them means the bid cannot go further",
        ),
        ("Written answers", "2 written answers, up to 2,250 words in total"),
        (
            "Price",
            "An annual price for each lot you bid for (there are 2 lots: you can bid for one or more), "
            "using the pricing template",
        ),
        ("Documents to read", "3 documents, listed under Documents below"),
    ]
    assert 'href="#documents-heading"' in html and 'id="documents-heading"' in html
    # At the top: before the full timetable, the lots and everything else.
    assert html.index('id="key-dates"') < html.index('id="what-you-need"') < html.index(">Timetable<")
    assert html.index('id="what-you-need"') < html.index(">Lots<")


def test_what_you_need_says_when_some_questions_are_for_some_lots_only(client, db, full_tender):
    question = next(q for q in full_tender.questions if q.kind is QuestionKind.QUALITY)
    question.lots = full_tender.lots[:1]
    db.commit()
    html = client.get("/opportunities/KCC-FULL-1").get_data(as_text=True)
    assert (
        "Written answers",
        "1 written answer, up to 1,500 words in total if you bid for every lot (some questions are for some lots only)",
    ) in _summary_rows(html, "what-you-need")


def test_a_tender_without_dates_says_to_be_confirmed(client, db, tender_factory):
    tender = tender_factory(reference="KCC-TBC-1", lots=0, documents=0)
    tender.evaluation_date = tender.intended_award_date = None
    db.commit()
    html = client.get("/opportunities/KCC-TBC-1").get_data(as_text=True)
    rows = dict(_summary_rows(html, "key-dates"))
    assert rows["Evaluation"] == rows["Award planned"] == "To be confirmed"
    assert 'id="what-you-need"' not in html  # nothing asked for yet


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


def test_a_draft_cancelled_before_publication_stays_hidden(app, client, db, tender_factory, make_user, login_as):
    """Cancelled without ever being published: nobody outside the council learns of it."""
    tender = tender_factory(reference="KCC-NEVER-1", status=TenderStatus.CANCELLED, title="Never announced")
    tender.published_at = None
    db.commit()
    assert client.get("/opportunities/KCC-NEVER-1").status_code == 404
    assert "KCC-NEVER-1" not in client.get("/opportunities?show=y").get_data(as_text=True)
    login_as(make_user())
    assert client.get("/opportunities/KCC-NEVER-1").status_code == 404
