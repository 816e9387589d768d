"""In Chromium: a provider registers, verifies from the email that arrived over
SMTP, signs in and invites a colleague, who accepts in a browser of their own.
axe-core checks every page the journey visits, error states included."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible

PASSWORD = "orbit-lantern-meadow-42"
COLLEAGUE_PASSWORD = "copper-thistle-harbour-97"
EMAIL = "jo@swale-youth.example.org"
COLLEAGUE = "sam@swale-youth.example.org"


BASE_URL = "http://127.0.0.1:5000"


def on_live_server(link: str, live_url: str) -> str:
    """An emailed link, pointed at the live server whatever origin it was built with:
    the request's host (url_for inside a request) or BASE_URL (outside one)."""
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}" in {live_url, BASE_URL}, link
    return live_url + parts.path + (f"?{parts.query}" if parts.query else "")


def watch_static_assets(page) -> list[tuple[int, str]]:
    """Every stylesheet, script and image the page loads from /static/, with its status."""
    seen = []
    page.on(
        "response",
        lambda response: seen.append((response.status, response.url)) if "/static/" in response.url else None,
    )
    return seen


def assert_assets_served(seen) -> None:
    assert seen, "no static assets were requested"
    failed = [(status, url) for status, url in seen if status not in (200, 304)]
    assert not failed, f"static assets not served: {failed}"


def expect_error_page(page) -> None:
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("alert")).to_contain_text("There is a problem")
    expect(page).to_have_title(re.compile(r"^Error: "))


def expect_no_error(page) -> None:
    expect(page.locator(".govuk-error-summary")).to_have_count(0)
    expect(page).not_to_have_title(re.compile(r"^Error: "))


