"""Each lot's award decision: proposed by one officer from the completed ranking,
approved by a different officer (optionally against a decision in the council's
register). Nothing is published before approval."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal import db
from portal.accounts.models import User
from portal.audit.services import record
from portal.awards.models import LotAward, LotAwardStatus
from portal.awards.policies import require_officer
from portal.bids.models import Bid
from portal.decisions.models import Decision
from portal.errors import RuleViolation
from portal.evaluation.models import LotEvaluation, LotEvaluationStatus, LotResult
from portal.tenders.models import Lot, Tender, TenderStatus


def ranking(session: Session, lot: Lot) -> list[LotResult]:
    """The lot's recorded results, ranked bids first."""
    return list(
        session.scalars(
            select(LotResult)
            .where(LotResult.lot_id == lot.id)
            .order_by(LotResult.rank.is_(None), LotResult.rank, LotResult.id)
        )
    )


def _require_ranked(session: Session, tender: Tender, lot: Lot) -> list[LotResult]:
    if tender.status is not TenderStatus.EVALUATION:
        raise RuleViolation(None, f"This tender is {tender.status.value.lower()}: its award cannot change")
    status = session.scalar(select(LotEvaluation.status).where(LotEvaluation.lot_id == lot.id))
    if status is not LotEvaluationStatus.COMPLETE:
        raise RuleViolation(None, f"Lot {lot.number}'s evaluation is not complete: there is no ranking to award from")
    return ranking(session, lot)


def propose(
    session: Session,
    officer: User,
    tender: Tender,
    lot: Lot,
    winner_bid_ids: list[int],
    no_award_reason: str,
    now: datetime,
) -> LotAward:
    """Propose the lot's award: the highest-ranked bids, up to the lot's number of
    places; or no award, with the reason. A proposal not yet approved may be
    replaced; an approved one cannot.

    Raises:
        RuleViolation: not an officer; the tender not in evaluation; the lot's
            evaluation not complete; already approved; neither winners nor a
            reason, or both; a bid that is not ranked (failed selection or a
            minimum score); more bids than places; a lower-ranked bid chosen
            over a higher-ranked one.
    """
    require_officer(officer)
    results = _require_ranked(session, tender, lot)
    existing = session.scalar(select(LotAward).where(LotAward.lot_id == lot.id))
    if existing:
        session.refresh(existing, with_for_update=True)  # an approval at the same moment goes first, or waits
    if existing and existing.status is LotAwardStatus.APPROVED:
        raise RuleViolation(None, f"Lot {lot.number}'s award has been approved: it cannot change")
    reason = (no_award_reason or "").strip()
    chosen = sorted(set(winner_bid_ids or []))
    if not chosen and not reason:
        raise RuleViolation("winner_bid_ids", "Select the bids to award, or give the reason for making no award")
    if chosen and reason:
        raise RuleViolation("no_award_reason", "Either select bids to award or give a reason for no award, not both")
    ranked = {r.bid_id: r for r in results if r.rank is not None}
    unranked = [bid_id for bid_id in chosen if bid_id not in ranked]
    if unranked:
        result = next((r for r in results if r.bid_id == unranked[0]), None)
        why = f": {result.reason}" if result and result.reason else ""
        raise RuleViolation("winner_bid_ids", f"Only ranked bids can be awarded. That bid was not ranked{why}")
    if len(chosen) > lot.max_providers:
        raise RuleViolation(
            "winner_bid_ids", f"Lot {lot.number} appoints up to {lot.max_providers}: you selected {len(chosen)}"
        )
    ranks = sorted(ranked[bid_id].rank for bid_id in chosen)
    if ranks != list(range(1, len(chosen) + 1)):
        raise RuleViolation(
            "winner_bid_ids", "Award the highest-ranked bids: a lower-ranked bid cannot be chosen over a higher one"
        )
    winners = list(session.scalars(select(Bid).where(Bid.id.in_(chosen)))) if chosen else []
    if existing:
        award = existing
    else:
        award = LotAward(tender_id=tender.id, lot_id=lot.id, status=LotAwardStatus.PROPOSED)
        try:
            with db.savepoint(session):
                session.add(award)
                session.flush()
        except IntegrityError:
            raise RuleViolation(None, "Another officer has just proposed this lot's award: look again") from None
    award.winners = winners
    award.status = LotAwardStatus.PROPOSED
    award.is_no_award, award.no_award_reason = not chosen, reason
    award.proposed_by_id, award.proposed_at = officer.id, now
    award.approved_by_id = award.approved_at = award.decision_id = None
    session.flush()
    record(
        session,
        officer,
        "award.proposed",
        award,
        tender_id=tender.id,
        lot_id=lot.id,
        bid_ids=chosen,
        no_award_reason=reason,
    )
    return award


def approve(
    session: Session,
    officer: User,
    tender: Tender,
    award: LotAward,
    decision: Decision | None,
    now: datetime,
    *,
    seen_proposal: str | None = None,
) -> None:
    """A second officer approves a proposed award, optionally citing the decision
    that authorises it. ``seen_proposal`` is when the proposal the officer read was
    made (the page sends it), so a proposal changed since is not approved unseen.

    Raises:
        RuleViolation: not an officer; the tender not in evaluation; not a
            proposal; the officer who proposed it; the proposal changed since read.
    """
    require_officer(officer)
    if tender.status is not TenderStatus.EVALUATION:
        raise RuleViolation(None, f"This tender is {tender.status.value.lower()}: its award cannot change")
    session.refresh(award, with_for_update=True)
    if award.status is not LotAwardStatus.PROPOSED:
        raise RuleViolation(None, "This award has already been approved")
    if award.proposed_by_id == officer.id:
        raise RuleViolation(None, "A different procurement officer must approve the award you proposed")
    if seen_proposal is not None and seen_proposal != award.proposed_at.isoformat():
        raise RuleViolation(None, "The proposal has changed since you read it: read it again before approving")
    award.status, award.approved_by_id, award.approved_at = LotAwardStatus.APPROVED, officer.id, now
    award.decision_id = decision.id if decision else None
    session.flush()
    record(
        session,
        officer,
        "award.approved",
        award,
        tender_id=tender.id,
        lot_id=award.lot_id,
        decision_id=award.decision_id,
    )
