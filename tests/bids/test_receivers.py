"""What bids answer when tenders and agreements ask (they cannot import bids)."""

from __future__ import annotations

from sqlalchemy import Integer, literal, select, union_all

import portal.bids.receivers  # noqa: F401  (create_app imports it too: this test does not depend on that)
from portal.agreements.signals import bid_stages_requested, bidders_requested
from portal.db import get_session
from portal.signals import ask
from portal.tenders.models import Tender
from portal.tenders.signals import bid_counts_requested, own_bid_requested
from tests.bids.conftest import post_page


def test_counts_own_bid_and_bidders(
    app, client, db, open_tender, tender, provider, outsider, login_as, start_bid, complete_bid
):
    login_as(provider)
    bid = start_bid(client, tender)
    first_lot, second_lot = sorted(tender.lots, key=lambda lot: lot.number)
    complete_bid(client, bid, tender, lots=[first_lot.id])
    quiet = open_tender()

    def answers() -> tuple:
        with app.app_context():
            session = get_session()
            asked, other = session.get(Tender, tender.id), session.get(Tender, quiet.id)
            own = ask(own_bid_requested, asked, session=session, organisation_id=provider.organisation_id)
            return (
                ask(bid_counts_requested, asked, session=session),
                own.id if own is not None else None,
                ask(own_bid_requested, asked, session=session, organisation_id=outsider.organisation_id),
                ask(own_bid_requested, other, session=session, organisation_id=provider.organisation_id),
                ask(bidders_requested, None, session=session),
            )

    # A draft is counted nowhere, but it is the organisation's bid.
    assert answers() == ({first_lot.id: 0, second_lot.id: 0}, bid.id, None, None, set())
    assert post_page(client, f"/bids/{bid.id}/submit").status_code == 302
    assert answers() == ({first_lot.id: 1, second_lot.id: 0}, bid.id, None, None, {provider.organisation_id})
    assert post_page(client, f"/bids/{bid.id}/withdraw").status_code == 302
    assert answers() == ({first_lot.id: 0, second_lot.id: 0}, bid.id, None, None, set())


def test_bid_stage_is_sql_for_the_rows_of_the_asking_query(
    app, client, db, open_tender, tender, provider, outsider, login_as, start_bid, complete_bid
):
    """The transition dashboard asks with the (organisation, tender) columns of its own query
    and counts with the answer in the database: so the answer is SQL, one value per row."""
    login_as(provider)
    bid = start_bid(client, tender)
    first_lot = min(tender.lots, key=lambda lot: lot.number)
    other = open_tender()

    def stages() -> dict:
        with app.app_context():
            session = get_session()
            asking = union_all(
                *(
                    select(
                        literal(organisation_id, Integer).label("organisation_id"),
                        literal(tender_id, Integer).label("tender_id"),
                    )
                    for organisation_id, tender_id in [
                        (provider.organisation_id, tender.id),
                        (outsider.organisation_id, tender.id),
                        (provider.organisation_id, other.id),
                    ]
                )
            ).subquery("asking")
            stage = ask(
                bid_stages_requested,
                None,
                session=session,
                organisation_id=asking.c.organisation_id,
                tender_id=asking.c.tender_id,
            )
            rows = session.execute(select(asking.c.organisation_id, asking.c.tender_id, stage)).all()
            return {(organisation_id, tender_id): answer for organisation_id, tender_id, answer in rows}

    def expected(stage):
        return {
            (provider.organisation_id, tender.id): stage,
            (outsider.organisation_id, tender.id): None,
            (provider.organisation_id, other.id): None,
        }

    assert stages() == expected("started")
    complete_bid(client, bid, tender, lots=[first_lot.id])
    assert post_page(client, f"/bids/{bid.id}/submit").status_code == 302
    assert stages() == expected("submitted")
    assert post_page(client, f"/bids/{bid.id}/withdraw").status_code == 302
    assert stages() == expected(None)
