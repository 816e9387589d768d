"""One rule, asked in one place: what a page offers, what its route refuses and
what the service refuses agree; every problem is shown at once; long lists are
paged; the decisions page learns its tenders by asking."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.accounts.models import Role
from portal.errors import RuleViolation
from portal.signals import ask
from portal.tenders import services
from portal.tenders.models import Amendment, Tender, TenderStatus
from portal.tenders.queries import OFFICER_PAGE_SIZE
from tests.support import post_form
from tests.tenders.conftest import NOW
from tests.tenders.test_officer_views import amendment_data, date_parts, refused, timetable_data


@pytest.fixture
def signed_in_officer(officer, login_as, clock_at):
    login_as(officer)
    return officer


def fresh(db, tender) -> Tender:
    db.expire_all()
    return db.get(Tender, tender.id)


def test_a_final_conflicts_assessment_is_refused_by_the_service_and_not_offered(
    app, client, db, signed_in_officer, make_tender
):
    tender = make_tender(published=True)
    with app.app_context():  # cancelling publishes its termination notice as open data, with links
        services.cancel(db, signed_in_officer, tender, "Funding withdrawn", NOW)
        db.commit()
    with pytest.raises(RuleViolation, match="This tender is cancelled: its assessment is final"):
        services.record_conflicts_assessment(db, signed_in_officer, tender, "A late change", NOW)
    db.rollback()
    page = client.get(f"/tenders/{tender.id}").get_data(as_text=True)
    assert f'href="/tenders/{tender.id}/conflicts"' not in page
    assert f'href="/tenders/{tender.id}/cancel"' not in page and f'href="/tenders/{tender.id}/amend"' not in page
    refused(
        post_form(client, f"/tenders/{tender.id}/conflicts", {"conflicts_assessment": "A late change"}),
        "This tender is cancelled: its assessment is final",
    )
    assert fresh(db, tender).conflicts_assessment != "A late change"


def test_a_timetable_shows_every_problem_at_once(client, db, signed_in_officer, make_tender):
    tender = make_tender()
    html = refused(
        post_form(
            client,
            f"/tenders/{tender.id}/timetable",
            timetable_data(answers_by=["22", "12", "2026"], contract_start_date=["20", "12", "2026"]),
        ),
        "Answers must be published before the submission deadline",
        "The contract must start after the submission deadline",
    )
    assert 'href="#answers_by-day"' in html and 'href="#contract_start_date-day"' in html


def test_a_deadline_the_clocks_skip_or_repeat_is_refused(client, db, signed_in_officer, make_tender):
    tender = make_tender()
    before = fresh(db, tender).submission_deadline
    for day in (["28", "3", "2027"], ["31", "10", "2027"]):  # clocks go forward, then back, at 1am
        html = refused(
            post_form(
                client,
                f"/tenders/{tender.id}/timetable",
                timetable_data(
                    submission_deadline=day,
                    submission_deadline_time="01:30",
                    contract_start_date=["1", "12", "2027"],
                    evaluation_date=["", "", ""],
                    intended_award_date=["", "", ""],
                    standstill_end_date=["", "", ""],
                ),
            ),
            "The clocks change at that time on that day: choose another time for submission deadline",
        )
        assert 'href="#submission_deadline_time"' in html
    assert fresh(db, tender).submission_deadline == before


def test_a_tender_past_its_deadline_cannot_be_amended_to_reopen_it(
    client, db, signed_in_officer, make_tender, clock_at
):
    tender = make_tender(published=True)
    clock_at(tender.submission_deadline + timedelta(minutes=1))
    later = tender.submission_deadline + timedelta(days=14)
    refused(
        post_form(client, f"/tenders/{tender.id}/amend", amendment_data(tender, submission_deadline=date_parts(later))),
        "Only a tender that is open for bids can be amended",
    )
    assert fresh(db, tender).submission_deadline == tender.submission_deadline
    assert db.scalars(select(Amendment)).all() == []


def test_the_officers_list_is_paged(client, db, signed_in_officer, make_tender, make_decision):
    decision = make_decision()
    for _ in range(OFFICER_PAGE_SIZE + 1):
        make_tender(lots=0, decision_id=decision.id)
    first = client.get("/tenders").get_data(as_text=True)
    assert first.count('href="/tenders/') - first.count('href="/tenders/new"') == OFFICER_PAGE_SIZE
    assert 'aria-label="Pages of tenders"' in first and 'rel="next"' in first
    second = client.get("/tenders?page=2").get_data(as_text=True)
    assert 'rel="prev"' in second and 'rel="next"' not in second
    oldest = db.scalar(select(Tender).order_by(Tender.created_at, Tender.id).limit(1))
    assert f'href="/tenders/{oldest.id}"' in second and f'href="/tenders/{oldest.id}"' not in first


def test_a_decision_learns_its_tenders_by_asking(app, db, make_tender, make_decision, make_user):
    from flask_login import AnonymousUserMixin

    import portal.tenders.receivers  # noqa: F401  (connects the receiver, as create_app does)
    from portal.decisions.signals import linked_tenders_requested

    decision = make_decision()
    published = make_tender("KCC-B-2", decision_id=decision.id, published=True)
    draft = make_tender("KCC-A-1", decision_id=decision.id)
    make_tender("KCC-C-3", published=True)  # another decision's
    for viewer, expected in (
        (AnonymousUserMixin(), [published.id]),
        (make_user(), [published.id]),
        (make_user(role=Role.OFFICER), [draft.id, published.id]),
    ):
        answer = ask(linked_tenders_requested, decision, session=db, user=viewer)
        assert [t.id for t in answer] == expected
    assert draft.status is TenderStatus.DRAFT
