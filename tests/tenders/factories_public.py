"""Factories for the public opportunity pages' tests.

Tenders are arranged directly in the database in any status (the officers'
journey to get them there is tested elsewhere); documents are real stored
files, so downloads can be checked byte for byte.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from portal import files
from portal.agreements.models import DeliveryMode, ServiceCategory
from portal.decisions.models import Decision
from portal.providers.models import District
from portal.tenders.models import DocumentKind, Lot, LotDeliveryMode, Tender, TenderDocument, TenderStatus

# A Monday, midday in London (GMT in November).
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

_sequence = itertools.count(1)


def get_category(db, name: str) -> ServiceCategory:
    category = db.scalar(select(ServiceCategory).where(ServiceCategory.name == name))
    if category is None:
        category = ServiceCategory(name=name)
        db.add(category)
        db.flush()
    return category


def get_district(db, name: str) -> District:
    district = db.scalar(select(District).where(District.name == name))
    if district is None:
        district = District(name=name)
        db.add(district)
        db.flush()
    return district


def build_decision(db, number: str | None = None, **fields) -> Decision:
    n = next(_sequence)
    decision = Decision(
        number=number or f"26/{n:05d}",
        title=fields.pop("title", f"Recommissioning family services {n}"),
        decision_maker=fields.pop("decision_maker", "Cabinet Member for Integrated Children's Services"),
        status=fields.pop("status", "Recommendations Approved"),
        reasons=fields.pop("reasons", "The current agreements end."),
        decision_text=fields.pop("decision_text", "Agree to tender new frameworks."),
        decision_date=fields.pop("decision_date", date(2026, 10, 1)),
        publication_date=fields.pop("publication_date", date(2026, 10, 1)),
        **fields,
    )
    db.add(decision)
    db.flush()
    return decision


def store_pdf(app, db, name: str = "Service specification.pdf", content: bytes = PDF):
    with app.app_context():
        return files.store(db, None, name, content, app.config["MAX_FILE_BYTES"])


def build_tender(
    app,
    db,
    *,
    reference: str | None = None,
    title: str | None = None,
    description: str = "Early intervention and prevention services for families.",
    category: str = "Early Intervention & Prevention",
    districts=("Maidstone",),
    modes=(DeliveryMode.FACE_TO_FACE,),
    status: TenderStatus = TenderStatus.PUBLISHED,
    lots: int = 2,
    documents: int = 1,
    value_pence: int = 250_000_00,
    submission_deadline: datetime | None = None,
    clarification_deadline: datetime | None = None,
    decision: Decision | None = None,
    commit: bool = True,
    **fields,
) -> Tender:
    """A tender in any status, with lots covering ``districts`` and ``modes``
    and ``documents`` stored PDFs."""
    n = next(_sequence)
    district_rows = [get_district(db, name) for name in districts]
    tender = Tender(
        reference=reference or f"KCC-P-{n:05d}",
        title=title or f"Family support services {n}",
        description=description,
        category_id=get_category(db, category).id,
        estimated_value_pence=value_pence,
        status=status,
        decision_id=(decision or build_decision(db)).id,
        clarification_deadline=clarification_deadline or NOW + timedelta(days=14),
        answers_by=NOW + timedelta(days=18),
        submission_deadline=submission_deadline or NOW + timedelta(days=28),
        evaluation_date=(NOW + timedelta(days=35)).date(),
        intended_award_date=(NOW + timedelta(days=50)).date(),
        standstill_end_date=(NOW + timedelta(days=62)).date(),
        contract_start_date=date(2027, 4, 1),
        published_at=NOW - timedelta(days=1) if status is not TenderStatus.DRAFT else None,
        **fields,
    )
    db.add(tender)
    db.flush()
    for number in range(1, lots + 1):
        lot = Lot(
            tender_id=tender.id,
            number=number,
            title=f"Lot {number} area services",
            description=f"Services in area {number}",
            estimated_annual_value_pence=100_000_00,
            max_providers=3,
            districts=district_rows,
        )
        lot.delivery_mode_rows = [LotDeliveryMode(mode=mode) for mode in modes]
        db.add(lot)
    for number in range(1, documents + 1):
        stored = store_pdf(app, db, f"Specification part {number}.pdf")
        db.add(
            TenderDocument(
                tender_id=tender.id,
                kind=DocumentKind.SPECIFICATION,
                title=f"Specification part {number}",
                file_id=stored.id,
            )
        )
    if commit:
        db.commit()
    return tender


@pytest.fixture
def fixed_now(app, monkeypatch):
    """Stand the app's clock at NOW; call it to move it."""

    def set_now(moment: datetime = NOW) -> datetime:
        assert moment.tzinfo is not None
        monkeypatch.setitem(app.config, "FIXED_NOW", moment)
        return moment

    set_now(NOW)
    return set_now


@pytest.fixture
def tender_factory(app, db, fixed_now):
    def make(**kwargs) -> Tender:
        return build_tender(app, db, **kwargs)

    return make
