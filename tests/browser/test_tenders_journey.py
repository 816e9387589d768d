"""In Chromium, with the clock fixed: an officer builds a framework with two
lots through the tender's task list (details, lots, a timetable sent wrong once,
the evaluation method, a pass or fail question and quality questions weighted
to 100%, a PDF, the conflicts assessment, the authorising decision), each task
showing its status, then checks it on the check page and publishes it; a
provider whose alerts match is emailed, finds it through the filters (a
non-matching filter hides it), registers interest and asks a question; the
officer writes the answer, rewords the question so that it does not identify
the asker, previews, changes and publishes the answer to everyone; the
provider, and the public, see it under the reworded question without the asker
being named, and the answer's email does not name the asker either. axe-core
checks every page, error states included."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from playwright.sync_api import expect
from sqlalchemy import select

from portal.accounts.models import Role
from portal.agreements.models import ServiceCategory
from portal.agreements.services import install_defaults
from portal.decisions.models import Decision
from portal.tenders import services
from portal.tenders.models import Clarification, Interest, Tender, TenderStatus
from tests.browser.conftest import assert_accessible
from tests.browser.test_agreements_journey import sign_in
from tests.browser.test_registration_journey import expect_error_page, expect_no_error, on_live_server

# A Monday, midday in London (GMT in November).
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
REFERENCE = "KCC-EIP-2027"
TITLE = "Early help and prevention framework"
CATEGORY = "Early Intervention & Prevention"
PROVIDER = "Swale Youth Trust"
QUESTION = "Can a consortium of two charities bid for lot 1 as one provider?"
PUBLISHED_QUESTION = "Can a consortium bid for a lot as one provider?"
ANSWER = "Yes. Name the lead organisation and list every member of the consortium in the selection questionnaire."
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def fill_date(page, legend: str, day: int, month: int, year: int) -> None:
    """One GOV.UK date input, found by its fieldset's legend."""
    group = page.get_by_role("group", name=legend, exact=True)
    group.get_by_label("Day", exact=True).fill(str(day))
    group.get_by_label("Month", exact=True).fill(str(month))
    group.get_by_label("Year", exact=True).fill(str(year))


def fill_timetable(page, clarification_day: int) -> None:
    fill_date(page, "Clarification questions close", clarification_day, 12, 2026)
    page.get_by_label("Time clarification questions close", exact=True).fill("17:00")
    fill_date(page, "Answers published by", 11, 12, 2026)
    page.get_by_label("Time answers are published by", exact=True).fill("17:00")
    fill_date(page, "Submission deadline", 21, 12, 2026)
    page.get_by_label("Time of the submission deadline", exact=True).fill("12:00")
    fill_date(page, "Evaluation", 6, 1, 2027)
    fill_date(page, "Intended award", 20, 1, 2027)
    fill_date(page, "Standstill ends", 1, 2, 2027)
    fill_date(page, "Contract start", 1, 4, 2027)


def expect_saved(page, message: str) -> None:
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(message)
    expect_no_error(page)


def checklist(page):
    """The draft's task list: each task's name, its hint (what is still missing) and its status."""
    return page.locator("#tasks")


def task_status(page, key: str):
    return page.locator(f"#task-{key}-status")


def open_task(page, name: str) -> None:
    page.locator("#tasks").get_by_role("link", name=name, exact=True).click()


