"""In Chromium, with the server's clock fixed and moved on by hand: a provider
prepares a bid over two sessions, attaches a file, submits, receives the
receipt (on the page and by email over SMTP), changes an answer and submits
again; after the deadline the bid can no longer be changed, and two different
officers open the bids and read the second version with its file.

Every step of the provider's journey, from the opportunity page to the second
submission, is made with the keyboard alone: ``tab_to`` presses Tab until the
control has the focus (failing after 80 presses) and checks that the focused
control is on screen with GOV.UK's yellow focus indicator, and Enter, Space and
typing operate it. axe-core checks every page visited, error states included.
"""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from portal.accounts.models import Role
from portal.bids.models import Bid, BidStatus, Submission
from portal.tenders import services as tender_services
from portal.tenders.models import QuestionKind, Tender, TenderStatus
from tests.browser.conftest import assert_accessible
from tests.browser.test_registration_journey import expect_error_page, expect_no_error, on_live_server
from tests.conftest import PASSWORD
from tests.tenders.conftest import (
    NOW,
    commit_and_send,
    make_category,  # noqa: F401 (fixtures)
)

REFERENCE = "KCC-EH-2027"
TITLE = "Early help for families"
PROVIDER = "Swale Youth Trust"
PROVIDER_EMAIL = "jo@swale-youth.example.org"
DEADLINE = NOW + timedelta(days=3)  # Thursday 26 November 2026, midday in London (GMT)
SESSION_2 = NOW + timedelta(days=1, hours=3, minutes=25, seconds=41)  # Tuesday, 15:25:41
RESUBMITTED = NOW + timedelta(days=2, hours=-1, minutes=2, seconds=9)  # Wednesday, 11:02:09
AFTER_DEADLINE = DEADLINE + timedelta(minutes=1)
OPENING = DEADLINE + timedelta(hours=2)

SELECTION = "Do you hold employers' liability insurance of at least £5m?"
FIRST = "How will you reach families who do not ask for help?"
SECOND = "How will you safeguard children?"
# The short titles (tests/tenders/questionnaire.py): task names and question headings. The selection
# question has none, and is short enough to be named whole.
FIRST_TITLE, SECOND_TITLE = "Reaching families", "Safeguarding"
ANSWER_BOX = "Your answer"
FIRST_LIMIT, SECOND_LIMIT = 20, 30
FIRST_ANSWER = "We visit schools, GP surgeries and food banks every week."  # 10 words
FIRST_ANSWER_V2 = "We visit schools, GP surgeries, food banks and family hubs every week."  # 12 words
TOO_LONG = (
    "Every member of staff and every volunteer has an enhanced DBS check before they start. All of them "
    "complete safeguarding training in their first month, and refresh it every year with our lead, who "
    "reviews every concern within a day."
)  # 40 words
SECOND_ANSWER = "Every member of staff is DBS checked and trained, and our safeguarding lead reviews every concern."
FILE_TITLE = "Outreach plan"
LOT_1 = "Lot 1: Mid Kent"

# GOV.UK Frontend's focus colour, as computed styles give it.
FOCUS_YELLOW = "rgb(255, 221, 0)"

SHOWS_FOCUS = """(el, yellow) => {
    const shows = (s) => s.backgroundColor === yellow || s.boxShadow.includes(yellow)
        || (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0 && s.outlineColor === yellow)
        || (s.borderTopStyle !== "none" && s.borderTopColor === yellow);
    if (shows(getComputedStyle(el))) return true;
    // GOV.UK radios and checkboxes hide the native input: the focus ring is drawn on the label's ::before.
    if (el.matches(".govuk-radios__input, .govuk-checkboxes__input")) {
        const label = el.labels && el.labels[0];
        return Boolean(label) && shows(getComputedStyle(label, "::before"));
    }
    return false;
}"""

