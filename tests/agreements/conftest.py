from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest

from portal.accounts.models import Role
from portal.agreements.services import install_defaults

HEADER = (
    "Reference,Provider name,Charity number,Company number,Contact email,Service name,Category,Districts,"
    "Delivery modes,Annual value,Start date,End date,Extended end date,Extension reason,Spend 2010/11"
)


@pytest.fixture
def defaults(db, make_district):
    make_district("Maidstone")
    make_district("Swale")
    install_defaults(db)
    db.commit()


@pytest.fixture
def officer(make_user):
    return make_user(role=Role.OFFICER)


@pytest.fixture
def at(app, monkeypatch):
    """Stand the app's clock at noon, London, on a given date."""

    def set_day(day: date):
        monkeypatch.setitem(app.config, "FIXED_NOW", datetime(day.year, day.month, day.day, 12, tzinfo=UTC))

    return set_day


def csv_file(*rows: str, header: str = HEADER) -> tuple[io.BytesIO, str]:
    return io.BytesIO(("\n".join([header, *rows]) + "\n").encode()), "register.csv"


GOOD_ROWS = (
    "EIP-1,Medway Young Carers,1098765,,carers@medway.example.org,Young carers support,"
    "Early Intervention & Prevention,Maidstone; Swale,"
    'Face-to-face; Outreach,"£85,000",01/04/2009,31/03/2012,,,85000',
    "DCS-1,Weald Short Breaks,,09876543,hello@weald.example.org,Short breaks,Disabled Children's Services,Swale,"
    "Virtual,40000.50,2009-04-01,2011-03-31,2011-09-30,Temporary extension,40000",
    "LC-1,Brand New Trust,,,new@brand-new.example.org,Supported lodgings,16+ Leaving Care,Maidstone,Outreach,"
    "12000,01/04/2010,31/03/2013,,,",
)
