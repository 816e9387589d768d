"""What the officers' award pages read, in a fixed number of queries whatever
the number of bids: the columns the pages show, not the evaluation's scores."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.agreements.models import Agreement
from portal.awards.models import AssessmentSummary, AwardNotice, LotAward, LotAwardStatus, Outcome, award_winner
from portal.bids.models import Bid
from portal.decisions.models import Decision
from portal.evaluation import arithmetic
from portal.evaluation.models import LotEvaluation, LotEvaluationStatus, LotResult
from portal.filters import format_money
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

    # The figures as the ranking table shows them (properties: no call through the template's context)
    @property
    def quality_shown(self) -> str:
        return arithmetic.shown(self.quality_score)

    @property
    def price_shown(self) -> str:
        return format_money(self.price_pence) if self.price_pence is not None else "–"

    @property
    def price_score_shown(self) -> str:
        return arithmetic.shown(self.price_score)

    @property
    def total_shown(self) -> str:
        return arithmetic.shown(self.total_score)


@dataclass
class LotView:
    lot: LotShown
    evaluation_status: LotEvaluationStatus | None
    ranking: list[Ranked]
    award: AwardShown | None
    winner_ids: list[int] = field(default_factory=list)
    proposed_by: str = ""
    approved_by: str = ""
    decision: DecisionShown | None = None

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
    notice: NoticeShown | None
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


@dataclass(frozen=True)
class LotShown:
    """A lot as the award page shows it."""

    id: int
    number: int
    title: str
    max_providers: int


@dataclass(frozen=True)
class AwardShown:
    """A lot's award decision as the award page shows it."""

    id: int
    status: LotAwardStatus
    is_no_award: bool
    no_award_reason: str
    proposed_by_id: int | None
    proposed_at: datetime
    approved_by_id: int | None
    approved_at: datetime | None


@dataclass(frozen=True)
class DecisionShown:
    """The decision that authorised an award, as the award page shows it."""

    id: int
    number: str
    title: str
    is_key_decision: bool
    decision_maker: str
    status: str


@dataclass(frozen=True)
class NoticeShown:
    """The award notice as the award page shows it."""

    published_at: datetime
    standstill_days: int | None
    standstill_ends_on: date | None
    contracts_entered_at: datetime | None
    details_notice_due_on: date | None
    details_notice_published_at: datetime | None


