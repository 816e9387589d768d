"""In Chromium: an officer imports the register (a bad file first, then a good
one), reads the register, the dashboard and the notices page, and sends the
notices that are due; the provider signs in, sees the notice unread, reads it,
and the officer sees that it was read. The invitation to the new provider and
the notice to the registered one arrive over SMTP. axe-core checks every page,
the import's error state included."""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime

from playwright.sync_api import expect
from sqlalchemy import func, select

from portal.accounts.models import Role
from portal.agreements.models import Agreement, EndingNotice
from portal.agreements.services import install_defaults
from portal.providers.models import Organisation
from tests.browser.conftest import assert_accessible
from tests.browser.test_registration_journey import expect_error_page, expect_no_error, on_live_server
from tests.conftest import PASSWORD

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
HEADER = [
    "Reference",
    "Provider name",
    "Charity number",
    "Contact email",
    "Service name",
    "Category",
    "Districts",
    "Delivery modes",
    "Annual value",
    "Start date",
    "End date",
    "Spend 2025/26",
]
NEW_PROVIDER_EMAIL = "contracts@medway-carers.example.org"
ENDING_SOON = "KCC-EIP-001"  # the registered provider's, ends 31 March 2027: the 6-month notice is due
NEW_PROVIDERS = "KCC-DCS-002"  # a provider new to the portal, ends 30 September 2027
LATER = "KCC-LC-003"  # the registered provider's, ends in 2028
NOTICE_SUBJECT = f"Your agreement {ENDING_SOON} ends on 31 March 2027"


def write_csv(path, rows) -> str:
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return str(path)