def test_register_verify_sign_in_and_invite_a_colleague(page, browser, live_url, mailbox, make_district):
    make_district("Maidstone")
    make_district("Swale")
    assets = watch_static_assets(page)

    # Start page.
    page.goto(live_url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Commissioning and tendering portal")
    assert_accessible(page)

    # Registration form.
    page.get_by_role("button", name="Register your organisation").click()
    expect(page).to_have_url(live_url + "/register")
    expect(page.get_by_role("heading", level=1)).to_have_text("Register your organisation")
    expect_no_error(page)
    assert_accessible(page)

    # Sent empty: the error summary, an "Error: " title, and still accessible.
    page.get_by_role("button", name="Register organisation").click()
    expect_error_page(page)
    summary = page.locator(".govuk-error-summary")
    expect(summary.get_by_role("link", name="Enter your organisation's name")).to_be_visible()
    expect(summary.get_by_role("link", name="Select the districts your organisation serves")).to_be_visible()
    expect(summary.get_by_role("link", name="Enter a password")).to_be_visible()
    assert_accessible(page)

    # Filled in properly.
    page.get_by_label("Organisation name", exact=True).fill("Swale Youth Trust")
    page.get_by_label("Registered charity", exact=True).check()
    page.get_by_label("Charity number (if you have one)", exact=True).fill("1123456")
    page.get_by_label("Address line 1", exact=True).fill("2 Bank Street")
    page.get_by_label("Town or city", exact=True).fill("Sittingbourne")
    page.get_by_label("Postcode", exact=True).fill("ME10 4AA")
    page.get_by_label("Maidstone", exact=True).check()
    page.get_by_label("Swale", exact=True).check()
    page.get_by_label("Your full name", exact=True).fill("Jo Bloggs")
    page.get_by_label("Your email address", exact=True).fill("Jo@Swale-Youth.example.org")
    page.get_by_label("Create a password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Register organisation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    expect(page.get_by_text(EMAIL)).to_be_visible()
    expect_no_error(page)
    assert_accessible(page)

    # The confirmation link arrived over SMTP.
    verify_link = mailbox.link_in_last(EMAIL, "/verify-email/")
    page.goto(on_live_server(verify_link, live_url))
    expect(page).to_have_url(live_url + "/sign-in")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Your email address is confirmed")
    assert_accessible(page)

    # A wrong password once.
    page.get_by_label("Email address", exact=True).fill(EMAIL)
    page.get_by_label("Password", exact=True).fill("not-my-password-at-all")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect_error_page(page)
    expect(page).to_have_url(live_url + "/sign-in")
    assert_accessible(page)

    # Then properly: the provider's home page.
    page.get_by_label("Email address", exact=True).fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(live_url + "/dashboard")
    expect(page.get_by_role("heading", level=1)).to_have_text("Swale Youth Trust")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert_accessible(page)

    # Their organisation.
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Your organisation").click()
    expect(page).to_have_url(live_url + "/organisation")
    expect(page.get_by_role("heading", level=1)).to_have_text("Swale Youth Trust")
    expect(page.get_by_text("Maidstone, Swale")).to_be_visible()
    assert_accessible(page)

    # Invite a colleague: empty first.
    page.get_by_role("link", name="Invite a colleague").click()
    expect(page).to_have_url(live_url + "/organisation/colleagues/invite")
    expect_no_error(page)
    assert_accessible(page)
    page.get_by_role("button", name="Send invitation").click()
    expect_error_page(page)
    expect(page.locator(".govuk-error-summary").get_by_role("link", name="Enter their full name")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Full name", exact=True).fill("Sam Patel")
    page.get_by_label("Email address", exact=True).fill(COLLEAGUE)
    page.get_by_role("button", name="Send invitation").click()
    expect(page).to_have_url(live_url + "/organisation")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(f"Invitation sent to {COLLEAGUE}")
    colleague_row = page.get_by_role("row").filter(has_text=COLLEAGUE)
    expect(colleague_row).to_contain_text("Sam Patel")
    expect(colleague_row.get_by_role("cell").nth(2)).to_have_text("Invited")
    assert_accessible(page)

    # The invitation arrived over SMTP; the colleague opens it in a browser of their own.
    invitation = mailbox.last_to(COLLEAGUE)
    assert "Swale Youth Trust" in invitation["Subject"]
    invite_link = mailbox.link_in_last(COLLEAGUE, "/invitations/")
    context = browser.new_context()
    try:
        colleague = context.new_page()
        colleague_assets = watch_static_assets(colleague)
        colleague.goto(on_live_server(invite_link, live_url))
        expect(colleague.get_by_role("heading", level=1)).to_have_text("Create your account")
        expect(colleague.get_by_label("Full name", exact=True)).to_have_value("Sam Patel")
        assert_accessible(colleague)
        colleague.get_by_label("Create a password", exact=True).fill(COLLEAGUE_PASSWORD)
        colleague.get_by_label("Confirm password", exact=True).fill(COLLEAGUE_PASSWORD)
        colleague.get_by_role("button", name="Create account").click()
        expect(colleague).to_have_url(live_url + "/dashboard")
        expect(colleague.locator(".govuk-notification-banner--success")).to_contain_text("Your account is ready")
        expect(colleague.get_by_role("heading", level=1)).to_have_text("Swale Youth Trust")
        expect(colleague.get_by_role("button", name="Sign out")).to_be_visible()
        assert_accessible(colleague)
    finally:
        context.close()
    # Signed in or not, the pages got their CSS, JS and images.
    assert_assets_served(assets)
    assert_assets_served(colleague_assets)


def test_information_and_error_pages_are_accessible(page, live_url):
    page.goto(live_url + "/")
    footer = page.get_by_role("contentinfo")
    for link, heading in [
        ("Accessibility statement", "Accessibility statement"),
        ("Privacy notice", "Privacy notice"),
        ("Cookies", "Cookies"),
    ]:
        footer.get_by_role("link", name=link).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        assert_accessible(page)

    response = page.goto(live_url + "/no-such-page")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page)
