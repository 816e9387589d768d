"""What the officers' award pages read, in a fixed number of queries whatever
the number of bids: the columns the pages show, not the evaluation's scores."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, aliased

from portal.accounts.models import User
from portal.agreements.models import Agreement
from portal.awards.models import AssessmentSummary, AwardNotice, LotAward, LotAwardStatus, Outcome, award_winner
from portal.bids.models import Bid
from portal.decisions.models import Decision
from portal.evaluation.models import LotEvaluation, LotEvaluationStatus, LotResult
from portal.providers.models import Organisation
from portal.tenders.models import Lot, Tender, TenderStatus

DECISIONS_OFFERED = 200  # the most recent decisions in the approve form's list


@dataclass(frozen=True)
class Ranked:
    """One bid's result in a lot, with its bidder's name."""

    bid_id: int
    organisation: str
    rank: int | None
    quality_score: object
    price_pence: int | None
    price_score: object
    total_score: object
    reason: str


@dataclass
class LotView:
    lot: Lot
    evaluation_status: LotEvaluationStatus | None
    ranking: list[Ranked]
    award: LotAward | None
    winner_ids: list[int] = field(default_factory=list)
    proposed_by: str = ""
    approved_by: str = ""
    decision: Decision | None = None

    @property
    def is_complete(self) -> bool:
        return self.evaluation_status is LotEvaluationStatus.COMPLETE

    @property
    def is_approved(self) -> bool:
        return self.award is not None and self.award.status is LotAwardStatus.APPROVED

    @property
    def winners(self) -> list[Ranked]:
        return [r for r in self.ranking if r.bid_id in self.winner_ids]

    @property
    def offered(self) -> list[Ranked]:
        """The bids a proposal may choose: ranked, and within the lot's number of places."""
        return [r for r in self.ranking if r.rank is not None and r.rank <= self.lot.max_providers]


@dataclass(frozen=True)
class SummaryCounts:
    prepared: int
    sent: int
    sent_at: datetime | None

    @property
    def all_sent(self) -> bool:
        return self.prepared > 0 and self.sent == self.prepared


@dataclass
class AwardPage:
    tender: Tender
    lots: list[LotView]
    summaries: SummaryCounts
    notice: AwardNotice | None
    agreements: int
    decisions: list[tuple[int, str]]

    @property
    def all_approved(self) -> bool:
        return bool(self.lots) and all(view.is_approved for view in self.lots)

    def lot(self, lot_id: int) -> LotView | None:
        return next((view for view in self.lots if view.lot.id == lot_id), None)


# The page's statements are built once, with their parameters bound at each request:
# building a statement costs more than running it.
_RANKING = (
    select(
        LotResult.lot_id,
        LotResult.bid_id,
        Organisation.name,
        LotResult.rank,
        LotResult.quality_score,
        LotResult.price_pence,
        LotResult.price_score,
        LotResult.total_score,
        LotResult.reason,
    )
    .join(Bid, Bid.id == LotResult.bid_id)
    .join(Organisation, Organisation.id == Bid.organisation_id)
    .where(LotResult.lot_id.in_(bindparam("lot_ids", expanding=True)))
    .order_by(LotResult.lot_id, LotResult.rank.is_(None), LotResult.rank, func.lower(Organisation.name))
)


def _ranking(session: Session, lot_ids: list[int]) -> dict[int, list[Ranked]]:
    by_lot: dict[int, list[Ranked]] = {lot_id: [] for lot_id in lot_ids}
    if lot_ids:
        for lot_id, *rest in session.execute(_RANKING, {"lot_ids": lot_ids}):
            by_lot[lot_id].append(Ranked(*rest))
    return by_lot


def decision_choices(session: Session, tender: Tender) -> list[tuple[int, str]]:
    """The decisions an approval may cite: the tender's own first, then the most recent."""
    rows = session.execute(
        select(Decision.id, Decision.number, Decision.title)
        .order_by((Decision.id == tender.decision_id).desc(), Decision.decision_date.desc(), Decision.id.desc())
        .limit(DECISIONS_OFFERED)
    ).all()
    return [(row.id, f"{row.number}: {row.title}") for row in rows]


def takes_proposals(tender: Tender, view: LotView) -> bool:
    """A lot's award may be proposed (and a proposal approved) while the tender is in
    evaluation and the lot's award is not yet approved: the page shows its forms."""
    return tender.status is TenderStatus.EVALUATION and not view.is_approved


_LOTS = (
    select(Lot, LotEvaluation.status)
    .outerjoin(LotEvaluation, LotEvaluation.lot_id == Lot.id)
    .where(Lot.tender_id == bindparam("tender_id"))
    .order_by(Lot.number)
)
_proposer, _approver = aliased(User), aliased(User)
_AWARDS = (
    select(LotAward, _proposer.full_name, _approver.full_name, Decision)
    .outerjoin(_proposer, _proposer.id == LotAward.proposed_by_id)
    .outerjoin(_approver, _approver.id == LotAward.approved_by_id)
    .outerjoin(Decision, Decision.id == LotAward.decision_id)
    .where(LotAward.tender_id == bindparam("tender_id"))
)
_WINNERS = (
    select(award_winner.c.lot_award_id, award_winner.c.bid_id)
    .join(LotAward, LotAward.id == award_winner.c.lot_award_id)
    .where(LotAward.tender_id == bindparam("tender_id"))
)
_COUNTS = select(
    func.count(AssessmentSummary.id),
    func.count(AssessmentSummary.sent_at),
    func.max(AssessmentSummary.sent_at),
    select(func.count(Agreement.id))
    .where(Agreement.awarded_from_tender_id == bindparam("tender_id"))
    .scalar_subquery(),
).where(AssessmentSummary.tender_id == bindparam("tender_id"))
_NOTICE = select(AwardNotice).where(AwardNotice.tender_id == bindparam("tender_id"))