def sign_in(page, live_url, email) -> None:
    page.goto(live_url + "/sign-in")
    page.get_by_label("Email address", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(live_url + "/dashboard")


def error_rows(page) -> list[tuple[str, str]]:
    """(row, column) of each problem in the import's error table."""
    table = page.get_by_role("table").filter(has=page.get_by_role("columnheader", name="Problem"))
    rows = table.locator("tbody tr")
    cells = [rows.nth(i).locator("td") for i in range(rows.count())]
    return [(row.nth(0).inner_text().strip(), row.nth(1).inner_text().strip()) for row in cells]


def register_references(page) -> list[str]:
    """The references listed in the register's table, in order."""
    table = page.get_by_role("table").filter(has=page.get_by_role("columnheader", name="Reference"))
    return [text.strip() for text in table.locator("tbody tr td:first-child a").all_inner_texts()]


def test_officer_imports_sends_notices_and_provider_reads_one(
    page, browser, live_url, mailbox, app, db, monkeypatch, tmp_path, make_district, make_organisation, make_user
):
    monkeypatch.setitem(app.config, "FIXED_NOW", NOW)
    maidstone, swale = make_district("Maidstone"), make_district("Swale")
    install_defaults(db)
    db.commit()
    provider = make_organisation(name="Swale Youth Trust", charity_number="1098765", districts=[maidstone, swale])
    provider_user = make_user(organisation=provider, email="jo@swale-youth.example.org")
    officer = make_user(role=Role.OFFICER, email="officer@kent.example.gov.uk")

    def count(model) -> int:
        db.rollback()  # a fresh transaction sees what the live server committed
        return db.scalar(select(func.count()).select_from(model))

    organisations_before = count(Organisation)

    bad_file = write_csv(
        tmp_path / "bad-register.csv",
        [
            [
                "KCC-BAD-001",
                "Swale Youth Trust",
                "1098765",
                "",
                "Youth work",
                "Street Dance",
                "Swale",
                "Outreach",
                "12000",
                "01/04/2024",
                "31/03/2027",
                "",
            ],
            [
                "KCC-BAD-002",
                "Swale Youth Trust",
                "1098765",
                "",
                "Youth work",
                "16+ Leaving Care",
                "Swale",
                "Outreach",
                "12000",
                "01/04/2024",
                "31/03/2023",
                "",
            ],
        ],
    )
    good_file = write_csv(
        tmp_path / "register.csv",
        [
            [
                ENDING_SOON,
                "Swale Youth Trust",
                "1098765",
                "",
                "Early help for young people",
                "Early Intervention & Prevention",
                "Maidstone; Swale",
                "Face-to-face; Outreach",
                "£85,000",
                "01/04/2022",
                "31/03/2027",
                "85000",
            ],
            [
                NEW_PROVIDERS,
                "Medway Valley Young Carers",
                "1187654",
                NEW_PROVIDER_EMAIL,
                "Short breaks",
                "Disabled Children's Services",
                "Maidstone",
                "Face-to-face",
                "40000",
                "2023-10-01",
                "2027-09-30",
                "",
            ],
            [
                LATER,
                "Swale Youth Trust",
                "1098765",
                "",
                "Supported lodgings",
                "16+ Leaving Care",
                "Swale",
                "Virtual",
                "60000",
                "01/04/2024",
                "31/03/2028",
                "",
            ],
        ],
    )

    # The officer signs in and goes to Agreements > Import.
    sign_in(page, live_url, officer.email)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Agreements").click()
    expect(page).to_have_url(live_url + "/agreements")
    page.get_by_role("navigation", name="Agreements").get_by_role("link", name="Import").click()
    expect(page).to_have_url(live_url + "/agreements/import")
    expect(page.get_by_role("heading", level=1)).to_have_text("Import the register")
    expect_no_error(page)
    assert_accessible(page)

    # A bad file: every problem listed by row and column, nothing imported.
    page.get_by_label("Upload the register", exact=True).set_input_files(bad_file)
    page.get_by_role("button", name="Check and import").click()
    expect_error_page(page)
    expect(page.locator(".govuk-error-summary")).to_contain_text("The file has 2 problems. Nothing has been imported")
    problems = page.get_by_role("table").filter(has_text="Problem")
    expect(problems).to_contain_text("Unknown category \u201cStreet Dance\u201d")
    expect(problems).to_contain_text("End date must be on or after the start date")
    assert error_rows(page) == [("2", "category"), ("3", "end date")]
    assert count(Agreement) == 0
    assert count(Organisation) == organisations_before
    assert_accessible(page)

    # The good file.
    page.get_by_label("Upload the register", exact=True).set_input_files(good_file)
    page.get_by_role("button", name="Check and import").click()
    panel = page.locator(".govuk-panel")
    expect(panel.get_by_role("heading", level=1)).to_have_text("Register imported")
    expect(panel).to_contain_text("3 new, 0 updated, 0 unchanged")
    expect(page.get_by_text("1 provider new to the portal was recorded, and 1 invitation")).to_be_visible()
    expect_no_error(page)
    assert count(Agreement) == 3
    assert count(Organisation) == organisations_before + 1
    assert_accessible(page)

    # The new provider was invited over SMTP, with a link to claim its record.
    invitation = mailbox.last_to(NEW_PROVIDER_EMAIL)
    # A subject longer than a header line is folded; unfolded, it keeps the fold's space.
    assert invitation["Subject"].strip() == "Register for the Kent County Council commissioning and tendering portal"
    assert "Medway Valley Young Carers" in mailbox.body(invitation)
    assert "/register?claim=" in mailbox.link_in_last(NEW_PROVIDER_EMAIL, "/register")

    # The register: everything, soonest ending first.
    page.get_by_role("link", name="Go to the register").click()
    expect(page).to_have_url(live_url + "/agreements")
    expect(page.get_by_text("3 agreements.", exact=True)).to_be_visible()
    assert register_references(page) == [ENDING_SOON, NEW_PROVIDERS, LATER]
    new_row = page.get_by_role("row").filter(has_text=NEW_PROVIDERS)
    expect(new_row).to_contain_text("Medway Valley Young Carers (not registered)")
    expect(page.get_by_role("row").filter(has_text=ENDING_SOON).get_by_role("cell").last).to_have_text("Ending soon")
    expect(page.get_by_role("row").filter(has_text=LATER).get_by_role("cell").last).to_have_text("Active")
    assert_accessible(page)

    # Filtered to the agreements ending soon.
    page.get_by_label("Status", exact=True).select_option(label="Ending soon")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"/agreements\?.*status=ENDING_SOON"))
    expect(page.get_by_label("Status", exact=True)).to_have_value("ENDING_SOON")
    expect(page.get_by_text("1 agreement.", exact=True)).to_be_visible()
    assert register_references(page) == [ENDING_SOON]
    assert_accessible(page)

    # The transition dashboard: three waves, no notice sent yet.
    page.get_by_role("navigation", name="Agreements").get_by_role("link", name="Transition dashboard").click()
    expect(page).to_have_url(live_url + "/agreements/dashboard")
    waves = page.get_by_role("table").filter(has_text="Ending on")
    first_wave = waves.get_by_role("row").filter(has_text="31 March 2027")
    # Ending on, agreements, value, incumbents, notified, read a notice, registered
    expect(first_wave.get_by_role("cell").nth(1)).to_have_text("1")
    expect(first_wave.get_by_role("cell").nth(4)).to_have_text("0")
    expect(first_wave.get_by_role("cell").nth(6)).to_have_text("1")
    unreached = page.get_by_role("table").filter(has_text="Next agreement ends")
    expect(unreached.get_by_role("row").filter(has_text="Medway Valley Young Carers")).to_contain_text(
        NEW_PROVIDER_EMAIL
    )
    assert_accessible(page)

    # Ending notices: one is due; send it.
    page.get_by_role("navigation", name="Agreements").get_by_role("link", name="Ending notices").click()
    expect(page).to_have_url(live_url + "/agreements/notices")
    expect(page.get_by_text("1 notice is due now.", exact=False)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Send due notices now").click()
    expect(page).to_have_url(live_url + "/agreements/notices")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("1 notice sent.")
    expect(page.get_by_text("0 notices are due now.", exact=False)).to_be_visible()
    assert_accessible(page)
    assert count(EndingNotice) == 1

    # The notice went to the provider's person over SMTP, with a link to it in the portal.
    notice_email = mailbox.last_to(provider_user.email)
    assert notice_email["Subject"].strip() == NOTICE_SUBJECT
    assert "about 6 months from now" in mailbox.body(notice_email)
    notice_link = mailbox.link_in_last(provider_user.email, "/notices/")

    # The officer's page for the agreement: sent, emailed to one person, not yet read.
    page.goto(live_url + "/agreements")
    page.get_by_role("link", name=ENDING_SOON, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Early help for young people")
    sent_row = (
        page.get_by_role("table").filter(has_text="Emailed to").get_by_role("row").filter(has_text=NOTICE_SUBJECT)
    )
    expect(sent_row.get_by_role("cell").nth(2)).to_have_text("1 person")
    expect(sent_row.get_by_role("cell").nth(3)).to_have_text("Not yet")
    assert_accessible(page)

    # The provider, in a browser of their own.
    context = browser.new_context()
    try:
        provider_page = context.new_page()
        sign_in(provider_page, live_url, provider_user.email)
        expect(provider_page.get_by_role("heading", level=1)).to_have_text("Swale Youth Trust")
        notice_item = provider_page.locator(".portal-notices__item").filter(has_text=NOTICE_SUBJECT)
        expect(notice_item).to_have_count(1)
        expect(notice_item).to_contain_text("Unread")
        agreements = provider_page.get_by_role("table").filter(has_text="Time left")
        expect(agreements.get_by_role("row")).to_have_count(3)  # the header and its two agreements
        assert_accessible(provider_page)

        notice_item.get_by_role("link", name=NOTICE_SUBJECT).click()
        expect(provider_page).to_have_url(on_live_server(notice_link, live_url))
        expect(provider_page.get_by_role("heading", level=1)).to_have_text(NOTICE_SUBJECT)
        expect(provider_page.get_by_text("about 6 months from now", exact=False)).to_be_visible()
        expect(provider_page.locator(".govuk-summary-list")).to_contain_text(ENDING_SOON)
        assert_accessible(provider_page)

        provider_page.get_by_role("link", name="Back to your home page").click()
        expect(provider_page).to_have_url(live_url + "/dashboard")
        notice_item = provider_page.locator(".portal-notices__item").filter(has_text=NOTICE_SUBJECT)
        expect(notice_item).to_have_count(1)
        expect(notice_item).not_to_contain_text("Unread")
        assert_accessible(provider_page)
    finally:
        context.close()

    # The officer sees it was read.
    page.reload()
    sent_row = (
        page.get_by_role("table").filter(has_text="Emailed to").get_by_role("row").filter(has_text=NOTICE_SUBJECT)
    )
    expect(sent_row.get_by_role("cell").nth(3)).not_to_have_text("Not yet")
    expect(sent_row.get_by_role("cell").nth(3)).to_have_text(re.compile(r"\d{4}"))
    db.rollback()
    notice = db.scalar(select(EndingNotice))
    assert notice.read_by_id == provider_user.id
