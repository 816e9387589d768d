"""The register, exports, dashboard: filters, and a fixed number of queries."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select

from portal.agreements.models import Agreement, AgreementDeliveryMode, DeliveryMode, ServiceCategory, agreement_district
from portal.providers.models import District, Organisation
from tests.support import count_queries


def bulk_agreements(db, n, start_at=0):
    """Insert n agreements quickly, spread over providers, with districts and modes."""
    category = db.scalar(select(ServiceCategory).limit(1))
    districts = db.scalars(select(District)).all()
    organisations = []
    for i in range(max(1, n // 10)):
        organisation = Organisation(name=f"Bulk provider {start_at + i}", contact_email=f"b{start_at + i}@example.org")
        db.add(organisation)
        organisations.append(organisation)
    db.flush()
    rows = [
        {
            "reference": f"B-{start_at + i:05d}",
            "organisation_id": organisations[i % len(organisations)].id,
            "service_name": "Service",
            "category_id": category.id,
            "annual_value_pence": 100_000 + i,
            "start_date": date(2024, 4, 1),
            "original_end_date": date(2027, 3, 31) + timedelta(days=i % 400),
            "end_date": date(2027, 3, 31) + timedelta(days=i % 400),
        }
        for i in range(n)
    ]
    db.execute(insert(Agreement), rows)
    ids = db.scalars(select(Agreement.id).where(Agreement.reference.in_([r["reference"] for r in rows]))).all()
    db.execute(
        insert(agreement_district), [{"agreement_id": i, "district_id": districts[i % len(districts)].id} for i in ids]
    )
    db.execute(insert(AgreementDeliveryMode), [{"agreement_id": i, "mode": DeliveryMode.OUTREACH} for i in ids])
    db.commit()


@pytest.mark.parametrize(
    "path",
    [
        "/agreements",
        "/agreements?status=ENDING_SOON&sort=provider",
        "/agreements/dashboard",
        "/agreements/reports",
        "/dashboard",
    ],
)
def test_pages_use_a_fixed_number_of_queries(app, client, db, defaults, officer, login_as, make_user, path):
    user = officer if path != "/dashboard" else make_user()
    bulk_agreements(db, 10)
    if path == "/dashboard":  # the provider's home: give its organisation agreements
        db.execute(Agreement.__table__.update().values(organisation_id=user.organisation_id))
        db.commit()
    login_as(user)
    with count_queries(app) as small:
        assert client.get(path).status_code == 200
    bulk_agreements(db, 990, start_at=10)
    if path == "/dashboard":
        db.execute(Agreement.__table__.update().values(organisation_id=user.organisation_id))
        db.commit()
    with count_queries(app) as large:
        assert client.get(path).status_code == 200
    assert len(large) == len(small), f"{len(small)} queries at 10 agreements, {len(large)} at 1,000"


def test_filters_and_exports_show_what_the_officer_sees(client, db, defaults, officer, login_as):
    bulk_agreements(db, 30)
    login_as(officer)
    html = client.get("/agreements?q=B-0001").get_data(as_text=True)
    assert "<strong>10</strong> agreements" in html  # B-00010 to B-00019
    exported = client.get("/agreements/export.csv?q=B-0001")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "Reference" and len(rows) == 11
    assert {r[0] for r in rows[1:]} == {f"B-{i:05d}" for i in range(10, 20)}
    workbook = load_workbook(io.BytesIO(client.get("/agreements/export.xlsx?q=B-0001").data))
    assert workbook.active.max_row == 11
    assert client.get("/agreements/export.pdf").status_code == 404


def test_status_filter_and_sorting(client, db, defaults, officer, login_as, at):
    bulk_agreements(db, 20)
    at(date(2026, 11, 23))
    login_as(officer)
    soon = client.get("/agreements?status=ENDING_SOON").get_data(as_text=True)
    # Ending soon: on or before 23 May 2027, i.e. end dates 31 March to 23 May 2027.
    assert "B-00000" in soon and "<strong>20</strong> agreements" in soon
    assert client.get("/agreements?status=NONSENSE&sort=nonsense&page=abc").status_code == 200


def test_csv_export_neutralises_formulas(client, db, defaults, officer, login_as):
    db.add(Organisation(name='=HYPERLINK("http://evil")', contact_email="x@example.org"))
    db.commit()
    organisation = db.scalar(select(Organisation).where(Organisation.name.like("=%")))
    db.add(
        Agreement(
            reference="F-1",
            organisation_id=organisation.id,
            service_name="+cmd",
            category=db.scalar(select(ServiceCategory).limit(1)),
            annual_value_pence=1,
            start_date=date(2024, 1, 1),
            original_end_date=date(2027, 1, 1),
            end_date=date(2027, 1, 1),
        )
    )
    db.commit()
    login_as(officer)
    text = client.get("/agreements/export.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in text and "'+cmd" in text


def test_dashboard_counts_waves(app, client, db, defaults, officer, login_as, at, make_user):
    from tests.agreements.test_notices import send_due_notices

    provider = make_user()
    registered = db.get(Organisation, provider.organisation_id)
    unregistered = Organisation(name="Quiet Trust", contact_email="quiet@example.org")
    db.add(unregistered)
    category = db.scalar(select(ServiceCategory).limit(1))
    for org, ref in ((registered, "W-1"), (unregistered, "W-2")):
        db.add(
            Agreement(
                reference=ref,
                organisation=org,
                service_name="S",
                category=category,
                annual_value_pence=1,
                start_date=date(2024, 4, 1),
                original_end_date=date(2027, 3, 31),
                end_date=date(2027, 3, 31),
            )
        )
    db.commit()
    at(date(2026, 11, 23))
    send_due_notices(app)
    login_as(officer)
    from portal.agreements.queries import dashboard

    data = dashboard(db, date(2026, 11, 23))
    wave = data.waves[0]
    assert (wave.agreements, wave.incumbents, wave.notified, wave.read, wave.registered) == (2, 2, 2, 0, 1)
    # Same end date, so by name: both are unreached (nobody has read a notice).
    assert [e["name"] for e in data.unreached] == sorted([registered.name, "Quiet Trust"])
    html = client.get("/agreements/dashboard").get_data(as_text=True)
    assert "Quiet Trust" in html and "quiet@example.org" in html