def add_lot(page, title: str, districts: list[str], modes: list[str], value: str, providers: str) -> None:
    page.get_by_role("button", name=re.compile(r"^Add (a|another) lot$")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a lot")
    page.get_by_label("Lot title", exact=True).fill(title)
    page.get_by_label("Description (optional)", exact=True).fill(f"Early help for families in {', '.join(districts)}.")
    districts_group = page.get_by_role("group", name="Districts covered")
    for district in districts:
        districts_group.get_by_label(district, exact=True).check()
    modes_group = page.get_by_role("group", name="How the services are delivered")
    for mode in modes:
        modes_group.get_by_label(mode, exact=True).check()
    page.get_by_label("Estimated annual value", exact=True).fill(value)
    page.get_by_label("Maximum number of providers", exact=True).fill(providers)
    page.get_by_role("button", name="Save and continue").click()


def add_question(page, section: str, text: str, *, weight: str | None = None) -> None:
    page.get_by_role("link", name=f"Add a question to {section}", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a question")
    page.get_by_label("Question", exact=True).fill(text)
    if weight is None:
        page.get_by_role("group", name="Which answer passes?").get_by_label("Yes", exact=True).check()
    else:
        page.get_by_label("Word limit (optional)", exact=True).fill("500")
        page.get_by_label("Weight", exact=True).fill(weight)
    page.get_by_role("button", name="Save and continue").click()
    expect_saved(page, "The question has been added.")


def add_section(page, title: str, kind: str) -> None:
    page.get_by_role("button", name="Add a section").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a section")
    page.get_by_label("Section title", exact=True).fill(title)
    page.get_by_label(kind, exact=True).check()
    page.get_by_role("button", name="Save and continue").click()
    expect_saved(page, f"Section \u201c{title}\u201d has been added.")


def result_titles(page) -> list[str]:
    return [text.strip() for text in page.locator(".govuk-grid-column-two-thirds h3 a").all_inner_texts()]


def filter_opportunities(page, category: str, district: str) -> None:
    page.get_by_label("Category", exact=True).select_option(label=category)
    page.get_by_label("District", exact=True).select_option(label=district)
    page.get_by_role("button", name="Apply filters").click()


def test_officer_publishes_a_framework_provider_asks_and_sees_the_published_answer(
    page, browser, live_url, mailbox, app, db, monkeypatch, tmp_path, make_district, make_organisation, make_user
):
    monkeypatch.setitem(app.config, "FIXED_NOW", NOW)
    make_district("Maidstone")
    swale = make_district("Swale")
    make_district("Thanet")
    make_district("Dover")  # no lot covers it
    install_defaults(db)
    db.commit()
    category = db.scalar(select(ServiceCategory).where(ServiceCategory.name == CATEGORY))
    leaving_care = db.scalar(select(ServiceCategory).where(ServiceCategory.name == "16+ Leaving Care"))
    decision = Decision(
        number="26/00123",
        title="Recommissioning early help services",
        decision_maker="Cabinet Member for Integrated Children's Services",
        status="Recommendations Approved",
        reasons="The current agreements end in March 2027.",
        decision_text="Agree to tender a new early help framework.",
        decision_date=datetime(2026, 10, 1).date(),
        publication_date=datetime(2026, 10, 2).date(),
    )
    db.add(decision)
    db.commit()
    officer = make_user(role=Role.OFFICER, email="officer@kent.example.gov.uk")
    provider = make_organisation(name=PROVIDER, charity_number="1098765", districts=[swale])
    provider_user = make_user(organisation=provider, email="jo@swale-youth.example.org")
    other_user = make_user(email="sam@leaving-care.example.org")  # alerts for another category only
    with app.test_request_context():
        services.set_alert_preferences(db, provider_user, [category.id], [swale.id])
        services.set_alert_preferences(db, other_user, [leaving_care.id], [])
    db.commit()
    specification = tmp_path / "specification.pdf"
    specification.write_bytes(PDF)

    def tender() -> Tender:
        db.rollback()  # a fresh transaction sees what the live server committed
        return db.scalar(select(Tender).where(Tender.reference == REFERENCE))

    # --- The officer builds the draft --------------------------------------------------
    sign_in(page, live_url, officer.email)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Tenders").click()
    expect(page).to_have_url(live_url + "/tenders")
    expect(page.get_by_text("There are no tenders yet.")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Create a tender").click()
    expect(page).to_have_url(live_url + "/tenders/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("Create a tender")
    assert_accessible(page)
    page.get_by_label("Reference", exact=True).fill(REFERENCE)
    page.get_by_label("Title", exact=True).fill(TITLE)
    page.get_by_label("Description", exact=True).fill(
        "Early intervention and prevention services for children, young people and families.\n\n"
        "The framework runs for four years from April 2027."
    )
    page.get_by_label("Service category", exact=True).select_option(label=CATEGORY)
    page.get_by_label("Estimated total value", exact=True).fill("1,200,000")
    expect(page.get_by_label("Open procedure", exact=True)).to_be_checked()
    page.get_by_role("group", name="Is this a light-touch contract?").get_by_label("Yes", exact=True).check()
    page.get_by_role("group", name="Is this a framework?").get_by_label("Yes", exact=True).check()
    page.get_by_role("button", name="Save and continue").click()
    expect_saved(page, f"Draft {REFERENCE} created.")
    tender_id = tender().id
    show_url = f"{live_url}/tenders/{tender_id}"
    expect(page).to_have_url(show_url)
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(checklist(page)).to_contain_text("Add at least one lot")
    expect(checklist(page)).to_contain_text("Enter the submission deadline")
    expect(checklist(page)).to_contain_text("Link the executive decision that authorised this tender")
    expect(checklist(page)).to_contain_text("Record the conflicts of interest assessment")
    expect(task_status(page, "details")).to_have_text("Completed")
    expect(task_status(page, "lots")).to_have_text("Incomplete")
    expect(task_status(page, "questionnaire")).to_have_text("Cannot start yet")
    expect(task_status(page, "check")).to_have_text("Cannot start yet")
    expect(checklist(page).get_by_role("link", name="Check and publish")).to_have_count(0)
    assert_accessible(page)

    # Two lots.
    open_task(page, "Lots")
    expect(page).to_have_url(f"{show_url}/lots")
    expect(page.get_by_text("No lots yet.")).to_be_visible()
    assert_accessible(page)
    add_lot(page, "Mid Kent", ["Maidstone", "Swale"], ["Face-to-face", "Outreach"], "150000", "3")
    expect_saved(page, "Lot 1 has been added.")
    expect(page).to_have_url(f"{show_url}/lots")
    page.get_by_role("button", name="Add another lot", exact=True).click()
    expect(page).to_have_url(f"{show_url}/lots/new")
    assert_accessible(page)
    page.go_back()
    add_lot(page, "East Kent", ["Thanet"], ["Face-to-face", "Virtual"], "90000", "2")
    expect_saved(page, "Lot 2 has been added.")
    expect(page.get_by_role("heading", name="Lot 1: Mid Kent")).to_be_visible()
    expect(page.get_by_role("heading", name="Lot 2: East Kent")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Return to the tender").click()
    expect(checklist(page)).not_to_contain_text("Add at least one lot")
    expect(task_status(page, "lots")).to_have_text("Completed")
    lots = tender().lots
    assert [(lot.number, [d.name for d in lot.districts]) for lot in lots] == [
        (1, ["Maidstone", "Swale"]),
        (2, ["Thanet"]),
    ]

    # The timetable: questions closing after the deadline first, then properly.
    open_task(page, "Timetable")
    expect(page).to_have_url(f"{show_url}/timetable")
    assert_accessible(page)
    fill_timetable(page, clarification_day=22)
    page.get_by_role("button", name="Save and continue").click()
    expect_error_page(page)
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Clarification questions must close before the submission deadline"
    )
    assert_accessible(page)
    assert tender().submission_deadline is None
    fill_date(page, "Clarification questions close", 7, 12, 2026)
    page.get_by_role("button", name="Save and continue").click()
    expect_saved(page, "The timetable has been saved.")
    expect(task_status(page, "timetable")).to_have_text("Completed")
    expect(page.locator(".timetable-warning")).to_have_count(0)  # 28 days, and no bank holiday
    saved = tender()
    assert saved.submission_deadline == datetime(2026, 12, 21, 12, 0, tzinfo=UTC)
    assert saved.clarification_deadline == datetime(2026, 12, 7, 17, 0, tzinfo=UTC)

    # The evaluation method.
    open_task(page, "Evaluation method")
    expect(page.get_by_role("heading", level=1)).to_have_text("Evaluation method")
    page.get_by_label("Quality", exact=True).fill("60")
    page.get_by_label("Price", exact=True).fill("40")
    page.get_by_label("Minimum quality score", exact=True).fill("50")
    assert_accessible(page)
    page.get_by_role("button", name="Save and continue").click()
    expect_saved(page, "The evaluation method has been saved.")

    # The questionnaire: a pass or fail section, and quality questions weighted to 100% for every lot.
    open_task(page, "Questionnaire and weights")
    expect(page.get_by_role("heading", level=1)).to_have_text("Questionnaire")
    add_section(page, "Selection", "Pass or fail")
    add_question(page, "Selection", "Do you hold employers' liability insurance of at least \u00a35m?")
    add_section(page, "Quality", "Scored quality")
    add_question(page, "Quality", "How will you reach families who do not ask for help?", weight="60")
    weights = page.locator("#weight-totals")
    expect(weights.get_by_role("row").filter(has_text="Lot 1")).to_contain_text("60%")
    expect(weights).to_contain_text("Must total 100%")
    assert_accessible(page)
    page.get_by_role("link", name="Add a question to Quality", exact=True).click()
    expect(page.get_by_text("Weights now: lot 1 60%, lot 2 60%.")).to_be_visible()
    assert_accessible(page)
    page.go_back()
    add_question(page, "Quality", "How will you keep children safe?", weight="40")
    expect(weights.get_by_role("row").filter(has_text="Lot 1: Mid Kent")).to_contain_text("100%")
    expect(weights.get_by_role("row").filter(has_text="Lot 2: East Kent")).to_contain_text("100%")
    expect(weights).not_to_contain_text("Must total 100%")
    assert_accessible(page)
    page.get_by_role("link", name="Return to the tender").click()
    expect(checklist(page)).not_to_contain_text("quality question")
    expect(task_status(page, "questionnaire")).to_have_text("Completed")

    # A document.
    open_task(page, "Documents")
    expect(page.get_by_role("heading", level=1)).to_have_text("Documents")
    expect(page.get_by_text("No documents yet.")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Specification", exact=True).check()
    page.get_by_label("Document title", exact=True).fill("Service specification")
    page.get_by_label("Upload a file", exact=True).set_input_files(str(specification))
    page.get_by_role("button", name="Upload document").click()
    expect_saved(page, "\u201cService specification\u201d has been uploaded.")
    document_row = page.get_by_role("row").filter(has_text="Service specification")
    expect(document_row).to_contain_text("specification.pdf (PDF, 1KB)")
    assert_accessible(page)
    page.get_by_role("link", name="Return to the tender").click()
    # A framework is not published without its Equality Impact Assessment: the checklist says so.
    expect(checklist(page)).to_contain_text("Upload the framework's Equality Impact Assessment")
    expect(task_status(page, "documents")).to_have_text("Incomplete")
    open_task(page, "Documents")
    page.get_by_label("Equality Impact Assessment", exact=True).check()
    page.get_by_label("Document title", exact=True).fill("Equality Impact Assessment")
    page.get_by_label("Upload a file", exact=True).set_input_files(str(specification))
    page.get_by_role("button", name="Upload document").click()
    expect_saved(page, "\u201cEquality Impact Assessment\u201d has been uploaded.")
    page.get_by_role("link", name="Return to the tender").click()
    expect(checklist(page)).not_to_contain_text("Equality Impact Assessment")
    expect(task_status(page, "documents")).to_have_text("Completed")

    # The conflicts of interest assessment.
    open_task(page, "Conflicts of interest assessment")
    expect(page.get_by_role("heading", level=1)).to_have_text("Conflicts of interest")
    assert_accessible(page)
    page.get_by_label("Conflicts of interest assessment", exact=True).fill(
        "The evaluation panel declared no links with likely bidders."
    )
    page.get_by_role("button", name="Save and continue").click()
    expect_saved(page, "The conflicts of interest assessment has been recorded.")

    # The authorising decision.
    open_task(page, "Authorising decision")
    expect(page.get_by_role("heading", level=1)).to_have_text("Authorising decision")
    assert_accessible(page)
    page.get_by_label("Decision", exact=True).select_option(
        label="26/00123: Recommissioning early help services (decided 1 October 2026)"
    )
    page.get_by_role("button", name="Save and continue").click()
    expect_saved(page, "The authorising decision has been linked.")

    # Nothing left to do: every section is done, and "Check and publish" can start.
    expect(page.locator("#task-count")).to_have_text("You have completed 9 of 9 sections.")
    expect(task_status(page, "check")).to_have_text("Not yet started")
    assert_accessible(page)

    # Publish, from the check page, which shows every part with its change link.
    open_task(page, "Check and publish")
    expect(page).to_have_url(f"{show_url}/check")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the tender before you publish it")
    timetable_card = page.locator(".govuk-summary-card").filter(
        has=page.get_by_role("heading", name="Timetable", exact=True)
    )
    expect(timetable_card).to_contain_text("21 December 2026")
    expect(page.get_by_role("link", name="Change the timetable")).to_be_visible()
    expect(page.get_by_role("heading", name="Lot 2: East Kent")).to_be_visible()
    expect(page.get_by_text("open for bids until 21 December 2026", exact=False)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Publish tender").click()
    expect(page).to_have_url(show_url)
    expect_saved(page, f"{REFERENCE} has been published. It is open for bids until")
    expect(page.locator(".govuk-tag").first).to_have_text("Open for bids")
    assert_accessible(page)
    published = tender()
    assert published.status is TenderStatus.PUBLISHED
    assert published.published_at == NOW

    # The provider whose alerts match was emailed; the one who chose another category was not.
    alert = mailbox.last_to(provider_user.email)
    assert alert["Subject"].strip() == f"New opportunity: {TITLE} ({REFERENCE})"
    assert "1. Mid Kent (Maidstone, Swale); 2. East Kent (Thanet)" in mailbox.body(alert)
    alert_link = mailbox.link_in_last(provider_user.email, "/opportunities/")
    assert mailbox.to(other_user.email) == []

    # --- The provider, in a browser of their own -----------------------------------------
    context = browser.new_context()
    try:
        provider_page = context.new_page()
        sign_in(provider_page, live_url, provider_user.email)
        provider_page.get_by_role("navigation", name="Menu").get_by_role("link", name="Opportunities").click()
        expect(provider_page).to_have_url(live_url + "/opportunities")
        expect(provider_page.locator("#result-count")).to_have_text("1 opportunity")
        assert_accessible(provider_page)

        # A filter it does not match hides it.
        filter_opportunities(provider_page, CATEGORY, "Dover")
        expect(provider_page).to_have_url(re.compile(r"/opportunities\?.*district="))
        expect(provider_page.locator("#result-count")).to_have_text("0 opportunities")
        expect(provider_page.get_by_text("No opportunities match these filters.")).to_be_visible()
        assert result_titles(provider_page) == []
        assert_accessible(provider_page)
        filter_opportunities(provider_page, "16+ Leaving Care", "Swale")
        expect(provider_page.locator("#result-count")).to_have_text("0 opportunities")

        # Its category and one of its lots' districts find it.
        filter_opportunities(provider_page, CATEGORY, "Swale")
        expect(provider_page).to_have_url(re.compile(rf"/opportunities\?.*category={category.id}.*district={swale.id}"))
        expect(provider_page.get_by_label("Category", exact=True)).to_have_value(str(category.id))
        expect(provider_page.get_by_label("District", exact=True)).to_have_value(str(swale.id))
        expect(provider_page.locator("#result-count")).to_have_text("1 opportunity")
        assert result_titles(provider_page) == [TITLE]
        result = provider_page.locator(".govuk-grid-column-two-thirds li").filter(has_text=TITLE)
        expect(result).to_contain_text(REFERENCE)
        expect(result).to_contain_text("Maidstone, Swale, Thanet")
        expect(result).to_contain_text("Face-to-face, Outreach, Virtual")
        assert_accessible(provider_page)

        provider_page.get_by_role("link", name=TITLE, exact=True).click()
        expect(provider_page).to_have_url(on_live_server(alert_link, live_url))
        expect(provider_page.get_by_role("heading", level=1)).to_have_text(TITLE)
        expect(provider_page.locator("#lots")).to_contain_text("Lot 1: Mid Kent")
        expect(provider_page.locator("#lots")).to_contain_text("Lot 2: East Kent")
        expect(provider_page.locator("#documents")).to_contain_text("Service specification")
        expect(provider_page.locator("#split")).to_contain_text("60% on quality")
        expect(provider_page.get_by_text("No answers have been published yet.")).to_be_visible()
        assert_accessible(provider_page)

        # Register interest.
        provider_page.get_by_role("button", name="Register interest").click()
        expect_saved(provider_page, "You have registered interest.")
        expect(provider_page.locator("#provider-actions")).to_contain_text("You have registered interest")
        assert_accessible(provider_page)
        db.rollback()
        assert db.scalar(select(Interest.organisation_id).where(Interest.tender_id == tender_id)) == provider.id

        # Ask a question: sent empty once, then properly.
        provider_page.get_by_role("link", name="Ask a question").click()
        expect(provider_page.get_by_role("heading", level=1)).to_have_text("Ask a clarification question")
        expect(provider_page.get_by_text("7 December 2026", exact=False).first).to_be_visible()
        assert_accessible(provider_page)
        provider_page.get_by_role("button", name="Send question").click()
        expect_error_page(provider_page)
        expect(
            provider_page.locator(".govuk-error-summary").get_by_role("link", name="Enter your question")
        ).to_be_visible()
        assert_accessible(provider_page)
        provider_page.get_by_label("Your question", exact=True).fill(QUESTION)
        provider_page.get_by_role("button", name="Send question").click()
        expect(provider_page.locator(".govuk-panel").get_by_role("heading", level=1)).to_have_text("Question sent")
        expect_no_error(provider_page)
        assert_accessible(provider_page)

        # --- The officer answers, publishing to everyone ------------------------------------
        page.goto(show_url)
        page.get_by_role("button", name="Clarification questions (some unanswered)").click()
        expect(page).to_have_url(f"{show_url}/questions")
        expect(page.get_by_role("heading", level=2, name="Question 1")).to_be_visible()
        expect(page.locator(".govuk-summary-list").first).to_contain_text(PROVIDER)  # officers see who asked
        expect(page.locator(".govuk-summary-list").first).to_contain_text(QUESTION)
        assert_accessible(page)
        page.get_by_role("button", name="Answer question 1").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Answer question 1")
        assert_accessible(page)
        page.get_by_role("button", name="Save and preview").click()  # empty first
        expect_error_page(page)
        expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the answer")
        assert_accessible(page)
        page.get_by_label("Answer", exact=True).fill("Yes.")
        page.get_by_role("group", name="Who should see the answer?").get_by_label(
            "Publish to everyone (the asker is not named)", exact=True
        ).check()
        wording = page.get_by_label("The question as it will be published", exact=True)
        expect(wording).to_have_value(QUESTION)  # the asker's words, until the officer rewords them
        wording.fill(PUBLISHED_QUESTION)
        page.get_by_role("button", name="Save and preview").click()
        expect(page).to_have_url(re.compile(rf"{show_url}/questions/\d+/preview$"))
        expect_saved(page, "Your answer has been saved. Check it, then send it.")
        preview = page.locator("#answer-preview")
        expect(preview).to_contain_text(PUBLISHED_QUESTION)
        expect(preview).not_to_contain_text(QUESTION)
        expect(preview).not_to_contain_text(PROVIDER)
        # Registered interest: the provider's one person.
        expect(page.locator("#audience")).to_contain_text("emailed to 1 person")
        assert_accessible(page)
        assert mailbox.to(provider_user.email)[-1]["Subject"].startswith("New opportunity")  # nothing sent yet

        # The answer is too short: change it, and check again.
        page.get_by_role("link", name="Change the answer").click()
        expect(page.get_by_label("Answer", exact=True)).to_have_value("Yes.")
        page.get_by_label("Answer", exact=True).fill(ANSWER)
        page.get_by_role("button", name="Save and preview").click()
        expect(page.locator("#answer-preview")).to_contain_text(ANSWER)
        page.get_by_role("button", name="Publish the answer to everyone").click()
        expect(page).to_have_url(re.compile(rf"{show_url}/questions#question-\d+$"))
        expect_saved(page, "The answer has been published to every interested provider, without naming the asker.")
        expect(page.locator(".govuk-summary-list").first).to_contain_text("published to everyone")
        expect(page.locator(".govuk-summary-list").first).to_contain_text(PUBLISHED_QUESTION)
        expect(page.get_by_role("button", name="Answer question 1")).to_have_count(0)
        assert_accessible(page)
        db.rollback()
        clarification = db.scalar(select(Clarification).where(Clarification.tender_id == tender_id))
        assert clarification.is_published and clarification.answered_at == NOW
        assert (clarification.question, clarification.published_question) == (QUESTION, PUBLISHED_QUESTION)

        # --- The provider sees the published answer, without the asker named ------------------
        provider_page.get_by_role("link", name="Back to the opportunity").click()
        provider_page.reload()
        published_section = provider_page.locator("#published-clarifications")
        expect(published_section).to_contain_text(PUBLISHED_QUESTION)
        expect(published_section).not_to_contain_text(QUESTION)
        expect(published_section).to_contain_text(ANSWER)
        expect(published_section).not_to_contain_text(PROVIDER)
        expect(published_section).not_to_contain_text(provider_user.full_name)
        own = provider_page.locator("#own-questions")
        expect(own).to_contain_text(QUESTION)  # the asker keeps their own wording
        expect(own).to_contain_text("published to every provider without saying who asked")
        assert_accessible(provider_page)
    finally:
        context.close()

    # Nor does anyone else's view of the page name the asker.
    public_context = browser.new_context()
    try:
        public_page = public_context.new_page()
        public_page.goto(f"{live_url}/opportunities/{REFERENCE}")
        expect(public_page.locator("#published-clarifications")).to_contain_text(ANSWER)
        assert PROVIDER not in public_page.content()
        assert_accessible(public_page)
    finally:
        public_context.close()

    # The answer's email went to the interested provider, quoting question and answer but not who asked.
    answered = mailbox.last_to(provider_user.email)
    assert answered["Subject"].strip() == f"A clarification has been published: {REFERENCE}"
    body = mailbox.body(answered)
    assert PUBLISHED_QUESTION in body and ANSWER in body and QUESTION not in body
    assert PROVIDER not in body and provider_user.full_name not in body
    assert (
        on_live_server(mailbox.link_in_last(provider_user.email, "/opportunities/"), live_url)
        == f"{live_url}/opportunities/{REFERENCE}"
    )
    assert [m["Subject"].strip() for m in mailbox.to(provider_user.email)] == [
        f"New opportunity: {TITLE} ({REFERENCE})",
        f"A clarification has been published: {REFERENCE}",
    ]
