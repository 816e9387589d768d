"""The tender builder as a GOV.UK task list: a status per section from the
publication checks, "Check and publish" only once nothing is missing, a check
page with every part and its change link, and warnings (never refusals) for a
bid window under 25 days or over a bank holiday."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.tenders.checks import timetable_warnings
from portal.tenders.models import Tender, TenderStatus
from portal.working_days import bank_holidays_between
from tests.support import count_queries, post_form
from tests.tenders.conftest import NOW

SECTIONS = (
    "details",
    "lots",
    "timetable",
    "evaluation_method",
    "questionnaire",
    "documents",
    "conflicts",
    "decision",
    "agreements",
)


@pytest.fixture
def officer_client(client, officer, login_as, clock_at):
    login_as(officer)
    return client


def statuses(html: str) -> dict[str, str]:
    """Each task's status as the page shows it, by task."""
    found = re.findall(r'id="task-([a-z_]+)-status">\s*(?:<strong[^>]*>)?([^<]+?)\s*(?:</strong>)?\s*</div>', html)
    return dict(found)


TASK_LINK = re.compile(r'<a class="govuk-link govuk-task-list__link" href="([^"]+)"[^>]*task-([a-z_]+)-status')


def task_links(html: str) -> dict[str, str]:
    return {key: href for href, key in TASK_LINK.findall(html)}


def test_a_new_draft_shows_what_is_left_task_by_task(officer_client, db, make_category):
    category = make_category("Early Intervention & Prevention")
    data = {
        "reference": "KCC-EIP-2030",
        "title": "Early help",
        "description": "Family support.",
        "category_id": str(category.id),
        "estimated_value_pence": "1000000",
        "procedure": "OPEN",
        "is_light_touch": "yes",
        "is_framework": "no",
    }
    assert post_form(officer_client, "/tenders/new", data).status_code == 302
    tender = db.scalar(select(Tender).where(Tender.reference == "KCC-EIP-2030"))
    html = officer_client.get(f"/tenders/{tender.id}").get_data(as_text=True)
    assert 'class="govuk-task-list"' in html
    assert statuses(html) == {
        "details": "Completed",
        "lots": "Incomplete",
        "timetable": "Incomplete",
        "evaluation_method": "Completed",  # a new draft has a complete default method
        "questionnaire": "Cannot start yet",
        "documents": "Optional",
        "conflicts": "Incomplete",
        "decision": "Incomplete",
        "agreements": "Optional",
        "check": "Cannot start yet",
    }
    links = task_links(html)
    assert links["lots"] == f"/tenders/{tender.id}/lots" and links["decision"] == f"/tenders/{tender.id}/decision"
    # A task that cannot start yet has no link; what is missing is its hint.
    assert "check" not in links and "questionnaire" not in links
    assert "Link the executive decision that authorised this tender" in html
    assert "Enter the submission deadline" in html
    assert "Add the lots first" in html
    assert "You have completed 4 of 9 sections." in html
    # The old checklist and the publish button have gone from the draft's page.
    assert "Before you can publish" not in html and f'href="/tenders/{tender.id}/publish"' not in html


def test_a_complete_draft_offers_check_and_publish(officer_client, make_tender):
    tender = make_tender()
    html = officer_client.get(f"/tenders/{tender.id}").get_data(as_text=True)
    shown = statuses(html)
    assert {key: shown[key] for key in SECTIONS if key != "agreements"} == dict.fromkeys(
        (key for key in SECTIONS if key != "agreements"), "Completed"
    )
    assert shown["agreements"] == "Optional" and shown["check"] == "Not yet started"
    assert task_links(html)["check"] == f"/tenders/{tender.id}/check"
    assert "You have completed 9 of 9 sections." in html
    assert "timetable-warning" not in html  # 28 days, no bank holiday in England


def test_each_problem_marks_its_own_task(officer_client, db, make_tender):
    tender = make_tender(with_eia=False)
    tender.conflicts_assessed_at = None
    db.commit()
    shown = statuses(officer_client.get(f"/tenders/{tender.id}").get_data(as_text=True))
    assert shown["documents"] == "Incomplete" and shown["conflicts"] == "Incomplete"
    assert shown["check"] == "Cannot start yet"
    assert [key for key, value in shown.items() if value == "Incomplete"] == ["documents", "conflicts"]


def test_the_check_page_shows_everything_with_change_links_and_the_publish_button(officer_client, make_tender):
    tender = make_tender()
    html = officer_client.get(f"/tenders/{tender.id}/check").get_data(as_text=True)
    assert "Check the tender before you publish it" in html
    for part in ("details", "timetable", "evaluation-method", "questionnaire", "documents", "decision", "conflicts"):
        assert f'href="/tenders/{tender.id}/{part}"' in html, part
    assert f'href="/tenders/{tender.id}/lots/{tender.lots[0].id}"' in html
    assert "21 December 2026 at midday" in html and "Lot 1: Lot 1 services" in html
    assert f'action="/tenders/{tender.id}/publish"' in html and "Publish tender" in html