def award_page(session: Session, tender: Tender) -> AwardPage:
    """Everything the award page shows, in six queries (seven while a lot takes proposals)."""
    by_tender = {"tender_id": tender.id}
    lots, statuses = [], {}
    for lot, status in session.execute(_LOTS, by_tender):
        lots.append(lot)
        statuses[lot.id] = status
    ranking = _ranking(session, [lot.id for lot in lots])
    awards, names, decisions = {}, {}, {}
    for award, proposed_by, approved_by, decision in session.execute(_AWARDS, by_tender):
        awards[award.lot_id] = award
        names[award.id] = (proposed_by or "", approved_by or "")
        decisions[award.id] = decision
    winners: dict[int, list[int]] = {}
    for award_id, bid_id in session.execute(_WINNERS, by_tender):
        winners.setdefault(award_id, []).append(bid_id)
    prepared, sent, sent_at, agreements = session.execute(_COUNTS, by_tender).one()
    notice = session.scalar(_NOTICE, by_tender)
    views = []
    for lot in lots:
        award = awards.get(lot.id)
        proposed_by, approved_by = names[award.id] if award else ("", "")
        views.append(
            LotView(
                lot=lot,
                evaluation_status=statuses[lot.id],
                ranking=ranking[lot.id],
                award=award,
                winner_ids=winners.get(award.id, []) if award else [],
                proposed_by=proposed_by,
                approved_by=approved_by,
                decision=decisions[award.id] if award else None,
            )
        )
    # The approve form's list of decisions, only when a lot shows its forms.
    offered = decision_choices(session, tender) if any(takes_proposals(tender, v) for v in views) else []
    return AwardPage(
        tender=tender,
        lots=views,
        summaries=SummaryCounts(prepared, sent, sent_at),
        notice=notice,
        agreements=agreements or 0,
        decisions=offered,
    )


def offered_bids(session: Session, lot: Lot) -> list[Ranked]:
    """The bids a proposal for ``lot`` may choose (for the form's choices when it is posted)."""
    return [r for r in _ranking(session, [lot.id])[lot.id] if r.rank is not None and r.rank <= lot.max_providers]


@dataclass(frozen=True)
class SummaryRow:
    id: int
    organisation: str
    lot_number: int
    lot_title: str
    outcome: Outcome
    edited_at: datetime | None
    sent_at: datetime | None


def summary_rows(session: Session, tender: Tender) -> list[SummaryRow]:
    """Every assessment summary of the tender, by lot then bidder: one query, without their content."""
    rows = session.execute(
        select(
            AssessmentSummary.id,
            Organisation.name,
            Lot.number,
            Lot.title,
            AssessmentSummary.outcome,
            AssessmentSummary.edited_at,
            AssessmentSummary.sent_at,
        )
        .join(Organisation, Organisation.id == AssessmentSummary.organisation_id)
        .join(Lot, Lot.id == AssessmentSummary.lot_id)
        .where(AssessmentSummary.tender_id == tender.id)
        .order_by(Lot.number, func.lower(Organisation.name), AssessmentSummary.id)
    ).all()
    return [SummaryRow(*row) for row in rows]


@dataclass(frozen=True)
class AgreementRow:
    id: int
    reference: str
    organisation: str
    service_name: str
    annual_value_pence: int
    start_date: date
    end_date: date
    replaced_by_id: int | None = None


def contract_agreements(session: Session, tender: Tender) -> tuple[list[AgreementRow], list[AgreementRow]]:
    """The agreements the tender's contracts created, and those it replaces: two queries."""
    columns = (
        Agreement.id,
        Agreement.reference,
        Organisation.name,
        Agreement.service_name,
        Agreement.annual_value_pence,
        Agreement.start_date,
        Agreement.end_date,
        Agreement.replaced_by_id,
    )
    created = session.execute(
        select(*columns)
        .join(Organisation, Organisation.id == Agreement.organisation_id)
        .where(Agreement.awarded_from_tender_id == tender.id)
        .order_by(Agreement.reference)
    ).all()
    replaced = session.execute(
        select(*columns)
        .join(Organisation, Organisation.id == Agreement.organisation_id)
        .where(Agreement.replacement_tender_id == tender.id)
        .order_by(Agreement.reference)
    ).all()
    return [AgreementRow(*row) for row in created], [AgreementRow(*row) for row in replaced]


def summary_counts(session: Session, tender: Tender) -> SummaryCounts:
    """How many summaries are prepared and sent, and when: one query."""
    prepared, sent, sent_at = session.execute(
        select(
            func.count(AssessmentSummary.id), func.count(AssessmentSummary.sent_at), func.max(AssessmentSummary.sent_at)
        ).where(AssessmentSummary.tender_id == tender.id)
    ).one()
    return SummaryCounts(prepared, sent, sent_at)
