"""What transparency does when lower domains tell it something happened.

``create_app`` imports this module so the receivers are connected. Each runs inside the
transaction of the event it hears about: the release exists if and only if the notice does.
"""

from __future__ import annotations

from portal.awards import signals as award_signals
from portal.tenders import signals as tender_signals
from portal.transparency.ocds import publish


@tender_signals.tender_published.connect
def _tender_published(tender, *, session, **_ignored):
    publish.tender_published(session, tender)


@tender_signals.tender_amended.connect
def _tender_amended(tender, *, session, amendment, **_ignored):
    publish.tender_amended(session, tender, amendment)


@tender_signals.tender_cancelled.connect
def _tender_cancelled(tender, *, session, **_ignored):
    publish.tender_cancelled(session, tender)


@award_signals.award_notice_published.connect
def _award_notice_published(tender, *, session, notice, **_ignored):
    publish.award_notice_published(session, tender, notice)


@award_signals.contracts_entered.connect
def _contracts_entered(tender, *, session, notice, agreements, **_ignored):
    publish.contracts_entered(session, tender, notice, agreements)