def test_the_check_page_lists_what_is_missing_and_has_no_publish_button(officer_client, db, make_tender):
    tender = make_tender()
    tender.decision_id = None
    db.commit()
    html = officer_client.get(f"/tenders/{tender.id}/check").get_data(as_text=True)
    assert "The tender cannot be published yet" in html
    assert f'<a class="govuk-link" href="/tenders/{tender.id}/decision">Link the executive decision' in html
    assert "Publish tender" not in html


def test_the_lots_page_lists_lots_and_adding_one_returns_to_it(officer_client, db, make_tender, make_district):
    tender = make_tender(lots=1)
    html = officer_client.get(f"/tenders/{tender.id}/lots").get_data(as_text=True)
    assert "Lot 1: Lot 1 services" in html and f'href="/tenders/{tender.id}/lots/new"' in html
    district = make_district()
    response = post_form(
        officer_client,
        f"/tenders/{tender.id}/lots/new",
        {
            "title": "East Kent",
            "description": "",
            "district_ids": [str(district.id)],
            "modes": ["FACE_TO_FACE"],
            "estimated_annual_value_pence": "90000",
            "max_providers": "2",
            "pricing_instructions": "An annual price.",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert response.headers["Location"] == f"/tenders/{tender.id}/lots"


# --- Warnings ------------------------------------------------------------------------


def test_a_short_bid_window_is_warned_of_but_not_refused(officer_client, db, make_tender):
    tender = make_tender(
        clarification_deadline=NOW + timedelta(days=4),
        answers_by=NOW + timedelta(days=6),
        submission_deadline=NOW + timedelta(days=11),
    )
    warning = "Providers have 11 days to bid, from 23 November 2026 to 4 December 2026. Allow at least 25 days"
    for page in ("", "/check", "/timetable"):
        html = officer_client.get(f"/tenders/{tender.id}{page}").get_data(as_text=True)
        assert warning in html and "govuk-warning-text" in html, page
    assert statuses(officer_client.get(f"/tenders/{tender.id}").get_data(as_text=True))["check"] == "Not yet started"
    response = post_form(officer_client, f"/tenders/{tender.id}/publish", {}, form_url=f"/tenders/{tender.id}/check")
    assert response.status_code == 302
    db.expire_all()
    assert db.get(Tender, tender.id).status is TenderStatus.PUBLISHED
    # Still shown while the tender is open: the deadline can be extended by an amendment.
    assert warning in officer_client.get(f"/tenders/{tender.id}").get_data(as_text=True)


def test_a_bid_window_over_christmas_is_warned_of(officer_client, make_tender):
    tender = make_tender(submission_deadline=datetime(2026, 12, 29, 12, 0, tzinfo=UTC))
    html = officer_client.get(f"/tenders/{tender.id}").get_data(as_text=True)
    assert "The bid window includes bank holidays: Christmas Day (25 December 2026)" in html
    assert "Boxing Day" in html
    assert "Providers have" not in html  # 36 days is long enough


def test_the_window_of_a_published_tender_runs_from_publication(make_tender, clock_at):
    tender = make_tender(published=True, submission_deadline=NOW + timedelta(days=26))
    assert timetable_warnings(tender, NOW) == []
    # Days passing do not shorten the window the providers were given.
    assert timetable_warnings(tender, NOW + timedelta(days=20)) == []
    draft = make_tender(submission_deadline=NOW + timedelta(days=26))
    assert "Providers have 6 days to bid" in timetable_warnings(draft, NOW + timedelta(days=20))[0]


def test_no_warning_without_a_deadline(make_tender):
    tender = make_tender()
    tender.submission_deadline = None
    assert timetable_warnings(tender, NOW) == []


def test_bank_holidays_between():
    assert bank_holidays_between(date(2026, 12, 20), date(2027, 1, 3), ("ENG",)) == [
        (date(2026, 12, 25), "Christmas Day"),
        (date(2026, 12, 26), "Boxing Day"),
        (date(2026, 12, 28), "Boxing Day (observed)"),
        (date(2027, 1, 1), "New Year's Day"),
    ]
    # Scotland's 2 January counts when every nation is asked for.
    assert (date(2027, 1, 2), "New Year Holiday") in bank_holidays_between(date(2027, 1, 1), date(2027, 1, 3))
    assert bank_holidays_between(date(2026, 11, 23), date(2026, 12, 21), ("ENG",)) == []


@pytest.mark.parametrize("path", ["/tenders/{id}/check", "/tenders/{id}/lots"])
def test_new_pages_use_a_fixed_number_of_queries(app, officer_client, make_tender, make_district, path):
    counts = []
    for tender in (make_tender(lots=1), make_tender(lots=4, districts=[make_district() for _ in range(4)])):
        with count_queries(app) as statements:
            assert officer_client.get(path.format(id=tender.id)).status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1]
