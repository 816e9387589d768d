"""The tests' one factories module: districts, organisations, users, decisions and tenders.

Plain functions taking the SQLAlchemy session to add to (and, for stored files,
the app). They only flush, so a caller builds a whole world in one transaction
and commits once; the ``make_*`` fixtures in tests/conftest.py commit after
each call. Every argument has a working default, and names and numbers that
must be unique are drawn from one counter.

Tenders and decisions are arranged straight into the database in any status
(the officers' journey to get them there is tested elsewhere); documents are
real stored files, so downloads can be checked byte for byte.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import files
from portal.accounts.models import Role, User
from portal.accounts.passwords import hash_password
from portal.agreements.models import DeliveryMode, ServiceCategory
from portal.clock import now as clock_now
from portal.decisions.models import Decision
from portal.providers.models import District, Organisation, OrganisationType
from portal.tenders.models import DocumentKind, Lot, LotDeliveryMode, Tender, TenderDocument, TenderStatus

PASSWORD = "correct-horse-battery-staple"
# A Monday, midday in London (GMT in November): where the tests stand the clock.
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

_sequence = itertools.count(1)
_hashes: dict[str, str] = {}


def next_number() -> int:
    """A number no other object made in this test process has used."""
    return next(_sequence)


def _password_hash(password: str) -> str:
    # argon2 is cheap at the tests' cost settings but not free: every user made with the
    # same password shares one hash (a salt shared between test users protects nothing).
    if password not in _hashes:
        _hashes[password] = hash_password(password)
    return _hashes[password]


def make_district(session: Session, name: str | None = None) -> District:
    district = District(name=name or f"District {next_number()}")
    session.add(district)
    session.flush()
    return district


def get_district(session: Session, name: str) -> District:
    """The district of that name, made if there is none yet."""
    return session.scalar(select(District).where(District.name == name)) or make_district(session, name)


def get_category(session: Session, name: str) -> ServiceCategory:
    """The service category of that name, made if there is none yet."""
    category = session.scalar(select(ServiceCategory).where(ServiceCategory.name == name))
    if category is None:
        category = ServiceCategory(name=name)
        session.add(category)
        session.flush()
    return category


def make_organisation(
    session: Session,
    name: str | None = None,
    charity_number: str | None = None,
    districts: list[District] | None = None,
) -> Organisation:
    """A registered charity in Maidstone, in a district of its own unless ``districts`` are given."""
    n = next_number()
    organisation = Organisation(
        name=name or f"Provider {n}",
        organisation_type=OrganisationType.REGISTERED_CHARITY,
        charity_number=charity_number or f"{1100000 + n}",
        address_line_1="1 High Street",
        town="Maidstone",
        postcode="ME14 1XQ",
        districts=districts or [make_district(session)],
        registered_at=clock_now(),
    )
    session.add(organisation)
    session.flush()
    return organisation


def make_user(
    session: Session,
    role: Role = Role.PROVIDER,
    organisation: Organisation | None = None,
    email: str | None = None,
    is_organisation_admin: bool = True,
    password: str | None = PASSWORD,
    verified: bool = True,
) -> User:
    """A verified user who can sign in with ``PASSWORD``; a provider gets an organisation of
    their own (and administers it) unless one is given."""
    n = next_number()
    if role is Role.PROVIDER and organisation is None:
        organisation = make_organisation(session)
    user = User(
        email=email or f"user{n}@example.org",
        full_name=f"Person {n}",
        role=role,
        organisation_id=organisation.id if role is Role.PROVIDER else None,
        is_organisation_admin=is_organisation_admin if role is Role.PROVIDER else False,
        password_hash=_password_hash(password) if password else None,
        email_verified_at=clock_now() if verified else None,
    )
    session.add(user)
    session.flush()
    return user


def make_decision(session: Session, number: str | None = None, **fields) -> Decision:
    """A published executive decision (approved on 1 October 2026)."""
    n = next_number()
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
    session.add(decision)
    session.flush()
    return decision


def store_pdf(app: Flask, session: Session, name: str = "Service specification.pdf", content: bytes = PDF):
    """A stored file, kept where the app keeps uploads."""
    with app.app_context():
        return files.store(session, None, name, content, app.config["MAX_FILE_BYTES"])


def make_tender(
    app: Flask,
    session: Session,
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
    **fields,
) -> Tender:
    """A tender in any status (published a day before ``NOW`` unless a draft), with ``lots`` lots
    covering ``districts`` and ``modes``, ``documents`` stored PDFs, and a timetable from ``NOW``."""
    n = next_number()
    district_rows = [get_district(session, name) for name in districts]
    tender = Tender(
        reference=reference or f"KCC-P-{n:05d}",
        title=title or f"Family support services {n}",
        description=description,
        category_id=get_category(session, category).id,
        estimated_value_pence=value_pence,
        status=status,
        decision_id=(decision or make_decision(session)).id,
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
    session.add(tender)
    session.flush()
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
        session.add(lot)
    for number in range(1, documents + 1):
        stored = store_pdf(app, session, f"Specification part {number}.pdf")
        session.add(
            TenderDocument(
                tender_id=tender.id,
                kind=DocumentKind.SPECIFICATION,
                title=f"Specification part {number}",
                file_id=stored.id,
            )
        )
    session.flush()
    return tender
