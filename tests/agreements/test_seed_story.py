"""The demo tells the seed's story, and the reports say exactly what the seed says."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import func, select

from portal.agreements import queries
from portal.agreements.demo_data import shift_for
from portal.agreements.models import Agreement
from portal.demo import DEMO_PASSWORD
from portal.filters import format_money
from tests.support import post_form


def test_reports_match_the_seed_exactly(app, db, client):
    assert app.test_cli_runner().invoke(args=["demo", "load", "--as-published"]).exit_code == 0
    # The seed's register; the demo's awarded tender adds its own new agreements beside it.
    imported = Agreement.awarded_from_tender_id.is_(None)
    assert db.scalar(select(func.count(Agreement.id)).where(imported)) == 173

    years, categories, spend = queries.spend_by_year_and_category(db)
    total = {year: sum(v for (y, _), v in spend.items() if y == year) for year in years}
    assert format_money(total[2010]) == "£15.9m" and total[2010] == 15_900_000_00
    assert format_money(total[2011]) == "£17.5m" and total[2011] == 17_500_000_00
    rise = {c: spend[(2011, c)] - spend[(2010, c)] for c in categories}
    assert max(rise, key=rise.get) == "16+ Leaving Care"
    assert rise["16+ Leaving Care"] > (total[2011] - total[2010]) / 2  # "largely" from leaving care

    during = queries.ending_between(db, date(2011, 4, 1), date(2012, 3, 30))
    assert [(d, n) for d, n, _ in during] == [(date(2011, 6, 1), 1), (date(2011, 9, 30), 12)]
    extended = queries.ending_in_financial_year_with_extensions(db, date(2011, 4, 1), date(2012, 3, 30))
    assert extended == {date(2011, 6, 1): 0, date(2011, 9, 30): 12}
    september = db.scalars(select(Agreement).where(Agreement.end_date == date(2011, 9, 30))).all()
    assert all(a.original_end_date == date(2011, 3, 31) and len(a.extensions) == 1 for a in september)
    assert [(d, n) for d, n, _ in queries.ending_between(db, date(2012, 3, 31), date(2012, 3, 31))] == [
        (date(2012, 3, 31), 160)
    ]

    # And the reports page shows the same figures to an officer.
    post_form(client, "/sign-in", {"email": "officer@kent.example.gov.uk", "password": DEMO_PASSWORD})
    html = client.get("/agreements/reports?start=1&start=4&start=2011&end=30&end=3&end=2012").get_data(as_text=True)
    assert re.search(r'data-total="2010/11"><strong>£15.9m<', html)
    assert re.search(r'data-total="2011/12"><strong>£17.5m<', html)
    assert "<strong>13</strong> agreements end between 1 April 2011 and 30 March 2012" in html


def test_default_demo_moves_the_story_so_today_is_between_the_waves(app, db):
    assert app.test_cli_runner().invoke(args=["demo", "load"]).exit_code == 0
    from portal import clock

    today = clock.today()
    years = shift_for(today)
    september, march = date(2011 + years, 9, 30), date(2012 + years, 3, 31)
    assert march >= today
    if today.month >= 10 or today.month <= 3:
        assert september < today
    imported = Agreement.awarded_from_tender_id.is_(None)  # not the demo's awarded tender's new agreements
    counts = dict(
        db.execute(select(Agreement.end_date, func.count()).where(imported).group_by(Agreement.end_date)).all()
    )
    assert counts == {date(2011 + years, 6, 1): 1, september: 12, march: 160}


def test_shift_for_known_days():
    assert shift_for(date(2026, 11, 23)) == 15  # 30 Sep 2026 passed, 31 Mar 2027 ahead
    assert shift_for(date(2027, 2, 1)) == 15
    assert shift_for(date(2027, 10, 1)) == 16
