"""Tender fixtures shared by the officers' and the public pages' tests.

``make_tender`` builds a complete draft that passes every publication check at
``NOW`` (the clock is fixed there by ``clock_at``, which ``make_tender`` uses):
a category, two lots with districts and delivery modes, a pass or fail
selection question, quality questions weighted to 100% for each lot, a future
timetable, an authorising decision and a recorded conflicts assessment.
``make_tender(published=True)`` publishes it through the service (alerts and
incumbents' notices are sent, as in real life).
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.accounts.models import Role
from portal.agreements.models import DeliveryMode, ServiceCategory
from portal.decisions.models import Decision
from portal.tenders import services
from portal.tenders.models import DocumentKind, Lot, LotDeliveryMode, Tender, TenderDocument, TenderStatus
from tests.factories import store_pdf
from tests.tenders.factories_public import fixed_now, tender_factory  # noqa: F401 (fixtures for every test here)
from tests.tenders.questionnaire import add_questionnaire

# A Monday, midday in London (GMT in November).
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

_sequence = itertools.count(1)


def commit_and_send(session) -> None:
    """Commit a session used outside a request, then send the emails it
    queued (as ``portal.db.commit`` does for a request's session)."""
    session.commit()
    callbacks = session.info.get("after_commit", [])
    session.info["after_commit"] = []
    for callback in callbacks:
        callback()


@pytest.fixture
def clock_at(app, monkeypatch):
    """Stand the app's clock at ``NOW``; call it with an aware datetime to move it."""

    def set_now(moment: datetime) -> datetime:
        assert moment.tzinfo is not None, "the clock takes aware datetimes"
        monkeypatch.setitem(app.config, "FIXED_NOW", moment)
        return moment

    set_now(NOW)
    return set_now


@pytest.fixture
def officer(make_user):
    return make_user(role=Role.OFFICER)


@pytest.fixture
def make_category(db):
    def make(name: str | None = None) -> ServiceCategory:
        name = name or f"Category {next(_sequence)}"
        category = db.scalar(select(ServiceCategory).where(ServiceCategory.name == name))
        if category is None:
            category = ServiceCategory(name=name)
            db.add(category)
            db.commit()
        return category

    return make


@pytest.fixture
def make_decision(db):
    def make(number: str | None = None, decision_date: date = date(2026, 10, 1), **fields) -> Decision:
        n = next(_sequence)
        decision = Decision(
            number=number or f"26/{n:05d}",
            title=fields.pop("title", f"Recommissioning services {n}"),
            decision_maker=fields.pop("decision_maker", "Cabinet Member for Integrated Children's Services"),
            status=fields.pop("status", "Recommendations Approved"),
            reasons=fields.pop("reasons", "Agreements end."),
            decision_text=fields.pop("decision_text", "Agree to tender new frameworks."),
            decision_date=decision_date,
            publication_date=fields.pop("publication_date", decision_date),
            **fields,
        )
        db.add(decision)
        db.commit()
        return decision

    return make


@pytest.fixture
def make_tender(app, db, clock_at, make_category, make_district, make_decision, make_user):
    """A publishable draft (or, with ``published=True``, a published tender)."""

    def make(
        reference: str | None = None,
        *,
        category: ServiceCategory | None = None,
        districts=None,
        lots: int = 2,
        published: bool = False,
        by=None,
        with_eia: bool = True,
        **fields,
    ) -> Tender:
        n = next(_sequence)
        now = app.config["FIXED_NOW"]
        author = by or make_user(role=Role.OFFICER)
        districts = districts or [make_district(), make_district()]
        tender = Tender(
            reference=reference or f"KCC-T-{n:04d}",
            title=fields.pop("title", f"Early help services {n}"),
            description=fields.pop("description", "Early intervention and prevention services for families."),
            category_id=(category or make_category("Early Intervention & Prevention")).id,
            estimated_value_pence=fields.pop("estimated_value_pence", 250_000_00),
            decision_id=fields.pop("decision_id", None) or make_decision().id,
            clarification_deadline=fields.pop("clarification_deadline", now + timedelta(days=14)),
            answers_by=fields.pop("answers_by", now + timedelta(days=18)),
            submission_deadline=fields.pop("submission_deadline", now + timedelta(days=28)),
            evaluation_date=fields.pop("evaluation_date", (now + timedelta(days=35)).date()),
            intended_award_date=fields.pop("intended_award_date", (now + timedelta(days=50)).date()),
            standstill_end_date=fields.pop("standstill_end_date", (now + timedelta(days=62)).date()),
            contract_start_date=fields.pop("contract_start_date", (now + timedelta(days=120)).date()),
            created_by_id=author.id,
            **fields,
        )
        db.add(tender)
        db.flush()
        for number in range(1, lots + 1):
            lot = Lot(
                tender_id=tender.id,
                number=number,
                title=f"Lot {number} services",
                description=f"Services in area {number}",
                estimated_annual_value_pence=100_000_00,
                max_providers=2,
                districts=[districts[(number - 1) % len(districts)]],
            )
            lot.delivery_mode_rows = [
                LotDeliveryMode(mode=DeliveryMode.FACE_TO_FACE),
                LotDeliveryMode(mode=DeliveryMode.OUTREACH),
            ]
            db.add(lot)
        add_questionnaire(db, tender)
        if with_eia:  # a framework cannot be published without its Equality Impact Assessment
            eia = store_pdf(app, db, "Equality Impact Assessment.pdf")
            db.add(
                TenderDocument(
                    tender_id=tender.id,
                    kind=DocumentKind.EQUALITY_IMPACT_ASSESSMENT,
                    title="Equality Impact Assessment",
                    file_id=eia.id,
                )
            )
        tender.conflicts_assessment = "No conflicts: the panel has no links with likely bidders."
        tender.conflicts_assessed_at = now
        tender.conflicts_assessed_by_id = author.id
        db.commit()
        if published:
            with app.test_request_context():
                services.publish(db, author, tender, now)
                commit_and_send(db)
            assert tender.status is TenderStatus.PUBLISHED
        db.refresh(tender)
        return tender

    return make
