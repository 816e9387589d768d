"""Staff home pages list what needs attention, each item a link, in a fixed number of queries."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.accounts.models import Role
from portal.agreements.models import Agreement, ServiceCategory
from portal.agreements.services import install_defaults
from portal.awards.models import AwardNotice, LotAward, LotAwardStatus
from portal.bids.models import BidOpening
from portal.evaluation.models import PanelMember, PanelRole
from portal.providers.models import Organisation
from portal.tenders.models import Clarification, TenderStatus
from tests import factories
from tests.factories import NOW
from tests.support import count_queries

TODAY = NOW.date()


@pytest.fixture
def now(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "FIXED_NOW", NOW)
    factories.get_district(db, "Maidstone")
    install_defaults(db)
    db.commit()


@pytest.fixture
def officer(make_user):
    return make_user(role=Role.OFFICER)


def build(app, db, officer, n: int) -> dict:
    """``n`` of every kind of thing an officer must act on."""
    other = factories.make_user(db, Role.OFFICER)
    evaluator = factories.make_user(db, Role.EVALUATOR)
    made = {"clarifications": [], "opening": [], "drafts": [], "moderation": [], "awards": [], "standstills": []}
    for i in range(n):
        asked = factories.make_tender(app, db, lots=1, documents=0)
        asker = factories.make_organisation(db)
        db.add_all(
            Clarification(tender_id=asked.id, organisation_id=asker.id, question=f"Question {i} {q}") for q in range(2)
        )
        made["clarifications"].append(asked)

        closed = factories.make_tender(
            app, db, lots=1, documents=0, status=TenderStatus.CLOSED, submission_deadline=NOW - timedelta(days=1)
        )
        db.add(BidOpening(tender_id=closed.id, officer_id=other.id, confirmed_at=NOW))
        made["opening"].append(closed)

        made["drafts"].append(factories.make_tender(app, db, lots=1, documents=0, status=TenderStatus.DRAFT))

        evaluated = factories.make_tender(app, db, lots=1, documents=0, status=TenderStatus.EVALUATION)
        db.add(
            PanelMember(
                tender_id=evaluated.id,
                lot_id=evaluated.lots[0].id,
                user_id=evaluator.id,
                role=PanelRole.QUALITY,
                submitted_at=NOW,
            )
        )
        made["moderation"].append(evaluated)

        awarded = factories.make_tender(app, db, lots=1, documents=0, status=TenderStatus.EVALUATION)
        db.add(
            LotAward(
                tender_id=awarded.id, lot_id=awarded.lots[0].id, status=LotAwardStatus.PROPOSED, proposed_by_id=other.id
            )
        )
        made["awards"].append(awarded)

        standstill = factories.make_tender(app, db, lots=1, documents=0, status=TenderStatus.AWARDED)
        db.add(
            AwardNotice(
                tender_id=standstill.id, published_at=NOW, standstill_days=8, standstill_ends_on=TODAY + timedelta(3)
            )
        )
        made["standstills"].append(standstill)

        # An incumbent not registered, in a wave still to come, whose notice is due.
        quiet = Organisation(name=f"Quiet provider {i}", contact_email=f"quiet{i}@example.org")
        db.add(quiet)
        db.add(
            Agreement(
                reference=f"Q-{n}-{i}",
                organisation=quiet,
                service_name="Service",
                category=db.scalar(select(ServiceCategory).limit(1)),
                annual_value_pence=100_000,
                start_date=date(2024, 4, 1),
                original_end_date=date(2027, 3, 31),
                end_date=date(2027, 3, 31),
            )
        )
    db.commit()
    return made


def section(html: str, key: str) -> str:
    """The list under the heading with this id."""
    match = re.search(
        rf'<h3 class="govuk-heading-m" id="{key}">.*?</ul>\s*</li>\s*</ul>|'
        rf'<h3 class="govuk-heading-m" id="{key}">.*?</ul>',
        html,
        re.S,
    )
    assert match, f"no section {key}"
    return match.group(0)


def test_an_officer_with_nothing_to_do_is_told_so(client, db, now, officer, login_as):
    login_as(officer)
    html = client.get("/dashboard").get_data(as_text=True)
    assert "What needs your attention" in html and "Nothing needs your attention." in html
    assert 'href="/evaluation/"' in html  # "Your evaluations" stays


def test_an_officer_sees_each_thing_to_do_as_a_link(app, client, db, now, officer, login_as):
    made = build(app, db, officer, 1)
    login_as(officer)
    html = client.get("/dashboard").get_data(as_text=True)
    assert "Nothing needs your attention" not in html

    asked = made["clarifications"][0]
    part = section(html, "clarifications")
    assert f'href="/tenders/{asked.id}/questions"' in part and "2 questions to answer" in part
    assert "answers due by 11 December 2026 at midday" in part  # the tender's answers_by

    closed = made["opening"][0]
    part = section(html, "opening")
    assert f'href="/tenders/{closed.id}/bids"' in part and "your confirmation opens the bids" in part

    draft = made["drafts"][0]
    part = section(html, "drafts")
    assert f'href="/tenders/{draft.id}"' in part and "to do before it can be published" in part
    assert "Record the conflicts of interest assessment" in part

    part = section(html, "moderation")
    assert f'href="/tenders/{made["moderation"][0].id}/evaluation"' in part and "begin moderation" in part

    part = section(html, "awards")
    assert f'href="/tenders/{made["awards"][0].id}/award"' in part

    part = section(html, "standstills")
    assert f'href="/tenders/{made["standstills"][0].id}/award/contracts"' in part
    assert "standstill ends 26 November 2026" in part

    part = section(html, "notices")
    assert 'href="/agreements/notices"' in part and "1 ending notice due" in part

    part = section(html, "incumbents")
    assert 'href="/agreements/dashboard/incumbents?wave=2027-03-31&amp;show=unreached"' in part
    assert "1 of 1 incumbent not yet reached" in part and ">Behind<" in part


def test_an_officer_is_not_asked_to_approve_their_own_proposal_nor_to_confirm_twice(
    app, client, db, now, officer, login_as
):
    tender = factories.make_tender(app, db, lots=1, documents=0, status=TenderStatus.EVALUATION)
    db.add(
        LotAward(
            tender_id=tender.id, lot_id=tender.lots[0].id, status=LotAwardStatus.PROPOSED, proposed_by_id=officer.id
        )
    )
    closed = factories.make_tender(
        app, db, lots=1, documents=0, status=TenderStatus.CLOSED, submission_deadline=NOW - timedelta(days=1)
    )
    db.add(BidOpening(tender_id=closed.id, officer_id=officer.id, confirmed_at=NOW))
    db.commit()
    login_as(officer)
    html = client.get("/dashboard").get_data(as_text=True)
    assert 'id="awards"' not in html
    assert "a different officer must confirm" in section(html, "opening")


def test_the_officer_home_runs_a_fixed_number_of_queries(app, client, db, now, officer, login_as):
    login_as(officer)
    counts = []
    for n in (1, 11):
        build(app, db, officer, n)
        client.get("/dashboard")  # the first request warms what is loaded once per process
        with count_queries(app) as statements:
            response = client.get("/dashboard")
        assert response.status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], f"{counts[0]} queries with one of each, {counts[1]} with twelve"
    # Twelve of each: ten shown, the rest a link away.
    html = response.get_data(as_text=True)
    assert html.count("begin moderation") == 10 and "And 2 more" in html


def test_an_administrator_sees_invitations_not_yet_accepted(app, client, db, now, make_user, login_as):
    admin = make_user(role=Role.ADMIN)
    make_user(role=Role.OFFICER)
    login_as(admin)
    html = client.get("/dashboard").get_data(as_text=True)
    assert "Nothing needs your attention." in html and "Active staff accounts: 1 procurement officer" in html

    invited = factories.make_user(db, Role.EVALUATOR, password=None)
    invited.invited_at = NOW - timedelta(days=1)
    expired = factories.make_user(db, Role.OFFICER, password=None)
    expired.invited_at = NOW - timedelta(days=30)
    db.commit()
    html = client.get("/dashboard").get_data(as_text=True)
    part = section(html, "invitations")
    assert f'href="/admin/users/{invited.id}"' in part and f'href="/admin/users/{expired.id}"' in part
    assert part.count(">Expired<") == 1 and "not accepted yet" in part

    with count_queries(app) as few:
        client.get("/dashboard")
    for _ in range(5):
        factories.make_user(db, Role.EVALUATOR, password=None)
    db.commit()
    with count_queries(app) as many:
        client.get("/dashboard")
    assert len(few) == len(many)


def test_an_evaluator_keeps_their_link_and_gets_no_list(client, db, now, make_user, login_as):
    login_as(make_user(role=Role.EVALUATOR))
    html = client.get("/dashboard").get_data(as_text=True)
    assert 'href="/evaluation/"' in html and "What needs your attention" not in html
