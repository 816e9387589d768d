"""The loop the portal exists for, closed: agreements end → their providers bid →
they are scored and awarded → after the standstill the contracts become the new
agreements. Afterwards the register holds them, the replaced agreements point to
them, the winner's home page shows its new agreement, and the transition
dashboard shows each incumbent's outcome (awarded, not awarded, did not bid)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from sqlalchemy import select

from portal.accounts.models import Role
from portal.agreements.models import Agreement
from portal.awards import contracts, notice
from tests import factories
from tests.awards.test_officer_pages import client_for
from tests.awards.world import award_through_summaries_sent, build_evaluated_tender


def test_contracts_entered_become_the_new_agreements_and_close_the_loop(app, db, clock_at):
    # Bid 0 wins, bid 1 ranks second, bid 2 fails its pass or fail answer; a fourth incumbent did not bid.
    with app.app_context():
        world = build_evaluated_tender(app, db, bids=3, passes=[True, True, False])
        award_through_summaries_sent(db, world)
        published = notice.publish(db, world.officer, world.tender, datetime(2026, 11, 23, 10, tzinfo=UTC))
        db.commit()
        assert published.standstill_ends_on == date(2026, 12, 3)
    clock_at(datetime(2026, 12, 4, 9, tzinfo=UTC))
    with app.app_context():
        contracts.enter(db, world.officer, world.tender, date(2030, 3, 31), datetime(2026, 12, 4, 9, tzinfo=UTC))
        db.commit()

    winner, runner_up, failed = world.organisations
    new = db.scalars(select(Agreement).where(Agreement.awarded_from_tender_id == world.tender.id)).all()
    assert [a.organisation_id for a in new] == [winner.id]
    (agreement,) = new
    lot = world.lots[0]
    assert agreement.start_date == world.tender.contract_start_date and agreement.end_date == date(2030, 3, 31)
    assert {d.id for d in agreement.districts} == {d.id for d in lot.districts}
    assert agreement.delivery_modes == lot.delivery_modes and agreement.annual_value_pence > 0

    db.expire_all()
    assert world.replaced_of(winner).replaced_by_id == agreement.id
    for organisation in (runner_up, failed, world.non_bidder):
        old = world.replaced_of(organisation)
        assert old.replaced_at is not None and old.replaced_by_id is None

    # The winner's home page shows its new agreement.
    provider = factories.make_user(db, Role.PROVIDER, organisation=winner)
    db.commit()
    home = client_for(app, provider).get("/dashboard").get_data(as_text=True)
    assert agreement.reference in home

    # The transition dashboard: of the wave's four incumbents, three bid; one awarded, two not, one did not bid.
    dashboard = client_for(app, world.officer).get("/agreements/dashboard").get_data(as_text=True)
    headers = re.findall(r'<th scope="col"[^>]*>([^<]+)</th>', dashboard)
    assert {"Bid started", "Bid submitted", "Awarded", "Not awarded", "Did not bid"} <= set(headers)
    rows = re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", dashboard, re.S)
    wave = next(r for r in rows if "31 March 2027" in r)
    # Counts are links to the lists they count: the number is the text before any hidden words.
    cells = re.findall(r'govuk-table__cell--numeric">(?:<a [^>]*>)?(\d+)', wave)
    assert cells[-4:] == ["3", "1", "2", "1"]