_lot, _result = Lot.__table__, LotResult.__table__
_LOTS_RANKED = (  # each lot, with a row for each of its results (one row, with none, if it has none)
    select(
        _lot.c.id,
        _lot.c.number,
        _lot.c.title,
        _lot.c.max_providers,
        LotEvaluation.__table__.c.status,
        _result.c.bid_id,
        Organisation.__table__.c.name,
        _result.c.rank,
        _result.c.quality_score,
        _result.c.price_pence,
        _result.c.price_score,
        _result.c.total_score,
        _result.c.reason,
    )
    .outerjoin(LotEvaluation.__table__, LotEvaluation.__table__.c.lot_id == _lot.c.id)
    .outerjoin(_result, _result.c.lot_id == _lot.c.id)
    .outerjoin(Bid.__table__, Bid.__table__.c.id == _result.c.bid_id)
    .outerjoin(Organisation.__table__, Organisation.__table__.c.id == Bid.__table__.c.organisation_id)
    .where(_lot.c.tender_id == bindparam("tender_id"))
    .order_by(_lot.c.number, _result.c.rank.is_(None), _result.c.rank, func.lower(Organisation.__table__.c.name))
)
_award, _decision = LotAward.__table__, Decision.__table__
_proposer, _approver = User.__table__.alias("proposer"), User.__table__.alias("approver")
_AWARDS = (  # each award with its names and decision, a row for each winner (one, with none, if none)
    select(
        _award.c.lot_id,
        _award.c.id,
        _award.c.status,
        _award.c.is_no_award,
        _award.c.no_award_reason,
        _award.c.proposed_by_id,
        _award.c.proposed_at,
        _award.c.approved_by_id,
        _award.c.approved_at,
        _proposer.c.full_name,
        _approver.c.full_name,
        _decision.c.id,
        _decision.c.number,
        _decision.c.title,
        _decision.c.is_key_decision,
        _decision.c.decision_maker,
        _decision.c.status,
        award_winner.c.bid_id,
    )
    .outerjoin(_proposer, _proposer.c.id == _award.c.proposed_by_id)
    .outerjoin(_approver, _approver.c.id == _award.c.approved_by_id)
    .outerjoin(_decision, _decision.c.id == _award.c.decision_id)
    .outerjoin(award_winner, award_winner.c.lot_award_id == _award.c.id)
    .where(_award.c.tender_id == bindparam("tender_id"))
    .order_by(_award.c.id, award_winner.c.bid_id)
)
_summary, _notice = AssessmentSummary.__table__, AwardNotice.__table__
_by_tender = _summary.c.tender_id == bindparam("tender_id")
_COUNTS_AND_NOTICE = (  # the summaries' counts, the agreements made and the notice, if any
    select(
        select(func.count(_summary.c.id)).where(_by_tender).scalar_subquery(),
        select(func.count(_summary.c.sent_at)).where(_by_tender).scalar_subquery(),
        select(func.max(_summary.c.sent_at)).where(_by_tender).scalar_subquery(),
        select(func.count(Agreement.__table__.c.id))
        .where(Agreement.__table__.c.awarded_from_tender_id == bindparam("tender_id"))
        .scalar_subquery(),
        _notice.c.id,
        _notice.c.published_at,
        _notice.c.standstill_days,
        _notice.c.standstill_ends_on,
        _notice.c.contracts_entered_at,
        _notice.c.details_notice_due_on,
        _notice.c.details_notice_published_at,
    )
    .select_from(Tender.__table__)
    .outerjoin(_notice, _notice.c.tender_id == Tender.__table__.c.id)
    .where(Tender.__table__.c.id == bindparam("tender_id"))
)


_t = Tender.__table__
_TENDER_ROW = select(  # what the award page and the policies read of the tender
    _t.c.id, _t.c.reference, _t.c.title, _t.c.status, _t.c.evaluation_started_at, _t.c.decision_id
).where(_t.c.id == bindparam("tender_id"))


def tender_row(session: Session, tender_id: int):
    """The tender as a row of the columns the award page reads (None if there is none), for
    that page, which changes nothing: the attributes of a Tender it and the policies read, not
    its relationships."""
    return session.connection().execute(_TENDER_ROW, {"tender_id": tender_id}).one_or_none()


def award_page(session: Session, tender: Tender) -> AwardPage:
    """Everything the award page shows, in three queries (four while a lot takes proposals):
    the lots with their rankings, the awards with their winners, the counts with the notice."""
    by_tender = {"tender_id": tender.id}
    session.flush()  # what a refused form's service changed, as the session's statements would see it
    connection = session.connection()  # Core statements: nothing of the session but its transaction
    lots, statuses, ranking = [], {}, {}
    for lot_id, number, title, max_providers, status, bid_id, *rest in connection.execute(_LOTS_RANKED, by_tender):
        if not lots or lots[-1].id != lot_id:
            lots.append(LotShown(lot_id, number, title, max_providers))
            statuses[lot_id], ranking[lot_id] = status, []
        if bid_id is not None:
            ranking[lot_id].append(Ranked(bid_id, *rest))
    awards, names, decisions, winners = {}, {}, {}, {}
    for row in connection.execute(_AWARDS, by_tender):
        lot_id, award_id = row[0], row[1]
        if lot_id not in awards:
            awards[lot_id] = AwardShown(*row[1:9])
            names[award_id] = (row[9] or "", row[10] or "")
            decisions[award_id] = DecisionShown(*row[11:17]) if row[11] is not None else None
            winners[award_id] = []
        if row[17] is not None:
            winners[award_id].append(row[17])
    prepared, sent, sent_at, agreements, notice_id, *notice = connection.execute(_COUNTS_AND_NOTICE, by_tender).one()
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
                winner_ids=winners[award.id] if award else [],
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
        notice=NoticeShown(*notice) if notice_id is not None else None,
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