DESCRIBE_FOCUS = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return "<body>";
    const text = (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().slice(0, 60);
    return `<${el.tagName.toLowerCase()}${el.id ? " id=" + el.id : ""}${el.type ? " type=" + el.type : ""}> ${text}`;
}"""


def small_pdf() -> bytes:
    """A valid one-page PDF with a cross-reference table."""
    text = b"BT /F1 18 Tf 72 770 Td (Outreach plan: Swale Youth Trust) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>"
        ),
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


# --- The keyboard -----------------------------------------------------------------------------


def tab_to(page: Page, target: Locator, key: str = "Tab", limit: int = 80) -> Locator:
    """Press Tab (or Shift+Tab) until ``target`` is document.activeElement.

    ``target`` is the predicate: a locator by role and accessible name (or
    label), which must match exactly one element. Reaching it proves the
    control is in the tab order; once there, it must be visible, on screen and
    show GOV.UK's focus indicator.
    """
    element = target.element_handle()
    for _ in range(limit):
        page.keyboard.press(key)
        if element.evaluate("el => el === document.activeElement"):
            break
    else:
        raise AssertionError(
            f"{target} not reached after {limit} presses of {key}; the focus is on {page.evaluate(DESCRIBE_FOCUS)}"
        )
    expect(target).to_be_focused()
    expect(target).to_be_visible()
    expect(target).to_be_in_viewport()
    assert element.evaluate(SHOWS_FOCUS, FOCUS_YELLOW), f"{target} has the focus but no visible focus indicator"
    return target


def press_to_navigate(page: Page, key: str = "Enter") -> None:
    """Operate the focused link or button and wait for the page it leads to."""
    with page.expect_navigation(wait_until="load"):
        page.keyboard.press(key)


def follow(page: Page, target: Locator, key: str = "Tab") -> None:
    tab_to(page, target, key)
    press_to_navigate(page)


def type_into(page: Page, field: Locator, text: str, replace: bool = False) -> None:
    tab_to(page, field)
    if replace:
        page.keyboard.press("ControlOrMeta+a")
        page.keyboard.press("Backspace")
    page.keyboard.type(text)
    expect(field).to_have_value(text)


def sign_in_by_keyboard(page: Page, live_url: str, email: str) -> None:
    page.goto(live_url + "/sign-in")
    type_into(page, page.get_by_label("Email address", exact=True), email)
    type_into(page, page.get_by_label("Password", exact=True), PASSWORD)
    follow(page, page.get_by_role("button", name="Sign in", exact=True))
    expect(page).to_have_url(live_url + "/dashboard")


def menu_link(page: Page, name: str) -> Locator:
    return page.get_by_role("navigation", name="Menu").get_by_role("link", name=name, exact=True)


def heading(page: Page) -> Locator:
    return page.get_by_role("heading", level=1)


def word_count(text: str) -> int:
    return len(text.split())


def summary_value(page: Page, key: str) -> Locator:
    row = page.locator(".govuk-summary-list__row").filter(
        has=page.locator(".govuk-summary-list__key", has_text=re.compile(rf"^\s*{re.escape(key)}\s*$"))
    )
    return row.locator(".govuk-summary-list__value")


# --- The journey --------------------------------------------------------------------------------


def test_provider_bids_over_two_sessions_by_keyboard_and_two_officers_open_the_bids(
    browser,
    live_url,
    mailbox,
    app,
    db,
    clock_at,
    tmp_path,
    make_district,
    make_organisation,
    make_user,
    make_tender,
):
    assert word_count(FIRST_ANSWER) == 10 and word_count(FIRST_ANSWER_V2) == 12
    assert word_count(TOO_LONG) == 40 and word_count(SECOND_ANSWER) <= SECOND_LIMIT
    maidstone, swale = make_district("Maidstone"), make_district("Swale")
    officer_1 = make_user(role=Role.OFFICER, email="amira@kent.example.gov.uk")
    officer_2 = make_user(role=Role.OFFICER, email="ben@kent.example.gov.uk")
    organisation = make_organisation(name=PROVIDER, charity_number="1098765", districts=[swale])
    provider = make_user(organisation=organisation, email=PROVIDER_EMAIL)

    # A published tender: two lots, a pass or fail question and two quality questions
    # with word limits, closing three days after the fixed clock.
    tender = make_tender(
        REFERENCE,
        title=TITLE,
        districts=[maidstone, swale],
        by=officer_1,
        clarification_deadline=NOW + timedelta(days=1),
        answers_by=NOW + timedelta(days=2),
        submission_deadline=DEADLINE,
    )
    for lot, title in zip(sorted(tender.lots, key=lambda lot: lot.number), ["Mid Kent", "East Kent"], strict=False):
        lot.title = title
        lot.pricing_instructions = f"Give your annual price for {title}, including all staff costs."
    questions = {q.text: q for q in tender.questions}
    questions[FIRST].word_limit, questions[FIRST].guidance = FIRST_LIMIT, "Describe your outreach."
    questions[SECOND].word_limit = SECOND_LIMIT
    with app.test_request_context():
        tender_services.publish(db, officer_1, tender, NOW)
        commit_and_send(db)
    assert tender.status is TenderStatus.PUBLISHED
    tender_id = tender.id
    selection_id = next(q.id for q in tender.questions if q.kind is QuestionKind.PASS_FAIL)
    pdf_path = tmp_path / "outreach-plan.pdf"
    pdf_path.write_bytes(small_pdf())

    def fresh(model, *where):
        db.rollback()  # a fresh transaction sees what the live server committed
        return db.scalars(select(model).where(*where)).all()

    # --- Session 1: the provider starts the bid ---------------------------------------------
    context_1 = browser.new_context()
    try:
        page = context_1.new_page()
        sign_in_by_keyboard(page, live_url, provider.email)
        assert_accessible(page)

        # From here to the submission, the keyboard alone.
        follow(page, menu_link(page, "Opportunities"))
        expect(page).to_have_url(live_url + "/opportunities")
        assert_accessible(page)
        follow(page, page.get_by_role("link", name=TITLE, exact=True))
        expect(page).to_have_url(f"{live_url}/opportunities/{REFERENCE}")
        expect(heading(page)).to_have_text(TITLE)
        assert_accessible(page)

        follow(page, page.get_by_role("button", name="Start a bid", exact=True))
        (bid,) = fresh(Bid, Bid.tender_id == tender_id)
        bid_url = f"{live_url}/bids/{bid.id}"
        expect(page).to_have_url(bid_url)
        expect(heading(page)).to_have_text(f"Your bid for {TITLE}")
        expect(page.locator("#deadline")).to_contain_text("Closes in 3 days")
        assert_accessible(page)

        # A lot.
        follow(page, page.get_by_role("link", name="Choose the lots you are bidding for", exact=True))
        expect(page).to_have_url(f"{bid_url}/lots")
        assert_accessible(page)
        lot_1 = page.get_by_role("checkbox", name=LOT_1, exact=True)
        tab_to(page, lot_1)
        page.keyboard.press("Space")
        expect(lot_1).to_be_checked()
        expect(page.get_by_role("checkbox", name="Lot 2: East Kent", exact=True)).not_to_be_checked()
        follow(page, page.get_by_role("button", name="Save and continue"))
        expect(page).to_have_url(bid_url)
        expect(page.get_by_text("Lot 1", exact=True)).to_be_visible()  # the task's hint

        # The pass or fail question.
        follow(page, page.get_by_role("link", name=SELECTION, exact=True))
        expect(page).to_have_url(f"{bid_url}/questions/{selection_id}")
        expect(page.get_by_role("group", name=SELECTION)).to_be_visible()
        assert_accessible(page)
        yes = page.get_by_role("radio", name="Yes", exact=True)
        tab_to(page, yes)
        page.keyboard.press("Space")
        expect(yes).to_be_checked()
        follow(page, page.get_by_role("button", name="Save and continue"))

        # Saving goes on to the next unanswered question: the first quality question.
        expect(page).to_have_url(f"{bid_url}/questions/{questions[FIRST].id}")
        expect(heading(page)).to_have_text(FIRST_TITLE)
        expect(page.locator("#question-text")).to_have_text(FIRST)  # the whole question, below its short title
        answer_box = page.get_by_role("textbox", name=ANSWER_BOX, exact=True)
        word_status = page.locator(".govuk-character-count__status")
        expect(word_status).to_have_text(f"You have {FIRST_LIMIT} words remaining")
        assert_accessible(page)
        type_into(page, answer_box, FIRST_ANSWER)
        # GOV.UK's character count updates as the words are typed, and tells screen readers once typing stops.
        expect(word_status).to_have_text("You have 10 words remaining")
        expect(page.locator(".govuk-character-count__sr-status")).to_have_text("You have 10 words remaining")
        assert_accessible(page)
        follow(page, page.get_by_role("button", name="Save and continue"))
        expect(page).to_have_url(f"{bid_url}/questions/{questions[SECOND].id}")
        assert_accessible(page)

        # Sign out, by keyboard too: session 1 ends.
        follow(page, page.get_by_role("button", name="Sign out", exact=True))
        expect(page).to_have_url(live_url + "/sign-in")
        expect(page.locator(".govuk-notification-banner--success")).to_contain_text("You have signed out.")
        assert_accessible(page)
    finally:
        context_1.close()

    # --- Session 2, the next day: finish, attach, submit, resubmit -------------------------------
    clock_at(SESSION_2)
    context_2 = browser.new_context()
    try:
        page = context_2.new_page()
        sign_in_by_keyboard(page, live_url, provider.email)

        follow(page, menu_link(page, "Your bids"))
        expect(page).to_have_url(live_url + "/bids")
        bid_row = page.get_by_role("row").filter(has_text=TITLE)
        expect(bid_row).to_contain_text("Closes in 2 days")
        assert_accessible(page)
        follow(page, page.get_by_role("link", name=TITLE, exact=True))
        expect(page).to_have_url(bid_url)
        expect(page.locator("#deadline")).to_contain_text(
            "Bids must be submitted by midday on 26 November 2026. We go by the time our system receives your bid."
        )
        assert_accessible(page)

        # The answer saved in session 1 is there, with how the question is scored.
        follow(page, page.get_by_role("link", name=FIRST_TITLE, exact=True))
        expect(page.get_by_role("textbox", name=ANSWER_BOX, exact=True)).to_have_value(FIRST_ANSWER)
        expect(page.locator("#last-saved")).to_contain_text(
            f"Last saved by {provider.full_name} at 23 November 2026 at 12:00:00"
        )
        expect(page.locator(".govuk-character-count__status")).to_have_text("You have 10 words remaining")
        expect(page.locator("#question-weight")).not_to_be_visible()
        tab_to(page, page.locator("#scoring summary"))
        page.keyboard.press("Enter")
        expect(page.locator("#question-weight")).to_contain_text("This question carries 60% of the quality marks")
        expect(page.locator("#scoring-guide")).to_contain_text("Excellent")
        assert_accessible(page)
        # "Save and come back later" keeps the text and shows the task as in progress.
        follow(page, page.get_by_role("button", name="Save and come back later", exact=True))
        expect(page).to_have_url(bid_url)
        expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
            "Your answer has been saved. You can come back to this bid until midday on 26 November 2026."
        )
        expect(page.locator(".govuk-task-list__item").filter(has_text=FIRST_TITLE)).to_contain_text("In progress")
        # "Check and submit" is not offered until the bid can be submitted.
        submit_task = page.locator(".govuk-task-list__item").filter(has_text="Check and submit your bid")
        expect(submit_task).to_contain_text("Cannot start yet")
        expect(submit_task.get_by_role("link")).to_have_count(0)
        assert_accessible(page)

        # The check page, reached by its address, lists what is missing, each a link to its task.
        page.goto(f"{bid_url}/submit")
        missing = page.locator("#missing")
        expect(missing.get_by_role("listitem")).to_have_text(
            [
                f"Finish your answer to \u201c{FIRST_TITLE}\u201d",
                f"Answer the quality question \u201c{SECOND_TITLE}\u201d",
                "Give a price for lot 1, Mid Kent",
                "Confirm the declarations",
            ]
        )
        expect(page.get_by_role("button", name="Submit bid")).to_have_count(0)
        assert_accessible(page)
        assert fresh(Submission, Submission.bid_id == bid.id) == []
        follow(page, missing.get_by_role("link", name=f"Finish your answer to \u201c{FIRST_TITLE}\u201d"))
        expect(page).to_have_url(f"{bid_url}/questions/{questions[FIRST].id}")
        follow(page, page.get_by_role("button", name="Save and continue"))

        # On to the second quality question: over its word limit first.
        expect(page).to_have_url(f"{bid_url}/questions/{questions[SECOND].id}")
        answer_box = page.get_by_role("textbox", name=ANSWER_BOX, exact=True)
        type_into(page, answer_box, TOO_LONG)
        expect(page.locator(".govuk-character-count__status")).to_have_text("You have 10 words too many")
        assert_accessible(page)
        follow(page, page.get_by_role("button", name="Save and continue"))
        expect_error_page(page)
        error_link = page.locator(".govuk-error-summary").get_by_role(
            "link", name=f"Your answer is 40 words: it must be {SECOND_LIMIT} words or fewer"
        )
        expect(page.locator("#answer-error")).to_contain_text("it must be 30 words or fewer")
        expect(answer_box).to_have_value(TOO_LONG)  # nothing typed is lost
        assert_accessible(page)
        # The error summary's link takes the focus to the box.
        tab_to(page, error_link)
        page.keyboard.press("Enter")
        expect(answer_box).to_be_focused()
        page.keyboard.press("ControlOrMeta+a")
        page.keyboard.type(SECOND_ANSWER)
        expect(answer_box).to_have_value(SECOND_ANSWER)
        expect(page.locator(".govuk-character-count__status")).to_have_text(
            f"You have {SECOND_LIMIT - word_count(SECOND_ANSWER)} words remaining"
        )
        follow(page, page.get_by_role("button", name="Save and continue"))
        expect(page).to_have_url(bid_url)  # every question answered: back to the task list
        expect_no_error(page)

        # Prices.
        follow(page, page.get_by_role("link", name="Price schedule", exact=True))
        expect(page).to_have_url(f"{bid_url}/prices")
        assert_accessible(page)
        type_into(page, page.get_by_label("Price for lot 1, Mid Kent (£)", exact=True), "125000")
        follow(page, page.get_by_role("button", name="Save and continue"))
        expect(page).to_have_url(bid_url)

        # A supporting document.
        follow(page, page.get_by_role("link", name="Supporting documents", exact=True))
        expect(page).to_have_url(f"{bid_url}/files")
        expect(page.get_by_text("No files have been uploaded to this bid.")).to_be_visible()
        assert_accessible(page)
        type_into(page, page.get_by_label("Title", exact=True), FILE_TITLE)
        tab_to(page, page.get_by_label("Upload a file", exact=True))
        # The file input is reached, and has the focus, by keyboard; but Playwright cannot type
        # into the operating system's file chooser, so the file is set on the focused input.
        page.locator(":focus").set_input_files(str(pdf_path))
        follow(page, page.get_by_role("button", name="Upload file", exact=True))
        expect(page).to_have_url(f"{bid_url}/files")
        expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
            f"\u201c{FILE_TITLE}\u201d has been uploaded."
        )
        expect(page.locator("#attachments")).to_contain_text("outreach-plan.pdf (PDF)")
        assert_accessible(page)
        follow(page, page.get_by_role("link", name="Return to your bid", exact=True))
        expect(page).to_have_url(bid_url)

        # The declarations.
        follow(page, page.get_by_role("link", name="Confirm the declarations", exact=True))
        expect(page).to_have_url(f"{bid_url}/declarations")
        assert_accessible(page)
        confirm = page.get_by_role("checkbox", name="I confirm these declarations on behalf of my organisation")
        tab_to(page, confirm)
        page.keyboard.press("Space")
        expect(confirm).to_be_checked()
        follow(page, page.get_by_role("button", name="Save and continue"))
        expect(page).to_have_url(bid_url)
        expect(page.get_by_text("Ready to submit", exact=True)).to_be_visible()
        assert_accessible(page)

        # Check and submit.
        follow(page, page.get_by_role("link", name="Check and submit your bid", exact=True))
        expect(page.locator("#missing")).to_have_count(0)
        expect(page.get_by_text(FIRST_ANSWER)).to_be_visible()
        expect(page.get_by_text(SECOND_ANSWER)).to_be_visible()
        expect(page.get_by_text("£125,000")).to_be_visible()
        expect(page.get_by_text(f"{FILE_TITLE} (outreach-plan.pdf,")).to_be_visible()
        assert_accessible(page)
        follow(page, page.get_by_role("button", name="Submit bid", exact=True))

        # The receipt: reference, the time to the second and the SHA-256.
        (first,) = fresh(Submission, Submission.bid_id == bid.id)
        reference_1 = f"{REFERENCE}-{organisation.id:04d}-1"
        assert first.receipt_reference == reference_1 and re.fullmatch(r"[0-9a-f]{64}", first.sha256)
        expect(page).to_have_url(f"{bid_url}/receipts/1")
        expect(page.locator(".govuk-panel")).to_contain_text("Bid submitted")
        expect(page.locator("#receipt-reference")).to_have_text(reference_1)
        expect(summary_value(page, "Received at")).to_have_text(
            "24 November 2026 at 15:25:41 (UK time, when our system received it)"
        )
        expect(summary_value(page, "Version")).to_have_text("1")
        expect(page.locator("#sha256")).not_to_be_visible()  # under "Technical details"
        tab_to(page, page.locator("#technical-details summary"))
        page.keyboard.press("Enter")
        expect(page.locator("#sha256")).to_have_text(first.sha256)
        expect(page.locator("#what-happens-next")).to_be_visible()
        expect(page.get_by_text("This is the version that counts.")).to_be_visible()
        expect(page.locator("#other-versions")).to_have_count(0)
        assert_accessible(page)

        # The same receipt by email.
        receipt_email = mailbox.last_to(PROVIDER_EMAIL)
        assert receipt_email["Subject"].strip() == f"Bid received: {reference_1} \u2013 {TITLE}"
        body = mailbox.body(receipt_email)
        assert f"Receipt reference: {reference_1}" in body
        assert f"SHA-256 of the bid and its files: {first.sha256}" in body
        assert "Received at: 24 November 2026 at 15:25:41" in body
        assert on_live_server(mailbox.link_in_last(PROVIDER_EMAIL, "/receipts/"), live_url) == f"{bid_url}/receipts/1"

        # The next day: change an answer and submit again.
        clock_at(RESUBMITTED)
        follow(page, page.get_by_role("link", name="Back to your bid"), key="Shift+Tab")
        expect(page).to_have_url(bid_url)
        expect(page.locator("#current-receipt")).to_contain_text(reference_1)
        follow(page, page.get_by_role("link", name=FIRST_TITLE, exact=True))
        type_into(page, page.get_by_role("textbox", name=ANSWER_BOX, exact=True), FIRST_ANSWER_V2, replace=True)
        expect(page.locator(".govuk-character-count__status")).to_have_text("You have 8 words remaining")
        follow(page, page.get_by_role("button", name="Save and continue"))
        expect(page).to_have_url(bid_url)
        expect(page.get_by_text("Changes not yet submitted").first).to_be_visible()
        expect(page.locator("#current-receipt")).to_contain_text(
            "The council will see version 1 unless you submit again before the deadline."
        )
        assert_accessible(page)
        follow(page, page.get_by_role("link", name="Check and submit your bid", exact=True))
        expect(page.get_by_text(FIRST_ANSWER_V2)).to_be_visible()
        follow(page, page.get_by_role("button", name="Submit bid", exact=True))

        first, second = sorted(fresh(Submission, Submission.bid_id == bid.id), key=lambda s: s.version)
        reference_2 = f"{REFERENCE}-{organisation.id:04d}-2"
        assert second.receipt_reference == reference_2 and second.sha256 != first.sha256
        expect(page).to_have_url(f"{bid_url}/receipts/2")
        expect(page.locator("#receipt-reference")).to_have_text(reference_2)
        expect(summary_value(page, "Version")).to_have_text("2")
        expect(summary_value(page, "Received at")).to_have_text(
            "25 November 2026 at 11:02:09 (UK time, when our system received it)"
        )
        expect(page.locator("#sha256")).to_have_text(second.sha256)
        other_versions = page.locator("#other-versions")
        expect(other_versions.get_by_role("listitem")).to_have_text(
            [f"Version 1, {reference_1}, received at 24 November 2026 at 15:25:41"]
        )
        assert_accessible(page)
        email_2 = mailbox.last_to(PROVIDER_EMAIL)
        assert email_2["Subject"].strip() == f"Bid received: {reference_2} \u2013 {TITLE}"
        assert second.sha256 in mailbox.body(email_2)
        assert len(mailbox.to(PROVIDER_EMAIL)) == 2

        # Version 1's receipt is kept, and lists version 2.
        follow(page, other_versions.get_by_role("link", name="Version 1"))
        expect(page).to_have_url(f"{bid_url}/receipts/1")
        expect(page.locator("#receipt-reference")).to_have_text(reference_1)
        expect(page.get_by_text("A newer version has been submitted.")).to_be_visible()
        expect(page.locator("#other-versions").get_by_role("link", name="Version 2")).to_be_visible()
        assert_accessible(page)

        # Typing into the second answer as the deadline passes: the late save is refused, and
        # what was typed is shown to copy.
        follow(page, page.get_by_role("link", name="Back to your bid"), key="Shift+Tab")
        follow(page, page.get_by_role("link", name=SECOND_TITLE, exact=True))
        answer_box = page.get_by_role("textbox", name=ANSWER_BOX, exact=True)
        tab_to(page, answer_box)
        page.keyboard.press("ControlOrMeta+End")
        page.keyboard.type(" Late words.")
        clock_at(AFTER_DEADLINE)
        follow(page, page.get_by_role("button", name="Save and continue"))
        expect(heading(page)).to_have_text("The deadline has passed")
        expect(page.locator("#deadline-message")).to_contain_text(
            "The deadline for bids was 26 November 2026 at midday. The server's time is now "
            "26 November 2026 at 12:01:00"
        )
        expect(page.locator("#kept-text")).to_contain_text(f"{SECOND_ANSWER} Late words.")
        assert_accessible(page)

        # After the deadline the bid's pages say so, and offer nothing to change.
        closed = (
            "The deadline has passed or this opportunity is no longer open for bids: this bid can no "
            "longer be changed, submitted or withdrawn."
        )
        follow(page, page.get_by_role("link", name="Go to your bid", exact=True))
        expect(page).to_have_url(bid_url)
        expect(page.locator(".govuk-warning-text")).to_contain_text(closed)
        expect(page.locator("#deadline")).to_have_text("Bids had to be submitted by midday on 26 November 2026.")
        expect(page.get_by_text("Submitted (version 2)").first).to_be_visible()
        # The bid is shown read-only: no task list, no "Change" links, no buttons.
        expect(page.get_by_text(SECOND_ANSWER, exact=True)).to_be_visible()
        expect(page.locator(".govuk-task-list")).to_have_count(0)
        expect(page.get_by_role("link", name=re.compile("^Change"))).to_have_count(0)
        expect(page.get_by_role("main").get_by_role("button")).to_have_count(0)
        assert_accessible(page)
        page.goto(f"{bid_url}/questions/{questions[SECOND].id}")
        expect(page.locator(".govuk-warning-text")).to_contain_text(closed)
        expect(page.get_by_text(SECOND_ANSWER, exact=True)).to_be_visible()  # as saved, without the late words
        expect(page.get_by_role("textbox")).to_have_count(0)
        expect(page.get_by_role("button", name="Save and continue")).to_have_count(0)
        assert_accessible(page)
        page.goto(f"{bid_url}/submit")
        expect(page.locator(".govuk-warning-text")).to_contain_text(closed)
        expect(page.get_by_role("button", name="Submit bid")).to_have_count(0)
        expect(page.get_by_role("link", name=re.compile("^Change"))).to_have_count(0)
        assert_accessible(page)
    finally:
        context_2.close()
    (saved,) = fresh(Bid, Bid.id == bid.id)
    assert saved.status is BidStatus.SUBMITTED
    assert {a.question_id: a.text for a in saved.answers}[questions[SECOND].id] == SECOND_ANSWER

    # --- After the deadline: two officers open the bids --------------------------------------------
    clock_at(OPENING)
    bids_url = f"{live_url}/tenders/{tender_id}/bids"
    context_3 = browser.new_context()
    try:
        page = context_3.new_page()
        sign_in_by_keyboard(page, live_url, officer_1.email)
        page.goto(f"{live_url}/tenders/{tender_id}")
        expect(heading(page)).to_have_text(TITLE)
        assert_accessible(page)
        follow(page, page.get_by_role("button", name="Bids", exact=True))
        expect(page).to_have_url(bids_url)
        # Sealed: counts only.
        expect(page.locator("#submitted-count")).to_have_text("1 bid submitted.")
        per_lot = page.get_by_role("table").filter(has_text="Bids for each lot")
        expect(per_lot.get_by_role("row").filter(has_text=LOT_1).get_by_role("cell").last).to_have_text("1")
        expect(per_lot.get_by_role("row").filter(has_text="Lot 2: East Kent").get_by_role("cell").last).to_have_text(
            "0"
        )
        expect(page.locator("#confirmations")).to_have_text("0 of 2 officers have confirmed.")
        content = page.content()
        assert PROVIDER not in content and FIRST_ANSWER_V2 not in content and FILE_TITLE not in content
        assert_accessible(page)

        follow(page, page.get_by_role("button", name="Confirm opening", exact=True))
        expect(page).to_have_url(bids_url)
        expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
            "You have confirmed the opening. A different procurement officer must also confirm before the bids "
            "can be read."
        )
        expect(page.locator("#confirmations")).to_have_text("1 of 2 officers has confirmed.")
        expect(
            page.get_by_text("You have confirmed. A different procurement officer must confirm to open the bids.")
        ).to_be_visible()
        # The same officer cannot confirm again: no button, and a forged request is refused.
        expect(page.get_by_role("button", name="Confirm opening")).to_have_count(0)
        assert PROVIDER not in page.content()
        assert_accessible(page)
        token = page.locator("input[name=csrf_token]").first.get_attribute("value")
        again = page.request.post(
            f"{bids_url}/open", form={"csrf_token": token}, headers={"Referer": bids_url}, max_redirects=0
        )
        assert again.status == 400, again.status
        assert "You have already confirmed" in again.text()
        assert fresh(Tender, Tender.id == tender_id)[0].status is TenderStatus.CLOSED
    finally:
        context_3.close()

    context_4 = browser.new_context()
    try:
        page = context_4.new_page()
        sign_in_by_keyboard(page, live_url, officer_2.email)
        page.goto(bids_url)
        expect(page.locator("#confirmations")).to_have_text("1 of 2 officers has confirmed.")
        expect(page.get_by_text(officer_1.full_name)).to_be_visible()
        assert_accessible(page)
        follow(page, page.get_by_role("button", name="Confirm opening", exact=True))
        expect(page).to_have_url(bids_url)
        expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
            "The bids are open. You can now read them."
        )
        row = page.get_by_role("row").filter(has_text=PROVIDER)
        cells = row.get_by_role("cell")
        expect(cells.nth(2)).to_have_text("2")
        expect(cells.nth(3)).to_have_text(reference_2)
        expect(cells.nth(5)).to_have_text("Lot 1: £125,000")
        assert_accessible(page)

        follow(page, row.get_by_role("link", name=PROVIDER, exact=True))
        expect(page).to_have_url(f"{bids_url}/{bid.id}")
        expect(heading(page)).to_have_text(PROVIDER)
        expect(summary_value(page, "Version")).to_have_text("2")
        expect(summary_value(page, "Receipt reference")).to_have_text(reference_2)
        expect(summary_value(page, "SHA-256 of the submission")).to_have_text(second.sha256)
        expect(page.get_by_text(FIRST_ANSWER_V2, exact=True)).to_be_visible()
        expect(page.get_by_text(FIRST_ANSWER, exact=True)).to_have_count(0)
        expect(page.get_by_text(SECOND_ANSWER, exact=True)).to_be_visible()
        attachment = page.get_by_role("link", name=FILE_TITLE, exact=True)
        expect(attachment).to_be_visible()
        expect(page.get_by_text("(outreach-plan.pdf, SHA-256")).to_be_visible()
        assert_accessible(page)
        download = page.request.get(live_url + attachment.get_attribute("href"))
        assert download.status == 200
        assert download.body() == small_pdf()
    finally:
        context_4.close()
    assert fresh(Tender, Tender.id == tender_id)[0].status is TenderStatus.EVALUATION
