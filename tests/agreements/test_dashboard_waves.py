"""The dashboard's stored wave counts (portal/agreements/waves.py) equal a recount of the
register after every kind of change that moves them, whichever domain makes it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from portal.accounts.models import Role
from portal.agreements import queries, services, waves
from portal.agreements.importing import applying, parsing, reading
from portal.agreements.models import Agreement, EndingNotice, NoticeKind, ServiceCategory
from portal.providers.models import Organisation, OrganisationType
from tests.agreements.conftest import GOOD_ROWS, HEADER

TODAY = date(2026, 11, 30)
NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
ENDS = [date(2026, 6, 30), date(2027, 1, 31), date(2027, 3, 31), date(2028, 3, 31)]


def assert_current(db):
    db.commit()
    stored, counted = waves.stored(db), waves.recount(db)
    assert sorted(stored) == sorted(counted)
    for end_date, row in counted.items():
        assert stored[end_date] == row, end_date
    assert waves.stored_chase(db) == waves.rechase(db)


def register(organisation: Organisation) -> None:
    organisation.registered_at = NOW
    organisation.organisation_type = OrganisationType.OTHER
    organisation.address_line_1 = "1 High Street"
    organisation.town = "Maidstone"
    organisation.postcode = "ME14 1XX"


@pytest.fixture
def register_of(db, defaults, make_organisation):
    """Three providers (the first registered) holding agreements in four waves."""
    providers = [make_organisation(f"Provider {n}", charity_number=f"10{n}0000") for n in range(3)]
    register(providers[0])
    for provider in providers[1:]:
        provider.registered_at = None  # a provider the register named, not yet registered
    category = db.scalar(select(ServiceCategory.id).limit(1))
    agreements = []
    for n in range(9):
        end = ENDS[n % len(ENDS)]
        agreement = Agreement(
            reference=f"W-{n}",
            organisation_id=providers[n % 3].id,
            service_name=f"Service {n}",
            category_id=category,
            annual_value_pence=1_000_000 * (n + 1),
            start_date=date(2024, 4, 1),
            original_end_date=end,
            end_date=end,
        )
        db.add(agreement)
        agreements.append(agreement)
    db.flush()
    db.add(
        EndingNotice(
            agreement_id=agreements[0].id,
            organisation_id=providers[0].id,
            kind=NoticeKind.MANUAL,
            subject="Ending",
            body="…",
            sent_at=NOW,
            read_at=NOW,
        )
    )
    db.commit()
    return providers, agreements


def test_the_counts_are_stored_as_agreements_are_added(db, register_of):
    assert_current(db)
    stored = waves.stored(db)
    assert sorted(stored) == ENDS
    assert sum(row["agreements"] for row in stored.values()) == 9
    wave = stored[ENDS[0]]  # agreements 0, 4, 8 of providers 0, 1, 2
    assert (wave["incumbents"], wave["notified"], wave["read"], wave["registered"], wave["reached"]) == (3, 1, 1, 1, 1)


def test_an_import_is_counted(app, db, register_of, officer):
    table = reading.read_table("register.csv", ("\n".join([HEADER, *GOOD_ROWS]) + "\n").encode())
    rows, errors = parsing.check(db, table)
    assert not errors
    with app.test_request_context():
        applying.apply(db, officer, rows, "register.csv", TODAY)
    assert_current(db)
    assert date(2012, 3, 31) in waves.stored(db)


def test_an_extension_moves_the_agreement_between_waves(app, db, register_of, officer):
    _providers, agreements = register_of
    with app.test_request_context():
        services.extend(db, officer, agreements[1], date(2029, 3, 31), "Retendering", "Head of service", TODAY)
    assert_current(db)
    assert waves.stored(db)[date(2029, 3, 31)]["agreements"] == 1


def test_notices_sent_and_read_are_counted(app, db, register_of, officer, make_user):
    providers, agreements = register_of
    with app.test_request_context():
        notices = services.send_manual_notice(db, officer, [agreements[1], agreements[2]], "Ending", "Your agreement")
    assert_current(db)
    reader = make_user(role=Role.PROVIDER, organisation=providers[1])
    notice = next(n for n in notices if n.organisation_id == providers[1].id)
    with app.test_request_context():
        assert services.mark_read(db, db.merge(reader), db.merge(notice), NOW)
    assert_current(db)


def test_a_provider_registering_is_counted_in_each_of_its_waves(db, register_of):
    providers, _agreements = register_of
    register(db.merge(providers[1]))
    assert_current(db)
    assert all(row["registered"] >= 1 for end, row in waves.stored(db).items() if end in (ENDS[1], ENDS[0]))


def test_an_agreement_moved_to_another_provider_or_deleted_is_counted(db, register_of):
    providers, agreements = register_of
    db.merge(agreements[1]).organisation = db.merge(providers[0])
    assert_current(db)
    db.delete(db.merge(agreements[3]))
    assert_current(db)
    assert ENDS[3] in waves.stored(db)  # agreement 7 still ends then
    db.delete(db.get(Agreement, agreements[7].id))
    assert_current(db)
    assert ENDS[3] not in waves.stored(db)


def test_a_statement_writing_many_rows_counts_every_wave_again(db, register_of):
    providers, _agreements = register_of
    category = db.scalar(select(ServiceCategory.id).limit(1))
    db.execute(
        insert(Agreement),
        [
            {
                "reference": f"BULK-{n}",
                "organisation_id": providers[n % 3].id,
                "service_name": "Service",
                "category_id": category,
                "annual_value_pence": 100,
                "start_date": date(2024, 4, 1),
                "original_end_date": date(2030, 1, 1 + n),
                "end_date": date(2030, 1, 1 + n),
            }
            for n in range(5)
        ],
    )
    assert_current(db)
    assert len(waves.stored(db)) == len(ENDS) + 5


def test_a_change_rolled_back_leaves_the_counts_as_they_were(db, register_of):
    _providers, agreements = register_of
    before = waves.stored(db)
    db.merge(agreements[0]).end_date = date(2031, 1, 1)
    db.flush()
    db.rollback()
    assert_current(db)
    assert waves.stored(db) == before


def test_the_dashboard_counts_its_own_transactions_changes_before_reading(db, register_of):
    providers, _agreements = register_of
    register(db.merge(providers[2]))
    db.flush()
    shown = queries.dashboard(db, TODAY, page=1)
    assert waves.stored(db) == waves.recount(db)
    assert [w.registered for w in shown.waves] == [waves.recount(db)[w.end_date]["registered"] for w in shown.waves]


def test_the_providers_to_chase_are_those_counted_from_the_register(db, register_of):
    """Summed from each wave's incumbents chased there and reached in every later wave."""
    providers, agreements = register_of
    for day in (date(2026, 1, 1), TODAY, date(2027, 2, 1), date(2028, 1, 1), date(2029, 1, 1)):
        _rows, counted = queries._unreached(db, day, 20)
        assert queries.dashboard(db, day).unreached_total == counted
    register(db.merge(providers[1]))
    db.add(
        EndingNotice(
            agreement_id=agreements[1].id,
            organisation_id=providers[1].id,
            kind=NoticeKind.MANUAL,
            subject="Ending",
            body="…",
            sent_at=NOW,
            read_at=NOW,
        )
    )
    assert_current(db)
    for day in (date(2026, 1, 1), TODAY, date(2027, 2, 1), date(2028, 1, 1)):
        _rows, counted = queries._unreached(db, day, 20)
        assert queries.dashboard(db, day).unreached_total == counted


def chase_from_register(db, today: date) -> tuple[list[tuple], int]:
    """The providers to chase, worked out in Python from every agreement and notice still to
    end: (name, next wave to chase, registered, read a notice there, newest notice), and how many."""
    registered = dict(db.execute(select(Organisation.id, Organisation.registered_at.is_not(None))).all())
    names = dict(db.execute(select(Organisation.id, Organisation.name)).all())
    in_wave: dict[tuple, list] = {}
    for organisation_id, end_date, read_at, sent_at in db.execute(
        select(Agreement.organisation_id, Agreement.end_date, EndingNotice.read_at, EndingNotice.sent_at)
        .outerjoin(EndingNotice, EndingNotice.agreement_id == Agreement.id)
        .where(Agreement.end_date >= today)
    ):
        seen = in_wave.setdefault((organisation_id, end_date), [False, None])
        seen[0] = seen[0] or read_at is not None
        if sent_at is not None:
            seen[1] = max(seen[1], sent_at) if seen[1] else sent_at
    chased: dict[int, list] = {}
    for (organisation_id, end_date), (read, sent) in in_wave.items():
        if registered[organisation_id] and read:
            continue
        first, any_read, newest = chased.get(organisation_id, (end_date, False, None))
        chased[organisation_id] = (
            min(first, end_date),
            any_read or read,
            max(newest, sent) if newest and sent else (newest or sent),
        )
    rows = sorted(
        (first, names[organisation_id], organisation_id, registered[organisation_id], read, newest)
        for organisation_id, (first, read, newest) in chased.items()
    )
    return [(name, first, reg, read, newest) for first, name, _id, reg, read, newest in rows], len(rows)


def test_the_providers_to_chase_are_those_the_register_gives(db, defaults):
    from tests.agreements.test_dashboard_scale import register as register_many

    register_many(db, 600, 120, [TODAY + timedelta(days=30 * n) for n in range(-3, 12)], "Chase")
    # More notices read, some by registered providers.
    for notice in db.scalars(select(EndingNotice).where(EndingNotice.read_at.is_(None))):
        if notice.id % 4 == 0:
            notice.read_at = NOW
    assert_current(db)
    seen = []
    for day in (TODAY, TODAY + timedelta(days=100), TODAY + timedelta(days=300)):
        expected, total = chase_from_register(db, day)
        assert total > (queries.UNREACHED_SHOWN if day == TODAY else 0)  # more than are shown at first
        seen += expected
        for page in (None, 2):
            shown = queries.dashboard(db, day, page=page)
            assert shown.unreached_total == total
            keys = ("name", "next_end", "registered", "read", "last_sent")
            assert [tuple(row[key] for key in keys) for row in shown.unreached] == expected[: queries.UNREACHED_SHOWN]
    # Among them providers registered and not, who read a notice in another wave and who did not.
    assert {(registered, read) for _name, _end, registered, read, _sent in seen} >= {(True, False), (False, True)}


def test_a_provider_renamed_is_listed_under_its_new_name(db, register_of):
    providers, _agreements = register_of
    db.merge(providers[2]).name = "Aardvark Care"
    assert_current(db)
    assert queries.dashboard(db, TODAY).unreached[0]["name"] == "Aardvark Care"
